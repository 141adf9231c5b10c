//! The CTI webhooks over HTTP. They carry no log-in: each request is signed with the
//! shared secret (`X-Kefu-Timestamp`, `X-Kefu-Signature`), which their OpenAPI
//! `security` entry (`cti_signature`) declares and the handlers verify.

use super::Path;
use crate::app::cti::{self as app, CtiEventPayload, CtiEventReply, RecordingReply};
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let limit = state.config().max_recording_bytes;
    OpenApiRouter::new()
        .routes(routes!(receive_event))
        .routes(routes!(receive_recording))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| refuse_oversized(limit, req, next),
        ))
}

/// Refuses a recording whose declared length is over the limit before reading any of it.
async fn refuse_oversized(limit: u64, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return AppError::TooLarge {
            limit_mb: limit / (1024 * 1024),
        }
        .into_response();
    }
    next.run(req).await
}

/// A call event from the telephony system: `offered` (caller, IVR key, queue),
/// `answered` (agent) or `ended` (duration, hang-up side). Events may arrive in any
/// order and more than once; an event for a call not yet offered is kept (202,
/// `awaiting_offer`).
#[utoipa::path(post, path = "/cti/events", tag = "cti", security(("cti_signature" = [])),
    request_body = CtiEventPayload,
    responses((status = 200, body = CtiEventReply), (status = 202, body = CtiEventReply,
        description = "kept; the call's offered event has not arrived yet"),
        (status = 401, description = "missing, stale or wrong signature"),
        (status = 422), (status = 503, description = "cti_not_configured")))]
async fn receive_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, super::Json<CtiEventReply>), AppError> {
    let signed = app::signed_request(&state, &headers)?;
    let body = axum::body::to_bytes(body, app::MAX_EVENT_BYTES)
        .await
        .map_err(|_| AppError::TooLargeBody {
            message: format!(
                "an event body is at most {} KiB",
                app::MAX_EVENT_BYTES / 1024
            ),
        })?;
    let reply = app::receive_event(&state, &signed, &body).await?;
    let status = if reply.awaiting_offer {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, super::Json(reply)))
}

/// Upload a call's recording as the raw request body (WAV, MP3, OGG, FLAC, AMR, M4A).
/// The signature covers `timestamp.call_id.sha256hex(body)`. Over the size limit: 413
/// (from `Content-Length` before anything is read); not audio: 415 `not_audio`; a call
/// kefu has no event for: 404 `unknown_call`.
#[utoipa::path(put, path = "/cti/calls/{call_id}/recording", tag = "cti", security(("cti_signature" = [])),
    params(("call_id" = String, Path, description = "the CTI's call id")),
    request_body(content_type = "audio/*", description = "the audio file"),
    responses((status = 201, body = RecordingReply), (status = 401), (status = 404),
        (status = 413), (status = 415), (status = 503)))]
async fn receive_recording(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, super::Json<RecordingReply>), AppError> {
    let signed = app::signed_request(&state, &headers)?;
    let reply = app::receive_recording(&state, &signed, &call_id, body.into_data_stream()).await?;
    Ok((StatusCode::CREATED, super::Json(reply)))
}
