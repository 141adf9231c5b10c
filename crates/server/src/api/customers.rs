//! Customers over HTTP.

use super::{download, Json, Path, Query};
use crate::app::customers::ListParams;
use crate::app::customers::{
    self as app, summary_of, view_of, CustomerList, CustomerPayload, CustomerView, RevealRequest,
    RevealResponse, TierPayload, TierView, TimelineEvent,
};
use crate::app::export::Format;
use crate::app::exports::{self, ExportKind};
use crate::app::page_limit;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(export_customers))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(customer_timeline))
        .routes(routes!(reveal))
        .routes(routes!(list_tiers))
        .routes(routes!(save_tier))
}

/// List customers, newest first, filtered; phones masked.
#[utoipa::path(get, path = "/customers", tag = "customers", security(("bearer" = ["customer.read"])),
    params(ListParams), responses((status = 200, body = CustomerList)))]
async fn list_customers(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<CustomerList>, AppError> {
    let page = app::list(
        &state,
        &ctx,
        &p.filter(),
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await?;
    Ok(Json(CustomerList {
        items: page.items.iter().map(summary_of).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Create a customer. A mobile number that belongs to another customer is refused (409
/// `duplicate_phone`, naming that customer).
#[utoipa::path(post, path = "/customers", tag = "customers", security(("bearer" = ["customer.write"])),
    request_body = CustomerPayload, responses((status = 201, body = Created), (status = 409), (status = 422)))]
async fn create_customer(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(payload): Json<CustomerPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let id = app::create(&state, &ctx, &payload).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One customer, personal data masked. The view is audited.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", security(("bearer" = ["customer.read"])),
    params(("id" = String, Path)), responses((status = 200, body = CustomerView), (status = 404)))]
async fn get_customer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, AppError> {
    Ok(Json(view_of(&app::view(&state, &ctx, &id).await?)))
}

/// Change a customer: absent fields stay, `""` clears, lists replace.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", security(("bearer" = ["customer.write"])),
    params(("id" = String, Path)), request_body = CustomerPayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_customer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(payload): Json<CustomerPayload>,
) -> Result<StatusCode, AppError> {
    app::update(&state, &ctx, &id, &payload).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The customer's timeline, newest first.
#[utoipa::path(get, path = "/customers/{id}/timeline", tag = "customers", security(("bearer" = ["customer.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<TimelineEvent>)))]
async fn customer_timeline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEvent>>, AppError> {
    Ok(Json(app::timeline(&state, &ctx, &id).await?))
}

/// Show one phone number, ID number or address in the clear. Audited.
#[utoipa::path(post, path = "/customers/{id}/reveal", tag = "customers", security(("bearer" = ["customer.pii.read"])),
    params(("id" = String, Path)), request_body = RevealRequest,
    responses((status = 200, body = RevealResponse), (status = 403), (status = 404)))]
async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(req): Json<RevealRequest>,
) -> Result<Json<RevealResponse>, AppError> {
    Ok(Json(app::reveal(&state, &ctx, &id, &req).await?))
}

/// Export the filtered customers as XLSX or CSV (streamed; audited; personal data in
/// the clear only with `customer.pii.read`).
#[utoipa::path(get, path = "/customers/export", tag = "customers", security(("bearer" = ["customer.export"])),
    params(ListParams), responses((status = 200, description = "the file", content_type = "application/octet-stream")))]
async fn export_customers(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Query(p): Query<ListParams>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let format = Format::parse(p.format.as_deref())?;
    let t = state.i18n().tr(crate::ui::lang_of(&jar));
    let kind = ExportKind::Customers;
    let file = exports::now(&state, &ctx, kind, format, &query.unwrap_or_default(), &t).await?;
    download(&file.path, &file.filename, format.content_type()).await
}

/// The configured customer tiers.
#[utoipa::path(get, path = "/customer-tiers", tag = "customers", security(("bearer" = ["customer.read"])),
    responses((status = 200, body = Vec<TierView>)))]
async fn list_tiers(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<TierView>>, AppError> {
    Ok(Json(app::tiers(&state, &ctx).await?))
}

/// Add a tier or rename one.
#[utoipa::path(put, path = "/customer-tiers/{code}", tag = "customers", security(("bearer" = ["org.manage"])),
    params(("code" = String, Path)), request_body = TierPayload, responses((status = 204), (status = 422)))]
async fn save_tier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Json(p): Json<TierPayload>,
) -> Result<StatusCode, AppError> {
    app::save_tier(&state, &ctx, &code, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}
