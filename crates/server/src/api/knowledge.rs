//! The knowledge base (知识库) over HTTP: articles, their versions, diffs and restores,
//! filled scripts, attachments and categories.

use super::{Json, Path, Query};
use crate::app::knowledge::script::{fill_script, FilledScript, ScriptSource};
use crate::app::knowledge::{
    self as app, ArticleAttachmentView, ArticleList, ArticleListParams, ArticleView,
    CategoryPayload, CategoryView, DiffView, NewArticlePayload, UpdateArticlePayload, VersionGuard,
    VersionView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_domain::knowledge::ArticleState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let limit = state.config().max_upload_bytes;
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_attachments, upload_attachment))
        .layer(axum::extract::DefaultBodyLimit::max(
            limit as usize + 64 * 1024,
        ))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                super::refuse_oversized(limit, req, next)
            },
        ));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(download_attachment))
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article))
        .routes(routes!(publish))
        .routes(routes!(archive))
        .routes(routes!(script))
        .routes(routes!(versions))
        .routes(routes!(get_version))
        .routes(routes!(restore))
        .routes(routes!(diff))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
}

/// The optional `{"version": n}` body of publish, archive and restore.
fn guard(body: &[u8]) -> Result<Option<i64>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<VersionGuard>(body)
        .map(|g| g.version)
        .map_err(|e| AppError::invalid("invalid_body", e.to_string()))
}

async fn view(state: &AppState, ctx: &Ctx, id: &str) -> Result<ArticleView, AppError> {
    Ok(app::article_view(&app::load_visible(state, ctx, id).await?))
}

/// Articles, most recently saved first. Readers see published articles; writers also
/// drafts (and archived ones with `state=archived`).
#[utoipa::path(get, path = "/knowledge/articles", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(ArticleListParams), responses((status = 200, body = ArticleList), (status = 422)))]
async fn list_articles(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ArticleListParams>,
) -> Result<Json<ArticleList>, AppError> {
    Ok(Json(app::list(&state, &ctx, &p).await?))
}

/// Write a new article (a draft unless `publish` is true). 422 names the field refused.
#[utoipa::path(post, path = "/knowledge/articles", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    request_body = NewArticlePayload, responses((status = 201, body = ArticleView), (status = 422)))]
async fn create_article(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<NewArticlePayload>,
) -> Result<(StatusCode, Json<ArticleView>), AppError> {
    let id = app::create(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &ctx, &id).await?)))
}

/// One article with its body rendered to safe HTML. Drafts are 404 to readers.
#[utoipa::path(get, path = "/knowledge/articles/{id}", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path)), responses((status = 200, body = ArticleView), (status = 404)))]
async fn get_article(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, AppError> {
    Ok(Json(view(&state, &ctx, &id).await?))
}

/// Save new content over the version it was edited from (`version`): 409
/// `stale_version` when someone saved in between. Every save is a new version.
#[utoipa::path(put, path = "/knowledge/articles/{id}", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), request_body = UpdateArticlePayload,
    responses((status = 200, body = ArticleView), (status = 404), (status = 409), (status = 422)))]
async fn update_article(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<UpdateArticlePayload>,
) -> Result<Json<ArticleView>, AppError> {
    app::update(&state, &ctx, &id, &p).await?;
    Ok(Json(view(&state, &ctx, &id).await?))
}

/// Publish a draft (or an archived article) for every reader.
#[utoipa::path(post, path = "/knowledge/articles/{id}/publish", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), request_body(content = Option<VersionGuard>),
    responses((status = 200, body = ArticleView), (status = 404), (status = 409)))]
async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ArticleView>, AppError> {
    let expected = guard(&body)?;
    app::set_state(&state, &ctx, &id, ArticleState::Published, expected).await?;
    Ok(Json(view(&state, &ctx, &id).await?))
}

/// Withdraw an article: it keeps its history and is shown to writers only.
#[utoipa::path(post, path = "/knowledge/articles/{id}/archive", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), request_body(content = Option<VersionGuard>),
    responses((status = 200, body = ArticleView), (status = 404), (status = 409)))]
async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ArticleView>, AppError> {
    let expected = guard(&body)?;
    app::set_state(&state, &ctx, &id, ArticleState::Archived, expected).await?;
    Ok(Json(view(&state, &ctx, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScriptParams {
    /// A ticket you may see: fills 客户姓名, 工单号, 工单主题, 承诺时间.
    pub ticket: Option<String>,
    /// A call (needs `call.handle`): fills 客户姓名, and the ticket's values from its ticket.
    pub call: Option<String>,
}

/// The article's text with its placeholders ({客户姓名}, {工号}, {坐席姓名}, {工单号},
/// {工单主题}, {承诺时间}, {今天}) filled from a ticket or call; what cannot be filled stays
/// visible and is listed. Phone numbers are never filled in.
#[utoipa::path(get, path = "/knowledge/articles/{id}/script", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path), ScriptParams), responses((status = 200, body = FilledScript), (status = 404)))]
async fn script(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<ScriptParams>,
) -> Result<Json<FilledScript>, AppError> {
    let article = app::load_visible(&state, &ctx, &id).await?;
    let source = ScriptSource::new(p.ticket.as_deref(), p.call.as_deref());
    Ok(Json(
        fill_script(&state, &ctx, &article.body, &source).await?,
    ))
}

/// Every saved version, newest first (without bodies).
#[utoipa::path(get, path = "/knowledge/articles/{id}/versions", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<VersionView>), (status = 404)))]
async fn versions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionView>>, AppError> {
    Ok(Json(app::versions(&state, &ctx, &id).await?))
}

/// One saved version with its body.
#[utoipa::path(get, path = "/knowledge/articles/{id}/versions/{version}", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path), ("version" = i64, Path)), responses((status = 200, body = VersionView), (status = 404)))]
async fn get_version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<VersionView>, AppError> {
    let v = app::version(&state, &ctx, &id, version).await?;
    Ok(Json(app::version_view(&v, true)))
}

/// Bring back a version's content as a new version (the state stays). Optionally name
/// the current `version` to be told (409) when someone saved in between.
#[utoipa::path(post, path = "/knowledge/articles/{id}/versions/{version}/restore", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path), ("version" = i64, Path)), request_body(content = Option<VersionGuard>),
    responses((status = 200, body = ArticleView), (status = 404), (status = 409)))]
async fn restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, version)): Path<(String, i64)>,
    body: axum::body::Bytes,
) -> Result<Json<ArticleView>, AppError> {
    let expected = guard(&body)?;
    app::restore(&state, &ctx, &id, version, expected).await?;
    Ok(Json(view(&state, &ctx, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    /// The older version to compare with the current article.
    pub from: i64,
}

/// What changed from a version to the current article: fields, and the body line by line.
#[utoipa::path(get, path = "/knowledge/articles/{id}/diff", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path), DiffParams), responses((status = 200, body = DiffView), (status = 404)))]
async fn diff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<DiffParams>,
) -> Result<Json<DiffView>, AppError> {
    Ok(Json(app::diff(&state, &ctx, &id, p.from).await?))
}

/// The files attached to an article.
#[utoipa::path(get, path = "/knowledge/articles/{id}/attachments", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<ArticleAttachmentView>), (status = 404)))]
async fn list_attachments(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<ArticleAttachmentView>>, AppError> {
    let article = app::load_visible(&state, &ctx, &id).await?;
    let rows = state.db().list_article_attachments(&article.id).await?;
    Ok(Json(rows.iter().map(app::attachment_view).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Attach a file (multipart field `file`; the same limit and type sniffing as ticket
/// attachments, 413 beyond the limit). Always downloaded as an attachment.
#[utoipa::path(post, path = "/knowledge/articles/{id}/attachments", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Created), (status = 413), (status = 422)))]
async fn upload_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = app::attach(&state, &ctx, &id, &mut multipart, None).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Download one attached file (as an attachment, never inline).
#[utoipa::path(get, path = "/knowledge/articles/{id}/attachments/{attachment_id}", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404)))]
async fn download_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<axum::response::Response, AppError> {
    let (path, row) = app::file(&state, &ctx, &id, &attachment_id).await?;
    super::download(&path, &row.filename, &row.content_type).await
}

/// The category tree, parents before their children.
#[utoipa::path(get, path = "/knowledge/categories", tag = "knowledge", security(("bearer" = ["knowledge.read"])),
    responses((status = 200, body = Vec<CategoryView>)))]
async fn list_categories(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<CategoryView>>, AppError> {
    Ok(Json(app::categories(&state, &ctx).await?))
}

/// Add a category (under `parent_id`, or at the top). 409 `duplicate_category` when the
/// parent already has one by that name.
#[utoipa::path(post, path = "/knowledge/categories", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    request_body = CategoryPayload, responses((status = 201, body = Created), (status = 409), (status = 422)))]
async fn create_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<CategoryPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = app::create_category(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Rename, move (422 `category_cycle` under its own subtree) or reorder a category.
#[utoipa::path(put, path = "/knowledge/categories/{id}", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), request_body = CategoryPayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<CategoryPayload>,
) -> Result<StatusCode, AppError> {
    app::update_category(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an empty category (409 `category_not_empty` while it holds articles or
/// subcategories).
#[utoipa::path(delete, path = "/knowledge/categories/{id}", tag = "knowledge", security(("bearer" = ["knowledge.write"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::delete_category(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
