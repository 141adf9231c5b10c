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
    #[error("a working period is written HH:MM-HH:MM, e.g. 09:00-12:00 (got {0:?})")]
    BadSpanText(String),
}

impl Span {
    /// Reads `HH:MM-HH:MM` (`24:00` closes the day).
    pub fn parse(text: &str) -> Result<Span, CalendarError> {
        let bad = || CalendarError::BadSpanText(text.to_string());
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let minute = |t: &str| -> Option<Minute> {
            let (h, m) = t.trim().split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
        };
        let span = Span {
            start: minute(a).ok_or_else(bad)?,
            end: minute(b).ok_or_else(bad)?,
        };
        if span.start >= span.end {
            return Err(CalendarError::BadSpan);
        }
        Ok(span)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// What a dated exception to the week is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// 放假: no working time at all.
    Holiday,
    /// 调休上班: worked with the hours of the given weekday (0 = Monday).
    Workday { as_weekday: usize },
}

/// One line of holiday data: a date, what it is, and the festival it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayLine {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The line's comment (`# 春节`), or the previous line's when it has none.
    pub name: String,
}

/// Reads holiday data (the format of [`BusinessCalendar::load_holidays`]) into lines,
/// refusing the whole text at its first bad line. A date given twice is refused too: in
/// an edited file that is a mistake, not an override.
pub fn parse_holiday_lines(data: &str) -> Result<Vec<HolidayLine>, CalendarError> {
    let mut out: Vec<HolidayLine> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut name = String::new();
    for (i, raw) in data.lines().enumerate() {
        let (body, comment) = raw.split_once('#').unwrap_or((raw, ""));
        let line = body.trim();
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
        let kind = match parts.next() {
            Some("holiday") => DayKind::Holiday,
            Some("workday") => DayKind::Workday { as_weekday: 0 },
            Some(w) if w.starts_with("workday:") => match w[8..].parse::<usize>() {
                Ok(n) if n <= 6 => DayKind::Workday { as_weekday: n },
                _ => return Err(bad("workday:N needs N in 0..=6")),
            },
            _ => return Err(bad("expected holiday or workday")),
        };
        if parts.next().is_some() {
            return Err(bad("unexpected text after the kind; put notes after #"));
        }
        if !seen.insert(date) {
            return Err(bad("the date is listed twice"));
        }
        let comment = comment.trim();
        if !comment.is_empty() {
            name = comment.to_string();
        }
        out.push(HolidayLine {
            date,
            kind,
            name: name.clone(),
        });
    }
    Ok(out)
}

/// Writes lines back in the data format (what an export or the import form shows).
pub fn format_holiday_lines(lines: &[HolidayLine]) -> String {
    let mut out = String::new();
    for l in lines {
        let kind = match l.kind {
            DayKind::Holiday => "holiday".to_string(),
            DayKind::Workday { as_weekday: 0 } => "workday".to_string(),
            DayKind::Workday { as_weekday } => format!("workday:{as_weekday}"),
        };
        out.push_str(&format!("{} {kind:<9}", l.date.format("%Y-%m-%d")));
        if !l.name.is_empty() {
            out.push_str(&format!(" # {}", l.name));
        }
        out.push('\n');
    }
    out
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

    /// The weekly hours, Monday first.
    pub fn week(&self) -> &[Vec<Span>; 7] {
        &self.week
    }

    /// Applies one dated exception (a holiday or a make-up working day).
    pub fn apply(&mut self, date: NaiveDate, kind: DayKind) {
        match kind {
            DayKind::Holiday => self.add_holiday(date),
            DayKind::Workday { as_weekday } => self.add_makeup_day(date, as_weekday),
        }
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
    /// weekday N), `#` starts a comment. All or nothing: a bad line changes nothing.
    pub fn load_holidays(&mut self, data: &str) -> Result<(), CalendarError> {
        for l in parse_holiday_lines(data)? {
            self.apply(l.date, l.kind);
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

/// Working time between many pairs of instants in a range of days, each in constant time:
/// the working milliseconds before each local midnight of the range are summed once
/// ([`BusinessCalendar::meter`]), so a pair costs two lookups and a walk over one day's
/// spans. It counts exactly what [`BusinessCalendar::working_between`] counts (the offset
/// is fixed, so every local day is 24 hours long); instants outside the range are counted
/// by that walk instead.
#[derive(Debug, Clone)]
pub struct WorkingMeter<'a> {
    calendar: &'a BusinessCalendar,
    /// Epoch ms of the first day's local midnight.
    start_ms: i64,
    /// Each day's working spans, in ms after its midnight.
    days: Vec<&'a [Span]>,
    /// Working ms before each day's midnight, counted from the first (one more than days).
    before: Vec<i64>,
}

const DAY_MS: i64 = 86_400_000;

fn instant(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
const MINUTE_MS: i64 = 60_000;

/// The most days a meter sums (a longer range is walked, not summed).
const METER_MAX_DAYS: i64 = 20 * 366;

impl BusinessCalendar {
    /// A meter for instants from `from_ms` to `to_ms` (epoch ms).
    pub fn meter(&self, from_ms: i64, to_ms: i64) -> WorkingMeter<'_> {
        let first = self.local_date_and_minute(instant(from_ms)).0;
        let start_ms = self.local_midnight(first).timestamp_millis();
        let count = if to_ms < from_ms {
            0
        } else {
            ((to_ms - start_ms) / DAY_MS + 1).min(METER_MAX_DAYS)
        };
        let mut days = Vec::with_capacity(count as usize);
        let mut before = Vec::with_capacity(count as usize + 1);
        before.push(0);
        let mut date = first;
        for _ in 0..count {
            let spans = self.spans_on(date);
            let worked: i64 = spans
                .iter()
                .map(|s| i64::from(s.end - s.start) * MINUTE_MS)
                .sum();
            before.push(before.last().copied().unwrap_or(0) + worked);
            days.push(spans);
            match date.succ_opt() {
                Some(d) => date = d,
                None => break,
            }
        }
        WorkingMeter {
            calendar: self,
            start_ms,
            days,
            before,
        }
    }
}

impl WorkingMeter<'_> {
    /// Working ms from the first day's midnight to `at`, if `at` is inside the range.
    fn worked_until(&self, at: i64) -> Option<i64> {
        let since = at - self.start_ms;
        if since < 0 {
            return None;
        }
        let day = (since / DAY_MS) as usize;
        let spans = self.days.get(day)?;
        let into = since - day as i64 * DAY_MS;
        let today: i64 = spans
            .iter()
            .map(|s| {
                let a = i64::from(s.start) * MINUTE_MS;
                let b = i64::from(s.end) * MINUTE_MS;
                into.clamp(a, b) - a
            })
            .sum();
        Some(self.before[day] + today)
    }

    /// Working ms between two instants (zero if `to_ms` is not after `from_ms`).
    pub fn working_ms(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        match (self.worked_until(from_ms), self.worked_until(to_ms)) {
            (Some(a), Some(b)) => b - a,
            _ => self
                .calendar
                .working_between(instant(from_ms), instant(to_ms))
                .num_milliseconds(),
        }
    }
}

/// China Standard Time, +08:00.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The State Council's 2026 holiday arrangement (放假安排), as data an admin can edit.
pub const CHINA_2026: &str = include_str!("../data/holidays-cn-2026.txt");

/// A provisional 2027 arrangement (the festival dates and the usual 调休 pattern), to be
/// checked against the State Council's notice once it is published.
pub const CHINA_2027: &str = include_str!("../data/holidays-cn-2027.txt");

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
    fn the_meter_counts_what_the_walk_counts() {
        let c = office_2026();
        let meter = c.meter(
            cst(2026, 9, 20, 0, 0).timestamp_millis(),
            cst(2026, 10, 20, 0, 0).timestamp_millis(),
        );
        // Midnights, span edges, National Day and its make-up day, the range's end (more
        // pairs in tests/properties.rs).
        for (a, b) in [
            (cst(2026, 9, 20, 0, 0), cst(2026, 10, 20, 0, 0)),
            (cst(2026, 10, 9, 12, 0), cst(2026, 10, 9, 13, 30)),
            (cst(2026, 10, 9, 11, 59), cst(2026, 10, 10, 9, 1)),
            (cst(2026, 10, 19, 17, 0), cst(2026, 10, 19, 23, 59)),
            (cst(2026, 9, 19, 10, 0), cst(2026, 10, 21, 10, 0)),
        ]
        .map(|(a, b)| (a.timestamp_millis(), b.timestamp_millis()))
        {
            let walked = c.working_between(instant(a), instant(b)).num_milliseconds();
            assert_eq!(meter.working_ms(a, b), walked);
        }
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

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn spans_read_and_write_as_clock_times() {
        let s = Span::parse(" 08:30-12:00 ").unwrap();
        assert_eq!((s.start, s.end), (510, 720));
        assert_eq!(s.to_string(), "08:30-12:00");
        assert_eq!(
            Span::parse("0:00-24:00").unwrap().to_string(),
            "00:00-24:00"
        );
        assert_eq!(Span::parse("12:00-09:00"), Err(CalendarError::BadSpan));
        for bad in [
            "9-12",
            "09:00",
            "09:60-10:00",
            "23:00-24:30",
            "aa:bb-cc:dd",
            "09:0-10:00",
        ] {
            assert!(
                matches!(Span::parse(bad), Err(CalendarError::BadSpanText(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn holiday_lines_carry_the_festival_name_and_round_trip() {
        let lines = parse_holiday_lines(
            "# header\n2027-02-05 holiday # 春节\n2027-02-06 holiday\n2027-02-14 workday:4\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[1].name, "春节",
            "a line without a comment keeps the name"
        );
        assert_eq!(lines[2].kind, DayKind::Workday { as_weekday: 4 });
        assert_eq!(
            parse_holiday_lines(&format_holiday_lines(&lines)).unwrap(),
            lines
        );
        let twice = parse_holiday_lines("2027-01-01 holiday\n2027-01-01 workday\n").unwrap_err();
        assert_eq!(
            twice,
            CalendarError::BadHolidayData {
                line: 2,
                reason: "the date is listed twice".into()
            }
        );
        assert!(parse_holiday_lines("2027-01-01 holiday extra\n").is_err());
    }

    /// The shipped years: make-up days fall on weekends, each festival's own date is off,
    /// and a whole year never has more than six working days in a row around a holiday.
    #[test]
    fn shipped_years_follow_the_holiday_rules() {
        use chrono::Weekday;
        for (year, data, festivals) in [
            (
                2026,
                CHINA_2026,
                [(1, 1), (2, 17), (4, 5), (5, 1), (6, 19), (9, 25), (10, 1)],
            ),
            (
                2027,
                CHINA_2027,
                [(1, 1), (2, 6), (4, 5), (5, 1), (6, 9), (9, 15), (10, 1)],
            ),
        ] {
            let lines = parse_holiday_lines(data).unwrap();
            assert!(lines
                .iter()
                .all(|l| l.date.year() == year && !l.name.is_empty()));
            for l in lines.iter().filter(|l| l.kind != DayKind::Holiday) {
                assert!(
                    matches!(l.date.weekday(), Weekday::Sat | Weekday::Sun),
                    "{} is a make-up day on a weekday",
                    l.date
                );
            }
            let mut c = BusinessCalendar::china_office_hours();
            c.load_holidays(data).unwrap();
            for (m, d) in festivals {
                assert!(c.spans_on(date(year, m, d)).is_empty(), "{year}-{m}-{d}");
            }
            let mut run = 0;
            let mut day = date(year, 1, 1);
            while day.year() == year {
                run = if c.spans_on(day).is_empty() {
                    0
                } else {
                    run + 1
                };
                assert!(run <= 6, "seven working days in a row ending {day}");
                day = day.succ_opt().unwrap();
            }
        }
        let mut c = BusinessCalendar::china_office_hours();
        c.load_holidays(CHINA_2027).unwrap();
        // 春节 2027: 除夕 Friday 5 February to Saturday 13 February, Sunday 14 worked.
        assert!(c.spans_on(date(2027, 2, 5)).is_empty());
        assert!(!c.spans_on(date(2027, 2, 14)).is_empty());
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
