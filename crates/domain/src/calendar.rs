//! The business calendar (工作日历): working hours per weekday with breaks, public
//! holidays and make-up working days (调休), and the arithmetic every promise and SLA
//! deadline is computed with. All times are instants (UTC); the calendar's own offset
//! (China: +08:00) decides which local day and hour an instant falls on.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Minutes since local midnight, `0..=1440`.
pub type Minute = u32;

/// A working period inside one local day, `[start, end)` in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Minute,
    pub end: Minute,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("a working period must start before it ends and lie within the day")]
    BadSpan,
    #[error("working periods of one day must not overlap and must be in order")]
    Overlap,
    #[error("the calendar has no working time at all")]
    NeverWorking,
    #[error("bad holiday data on line {line}: {reason}")]
    BadHolidayData { line: usize, reason: String },
}

/// A calendar: weekly hours, holidays, and make-up days that work on a weekday's hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    offset: FixedOffset,
    /// Monday first.
    week: [Vec<Span>; 7],
    holidays: BTreeSet<NaiveDate>,
    /// 调休: a weekend day worked with the hours of the given weekday (0 = Monday).
    makeup: BTreeMap<NaiveDate, usize>,
}

impl BusinessCalendar {
    /// A calendar with the same hours on the given weekdays (0 = Monday).
    pub fn new(offset: FixedOffset, week: [Vec<Span>; 7]) -> Result<Self, CalendarError> {
        for day in &week {
            for (i, s) in day.iter().enumerate() {
                if s.start >= s.end || s.end > 1440 {
                    return Err(CalendarError::BadSpan);
                }
                if i > 0 && day[i - 1].end > s.start {
                    return Err(CalendarError::Overlap);
                }
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverWorking);
        }
        Ok(Self {
            offset,
            week,
            holidays: BTreeSet::new(),
            makeup: BTreeMap::new(),
        })
    }

    /// Around the clock, every day (7×24).
    pub fn around_the_clock(offset: FixedOffset) -> Self {
        let all = vec![Span {
            start: 0,
            end: 1440,
        }];
        Self::new(offset, std::array::from_fn(|_| all.clone())).expect("valid")
    }

    /// Monday to Friday 09:00–12:00 and 13:30–18:00, China time: a common office day.
    pub fn china_office_hours() -> Self {
        let day = vec![
            Span {
                start: 9 * 60,
                end: 12 * 60,
            },
            Span {
                start: 13 * 60 + 30,
                end: 18 * 60,
            },
        ];
        let week = std::array::from_fn(|i| if i < 5 { day.clone() } else { Vec::new() });
        Self::new(china_offset(), week).expect("valid")
    }

    pub fn add_holiday(&mut self, date: NaiveDate) {
        self.makeup.remove(&date);
        self.holidays.insert(date);
    }

    /// Makes `date` a working day with the hours of `as_weekday` (0 = Monday).
    pub fn add_makeup_day(&mut self, date: NaiveDate, as_weekday: usize) {
        self.holidays.remove(&date);
        self.makeup.insert(date, as_weekday.min(6));
    }

    /// Loads holiday data: one line per date, `YYYY-MM-DD holiday` or
    /// `YYYY-MM-DD workday` (make-up day worked on Monday's hours, or `workday:N` for
    /// weekday N), `#` starts a comment.
    pub fn load_holidays(&mut self, data: &str) -> Result<(), CalendarError> {
        for (i, raw) in data.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |reason: &str| CalendarError::BadHolidayData {
                line: i + 1,
                reason: reason.into(),
            };
            let mut parts = line.split_whitespace();
            let date = parts
                .next()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| bad("expected a date YYYY-MM-DD"))?;
            match parts.next() {
                Some("holiday") => self.add_holiday(date),
                Some("workday") => self.add_makeup_day(date, 0),
                Some(w) if w.starts_with("workday:") => {
                    let n: usize = w[8..]
                        .parse()
                        .map_err(|_| bad("workday:N needs N in 0..=6"))?;
                    if n > 6 {
                        return Err(bad("workday:N needs N in 0..=6"));
                    }
                    self.add_makeup_day(date, n);
                }
                _ => return Err(bad("expected holiday or workday")),
            }
        }
        Ok(())
    }

    /// The working periods of a local date.
    pub fn spans_on(&self, date: NaiveDate) -> &[Span] {
        if self.holidays.contains(&date) {
            return &[];
        }
        let weekday = self
            .makeup
            .get(&date)
            .copied()
            .unwrap_or(date.weekday().num_days_from_monday() as usize);
        &self.week[weekday]
    }

    fn local_midnight(&self, date: NaiveDate) -> DateTime<Utc> {
        self.offset
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("fixed offsets are unambiguous")
            .with_timezone(&Utc)
    }

    fn local_date_and_minute(&self, t: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
        let local = t.with_timezone(&self.offset);
        let date = local.date_naive();
        (date, self.local_midnight(date))
    }

    /// Whether `t` falls inside working time.
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        let (date, midnight) = self.local_date_and_minute(t);
        let since = t - midnight;
        self.spans_on(date).iter().any(|s| {
            since >= Duration::minutes(i64::from(s.start))
                && since < Duration::minutes(i64::from(s.end))
        })
    }

    /// The instant `work` of working time after `start` (the deadline of a promise made
    /// at `start`). A zero duration started outside working time moves to the next
    /// working instant. Gives up (returns `None`) after ten years without enough time.
    pub fn add_working(&self, start: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        let mut remaining = work.max(Duration::zero());
        let (mut date, _) = self.local_date_and_minute(start);
        let last = date + Duration::days(3660);
        while date <= last {
            let midnight = self.local_midnight(date);
            for s in self.spans_on(date) {
                let from = (midnight + Duration::minutes(i64::from(s.start))).max(start);
                let to = midnight + Duration::minutes(i64::from(s.end));
                if from >= to {
                    continue;
                }
                let available = to - from;
                if remaining < available || (remaining == available && remaining.is_zero()) {
                    return Some(from + remaining);
                }
                if remaining == available {
                    return Some(to);
                }
                remaining -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// Working time between two instants (zero if `to` is not after `from`); what an SLA
    /// clock that pauses outside working hours has counted.
    pub fn working_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let (mut date, _) = self.local_date_and_minute(from);
        let (last, _) = self.local_date_and_minute(to);
        while date <= last {
            let midnight = self.local_midnight(date);
            for s in self.spans_on(date) {
                let a = (midnight + Duration::minutes(i64::from(s.start))).max(from);
                let b = (midnight + Duration::minutes(i64::from(s.end))).min(to);
                if b > a {
                    total += b - a;
                }
            }
            match date.succ_opt() {
                Some(d) => date = d,
                None => break,
            }
        }
        total
    }
}

/// China Standard Time, +08:00.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The State Council's 2026 holiday arrangement (放假安排), as data an admin can edit.
pub const CHINA_2026: &str = include_str!("../data/holidays-cn-2026.txt");

#[cfg(test)]
mod tests {
    use super::*;

    fn cst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office_2026() -> BusinessCalendar {
        let mut c = BusinessCalendar::china_office_hours();
        c.load_holidays(CHINA_2026).unwrap();
        c
    }

    #[test]
    fn a_48_hour_promise_on_office_hours_spans_days() {
        let c = BusinessCalendar::china_office_hours();
        // 7.5 working hours a day: 48 h of working time is 6.4 working days.
        let start = cst(2026, 11, 23, 9, 0); // Monday
        let due = c.add_working(start, Duration::hours(48)).unwrap();
        assert_eq!(due, cst(2026, 12, 1, 12, 0));
        assert_eq!(c.working_between(start, due), Duration::hours(48));
    }

    #[test]
    fn breaks_and_weekends_do_not_count() {
        let c = BusinessCalendar::china_office_hours();
        let friday_late = cst(2026, 11, 27, 17, 0);
        assert_eq!(
            c.add_working(friday_late, Duration::hours(2)).unwrap(),
            cst(2026, 11, 30, 10, 0)
        );
        assert_eq!(
            c.add_working(cst(2026, 11, 27, 11, 30), Duration::hours(1))
                .unwrap(),
            cst(2026, 11, 27, 14, 0)
        );
        assert!(!c.is_working(cst(2026, 11, 27, 12, 30)));
        assert!(!c.is_working(cst(2026, 11, 28, 10, 0)));
    }

    #[test]
    fn holidays_and_makeup_days_of_2026() {
        let c = office_2026();
        // National Day week is off; Saturday 10 October is a make-up working day.
        assert!(!c.is_working(cst(2026, 10, 5, 10, 0)));
        assert!(c.is_working(cst(2026, 10, 10, 10, 0)));
        // A promise made Wednesday 30 September afternoon runs over the holiday.
        let due = c
            .add_working(cst(2026, 9, 30, 17, 0), Duration::hours(2))
            .unwrap();
        assert_eq!(due, cst(2026, 10, 8, 10, 0));
    }

    #[test]
    fn zero_work_outside_hours_moves_to_the_next_opening() {
        let c = BusinessCalendar::china_office_hours();
        assert_eq!(
            c.add_working(cst(2026, 11, 28, 20, 0), Duration::zero())
                .unwrap(),
            cst(2026, 11, 30, 9, 0)
        );
    }

    #[test]
    fn bad_data_is_refused_with_the_line() {
        let mut c = BusinessCalendar::china_office_hours();
        let err = c
            .load_holidays("2026-01-01 holiday\n2026-13-01 holiday\n")
            .unwrap_err();
        assert_eq!(
            err,
            CalendarError::BadHolidayData {
                line: 2,
                reason: "expected a date YYYY-MM-DD".into()
            }
        );
        assert!(BusinessCalendar::new(
            china_offset(),
            std::array::from_fn(|_| vec![Span {
                start: 600,
                end: 500
            }])
        )
        .is_err());
        assert_eq!(
            BusinessCalendar::new(china_offset(), std::array::from_fn(|_| Vec::new())),
            Err(CalendarError::NeverWorking)
        );
    }
}
