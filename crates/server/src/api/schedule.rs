//! Shift operations (排班) over HTTP: settings, shift templates and scheduled agents
//! (`schedule.manage` to change), rosters (generate, edit, publish, export), one's own
//! schedule and who is on shift now, leave and swap requests, the on-duty roster, the
//! Erlang C calculator and the forecast. Routes several roles use are open to any
//! signed-in user and the handler checks who may do what (`app::schedule`).

use super::{Json, Path, Query};
use crate::app::schedule::requests::{
    self, DecisionPayload, DutyPayload, DutyView, LeavePayload, LeaveView, NowView, ShiftView,
    SwapPayload, SwapStepPayload, SwapView,
};
use crate::app::schedule::rosters::{
    self, CellPayload, GeneratePayload, RosterDetail, RosterSummary,
};
use crate::app::schedule::staffing::{self, CalcPayload, CalcView, ForecastQuery, ForecastView};
use crate::app::schedule::{self, AgentView, TemplatePayload, TemplateView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_domain::schedule::{AgentRules, ScheduleSettings};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(update_template))
        .routes(routes!(list_agents))
        .routes(routes!(save_agent, remove_agent))
        .routes(routes!(list_rosters, generate_roster))
        .routes(routes!(get_roster, delete_roster))
        .routes(routes!(regenerate_roster))
        .routes(routes!(set_cell))
        .routes(routes!(publish_roster))
        .routes(routes!(export_roster))
        .routes(routes!(my_schedule))
        .routes(routes!(on_shift_now))
        .routes(routes!(list_leave, request_leave))
        .routes(routes!(decide_leave))
        .routes(routes!(cancel_leave))
        .routes(routes!(list_swaps, request_swap))
        .routes(routes!(step_swap))
        .routes(routes!(list_duty, add_duty))
        .routes(routes!(remove_duty))
        .routes(routes!(calculate))
        .routes(routes!(forecast))
}

/// The scheduling settings: interval, queues, service-level target, standing coverage
/// rules (the handbook: 09:00–24:00 every day), forecast, rotation, solver time.
#[utoipa::path(get, path = "/schedule/settings", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = Object, description = "kefu_domain::schedule::ScheduleSettings")))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ScheduleSettings>, AppError> {
    Ok(Json(schedule::settings(&state, &ctx).await?))
}

/// Replace the settings (checked). Audited.
#[utoipa::path(put, path = "/schedule/settings", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), request_body = Object,
    responses((status = 200, body = Object), (status = 422)))]
async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<ScheduleSettings>,
) -> Result<Json<ScheduleSettings>, AppError> {
    schedule::save_settings(&state, &ctx, &p).await?;
    Ok(Json(schedule::settings(&state, &ctx).await?))
}

/// The shift templates (a 09:00–17:00, b 12:00–20:00, c 20:00–22:00 on call …).
#[utoipa::path(get, path = "/schedule/templates", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateView>)))]
async fn list_templates(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<TemplateView>>, AppError> {
    Ok(Json(schedule::templates(&state, &ctx).await?))
}

/// A new shift template. Audited.
#[utoipa::path(post, path = "/schedule/templates", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), request_body = TemplatePayload,
    responses((status = 201, body = TemplateView), (status = 409), (status = 422)))]
async fn create_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<TemplatePayload>,
) -> Result<(StatusCode, Json<TemplateView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(schedule::save_template(&state, &ctx, None, &p).await?),
    ))
}

/// Change a template (existing roster shifts keep their times). Audited.
#[utoipa::path(put, path = "/schedule/templates/{id}", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    request_body = TemplatePayload,
    responses((status = 200, body = TemplateView), (status = 404), (status = 409), (status = 422)))]
async fn update_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TemplatePayload>,
) -> Result<Json<TemplateView>, AppError> {
    Ok(Json(
        schedule::save_template(&state, &ctx, Some(&id), &p).await?,
    ))
}

/// The scheduled agents with their hard rules.
#[utoipa::path(get, path = "/schedule/agents", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentView>)))]
async fn list_agents(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<AgentView>>, AppError> {
    Ok(Json(schedule::agents(&state, &ctx).await?))
}

/// Put a staff member on the schedule, or change their rules. Audited.
#[utoipa::path(put, path = "/schedule/agents/{staff_id}", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("staff_id" = String, Path)),
    request_body = Object,
    responses((status = 204), (status = 404), (status = 422)))]
async fn save_agent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(staff_id): Path<String>,
    Json(p): Json<AgentRules>,
) -> Result<StatusCode, AppError> {
    schedule::save_agent(&state, &ctx, &staff_id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a staff member off the schedule. Audited.
#[utoipa::path(delete, path = "/schedule/agents/{staff_id}", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("staff_id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn remove_agent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(staff_id): Path<String>,
) -> Result<StatusCode, AppError> {
    schedule::remove_agent(&state, &ctx, &staff_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rosters: the published ones, and drafts for `schedule.manage`.
#[utoipa::path(get, path = "/schedule/rosters", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = Vec<RosterSummary>)))]
async fn list_rosters(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<RosterSummary>>, AppError> {
    Ok(Json(rosters::list(&state, &ctx).await?))
}

/// Generate a draft roster for a period with the solver (the requirement from the
/// coverage rules and, when switched on, the forecast; approved leave respected). The
/// report says how far from the lower bound it is and what no shift can cover.
#[utoipa::path(post, path = "/schedule/rosters", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), request_body = GeneratePayload,
    responses((status = 201, body = RosterSummary), (status = 422)))]
async fn generate_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<GeneratePayload>,
) -> Result<(StatusCode, Json<RosterSummary>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(rosters::generate(&state, &ctx, None, &p).await?),
    ))
}

/// Generate a draft again, keeping the shifts set by hand.
#[utoipa::path(post, path = "/schedule/rosters/{id}/regenerate", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    request_body = GeneratePayload,
    responses((status = 200, body = RosterSummary), (status = 404), (status = 409), (status = 422)))]
async fn regenerate_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<GeneratePayload>,
) -> Result<Json<RosterSummary>, AppError> {
    Ok(Json(rosters::generate(&state, &ctx, Some(&id), &p).await?))
}

/// A roster: grid, coverage heat map (required vs scheduled), score, broken rules.
#[utoipa::path(get, path = "/schedule/rosters/{id}", tag = "schedule", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = RosterDetail), (status = 403), (status = 404)))]
async fn get_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<RosterDetail>, AppError> {
    Ok(Json(rosters::detail(&state, &ctx, &id).await?))
}

/// Delete a draft. Audited.
#[utoipa::path(delete, path = "/schedule/rosters/{id}", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
async fn delete_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    rosters::delete(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set one cell by hand (a shift or a day off); refused when it breaks a hard rule, with
/// the new coverage in the answer. Audited.
#[utoipa::path(put, path = "/schedule/rosters/{id}/cells", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    request_body = CellPayload,
    responses((status = 200, body = RosterDetail), (status = 404), (status = 422)))]
async fn set_cell(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CellPayload>,
) -> Result<Json<RosterDetail>, AppError> {
    Ok(Json(rosters::set_cell(&state, &ctx, &id, &p).await?))
}

/// Publish a draft (refused when a published roster overlaps its period). Audited.
#[utoipa::path(post, path = "/schedule/rosters/{id}/publish", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    responses((status = 200, body = RosterSummary), (status = 404), (status = 409)))]
async fn publish_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<RosterSummary>, AppError> {
    Ok(Json(rosters::publish(&state, &ctx, &id).await?))
}

/// The roster as XLSX (排班表), labelled in the page language.
#[utoipa::path(get, path = "/schedule/rosters/{id}/xlsx", tag = "schedule", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404)))]
async fn export_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let r = rosters::detail(&state, &ctx, &id).await?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let bytes = crate::app::schedule::xlsx::roster(&t, &r)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                crate::app::export::Format::Xlsx.content_type().to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                super::content_disposition(&format!(
                    "排班表-{}-{}.xlsx",
                    r.summary.start_date, r.summary.end_date
                )),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineQuery {
    /// The first day (`YYYY-MM-DD`; today when absent).
    pub from: Option<String>,
    /// 1–62 days (14 when absent).
    pub days: Option<u32>,
}

/// One's own published shifts.
#[utoipa::path(get, path = "/schedule/mine", tag = "schedule", security(("bearer" = [])),
    params(MineQuery), responses((status = 200, body = Vec<ShiftView>)))]
async fn my_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MineQuery>,
) -> Result<Json<Vec<ShiftView>>, AppError> {
    Ok(Json(
        requests::my_schedule(&state, &ctx, q.from.as_deref(), q.days.unwrap_or(14)).await?,
    ))
}

/// Who is on shift now (on site, then on call) and who is on duty today.
#[utoipa::path(get, path = "/schedule/now", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = NowView)))]
async fn on_shift_now(State(state): State<AppState>, ctx: Ctx) -> Result<Json<NowView>, AppError> {
    Ok(Json(requests::now(&state, &ctx).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaveQuery {
    /// pending, approved, rejected or cancelled
    pub status: Option<String>,
}

/// Leave requests: one's own, or everyone's for `schedule.manage`.
#[utoipa::path(get, path = "/schedule/leave", tag = "schedule", security(("bearer" = [])),
    params(LeaveQuery), responses((status = 200, body = Vec<LeaveView>)))]
async fn list_leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LeaveQuery>,
) -> Result<Json<Vec<LeaveView>>, AppError> {
    Ok(Json(
        requests::leave_list(&state, &ctx, q.status.as_deref()).await?,
    ))
}

/// Ask for leave. Audited.
#[utoipa::path(post, path = "/schedule/leave", tag = "schedule", security(("bearer" = [])),
    request_body = LeavePayload,
    responses((status = 201, body = LeaveView), (status = 422)))]
async fn request_leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<LeavePayload>,
) -> Result<(StatusCode, Json<LeaveView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(requests::request_leave(&state, &ctx, &p).await?),
    ))
}

/// Approve (the agent's shifts on those days come off the rosters) or reject. Audited.
#[utoipa::path(post, path = "/schedule/leave/{id}/decision", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    request_body = DecisionPayload,
    responses((status = 200, body = LeaveView), (status = 404), (status = 409)))]
async fn decide_leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<DecisionPayload>,
) -> Result<Json<LeaveView>, AppError> {
    Ok(Json(requests::decide_leave(&state, &ctx, &id, &p).await?))
}

/// Withdraw one's pending request. Audited.
#[utoipa::path(post, path = "/schedule/leave/{id}/cancel", tag = "schedule",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = LeaveView), (status = 404), (status = 409)))]
async fn cancel_leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<LeaveView>, AppError> {
    Ok(Json(requests::cancel_leave(&state, &ctx, &id).await?))
}

/// Swap requests one is part of (all of them for `schedule.manage`).
#[utoipa::path(get, path = "/schedule/swaps", tag = "schedule", security(("bearer" = [])),
    responses((status = 200, body = Vec<SwapView>)))]
async fn list_swaps(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<SwapView>>, AppError> {
    Ok(Json(requests::swap_list(&state, &ctx).await?))
}

/// Propose giving one's published shift to a colleague (optionally taking one of theirs).
/// Audited.
#[utoipa::path(post, path = "/schedule/swaps", tag = "schedule", security(("bearer" = [])),
    request_body = SwapPayload,
    responses((status = 201, body = SwapView), (status = 422)))]
async fn request_swap(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SwapPayload>,
) -> Result<(StatusCode, Json<SwapView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(requests::request_swap(&state, &ctx, &p).await?),
    ))
}

/// Accept or decline (the colleague), approve or reject (the shift lead; refused when
/// coverage would fall below the requirement or a rule would break), cancel (the
/// requester). Audited.
#[utoipa::path(post, path = "/schedule/swaps/{id}/steps", tag = "schedule",
    security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SwapStepPayload,
    responses((status = 200, body = SwapView), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn step_swap(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<SwapStepPayload>,
) -> Result<Json<SwapView>, AppError> {
    Ok(Json(requests::step_swap(&state, &ctx, &id, &p).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DutyQuery {
    pub from: String,
    pub to: String,
}

/// The on-duty roster (nights and holidays) with the numbers to call.
#[utoipa::path(get, path = "/schedule/duty", tag = "schedule", security(("bearer" = [])),
    params(DutyQuery), responses((status = 200, body = Vec<DutyView>), (status = 422)))]
async fn list_duty(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DutyQuery>,
) -> Result<Json<Vec<DutyView>>, AppError> {
    Ok(Json(
        requests::duty_list(&state, &ctx, &q.from, &q.to).await?,
    ))
}

/// Put someone on duty. Audited.
#[utoipa::path(post, path = "/schedule/duty", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), request_body = DutyPayload,
    responses((status = 201, body = DutyView), (status = 409), (status = 422)))]
async fn add_duty(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<DutyPayload>,
) -> Result<(StatusCode, Json<DutyView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(requests::add_duty(&state, &ctx, &p).await?),
    ))
}

/// Take someone off duty. Audited.
#[utoipa::path(delete, path = "/schedule/duty/{id}", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(("id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn remove_duty(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    requests::remove_duty(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erlang C for one interval: agents needed for the target, and the service level with a
/// few agents fewer or more.
#[utoipa::path(post, path = "/schedule/staffing", tag = "schedule", security(("bearer" = [])),
    request_body = CalcPayload,
    responses((status = 200, body = CalcView), (status = 422)))]
async fn calculate(ctx: Ctx, Json(p): Json<CalcPayload>) -> Result<Json<CalcView>, AppError> {
    let _ = ctx;
    Ok(Json(staffing::calculate(&p)?))
}

/// The forecast for a period: each queue's contacts per interval from the last weeks'
/// calls and chats, and the agents to schedule for the target.
#[utoipa::path(get, path = "/schedule/forecast", tag = "schedule",
    security(("bearer" = ["schedule.manage"])), params(ForecastQuery),
    responses((status = 200, body = ForecastView), (status = 422)))]
async fn forecast(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ForecastQuery>,
) -> Result<Json<ForecastView>, AppError> {
    Ok(Json(staffing::forecast(&state, &ctx, &q).await?))
}
