//! The acknowledgement a new e-mail ticket gets (自动回执): one of the mailbox's two
//! templates, in the writer's language, with the ticket's facts filled in.

/// The language an acknowledgement is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckLang {
    Chinese,
    English,
}

impl AckLang {
    /// The locale code the rest of the message (subject line, footer) is written in.
    pub fn code(self) -> &'static str {
        match self {
            AckLang::Chinese => "zh-CN",
            AckLang::English => "en",
        }
    }
}

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 3] = ["{number}", "{subject}", "{name}"];

/// Which template answers a message: English when neither its subject nor its text has
/// a Chinese character and the English template is set, else Chinese when that one is
/// set, else English when only that one is; `None` when the mailbox sends none.
pub fn pick<'a>(
    chinese: &'a str,
    english: &'a str,
    subject: &str,
    text: &str,
) -> Option<(AckLang, &'a str)> {
    let chinese = Some(chinese.trim()).filter(|t| !t.is_empty());
    let english = Some(english.trim()).filter(|t| !t.is_empty());
    let wrote_chinese = subject.chars().chain(text.chars()).any(is_han);
    match (chinese, english) {
        (_, Some(en)) if !wrote_chinese => Some((AckLang::English, en)),
        (Some(zh), _) => Some((AckLang::Chinese, zh)),
        (None, Some(en)) => Some((AckLang::English, en)),
        (None, None) => None,
    }
}

/// The template with `{number}`, `{subject}` and `{name}` filled in (the values are
/// inserted once: a value that itself looks like a placeholder stays as written).
pub fn fill(template: &str, number: &str, subject: &str, name: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (value, len) = if tail.starts_with("{number}") {
            (number, "{number}".len())
        } else if tail.starts_with("{subject}") {
            (subject, "{subject}".len())
        } else if tail.starts_with("{name}") {
            (name, "{name}".len())
        } else {
            ("{", 1)
        };
        out.push_str(value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writers_language_picks_the_template() {
        let (zh, en) = ("您好，{name}", "Hello {name}");
        assert_eq!(
            pick(zh, en, "打印机卡纸", "无法打印"),
            Some((AckLang::Chinese, zh))
        );
        assert_eq!(
            pick(zh, en, "Printer jam", "It does not print"),
            Some((AckLang::English, en))
        );
        // Chinese anywhere (here only in the text) means Chinese.
        assert_eq!(
            pick(zh, en, "Re: order 42", "谢谢"),
            Some((AckLang::Chinese, zh))
        );
        // Only one template set: that one, whatever the language.
        assert_eq!(pick("", en, "打印机", ""), Some((AckLang::English, en)));
        assert_eq!(pick(zh, "  ", "Printer", ""), Some((AckLang::Chinese, zh)));
        assert_eq!(pick("", " \n", "Printer", ""), None);
    }

    #[test]
    fn placeholders_are_filled_once() {
        assert_eq!(
            fill(
                "{name}您好：您的邮件《{subject}》已受理，工单号 {number}。",
                "20261204-0007",
                "{number}",
                "张三"
            ),
            "张三您好：您的邮件《{number}》已受理，工单号 20261204-0007。"
        );
        assert_eq!(fill("a {b} {", "1", "s", "n"), "a {b} {");
    }
}
