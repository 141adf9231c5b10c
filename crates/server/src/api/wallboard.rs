//! The shift lead's wallboard over HTTP (the page polls the same numbers).

use super::Json;
use crate::app::wallboard::{self as app, Wallboard};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_wallboard))
}

/// The wallboard now: calls and chats waiting and for how long, today's service level
/// against the scheduling target, tickets overdue, unassigned and promised for today,
/// today's callbacks, and who is on shift doing what.
#[utoipa::path(get, path = "/wallboard", tag = "reports", security(("bearer" = ["report.view"])),
    responses((status = 200, body = Wallboard), (status = 403)))]
async fn get_wallboard(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Wallboard>, AppError> {
    Ok(Json(app::board(&state, &ctx).await?))
}
