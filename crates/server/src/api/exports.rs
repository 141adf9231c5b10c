//! Background exports over HTTP: ask for a list as a file, watch its progress, download it.

use super::{download, Json, Path};
use crate::app::exports::{self as app, ExportJobView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_exports, request_export))
        .routes(routes!(get_export))
        .routes(routes!(export_file))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExportRequest {
    /// customers, tickets, complaints, calls or audit
    pub kind: String,
    /// xlsx (default) or csv
    pub format: Option<String>,
    /// The list's filter as its own query string, e.g. `tier=VIP&status=active` for
    /// customers (the parameters of the list's GET endpoint; paging is ignored).
    #[serde(default)]
    pub query: String,
}

/// Export a list in the background. Returns at once (202) with the export queued; its
/// filter is checked first (a bad one is refused with the list's own error). Audited when
/// written, with its filter and row count.
#[utoipa::path(post, path = "/exports", tag = "exports", security(("bearer" = [])),
    request_body = ExportRequest,
    responses((status = 202, body = ExportJobView), (status = 403), (status = 422)))]
async fn request_export(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Json(r): Json<ExportRequest>,
) -> Result<(StatusCode, Json<ExportJobView>), AppError> {
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let job = app::request(&state, &ctx, &r.kind, r.format.as_deref(), &r.query, &t).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Your exports, newest first (the last 50; files are kept 7 days).
#[utoipa::path(get, path = "/exports", tag = "exports", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExportJobView>)))]
async fn list_exports(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ExportJobView>>, AppError> {
    Ok(Json(app::list(&state, &ctx).await?))
}

/// One of your exports: status, rows written so far, and the download once done.
#[utoipa::path(get, path = "/exports/{id}", tag = "exports", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ExportJobView), (status = 404)))]
async fn get_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ExportJobView>, AppError> {
    Ok(Json(app::get(&state, &ctx, &id).await?))
}

/// The finished file (409 `export_not_ready` while it is being written).
#[utoipa::path(get, path = "/exports/{id}/file", tag = "exports", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404), (status = 409)))]
async fn export_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (path, name, format) = app::file(&state, &ctx, &id).await?;
    download(&path, &name, format.content_type()).await
}
