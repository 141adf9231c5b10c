//! Complaints over HTTP: register, read with rounds, the archive, one route per step of
//! the loop (restatement, handling, callback, close), the root-cause tree and the monthly
//! statistics. A complaint is named by its ticket's id or number.

use super::{Json, Path, Query};
use crate::app::complaints::causes::{self, CausePayload, CauseView};
use crate::app::complaints::{
    self as app, complaint_view, summary_view, ArchiveParams, CallbackPayload, CausePick,
    ClosePayload, ComplaintList, ComplaintView, HandlingPayload, RegisterPayload,
    RestatementPayload, StatsView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_domain::complaint::AfterCallback;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_complaints, register))
        .routes(routes!(stats))
        .routes(routes!(get_complaint))
        .routes(routes!(restatement))
        .routes(routes!(set_cause))
        .routes(routes!(handling))
        .routes(routes!(callback))
        .routes(routes!(close))
        .routes(routes!(reveal_address))
        .routes(routes!(list_causes, create_cause))
        .routes(routes!(update_cause, delete_cause))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredView {
    /// The complaint's ticket.
    pub id: String,
    pub number: String,
    /// The manager a serious complaint was escalated to.
    pub escalated_to: Option<String>,
}

/// Register a complaint: opens a complaint ticket (you are its first owner), round 1 of
/// handling and, for major and urgent complaints, the escalation to the manager. A bad
/// field answers 422 naming it (`invalid_phone`, `invalid_cause`, `invalid_severity` …).
#[utoipa::path(post, path = "/complaints", tag = "complaints", security(("bearer" = ["ticket.write"])),
    request_body = RegisterPayload, responses((status = 201, body = RegisteredView), (status = 422)))]
async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<RegisterPayload>,
) -> Result<(StatusCode, Json<RegisteredView>), AppError> {
    let r = app::register(&state, &ctx, &p).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredView {
            id: r.ticket_id,
            number: r.number.as_str().to_string(),
            escalated_to: r.escalated_to,
        }),
    ))
}

/// The complaint archive, newest first, filtered by severity, root cause (with its
/// subcategories), responsible department, stage, registration days and text.
#[utoipa::path(get, path = "/complaints", tag = "complaints", security(("bearer" = ["ticket.read"])),
    params(ArchiveParams), responses((status = 200, body = ComplaintList), (status = 422)))]
async fn list_complaints(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ArchiveParams>,
) -> Result<Json<ComplaintList>, AppError> {
    let page = app::archive(&state, &ctx, &p).await?;
    Ok(Json(ComplaintList {
        items: page.items.iter().map(summary_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `2026-11` (default: this month).
    pub month: Option<String>,
}

/// Complaints registered in a month, counted by root cause, responsible department and
/// severity (for the monthly report).
#[utoipa::path(get, path = "/complaints/stats", tag = "complaints", security(("bearer" = ["ticket.supervise"])),
    params(StatsParams), responses((status = 200, body = StatsView), (status = 422)))]
async fn stats(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<StatsParams>,
) -> Result<Json<StatsView>, AppError> {
    Ok(Json(app::stats(&state, &ctx, p.month.as_deref()).await?))
}

/// One complaint with every round (by ticket id or number); phone and address masked.
#[utoipa::path(get, path = "/complaints/{id}", tag = "complaints", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path, description = "ticket id or number")),
    responses((status = 200, body = ComplaintView), (status = 404)))]
async fn get_complaint(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ComplaintView>, AppError> {
    Ok(Json(complaint_view(
        &app::load(&state, &ctx, &id, None).await?,
    )))
}

/// The customer confirmed the agent's restatement of the problem.
#[utoipa::path(post, path = "/complaints/{id}/restatement", tag = "complaints", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = RestatementPayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn restatement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<RestatementPayload>,
) -> Result<StatusCode, AppError> {
    app::confirm_restatement(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set or correct the root-cause category (422 `unknown_cause` for an unknown or
/// inactive one).
#[utoipa::path(put, path = "/complaints/{id}/cause", tag = "complaints", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = CausePick,
    responses((status = 204), (status = 404), (status = 422)))]
async fn set_cause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CausePick>,
) -> Result<StatusCode, AppError> {
    app::set_cause(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The responsible department records its analysis and corrective action for the
/// current round; the ticket is resolved and waits for the callback. 409
/// `already_handled`, `complaint_closed`; 422 `cause_required` without a root cause.
#[utoipa::path(post, path = "/complaints/{id}/handling", tag = "complaints", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = HandlingPayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn handling(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<HandlingPayload>,
) -> Result<StatusCode, AppError> {
    app::record_handling(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackResult {
    /// closed, or the new round's number when the customer was not satisfied
    pub next: String,
    pub round: Option<i64>,
}

/// The callback after handling: `satisfied` closes the complaint and its ticket;
/// `dissatisfied` sends it back to handling as a new round. 409 `not_handled`,
/// `callback_recorded`.
#[utoipa::path(post, path = "/complaints/{id}/callbacks", tag = "complaints", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = CallbackPayload,
    responses((status = 200, body = CallbackResult), (status = 404), (status = 409), (status = 422)))]
async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CallbackPayload>,
) -> Result<Json<CallbackResult>, AppError> {
    Ok(Json(
        match app::record_callback(&state, &ctx, &id, &p).await? {
            AfterCallback::Close => CallbackResult {
                next: "closed".into(),
                round: None,
            },
            AfterCallback::NewRound(n) => CallbackResult {
                next: "new_round".into(),
                round: Some(n),
            },
        },
    ))
}

/// Close the complaint. Without a satisfied callback only someone with
/// `complaint.close_override` (the manager) may, and only with a written `reason`:
/// 422 `complaint_not_satisfied` or `close_reason_required` otherwise.
#[utoipa::path(post, path = "/complaints/{id}/close", tag = "complaints", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = ClosePayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ClosePayload>,
) -> Result<StatusCode, AppError> {
    app::close(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedAddress {
    pub address: String,
}

/// Show the complaint's address in the clear. Audited.
#[utoipa::path(post, path = "/complaints/{id}/reveal-address", tag = "complaints", security(("bearer" = ["customer.pii.read"])),
    params(("id" = String, Path)), responses((status = 200, body = RevealedAddress), (status = 404)))]
async fn reveal_address(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<RevealedAddress>, AppError> {
    Ok(Json(RevealedAddress {
        address: app::reveal_address(&state, &ctx, &id).await?,
    }))
}

/// The root-cause tree in tree order, with depth, path and how many complaints use each.
#[utoipa::path(get, path = "/complaint-causes", tag = "complaints", security(("bearer" = ["ticket.read"])),
    responses((status = 200, body = Vec<CauseView>)))]
async fn list_causes(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<CauseView>>, AppError> {
    Ok(Json(causes::causes(&state, &ctx).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCause {
    pub id: String,
}

/// Add a category (at most three levels; 422 `cause_too_deep`, 409 `duplicate_cause`).
#[utoipa::path(post, path = "/complaint-causes", tag = "complaints", security(("bearer" = ["service.configure"])),
    request_body = CausePayload, responses((status = 201, body = CreatedCause), (status = 409), (status = 422)))]
async fn create_cause(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CausePayload>,
) -> Result<(StatusCode, Json<CreatedCause>), AppError> {
    let id = causes::create_cause(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(CreatedCause { id })))
}

/// Rename, move (422 `cause_cycle`, `cause_too_deep`), reorder or (de)activate.
#[utoipa::path(put, path = "/complaint-causes/{id}", tag = "complaints", security(("bearer" = ["service.configure"])),
    params(("id" = String, Path)), request_body = CausePayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_cause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CausePayload>,
) -> Result<StatusCode, AppError> {
    causes::update_cause(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an unused category without subcategories (409 `cause_in_use`: deactivate it).
#[utoipa::path(delete, path = "/complaint-causes/{id}", tag = "complaints", security(("bearer" = ["service.configure"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete_cause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    causes::delete_cause(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
