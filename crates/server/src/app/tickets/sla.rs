//! The deadlines a ticket gets: the SLA policy that matches it and the business calendar
//! the policy is measured on (both configured by the admin, see `kefu_store::sla`).

use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::calendar::{china_offset, BusinessCalendar};
use kefu_domain::sla::SlaTarget;
use kefu_domain::ticket::{Priority, TicketStatus, TicketType};
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

/// The policy for a new ticket of this type and priority, for a customer of this tier.
pub async fn plan_for(
    state: &AppState,
    ticket_type: TicketType,
    priority: Priority,
    tier: Option<&str>,
) -> Result<Plan, AppError> {
    let (policy, calendar) = state
        .db()
        .sla_for(ticket_type, priority, tier, china_offset())
        .await?;
    let target = |which: SlaTarget| {
        policy
            .targets()
            .into_iter()
            .find(|(t, _)| *t == which)
            .map(|(_, d)| d)
            .unwrap_or_default()
    };
    Ok(Plan {
        policy_id: Some(policy.id.clone()),
        first_response: target(SlaTarget::FirstResponse),
        reply_promise: target(SlaTarget::ReplyPromise),
        resolution: target(SlaTarget::Resolution),
        calendar,
    })
}

/// The calendar an existing ticket's deadlines are measured on, and the statuses in
/// which its clock stops. A ticket whose policy was deleted keeps the working calendar
/// and pauses while waiting on the customer.
pub async fn calendar_for(
    state: &AppState,
    policy_id: Option<&str>,
) -> Result<(BusinessCalendar, Vec<TicketStatus>), AppError> {
    use kefu_domain::sla::SlaCalendar;
    let db = state.db();
    let (calendar, pauses) = match policy_id {
        Some(id) => match db.get_sla_policy(id).await {
            Ok(p) => (p.calendar, p.pause_statuses),
            Err(kefu_store::StoreError::NotFound) => {
                (SlaCalendar::Working, vec![TicketStatus::WaitingCustomer])
            }
            Err(e) => return Err(e.into()),
        },
        None => (SlaCalendar::Working, vec![TicketStatus::WaitingCustomer]),
    };
    Ok((
        db.business_calendar(calendar, china_offset()).await?,
        pauses,
    ))
}
