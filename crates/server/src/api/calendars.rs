//! Business calendars, holidays and make-up days over HTTP.

use super::{Json, Path, Query};
use crate::app::calendars::{
    self as app, CalendarDayPayload, CalendarDayView, CalendarImportPayload, CalendarImportResult,
    CalendarPayload, CalendarView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars))
        .routes(routes!(get_calendar, update_calendar))
        .routes(routes!(list_days))
        .routes(routes!(save_day, delete_day))
        .routes(routes!(import_year))
}

/// The calendars SLA targets are counted on: `working` (工作时间) and `on_duty` (值班时间).
#[utoipa::path(get, path = "/calendars", tag = "calendars", security(("bearer" = ["ticket.read"])),
    responses((status = 200, body = Vec<CalendarView>)))]
async fn list_calendars(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<CalendarView>>, AppError> {
    Ok(Json(app::calendars(&state, &ctx).await?))
}

#[utoipa::path(get, path = "/calendars/{code}", tag = "calendars", security(("bearer" = ["ticket.read"])),
    params(("code" = String, Path)), responses((status = 200, body = CalendarView), (status = 404)))]
async fn get_calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<CalendarView>, AppError> {
    Ok(Json(app::calendar(&state, &ctx, &code).await?))
}

/// Set a calendar's weekly hours (several periods a day for breaks and split shifts) and
/// whether it observes the holidays. Bad periods: 422 `invalid_span`; a week that is
/// not seven days or has no working time: 422 `invalid_week`.
#[utoipa::path(put, path = "/calendars/{code}", tag = "calendars", security(("bearer" = ["service.configure"])),
    params(("code" = String, Path)), request_body = CalendarPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn update_calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Json(p): Json<CalendarPayload>,
) -> Result<StatusCode, AppError> {
    app::update_calendar(&state, &ctx, &code, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParams {
    /// Only this year; all years without it.
    pub year: Option<i32>,
}

/// Holidays (放假) and make-up working days (调休上班), in date order.
#[utoipa::path(get, path = "/calendar-days", tag = "calendars", security(("bearer" = ["ticket.read"])),
    params(YearParams), responses((status = 200, body = Vec<CalendarDayView>)))]
async fn list_days(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<YearParams>,
) -> Result<Json<Vec<CalendarDayView>>, AppError> {
    Ok(Json(app::days(&state, &ctx, p.year).await?))
}

/// Add or change one holiday or make-up day.
#[utoipa::path(put, path = "/calendar-days/{date}", tag = "calendars", security(("bearer" = ["service.configure"])),
    params(("date" = String, Path, description = "YYYY-MM-DD")), request_body = CalendarDayPayload,
    responses((status = 204), (status = 422)))]
async fn save_day(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(date): Path<String>,
    Json(p): Json<CalendarDayPayload>,
) -> Result<StatusCode, AppError> {
    app::save_day(&state, &ctx, &date, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a holiday or make-up day: the date follows its weekday's hours again.
#[utoipa::path(delete, path = "/calendar-days/{date}", tag = "calendars", security(("bearer" = ["service.configure"])),
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 404), (status = 422)))]
async fn delete_day(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(date): Path<String>,
) -> Result<StatusCode, AppError> {
    app::delete_day(&state, &ctx, &date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a year's holidays and make-up days with the published notice, in the data-file
/// format. Every line is checked first; any bad line (422 `invalid_holiday_data`, naming
/// it) leaves the year unchanged.
#[utoipa::path(post, path = "/calendar-days/import", tag = "calendars", security(("bearer" = ["service.configure"])),
    request_body = CalendarImportPayload,
    responses((status = 200, body = CalendarImportResult), (status = 422)))]
async fn import_year(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CalendarImportPayload>,
) -> Result<Json<CalendarImportResult>, AppError> {
    Ok(Json(app::import_year(&state, &ctx, &p).await?))
}
