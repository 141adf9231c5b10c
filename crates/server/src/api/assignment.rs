//! Balanced assignment (document 7) and first-contact tasks over HTTP.

use super::{Json, Path, Query};
use crate::app::assignment::{
    self as app, AgentLoadView, AssignRequest, AssignmentPreview, AssignmentResult,
    AssignmentSettings, ContactPayload, ContactRecorded, ContactTaskList, ContactTaskView,
    TaskListParams, WeightPayload,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents))
        .routes(routes!(set_weight))
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(preview))
        .routes(routes!(commit))
        .routes(routes!(list_contact_tasks))
        .routes(routes!(customer_contact_tasks))
        .routes(routes!(record_contact))
}

/// Every member of staff with skill weight, customer count and open contact tasks.
#[utoipa::path(get, path = "/assignment/agents", tag = "assignment", security(("bearer" = ["customer.assign"])),
    responses((status = 200, body = Vec<AgentLoadView>)))]
async fn list_agents(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<AgentLoadView>>, AppError> {
    Ok(Json(app::agents(&state, &ctx).await?))
}

/// Set an agent's skill weight (1 to 10; 422 `invalid_weight` otherwise).
#[utoipa::path(put, path = "/assignment/agents/{id}/weight", tag = "assignment", security(("bearer" = ["customer.assign"])),
    params(("id" = String, Path)), request_body = WeightPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn set_weight(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<WeightPayload>,
) -> Result<StatusCode, AppError> {
    app::set_weight(&state, &ctx, &id, p.weight).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The first-contact deadline in days (default 7).
#[utoipa::path(get, path = "/assignment/settings", tag = "assignment", security(("bearer" = ["customer.assign"])),
    responses((status = 200, body = AssignmentSettings)))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<AssignmentSettings>, AppError> {
    Ok(Json(app::settings(&state, &ctx).await?))
}

/// Change the first-contact deadline (1 to 90 days) for assignments from now on.
#[utoipa::path(put, path = "/assignment/settings", tag = "assignment", security(("bearer" = ["customer.assign"])),
    request_body = AssignmentSettings, responses((status = 204), (status = 422)))]
async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<AssignmentSettings>,
) -> Result<StatusCode, AppError> {
    app::save_settings(&state, &ctx, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a commit would do: per chosen agent the current count, weight, new count and
/// ideal share. Writes nothing. 422 with `no_agents`, `unknown_agent`, `inactive_agent`,
/// `duplicate_agent`, `leaving_agent_chosen`, `nothing_to_assign`, `invalid_source`.
#[utoipa::path(post, path = "/assignment/preview", tag = "assignment", security(("bearer" = ["customer.assign"])),
    request_body = AssignRequest, responses((status = 200, body = AssignmentPreview), (status = 422)))]
async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<AssignRequest>,
) -> Result<Json<AssignmentPreview>, AppError> {
    Ok(Json(app::preview(&state, &ctx, &req).await?))
}

/// Assign: plans again on the current data and writes it in one transaction — owners,
/// one first-contact task per customer, timeline entries, one audit entry. Same errors
/// as the preview.
#[utoipa::path(post, path = "/assignment/commit", tag = "assignment", security(("bearer" = ["customer.assign"])),
    request_body = AssignRequest, responses((status = 200, body = AssignmentResult), (status = 422)))]
async fn commit(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<AssignRequest>,
) -> Result<Json<AssignmentResult>, AppError> {
    Ok(Json(app::commit(&state, &ctx, &req).await?))
}

/// Open first-contact tasks, soonest due first, with `overdue` marks; mine unless
/// `agent_id` names someone else (then `customer.assign` is needed).
#[utoipa::path(get, path = "/contact-tasks", tag = "assignment", security(("bearer" = ["customer.read"])),
    params(TaskListParams), responses((status = 200, body = ContactTaskList)))]
async fn list_contact_tasks(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<TaskListParams>,
) -> Result<Json<ContactTaskList>, AppError> {
    Ok(Json(app::open_tasks(&state, &ctx, &p).await?))
}

/// A customer's contact tasks, open ones first.
#[utoipa::path(get, path = "/customers/{id}/contact-tasks", tag = "assignment", security(("bearer" = ["customer.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<ContactTaskView>)))]
async fn customer_contact_tasks(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<ContactTaskView>>, AppError> {
    Ok(Json(app::customer_tasks(&state, &ctx, &id).await?))
}

/// Record a contact with the customer: closes their open first-contact tasks and puts
/// the contact (and note) on the timeline.
#[utoipa::path(post, path = "/customers/{id}/contact", tag = "assignment", security(("bearer" = ["customer.write"])),
    params(("id" = String, Path)), request_body = ContactPayload,
    responses((status = 200, body = ContactRecorded), (status = 404), (status = 422)))]
async fn record_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ContactPayload>,
) -> Result<Json<ContactRecorded>, AppError> {
    Ok(Json(app::record_contact(&state, &ctx, &id, &p).await?))
}
