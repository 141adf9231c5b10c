//! Quality inspection (质检) over HTTP: settings and scorecards (`qa.manage`), the month's
//! sample, items and the automatic checks, inspections (scores, comments at moments of the
//! recording, publishing, the agent's appeal, the lead's decision), evaluation sheets,
//! the monthly report and the weekly summary, with XLSX exports. Routes that several
//! roles use (an agent reads their own results) are open to any signed-in user and the
//! handler checks who may see what (`app::qa`).

use super::{Json, Path, Query};
use crate::app::qa::inspections::{
    self, AddPayload, AppealPayload, CommentPayload, CommentView, DecisionPayload,
    InspectionDetail, InspectionView, ListQuery, ScorePayload,
};
use crate::app::qa::sampling::{self, SampleView};
use crate::app::qa::sheets::{self, MonthlyReport, SheetView, SummaryPayload, SummaryView};
use crate::app::qa::{self, QaSettingsPayload, ScorecardPayload, ScorecardView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(list_scorecards, create_scorecard))
        .routes(routes!(update_scorecard))
        .routes(routes!(list_samples, draw_sample))
        .routes(routes!(list_items))
        .routes(routes!(run_checks))
        .routes(routes!(list_inspections, add_inspection))
        .routes(routes!(get_inspection))
        .routes(routes!(inspection_recording))
        .routes(routes!(score_inspection))
        .routes(routes!(comment_inspection))
        .routes(routes!(publish_inspection))
        .routes(routes!(appeal_inspection))
        .routes(routes!(decide_inspection))
        .routes(routes!(get_sheet))
        .routes(routes!(export_sheet))
        .routes(routes!(get_report))
        .routes(routes!(export_report))
        .routes(routes!(get_summary, save_summary))
        .routes(routes!(export_summary))
}

/// The sampling plan (1–5 inspections per agent per month by default, the weights) and
/// the automatic-check rules.
#[utoipa::path(get, path = "/qa/settings", tag = "qa", security(("bearer" = [])),
    responses((status = 200, body = QaSettingsPayload), (status = 403)))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<QaSettingsPayload>, AppError> {
    Ok(Json(qa::settings(&state, &ctx).await?))
}

/// Replace the plan and rules (checked: min ≤ max ≤ 50, weights ≥ 1, phrases). Audited.
#[utoipa::path(put, path = "/qa/settings", tag = "qa", security(("bearer" = ["qa.manage"])),
    request_body = QaSettingsPayload,
    responses((status = 200, body = QaSettingsPayload), (status = 422)))]
async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<QaSettingsPayload>,
) -> Result<Json<QaSettingsPayload>, AppError> {
    qa::save_settings(&state, &ctx, &p).await?;
    Ok(Json(qa::settings(&state, &ctx).await?))
}

/// The scorecards (the handbook's five criteria to start with).
#[utoipa::path(get, path = "/qa/scorecards", tag = "qa", security(("bearer" = [])),
    responses((status = 200, body = Vec<ScorecardView>)))]
async fn list_scorecards(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ScorecardView>>, AppError> {
    Ok(Json(qa::scorecards(&state, &ctx).await?))
}

/// A new scorecard: criteria with weights, scales and critical items.
#[utoipa::path(post, path = "/qa/scorecards", tag = "qa", security(("bearer" = ["qa.manage"])),
    request_body = ScorecardPayload,
    responses((status = 201, body = ScorecardView), (status = 409), (status = 422)))]
async fn create_scorecard(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<ScorecardPayload>,
) -> Result<(StatusCode, Json<ScorecardView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(qa::save_scorecard(&state, &ctx, None, &p).await?),
    ))
}

/// Revise a scorecard: changed criteria become a new revision; past inspections keep
/// the revision they were scored with.
#[utoipa::path(put, path = "/qa/scorecards/{id}", tag = "qa", security(("bearer" = ["qa.manage"])),
    params(("id" = String, Path)), request_body = ScorecardPayload,
    responses((status = 200, body = ScorecardView), (status = 404), (status = 422)))]
async fn update_scorecard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ScorecardPayload>,
) -> Result<Json<ScorecardView>, AppError> {
    Ok(Json(qa::save_scorecard(&state, &ctx, Some(&id), &p).await?))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`.
    pub month: String,
}

/// The samples drawn for a month, with what they could not do.
#[utoipa::path(get, path = "/qa/samples", tag = "qa", security(("bearer" = ["qa.manage"])),
    params(MonthQuery), responses((status = 200, body = Vec<SampleView>)))]
async fn list_samples(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Vec<SampleView>>, AppError> {
    Ok(Json(sampling::list(&state, &ctx, &q.month).await?))
}

/// Draw the month's sample (once per month): items refreshed and checked, chosen by the
/// plan with reasons, one draft inspection each, never by the agent themselves.
#[utoipa::path(post, path = "/qa/samples", tag = "qa", security(("bearer" = ["qa.manage"])),
    request_body = MonthQuery,
    responses((status = 201, body = SampleView), (status = 409), (status = 422)))]
async fn draw_sample(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<MonthQuery>,
) -> Result<(StatusCode, Json<SampleView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(sampling::draw(&state, &ctx, &p.month).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    pub month: String,
    pub agent_id: Option<String>,
    /// Only items the automatic checks flagged.
    #[serde(default)]
    pub flagged: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: String,
    pub kind: String,
    pub source_id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub occurred_at: String,
    pub duration_s: Option<i64>,
    pub complaint: bool,
    pub satisfaction: Option<i64>,
    pub flags: i64,
    pub title: String,
}

/// A month's inspectable items (at most 500, newest first) to add by hand, brought up to
/// date first with what changed since the scheduler's last turn (the current month is
/// refreshed whole the first time it is read).
#[utoipa::path(get, path = "/qa/items", tag = "qa", security(("bearer" = ["qa.inspect"])),
    params(ItemsQuery), responses((status = 200, body = Vec<ItemView>), (status = 422)))]
async fn list_items(
    State(state): State<AppState>,
    _ctx: Ctx,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<Vec<ItemView>>, AppError> {
    let month = qa::Month::parse(&q.month)?;
    crate::app::qa::checks::refresh(
        &state,
        &month,
        crate::app::qa::checks::Unmaintained::ShowAsIs,
    )
    .await?;
    let db = state.db();
    let rows = db
        .list_qa_items(&month.code, q.agent_id.as_deref(), q.flagged, 500)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ItemView {
                occurred_at: crate::app::rfc3339(r.occurred_at),
                complaint: r.complaint != 0,
                id: r.id,
                kind: r.kind,
                source_id: r.source_id,
                agent_id: r.agent_id,
                agent_name: r.agent_name,
                duration_s: r.duration_s,
                satisfaction: r.satisfaction,
                flags: r.flags,
                title: r.title,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecksRun {
    /// Conversations read.
    pub checked: usize,
}

/// Run the automatic checks now on the current month's unchecked conversations (the
/// scheduler does it every minute).
#[utoipa::path(post, path = "/qa/checks/run", tag = "qa", security(("bearer" = ["qa.manage"])),
    responses((status = 200, body = ChecksRun)))]
async fn run_checks(State(state): State<AppState>, _ctx: Ctx) -> Result<Json<ChecksRun>, AppError> {
    let mut checked = crate::app::qa::checks::background(&state).await?;
    loop {
        let n = crate::app::qa::checks::run(&state, 1000).await?;
        checked += n;
        if n < 1000 {
            break;
        }
    }
    Ok(Json(ChecksRun { checked }))
}

/// Inspections (`inspector=me`: one's work; `agent=me`: one's results). Without a
/// quality-inspection permission, only one's own published results.
#[utoipa::path(get, path = "/qa/inspections", tag = "qa", security(("bearer" = [])),
    params(ListQuery), responses((status = 200, body = Vec<InspectionView>), (status = 422)))]
async fn list_inspections(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<InspectionView>>, AppError> {
    Ok(Json(inspections::list(&state, &ctx, &q).await?))
}

/// Add an item to inspect by hand (never one's own work).
#[utoipa::path(post, path = "/qa/inspections", tag = "qa", security(("bearer" = ["qa.inspect"])),
    request_body = AddPayload,
    responses((status = 201, body = InspectionView), (status = 403), (status = 404), (status = 409)))]
async fn add_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<AddPayload>,
) -> Result<(StatusCode, Json<InspectionView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(inspections::add(&state, &ctx, &p).await?),
    ))
}

/// One inspection with its criteria, comments, record, findings and conversation.
#[utoipa::path(get, path = "/qa/inspections/{id}", tag = "qa", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = InspectionDetail), (status = 404)))]
async fn get_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<InspectionDetail>, AppError> {
    Ok(Json(inspections::get(&state, &ctx, &id).await?))
}

/// The inspected call's recording, with byte ranges so the player can seek. Audited.
#[utoipa::path(get, path = "/qa/inspections/{id}/recording", tag = "qa", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the audio file", content_type = "audio/*"), (status = 206), (status = 404)))]
async fn inspection_recording(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    use tower::ServiceExt;
    let file = inspections::recording(&state, &ctx, &id).await?;
    let mut res = tower_http::services::ServeFile::new(&file.path)
        .oneshot(req)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .into_response();
    let headers = res.headers_mut();
    if let Ok(v) = file.content_type.parse() {
        headers.insert(axum::http::header::CONTENT_TYPE, v);
    }
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// Score a draft (the inspector), with the scorecard revision it was created with.
#[utoipa::path(put, path = "/qa/inspections/{id}/scores", tag = "qa", security(("bearer" = ["qa.inspect"])),
    params(("id" = String, Path)), request_body = ScorePayload,
    responses((status = 200, body = InspectionView), (status = 403), (status = 409), (status = 422)))]
async fn score_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ScorePayload>,
) -> Result<Json<InspectionView>, AppError> {
    Ok(Json(inspections::score_draft(&state, &ctx, &id, &p).await?))
}

/// A comment, at a moment of the recording or on the whole; a coaching point if marked.
#[utoipa::path(post, path = "/qa/inspections/{id}/comments", tag = "qa", security(("bearer" = ["qa.inspect"])),
    params(("id" = String, Path)), request_body = CommentPayload,
    responses((status = 201, body = CommentView), (status = 403), (status = 409), (status = 422)))]
async fn comment_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CommentPayload>,
) -> Result<(StatusCode, Json<CommentView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(inspections::comment(&state, &ctx, &id, &p).await?),
    ))
}

/// Publish a scored draft: the agent sees it. Audited.
#[utoipa::path(post, path = "/qa/inspections/{id}/publish", tag = "qa", security(("bearer" = ["qa.inspect"])),
    params(("id" = String, Path)),
    responses((status = 200, body = InspectionView), (status = 403), (status = 409)))]
async fn publish_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<InspectionView>, AppError> {
    Ok(Json(inspections::publish(&state, &ctx, &id).await?))
}

/// The inspected agent appeals, once, with a reason. Audited.
#[utoipa::path(post, path = "/qa/inspections/{id}/appeal", tag = "qa", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AppealPayload,
    responses((status = 200, body = InspectionView), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn appeal_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<AppealPayload>,
) -> Result<Json<InspectionView>, AppError> {
    Ok(Json(inspections::appeal(&state, &ctx, &id, &p).await?))
}

/// The shift lead decides an appeal: accepted (rescored with `answers` when given) or
/// refused; final either way. Audited.
#[utoipa::path(post, path = "/qa/inspections/{id}/decision", tag = "qa", security(("bearer" = ["qa.decide"])),
    params(("id" = String, Path)), request_body = DecisionPayload,
    responses((status = 200, body = InspectionView), (status = 403), (status = 409), (status = 422)))]
async fn decide_inspection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<DecisionPayload>,
) -> Result<Json<InspectionView>, AppError> {
    Ok(Json(inspections::decide(&state, &ctx, &id, &p).await?))
}

/// An agent's evaluation sheet for a month (`me`: one's own).
#[utoipa::path(get, path = "/qa/sheets/{agent_id}", tag = "qa", security(("bearer" = [])),
    params(("agent_id" = String, Path), MonthQuery),
    responses((status = 200, body = SheetView), (status = 404), (status = 422)))]
async fn get_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(agent_id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<SheetView>, AppError> {
    Ok(Json(
        sheets::agent_sheet(&state, &ctx, &agent_id, &q.month).await?,
    ))
}

/// The evaluation sheet as XLSX (服务质量综合考评表), labelled in the page language.
#[utoipa::path(get, path = "/qa/sheets/{agent_id}/xlsx", tag = "qa", security(("bearer" = [])),
    params(("agent_id" = String, Path), MonthQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404)))]
async fn export_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Path(agent_id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let s = sheets::agent_sheet(&state, &ctx, &agent_id, &q.month).await?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let bytes = crate::app::qa::xlsx::sheet(&t, &s)?;
    Ok(super::xlsx(
        bytes,
        &format!("考评表-{}-{}.xlsx", s.agent.name, s.month),
    ))
}

/// The monthly QA report: every agent's inspections, averages, critical failures and
/// appeals, the criteria over the center, and the month's common problems.
#[utoipa::path(get, path = "/qa/report", tag = "qa", security(("bearer" = [])),
    params(MonthQuery), responses((status = 200, body = MonthlyReport), (status = 403)))]
async fn get_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Json<MonthlyReport>, AppError> {
    Ok(Json(sheets::monthly_report(&state, &ctx, &q.month).await?))
}

/// The monthly QA report as XLSX.
#[utoipa::path(get, path = "/qa/report/xlsx", tag = "qa", security(("bearer" = [])),
    params(MonthQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403)))]
async fn export_report(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let r = sheets::monthly_report(&state, &ctx, &q.month).await?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let bytes = crate::app::qa::xlsx::report(&t, &r)?;
    Ok(super::xlsx(
        bytes,
        &format!("月度质检报告-{}.xlsx", r.month),
    ))
}

/// The weekly summary of the week `week` (any day of it, `YYYY-MM-DD`), with the week's
/// inspections its points may link to.
#[utoipa::path(get, path = "/qa/summaries/{week}", tag = "qa", security(("bearer" = [])),
    params(("week" = String, Path)), responses((status = 200, body = SummaryView), (status = 403), (status = 422)))]
async fn get_summary(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(week): Path<String>,
) -> Result<Json<SummaryView>, AppError> {
    Ok(Json(sheets::summary(&state, &ctx, &week).await?))
}

/// Write the weekly summary: common problems and the training plan, each point linked
/// to inspections of the week. Audited.
#[utoipa::path(put, path = "/qa/summaries/{week}", tag = "qa", security(("bearer" = ["qa.inspect"])),
    params(("week" = String, Path)), request_body = SummaryPayload,
    responses((status = 200, body = SummaryView), (status = 422)))]
async fn save_summary(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(week): Path<String>,
    Json(p): Json<SummaryPayload>,
) -> Result<Json<SummaryView>, AppError> {
    Ok(Json(sheets::save_summary(&state, &ctx, &week, &p).await?))
}

/// The weekly summary as XLSX.
#[utoipa::path(get, path = "/qa/summaries/{week}/xlsx", tag = "qa", security(("bearer" = [])),
    params(("week" = String, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403)))]
async fn export_summary(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Path(week): Path<String>,
) -> Result<Response, AppError> {
    let s = sheets::summary(&state, &ctx, &week).await?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let bytes = crate::app::qa::xlsx::summary(&t, &s)?;
    Ok(super::xlsx(bytes, &format!("周质检小结-{}.xlsx", s.week)))
}
