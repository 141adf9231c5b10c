//! Duty tasks (岗位职责任务) over HTTP: one's own, everyone's for leads and managers, and
//! completing one with what it delivered.

use super::{Json, Path, Query};
use crate::app::duties::{self as app, CompletePayload, DutyTaskPage, DutyTaskView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mine))
        .routes(routes!(list_duties))
        .routes(routes!(complete))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineParams {
    /// open (default: soonest due first, overdue ones included), overdue (longest overdue
    /// first) or done (latest first).
    pub status: Option<String>,
    /// At most 200; default 50.
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Your duty tasks: the dated tasks of the recurring duties of the positions you hold.
#[utoipa::path(get, path = "/duties/mine", tag = "duties", security(("bearer" = [])),
    params(MineParams), responses((status = 200, body = DutyTaskPage), (status = 422)))]
async fn list_mine(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<MineParams>,
) -> Result<Json<DutyTaskPage>, AppError> {
    let status = app::status(&state, p.status.as_deref())?;
    Ok(Json(
        app::mine(&state, &ctx, status, p.limit, p.cursor.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// open (default), overdue or done.
    pub status: Option<String>,
    /// One person's tasks (a user id); default everyone's.
    pub user: Option<String>,
    /// At most 200; default 50.
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Everyone's duty tasks, e.g. `?status=overdue` for what is late (班长, 经理).
#[utoipa::path(get, path = "/duties", tag = "duties", security(("bearer" = ["report.view"])),
    params(ListParams), responses((status = 200, body = DutyTaskPage), (status = 403), (status = 422)))]
async fn list_duties(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<DutyTaskPage>, AppError> {
    let status = app::status(&state, p.status.as_deref())?;
    Ok(Json(
        app::list(
            &state,
            &ctx,
            status,
            p.user.as_deref(),
            p.limit,
            p.cursor.as_deref(),
        )
        .await?,
    ))
}

/// Complete one of your open duty tasks, optionally naming what it delivered (a log that
/// was written, a report page, a link) and a note. 404 `unknown_duty`, 403
/// `not_your_duty`, 409 `duty_already_done`, 422 `invalid_deliverable`.
#[utoipa::path(post, path = "/duties/{id}/complete", tag = "duties", security(("bearer" = [])),
    params(("id" = String, Path, description = "the duty task")),
    request_body = CompletePayload,
    responses((status = 200, body = DutyTaskView), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn complete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CompletePayload>,
) -> Result<Json<DutyTaskView>, AppError> {
    Ok(Json(app::complete(&state, &ctx, &id, &p).await?))
}
