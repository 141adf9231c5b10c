//! Tasks one at a time: created by a resolved ticket (after-sale; a repair ticket gets a
//! repair verification), by a handled complaint round, by hand or from an imported list;
//! and the attempts an agent records on them. A complaint callback's outcome drives the
//! complaint loop in the same transaction, so the loop runs through the callback queue.

use super::plans::settings_in;
use super::CallbackError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::backend::lock_row;
use crate::complaints::{complaint_callback_in, Callback, ComplaintError};
use crate::tickets::{change_in, TicketChange};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::callback::{AfterAttempt, Attempt, CallbackKind, Outcome, Refusal};
use kefu_domain::complaint::{AfterCallback, CallbackOutcome};
use kefu_domain::ticket::{transition, StatusAction, TicketStatus, TicketType};

/// A task to create (by a rule, by hand or from a list).
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Rules set one, so they never create a task twice; a task made by hand has none.
    pub dedupe_key: Option<String>,
    pub kind: CallbackKind,
    pub customer_id: Option<String>,
    pub ticket_id: Option<String>,
    pub round: Option<i64>,
    pub title: Option<String>,
    pub article_id: Option<String>,
    pub due_at: DateTime<Utc>,
    pub assignee_id: Option<String>,
}

impl NewTask {
    pub fn new(kind: CallbackKind, due_at: DateTime<Utc>) -> Self {
        NewTask {
            dedupe_key: None,
            kind,
            customer_id: None,
            ticket_id: None,
            round: None,
            title: None,
            article_id: None,
            due_at,
            assignee_id: None,
        }
    }
}

/// Inserts a task unless its dedupe key is taken; returns its id when created.
pub(crate) async fn insert_task_in(
    tx: &mut Tx<'_>,
    actor: Option<&str>,
    now: DateTime<Utc>,
    t: &NewTask,
) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let due = to_millis(t.due_at);
    let done = sqlx::query(
        "INSERT INTO callback_tasks (id, dedupe_key, kind, customer_id, ticket_id, round, title, \
         article_id, due_at, next_at, watch_from, assignee_id, status, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10, 'open', $11, $12, $12) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&id)
    .bind(t.dedupe_key.as_deref())
    .bind(t.kind.code())
    .bind(t.customer_id.as_deref())
    .bind(t.ticket_id.as_deref())
    .bind(t.round)
    .bind(t.title.as_deref())
    .bind(t.article_id.as_deref())
    .bind(due)
    .bind(t.assignee_id.as_deref())
    .bind(actor)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// A ticket was resolved: after-sale callback (repair verification for repairs) when the
/// policy lists its type. Complaints get theirs from the handling ([`complaint_handled_in`]).
pub(crate) async fn ticket_resolved_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    ticket_id: &str,
) -> Result<(), StoreError> {
    let (ticket_type, customer_id, complaints): (String, Option<String>, i64) = sqlx::query_as(
        "SELECT t.ticket_type, t.customer_id, \
         (SELECT COUNT(*) FROM complaints c WHERE c.ticket_id = t.id) FROM tickets t WHERE t.id = $1",
    )
    .bind(ticket_id)
    .fetch_one(&mut **tx)
    .await?;
    let Some(ticket_type) = TicketType::from_code(&ticket_type) else {
        return Ok(());
    };
    if complaints > 0 || ticket_type == TicketType::Complaint {
        return Ok(());
    }
    let settings = settings_in(tx).await?;
    if !settings.after_sale_types.contains(&ticket_type) {
        return Ok(());
    }
    let kind = if ticket_type == TicketType::Repair {
        CallbackKind::RepairVerify
    } else {
        CallbackKind::AfterSale
    };
    let task = NewTask {
        dedupe_key: Some(format!("{}:{ticket_id}", kind.code())),
        customer_id,
        ticket_id: Some(ticket_id.to_string()),
        ..NewTask::new(kind, now + Duration::hours(settings.after_sale_delay_hours))
    };
    insert_task_in(tx, None, now, &task).await?;
    Ok(())
}

/// A complaint round was handled: its callback falls due now.
pub(crate) async fn complaint_handled_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    ticket_id: &str,
    round: i64,
) -> Result<(), StoreError> {
    let (customer_id,): (Option<String>,) =
        sqlx::query_as("SELECT customer_id FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut **tx)
            .await?;
    let task = NewTask {
        dedupe_key: Some(format!("complaint:{ticket_id}:{round}")),
        customer_id,
        ticket_id: Some(ticket_id.to_string()),
        round: Some(round),
        ..NewTask::new(CallbackKind::Complaint, now)
    };
    insert_task_in(tx, None, now, &task).await?;
    Ok(())
}

/// The complaint's callback was recorded (on the complaint page or through its task):
/// the round's open task is done with that outcome.
pub(crate) async fn complaint_called_back_in(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
    round: i64,
    outcome: CallbackOutcome,
) -> Result<(), StoreError> {
    let at = to_millis(now);
    sqlx::query(
        "UPDATE callback_tasks SET status = 'done', outcome = $1, closed_at = $2, closed_by = $3, \
         raised_at = NULL, updated_at = $2 WHERE ticket_id = $4 AND round = $5 AND kind = 'complaint' \
         AND status = 'open'",
    )
    .bind(outcome.code())
    .bind(at)
    .bind(actor.user_id.as_deref())
    .bind(ticket_id)
    .bind(round)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One attempt as recorded, with the handbook's record fields when the callback took
/// place (validated by the server).
#[derive(Debug, Clone)]
pub struct AttemptInput {
    pub attempt: Attempt,
    pub notes: Option<String>,
    pub contact_name: Option<String>,
    pub contact_gender: Option<String>,
    pub contact_phone: Option<String>,
    pub opinions: Option<String>,
    pub suggestions: Option<String>,
    pub fee_cents: Option<i64>,
    pub fee_confirmed: Option<bool>,
}

impl AttemptInput {
    pub fn new(attempt: Attempt) -> Self {
        AttemptInput {
            attempt,
            notes: None,
            contact_name: None,
            contact_gender: None,
            contact_phone: None,
            opinions: None,
            suggestions: None,
            fee_cents: None,
            fee_confirmed: None,
        }
    }
}

/// What an attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecorded {
    pub after: AfterAttempt,
    /// For a complaint callback: what the complaint loop did.
    pub complaint: Option<AfterCallback>,
}

#[derive(sqlx::FromRow)]
struct TaskState {
    kind: String,
    status: String,
    failed_attempts: i64,
    ticket_id: Option<String>,
}

fn from_complaint(e: ComplaintError) -> CallbackError {
    match e {
        ComplaintError::Store(e) => CallbackError::Store(e),
        ComplaintError::Ticket(e) => CallbackError::Ticket(e),
        ComplaintError::Refused(r) => CallbackError::Complaint(r),
        other => CallbackError::Store(StoreError::Refused(other.to_string())),
    }
}

/// A dissatisfied after-sale or repair callback reopens its resolved ticket.
async fn reopen_ticket(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
) -> Result<(), CallbackError> {
    let (status,): (String,) = sqlx::query_as("SELECT status FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_one(&mut **tx)
        .await?;
    let status = TicketStatus::from_code(&status).unwrap_or(TicketStatus::New);
    if transition(status, StatusAction::Reopen).is_ok() {
        let change = TicketChange::Status {
            action: StatusAction::Reopen,
            resumed: None,
        };
        change_in(tx, backend, actor, now, ticket_id, &change).await?;
    }
    Ok(())
}

impl Db {
    /// Creates a task by hand (or from a list); returns its id, or `None` when its dedupe
    /// key was taken.
    #[tracing::instrument(skip_all, fields(kind = t.kind.code()))]
    pub async fn create_callback_task(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        t: &NewTask,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = insert_task_in(&mut tx, actor.user_id.as_deref(), now, t).await?;
        if let Some(id) = &id {
            let entry = NewAuditEntry::new(AuditAction::CallbackCreated)
                .subject("callback", id)
                .detail(t.kind.code());
            append_in(&mut tx, actor, now, &entry).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Gives a task to someone (or back to the pool).
    pub async fn assign_callback_task(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        task_id: &str,
        assignee: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE callback_tasks SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
        )
        .bind(assignee)
        .bind(to_millis(now))
        .bind(task_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::CallbackChanged)
            .subject("callback", task_id)
            .detail("assign");
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records one attempt: the retry policy decides whether the task stays open (and
    /// when the next attempt is due) or closes; a complaint callback's outcome drives the
    /// complaint; a dissatisfied after-sale or repair callback reopens its ticket.
    #[tracing::instrument(skip_all, fields(result = input.attempt.result().code()))]
    pub async fn record_callback_attempt(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        task_id: &str,
        input: &AttemptInput,
    ) -> Result<AttemptRecorded, CallbackError> {
        let backend = self.backend();
        let mut tx = self.write.begin().await?;
        lock_row(backend, &mut tx, "callback_tasks", task_id).await?;
        let state: TaskState = sqlx::query_as(
            "SELECT kind, status, failed_attempts, ticket_id FROM callback_tasks WHERE id = $1",
        )
        .bind(task_id)
        .fetch_one(&mut *tx)
        .await?;
        if state.status != "open" {
            return Err(Refusal::NotOpen.into());
        }
        let kind = CallbackKind::from_code(&state.kind).unwrap_or(CallbackKind::Manual);
        let complaint_outcome = match (kind, input.attempt) {
            (CallbackKind::Complaint, Attempt::Done(Outcome::Satisfied)) => {
                Some(CallbackOutcome::Satisfied)
            }
            (CallbackKind::Complaint, Attempt::Done(Outcome::Dissatisfied)) => {
                Some(CallbackOutcome::Dissatisfied)
            }
            (CallbackKind::Complaint, Attempt::Done(_)) => {
                return Err(CallbackError::ComplaintOutcome)
            }
            _ => None,
        };
        let settings = settings_in(&mut tx).await?;
        let after = settings
            .retry
            .after(state.failed_attempts, input.attempt, now)?;
        let at = to_millis(now);
        let (later_at, outcome) = match input.attempt {
            Attempt::Later(t) => (Some(to_millis(t)), None),
            Attempt::Done(o) => (None, Some(o.code())),
            _ => (None, None),
        };
        sqlx::query(
            "INSERT INTO callback_attempts (id, task_id, result, later_at, outcome, notes, by_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(task_id)
        .bind(input.attempt.result().code())
        .bind(later_at)
        .bind(outcome)
        .bind(input.notes.as_deref())
        .bind(actor.user_id.as_deref())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let failed = i64::from(matches!(
            input.attempt,
            Attempt::Unreachable | Attempt::Busy
        ));
        let done = matches!(input.attempt, Attempt::Done(_));
        let i = input;
        let (status, next_at, closed_outcome) = match after {
            AfterAttempt::Retry { next_at } => ("open", to_millis(next_at), None),
            AfterAttempt::Close(o) => ("done", at, Some(o.code())),
        };
        // The follow-up clock restarts at this attempt, or at the agreed time.
        let watch_from = later_at.unwrap_or(at);
        sqlx::query(
            "UPDATE callback_tasks SET attempts = attempts + 1, failed_attempts = failed_attempts + $1, \
             status = $2, next_at = $3, watch_from = $4, raised_at = NULL, outcome = $5, \
             notes = COALESCE($6, notes), assignee_id = COALESCE(assignee_id, $7), \
             contact_name = COALESCE($8, contact_name), contact_gender = COALESCE($9, contact_gender), \
             contact_phone = COALESCE($10, contact_phone), opinions = COALESCE($11, opinions), \
             suggestions = COALESCE($12, suggestions), fee_cents = COALESCE($13, fee_cents), \
             fee_confirmed = COALESCE($14, fee_confirmed), contacted_at = COALESCE($15, contacted_at), \
             closed_at = $16, closed_by = $17, updated_at = $18 WHERE id = $19",
        )
        .bind(failed)
        .bind(status)
        .bind(next_at)
        .bind(watch_from)
        .bind(closed_outcome)
        .bind(i.notes.as_deref())
        .bind(actor.user_id.as_deref())
        .bind(i.contact_name.as_deref())
        .bind(i.contact_gender.as_deref())
        .bind(i.contact_phone.as_deref())
        .bind(i.opinions.as_deref())
        .bind(i.suggestions.as_deref())
        .bind(i.fee_cents)
        .bind(i.fee_confirmed.map(i64::from))
        .bind(done.then_some(at))
        .bind((status == "done").then_some(at))
        .bind((status == "done").then(|| actor.user_id.clone()).flatten())
        .bind(at)
        .bind(task_id)
        .execute(&mut *tx)
        .await?;
        let mut complaint = None;
        if let (Some(outcome), Some(ticket_id)) = (complaint_outcome, &state.ticket_id) {
            let cb = Callback {
                outcome,
                notes: i.notes.clone().unwrap_or_default(),
            };
            complaint = Some(
                complaint_callback_in(&mut tx, backend, actor, now, ticket_id, &cb)
                    .await
                    .map_err(from_complaint)?,
            );
        }
        if matches!(kind, CallbackKind::AfterSale | CallbackKind::RepairVerify)
            && after == AfterAttempt::Close(Outcome::Dissatisfied)
        {
            if let Some(ticket_id) = &state.ticket_id {
                reopen_ticket(&mut tx, backend, actor, now, ticket_id).await?;
            }
        }
        let entry = NewAuditEntry::new(AuditAction::CallbackAttempted)
            .subject("callback", task_id)
            .detail(input.attempt.result().code());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(AttemptRecorded { after, complaint })
    }
}

/// A row of an imported pre-sale list (the server matched or created the customer).
#[derive(Debug, Clone)]
pub struct PreSaleRow {
    pub customer_id: String,
    pub title: Option<String>,
}

impl Db {
    /// Creates the pre-sale tasks of an imported list, one per customer and list name
    /// (importing the same list again adds nothing); returns how many were created.
    pub async fn create_pre_sale_tasks(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        list: &str,
        rows: &[PreSaleRow],
        due_at: DateTime<Utc>,
        assignee: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write.begin().await?;
        let mut created = 0;
        for r in rows {
            let task = NewTask {
                dedupe_key: Some(format!("pre_sale:{list}:{}", r.customer_id)),
                customer_id: Some(r.customer_id.clone()),
                title: r.title.clone(),
                assignee_id: assignee.map(str::to_string),
                ..NewTask::new(CallbackKind::PreSale, due_at)
            };
            if insert_task_in(&mut tx, actor.user_id.as_deref(), now, &task)
                .await?
                .is_some()
            {
                created += 1;
            }
        }
        let entry =
            NewAuditEntry::new(AuditAction::CallbacksImported).detail(format!("{list}: {created}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(created)
    }
}
