//! Reports over HTTP: a report, the records behind one of its cells, and the report as a
//! sheet. The report page reads the same.

use super::{download, Json, Path, Query};
use crate::app::dashboard::{self, DashboardView};
use crate::app::export::Format;
use crate::app::report_documents::{self as documents, ArchivePage, DocumentView};
use crate::app::reports::rollups::{self, RollupView};
use crate::app::reports::{self as app, DrillQuery, DrillView, ReportQuery, ReportView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_report))
        .routes(routes!(get_drill))
        .routes(routes!(export_report))
        .routes(routes!(get_dashboard))
        .routes(routes!(list_documents))
        .routes(routes!(get_document))
        .routes(routes!(get_document_xlsx))
        .routes(routes!(get_rollups))
        .routes(routes!(refresh_rollups))
}

/// What the reports' daily rollups hold: the days rolled up and the changes not yet
/// counted into them. Reports are exact either way (a changed day is read from its
/// records); rollups make them fast.
#[utoipa::path(get, path = "/reports/rollups", tag = "reports", security(("bearer" = ["report.view"])),
    responses((status = 200, body = RollupView), (status = 403)))]
async fn get_rollups(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<RollupView>, AppError> {
    Ok(Json(rollups::status(&state, &ctx).await?))
}

/// Counts the changed days and the days not rolled up yet now, for at most a minute
/// (`pending` says whether days are left). The server also does this every minute.
#[utoipa::path(post, path = "/reports/rollups/refresh", tag = "reports", security(("bearer" = ["report.view"])),
    responses((status = 200, body = RollupView), (status = 403)))]
async fn refresh_rollups(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<RollupView>, AppError> {
    Ok(Json(rollups::refresh_now(&state, &ctx).await?))
}

/// A report: the chosen metrics for a date range, by period, agent, channel, type or
/// complaint cause, severity or department, with the filters applied. Each cell carries
/// `n`, the number of records behind it (see `/reports/drill`).
#[utoipa::path(get, path = "/reports", tag = "reports", security(("bearer" = ["report.view"])),
    params(ReportQuery), responses((status = 200, body = ReportView), (status = 403), (status = 422)))]
async fn get_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> Result<Json<ReportView>, AppError> {
    Ok(Json(app::report(&state, &ctx, &q).await?))
}

/// The records behind one cell of a report (the report's own parameters, plus the
/// metric and the row), oldest first, a page at a time. `total` equals the cell's `n`.
#[utoipa::path(get, path = "/reports/drill", tag = "reports", security(("bearer" = ["report.view"])),
    params(ReportQuery, DrillQuery), responses((status = 200, body = DrillView), (status = 403), (status = 422)))]
async fn get_drill(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
    Query(d): Query<DrillQuery>,
) -> Result<Json<DrillView>, AppError> {
    Ok(Json(app::drill(&state, &ctx, &q, &d).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
struct FormatParam {
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// A report as XLSX (its filters stated above the table, values as numbers) or CSV.
#[utoipa::path(get, path = "/reports/export", tag = "reports", security(("bearer" = ["report.view"])),
    params(ReportQuery, FormatParam),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 422)))]
async fn export_report(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Query(q): Query<ReportQuery>,
    Query(f): Query<FormatParam>,
) -> Result<Response, AppError> {
    let format = Format::parse(f.format.as_deref())?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let file = app::export(&state, &ctx, &q, format, &t).await?;
    download(&file.path, &file.filename, format.content_type()).await
}

/// The manager's dashboard: the month's headline figures against last month over the same
/// days, the last 30 days' trend, the month's tickets by channel and type, complaint
/// causes, and the agents ranked by tickets resolved.
#[utoipa::path(get, path = "/dashboard", tag = "reports", security(("bearer" = ["report.view"])),
    responses((status = 200, body = DashboardView), (status = 403)))]
async fn get_dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<DashboardView>, AppError> {
    Ok(Json(dashboard::dashboard(&state, &ctx).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
struct ArchiveParams {
    /// `monthly_quality`, `monthly_complaints`, `weekly_qa` or `weekly_bulletin`.
    kind: Option<String>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
    /// Rows per page (default 50, at most 200).
    limit: Option<usize>,
}

/// The reports archive: the scheduled reports kept so far, newest first, a page at a
/// time.
#[utoipa::path(get, path = "/report-documents", tag = "reports", security(("bearer" = ["report.view"])),
    params(ArchiveParams), responses((status = 200, body = ArchivePage), (status = 403), (status = 422)))]
async fn list_documents(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ArchiveParams>,
) -> Result<Json<ArchivePage>, AppError> {
    Ok(Json(
        documents::archive(
            &state,
            &ctx,
            p.kind.as_deref(),
            p.cursor.as_deref(),
            p.limit,
        )
        .await?,
    ))
}

/// One kept report (its readable page is `/reports/archive/{id}`).
#[utoipa::path(get, path = "/report-documents/{id}", tag = "reports", security(("bearer" = ["report.view"])),
    params(("id" = String, Path)), responses((status = 200, body = DocumentView), (status = 404)))]
async fn get_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, AppError> {
    Ok(Json(documents::document(&state, &ctx, &id).await?))
}

/// A kept report's workbook: a sheet per section.
#[utoipa::path(get, path = "/report-documents/{id}/xlsx", tag = "reports", security(("bearer" = ["report.view"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/octet-stream"), (status = 404)))]
async fn get_document_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (d, bytes) = documents::document_xlsx(&state, &ctx, &id).await?;
    Ok(super::xlsx(bytes, &format!("{}.xlsx", d.title)))
}
