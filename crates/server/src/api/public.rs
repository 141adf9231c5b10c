//! The public web form and status page as JSON, for customers' own apps: no log-in,
//! rate-limited per client address. (A browser on another site cannot post JSON here:
//! `application/json` needs a CORS preflight, which kefu never grants.)

use super::{Json, Path, Query};
use crate::app::public::{self as app, PublicCreated, PublicTicketPayload, PublicTicketView};
use crate::auth::ClientAddr;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket))
        .routes(routes!(ticket_status))
}

/// Open a ticket as a customer (channel web_form). It waits unassigned in the intake
/// department; the answer is its number, which with the phone opens the status page.
#[utoipa::path(post, path = "/public/tickets", tag = "public", security(()),
    request_body = PublicTicketPayload,
    responses((status = 201, body = PublicCreated), (status = 422),
        (status = 429, description = "too many tickets from this address; see Retry-After")))]
async fn create_ticket(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(p): Json<PublicTicketPayload>,
) -> Result<(StatusCode, Json<PublicCreated>), AppError> {
    let created = app::submit(&state, addr.as_deref(), &p).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// The ticket's contact phone.
    pub phone: String,
}

/// A ticket's progress as its customer sees it: status, current promise and the public
/// timeline (no internal notes, no staff names). A wrong phone is `not_found`, exactly
/// like an unknown number.
#[utoipa::path(get, path = "/public/tickets/{number}", tag = "public", security(()),
    params(("number" = String, Path, description = "ticket number, e.g. GD20261128-0007"), StatusParams),
    responses((status = 200, body = PublicTicketView), (status = 404),
        (status = 429, description = "too many lookups from this address; see Retry-After")))]
async fn ticket_status(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(number): Path<String>,
    Query(p): Query<StatusParams>,
) -> Result<Json<PublicTicketView>, AppError> {
    Ok(Json(
        app::status(&state, addr.as_deref(), &number, &p.phone).await?,
    ))
}
