//! Work logs (工作日志) and duty logs (值班日志) over HTTP.

use super::{Json, Path, Query};
use crate::app::logs::{
    self as app, DutyLogPayload, DutyLogView, WorkLogEntry, WorkLogPayload, WorkLogView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_logs))
        .routes(routes!(get_work_log, put_work_log))
        .routes(routes!(list_duty_logs))
        .routes(routes!(get_duty_log, put_duty_log))
}

/// Your work log for a day (YYYY-MM-DD): the tickets you handled that day and your text.
#[utoipa::path(get, path = "/work-logs/{day}", tag = "logs", security(("bearer" = ["ticket.write"])),
    params(("day" = String, Path, description = "YYYY-MM-DD, local time")),
    responses((status = 200, body = WorkLogView), (status = 422)))]
async fn get_work_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(day): Path<String>,
) -> Result<Json<WorkLogView>, AppError> {
    let day = app::day(&state, &day)?;
    Ok(Json(app::work_log(&state, &ctx, None, day).await?))
}

/// Write your work log for a day (today or earlier); saving again replaces the text.
#[utoipa::path(put, path = "/work-logs/{day}", tag = "logs", security(("bearer" = ["ticket.write"])),
    params(("day" = String, Path, description = "YYYY-MM-DD, local time")),
    request_body = WorkLogPayload, responses((status = 200, body = WorkLogView), (status = 422)))]
async fn put_work_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(day): Path<String>,
    Json(p): Json<WorkLogPayload>,
) -> Result<Json<WorkLogView>, AppError> {
    let day = app::day(&state, &day)?;
    app::save_work_log(&state, &ctx, day, &p).await?;
    Ok(Json(app::work_log(&state, &ctx, None, day).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkLogParams {
    /// One person's logs; default everyone's.
    pub user_id: Option<String>,
    /// First day (YYYY-MM-DD); default six days before `to`.
    pub from: Option<String>,
    /// Last day; default today. At most 92 days.
    pub to: Option<String>,
}

/// Work logs of a range of days, for supervisors.
#[utoipa::path(get, path = "/work-logs", tag = "logs", security(("bearer" = ["ticket.supervise"])),
    params(WorkLogParams), responses((status = 200, body = Vec<WorkLogEntry>), (status = 422)))]
async fn list_work_logs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<WorkLogParams>,
) -> Result<Json<Vec<WorkLogEntry>>, AppError> {
    let (from, to) = app::range(&state, p.from.as_deref(), p.to.as_deref())?;
    Ok(Json(
        app::list_work_logs(&state, &ctx, p.user_id.as_deref(), from, to).await?,
    ))
}

/// A shift's duty log (shift a, b or c); 404 until its lead writes one.
#[utoipa::path(get, path = "/duty-logs/{day}/{shift}", tag = "logs", security(("bearer" = ["ticket.read"])),
    params(("day" = String, Path, description = "YYYY-MM-DD"), ("shift" = String, Path, description = "a, b or c")),
    responses((status = 200, body = DutyLogView), (status = 404), (status = 422)))]
async fn get_duty_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((day, shift)): Path<(String, String)>,
) -> Result<Json<DutyLogView>, AppError> {
    let (day, shift) = (app::day(&state, &day)?, app::shift(&shift)?);
    app::duty_log(&state, &ctx, day, shift)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("duty log"))
}

/// Write a shift's duty log: staffing, incidents, handover and notes. Whoever writes
/// it becomes its lead.
#[utoipa::path(put, path = "/duty-logs/{day}/{shift}", tag = "logs", security(("bearer" = ["ticket.supervise"])),
    params(("day" = String, Path, description = "YYYY-MM-DD"), ("shift" = String, Path, description = "a, b or c")),
    request_body = DutyLogPayload, responses((status = 200, body = DutyLogView), (status = 422)))]
async fn put_duty_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((day, shift)): Path<(String, String)>,
    Json(p): Json<DutyLogPayload>,
) -> Result<Json<DutyLogView>, AppError> {
    let (day, shift) = (app::day(&state, &day)?, app::shift(&shift)?);
    app::save_duty_log(&state, &ctx, day, shift, &p).await?;
    app::duty_log(&state, &ctx, day, shift)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("duty log"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DutyLogParams {
    /// First day (YYYY-MM-DD); default six days before `to`.
    pub from: Option<String>,
    /// Last day; default today. At most 92 days.
    pub to: Option<String>,
}

/// Duty logs of a range of days, by day and shift.
#[utoipa::path(get, path = "/duty-logs", tag = "logs", security(("bearer" = ["ticket.read"])),
    params(DutyLogParams), responses((status = 200, body = Vec<DutyLogView>), (status = 422)))]
async fn list_duty_logs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<DutyLogParams>,
) -> Result<Json<Vec<DutyLogView>>, AppError> {
    let (from, to) = app::range(&state, p.from.as_deref(), p.to.as_deref())?;
    Ok(Json(app::list_duty_logs(&state, &ctx, from, to).await?))
}
