//! Logs (日志): an agent's work log for a day, prefilled with the tickets they handled
//! that day, and a shift lead's duty log per shift (staffing, incidents, handover).

use super::{rfc3339, short_time};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDate;
use kefu_domain::logs::{day_bounds, parse_day, Shift};
use kefu_domain::Permission;
use kefu_store::logs::{DutyLogInput, DutyLogRow, TicketActivity, WorkLogRow};
use kefu_store::tickets::local_offset;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_LOG_CHARS: usize = 20_000;
/// The longest range a log list covers.
pub const MAX_RANGE_DAYS: i64 = 92;

/// Today in the center's local time.
pub fn today(state: &AppState) -> NaiveDate {
    state
        .clock()
        .now()
        .with_timezone(&local_offset())
        .date_naive()
}

/// A log's day from the path or query (`YYYY-MM-DD`); not in the future.
pub fn day(state: &AppState, raw: &str) -> Result<NaiveDate, AppError> {
    let day = parse_day(raw).ok_or_else(|| {
        AppError::invalid(
            "invalid_date",
            format!("{raw:?} is not a day like 2026-11-28"),
        )
    })?;
    if day > today(state) {
        return Err(AppError::invalid(
            "invalid_date",
            "logs are written for today or earlier",
        ));
    }
    Ok(day)
}

pub fn shift(raw: &str) -> Result<Shift, AppError> {
    Shift::from_code(raw.trim())
        .ok_or_else(|| AppError::invalid("invalid_shift", "shift is a, b or c"))
}

/// `[from, to]` from optional query values; default the last seven days.
pub fn range(
    state: &AppState,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let parse = |raw: Option<&str>, default: NaiveDate| match raw.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(r) => parse_day(r).ok_or_else(|| {
            AppError::invalid(
                "invalid_date",
                format!("{r:?} is not a day like 2026-11-28"),
            )
        }),
    };
    let to = parse(to, today(state))?;
    let from = parse(from, to - chrono::Duration::days(6))?;
    if from > to || (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(AppError::invalid(
            "invalid_range",
            format!("from must not be after to, and the range at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from, to))
}

fn text(field: &'static str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.chars().count() > MAX_LOG_CHARS {
        return Err(AppError::invalid(
            "invalid_log",
            format!("{field} is longer than {MAX_LOG_CHARS} characters"),
        ));
    }
    Ok(s.to_string())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionCount {
    /// The timeline event kind (created, assigned, status, reply, note, promise …).
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandledTicket {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub status: String,
    pub first_at: String,
    pub actions: Vec<ActionCount>,
    #[serde(skip)]
    pub short_first: String,
}

fn handled(a: &TicketActivity) -> HandledTicket {
    HandledTicket {
        id: a.ticket_id.clone(),
        number: a.number.clone(),
        subject: a.subject.clone(),
        status: a.status.clone(),
        first_at: rfc3339(a.first_at),
        short_first: short_time(a.first_at),
        actions: a
            .kinds
            .iter()
            .map(|(kind, count)| ActionCount {
                kind: kind.clone(),
                count: *count,
            })
            .collect(),
    }
}

/// A work log (工作日志): the day's handled tickets, read from the timeline when the log
/// is shown, and the free text its author wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkLogView {
    pub day: String,
    pub user_id: String,
    pub user_name: String,
    pub text: String,
    /// When the text was last saved; none before the first save.
    pub updated_at: Option<String>,
    pub tickets: Vec<HandledTicket>,
    /// The calls the person answered that day (caller masked), oldest first.
    pub calls: Vec<crate::app::calls::CallView>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkLogPayload {
    pub text: String,
}

/// A line of the supervisors' list of work logs (the text, without the activity).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkLogEntry {
    pub day: String,
    pub user_id: String,
    pub user_name: String,
    pub text: String,
    pub updated_at: String,
}

fn work_entry(r: &WorkLogRow) -> WorkLogEntry {
    WorkLogEntry {
        day: r.day.clone(),
        user_id: r.user_id.clone(),
        user_name: r.user_name.clone(),
        text: r.text.clone(),
        updated_at: rfc3339(r.updated_at),
    }
}

/// Someone's work log for a day. One's own needs `ticket.write`; another person's is
/// for supervisors (`ticket.supervise`).
///
/// The prefill is the tickets of [`kefu_store::Db::day_activity`] and the calls the
/// person answered in the same `[start, end)` local day.
pub async fn work_log(
    state: &AppState,
    ctx: &Ctx,
    user_id: Option<&str>,
    day: NaiveDate,
) -> Result<WorkLogView, AppError> {
    let user_id = match user_id.filter(|u| !u.is_empty() && *u != ctx.user_id) {
        None => {
            ctx.require(Permission::TicketWrite)?;
            ctx.user_id.as_str()
        }
        Some(other) => {
            ctx.require(Permission::TicketSupervise)?;
            other
        }
    };
    let user = match state.db().get_user(user_id).await {
        Ok(u) => u,
        Err(kefu_store::StoreError::NotFound) => return Err(AppError::NotFound("user")),
        Err(e) => return Err(e.into()),
    };
    let (start, end) = day_bounds(day, local_offset());
    let activity = state.db().day_activity(user_id, start, end).await?;
    let filter = kefu_store::calls::CallFilter {
        agent_id: Some(user_id.to_string()),
        from: Some(start),
        to: Some(end),
        ..Default::default()
    };
    // A day of calls fits one page; the busiest agents take a few hundred.
    let mut calls = state.db().list_calls(&filter, None, 500).await?.items;
    calls.reverse();
    let log = state.db().get_work_log(user_id, day).await?;
    Ok(WorkLogView {
        day: day.format("%Y-%m-%d").to_string(),
        user_id: user_id.to_string(),
        user_name: user.display_name,
        text: log.as_ref().map(|l| l.text.clone()).unwrap_or_default(),
        updated_at: log.map(|l| rfc3339(l.updated_at)),
        tickets: activity.iter().map(handled).collect(),
        calls: calls.iter().map(crate::app::calls::call_view).collect(),
    })
}

/// Saves the signed-in person's own work log for a day.
pub async fn save_work_log(
    state: &AppState,
    ctx: &Ctx,
    day: NaiveDate,
    p: &WorkLogPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::TicketWrite)?;
    let body = text("text", &p.text)?;
    let now = state.clock().now();
    Ok(state
        .db()
        .save_work_log(&ctx.actor(), now, &ctx.user_id, day, &body)
        .await?)
}

/// Work logs in a range, of one person or everyone: for supervisors.
pub async fn list_work_logs(
    state: &AppState,
    ctx: &Ctx,
    user_id: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<WorkLogEntry>, AppError> {
    ctx.require(Permission::TicketSupervise)?;
    let rows = state
        .db()
        .list_work_logs(user_id.filter(|u| !u.is_empty()), from, to)
        .await?;
    Ok(rows.iter().map(work_entry).collect())
}

/// A duty log (值班日志) of one shift.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyLogView {
    pub day: String,
    /// a (09–17), b (12–20) or c (20–22, on call)
    pub shift: String,
    pub lead_id: String,
    pub lead_name: String,
    /// Who was on duty, who was missing.
    pub staffing: String,
    pub incidents: String,
    /// What the next shift must follow up.
    pub handover: String,
    pub text: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyLogPayload {
    #[serde(default)]
    pub staffing: String,
    #[serde(default)]
    pub incidents: String,
    #[serde(default)]
    pub handover: String,
    #[serde(default)]
    pub text: String,
}

fn duty_view(r: &DutyLogRow) -> DutyLogView {
    DutyLogView {
        day: r.day.clone(),
        shift: r.shift.clone(),
        lead_id: r.lead_id.clone(),
        lead_name: r.lead_name.clone(),
        staffing: r.staffing.clone(),
        incidents: r.incidents.clone(),
        handover: r.handover.clone(),
        text: r.text.clone(),
        updated_at: rfc3339(r.updated_at),
    }
}

/// A shift's duty log, `None` until its lead writes one.
pub async fn duty_log(
    state: &AppState,
    ctx: &Ctx,
    day: NaiveDate,
    shift: Shift,
) -> Result<Option<DutyLogView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(state
        .db()
        .get_duty_log(day, shift)
        .await?
        .as_ref()
        .map(duty_view))
}

/// Writes a shift's duty log; the writer becomes its lead.
pub async fn save_duty_log(
    state: &AppState,
    ctx: &Ctx,
    day: NaiveDate,
    shift: Shift,
    p: &DutyLogPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::TicketSupervise)?;
    let input = DutyLogInput {
        staffing: text("staffing", &p.staffing)?,
        incidents: text("incidents", &p.incidents)?,
        handover: text("handover", &p.handover)?,
        text: text("text", &p.text)?,
    };
    if input.staffing.is_empty()
        && input.incidents.is_empty()
        && input.handover.is_empty()
        && input.text.is_empty()
    {
        return Err(AppError::invalid("invalid_log", "the duty log is empty"));
    }
    let now = state.clock().now();
    Ok(state
        .db()
        .save_duty_log(&ctx.actor(), now, day, shift, &ctx.user_id, &input)
        .await?)
}

pub async fn list_duty_logs(
    state: &AppState,
    ctx: &Ctx,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DutyLogView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    let rows = state.db().list_duty_logs(from, to).await?;
    Ok(rows.iter().map(duty_view).collect())
}
