//! Performance evaluation (绩效考核) and commission (提成) over HTTP: the scheme, rules
//! and rates; a month's ranking with each agent's breakdown, its recompute and its sheet;
//! commissions and what is recorded against agents.

use super::{download, Json, Path, Query};
use crate::app::export::Format;
use crate::app::performance::months::{self, AgentResultView, MonthView};
use crate::app::performance::records::{
    self, CommissionPage, CommissionPayload, CommissionView, IncidentPayload, IncidentView,
};
use crate::app::performance::{
    self as app, RateView, RatesPayload, RuleBody, RulesPayload, SchemePayload, SchemeView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_scheme, put_scheme))
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(get_rates, put_rates))
        .routes(routes!(calculate_commission))
        .routes(routes!(list_commissions))
        .routes(routes!(withdraw_commission))
        .routes(routes!(record_incident))
        .routes(routes!(withdraw_incident))
        .routes(routes!(get_month))
        .routes(routes!(recompute_month))
        .routes(routes!(get_agent))
        .routes(routes!(export_month))
        .routes(routes!(list_incidents))
}

/// The evaluation scheme: weights, pass line, deduction per complaint, workload target,
/// evaluated positions.
#[utoipa::path(get, path = "/performance/scheme", tag = "performance", security(("bearer" = ["report.view"])),
    responses((status = 200, body = SchemeView), (status = 403)))]
async fn get_scheme(State(state): State<AppState>, ctx: Ctx) -> Result<Json<SchemeView>, AppError> {
    Ok(Json(app::get_scheme(&state, &ctx).await?))
}

/// Replace the scheme. 422 `invalid_weights` (each 0–100, adding up to 100),
/// `invalid_pass_line`, `invalid_deduction`, `invalid_target`, `unknown_position`. Months
/// already kept stay as they are until recomputed.
#[utoipa::path(put, path = "/performance/scheme", tag = "performance", security(("bearer" = ["performance.manage"])),
    request_body = SchemePayload,
    responses((status = 200, body = SchemeView), (status = 403), (status = 422)))]
async fn put_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SchemePayload>,
) -> Result<Json<SchemeView>, AppError> {
    Ok(Json(app::put_scheme(&state, &ctx, &p).await?))
}

/// The rewards and fines rules.
#[utoipa::path(get, path = "/performance/rules", tag = "performance", security(("bearer" = ["report.view"])),
    responses((status = 200, body = Vec<RuleBody>), (status = 403)))]
async fn get_rules(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<RuleBody>>, AppError> {
    Ok(Json(app::get_rules(&state, &ctx).await?))
}

/// Replace the rewards and fines rules. 422 `invalid_rule`, `invalid_amount`.
#[utoipa::path(put, path = "/performance/rules", tag = "performance", security(("bearer" = ["performance.manage"])),
    request_body = RulesPayload,
    responses((status = 200, body = Vec<RuleBody>), (status = 403), (status = 422)))]
async fn put_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<RulesPayload>,
) -> Result<Json<Vec<RuleBody>>, AppError> {
    Ok(Json(app::put_rules(&state, &ctx, &p).await?))
}

/// Every position with its commission rate (提成点).
#[utoipa::path(get, path = "/performance/rates", tag = "performance", security(("bearer" = ["report.view"])),
    responses((status = 200, body = Vec<RateView>), (status = 403)))]
async fn get_rates(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<RateView>>, AppError> {
    Ok(Json(app::get_rates(&state, &ctx).await?))
}

/// Set the rates of the positions named (null removes one). 422 `unknown_position`,
/// `invalid_rate`.
#[utoipa::path(put, path = "/performance/rates", tag = "performance", security(("bearer" = ["performance.manage"])),
    request_body = RatesPayload,
    responses((status = 200, body = Vec<RateView>), (status = 403), (status = 422)))]
async fn put_rates(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<RatesPayload>,
) -> Result<Json<Vec<RateView>>, AppError> {
    Ok(Json(app::put_rates(&state, &ctx, &p).await?))
}

/// Calculate a commission, (contract − rent × 50% − tax × 50%) × the position's rate, and
/// record it (`"record": false` only calculates). 422 `invalid_amount`, `unknown_agent`,
/// `unknown_position`, `no_commission_rate`, `invalid_text`.
#[utoipa::path(post, path = "/performance/commission", tag = "performance", security(("bearer" = ["report.view"])),
    request_body = CommissionPayload,
    responses((status = 201, body = CommissionView), (status = 200, body = CommissionView), (status = 403), (status = 422)))]
async fn calculate_commission(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CommissionPayload>,
) -> Result<(StatusCode, Json<CommissionView>), AppError> {
    let v = records::calculate(&state, &ctx, &p).await?;
    let status = if v.id.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(v)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CommissionParams {
    /// One agent's (a user id).
    agent: Option<String>,
    /// At most 200; default 50.
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Recorded commissions, newest first.
#[utoipa::path(get, path = "/performance/commissions", tag = "performance", security(("bearer" = ["report.view"])),
    params(CommissionParams), responses((status = 200, body = CommissionPage), (status = 403)))]
async fn list_commissions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<CommissionParams>,
) -> Result<Json<CommissionPage>, AppError> {
    Ok(Json(
        records::list(
            &state,
            &ctx,
            p.agent.as_deref(),
            p.limit,
            p.cursor.as_deref(),
        )
        .await?,
    ))
}

/// Record a complaint against an agent or a violation (违规) for a month. 422
/// `invalid_month`, `invalid_kind`, `unknown_agent`.
#[utoipa::path(post, path = "/performance/incidents", tag = "performance", security(("bearer" = ["performance.manage"])),
    request_body = IncidentPayload,
    responses((status = 201, body = IncidentView), (status = 403), (status = 422)))]
async fn record_incident(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<IncidentPayload>,
) -> Result<(StatusCode, Json<IncidentView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(records::record_incident(&state, &ctx, &p).await?),
    ))
}

/// Withdraw an incident recorded by mistake (audited with what it said). A kept month
/// stops counting it when recomputed. 404 when there is none.
#[utoipa::path(delete, path = "/performance/incidents/{id}", tag = "performance", security(("bearer" = ["performance.manage"])),
    params(("id" = String, Path)),
    responses((status = 200, body = IncidentView), (status = 403), (status = 404)))]
async fn withdraw_incident(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, AppError> {
    Ok(Json(records::withdraw_incident(&state, &ctx, &id).await?))
}

/// Withdraw a commission recorded by mistake (audited with its contract and amount).
/// 404 when there is none.
#[utoipa::path(delete, path = "/performance/commissions/{id}", tag = "performance", security(("bearer" = ["performance.manage"])),
    params(("id" = String, Path)),
    responses((status = 200, body = CommissionView), (status = 403), (status = 404)))]
async fn withdraw_commission(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<CommissionView>, AppError> {
    Ok(Json(records::withdraw_commission(&state, &ctx, &id).await?))
}

/// A month's evaluation (`2026-11`): the ranking with each agent's components, total and
/// reward or fine. A finished month is computed the first time it is asked for and kept;
/// the current month is computed live. 422 `invalid_month` (malformed or not begun).
#[utoipa::path(get, path = "/performance/{month}", tag = "performance", security(("bearer" = ["report.view"])),
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthView), (status = 403), (status = 422)))]
async fn get_month(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
) -> Result<Json<MonthView>, AppError> {
    Ok(Json(months::month(&state, &ctx, &month).await?))
}

/// Compute a finished month again with the current scheme, rules and records, replacing
/// what was kept. 409 `month_not_over` for the current month.
#[utoipa::path(post, path = "/performance/{month}/recompute", tag = "performance", security(("bearer" = ["performance.manage"])),
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthView), (status = 403), (status = 409), (status = 422)))]
async fn recompute_month(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
) -> Result<Json<MonthView>, AppError> {
    Ok(Json(months::recompute(&state, &ctx, &month).await?))
}

#[derive(Debug, Serialize, ToSchema)]
struct AgentMonthView {
    month: String,
    state: String,
    agent: AgentResultView,
}

/// One agent's breakdown: each figure, its score, weight and contribution, the rules
/// that applied. 404 `unknown_agent` when the agent was not evaluated that month.
#[utoipa::path(get, path = "/performance/{month}/agents/{id}", tag = "performance", security(("bearer" = ["report.view"])),
    params(("month" = String, Path, description = "YYYY-MM"), ("id" = String, Path, description = "the agent")),
    responses((status = 200, body = AgentMonthView), (status = 403), (status = 404), (status = 422)))]
async fn get_agent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((month, id)): Path<(String, String)>,
) -> Result<Json<AgentMonthView>, AppError> {
    let (m, agent) = months::agent(&state, &ctx, &month, &id).await?;
    Ok(Json(AgentMonthView {
        month: m.month,
        state: m.state,
        agent,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
struct FormatParam {
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// The month's ranking as a sheet.
#[utoipa::path(get, path = "/performance/{month}/export", tag = "performance", security(("bearer" = ["report.view"])),
    params(("month" = String, Path, description = "YYYY-MM"), FormatParam),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 422)))]
async fn export_month(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Path(month): Path<String>,
    Query(f): Query<FormatParam>,
) -> Result<Response, AppError> {
    let format = Format::parse(f.format.as_deref())?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let file = months::export(&state, &ctx, &month, format, &t).await?;
    download(&file.path, &file.filename, format.content_type()).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct IncidentParams {
    /// One agent's (a user id).
    agent: Option<String>,
}

/// What was recorded against agents in a month.
#[utoipa::path(get, path = "/performance/{month}/incidents", tag = "performance", security(("bearer" = ["report.view"])),
    params(("month" = String, Path, description = "YYYY-MM"), IncidentParams),
    responses((status = 200, body = Vec<IncidentView>), (status = 403), (status = 422)))]
async fn list_incidents(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(month): Path<String>,
    Query(p): Query<IncidentParams>,
) -> Result<Json<Vec<IncidentView>>, AppError> {
    Ok(Json(
        records::incidents(&state, &ctx, &month, p.agent.as_deref()).await?,
    ))
}
