//! SLA policies over HTTP.

use super::customers::Created;
use super::{Json, Path, Query};
use crate::app::sla::{
    self as app, PreviewParams, SlaPolicyPatch, SlaPolicyPayload, SlaPolicyView, SlaPreview,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(preview))
        .routes(routes!(get_policy, update_policy, delete_policy))
}

/// All SLA policies, active and not.
#[utoipa::path(get, path = "/sla-policies", tag = "sla", security(("bearer" = ["ticket.read"])),
    responses((status = 200, body = Vec<SlaPolicyView>)))]
async fn list_policies(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<SlaPolicyView>>, AppError> {
    Ok(Json(app::policies(&state, &ctx).await?))
}

/// Add a policy. Unknown codes: 422 `unknown_ticket_type`, `unknown_priority`,
/// `unknown_tier`, `unknown_calendar`, `unknown_status`; targets outside 1 minute to a
/// year: 422 `invalid_target`.
#[utoipa::path(post, path = "/sla-policies", tag = "sla", security(("bearer" = ["service.configure"])),
    request_body = SlaPolicyPayload, responses((status = 201, body = Created), (status = 422)))]
async fn create_policy(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SlaPolicyPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = app::create(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(get, path = "/sla-policies/{id}", tag = "sla", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path)), responses((status = 200, body = SlaPolicyView), (status = 404)))]
async fn get_policy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<SlaPolicyView>, AppError> {
    Ok(Json(app::policy(&state, &ctx, &id).await?))
}

/// Change a policy: absent fields stay; `""` makes a criterion match anything. Removing
/// the last active catch-all policy is refused (409 `catch_all_required`).
#[utoipa::path(patch, path = "/sla-policies/{id}", tag = "sla", security(("bearer" = ["service.configure"])),
    params(("id" = String, Path)), request_body = SlaPolicyPatch,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_policy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<SlaPolicyPatch>,
) -> Result<StatusCode, AppError> {
    app::update(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a policy (409 `catch_all_required` for the last active catch-all).
#[utoipa::path(delete, path = "/sla-policies/{id}", tag = "sla", security(("bearer" = ["service.configure"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete_policy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::delete(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The policy a work order of this type, priority and customer tier would get, and when
/// its first response, reply promise and resolution would fall due if it arrived at
/// `from`.
#[utoipa::path(get, path = "/sla-policies/preview", tag = "sla", security(("bearer" = ["ticket.read"])),
    params(PreviewParams), responses((status = 200, body = SlaPreview), (status = 422)))]
async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<PreviewParams>,
) -> Result<Json<SlaPreview>, AppError> {
    Ok(Json(app::preview(&state, &ctx, &p).await?))
}
