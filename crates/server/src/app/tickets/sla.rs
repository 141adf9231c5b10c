//! The deadlines a ticket gets: its SLA policy and the business calendar the policy is
//! measured on.

use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::calendar::{BusinessCalendar, CHINA_2026};
use kefu_domain::ticket::{Priority, TicketType};
use kefu_store::tickets::TicketDeadlines;

/// A matched policy with its calendar.
pub struct Plan {
    pub policy_id: Option<String>,
    pub calendar: BusinessCalendar,
    pub first_response: Duration,
    pub reply_promise: Duration,
    pub resolution: Duration,
}

impl Plan {
    /// The deadlines and the opening promise of a ticket created at `now`.
    pub fn deadlines(&self, now: DateTime<Utc>, promise_text: String) -> TicketDeadlines {
        TicketDeadlines {
            sla_policy_id: self.policy_id.clone(),
            first_response_due: self.calendar.add_working(now, self.first_response),
            resolution_due: self.calendar.add_working(now, self.resolution),
            promise: self
                .calendar
                .add_working(now, self.reply_promise)
                .map(|due| (promise_text, due)),
        }
    }
}

/// The working-hours calendar with the shipped holiday arrangement.
fn working_calendar() -> Result<BusinessCalendar, AppError> {
    let mut c = BusinessCalendar::china_office_hours();
    c.load_holidays(CHINA_2026)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("holiday data: {e}")))?;
    Ok(c)
}

/// The policy for a new ticket of this type and priority, for a customer of this tier.
pub async fn plan_for(
    _state: &AppState,
    _ticket_type: TicketType,
    _priority: Priority,
    _tier: Option<&str>,
) -> Result<Plan, AppError> {
    Ok(Plan {
        policy_id: None,
        calendar: working_calendar()?,
        first_response: Duration::hours(4),
        reply_promise: Duration::hours(48),
        resolution: Duration::hours(120),
    })
}

/// The calendar an existing ticket's deadlines are measured on.
pub async fn calendar_for(
    _state: &AppState,
    _policy_id: Option<&str>,
) -> Result<BusinessCalendar, AppError> {
    working_calendar()
}
