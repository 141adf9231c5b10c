//! The simulated clock's control, present only with `--clock simulated`.

use super::Json;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(advance))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// How far to move the clock forward, in seconds (at most one year).
    pub seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockNow {
    pub now: String,
    /// Scheduled jobs that fell due and fired.
    pub fired: usize,
}

/// Move the simulated clock forward and fire every job that falls due (and mark away the
/// chat agents whose console closed longer ago than the grace period, and make the
/// scheduled reports that fell due).
#[utoipa::path(post, path = "/test-clock/advance", tag = "test-clock", security(("bearer" = [])),
    request_body = Advance, responses((status = 200, body = ClockNow)))]
async fn advance(
    State(state): State<AppState>,
    Json(req): Json<Advance>,
) -> Result<Json<ClockNow>, AppError> {
    if !(0..=366 * 86_400).contains(&req.seconds) {
        return Err(AppError::invalid(
            "invalid_duration",
            "seconds must be between 0 and one year",
        ));
    }
    let now = state
        .clock()
        .advance(chrono::Duration::seconds(req.seconds))
        .ok_or_else(|| {
            AppError::bad_request("clock_not_simulated", "the clock is not simulated")
        })?;
    let fired = crate::jobs::run_due(&state, usize::MAX).await?;
    crate::app::chat::agent::mark_away(&state).await?;
    crate::jobs::make_scheduled_reports(&state)
        .await
        .map_err(AppError::Internal)?;
    Ok(Json(ClockNow {
        now: now.to_rfc3339(),
        fired,
    }))
}
