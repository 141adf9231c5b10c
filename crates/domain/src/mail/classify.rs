//! Machines writing back: out-of-office replies (自动回复) and delivery failures
//! (退信). Both are recorded, neither opens a ticket or gets an answer — answering them
//! is how mail loops start.

use serde::Serialize;

/// Who wrote the message, as far as the headers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Person,
    AutoReply,
    Bounce,
}

/// The header facts the classification reads (lower-cased where noted).
#[derive(Debug, Clone, Default)]
pub struct Signals<'a> {
    pub auto_submitted: Option<&'a str>,
    pub x_autoreply: Option<&'a str>,
    pub x_autorespond: Option<&'a str>,
    pub precedence: Option<&'a str>,
    pub subject: &'a str,
    /// The sender's address, lower-cased.
    pub from: &'a str,
    /// `multipart/report` (RFC 6522) or `message/delivery-status` anywhere.
    pub is_report: bool,
    pub x_failed_recipients: bool,
}

/// Subject openings of automatic answers as QQ Mail, 163, Exchange and Outlook write them.
const AUTO_SUBJECTS: &[&str] = &[
    "自动回复",
    "自動回覆",
    "自动答复",
    "auto reply",
    "auto-reply",
    "autoreply",
    "automatic reply",
    "out of office",
    "vacation:",
    "假期自动回复",
];

const BOUNCE_SENDERS: &[&str] = &["mailer-daemon@", "postmaster@"];

const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "returned mail",
    "系统退信",
    "退信",
];

pub fn classify(s: &Signals<'_>) -> Kind {
    let subject = s.subject.trim().to_lowercase();
    let from = s.from.to_ascii_lowercase();
    if s.is_report
        || s.x_failed_recipients
        || BOUNCE_SENDERS.iter().any(|b| from.starts_with(b))
        || (from.starts_with("mailer-daemon") || from.starts_with("postmaster"))
            && BOUNCE_SUBJECTS.iter().any(|b| subject.contains(b))
    {
        return Kind::Bounce;
    }
    let auto_submitted = s
        .auto_submitted
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| !v.is_empty() && v != "no");
    let precedence = s
        .precedence
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk" | "list"));
    let subject_auto = AUTO_SUBJECTS.iter().any(|a| {
        subject.starts_with(a)
            || subject
                .strip_prefix("re:")
                .is_some_and(|r| r.trim_start().starts_with(a))
    });
    if auto_submitted
        || s.x_autoreply.is_some()
        || s.x_autorespond.is_some()
        || precedence
        || subject_auto
    {
        return Kind::AutoReply;
    }
    Kind::Person
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_are_told_apart_from_people() {
        let person = Signals {
            subject: "Re: 关于发票的问题",
            from: "li@example.com",
            ..Default::default()
        };
        assert_eq!(classify(&person), Kind::Person);
        let no = Signals {
            auto_submitted: Some("no"),
            ..person.clone()
        };
        assert_eq!(classify(&no), Kind::Person);
        for auto in [
            Signals {
                auto_submitted: Some("auto-replied"),
                ..person.clone()
            },
            Signals {
                precedence: Some("bulk"),
                ..person.clone()
            },
            Signals {
                subject: "自动回复: 关于发票的问题",
                ..person.clone()
            },
            Signals {
                x_autoreply: Some("yes"),
                ..person.clone()
            },
        ] {
            assert_eq!(classify(&auto), Kind::AutoReply);
        }
        let bounce = Signals {
            from: "MAILER-DAEMON@mx.example.com",
            subject: "Undelivered Mail Returned to Sender",
            ..Default::default()
        };
        assert_eq!(classify(&bounce), Kind::Bounce);
        let report = Signals {
            is_report: true,
            ..person
        };
        assert_eq!(classify(&report), Kind::Bounce);
    }
}
