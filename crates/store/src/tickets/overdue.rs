//! A promise falls due: the effect the scheduler's deadline job writes in its own
//! transaction.

use super::changes::current;
use super::timeline::{append_event, notify_in, supervisors_in, Event};
use super::{apply_counter_deltas, queue_facts_in};
use crate::audit::Actor;
use crate::backend::lock_row;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::ticket::TicketStatus;

/// What firing a promise deadline did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueOutcome {
    pub ticket_id: String,
    pub notified: Vec<String>,
}

/// Marks the ticket overdue if promise `seq` is still its current, unkept promise.
/// Runs inside the deadline job's transaction.
pub async fn mark_promise_overdue_in(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    ticket_id: &str,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<Option<OverdueOutcome>, StoreError> {
    lock_row(backend, tx, "tickets", ticket_id).await?;
    let cur = match current(tx, ticket_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let status = TicketStatus::from_code(&cur.status).unwrap_or(TicketStatus::New);
    let Some(due) = cur.promise_due_at else {
        return Ok(None);
    };
    // A paused clock (waiting on the customer) reschedules the promise when it resumes.
    if !status.is_open()
        || cur.promise_seq != seq
        || cur.overdue_since.is_some()
        || cur.paused_at.is_some()
    {
        return Ok(None);
    }
    let before = queue_facts_in(tx, ticket_id).await?;
    sqlx::query(
        "UPDATE tickets SET overdue_since = $1, overdue_count = overdue_count + 1 WHERE id = $2",
    )
    .bind(due)
    .bind(ticket_id)
    .execute(&mut **tx)
    .await?;
    let after = queue_facts_in(tx, ticket_id).await?;
    apply_counter_deltas(tx, Some(&before), &after).await?;
    let system = Actor {
        user_id: None,
        name: "system".into(),
        client_addr: None,
    };
    append_event(
        tx,
        &Event::new(ticket_id, &system, crate::from_millis(due), "overdue")
            .detail(serde_json::json!({ "seq": seq, "due_at": due })),
    )
    .await?;
    let mut notified: Vec<String> = [cur.first_owner_id, cur.assignee_id]
        .into_iter()
        .flatten()
        .collect();
    notified.extend(supervisors_in(tx, &cur.department_id).await?);
    notified.sort();
    notified.dedup();
    notify_in(tx, &notified, now, "overdue", Some(ticket_id), &cur.subject).await?;
    Ok(Some(OverdueOutcome {
        ticket_id: ticket_id.to_string(),
        notified,
    }))
}
