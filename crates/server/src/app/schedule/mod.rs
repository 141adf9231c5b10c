//! Shift operations (排班) in the server: settings, shift templates and the scheduled
//! agents' rules (here); the problem handed to the solver ([`problem`]); rosters —
//! generate, edit by hand with live checks, publish ([`rosters`]); leave, swaps, the
//! on-duty roster and who is on shift now ([`requests`]); the Erlang C calculator and the
//! forecast ([`staffing`]).
//!
//! Who may do what: `schedule.manage` (班长) keeps the settings, templates and rosters and
//! decides requests; everyone signed in sees the published schedule, their own shifts, and
//! asks for leave and swaps.

pub mod problem;
pub mod requests;
pub mod rosters;
pub mod staffing;
pub mod xlsx;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use kefu_domain::schedule::{AgentRules, ScheduleError, ScheduleSettings, ShiftTemplateSpec};
use kefu_domain::Permission;
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The center's time zone (China Standard Time).
pub(crate) fn center_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// 00:00 of a center date, as an instant.
pub(crate) fn center_midnight(d: NaiveDate) -> DateTime<Utc> {
    center_offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// The center date of an instant.
pub(crate) fn center_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&center_offset()).date_naive()
}

/// Reads `YYYY-MM-DD`.
pub(crate) fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid_field(
            "schedule.invalid_date",
            field,
            "use YYYY-MM-DD, e.g. 2026-12-07",
        )
    })
}

/// `HH:MM` of a minute of the day (past midnight as 24:00 and on).
pub(crate) fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn invalid(e: ScheduleError) -> AppError {
    match e {
        ScheduleError::Invalid { field, reason } => {
            AppError::invalid_field("schedule.invalid", field, reason)
        }
    }
}

/// A shift template as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub start_minute: u32,
    pub length_minutes: u32,
    /// `09:00–17:00`.
    pub hours: String,
    pub worked_minutes: u32,
    #[schema(value_type = Vec<Object>)]
    pub breaks: Vec<kefu_domain::schedule::ShiftBreak>,
    pub on_call: bool,
    pub color: String,
    pub active: bool,
}

/// A template to save.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePayload {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub spec: ShiftTemplateSpec,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

pub(crate) fn template_view(t: kefu_store::schedule::ShiftTemplateRow) -> TemplateView {
    let s = t.spec;
    TemplateView {
        hours: shift_hours(s.start_minute, s.length_minutes),
        worked_minutes: s.worked_minutes(),
        id: t.id,
        code: s.code,
        name: s.name,
        start_minute: s.start_minute,
        length_minutes: s.length_minutes,
        breaks: s.breaks,
        on_call: s.on_call,
        color: s.color,
        active: t.active,
    }
}

/// `09:00–17:00`; a shift past midnight ends `+1` (`22:00–06:00+1`).
pub(crate) fn shift_hours(start_minute: u32, length_minutes: u32) -> String {
    let end = start_minute + length_minutes;
    let next_day = if end > 1440 { "+1" } else { "" };
    let end = if end > 1440 { end - 1440 } else { end };
    format!("{}–{}{next_day}", hhmm(start_minute), hhmm(end))
}

/// A scheduled agent as the API shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    pub staff_id: String,
    pub name: String,
    pub agent_no: Option<String>,
    pub active: bool,
    #[schema(value_type = Object)]
    pub rules: AgentRules,
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> Result<ScheduleSettings, AppError> {
    let _ = ctx;
    Ok(state.db().get_schedule_settings().await?)
}

pub async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    s: &ScheduleSettings,
) -> Result<(), AppError> {
    ctx.require(Permission::ScheduleManage)?;
    s.validate().map_err(invalid)?;
    Ok(state
        .db()
        .save_schedule_settings(&ctx.actor(), state.clock().now(), s)
        .await?)
}

pub async fn templates(state: &AppState, ctx: &Ctx) -> Result<Vec<TemplateView>, AppError> {
    let _ = ctx;
    Ok(state
        .db()
        .list_shift_templates()
        .await?
        .into_iter()
        .map(template_view)
        .collect())
}

pub async fn save_template(
    state: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    p: &TemplatePayload,
) -> Result<TemplateView, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    p.spec.validate().map_err(invalid)?;
    let id = state
        .db()
        .save_shift_template(&ctx.actor(), state.clock().now(), id, &p.spec, p.active)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::conflict(
                "schedule.template_code_taken",
                format!(
                    "another shift template already has the code {}",
                    p.spec.code
                ),
            ),
            StoreError::NotFound => AppError::NotFound("shift template"),
            e => e.into(),
        })?;
    state
        .db()
        .list_shift_templates()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .map(template_view)
        .ok_or(AppError::NotFound("shift template"))
}

pub async fn agents(state: &AppState, ctx: &Ctx) -> Result<Vec<AgentView>, AppError> {
    let _ = ctx;
    Ok(state
        .db()
        .list_schedule_agents()
        .await?
        .into_iter()
        .map(|a| AgentView {
            staff_id: a.staff_id,
            name: a.display_name,
            agent_no: a.agent_no,
            active: a.active,
            rules: a.rules,
        })
        .collect())
}

pub async fn save_agent(
    state: &AppState,
    ctx: &Ctx,
    staff_id: &str,
    rules: &AgentRules,
) -> Result<(), AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let settings = state.db().get_schedule_settings().await?;
    rules.validate(&settings).map_err(invalid)?;
    state
        .db()
        .save_schedule_agent(&ctx.actor(), state.clock().now(), staff_id, rules)
        .await
        .map_err(|e| match e {
            StoreError::Refused(_) => AppError::NotFound("staff member"),
            e => e.into(),
        })
}

pub async fn remove_agent(state: &AppState, ctx: &Ctx, staff_id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ScheduleManage)?;
    state
        .db()
        .remove_schedule_agent(&ctx.actor(), state.clock().now(), staff_id)
        .await
        .map_err(AppError::store_missing("scheduled agent"))
}

/// Active staff not on the schedule yet, by name: whom the setup page offers to add.
pub async fn unscheduled_staff(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let db = state.db();
    let scheduled: std::collections::HashSet<String> = db
        .list_schedule_agents()
        .await?
        .into_iter()
        .map(|a| a.staff_id)
        .collect();
    let mut staff: Vec<(String, String)> = db
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active != 0 && !scheduled.contains(&u.id))
        .map(|u| (u.id, u.display_name))
        .collect();
    staff.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(staff)
}

/// The first day of the week (Monday) holding `d`.
pub(crate) fn monday_of(d: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}
