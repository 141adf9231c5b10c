//! The closed loop, step by step: register (the ticket, the form and round 1, serious ones
//! escalated to the manager), the confirmed restatement, the responsible department's
//! handling, the callback that closes the complaint or opens the next round, and the
//! manager's close with a written reason. Each step is one transaction: the complaint
//! rows, the ticket's change through the ordinary change path, the timeline events and
//! the audit entries commit together or not at all.

use super::ComplaintError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::backend::lock_row;
use crate::tickets::timeline::{append_event, supervisors_in, Event};
use crate::tickets::{change_in, create_tickets_in, push_in_list, TicketChange, TicketToOpen};
use crate::{new_id, to_millis, Backend, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::complaint::{
    self as rules, AfterCallback, CallbackOutcome, Closing, RoundFacts, Severity, Stage,
};
use kefu_domain::ticket::{transition, StatusAction, TicketNumber, TicketStatus};

/// The complaint part of a registration (the ticket carries the complainant, the phone
/// and the cause as its contact and description).
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub company: Option<String>,
    pub address: Option<String>,
    pub cause: String,
    pub desired_outcome: String,
    pub severity: Severity,
    pub restatement: Option<String>,
    pub restatement_confirmed: bool,
    /// The reason written on the automatic escalation of a serious complaint.
    pub escalation_reason: String,
}

/// A registered complaint: its ticket, and the manager it was escalated to, if serious.
#[derive(Debug, Clone)]
pub struct Registered {
    pub ticket_id: String,
    pub number: TicketNumber,
    pub escalated_to: Option<String>,
}

/// What the responsible department records for the current round.
#[derive(Debug, Clone)]
pub struct Handling {
    pub department_id: String,
    pub analysis: String,
    pub corrective_action: String,
    /// The root-cause category, if the handler sets (or changes) it now.
    pub cause_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Callback {
    pub outcome: CallbackOutcome,
    pub notes: String,
}

/// The complaint's state the rules need, read under the ticket's row lock.
#[derive(sqlx::FromRow)]
struct State {
    stage: String,
    round: i64,
    cause_id: Option<String>,
    handled_at: Option<i64>,
    callback_outcome: Option<String>,
}

impl State {
    fn stage(&self) -> Stage {
        Stage::from_code(&self.stage).unwrap_or(Stage::Handling)
    }

    fn round(&self) -> RoundFacts {
        RoundFacts {
            number: self.round,
            handled: self.handled_at.is_some(),
            outcome: self
                .callback_outcome
                .as_deref()
                .and_then(CallbackOutcome::from_code),
        }
    }
}

async fn state_in(tx: &mut Tx<'_>, ticket_id: &str) -> Result<Option<State>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.stage, c.round, c.cause_id, r.handled_at, r.callback_outcome \
         FROM complaints c LEFT JOIN complaint_rounds r \
         ON r.ticket_id = c.ticket_id AND r.round = c.round WHERE c.ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Locks the ticket and reads its complaint (`NotFound` when it has none).
async fn locked_state(
    tx: &mut Tx<'_>,
    backend: Backend,
    ticket_id: &str,
) -> Result<State, ComplaintError> {
    lock_row(backend, tx, "tickets", ticket_id).await?;
    state_in(tx, ticket_id)
        .await?
        .ok_or(ComplaintError::Store(StoreError::NotFound))
}

async fn ticket_status_in(tx: &mut Tx<'_>, ticket_id: &str) -> Result<TicketStatus, StoreError> {
    let (status,): (String,) = sqlx::query_as("SELECT status FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(TicketStatus::from_code(&status).unwrap_or(TicketStatus::New))
}

/// Moves the ticket by `action` through the ordinary change path, when its status allows.
async fn move_ticket(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
    action: StatusAction,
) -> Result<bool, ComplaintError> {
    let status = ticket_status_in(tx, ticket_id).await?;
    if transition(status, action).is_err() {
        return Ok(false);
    }
    let change = TicketChange::Status {
        action,
        resumed: None,
    };
    change_in(tx, backend, actor, now, ticket_id, &change).await?;
    Ok(true)
}

/// Resolves (when still open) and closes the ticket.
async fn close_ticket(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
) -> Result<(), ComplaintError> {
    move_ticket(tx, backend, actor, now, ticket_id, StatusAction::Resolve).await?;
    let status = ticket_status_in(tx, ticket_id).await?;
    if status != TicketStatus::Closed {
        let change = TicketChange::Status {
            action: StatusAction::Close,
            resumed: None,
        };
        change_in(tx, backend, actor, now, ticket_id, &change).await?;
    }
    Ok(())
}

async fn audit(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    action: AuditAction,
    ticket_id: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let entry = NewAuditEntry::new(action)
        .subject("ticket", ticket_id)
        .detail(detail);
    append_in(tx, actor, now, &entry).await?;
    Ok(())
}

/// The person a serious complaint goes to: among the supervisors over the department,
/// one who may close complaints by decision (the manager), else the first supervisor.
async fn manager_in(tx: &mut Tx<'_>, department_id: &str) -> Result<Option<String>, StoreError> {
    let supervisors = supervisors_in(tx, department_id).await?;
    let mut sql = Sql::new(
        "SELECT DISTINCT sp.user_id FROM staff_positions sp \
         JOIN positions p ON p.id = sp.position_id \
         WHERE p.permissions LIKE '%\"complaint.close_override\"%'",
    );
    push_in_list(&mut sql, "sp.user_id", &supervisors);
    sql.push(" ORDER BY sp.user_id");
    let managers: Vec<(String,)> = sql.query_as().fetch_all(&mut **tx).await?;
    Ok(managers
        .into_iter()
        .map(|(u,)| u)
        .next()
        .or_else(|| supervisors.into_iter().next()))
}

async fn open_round_in(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
    round: i64,
    because: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO complaint_rounds (id, ticket_id, round, opened_because, opened_at, opened_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(ticket_id)
    .bind(round)
    .bind(because)
    .bind(to_millis(now))
    .bind(actor.user_id.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the ordinary ticket close may close this ticket: always for a ticket without
/// a complaint; for a complaint only after a satisfied callback or a manager's decision.
pub(crate) async fn close_allowed_in(tx: &mut Tx<'_>, ticket_id: &str) -> Result<bool, StoreError> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.close_reason, r.callback_outcome FROM complaints c LEFT JOIN complaint_rounds r \
         ON r.ticket_id = c.ticket_id AND r.round = c.round WHERE c.ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        None => true,
        Some((reason, outcome)) => rules::ticket_close_allowed(
            outcome.as_deref().and_then(CallbackOutcome::from_code),
            reason.is_some(),
        ),
    })
}

/// A complaint ticket that is reopened goes back to handling as a new round: after a
/// dissatisfied callback, or when the customer comes back after closure.
pub(crate) async fn reopened_in(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
) -> Result<(), StoreError> {
    let Some(state) = state_in(tx, ticket_id).await? else {
        return Ok(());
    };
    let because = match state.round().outcome {
        Some(CallbackOutcome::Dissatisfied) => "dissatisfied",
        _ => "reopened",
    };
    let round = state.round + 1;
    open_round_in(tx, actor, now, ticket_id, round, because).await?;
    sqlx::query(
        "UPDATE complaints SET round = $1, stage = $2, close_reason = NULL, closed_by = NULL, \
         closed_at = NULL, updated_at = $3 WHERE ticket_id = $4",
    )
    .bind(round)
    .bind(Stage::Handling.code())
    .bind(to_millis(now))
    .bind(ticket_id)
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({ "round": round, "because": because });
    append_event(
        tx,
        &Event::new(ticket_id, actor, now, "complaint_round").detail(detail),
    )
    .await?;
    audit(
        tx,
        actor,
        now,
        AuditAction::ComplaintChanged,
        ticket_id,
        "round",
    )
    .await
}

async fn check_cause(tx: &mut Tx<'_>, cause_id: &str) -> Result<String, ComplaintError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT name FROM complaint_causes WHERE id = $1 AND active = 1")
            .bind(cause_id)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|(n,)| n)
        .ok_or_else(|| ComplaintError::UnknownCause(cause_id.to_string()))
}

impl Db {
    /// Registers a complaint: opens its ticket (first-contact ownership as usual), writes
    /// the form and round 1, and escalates a serious complaint to the manager.
    #[tracing::instrument(skip_all, fields(severity = complaint.severity.code()))]
    pub async fn register_complaint(
        &self,
        item: &TicketToOpen,
        complaint: &NewComplaint,
    ) -> Result<Registered, ComplaintError> {
        let (actor, now) = (&item.actor, item.now);
        let recorder = actor
            .user_id
            .clone()
            .ok_or_else(|| StoreError::Refused("a complaint is recorded by a person".into()))?;
        let mut tx = self.write.begin().await?;
        let (ticket_id, number) = create_tickets_in(&mut tx, self.backend(), &[item])
            .await?
            .remove(0);
        let at = to_millis(now);
        let c = complaint;
        sqlx::query(
            "INSERT INTO complaints (ticket_id, company, address, cause, desired_outcome, severity, \
             recorder_id, restatement, restatement_confirmed_at, restatement_confirmed_by, stage, \
             round, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12)",
        )
        .bind(&ticket_id)
        .bind(c.company.as_deref())
        .bind(c.address.as_deref())
        .bind(&c.cause)
        .bind(&c.desired_outcome)
        .bind(c.severity.code())
        .bind(&recorder)
        .bind(c.restatement.as_deref())
        .bind(c.restatement_confirmed.then_some(at))
        .bind(c.restatement_confirmed.then_some(recorder.as_str()))
        .bind(Stage::Handling.code())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        open_round_in(&mut tx, actor, now, &ticket_id, 1, "registered").await?;
        let detail = serde_json::json!({
            "severity": c.severity.code(),
            "desired_outcome": c.desired_outcome,
            "restatement_confirmed": c.restatement_confirmed,
        });
        append_event(
            &mut tx,
            &Event::new(&ticket_id, actor, now, "complaint_registered")
                .body(&c.cause)
                .detail(detail),
        )
        .await?;
        let mut escalated_to = None;
        if c.severity.is_serious() {
            let department = &item.ticket.department_id;
            if let Some(manager) = manager_in(&mut tx, department).await? {
                let change = TicketChange::Escalate {
                    to: manager.clone(),
                    reason: c.escalation_reason.clone(),
                };
                change_in(&mut tx, self.backend(), actor, now, &ticket_id, &change).await?;
                sqlx::query("UPDATE complaints SET escalated_to_id = $1 WHERE ticket_id = $2")
                    .bind(&manager)
                    .bind(&ticket_id)
                    .execute(&mut *tx)
                    .await?;
                escalated_to = Some(manager);
            }
        }
        audit(
            &mut tx,
            actor,
            now,
            AuditAction::ComplaintRegistered,
            &ticket_id,
            c.severity.code(),
        )
        .await?;
        tx.commit().await?;
        Ok(Registered {
            ticket_id,
            number,
            escalated_to,
        })
    }

    /// The agent read the problem back and the customer confirmed it (复述确认).
    #[tracing::instrument(skip_all)]
    pub async fn confirm_complaint_restatement(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        ticket_id: &str,
        restatement: &str,
    ) -> Result<(), ComplaintError> {
        let mut tx = self.write.begin().await?;
        let state = locked_state(&mut tx, self.backend(), ticket_id).await?;
        if state.stage() == Stage::Closed {
            return Err(rules::Refusal::Closed.into());
        }
        sqlx::query(
            "UPDATE complaints SET restatement = $1, restatement_confirmed_at = $2, \
             restatement_confirmed_by = $3, updated_at = $2 WHERE ticket_id = $4",
        )
        .bind(restatement)
        .bind(to_millis(now))
        .bind(actor.user_id.as_deref())
        .bind(ticket_id)
        .execute(&mut *tx)
        .await?;
        append_event(
            &mut tx,
            &Event::new(ticket_id, actor, now, "complaint_restatement").body(restatement),
        )
        .await?;
        audit(
            &mut tx,
            actor,
            now,
            AuditAction::ComplaintChanged,
            ticket_id,
            "restatement",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or corrects) the root-cause category, at any time — analysis may come late.
    #[tracing::instrument(skip_all)]
    pub async fn set_complaint_cause(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        ticket_id: &str,
        cause_id: &str,
    ) -> Result<(), ComplaintError> {
        let mut tx = self.write.begin().await?;
        locked_state(&mut tx, self.backend(), ticket_id).await?;
        let name = check_cause(&mut tx, cause_id).await?;
        sqlx::query("UPDATE complaints SET cause_id = $1, updated_at = $2 WHERE ticket_id = $3")
            .bind(cause_id)
            .bind(to_millis(now))
            .bind(ticket_id)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "cause_id": cause_id, "cause": name });
        append_event(
            &mut tx,
            &Event::new(ticket_id, actor, now, "complaint_cause").detail(detail),
        )
        .await?;
        audit(
            &mut tx,
            actor,
            now,
            AuditAction::ComplaintChanged,
            ticket_id,
            "cause",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The responsible department's analysis and corrective action for the current
    /// round; the ticket is resolved and the callback falls due.
    #[tracing::instrument(skip_all)]
    pub async fn record_complaint_handling(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        ticket_id: &str,
        h: &Handling,
    ) -> Result<(), ComplaintError> {
        let backend = self.backend();
        let mut tx = self.write.begin().await?;
        let state = locked_state(&mut tx, backend, ticket_id).await?;
        let cause_id = match &h.cause_id {
            Some(id) => {
                check_cause(&mut tx, id).await?;
                Some(id.clone())
            }
            None => state.cause_id.clone(),
        };
        rules::may_handle(state.stage(), &state.round(), cause_id.is_some())?;
        let department: Option<(String,)> =
            sqlx::query_as("SELECT name FROM departments WHERE id = $1")
                .bind(&h.department_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((department_name,)) = department else {
            return Err(ComplaintError::UnknownDepartment(h.department_id.clone()));
        };
        let at = to_millis(now);
        sqlx::query(
            "UPDATE complaint_rounds SET department_id = $1, analysis = $2, corrective_action = $3, \
             handled_at = $4, handled_by = $5 WHERE ticket_id = $6 AND round = $7",
        )
        .bind(&h.department_id)
        .bind(&h.analysis)
        .bind(&h.corrective_action)
        .bind(at)
        .bind(actor.user_id.as_deref())
        .bind(ticket_id)
        .bind(state.round)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE complaints SET stage = $1, department_id = $2, cause_id = $3, updated_at = $4 \
             WHERE ticket_id = $5",
        )
        .bind(Stage::AwaitingCallback.code())
        .bind(&h.department_id)
        .bind(cause_id.as_deref())
        .bind(at)
        .bind(ticket_id)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "round": state.round,
            "department_id": h.department_id,
            "department": department_name,
            "corrective_action": h.corrective_action,
            "cause_id": cause_id,
        });
        append_event(
            &mut tx,
            &Event::new(ticket_id, actor, now, "complaint_handled")
                .body(&h.analysis)
                .detail(detail),
        )
        .await?;
        move_ticket(
            &mut tx,
            backend,
            actor,
            now,
            ticket_id,
            StatusAction::Resolve,
        )
        .await?;
        crate::callbacks::complaint_handled_in(&mut tx, now, ticket_id, state.round).await?;
        audit(
            &mut tx,
            actor,
            now,
            AuditAction::ComplaintChanged,
            ticket_id,
            "handled",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The callback after handling: satisfied closes the complaint and its ticket;
    /// dissatisfied reopens the ticket as a new round of handling.
    #[tracing::instrument(skip_all, fields(outcome = cb.outcome.code()))]
    pub async fn record_complaint_callback(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        ticket_id: &str,
        cb: &Callback,
    ) -> Result<AfterCallback, ComplaintError> {
        let mut tx = self.write.begin().await?;
        let next =
            complaint_callback_in(&mut tx, self.backend(), actor, now, ticket_id, cb).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Closes a complaint: after a satisfied callback, or by someone who may override
    /// (the manager) with a written reason.
    #[tracing::instrument(skip_all, fields(can_override = can_override))]
    pub async fn close_complaint(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        ticket_id: &str,
        can_override: bool,
        reason: Option<&str>,
    ) -> Result<Closing, ComplaintError> {
        let backend = self.backend();
        let mut tx = self.write.begin().await?;
        let state = locked_state(&mut tx, backend, ticket_id).await?;
        let closing = rules::may_close(state.stage(), &state.round(), can_override, reason)?;
        let reason = match &closing {
            Closing::Satisfied => None,
            Closing::Override { reason } => Some(reason.as_str()),
        };
        mark_closed(&mut tx, actor, now, ticket_id, state.round, reason).await?;
        close_ticket(&mut tx, backend, actor, now, ticket_id).await?;
        audit(
            &mut tx,
            actor,
            now,
            AuditAction::ComplaintChanged,
            ticket_id,
            if reason.is_some() {
                "closed_by_decision"
            } else {
                "closed"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(closing)
    }
}

/// Marks the complaint closed (with the manager's reason, if by decision) and puts it on
/// the timeline. The ticket is closed by the caller afterwards.
async fn mark_closed(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
    round: i64,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let at = to_millis(now);
    sqlx::query(
        "UPDATE complaints SET stage = $1, close_reason = $2, closed_by = $3, closed_at = $4, \
         updated_at = $4 WHERE ticket_id = $5",
    )
    .bind(Stage::Closed.code())
    .bind(reason)
    .bind(actor.user_id.as_deref())
    .bind(at)
    .bind(ticket_id)
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({ "round": round, "by_decision": reason.is_some() });
    let mut event = Event::new(ticket_id, actor, now, "complaint_closed").detail(detail);
    if let Some(reason) = reason {
        event = event.body(reason);
    }
    append_event(tx, &event).await
}

/// The callback after handling: satisfied closes the complaint and its ticket;
/// dissatisfied reopens the ticket as a new round of handling.
/// The round's open callback task (回访) is closed with the same outcome, so the
/// complaint loop and the callback queue agree whichever page recorded it.
pub(crate) async fn complaint_callback_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    ticket_id: &str,
    cb: &Callback,
) -> Result<AfterCallback, ComplaintError> {
    let state = locked_state(tx, backend, ticket_id).await?;
    let next = rules::callback(state.stage(), &state.round(), cb.outcome)?;
    crate::callbacks::complaint_called_back_in(tx, actor, now, ticket_id, state.round, cb.outcome)
        .await?;
    let at = to_millis(now);
    sqlx::query(
        "UPDATE complaint_rounds SET callback_outcome = $1, callback_notes = $2, \
         callback_at = $3, callback_by = $4 WHERE ticket_id = $5 AND round = $6",
    )
    .bind(cb.outcome.code())
    .bind(&cb.notes)
    .bind(at)
    .bind(actor.user_id.as_deref())
    .bind(ticket_id)
    .bind(state.round)
    .execute(&mut **tx)
    .await?;
    let detail = serde_json::json!({ "round": state.round, "outcome": cb.outcome.code() });
    append_event(
        tx,
        &Event::new(ticket_id, actor, now, "complaint_callback")
            .body(&cb.notes)
            .detail(detail),
    )
    .await?;
    match next {
        AfterCallback::Close => {
            mark_closed(tx, actor, now, ticket_id, state.round, None).await?;
            close_ticket(tx, backend, actor, now, ticket_id).await?;
        }
        AfterCallback::NewRound(_) => {
            // Reopening the ticket opens the round (the same path as a manual reopen);
            // a ticket still open somehow gets its round directly.
            if !move_ticket(tx, backend, actor, now, ticket_id, StatusAction::Reopen).await? {
                reopened_in(tx, actor, now, ticket_id).await?;
            }
        }
    }
    audit(
        tx,
        actor,
        now,
        AuditAction::ComplaintChanged,
        ticket_id,
        &format!("callback_{}", cb.outcome.code()),
    )
    .await?;
    Ok(next)
}
