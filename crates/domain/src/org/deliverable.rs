//! What a completed duty task points at (交付物): the log it was written in, the report
//! page it produced, or a link elsewhere. Parsed once, so a stored deliverable always
//! has one of these shapes:
//!
//! - `log`: `duty-log/2026-12-22/a` (a shift's duty log) or `work-log/2026-12-22` (the
//!   completer's own work log that day);
//! - `report`: a page of kefu, a path starting with `/` (`/qa/report?month=2026-12`);
//! - `link`: an `http://` or `https://` address.

use crate::logs::{parse_day, Shift};
use chrono::NaiveDate;

/// The longest reference stored.
pub const MAX_REF_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deliverable {
    DutyLog { day: NaiveDate, shift: Shift },
    WorkLog { day: NaiveDate },
    Report { path: String },
    Link { url: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliverableError {
    #[error("unknown deliverable kind {0:?}: write log, report or link")]
    Kind(String),
    #[error("the deliverable needs a reference of 1 to 500 characters")]
    Empty,
    #[error("a log is duty-log/YYYY-MM-DD/<a|b|c> or work-log/YYYY-MM-DD, not {0:?}")]
    Log(String),
    #[error("a report is a kefu page: a path starting with /, not {0:?}")]
    Report(String),
    #[error("a link starts with http:// or https://, not {0:?}")]
    Link(String),
}

impl Deliverable {
    pub fn parse(kind: &str, reference: &str) -> Result<Deliverable, DeliverableError> {
        let r = reference.trim();
        if r.is_empty() || r.chars().count() > MAX_REF_CHARS {
            return Err(DeliverableError::Empty);
        }
        let no_space = !r.chars().any(char::is_whitespace);
        match kind.trim() {
            "log" => {
                let bad = || DeliverableError::Log(r.to_string());
                let parts: Vec<&str> = r.split('/').collect();
                match parts.as_slice() {
                    ["duty-log", day, shift] => Ok(Deliverable::DutyLog {
                        day: parse_day(day).ok_or_else(bad)?,
                        shift: Shift::from_code(shift).ok_or_else(bad)?,
                    }),
                    ["work-log", day] => Ok(Deliverable::WorkLog {
                        day: parse_day(day).ok_or_else(bad)?,
                    }),
                    _ => Err(bad()),
                }
            }
            // `/\host` is `//host` to a browser: another site.
            "report"
                if r.starts_with('/') && !r.starts_with("//") && !r.contains('\\') && no_space =>
            {
                Ok(Deliverable::Report { path: r.into() })
            }
            "report" => Err(DeliverableError::Report(r.into())),
            "link" => {
                let rest = r
                    .strip_prefix("https://")
                    .or_else(|| r.strip_prefix("http://"));
                match rest {
                    Some(host) if !host.is_empty() && no_space => {
                        Ok(Deliverable::Link { url: r.into() })
                    }
                    _ => Err(DeliverableError::Link(r.into())),
                }
            }
            other => Err(DeliverableError::Kind(other.into())),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Deliverable::DutyLog { .. } | Deliverable::WorkLog { .. } => "log",
            Deliverable::Report { .. } => "report",
            Deliverable::Link { .. } => "link",
        }
    }

    /// The reference as stored, which [`Deliverable::parse`] reads back.
    pub fn reference(&self) -> String {
        match self {
            Deliverable::DutyLog { day, shift } => format!("duty-log/{day}/{}", shift.code()),
            Deliverable::WorkLog { day } => format!("work-log/{day}"),
            Deliverable::Report { path } => path.clone(),
            Deliverable::Link { url } => url.clone(),
        }
    }

    /// Where a page opens it: the log page, the report page, the link.
    pub fn href(&self) -> String {
        match self {
            Deliverable::DutyLog { day, shift } => {
                format!("/duty-log?day={day}&shift={}", shift.code())
            }
            Deliverable::WorkLog { day } => format!("/work-log?day={day}"),
            Deliverable::Report { path } => path.clone(),
            Deliverable::Link { url } => url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_round_trips() {
        for (kind, r) in [
            ("log", "duty-log/2026-12-22/a"),
            ("log", "work-log/2026-12-22"),
            ("report", "/qa/report?month=2026-12"),
            ("link", "https://intranet.example.com/reports/12"),
        ] {
            let d = Deliverable::parse(kind, r).unwrap();
            assert_eq!(d.kind(), kind);
            assert_eq!(d.reference(), r);
            assert_eq!(Deliverable::parse(d.kind(), &d.reference()).unwrap(), d);
        }
        assert_eq!(
            Deliverable::parse("log", "duty-log/2026-12-22/c")
                .unwrap()
                .href(),
            "/duty-log?day=2026-12-22&shift=c"
        );
    }

    #[test]
    fn bad_deliverables_name_the_problem() {
        assert_eq!(
            Deliverable::parse("file", "x"),
            Err(DeliverableError::Kind("file".into()))
        );
        assert_eq!(
            Deliverable::parse("log", "  "),
            Err(DeliverableError::Empty)
        );
        assert_eq!(
            Deliverable::parse("link", &"a".repeat(501)),
            Err(DeliverableError::Empty)
        );
        for bad in [
            "duty-log/2026-12-22/d",
            "duty-log/2026-13-01/a",
            "work-log/today",
            "duty-log/2026-12-22",
        ] {
            assert!(
                matches!(
                    Deliverable::parse("log", bad),
                    Err(DeliverableError::Log(_))
                ),
                "{bad}"
            );
        }
        for bad in [
            "qa/report",
            "//evil.example.com/x",
            "/\\evil.example.com",
            "/qa report",
        ] {
            assert!(
                matches!(
                    Deliverable::parse("report", bad),
                    Err(DeliverableError::Report(_))
                ),
                "{bad}"
            );
        }
        for bad in ["javascript:alert(1)", "ftp://x", "https://", "https://a b"] {
            assert!(
                matches!(
                    Deliverable::parse("link", bad),
                    Err(DeliverableError::Link(_))
                ),
                "{bad}"
            );
        }
    }
}
