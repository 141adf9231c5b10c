//! Outbound campaigns (主动拨打, handbook document 2: 每人每天定时定量拨打未认证的用户):
//! a target list, a script, agents with a daily quota each, calling hours, outcome codes
//! and the retry rules that decide when a customer is called again.
//!
//! The rules are pure functions: what an outcome does to a target ([`next_step`]), whether
//! an instant lies in the calling hours ([`CallingHours::contains`]), how many customers an
//! agent's list may still take today ([`list_allowance`]), and the validation of a
//! campaign definition ([`CampaignDraft::validate`]). The store applies them inside its
//! transactions.

use crate::calendar::{china_offset, Span};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

code_enum!(
    /// What one call to a target found (通话结果).
    Outcome {
        /// 已接通: spoke with the customer; nothing more to do.
        Reached = "reached",
        /// 未接通: no answer, busy or switched off; tried again after the retry interval.
        Unreachable = "unreachable",
        /// 拒绝: the customer declines; never called again by this campaign.
        Refused = "refused",
        /// 有意向: interested; followed up after the retry interval.
        Interested = "interested",
        /// 已转化: the goal reached (e.g. verified); the campaign's conversion applies.
        Converted = "converted",
        /// 约定回拨: the customer asked to be called at a given time.
        CallBackLater = "call_back_later",
    }
);

impl Outcome {
    /// Whether this outcome ends the campaign's work on the target whatever the attempts.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Outcome::Reached | Outcome::Refused | Outcome::Converted
        )
    }

    /// Whether the agent spoke with the customer (for the reach rate).
    pub fn is_reached(self) -> bool {
        !matches!(self, Outcome::Unreachable)
    }
}

code_enum!(
    /// Where a campaign stands.
    CampaignStatus {
        /// 草稿: being prepared; no lists yet.
        Draft = "draft",
        /// 进行中: agents get their daily lists.
        Active = "active",
        /// 暂停: no lists, no calls; the targets keep their state.
        Paused = "paused",
        /// 已结束: closed for good.
        Finished = "finished",
    }
);

code_enum!(
    /// A control on the campaign page.
    CampaignAction {
        Start = "start",
        Pause = "pause",
        Resume = "resume",
        Finish = "finish",
    }
);

impl CampaignStatus {
    /// The status after `action`, or `None` when the action does not apply.
    pub fn apply(self, action: CampaignAction) -> Option<CampaignStatus> {
        use CampaignAction as A;
        use CampaignStatus as S;
        match (self, action) {
            (S::Draft, A::Start) => Some(S::Active),
            (S::Active, A::Pause) => Some(S::Paused),
            (S::Paused, A::Resume) => Some(S::Active),
            (S::Draft | S::Active | S::Paused, A::Finish) => Some(S::Finished),
            _ => None,
        }
    }
}

code_enum!(
    /// Where one target stands in its campaign.
    TargetState {
        /// Waiting for a call (again) from `next_attempt_at` on.
        Pending = "pending",
        /// Nothing more to do: a final outcome, or the attempts ran out.
        Done = "done",
    }
);

/// How often and how soon a target is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryRules {
    /// Hours between an unreachable (or interested) call and the next try.
    pub retry_hours: u32,
    /// Calls at most per target; after that many unreachable calls it is given up.
    pub max_attempts: u32,
}

pub const MAX_RETRY_HOURS: u32 = 24 * 30;
pub const MAX_ATTEMPTS: u32 = 20;
pub const MAX_DAILY_QUOTA: u32 = 500;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_SCRIPT_CHARS: usize = 5_000;
pub const MAX_NOTE_CHARS: usize = 500;
/// The latest a "call back later" may be set, counted from the call.
pub const MAX_CALLBACK_DAYS: i64 = 90;

/// What happens to a target after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Call again from this instant on.
    Retry { at: DateTime<Utc> },
    /// No more calls; `exhausted` when the attempts ran out rather than a final outcome.
    Done { exhausted: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("a call back later needs the time the customer asked for")]
    CallbackTimeMissing,
    #[error("the call-back time must be later than now and within {MAX_CALLBACK_DAYS} days")]
    CallbackTimeOutOfRange,
}

/// What a call with `outcome` does to a target that has now had `attempts` calls
/// (this one included). Call back later is rescheduled at the customer's time and does
/// not give up (the customer asked for it); unreachable and interested are retried after
/// the interval until `max_attempts` calls were made.
pub fn next_step(
    outcome: Outcome,
    attempts: u32,
    now: DateTime<Utc>,
    callback_at: Option<DateTime<Utc>>,
    rules: RetryRules,
) -> Result<NextStep, CallError> {
    match outcome {
        Outcome::Reached | Outcome::Refused | Outcome::Converted => {
            Ok(NextStep::Done { exhausted: false })
        }
        Outcome::CallBackLater => {
            let at = callback_at.ok_or(CallError::CallbackTimeMissing)?;
            if at <= now || at > now + Duration::days(MAX_CALLBACK_DAYS) {
                return Err(CallError::CallbackTimeOutOfRange);
            }
            Ok(NextStep::Retry { at })
        }
        Outcome::Unreachable | Outcome::Interested => {
            if attempts >= rules.max_attempts {
                Ok(NextStep::Done { exhausted: true })
            } else {
                Ok(NextStep::Retry {
                    at: now + Duration::hours(i64::from(rules.retry_hours)),
                })
            }
        }
    }
}

/// The local (China) day an instant falls on: the unit of "once a day" and of quotas.
pub fn call_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

/// The local hours in which agents may call (e.g. 09:00–20:00, China time), every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingHours(pub Span);

impl CallingHours {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&china_offset());
        let minute = local.hour() * 60 + local.minute();
        (self.0.start..self.0.end).contains(&minute)
    }
}

/// How many more customers an agent's list may take today: the quota less the calls
/// already made today and the customers already on today's list waiting for a call.
pub fn list_allowance(quota: u32, called_today: u32, listed_waiting: u32) -> u32 {
    quota.saturating_sub(called_today.saturating_add(listed_waiting))
}

/// A campaign definition as entered, before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDraft {
    pub name: String,
    pub script: String,
    pub daily_quota: i64,
    pub calling_hours: String,
    pub retry_hours: i64,
    pub max_attempts: i64,
}

/// An accepted definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRules {
    pub name: String,
    pub script: String,
    pub daily_quota: u32,
    pub calling_hours: CallingHours,
    pub retry: RetryRules,
}

/// A refused field of a campaign definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    /// A stable code (`invalid_quota` …) the pages translate.
    pub code: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        code,
        message: message.into(),
    }
}

impl CampaignDraft {
    pub fn validate(&self) -> Result<CampaignRules, FieldError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(refuse("name", "name_missing", "the campaign needs a name"));
        }
        if name.chars().count() > MAX_NAME_CHARS || name.contains('\n') {
            return Err(refuse(
                "name",
                "name_too_long",
                format!("the name is one line of at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let script = self.script.replace("\r\n", "\n");
        let script = script.trim();
        if script.chars().count() > MAX_SCRIPT_CHARS {
            return Err(refuse(
                "script",
                "script_too_long",
                format!("the script is longer than {MAX_SCRIPT_CHARS} characters"),
            ));
        }
        if !(1..=i64::from(MAX_DAILY_QUOTA)).contains(&self.daily_quota) {
            return Err(refuse(
                "daily_quota",
                "invalid_quota",
                format!("the daily quota is a whole number from 1 to {MAX_DAILY_QUOTA}"),
            ));
        }
        let span = Span::parse(&self.calling_hours).map_err(|_| {
            refuse(
                "calling_hours",
                "invalid_calling_hours",
                "calling hours are written HH:MM-HH:MM, e.g. 09:00-20:00",
            )
        })?;
        if !(1..=i64::from(MAX_RETRY_HOURS)).contains(&self.retry_hours) {
            return Err(refuse(
                "retry_hours",
                "invalid_retry_hours",
                format!("the retry interval is 1 to {MAX_RETRY_HOURS} hours"),
            ));
        }
        if !(1..=i64::from(MAX_ATTEMPTS)).contains(&self.max_attempts) {
            return Err(refuse(
                "max_attempts",
                "invalid_max_attempts",
                format!("the attempts per customer are 1 to {MAX_ATTEMPTS}"),
            ));
        }
        Ok(CampaignRules {
            name: name.to_string(),
            script: script.to_string(),
            daily_quota: self.daily_quota as u32,
            calling_hours: CallingHours(span),
            retry: RetryRules {
                retry_hours: self.retry_hours as u32,
                max_attempts: self.max_attempts as u32,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn cst(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(2026, 12, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    const RULES: RetryRules = RetryRules {
        retry_hours: 4,
        max_attempts: 3,
    };

    #[test]
    fn final_outcomes_end_the_target() {
        for o in [Outcome::Reached, Outcome::Refused, Outcome::Converted] {
            assert!(o.is_final());
            assert_eq!(
                next_step(o, 1, cst(1, 10, 0), None, RULES),
                Ok(NextStep::Done { exhausted: false })
            );
        }
        assert!(!Outcome::Unreachable.is_reached());
        assert!(Outcome::Refused.is_reached());
    }

    #[test]
    fn unreachable_is_retried_after_the_interval_until_the_attempts_run_out() {
        let now = cst(1, 10, 0);
        assert_eq!(
            next_step(Outcome::Unreachable, 1, now, None, RULES),
            Ok(NextStep::Retry { at: cst(1, 14, 0) })
        );
        assert_eq!(
            next_step(Outcome::Interested, 2, now, None, RULES),
            Ok(NextStep::Retry { at: cst(1, 14, 0) })
        );
        assert_eq!(
            next_step(Outcome::Unreachable, 3, now, None, RULES),
            Ok(NextStep::Done { exhausted: true })
        );
    }

    #[test]
    fn call_back_later_needs_a_future_time_and_never_gives_up() {
        let now = cst(1, 10, 0);
        assert_eq!(
            next_step(Outcome::CallBackLater, 1, now, None, RULES),
            Err(CallError::CallbackTimeMissing)
        );
        assert_eq!(
            next_step(Outcome::CallBackLater, 1, now, Some(cst(1, 9, 0)), RULES),
            Err(CallError::CallbackTimeOutOfRange)
        );
        assert_eq!(
            next_step(Outcome::CallBackLater, 9, now, Some(cst(2, 15, 0)), RULES),
            Ok(NextStep::Retry { at: cst(2, 15, 0) })
        );
    }

    #[test]
    fn calling_hours_are_local_china_time() {
        let hours = CallingHours(Span::parse("09:00-20:00").unwrap());
        assert!(!hours.contains(cst(1, 8, 59)));
        assert!(hours.contains(cst(1, 9, 0)));
        assert!(hours.contains(cst(1, 19, 59)));
        assert!(!hours.contains(cst(1, 20, 0)));
        // 01:30 UTC is 09:30 in Beijing.
        assert!(hours.contains(Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap()));
        assert_eq!(
            call_day(Utc.with_ymd_and_hms(2026, 12, 1, 17, 0, 0).unwrap()),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn status_changes_follow_the_controls() {
        use CampaignAction as A;
        use CampaignStatus as S;
        assert_eq!(S::Draft.apply(A::Start), Some(S::Active));
        assert_eq!(S::Active.apply(A::Pause), Some(S::Paused));
        assert_eq!(S::Paused.apply(A::Resume), Some(S::Active));
        assert_eq!(S::Paused.apply(A::Finish), Some(S::Finished));
        assert_eq!(S::Active.apply(A::Start), None);
        assert_eq!(S::Finished.apply(A::Resume), None);
        assert_eq!(S::Draft.apply(A::Pause), None);
    }

    fn draft() -> CampaignDraft {
        CampaignDraft {
            name: " 未认证用户激活 ".into(),
            script: "您好，我是客服{工号}".into(),
            daily_quota: 30,
            calling_hours: "09:00-20:00".into(),
            retry_hours: 4,
            max_attempts: 3,
        }
    }

    #[test]
    fn validation_names_the_field() {
        let ok = draft().validate().unwrap();
        assert_eq!(ok.name, "未认证用户激活");
        assert_eq!(ok.daily_quota, 30);
        type Change = fn(&mut CampaignDraft);
        let cases: [(Change, &str); 6] = [
            (|d| d.name = "  ".into(), "name"),
            (|d| d.daily_quota = 0, "daily_quota"),
            (|d| d.daily_quota = 501, "daily_quota"),
            (|d| d.calling_hours = "9-20".into(), "calling_hours"),
            (|d| d.retry_hours = 0, "retry_hours"),
            (|d| d.max_attempts = 21, "max_attempts"),
        ];
        for (change, field) in cases {
            let mut d = draft();
            change(&mut d);
            assert_eq!(d.validate().unwrap_err().field, field);
        }
    }

    proptest! {
        /// Over simulated days with any mix of calls and list refills, an agent never gets
        /// more customers on a day than the quota.
        #[test]
        fn the_quota_is_never_exceeded(
            quota in 1u32..40,
            days in proptest::collection::vec(
                proptest::collection::vec((0u32..10, any::<bool>()), 1..8), 1..10),
        ) {
            for refills in days {
                let (mut called, mut waiting) = (0u32, 0u32);
                for (available, call_all) in refills {
                    let take = list_allowance(quota, called, waiting).min(available);
                    waiting += take;
                    if call_all {
                        called += waiting;
                        waiting = 0;
                    }
                    prop_assert!(called + waiting <= quota);
                }
            }
        }

        /// A target is never retried before the interval nor called more than the attempts
        /// allow, whatever the outcomes.
        #[test]
        fn retries_respect_interval_and_attempts(
            outcomes in proptest::collection::vec(0usize..6, 1..30),
            retry_hours in 1u32..48, max_attempts in 1u32..8,
        ) {
            let rules = RetryRules { retry_hours, max_attempts };
            let mut now = cst(1, 10, 0);
            let mut attempts = 0;
            for i in outcomes {
                let outcome = Outcome::ALL[i];
                attempts += 1;
                let step = next_step(outcome, attempts, now, Some(now + Duration::hours(2)), rules)
                    .unwrap();
                match step {
                    NextStep::Done { exhausted } => {
                        prop_assert!(outcome.is_final() != exhausted);
                        // Given up only once the attempts ran out.
                        prop_assert!(!exhausted || attempts >= max_attempts);
                        break;
                    }
                    NextStep::Retry { at } => {
                        prop_assert!(at > now);
                        prop_assert!(!outcome.is_final());
                        if outcome != Outcome::CallBackLater {
                            prop_assert!(attempts < max_attempts);
                            prop_assert_eq!(at - now, Duration::hours(i64::from(retry_hours)));
                        }
                        now = at;
                    }
                }
            }
        }
    }
}
