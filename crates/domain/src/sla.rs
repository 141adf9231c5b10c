//! SLA policies (服务时限): which targets a work order gets — first response, the reply
//! promise (48 小时内答复) and resolution — chosen by type, priority and customer tier,
//! each measured on a business calendar; and the clock that pauses while the work order
//! waits on the customer.

use crate::calendar::BusinessCalendar;
use crate::ticket::{Priority, TicketStatus, TicketType};
use chrono::{DateTime, Duration, Utc};

code_enum!(
    /// The calendar a policy's targets are counted on.
    SlaCalendar {
        AroundTheClock = "24x7",
        Working = "working",
        OnDuty = "on_duty",
    }
);

code_enum!(
    /// The three promises every work order carries.
    SlaTarget {
        FirstResponse = "first_response",
        ReplyPromise = "reply_promise",
        Resolution = "resolution",
    }
);

/// The handbook's promise: an answer within 48 hours.
pub const DEFAULT_REPLY_PROMISE_MINUTES: i64 = 48 * 60;

/// The longest target a policy may set (a year of working time).
pub const MAX_TARGET_MINUTES: i64 = 366 * 24 * 60;

/// Which work orders a policy applies to; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaScope {
    pub ticket_type: Option<TicketType>,
    pub priority: Option<Priority>,
    pub tier: Option<String>,
}

impl SlaScope {
    pub fn matches(&self, ticket_type: TicketType, priority: Priority, tier: Option<&str>) -> bool {
        self.ticket_type.is_none_or(|t| t == ticket_type)
            && self.priority.is_none_or(|p| p == priority)
            && self
                .tier
                .as_deref()
                .is_none_or(|want| tier.is_some_and(|t| t == want))
    }

    /// How specific the scope is: more named criteria first; between scopes naming as
    /// many, type before priority before tier. Two different scopes never score alike.
    pub fn specificity(&self) -> u8 {
        let (t, p, r) = (
            self.ticket_type.is_some(),
            self.priority.is_some(),
            self.tier.is_some(),
        );
        (u8::from(t) + u8::from(p) + u8::from(r)) * 8
            + u8::from(t) * 4
            + u8::from(p) * 2
            + u8::from(r)
    }

    /// Whether the scope names nothing (the catch-all policy every kefu keeps).
    pub fn is_catch_all(&self) -> bool {
        self.specificity() == 0
    }
}

/// Picks the policy for a work order: of the `candidates` whose scope matches, the most
/// specific; between equally specific ones (the same scope twice), the smallest id —
/// ids are time-ordered, so the older policy wins, whatever order the rows came in.
pub fn match_policy<'a, T>(
    candidates: &'a [T],
    scope_and_id: impl Fn(&T) -> (&SlaScope, &str),
    ticket_type: TicketType,
    priority: Priority,
    tier: Option<&str>,
) -> Option<&'a T> {
    candidates
        .iter()
        .filter(|c| scope_and_id(c).0.matches(ticket_type, priority, tier))
        .min_by(|a, b| {
            let (sa, ia) = scope_and_id(a);
            let (sb, ib) = scope_and_id(b);
            sb.specificity()
                .cmp(&sa.specificity())
                .then_with(|| ia.cmp(ib))
        })
}

/// One target's clock. It runs on the policy's calendar (so nights, weekends and
/// holidays already do not count) and stops entirely while the work order waits in a
/// paused status: the working time still left is kept and counted again from the
/// moment work resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaClock {
    Running { due: DateTime<Utc> },
    Paused { remaining: Duration },
}

impl SlaClock {
    /// Starts a target of `target` working time at `now`. `None` when the calendar has
    /// no working time in the next ten years.
    pub fn start(
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
        target: Duration,
    ) -> Option<Self> {
        calendar
            .add_working(now, target)
            .map(|due| SlaClock::Running { due })
    }

    /// The deadline, while the clock runs.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self {
            SlaClock::Running { due } => Some(*due),
            SlaClock::Paused { .. } => None,
        }
    }

    pub fn is_breached(&self, now: DateTime<Utc>) -> bool {
        self.due().is_some_and(|due| due <= now)
    }

    /// Stops the clock at `now`, keeping the working time left. A deadline that has
    /// already passed stays as it was: waiting on the customer does not undo a breach.
    pub fn pause(self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> Self {
        match self {
            SlaClock::Running { due } if due > now => SlaClock::Paused {
                remaining: calendar.working_between(now, due),
            },
            other => other,
        }
    }

    /// Restarts a paused clock at `now` with the working time it had left.
    pub fn resume(self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> Option<Self> {
        match self {
            SlaClock::Paused { remaining } => SlaClock::start(calendar, now, remaining),
            running => Some(running),
        }
    }

    /// Follows a status change: pauses on entering one of `pause_statuses`, resumes on
    /// leaving them.
    pub fn on_status(
        self,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
        status: TicketStatus,
        pause_statuses: &[TicketStatus],
    ) -> Option<Self> {
        if pause_statuses.contains(&status) {
            Some(self.pause(calendar, now))
        } else {
            self.resume(calendar, now)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::china_offset;
    use chrono::TimeZone;

    fn scope(t: Option<TicketType>, p: Option<Priority>, tier: Option<&str>) -> SlaScope {
        SlaScope {
            ticket_type: t,
            priority: p,
            tier: tier.map(str::to_string),
        }
    }

    #[test]
    fn the_most_specific_matching_policy_wins() {
        let policies = vec![
            (scope(None, None, None), "01"),
            (scope(Some(TicketType::Complaint), None, None), "02"),
            (scope(None, Some(Priority::Urgent), Some("VIP")), "03"),
            (
                scope(Some(TicketType::Complaint), Some(Priority::Urgent), None),
                "04",
            ),
            (scope(None, None, Some("VIP")), "05"),
        ];
        let pick = |t, p, tier| {
            match_policy(&policies, |(s, id)| (s, *id), t, p, tier)
                .map(|x| x.1)
                .unwrap()
        };
        assert_eq!(pick(TicketType::Inquiry, Priority::Normal, None), "01");
        assert_eq!(
            pick(TicketType::Complaint, Priority::Normal, Some("A")),
            "02"
        );
        assert_eq!(
            pick(TicketType::Complaint, Priority::Urgent, Some("VIP")),
            "04"
        );
        assert_eq!(
            pick(TicketType::Inquiry, Priority::Urgent, Some("VIP")),
            "03"
        );
        // Type alone outranks tier alone.
        assert_eq!(
            pick(TicketType::Complaint, Priority::Low, Some("VIP")),
            "02"
        );
        assert_eq!(pick(TicketType::Repair, Priority::Low, Some("VIP")), "05");
        let none: Vec<(SlaScope, &str)> = vec![(scope(None, None, Some("VIP")), "x")];
        assert!(match_policy(
            &none,
            |(s, id)| (s, *id),
            TicketType::Bug,
            Priority::Low,
            None
        )
        .is_none());
    }

    #[test]
    fn a_clock_paused_after_its_deadline_stays_breached() {
        let c = BusinessCalendar::china_office_hours();
        let t = |d, h| {
            china_offset()
                .with_ymd_and_hms(2026, 11, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let clock = SlaClock::start(&c, t(23, 9), Duration::hours(2)).unwrap();
        assert_eq!(clock.due(), Some(t(23, 11)));
        let late = clock.pause(&c, t(23, 15));
        assert_eq!(late, clock);
        assert!(late.is_breached(t(23, 15)));
        let waiting = clock.pause(&c, t(23, 10));
        assert_eq!(
            waiting,
            SlaClock::Paused {
                remaining: Duration::hours(1)
            }
        );
        // Resumed on Friday at half past five: half an hour on Friday (the office closes at
        // six), half an hour on Monday.
        let friday = t(27, 17) + Duration::minutes(30);
        let resumed = waiting.resume(&c, friday).unwrap();
        assert_eq!(resumed.due(), Some(t(30, 9) + Duration::minutes(30)));
        let statuses = [TicketStatus::WaitingCustomer];
        let c2 = clock
            .on_status(&c, t(23, 10), TicketStatus::WaitingCustomer, &statuses)
            .unwrap();
        assert_eq!(c2, waiting);
        assert_eq!(
            c2.on_status(&c, friday, TicketStatus::InProgress, &statuses),
            Some(resumed)
        );
    }
}
