//! Outbound campaigns (主动拨打) over HTTP: define, start/pause/resume/finish, progress,
//! imported target lists, the agent's calling list of the day and recording a call; and
//! the do-not-call flag on a customer.

use super::{Json, Path, Query};
use crate::app::campaigns::calls::{self, CallPayload, CallResult, CallingList, DoNotCall};
use crate::app::campaigns::{
    self as app, CampaignPayload, CampaignSummary, CampaignView, ProgressView, TargetsAdded,
    TargetsPayload,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(my_list))
        .routes(routes!(get_campaign, update_campaign))
        .routes(routes!(change_status))
        .routes(routes!(progress))
        .routes(routes!(add_targets))
        .routes(routes!(record_call))
        .routes(routes!(get_do_not_call, set_do_not_call))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `draft`, `active`, `paused` or `finished`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPayload {
    /// `start` (draft → active; the filter's customers become targets), `pause`,
    /// `resume` or `finish`.
    pub action: String,
}

/// Campaigns, newest first, with targets, done and converted counts.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(ListParams), responses((status = 200, body = Vec<CampaignSummary>)))]
async fn list_campaigns(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<CampaignSummary>>, AppError> {
    Ok(Json(app::list(&state, &ctx, p.status.as_deref()).await?))
}

/// Define a campaign (a draft). 422 names the field: `invalid_quota`,
/// `invalid_calling_hours`, `invalid_retry_hours`, `invalid_max_attempts`, `unknown_agent` …
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    request_body = CampaignPayload, responses((status = 201, body = CampaignView), (status = 422)))]
async fn create_campaign(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CampaignPayload>,
) -> Result<(StatusCode, Json<CampaignView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app::create(&state, &ctx, &p).await?),
    ))
}

#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(("id" = String, Path)), responses((status = 200, body = CampaignView), (status = 404)))]
async fn get_campaign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, AppError> {
    Ok(Json(app::get(&state, &ctx, &id).await?))
}

/// Replace the definition and the agents (409 `campaign_finished` once finished).
#[utoipa::path(put, path = "/campaigns/{id}", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(("id" = String, Path)), request_body = CampaignPayload,
    responses((status = 200, body = CampaignView), (status = 404), (status = 409), (status = 422)))]
async fn update_campaign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CampaignPayload>,
) -> Result<Json<CampaignView>, AppError> {
    Ok(Json(app::update(&state, &ctx, &id, &p).await?))
}

/// Start, pause, resume or finish (409 `bad_transition` when the action does not apply).
#[utoipa::path(post, path = "/campaigns/{id}/status", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(("id" = String, Path)), request_body = ActionPayload,
    responses((status = 200, body = CampaignView), (status = 404), (status = 409), (status = 422)))]
async fn change_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ActionPayload>,
) -> Result<Json<CampaignView>, AppError> {
    Ok(Json(app::act(&state, &ctx, &id, &p.action).await?))
}

/// Progress and conversion: targets by state and outcome, calls today, per agent.
#[utoipa::path(get, path = "/campaigns/{id}/progress", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(("id" = String, Path)), responses((status = 200, body = ProgressView), (status = 404)))]
async fn progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ProgressView>, AppError> {
    Ok(Json(app::progress(&state, &ctx, &id).await?))
}

/// Add an imported list: customer ids and/or phone numbers of existing customers.
#[utoipa::path(post, path = "/campaigns/{id}/targets", tag = "campaigns", security(("bearer" = ["campaign.manage"])),
    params(("id" = String, Path)), request_body = TargetsPayload,
    responses((status = 200, body = TargetsAdded), (status = 404), (status = 409), (status = 422)))]
async fn add_targets(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TargetsPayload>,
) -> Result<Json<TargetsAdded>, AppError> {
    Ok(Json(app::add_targets(&state, &ctx, &id, &p).await?))
}

/// My calling list for today over every active campaign I work, topped up to each
/// campaign's daily quota.
#[utoipa::path(get, path = "/campaigns/my-list", tag = "campaigns", security(("bearer" = ["campaign.call"])),
    responses((status = 200, body = CallingList)))]
async fn my_list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<CallingList>, AppError> {
    Ok(Json(calls::my_list(&state, &ctx).await?))
}

/// Record a call to a customer on my list. 409: `outside_calling_hours`, `do_not_call`,
/// `called_today` (by any campaign), `quota_reached`, `not_on_list`, `target_done`,
/// `campaign_not_active`; 422: `invalid_outcome`, `callback_time_missing` …
#[utoipa::path(post, path = "/campaigns/{id}/targets/{customer_id}/calls", tag = "campaigns",
    security(("bearer" = ["campaign.call"])),
    params(("id" = String, Path), ("customer_id" = String, Path)), request_body = CallPayload,
    responses((status = 201, body = CallResult), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn record_call(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, customer_id)): Path<(String, String)>,
    Json(p): Json<CallPayload>,
) -> Result<(StatusCode, Json<CallResult>), AppError> {
    let done = calls::record_call(&state, &ctx, &id, &customer_id, &p).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Whether the customer asked not to be called (勿扰).
#[utoipa::path(get, path = "/customers/{id}/do-not-call", tag = "campaigns", security(("bearer" = ["customer.read"])),
    params(("id" = String, Path)), responses((status = 200, body = DoNotCall), (status = 404)))]
async fn get_do_not_call(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<DoNotCall>, AppError> {
    Ok(Json(calls::get_do_not_call(&state, &ctx, &id).await?))
}

/// Set or clear the do-not-call flag (audited, on the customer's timeline).
#[utoipa::path(put, path = "/customers/{id}/do-not-call", tag = "campaigns", security(("bearer" = ["customer.write"])),
    params(("id" = String, Path)), request_body = DoNotCall, responses((status = 204), (status = 404)))]
async fn set_do_not_call(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<DoNotCall>,
) -> Result<StatusCode, AppError> {
    calls::set_do_not_call(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}
