//! Callbacks over HTTP: the queue, one task, attempts, tasks by hand, assignment, the
//! plans and policy, "generate now", pre-sale lists, and a customer's expiry date (for
//! renewal reminders).

use super::{Json, Path, Query};
use crate::app::callbacks::import::{self, PreSalePayload, PreSaleView};
use crate::app::callbacks::plans::{self, PlanPayload, PlanView, SettingsView};
use crate::app::callbacks::{
    self as app, counts_view, summary_view, AssignPayload, AttemptPayload, AttemptResultView,
    CreatePayload, GeneratedView, QueueParams, TaskDetail, TaskList,
};
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_domain::callback::AfterAttempt;
use kefu_domain::complaint::AfterCallback;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_callbacks, create_callback))
        .routes(routes!(get_callback))
        .routes(routes!(record_attempt))
        .routes(routes!(assign))
        .routes(routes!(generate))
        .routes(routes!(import_pre_sale))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(update_plan))
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(set_expiry))
}

/// The callback queue: `tab=today` (due before the end of today), `overdue` (raised by
/// the follow-up watch) or a kind; `assignee=me|unassigned|all|<user id>`.
#[utoipa::path(get, path = "/callbacks", tag = "callbacks", security(("bearer" = ["callback.view"])),
    params(QueueParams), responses((status = 200, body = TaskList), (status = 422)))]
async fn list_callbacks(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<QueueParams>,
) -> Result<Json<TaskList>, AppError> {
    let (page, counts) = app::queue(&state, &ctx, &p).await?;
    Ok(Json(TaskList {
        items: page.items.iter().map(summary_view).collect(),
        next_cursor: page.next_cursor,
        counts: counts_view(&counts),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedView {
    pub id: String,
}

/// Create a callback task by hand.
#[utoipa::path(post, path = "/callbacks", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    request_body = CreatePayload, responses((status = 201, body = CreatedView), (status = 409), (status = 422)))]
async fn create_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CreatePayload>,
) -> Result<(StatusCode, Json<CreatedView>), AppError> {
    let id = app::create(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

/// One task: customer facts (phone masked unless you hold `customer.pii.read`), the
/// filled-in script, the callback record and every attempt. The read is audited.
#[utoipa::path(get, path = "/callbacks/{id}", tag = "callbacks", security(("bearer" = ["callback.view"])),
    params(("id" = String, Path)), responses((status = 200, body = TaskDetail), (status = 404)))]
async fn get_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<TaskDetail>, AppError> {
    Ok(Json(app::detail(&state, &ctx, &id, Lang::ZhCn).await?))
}

/// Record an attempt. Unreachable and busy are retried by the policy (the task closes
/// as unreachable after the last one); `later` is due at `later_at`; `done` closes the
/// task with its outcome — a complaint callback's outcome closes the complaint or opens
/// its next round, a dissatisfied after-sale or repair callback reopens the ticket.
#[utoipa::path(post, path = "/callbacks/{id}/attempts", tag = "callbacks", security(("bearer" = ["callback.work"])),
    params(("id" = String, Path)), request_body = AttemptPayload,
    responses((status = 200, body = AttemptResultView), (status = 404), (status = 409), (status = 422)))]
async fn record_attempt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<AttemptPayload>,
) -> Result<Json<AttemptResultView>, AppError> {
    let r = app::attempt(&state, &ctx, &id, &p).await?;
    Ok(Json(result_view(&r)))
}

pub(crate) fn result_view(r: &kefu_store::callbacks::AttemptRecorded) -> AttemptResultView {
    let (status, next_at, outcome) = match r.after {
        AfterAttempt::Retry { next_at } => {
            ("open", Some(rfc3339(kefu_store::to_millis(next_at))), None)
        }
        AfterAttempt::Close(o) => ("done", None, Some(o.code().to_string())),
    };
    AttemptResultView {
        status: status.into(),
        next_at,
        outcome,
        complaint: r.complaint.as_ref().map(|c| {
            match c {
                AfterCallback::Close => "closed",
                AfterCallback::NewRound(_) => "new_round",
            }
            .to_string()
        }),
    }
}

/// Give a task to someone (`callback.manage`), or take an unassigned one yourself.
#[utoipa::path(put, path = "/callbacks/{id}/assignee", tag = "callbacks", security(("bearer" = ["callback.work"])),
    params(("id" = String, Path)), request_body = AssignPayload,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<AssignPayload>,
) -> Result<StatusCode, AppError> {
    app::assign(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run the plan rules now (the daily job does the same at 00:30); tasks that exist are
/// not created again.
#[utoipa::path(post, path = "/callbacks/generate", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    responses((status = 200, body = GeneratedView)))]
async fn generate(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<GeneratedView>, AppError> {
    Ok(Json(app::generate(&state, &ctx).await?))
}

/// Import a pre-sale list (CSV text with a header: 姓名/name, 手机/mobile, 备注/notes):
/// customers are matched by mobile number or created as prospects.
#[utoipa::path(post, path = "/callbacks/imports", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    request_body = PreSalePayload, responses((status = 200, body = PreSaleView), (status = 422)))]
async fn import_pre_sale(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<PreSalePayload>,
) -> Result<Json<PreSaleView>, AppError> {
    Ok(Json(import::import_pre_sale(&state, &ctx, &p).await?))
}

#[utoipa::path(get, path = "/callbacks/plans", tag = "callbacks", security(("bearer" = ["callback.view"])),
    responses((status = 200, body = Vec<PlanView>)))]
async fn list_plans(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<PlanView>>, AppError> {
    Ok(Json(plans::list(&state, &ctx).await?))
}

/// Create a plan: `periodic` (tier and period), `care` (holidays and special dates,
/// `lead_days` ahead) or `renewal` (`lead_days` before the expiry date).
#[utoipa::path(post, path = "/callbacks/plans", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    request_body = PlanPayload, responses((status = 201, body = CreatedView), (status = 422)))]
async fn create_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<PlanPayload>,
) -> Result<(StatusCode, Json<CreatedView>), AppError> {
    let id = plans::save(&state, &ctx, None, &p).await?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

#[utoipa::path(put, path = "/callbacks/plans/{id}", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    params(("id" = String, Path)), request_body = PlanPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn update_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<PlanPayload>,
) -> Result<StatusCode, AppError> {
    plans::save(&state, &ctx, Some(&id), &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/callbacks/settings", tag = "callbacks", security(("bearer" = ["callback.view"])),
    responses((status = 200, body = SettingsView)))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<SettingsView>, AppError> {
    Ok(Json(plans::settings(&state, &ctx).await?))
}

/// The policy: follow-up hours (48), retry policy, after-sale ticket types and delay.
#[utoipa::path(put, path = "/callbacks/settings", tag = "callbacks", security(("bearer" = ["callback.manage"])),
    request_body = SettingsView, responses((status = 204), (status = 422)))]
async fn update_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SettingsView>,
) -> Result<StatusCode, AppError> {
    plans::save_settings(&state, &ctx, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryPayload {
    /// `YYYY-MM-DD`, or null to clear.
    pub expires_on: Option<String>,
}

/// Set the date a customer's contract or service expires (renewal reminders fall due the
/// renewal plan's lead days before it).
#[utoipa::path(put, path = "/customers/{id}/expires_on", tag = "customers", security(("bearer" = ["customer.write"])),
    params(("id" = String, Path)), request_body = ExpiryPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn set_expiry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ExpiryPayload>,
) -> Result<StatusCode, AppError> {
    app::set_expiry(&state, &ctx, &id, p.expires_on.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
