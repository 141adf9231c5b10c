//! Calls and the IVR menu over HTTP.

use super::{download, Json, Path, Query};
use crate::app::calls::{
    self as app, call_view, ActiveCall, ActiveParams, CallDetail, CallList, CallListParams,
    CallView, IdentityCheckPayload, IvrOptionPayload, TicketLinkPayload,
};
use crate::app::page_limit;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(active_calls))
        .routes(routes!(get_call))
        .routes(routes!(identity_check))
        .routes(routes!(attach_ticket))
        .routes(routes!(download_recording))
        .routes(routes!(put_transcript))
        .routes(routes!(get_ivr_menu, save_ivr_menu))
}

/// The call log, newest first, filtered; callers' numbers masked.
#[utoipa::path(get, path = "/calls", tag = "calls", security(("bearer" = ["call.handle"])),
    params(CallListParams), responses((status = 200, body = CallList)))]
async fn list_calls(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<CallListParams>,
) -> Result<Json<CallList>, AppError> {
    let page = app::list(
        &state,
        &ctx,
        &p.filter()?,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await?;
    Ok(Json(CallList {
        items: page.items.iter().map(call_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The screen pop: calls the signed-in agent answered that are still running, and
/// calls ringing in the given queues, each with the customer matched by the number.
#[utoipa::path(get, path = "/calls/active", tag = "calls", security(("bearer" = ["call.handle"])),
    params(ActiveParams), responses((status = 200, body = Vec<ActiveCall>)))]
async fn active_calls(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ActiveParams>,
) -> Result<Json<Vec<ActiveCall>>, AppError> {
    Ok(Json(app::active(&state, &ctx, p.queues.as_deref()).await?))
}

/// One call with its events as received, its customer and recording. Audited.
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", security(("bearer" = ["call.handle"])),
    params(("id" = String, Path)), responses((status = 200, body = CallDetail), (status = 404)))]
async fn get_call(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<CallDetail>, AppError> {
    Ok(Json(app::detail(&state, &ctx, &id).await?))
}

/// Record the caller's identity check (registered account or last digits of the ID
/// number) as passed or failed. Audited.
#[utoipa::path(post, path = "/calls/{id}/identity-check", tag = "calls", security(("bearer" = ["call.handle"])),
    params(("id" = String, Path)), request_body = IdentityCheckPayload,
    responses((status = 200, body = CallView), (status = 404), (status = 422)))]
async fn identity_check(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<IdentityCheckPayload>,
) -> Result<Json<CallView>, AppError> {
    Ok(Json(app::identity_check(&state, &ctx, &id, &p).await?))
}

/// Attach the call to a work order. Audited.
#[utoipa::path(post, path = "/calls/{id}/ticket", tag = "calls", security(("bearer" = ["call.handle"])),
    params(("id" = String, Path)), request_body = TicketLinkPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn attach_ticket(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TicketLinkPayload>,
) -> Result<StatusCode, AppError> {
    app::attach_ticket(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the call's recording (never played inline as a page). Audited.
#[utoipa::path(get, path = "/calls/{id}/recording", tag = "calls", security(("bearer" = ["call.handle"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the audio file", content_type = "audio/*"), (status = 404)))]
async fn download_recording(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let file = app::recording(&state, &ctx, &id).await?;
    download(&file.path, &file.filename, &file.content_type).await
}

/// Attach (or replace) the call's transcript from speech-to-text: lines with the speaker
/// (`customer` or `agent`) and the time from the start of the call. The automatic
/// quality checks then read the call.
#[utoipa::path(put, path = "/calls/{id}/transcript", tag = "calls", security(("bearer" = ["call.handle"])),
    params(("id" = String, Path)), request_body = crate::app::calls::TranscriptPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn put_transcript(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<crate::app::calls::TranscriptPayload>,
) -> Result<StatusCode, AppError> {
    app::set_transcript(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The IVR menu: which key leads to which queue.
#[utoipa::path(get, path = "/ivr-options", tag = "calls", security(("bearer" = ["service.configure"])),
    responses((status = 200, body = Vec<IvrOptionPayload>)))]
async fn get_ivr_menu(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<IvrOptionPayload>>, AppError> {
    Ok(Json(app::ivr_menu(&state, &ctx).await?))
}

/// Replace the IVR menu (in the order callers hear it). Audited.
#[utoipa::path(put, path = "/ivr-options", tag = "calls", security(("bearer" = ["service.configure"])),
    request_body = Vec<IvrOptionPayload>, responses((status = 204), (status = 422)))]
async fn save_ivr_menu(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<Vec<IvrOptionPayload>>,
) -> Result<StatusCode, AppError> {
    app::save_ivr_menu(&state, &ctx, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}
