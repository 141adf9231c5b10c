//! Callbacks (回访): the kinds of callback task, the attempts an agent records (unreachable,
//! busy, call back later, done) and the retry policy that decides when the next attempt
//! falls due, the period arithmetic of tier plans (a VIP customer is called once a month,
//! an A customer once a quarter — each period has a key, so a plan never creates two
//! tasks for one customer in one period), the care dates (holidays and special dates),
//! the follow-up watch (an open case never goes more than 48 hours without a follow-up)
//! and the validation of the handbook's callback record (name, gender, phone, time,
//! opinions and suggestions).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

code_enum!(
    /// Why a callback task exists.
    CallbackKind {
        /// 售后回访: after a ticket is resolved.
        AfterSale = "after_sale",
        /// 投诉回访: after a complaint's round was handled; its outcome drives the complaint.
        Complaint = "complaint",
        /// 定期回访: a tier plan (VIP monthly, A quarterly …).
        Periodic = "periodic",
        /// 关怀回访: holidays and special dates.
        Care = "care",
        /// 续约提醒: before a customer's expiry date.
        Renewal = "renewal",
        /// 维修回访: verify a repair and its fee.
        RepairVerify = "repair_verify",
        /// 售前回访: from a list the sales department hands over.
        PreSale = "pre_sale",
        /// Created by hand.
        Manual = "manual",
    }
);

code_enum!(
    /// Where a task stands.
    TaskStatus {
        Open = "open",
        Done = "done",
        Cancelled = "cancelled",
    }
);

code_enum!(
    /// What one call attempt came to.
    AttemptResult {
        /// 无法接通 / 无人接听
        Unreachable = "unreachable",
        /// 占线 / 忙
        Busy = "busy",
        /// 客户约定稍后再打 (at a time the customer gives)
        Later = "later",
        /// 已回访: the callback took place; an outcome is recorded.
        Done = "done",
    }
);

code_enum!(
    /// What the callback found (回访结果).
    Outcome {
        /// 满意
        Satisfied = "satisfied",
        /// 不满意: work goes on (a complaint opens its next round).
        Dissatisfied = "dissatisfied",
        /// 拒绝回访
        Declined = "declined",
        /// 多次未接通: the retry policy gave up.
        Unreachable = "unreachable",
    }
);

code_enum!(
    /// How often a tier plan calls each customer.
    Period {
        Month = "month",
        Quarter = "quarter",
        HalfYear = "half_year",
        Year = "year",
    }
);

code_enum!(
    /// What a plan generates.
    PlanKind {
        Periodic = "periodic",
        Care = "care",
        Renewal = "renewal",
    }
);

impl Period {
    fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::HalfYear => 6,
            Period::Year => 12,
        }
    }

    /// The period that holds `day`: its first day and the first day after it.
    pub fn window(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let n = self.months();
        let month0 = (day.month0() / n) * n;
        let start = NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).expect("valid month");
        let end = start
            .checked_add_months(chrono::Months::new(n))
            .expect("in range");
        (start, end)
    }

    /// The key of the period that holds `day` (`2026-11`, `2026-Q4`, `2026-H2`, `2026`):
    /// part of each task's dedupe key.
    pub fn key(self, day: NaiveDate) -> String {
        let (y, m0) = (day.year(), day.month0());
        match self {
            Period::Month => format!("{y}-{:02}", m0 + 1),
            Period::Quarter => format!("{y}-Q{}", m0 / 3 + 1),
            Period::HalfYear => format!("{y}-H{}", m0 / 6 + 1),
            Period::Year => format!("{y}"),
        }
    }
}

/// The hour (local time) at which generated tasks fall due on their day.
pub const DUE_HOUR: u32 = 9;

/// `day` at `hour`:00 local time.
pub fn local_at(day: NaiveDate, hour: u32, offset: FixedOffset) -> DateTime<Utc> {
    let t = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid hour"));
    offset
        .from_local_datetime(&t)
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

/// The calendar day of `t` in local time.
pub fn local_day(t: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    t.with_timezone(&offset).date_naive()
}

/// How attempts are retried (重拨策略).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// After an unreachable attempt, the next one is due this many minutes later.
    pub unreachable_minutes: i64,
    /// After a busy line, this many minutes later.
    pub busy_minutes: i64,
    /// After this many unreachable or busy attempts the task closes as unreachable.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            unreachable_minutes: 120,
            busy_minutes: 30,
            max_attempts: 3,
        }
    }
}

/// One attempt as the agent records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Unreachable,
    Busy,
    /// The customer asked to be called back at this time.
    Later(DateTime<Utc>),
    Done(Outcome),
}

impl Attempt {
    pub fn result(self) -> AttemptResult {
        match self {
            Attempt::Unreachable => AttemptResult::Unreachable,
            Attempt::Busy => AttemptResult::Busy,
            Attempt::Later(_) => AttemptResult::Later,
            Attempt::Done(_) => AttemptResult::Done,
        }
    }
}

/// What an attempt does to its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// Still open; the next attempt is due at this time.
    Retry { next_at: DateTime<Utc> },
    /// Closed with this outcome.
    Close(Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the task is no longer open")]
    NotOpen,
    #[error("a call-back-later time must lie in the future")]
    LaterInThePast,
    #[error("an unreachable outcome is set by the retry policy, not recorded")]
    OutcomeNotRecordable,
}

impl RetryPolicy {
    /// Decides what an attempt at `now` does, given the number of unreachable or busy
    /// attempts recorded before it.
    pub fn after(
        &self,
        failed_before: i64,
        attempt: Attempt,
        now: DateTime<Utc>,
    ) -> Result<AfterAttempt, Refusal> {
        let retry = |minutes: i64| {
            if failed_before + 1 >= self.max_attempts {
                AfterAttempt::Close(Outcome::Unreachable)
            } else {
                AfterAttempt::Retry {
                    next_at: now + Duration::minutes(minutes),
                }
            }
        };
        Ok(match attempt {
            Attempt::Unreachable => retry(self.unreachable_minutes),
            Attempt::Busy => retry(self.busy_minutes),
            Attempt::Later(at) if at <= now => return Err(Refusal::LaterInThePast),
            Attempt::Later(at) => AfterAttempt::Retry { next_at: at },
            Attempt::Done(Outcome::Unreachable) => return Err(Refusal::OutcomeNotRecordable),
            Attempt::Done(outcome) => AfterAttempt::Close(outcome),
        })
    }
}

/// The follow-up watch: an open task whose last follow-up (its due time, its latest
/// attempt or the agreed call-back time, whichever is latest) is older than
/// `now + lookahead - hours` would go `hours` without a follow-up before the watch runs
/// again, so it is raised now. Returns that cut-off.
pub fn follow_up_cutoff(now: DateTime<Utc>, hours: i64, lookahead: Duration) -> DateTime<Utc> {
    now + lookahead - Duration::hours(hours)
}

/// The first day of each named holiday (元旦, 春节 …) among `days` (dated holidays with
/// their names, in any order): the day a care callback falls due.
pub fn holiday_first_days(days: &[(NaiveDate, String)]) -> Vec<(NaiveDate, String)> {
    let mut sorted: Vec<&(NaiveDate, String)> = days.iter().collect();
    sorted.sort();
    let mut out: Vec<(NaiveDate, String)> = Vec::new();
    let mut prev: Option<&(NaiveDate, String)> = None;
    for d in sorted {
        let continues = prev.is_some_and(|p| p.1 == d.1 && p.0.succ_opt() == Some(d.0));
        if !continues {
            out.push(d.clone());
        }
        prev = Some(d);
    }
    out
}

/// A special date (`MM-DD`, every year) a care plan calls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    pub fn parse(raw: &str) -> Option<MonthDay> {
        let (m, d) = raw.trim().split_once('-')?;
        let (month, day) = (m.parse().ok()?, d.parse().ok()?);
        // 2024 is a leap year, so 02-29 is accepted (and observed in leap years only).
        NaiveDate::from_ymd_opt(2024, month, day)?;
        Some(MonthDay { month, day })
    }

    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// Parses a list of special dates (`MM-DD`, separated by commas, spaces or new lines);
/// returns the first entry that is not a date as the error.
pub fn parse_special_dates(raw: &str) -> Result<Vec<MonthDay>, String> {
    let mut out = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let md = MonthDay::parse(part).ok_or_else(|| part.to_string())?;
        if !out.contains(&md) {
            out.push(md);
        }
    }
    out.sort();
    Ok(out)
}

/// The care dates in `[from, to]`: the first days of holidays and the special dates.
pub fn care_dates(
    from: NaiveDate,
    to: NaiveDate,
    holidays: &[(NaiveDate, String)],
    special: &[MonthDay],
) -> Vec<NaiveDate> {
    let mut out: Vec<NaiveDate> = holiday_first_days(holidays)
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| *d >= from && *d <= to)
        .collect();
    for year in from.year()..=to.year() {
        out.extend(
            special
                .iter()
                .filter_map(|md| md.in_year(year))
                .filter(|d| *d >= from && *d <= to),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// The longest free text of a record field (opinions, suggestions, notes).
pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    pub field: &'static str,
    /// `required`, `too_long`, `invalid`.
    pub code: &'static str,
}

/// Trims an optional text field and checks its length; empty is `None`.
pub fn parse_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(FieldError {
            field,
            code: "too_long",
        });
    }
    Ok(Some(text.to_string()))
}

/// A script template for a plan (a single line or a few paragraphs).
pub fn parse_script(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    parse_text("script", raw, MAX_TEXT_CHARS)
}

/// The limits a plan's numbers must keep.
pub fn check_range(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    if value < min || value > max {
        return Err(FieldError {
            field,
            code: "out_of_range",
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
