//! Satisfaction surveys over HTTP: templates and settings, sending a link, recording an
//! agent's answer, the results, and the customer's side of a link (no log-in).

use super::{Json, Path, Query};
use crate::app::surveys::answer::{
    self, AgentAnswerPayload, AnsweredView, AnswersPayload, PublicSurveyView, SendPayload, SentView,
};
use crate::app::surveys::results::{self, ResultsParams, ResultsView};
use crate::app::surveys::{
    self as app, template_view, SettingsPayload, TemplatePayload, TemplateView,
};
use crate::auth::{ClientAddr, Ctx};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template))
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(send))
        .routes(routes!(list_responses, answer_as_agent))
        .routes(routes!(open_link, answer_link))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Survey templates: all for `survey.manage`/`survey.view`, active ones for `survey.send`.
#[utoipa::path(get, path = "/surveys/templates", tag = "surveys", security(("bearer" = [])),
    responses((status = 200, body = [TemplateView]), (status = 403)))]
async fn list_templates(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<TemplateView>>, AppError> {
    Ok(Json(app::templates(&state, &ctx).await?))
}

/// Create a template. Bad input answers 422 naming the field (`name`, `questions`) with
/// codes such as `invalid_options`, `duplicate_score_question`.
#[utoipa::path(post, path = "/surveys/templates", tag = "surveys", security(("bearer" = ["survey.manage"])),
    request_body = TemplatePayload, responses((status = 201, body = Created), (status = 422)))]
async fn create_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<TemplatePayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = app::create_template(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(get, path = "/surveys/templates/{id}", tag = "surveys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = TemplateView), (status = 404)))]
async fn get_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<TemplateView>, AppError> {
    Ok(Json(template_view(
        &app::template(&state, &ctx, &id).await?,
    )))
}

/// Replace a template. Its questions cannot change once it has answers (409
/// `template_answered`); name, description and active always can.
#[utoipa::path(put, path = "/surveys/templates/{id}", tag = "surveys", security(("bearer" = ["survey.manage"])),
    params(("id" = String, Path)), request_body = TemplatePayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TemplatePayload>,
) -> Result<StatusCode, AppError> {
    app::update_template(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The dissatisfied thresholds and how long links live.
#[utoipa::path(get, path = "/surveys/settings", tag = "surveys", security(("bearer" = [])),
    responses((status = 200, body = SettingsPayload), (status = 403)))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<SettingsPayload>, AppError> {
    Ok(Json(app::settings(&state, &ctx).await?))
}

#[utoipa::path(put, path = "/surveys/settings", tag = "surveys", security(("bearer" = ["survey.manage"])),
    request_body = SettingsPayload, responses((status = 204), (status = 422)))]
async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SettingsPayload>,
) -> Result<StatusCode, AppError> {
    app::save_settings(&state, &ctx, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a signed link for a customer and queue its SMS or e-mail in the outbox (kefu has
/// no gateway yet: the answer carries the link and the message to send by hand).
#[utoipa::path(post, path = "/surveys/invitations", tag = "surveys", security(("bearer" = ["survey.send"])),
    request_body = SendPayload, responses((status = 201, body = SentView), (status = 422)))]
async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Json(p): Json<SendPayload>,
) -> Result<(StatusCode, Json<SentView>), AppError> {
    let base = answer::base_url(&state, &headers);
    Ok((
        StatusCode::CREATED,
        Json(answer::send(&state, &ctx, &base, &p).await?),
    ))
}

/// Answers, newest first, with the average CSAT and the NPS of the selection.
#[utoipa::path(get, path = "/surveys/responses", tag = "surveys", security(("bearer" = ["survey.view"])),
    params(ResultsParams), responses((status = 200, body = ResultsView), (status = 422)))]
async fn list_responses(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ResultsParams>,
) -> Result<Json<ResultsView>, AppError> {
    Ok(Json(results::results(&state, &ctx, &p).await?))
}

/// Record the answers a customer gave an agent, optionally on a callback
/// (`callback_id`; one answer per callback and template, else 409
/// `survey_already_answered`). A dissatisfied answer opens a follow-up work order.
#[utoipa::path(post, path = "/surveys/responses", tag = "surveys", security(("bearer" = ["survey.send"])),
    request_body = AgentAnswerPayload,
    responses((status = 201, body = AnsweredView), (status = 409), (status = 422)))]
async fn answer_as_agent(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<AgentAnswerPayload>,
) -> Result<(StatusCode, Json<AnsweredView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(answer::answer_as_agent(&state, &ctx, &p).await?),
    ))
}

/// The survey behind a link, as the customer sees it. Refused links: 404
/// `survey_link_forged`, 403 `survey_link_tampered` or `survey_link_expired`, 409
/// `survey_link_used`.
#[utoipa::path(get, path = "/public/surveys/{token}", tag = "public", security(()),
    params(("token" = String, Path)),
    responses((status = 200, body = PublicSurveyView), (status = 403), (status = 404), (status = 409), (status = 429)))]
async fn open_link(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Result<Json<PublicSurveyView>, AppError> {
    Ok(Json(
        answer::open_link(&state, addr.as_deref(), &token).await?,
    ))
}

/// Answer the survey behind a link: once per link (then 409 `survey_link_used`).
#[utoipa::path(post, path = "/public/surveys/{token}", tag = "public", security(()),
    params(("token" = String, Path)), request_body = AnswersPayload,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422), (status = 429)))]
async fn answer_link(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Json(p): Json<AnswersPayload>,
) -> Result<StatusCode, AppError> {
    let raw = answer::raw_answers(&p.answers);
    answer::answer_link(&state, addr.as_deref(), &token, &raw).await?;
    Ok(StatusCode::NO_CONTENT)
}
