//! Customer imports over HTTP: upload (multipart) → preview → commit, and the report.

use super::{download, Json, Path};
use crate::app::imports::{self as app, ImportJobView, ImportPreview};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let limit = state.config().max_upload_bytes;
    OpenApiRouter::new()
        .routes(routes!(list_imports, upload))
        .routes(routes!(get_import, discard))
        .routes(routes!(commit))
        .routes(routes!(report))
        .layer(DefaultBodyLimit::max(limit as usize + 64 * 1024))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| refuse_oversized(limit, req, next),
        ))
}

/// Refuses an upload whose declared length is over the limit before reading any of it.
pub(crate) async fn refuse_oversized(limit: u64, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit + 64 * 1024) {
        return AppError::TooLarge {
            limit_mb: limit / (1024 * 1024),
        }
        .into_response();
    }
    next.run(req).await
}

/// Streams the `file` field of a multipart upload to disk, refusing more than `limit`
/// bytes. Returns the upload directory and the original file name.
pub(crate) async fn receive_upload(
    state: &AppState,
    multipart: &mut Multipart,
    csrf: Option<&str>,
) -> Result<(tempfile::TempDir, String), AppError> {
    let limit = state.config().max_upload_bytes;
    let too_large = || AppError::TooLarge {
        limit_mb: limit / (1024 * 1024),
    };
    let mut csrf_ok = csrf.is_none();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        match field.name() {
            Some("_csrf") => {
                let sent = field.text().await.map_err(|e| multipart_error(e, limit))?;
                csrf_ok = csrf == Some(sent.as_str());
            }
            Some("file") => {
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                let filename = field.file_name().unwrap_or("upload.csv").to_string();
                let dir = app::new_upload_dir(state)?;
                let mut file = tokio::fs::File::create(dir.path().join("source"))
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                let mut written = 0u64;
                while let Some(chunk) =
                    field.chunk().await.map_err(|e| multipart_error(e, limit))?
                {
                    written += chunk.len() as u64;
                    if written > limit {
                        return Err(too_large());
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::Internal(e.into()))?;
                }
                file.flush()
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                if written == 0 {
                    return Err(AppError::invalid(
                        "empty_file",
                        "the uploaded file is empty",
                    ));
                }
                return Ok((dir, filename));
            }
            _ => {}
        }
    }
    Err(AppError::invalid(
        "missing_file",
        "send the file in a multipart field named \"file\"",
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge {
            limit_mb: limit / (1024 * 1024),
        }
    } else {
        AppError::bad_request("malformed_upload", e.body_text())
    }
}

/// Upload a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file of customers as the
/// multipart field `file`; returns the preview with per-row errors. Nothing is written yet.
#[utoipa::path(post, path = "/customer-imports", tag = "imports", security(("bearer" = ["customer.import"])),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = ImportPreview), (status = 413), (status = 422)))]
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<ImportPreview>), AppError> {
    let (dir, filename) = receive_upload(&state, &mut multipart, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(app::preview(&state, &ctx, dir, &filename).await?),
    ))
}

/// Recent imports.
#[utoipa::path(get, path = "/customer-imports", tag = "imports", security(("bearer" = ["customer.import"])),
    responses((status = 200, body = Vec<ImportJobView>)))]
async fn list_imports(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ImportJobView>>, AppError> {
    Ok(Json(app::list(&state, &ctx).await?))
}

/// One import's state and counts.
#[utoipa::path(get, path = "/customer-imports/{id}", tag = "imports", security(("bearer" = ["customer.import"])),
    params(("id" = String, Path)), responses((status = 200, body = ImportJobView), (status = 404)))]
async fn get_import(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, AppError> {
    Ok(Json(app::job_view(app::get_job(&state, &id).await?)))
}

/// Write every valid row of a previewed import in one transaction, or nothing.
#[utoipa::path(post, path = "/customer-imports/{id}/commit", tag = "imports", security(("bearer" = ["customer.import"])),
    params(("id" = String, Path)), responses((status = 200, body = ImportJobView), (status = 409)))]
async fn commit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, AppError> {
    Ok(Json(app::commit(&state, &ctx, &id).await?))
}

/// Discard a previewed import.
#[utoipa::path(delete, path = "/customer-imports/{id}", tag = "imports", security(("bearer" = ["customer.import"])),
    params(("id" = String, Path)), responses((status = 204)))]
async fn discard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::discard(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The rejected rows (line, reason, original cells) as CSV.
#[utoipa::path(get, path = "/customer-imports/{id}/report", tag = "imports", security(("bearer" = ["customer.import"])),
    params(("id" = String, Path)), responses((status = 200, content_type = "text/csv")))]
async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let path = app::report_path(&state, &ctx, &id).await?;
    download(
        &path,
        &format!("import-{id}-rejected.csv"),
        "text/csv; charset=utf-8",
    )
    .await
}
