//! Duty tasks (岗位职责任务): the dated tasks the duty scheduler makes from the recurring
//! duties of the positions people hold (`jobs::duties`). Everyone sees and completes their
//! own; whoever reads the center's reports (班长, 经理) sees everyone's — above all the
//! overdue ones. Completing a task may name what it delivered: the duty log or work log it
//! was written in (which must exist), a report page, or a link.

use super::{page_limit, rfc3339, short_time};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::org::{Cadence, Deliverable};
use kefu_domain::Permission;
use kefu_store::duties::{CompleteError, DutyStatus, DutyTaskRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest note on a completed task.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Tasks are made this many days ahead, so people see what is coming.
pub const LOOKAHEAD_DAYS: i64 = 7;

/// Makes the duty tasks from today to [`LOOKAHEAD_DAYS`] ahead now, after a position's
/// duties or holders changed: a duty added in the morning is on its holders' list the
/// same day, not after the next night's run. The unique index on the tasks makes this
/// and the nightly run harmless to each other.
pub async fn generate_ahead(state: &AppState) -> Result<(), AppError> {
    let now = state.clock().now();
    let today = kefu_domain::callback::local_day(now, kefu_store::tickets::local_offset());
    state
        .db()
        .generate_duty_tasks(now, today, today + chrono::Duration::days(LOOKAHEAD_DAYS))
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliverableView {
    /// log, report or link.
    pub kind: String,
    /// As given: `duty-log/2026-12-22/a`, `work-log/2026-12-22`, `/qa/report?…`, a URL.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Where to open it.
    pub href: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyTaskView {
    pub id: String,
    pub position_id: String,
    pub position: String,
    /// The duty's text as it was when the task was made.
    pub duty: String,
    /// `daily`, `weekly fri`, `monthly 22`, `before_shift`, `after_shift`.
    pub cadence: String,
    /// The cadence's kind alone, for labels.
    pub cadence_kind: String,
    pub user_id: String,
    pub user_name: String,
    /// The period the task is for: `2026-12-22` (a day or a shift's day), `2026-W49`,
    /// `2026-12`.
    pub period: String,
    pub due_at: String,
    /// `2026-12-22 23:59`, for dense tables.
    pub due_short: String,
    /// open or done.
    pub status: String,
    /// Open and past its due time.
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverable: Option<DeliverableView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyTaskPage {
    pub items: Vec<DutyTaskView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverablePayload {
    /// log, report or link.
    pub kind: String,
    /// `duty-log/YYYY-MM-DD/<a|b|c>` or `work-log/YYYY-MM-DD` (a log that exists), a
    /// kefu page path starting with `/`, or an `http(s)://` address.
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletePayload {
    #[serde(default)]
    pub deliverable: Option<DeliverablePayload>,
    #[serde(default)]
    pub note: Option<String>,
}

fn view(r: DutyTaskRow, now_ms: i64) -> DutyTaskView {
    let deliverable = match (&r.deliverable_kind, &r.deliverable_ref) {
        (Some(kind), Some(reference)) => Some(DeliverableView {
            href: Deliverable::parse(kind, reference)
                .map(|d| d.href())
                .unwrap_or_default(),
            kind: kind.clone(),
            reference: reference.clone(),
        }),
        _ => None,
    };
    DutyTaskView {
        overdue: r.status == "open" && r.due_at < now_ms,
        cadence_kind: Cadence::parse(&r.cadence)
            .map(|c| c.kind().to_string())
            .unwrap_or_default(),
        due_at: rfc3339(r.due_at),
        due_short: short_time(r.due_at),
        done_at: r.done_at.map(rfc3339),
        id: r.id,
        position_id: r.position_id,
        position: r.position_title,
        duty: r.duty_text,
        cadence: r.cadence,
        user_id: r.user_id,
        user_name: r.user_name,
        period: r.period_key,
        status: r.status,
        deliverable,
        note: r.note,
    }
}

/// Which tasks a list asks for: `open` (default), `overdue` or `done`.
pub fn status(state: &AppState, raw: Option<&str>) -> Result<DutyStatus, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("open") => Ok(DutyStatus::Open),
        Some("overdue") => Ok(DutyStatus::Overdue(state.clock().now())),
        Some("done") => Ok(DutyStatus::Done),
        Some(other) => Err(AppError::invalid(
            "invalid_status",
            format!("status is open, overdue or done, not {other:?}"),
        )),
    }
}

async fn page(
    state: &AppState,
    user_id: Option<&str>,
    status: DutyStatus,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<DutyTaskPage, AppError> {
    let now_ms = kefu_store::to_millis(state.clock().now());
    let p = state
        .db()
        .list_duty_tasks(user_id, status, page_limit(limit), cursor)
        .await?;
    Ok(DutyTaskPage {
        items: p.items.into_iter().map(|r| view(r, now_ms)).collect(),
        next_cursor: p.next_cursor,
    })
}

/// The caller's own tasks.
pub async fn mine(
    state: &AppState,
    ctx: &Ctx,
    status: DutyStatus,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<DutyTaskPage, AppError> {
    page(state, Some(&ctx.user_id), status, limit, cursor).await
}

/// Everyone's tasks, or one person's (`user`), for leads and managers.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    status: DutyStatus,
    user: Option<&str>,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<DutyTaskPage, AppError> {
    ctx.require(Permission::ReportView)?;
    let user = user.map(str::trim).filter(|u| !u.is_empty());
    page(state, user, status, limit, cursor).await
}

fn bad_deliverable(message: impl Into<String>) -> AppError {
    AppError::invalid_field("invalid_deliverable", "deliverable", message)
}

/// Parses a deliverable and, for a log, checks that the log was written: a shift's duty
/// log, or the caller's own work log.
async fn deliverable(
    state: &AppState,
    ctx: &Ctx,
    p: &DeliverablePayload,
) -> Result<Deliverable, AppError> {
    let d =
        Deliverable::parse(&p.kind, &p.reference).map_err(|e| bad_deliverable(e.to_string()))?;
    let db = state.db();
    let exists = match &d {
        Deliverable::DutyLog { day, shift } => db.get_duty_log(*day, *shift).await?.is_some(),
        Deliverable::WorkLog { day } => db.get_work_log(&ctx.user_id, *day).await?.is_some(),
        Deliverable::Report { .. } | Deliverable::Link { .. } => true,
    };
    if !exists {
        return Err(bad_deliverable(format!(
            "no log {} has been written",
            d.reference()
        )));
    }
    Ok(d)
}

/// Completes one of the caller's open tasks.
pub async fn complete(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CompletePayload,
) -> Result<DutyTaskView, AppError> {
    let note = p.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(AppError::invalid_field(
            "invalid_note",
            "note",
            format!("the note is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    let d = match &p.deliverable {
        Some(d) => Some(deliverable(state, ctx, d).await?),
        None => None,
    };
    let now = state.clock().now();
    state
        .db()
        .complete_duty_task(&ctx.actor(), now, id, &ctx.user_id, d.as_ref(), note)
        .await
        .map_err(|e| match e {
            CompleteError::Store(s) => s.into(),
            CompleteError::Unknown => AppError::Unknown {
                code: "unknown_duty",
                message: format!("no duty task {id}"),
            },
            e @ CompleteError::NotYours => AppError::Refused {
                code: "not_your_duty",
                message: e.to_string(),
            },
            e @ CompleteError::AlreadyDone => {
                AppError::conflict("duty_already_done", e.to_string())
            }
        })?;
    let row = state.db().get_duty_task(id).await?;
    Ok(view(row, kefu_store::to_millis(now)))
}
