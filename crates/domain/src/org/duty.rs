//! Recurring duties (周期性职责): a position's duty may carry a cadence — every day (the
//! duty log), every week on a weekday (the weekly QA summary), every month by a given day
//! (the monthly quality report by the 22nd), before or after each shift. Turning
//! cadences into dated tasks is the job of the duty scheduler; this module only says
//! what a cadence is and keeps bad ones out.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A day of the week, Monday first (as Chinese calendars count 周一 … 周日).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: &'static [Weekday] = &[
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.code() == code)
    }
}

/// A day of the month, 1 to 31. In a month without that day the duty falls due on the
/// month's last day (a report "by the 31st" is due on 30 April).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct DayOfMonth(u8);

impl DayOfMonth {
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for DayOfMonth {
    type Error = CadenceError;
    fn try_from(day: u8) -> Result<Self, CadenceError> {
        if (1..=31).contains(&day) {
            Ok(DayOfMonth(day))
        } else {
            Err(CadenceError::DayOfMonth(day.into()))
        }
    }
}

impl From<DayOfMonth> for u8 {
    fn from(d: DayOfMonth) -> u8 {
        d.0
    }
}

/// How often a duty recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "every", rename_all = "snake_case", deny_unknown_fields)]
pub enum Cadence {
    /// Every day (每日), e.g. the shift lead's duty log.
    Daily,
    /// Every week, due on the weekday (每周), e.g. the weekly QA summary.
    Weekly { weekday: Weekday },
    /// Every month, due by the day (每月), e.g. the quality report by the 22nd.
    Monthly { day: DayOfMonth },
    /// Before each shift the holder works (班前), e.g. the pre-departure vehicle check.
    BeforeShift,
    /// After each shift the holder works (班后), e.g. the handover record.
    AfterShift,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CadenceError {
    #[error("day of month must be 1 to 31, not {0}")]
    DayOfMonth(i64),
    #[error(
        "unknown cadence {0:?}: write daily, weekly <mon…sun>, monthly <1-31>, before_shift or \
         after_shift"
    )]
    Unknown(String),
    #[error("a duty needs a text of 1 to 500 characters")]
    Text,
}

impl Cadence {
    /// The short text form used in forms and templates: `daily`, `weekly fri`,
    /// `monthly 22`, `before_shift`, `after_shift`.
    pub fn parse(text: &str) -> Result<Cadence, CadenceError> {
        let unknown = || CadenceError::Unknown(text.trim().to_string());
        let mut words = text.split_whitespace();
        let kind = words.next().ok_or_else(unknown)?;
        let arg = words.next();
        if words.next().is_some() {
            return Err(unknown());
        }
        match (kind, arg) {
            ("daily", None) => Ok(Cadence::Daily),
            ("before_shift", None) => Ok(Cadence::BeforeShift),
            ("after_shift", None) => Ok(Cadence::AfterShift),
            ("weekly", Some(day)) => Ok(Cadence::Weekly {
                weekday: Weekday::from_code(day).ok_or_else(unknown)?,
            }),
            ("monthly", Some(day)) => {
                let n: i64 = day.parse().map_err(|_| unknown())?;
                let day = u8::try_from(n).map_err(|_| CadenceError::DayOfMonth(n))?;
                Ok(Cadence::Monthly {
                    day: DayOfMonth::try_from(day)?,
                })
            }
            _ => Err(unknown()),
        }
    }

    /// The kind alone (`daily`, `weekly`, …), for labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly { .. } => "weekly",
            Cadence::Monthly { .. } => "monthly",
            Cadence::BeforeShift => "before_shift",
            Cadence::AfterShift => "after_shift",
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Weekly { weekday } => write!(f, "weekly {}", weekday.code()),
            Cadence::Monthly { day } => write!(f, "monthly {}", day.get()),
            other => f.write_str(other.kind()),
        }
    }
}

/// One duty of a position (岗位职责), optionally recurring.
///
/// Stored and sent as `{"text": …, "cadence": {…}}`; a plain string — how duties were
/// stored before cadences existed — reads as a duty without cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duty {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
}

pub const MAX_DUTY_CHARS: usize = 500;

impl Duty {
    pub fn new(text: &str, cadence: Option<Cadence>) -> Result<Duty, CadenceError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_DUTY_CHARS {
            return Err(CadenceError::Text);
        }
        Ok(Duty {
            text: text.to_string(),
            cadence,
        })
    }

    /// One line of the position form: the duty text, optionally followed by `|` and a
    /// cadence (`编写月度质量报告 | monthly 22`).
    pub fn parse_line(line: &str) -> Result<Duty, CadenceError> {
        match line.rsplit_once('|') {
            Some((text, cadence)) => Duty::new(text, Some(Cadence::parse(cadence)?)),
            None => Duty::new(line, None),
        }
    }

    /// The line form that [`Duty::parse_line`] reads back.
    pub fn to_line(&self) -> String {
        match &self.cadence {
            Some(c) => format!("{} | {c}", self.text),
            None => self.text.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DutyFields {
    text: String,
    #[serde(default)]
    cadence: Option<Cadence>,
}

impl<'de> Deserialize<'de> for Duty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duty, D::Error> {
        struct DutyVisitor;
        impl<'de> Visitor<'de> for DutyVisitor {
            type Value = Duty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duty: a string, or {\"text\": …, \"cadence\": {\"every\": …}}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duty, E> {
                Duty::new(v, None).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Duty, A::Error> {
                let f = DutyFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Duty::new(&f.text, f.cadence).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(DutyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadence_text_round_trips() {
        for text in [
            "daily",
            "weekly fri",
            "monthly 22",
            "monthly 31",
            "before_shift",
            "after_shift",
        ] {
            let c = Cadence::parse(text).unwrap();
            assert_eq!(c.to_string(), text);
        }
        assert_eq!(
            Cadence::parse("  monthly   22 ").unwrap(),
            Cadence::Monthly {
                day: DayOfMonth::try_from(22).unwrap()
            }
        );
    }

    #[test]
    fn bad_cadences_are_refused_with_the_reason() {
        assert_eq!(
            Cadence::parse("monthly 32").unwrap_err(),
            CadenceError::DayOfMonth(32)
        );
        assert_eq!(
            Cadence::parse("monthly 0").unwrap_err(),
            CadenceError::DayOfMonth(0)
        );
        assert_eq!(
            Cadence::parse("monthly 400").unwrap_err(),
            CadenceError::DayOfMonth(400)
        );
        for bad in [
            "",
            "hourly",
            "weekly",
            "weekly friday",
            "daily 3",
            "monthly x",
        ] {
            assert!(
                matches!(Cadence::parse(bad), Err(CadenceError::Unknown(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn duties_read_old_strings_and_new_objects() {
        let stored = r#"["接听来电", {"text": "编写月度质量报告", "cadence": {"every": "monthly", "day": 22}},
            {"text": "值班日志", "cadence": {"every": "daily"}},
            {"text": "质检周汇总", "cadence": {"every": "weekly", "weekday": "fri"}}]"#;
        let duties: Vec<Duty> = serde_json::from_str(stored).unwrap();
        assert_eq!(duties[0], Duty::new("接听来电", None).unwrap());
        assert_eq!(duties[1].to_line(), "编写月度质量报告 | monthly 22");
        assert_eq!(duties[2].cadence, Some(Cadence::Daily));
        let json = serde_json::to_string(&duties).unwrap();
        assert!(json.starts_with(r#"[{"text":"接听来电"},"#), "{json}");
        let again: Vec<Duty> = serde_json::from_str(&json).unwrap();
        assert_eq!(again, duties);
    }

    #[test]
    fn bad_duties_name_the_problem() {
        let err = serde_json::from_str::<Duty>(
            r#"{"text": "月报", "cadence": {"every": "monthly", "day": 40}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("1 to 31"), "{err}");
        let err =
            serde_json::from_str::<Duty>(r#"{"text": "月报", "cadence": {"every": "yearly"}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("yearly"), "{err}");
        assert!(serde_json::from_str::<Duty>(r#""   ""#).is_err());
        assert!(serde_json::from_str::<Duty>(r#"{"text": "x", "due": 1}"#).is_err());
        assert_eq!(
            Duty::parse_line("月报 | monthly 40").unwrap_err(),
            CadenceError::DayOfMonth(40)
        );
        assert_eq!(
            Duty::parse_line("值班日志 | daily").unwrap().cadence,
            Some(Cadence::Daily)
        );
    }
}
