//! The audit log over HTTP: read and export only.

use super::{download, Json, Query};
use crate::app::audit::AuditParams;
use crate::app::audit::{self as app, view_of, AuditPage};
use crate::app::export::Format;
use crate::app::exports::{self, ExportKind};
use crate::app::page_limit;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(export_audit))
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = ["audit.read"])),
    params(AuditParams), responses((status = 200, body = AuditPage)))]
async fn list_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, AppError> {
    let page = app::list(
        &state,
        &ctx,
        &p.filter()?,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await?;
    Ok(Json(AuditPage {
        items: page.items.into_iter().map(view_of).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Export the filtered audit log as XLSX or CSV. The export is itself audited.
#[utoipa::path(get, path = "/audit/export", tag = "audit", security(("bearer" = ["audit.export"])),
    params(AuditParams), responses((status = 200, description = "the file", content_type = "application/octet-stream")))]
async fn export_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Query(p): Query<AuditParams>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let format = Format::parse(p.format.as_deref())?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let kind = ExportKind::Audit;
    let file = exports::now(&state, &ctx, kind, format, &query.unwrap_or_default(), &t).await?;
    download(&file.path, &file.filename, format.content_type()).await
}
