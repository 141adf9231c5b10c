//! Every change to a ticket, in one transaction with its timeline event, its queue
//! counters, the jobs that watch its promise, notifications and the audit entry.

use super::create::schedule_promise_job;
use super::timeline::{append_event, notify_in, supervisors_in, Event};
use super::{apply_counter_deltas, queue_facts_in};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::backend::lock_row;
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Backend, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::ticket::{transition, Channel, StatusAction, TicketStatus, TransitionError};

/// The job kind that fires when a promise falls due.
pub const PROMISE_DUE_JOB: &str = "ticket.promise_due";

/// A change someone makes to a ticket. Access is checked by the caller; the rules that
/// depend on the ticket's state are checked here, inside the transaction.
#[derive(Debug, Clone)]
pub enum TicketChange {
    /// Give the ticket to someone, or back to the group queue (`None`).
    Assign {
        to: Option<String>,
    },
    /// Move it along the status machine. `deadlines` are the SLA deadlines recomputed by
    /// the caller when the change resumes a paused clock.
    Status {
        action: StatusAction,
        resumed: Option<ResumedDeadlines>,
    },
    Reply {
        channel: Channel,
        body: String,
    },
    Note {
        body: String,
    },
    Transfer {
        department_id: String,
        request: String,
    },
    CompleteTask {
        task_id: String,
        result: String,
    },
    Escalate {
        to: String,
        reason: String,
    },
    Promise {
        text: String,
        due: DateTime<Utc>,
    },
    /// The overdue protocol: progress told, apology made, new promise — one event.
    OverdueNotice {
        channel: Channel,
        progress: String,
        apology: String,
        promise_text: String,
        due: DateTime<Utc>,
    },
    Merge {
        into: String,
    },
    Link {
        other: String,
    },
}

impl TicketChange {
    fn kind(&self) -> &'static str {
        match self {
            TicketChange::Assign { .. } => "assigned",
            TicketChange::Status { .. } => "status",
            TicketChange::Reply { .. } => "reply",
            TicketChange::Note { .. } => "note",
            TicketChange::Transfer { .. } => "transferred",
            TicketChange::CompleteTask { .. } => "task_done",
            TicketChange::Escalate { .. } => "escalated",
            TicketChange::Promise { .. } => "promise",
            TicketChange::OverdueNotice { .. } => "overdue_notice",
            TicketChange::Merge { .. } => "merged",
            TicketChange::Link { .. } => "linked",
        }
    }
}

/// SLA deadlines moved on by the time the clock was paused.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResumedDeadlines {
    pub promise_due: Option<DateTime<Utc>>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TicketChangeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("the ticket is closed; reopen it first")]
    Closed,
    #[error(
        "the promise is overdue: send the overdue notice (progress, apology, new promise) instead"
    )]
    OverdueNoticeRequired,
    #[error("the ticket is not overdue")]
    NotOverdue,
    #[error("the promised time must be later than now")]
    PromiseInPast,
    #[error("{0} is not someone who can take this ticket")]
    UnknownAssignee(String),
    #[error("{0} is not a shift lead or manager over this ticket's department")]
    NotSupervisor(String),
    #[error("unknown department {0}")]
    UnknownDepartment(String),
    #[error("the ticket already has an open task for that department")]
    TaskOpen,
    #[error("no open task {0} on this ticket")]
    UnknownTask(String),
    #[error("a ticket cannot be merged into or linked with itself")]
    SameTicket,
    #[error("the other ticket does not exist or was merged")]
    UnknownOther,
    #[error("a complaint closes only after a callback finds the customer satisfied, or by a manager with a written reason")]
    ComplaintNotSatisfied,
}

impl From<sqlx::Error> for TicketChangeError {
    fn from(e: sqlx::Error) -> Self {
        TicketChangeError::Store(e.into())
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct Current {
    pub(super) status: String,
    pub(super) department_id: String,
    pub(super) first_owner_id: Option<String>,
    pub(super) assignee_id: Option<String>,
    pub(super) promise_seq: i64,
    pub(super) promise_due_at: Option<i64>,
    pub(super) overdue_since: Option<i64>,
    pub(super) first_responded_at: Option<i64>,
    pub(super) paused_at: Option<i64>,
    pub(super) subject: String,
}

pub(super) async fn current(tx: &mut Tx<'_>, id: &str) -> Result<Current, StoreError> {
    Ok(sqlx::query_as(
        "SELECT status, department_id, first_owner_id, assignee_id, promise_seq, promise_due_at, \
         overdue_since, first_responded_at, paused_at, subject FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Whether the ticket's SLA policy stops the clock in `status` (a ticket without a
/// policy, or whose policy is gone, pauses while waiting on the customer).
async fn pauses_in(tx: &mut Tx<'_>, id: &str, status: TicketStatus) -> Result<bool, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT p.pause_statuses FROM tickets t LEFT JOIN sla_policies p ON p.id = t.sla_policy_id \
         WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row.and_then(|(p,)| p) {
        Some(json) => serde_json::from_str::<Vec<String>>(&json)?
            .iter()
            .any(|s| s == status.code()),
        None => status == TicketStatus::WaitingCustomer,
    })
}

async fn set_status(
    tx: &mut Tx<'_>,
    id: &str,
    now: DateTime<Utc>,
    to: TicketStatus,
) -> Result<(), StoreError> {
    let paused = to.is_open() && pauses_in(tx, id, to).await?;
    let at = to_millis(now);
    let (resolved, closed) = match to {
        TicketStatus::Resolved => (Some(at), None),
        TicketStatus::Closed => (None, Some(at)),
        _ => (None, None),
    };
    sqlx::query(
        "UPDATE tickets SET status = $1, is_open = $2, \
         resolved_at = CASE WHEN $3 IS NULL THEN resolved_at ELSE $3 END, \
         closed_at = CASE WHEN $4 IS NULL THEN closed_at ELSE $4 END, \
         paused_at = CASE WHEN $6 = 1 THEN COALESCE(paused_at, $5) ELSE NULL END, \
         updated_at = $5 WHERE id = $7",
    )
    .bind(to.code())
    .bind(if to.is_open() { 1i64 } else { 0 })
    .bind(resolved)
    .bind(closed)
    .bind(at)
    .bind(if paused { 1i64 } else { 0 })
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A promise about to become the ticket's current one.
struct NewPromise<'a> {
    seq: i64,
    text: &'a str,
    due: DateTime<Utc>,
    /// Made by the overdue protocol (counted as renewed).
    renewal: bool,
}

/// Sets a new current promise and schedules the job that watches it.
async fn set_promise(
    tx: &mut Tx<'_>,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    p: NewPromise<'_>,
) -> Result<(), StoreError> {
    let NewPromise {
        seq,
        text,
        due,
        renewal,
    } = p;
    sqlx::query(
        "UPDATE tickets SET promise_seq = $1, promise_text = $2, promise_due_at = $3, \
         promise_by_id = $4, promise_made_at = $5, overdue_since = NULL, \
         renewed_count = renewed_count + $6, updated_at = $5 WHERE id = $7",
    )
    .bind(seq)
    .bind(text)
    .bind(to_millis(due))
    .bind(actor.user_id.as_deref())
    .bind(to_millis(now))
    .bind(if renewal { 1i64 } else { 0 })
    .bind(id)
    .execute(&mut **tx)
    .await?;
    schedule_promise_job(tx, now, id, seq, due).await
}

impl Db {
    /// Applies one change to a ticket.
    #[tracing::instrument(skip_all, fields(change = change.kind()))]
    pub async fn change_ticket(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        change: &TicketChange,
    ) -> Result<(), TicketChangeError> {
        let mut tx = self.write.begin().await?;
        change_in(&mut tx, self.backend(), actor, now, id, change).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Applies one change inside the caller's transaction (the complaint loop moves its
/// ticket through the same path, in its own transaction).
pub(crate) async fn change_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    change: &TicketChange,
) -> Result<(), TicketChangeError> {
    lock_row(backend, tx, "tickets", id).await?;
    let cur = current(tx, id).await?;
    let status = TicketStatus::from_code(&cur.status).unwrap_or(TicketStatus::New);
    let before = queue_facts_in(tx, id).await?;
    let at = to_millis(now);
    let kind = change.kind();
    let closed_ok = matches!(
        change,
        TicketChange::Note { .. } | TicketChange::Status { .. } | TicketChange::Link { .. }
    );
    if !status.is_open() && !closed_ok {
        return Err(TicketChangeError::Closed);
    }
    match change {
        TicketChange::Assign { to } => {
            if let Some(to) = to {
                let ok: Option<(i64,)> =
                    sqlx::query_as("SELECT active FROM users WHERE id = $1 AND active = 1")
                        .bind(to)
                        .fetch_optional(&mut **tx)
                        .await?;
                if ok.is_none() {
                    return Err(TicketChangeError::UnknownAssignee(to.clone()));
                }
            }
            // First owner: whoever first holds the ticket, never changed after.
            let new_status = match (to, status) {
                (Some(_), TicketStatus::New) => TicketStatus::Assigned,
                _ => status,
            };
            sqlx::query(
                "UPDATE tickets SET assignee_id = $1, \
                 first_owner_id = COALESCE(first_owner_id, $1), status = $2, updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(to.as_deref())
            .bind(new_status.code())
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({ "from": cur.assignee_id, "to": to });
            append_event(tx, &Event::new(id, actor, now, kind).detail(detail)).await?;
        }
        TicketChange::Status { action, resumed } => {
            let to = transition(status, *action)?;
            if *action == StatusAction::Close
                && !crate::complaints::close_allowed_in(tx, id).await?
            {
                return Err(TicketChangeError::ComplaintNotSatisfied);
            }
            set_status(tx, id, now, to).await?;
            if *action == StatusAction::Reopen {
                crate::complaints::reopened_in(tx, actor, now, id).await?;
            }
            if to == TicketStatus::Resolved {
                crate::callbacks::ticket_resolved_in(tx, now, id).await?;
            }
            if let Some(r) = resumed {
                sqlx::query(
                    "UPDATE tickets SET \
                     promise_due_at = COALESCE($1, promise_due_at), \
                     first_response_due = COALESCE($2, first_response_due), \
                     resolution_due = COALESCE($3, resolution_due) WHERE id = $4",
                )
                .bind(r.promise_due.map(to_millis))
                .bind(r.first_response_due.map(to_millis))
                .bind(r.resolution_due.map(to_millis))
                .bind(id)
                .execute(&mut **tx)
                .await?;
                if let Some(due) = r.promise_due {
                    // The old watch job would fire early: move the promise to a new seq.
                    let seq = cur.promise_seq + 1;
                    sqlx::query("UPDATE tickets SET promise_seq = $1 WHERE id = $2")
                        .bind(seq)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    schedule_promise_job(tx, now, id, seq, due).await?;
                }
            }
            let detail = serde_json::json!({ "from": status.code(), "to": to.code() });
            append_event(
                tx,
                &Event::new(id, actor, now, kind).detail(detail).public(),
            )
            .await?;
        }
        TicketChange::Reply { channel, body } => {
            // A reply keeps the current promise (when not already overdue).
            let kept = cur.promise_due_at.is_some() && cur.overdue_since.is_none();
            sqlx::query(
                "UPDATE tickets SET first_responded_at = COALESCE(first_responded_at, $1), \
                 promise_text = CASE WHEN $2 = 1 THEN NULL ELSE promise_text END, \
                 promise_due_at = CASE WHEN $2 = 1 THEN NULL ELSE promise_due_at END, \
                 updated_at = $1 WHERE id = $3",
            )
            .bind(at)
            .bind(if kept { 1i64 } else { 0 })
            .bind(id)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({
                "first_response": cur.first_responded_at.is_none(),
                "promise_kept": kept.then_some(cur.promise_seq),
            });
            append_event(
                tx,
                &Event::new(id, actor, now, kind)
                    .channel(channel.code())
                    .body(body)
                    .detail(detail)
                    .public(),
            )
            .await?;
        }
        TicketChange::Note { body } => {
            touch(tx, id, at).await?;
            append_event(tx, &Event::new(id, actor, now, kind).body(body)).await?;
        }
        TicketChange::Transfer {
            department_id,
            request,
        } => {
            let dept: Option<(String,)> =
                sqlx::query_as("SELECT name FROM departments WHERE id = $1")
                    .bind(department_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some((dept_name,)) = dept else {
                return Err(TicketChangeError::UnknownDepartment(department_id.clone()));
            };
            if before.task_departments.contains(department_id) {
                return Err(TicketChangeError::TaskOpen);
            }
            sqlx::query(
                "INSERT INTO ticket_tasks (id, ticket_id, department_id, state, request, created_by, created_at) \
                 VALUES ($1, $2, $3, 'open', $4, $5, $6)",
            )
            .bind(new_id())
            .bind(id)
            .bind(department_id)
            .bind(request)
            .bind(actor.user_id.as_deref())
            .bind(at)
            .execute(&mut **tx)
            .await?;
            if let Ok(to) = transition(status, StatusAction::WaitForDepartment) {
                set_status(tx, id, now, to).await?;
            } else {
                touch(tx, id, at).await?;
            }
            let detail =
                serde_json::json!({ "department_id": department_id, "department": dept_name });
            append_event(
                tx,
                &Event::new(id, actor, now, kind)
                    .body(request)
                    .detail(detail),
            )
            .await?;
        }
        TicketChange::CompleteTask { task_id, result } => {
            let task: Option<(String,)> = sqlx::query_as(
                "SELECT department_id FROM ticket_tasks WHERE id = $1 AND ticket_id = $2 AND state = 'open'",
            )
            .bind(task_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
            let Some((task_dept,)) = task else {
                return Err(TicketChangeError::UnknownTask(task_id.clone()));
            };
            sqlx::query(
                "UPDATE ticket_tasks SET state = 'done', result = $1, done_by = $2, done_at = $3 WHERE id = $4",
            )
            .bind(result)
            .bind(actor.user_id.as_deref())
            .bind(at)
            .bind(task_id)
            .execute(&mut **tx)
            .await?;
            let (open,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM ticket_tasks WHERE ticket_id = $1 AND state = 'open'",
            )
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            if open == 0 && status == TicketStatus::WaitingDepartment {
                set_status(tx, id, now, TicketStatus::InProgress).await?;
            } else {
                touch(tx, id, at).await?;
            }
            let detail = serde_json::json!({ "task_id": task_id, "department_id": task_dept });
            append_event(
                tx,
                &Event::new(id, actor, now, kind).body(result).detail(detail),
            )
            .await?;
            let owners: Vec<String> = [cur.first_owner_id.clone(), cur.assignee_id.clone()]
                .into_iter()
                .flatten()
                .collect();
            notify_in(tx, &owners, now, "task_done", Some(id), &cur.subject).await?;
        }
        TicketChange::Escalate { to, reason } => {
            if !supervisors_in(tx, &cur.department_id).await?.contains(to) {
                return Err(TicketChangeError::NotSupervisor(to.clone()));
            }
            sqlx::query("UPDATE tickets SET escalated_to_id = $1, updated_at = $2 WHERE id = $3")
                .bind(to)
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let detail = serde_json::json!({ "to": to });
            append_event(
                tx,
                &Event::new(id, actor, now, kind).body(reason).detail(detail),
            )
            .await?;
            notify_in(
                tx,
                std::slice::from_ref(to),
                now,
                "escalated",
                Some(id),
                reason,
            )
            .await?;
        }
        TicketChange::Promise { text, due } => {
            if cur.overdue_since.is_some() {
                return Err(TicketChangeError::OverdueNoticeRequired);
            }
            if *due <= now {
                return Err(TicketChangeError::PromiseInPast);
            }
            let seq = cur.promise_seq + 1;
            let p = NewPromise {
                seq,
                text,
                due: *due,
                renewal: false,
            };
            set_promise(tx, id, actor, now, p).await?;
            let detail = serde_json::json!({ "due_at": to_millis(*due), "seq": seq });
            append_event(
                tx,
                &Event::new(id, actor, now, kind)
                    .body(text)
                    .detail(detail)
                    .public(),
            )
            .await?;
        }
        TicketChange::OverdueNotice {
            channel,
            progress,
            apology,
            promise_text,
            due,
        } => {
            let Some(overdue_since) = cur.overdue_since else {
                return Err(TicketChangeError::NotOverdue);
            };
            if *due <= now {
                return Err(TicketChangeError::PromiseInPast);
            }
            let seq = cur.promise_seq + 1;
            let p = NewPromise {
                seq,
                text: promise_text,
                due: *due,
                renewal: true,
            };
            set_promise(tx, id, actor, now, p).await?;
            sqlx::query(
                "UPDATE tickets SET first_responded_at = COALESCE(first_responded_at, $1) WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({
                "progress": progress,
                "apology": apology,
                "promise": promise_text,
                "due_at": to_millis(*due),
                "seq": seq,
                "overdue_since": overdue_since,
            });
            append_event(
                tx,
                &Event::new(id, actor, now, kind)
                    .channel(channel.code())
                    .body(progress)
                    .detail(detail)
                    .public(),
            )
            .await?;
        }
        TicketChange::Merge { into } => {
            if into == id {
                return Err(TicketChangeError::SameTicket);
            }
            // Merging closes the ticket: a complaint's close rule applies.
            if !crate::complaints::close_allowed_in(tx, id).await? {
                return Err(TicketChangeError::ComplaintNotSatisfied);
            }
            lock_row(backend, tx, "tickets", into).await?;
            let target: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT number, merged_into_id FROM tickets WHERE id = $1")
                    .bind(into)
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some((target_number, None)) = target else {
                return Err(TicketChangeError::UnknownOther);
            };
            let (number,): (String,) = sqlx::query_as("SELECT number FROM tickets WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
            set_status(tx, id, now, TicketStatus::Closed).await?;
            sqlx::query(
                "UPDATE ticket_tasks SET state = 'cancelled', done_at = $1 WHERE ticket_id = $2 AND state = 'open'",
            )
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE tickets SET merged_into_id = $1 WHERE id = $2")
                .bind(into)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            let detail = serde_json::json!({ "into": into, "into_number": target_number });
            append_event(tx, &Event::new(id, actor, now, kind).detail(detail)).await?;
            let detail = serde_json::json!({ "from": id, "from_number": number });
            append_event(
                tx,
                &Event::new(into, actor, now, "merged_from").detail(detail),
            )
            .await?;
            touch(tx, into, at).await?;
        }
        TicketChange::Link { other } => {
            if other == id {
                return Err(TicketChangeError::SameTicket);
            }
            let exists: Option<(String,)> =
                sqlx::query_as("SELECT number FROM tickets WHERE id = $1")
                    .bind(other)
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some((other_number,)) = exists else {
                return Err(TicketChangeError::UnknownOther);
            };
            for (a, b) in [(id, other.as_str()), (other.as_str(), id)] {
                sqlx::query(
                    "INSERT INTO ticket_links (ticket_id, other_id, kind, created_at) VALUES ($1, $2, 'related', $3) \
                     ON CONFLICT (ticket_id, other_id) DO NOTHING",
                )
                .bind(a)
                .bind(b)
                .bind(at)
                .execute(&mut **tx)
                .await?;
            }
            let detail = serde_json::json!({ "other": other, "other_number": other_number });
            append_event(tx, &Event::new(id, actor, now, kind).detail(detail)).await?;
        }
    }
    let after = queue_facts_in(tx, id).await?;
    apply_counter_deltas(tx, Some(&before), &after).await?;
    let mut touched = vec![id.to_string()];
    if let TicketChange::Merge { into } = change {
        touched.push(into.clone());
    }
    search_log::record_in(tx, backend, Entity::Ticket, &touched, now).await?;
    let entry = NewAuditEntry::new(AuditAction::TicketChanged)
        .subject("ticket", id)
        .detail(kind);
    append_in(tx, actor, now, &entry).await?;
    Ok(())
}

async fn touch(tx: &mut Tx<'_>, id: &str, at: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
