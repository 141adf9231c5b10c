//! Turning an article into HTML that cannot run anything: Markdown through
//! pulldown-cmark with every piece of raw HTML shown as text and links or images whose
//! scheme is not http(s), mailto or tel dropped (their text kept); and the line diff of
//! two versions, with every line escaped.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};
use utoipa::ToSchema;

/// Whether a link or image target may be rendered: relative, or one of a few schemes.
/// Browsers ignore tabs and newlines inside a scheme (`java\tscript:`), so those are
/// removed before looking.
pub fn safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned[i..].starts_with(':') => {
            matches!(&cleaned[..i], "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

/// Markdown to HTML for the article page. Raw HTML is escaped (shown as written), unsafe
/// links and images are reduced to their text.
pub fn markdown_html(src: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut dropped: Vec<TagEnd> = Vec::new();
    let events = Parser::new_ext(src, options).filter_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Link { ref dest_url, .. }) if !safe_url(dest_url) => {
            dropped.push(TagEnd::Link);
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !safe_url(dest_url) => {
            dropped.push(TagEnd::Image);
            None
        }
        Event::End(end) if dropped.last() == Some(&end) => {
            dropped.pop();
            None
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(src.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Backslash-escapes the characters Markdown gives meaning to, so a value filled into a
/// script (a customer's name) is shown as written.
pub fn markdown_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of a diff: `equal`, `delete` (only in the older text) or `insert` (only in
/// the newer one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiffLine {
    pub op: &'static str,
    pub text: String,
}

/// The line diff from `old` to `new`.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            op: match change.tag() {
                ChangeTag::Equal => "equal",
                ChangeTag::Delete => "delete",
                ChangeTag::Insert => "insert",
            },
            text: change.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}

/// The diff as an HTML table, every line escaped.
pub fn diff_html(lines: &[DiffLine]) -> String {
    let mut out = String::from("<table class=\"diff\"><tbody>");
    for line in lines {
        let sign = match line.op {
            "delete" => "-",
            "insert" => "+",
            _ => " ",
        };
        out.push_str(&format!(
            "<tr class=\"diff-{}\"><td class=\"sign\">{sign}</td><td><pre>{}</pre></td></tr>",
            line.op,
            html_escape(&line.text)
        ));
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_is_text() {
        let html =
            markdown_html("# 退货\n\n**七天**无理由，见[说明](https://example.com/a?b=1&c=2)。");
        assert!(html.contains("<h1>退货</h1>"), "{html}");
        assert!(html.contains("<strong>七天</strong>"));
        assert!(
            html.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
            "{html}"
        );

        let html = markdown_html(
            "<script>alert(1)</script>\n\n正文 <img src=x onerror=alert(2)> <b onclick=\"x\">b</b>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn unsafe_links_and_images_keep_only_their_text() {
        for src in [
            "[点我](javascript:alert(1))",
            "[点我](JavaScript:alert(1))",
            "[点我](java\tscript:alert(1))",
            "[点我](data:text/html;base64,PHNjcmlwdD4=)",
            "[点我](vbscript:msgbox)",
            "<javascript:alert(1)>",
            "![点我](javascript:alert(1))",
        ] {
            let html = markdown_html(src);
            let lower = html.to_ascii_lowercase();
            assert!(
                !lower.contains("href=") && !lower.contains("src="),
                "{src} → {html}"
            );
            assert!(!lower.contains("<a"), "{src} → {html}");
            assert!(!lower.contains("<img"), "{src} → {html}");
        }
        assert!(markdown_html("[点我](javascript:x)").contains("点我"));
        assert!(markdown_html("[相对](/knowledge/1)").contains("href=\"/knowledge/1\""));
        assert!(markdown_html("[电话](tel:95105)").contains("href=\"tel:95105\""));
        assert!(markdown_html("![图](https://example.com/a.png)").contains("<img"));
        assert!(safe_url("mailto:a@b.cn") && safe_url("#top") && safe_url("a/b:c"));
        assert!(!safe_url(" JAVASCRIPT:x") && !safe_url("file:///etc/passwd"));
    }

    #[test]
    fn filled_values_are_shown_as_written() {
        let name = "<b>*王*</b>[x](javascript:1)";
        let html = markdown_html(&format!("您好{}", markdown_escape(name)));
        assert!(
            html.contains("&lt;b&gt;*王*&lt;/b&gt;[x](javascript:1)"),
            "{html}"
        );
        assert!(!html.contains("<a"));
    }

    #[test]
    fn diffs_are_by_line_and_escaped() {
        let lines = line_diff("一\n二\n三\n", "一\n<b>二</b>\n三\n");
        let ops: Vec<&str> = lines.iter().map(|l| l.op).collect();
        assert_eq!(ops, ["equal", "delete", "insert", "equal"]);
        assert_eq!(lines[2].text, "<b>二</b>");
        let html = diff_html(&lines);
        assert!(html.contains("<tr class=\"diff-insert\"><td class=\"sign\">+</td><td><pre>&lt;b&gt;二&lt;/b&gt;</pre>"), "{html}");
        assert!(!html.contains("<b>"));
    }
}
