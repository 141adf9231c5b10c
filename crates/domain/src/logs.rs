//! Logs (日志): the day an agent's work log (工作日志) belongs to, and the shifts a
//! shift lead keeps a duty log (值班日志) for.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

code_enum!(
    /// The handbook's shifts (document 10): a 09:00–17:00 and b 12:00–20:00 on site,
    /// c 20:00–22:00 on call from home; together they cover the day.
    Shift {
        A = "a",
        B = "b",
        C = "c",
    }
);

impl Shift {
    /// Start and end, local time.
    pub fn hours(self) -> (NaiveTime, NaiveTime) {
        let h = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        match self {
            Shift::A => (h(9), h(17)),
            Shift::B => (h(12), h(20)),
            Shift::C => (h(20), h(22)),
        }
    }

    /// The shift a lead is most likely writing about at `local` time: the latest one
    /// that has started (before 09:00, the previous evening's on-call shift is over, so a).
    pub fn current(local: NaiveTime) -> Shift {
        Shift::ALL
            .iter()
            .rev()
            .copied()
            .find(|s| s.hours().0 <= local)
            .unwrap_or(Shift::A)
    }
}

/// Parses a log's day, `YYYY-MM-DD`.
pub fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// The instants a local day spans: `[start, end)`.
pub fn day_bounds(day: NaiveDate, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = offset
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default();
    (start, start + chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_follow_the_handbook() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(Shift::current(t(8, 0)), Shift::A);
        assert_eq!(Shift::current(t(11, 59)), Shift::A);
        assert_eq!(Shift::current(t(12, 0)), Shift::B);
        assert_eq!(Shift::current(t(21, 30)), Shift::C);
        assert_eq!(Shift::from_code("c"), Some(Shift::C));
        assert_eq!(Shift::from_code("d"), None);
        assert_eq!(Shift::C.hours(), (t(20, 0), t(22, 0)));
    }

    #[test]
    fn days_are_local() {
        let day = parse_day("2026-11-28").unwrap();
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        let (start, end) = day_bounds(day, offset);
        assert_eq!(start.to_rfc3339(), "2026-11-27T16:00:00+00:00");
        assert_eq!(end - start, chrono::Duration::days(1));
    }
}
