//! The telephony system's (CTI) webhooks: call events and recording uploads, signed
//! with the shared secret instead of a log-in.
//!
//! Nothing the CTI sends is lost: every accepted event is stored as received; an event
//! for a call whose `offered` event has not arrived yet is accepted (202) and kept on a
//! call record that fills in when the offer comes. A request kefu refuses gets a
//! status and a stable code that says why, so the CTI can retry or alert.

use crate::error::AppError;
use crate::state::AppState;
use axum::http::HeaderMap;
use futures::Stream;
use kefu_domain::blob::is_audio;
use kefu_domain::call::{
    is_code, is_ivr_key, CallEvent, CallEventKind, HangupSide, SignatureError, SignedRequest,
};
use kefu_domain::PhoneNumber;
use kefu_store::blobs::BlobError;
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TIMESTAMP_HEADER: &str = "x-kefu-timestamp";
pub const SIGNATURE_HEADER: &str = "x-kefu-signature";
/// Largest accepted event body.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// One call event from the CTI.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CtiEventPayload {
    /// offered, answered or ended
    pub event: String,
    /// The CTI's id of the call (1-128 visible ASCII characters).
    pub call_id: String,
    /// When it happened (RFC 3339).
    pub at: String,
    /// The caller's number (offered).
    pub caller: Option<String>,
    /// The IVR key the caller pressed (offered).
    pub ivr_key: Option<String>,
    /// The queue; when absent, the one the IVR key leads to.
    pub queue: Option<String>,
    /// The agent who answered: 工号 or username (answered).
    pub agent: Option<String>,
    /// Talk time in seconds (ended).
    pub duration_s: Option<i64>,
    /// caller, agent or system (ended).
    pub hangup_side: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CtiEventReply {
    /// kefu's id of the call.
    pub id: String,
    /// offered, answered or ended, after this event.
    pub state: String,
    /// True when the call's `offered` event has not arrived yet (the event is kept).
    pub awaiting_offer: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordingReply {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

fn secret(state: &AppState) -> Result<&[u8], AppError> {
    state
        .config()
        .cti_secret
        .as_ref()
        .map(|s| s.0.as_bytes())
        .ok_or_else(|| AppError::Unavailable {
            code: "cti_not_configured",
            message: "the CTI webhooks are off: set cti_secret (KEFU_CTI_SECRET)".into(),
        })
}

fn signature_error(e: SignatureError) -> AppError {
    let code = match e {
        SignatureError::Missing => "missing_signature",
        SignatureError::BadTimestamp => "invalid_timestamp",
        SignatureError::Stale { .. } => "stale_timestamp",
        SignatureError::Malformed => "malformed_signature",
        SignatureError::Mismatch => "bad_signature",
    };
    AppError::BadCredentials {
        code,
        message: e.to_string(),
    }
}

/// Checks that the webhooks are on and the signature headers are well formed and
/// fresh: everything that can be checked before the body is read.
pub fn signed_request(state: &AppState, headers: &HeaderMap) -> Result<SignedRequest, AppError> {
    secret(state)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    SignedRequest::parse(
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        state.clock().now(),
    )
    .map_err(signature_error)
}

/// Verifies, parses and stores one event.
pub async fn receive_event(
    state: &AppState,
    signed: &SignedRequest,
    body: &[u8],
) -> Result<CtiEventReply, AppError> {
    signed
        .verify_event(secret(state)?, body)
        .map_err(signature_error)?;
    let payload: CtiEventPayload = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            AppError::invalid("invalid_body", e.to_string())
        } else {
            AppError::bad_request("malformed_json", e.to_string())
        }
    })?;
    let call_id = check_call_id(&payload.call_id)?;
    let mut event = parse_event(&payload)?;
    if event.queue.is_none() {
        if let Some(key) = &event.ivr_key {
            let menu = state.db().list_ivr_options().await?;
            event.queue = menu.into_iter().find(|o| &o.key == key).map(|o| o.queue);
        }
    }
    // Kept byte for byte as the CTI sent it (it parsed as JSON, so it is UTF-8).
    let stored = String::from_utf8_lossy(body);
    let row = state
        .db()
        .apply_call_event(call_id, &event, &stored, state.clock().now())
        .await?;
    tracing::info!(call = %row.id, event = event.kind.code(), state = %row.state, "CTI event");
    Ok(CtiEventReply {
        awaiting_offer: row.offered_at.is_none(),
        id: row.id,
        state: row.state,
    })
}

fn check_call_id(id: &str) -> Result<&str, AppError> {
    if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(id)
    } else {
        Err(AppError::invalid(
            "invalid_call_id",
            "call_id must be 1-128 visible ASCII characters",
        ))
    }
}

fn parse_event(p: &CtiEventPayload) -> Result<CallEvent, AppError> {
    let kind = CallEventKind::from_code(&p.event).ok_or_else(|| {
        AppError::invalid(
            "unknown_event",
            format!("event {:?}: use offered, answered or ended", p.event),
        )
    })?;
    let at = chrono::DateTime::parse_from_rfc3339(&p.at)
        .map_err(|_| AppError::invalid("invalid_time", "at must be an RFC 3339 time"))?
        .with_timezone(&chrono::Utc);
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let ivr_key = text(&p.ivr_key);
    if let Some(k) = &ivr_key {
        if !is_ivr_key(k) {
            return Err(AppError::invalid(
                "invalid_ivr_key",
                "ivr_key must be one of 0-9, * or #",
            ));
        }
    }
    let queue = text(&p.queue);
    if let Some(q) = &queue {
        if !is_code(q) {
            return Err(AppError::invalid(
                "invalid_queue",
                "queue must be 1-32 of a-z, 0-9, _ and -",
            ));
        }
    }
    let agent = text(&p.agent);
    if agent.as_ref().is_some_and(|a| a.chars().count() > 64) {
        return Err(AppError::invalid(
            "invalid_agent",
            "agent is longer than 64 characters",
        ));
    }
    if p.duration_s
        .is_some_and(|d| !(0..=7 * 24 * 3600).contains(&d))
    {
        return Err(AppError::invalid(
            "invalid_duration",
            "duration_s must be between 0 and 604800",
        ));
    }
    let hangup_side = match text(&p.hangup_side) {
        Some(h) => Some(HangupSide::from_code(&h).ok_or_else(|| {
            AppError::invalid(
                "invalid_hangup_side",
                "hangup_side must be caller, agent or system",
            )
        })?),
        None => None,
    };
    Ok(CallEvent {
        kind,
        at,
        caller: text(&p.caller).and_then(|c| normalize_caller(&c)),
        ivr_key,
        queue,
        agent,
        duration_s: p.duration_s,
        hangup_side,
    })
}

/// A caller number as stored: normalized when it is a Chinese phone number, else its
/// digits (service numbers such as 95588); nothing for a withheld number.
fn normalize_caller(raw: &str) -> Option<String> {
    match PhoneNumber::parse(raw) {
        Ok(p) => Some(p.as_str().to_string()),
        Err(_) => {
            let digits: String = raw.chars().filter(char::is_ascii_digit).take(20).collect();
            (!digits.is_empty()).then_some(digits)
        }
    }
}

/// Streams a recording to the file store, then checks the signature over its hash,
/// the call and the type, and only then keeps it. Anything refused leaves no file.
pub async fn receive_recording<S, B, E>(
    state: &AppState,
    signed: &SignedRequest,
    external_id: &str,
    body: S,
) -> Result<RecordingReply, AppError>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = state.config().max_recording_bytes;
    let pending = state
        .blobs()
        .receive(body, limit)
        .await
        .map_err(|e| match e {
            BlobError::TooLarge { limit } => AppError::TooLarge {
                limit_mb: limit / (1024 * 1024),
            },
            BlobError::Empty => AppError::invalid("empty_file", "the recording is empty"),
            BlobError::Read(e) => {
                AppError::bad_request("upload_interrupted", format!("reading the upload: {e}"))
            }
            BlobError::Io(e) => AppError::Internal(e.into()),
        })?;
    signed
        .verify_recording(secret(state)?, external_id, &pending.meta().sha256)
        .map_err(signature_error)?;
    let call = match state.db().get_call_by_external_id(external_id).await {
        Ok(call) => call,
        Err(StoreError::NotFound) => {
            return Err(AppError::Unknown {
                code: "unknown_call",
                message: format!("no call with call_id {external_id:?}: send its events first"),
            })
        }
        Err(e) => return Err(e.into()),
    };
    if !is_audio(&pending.meta().content_type) {
        return Err(AppError::UnsupportedMedia {
            code: "not_audio",
            message: format!(
                "the recording is not audio (it looks like {})",
                pending.meta().content_type
            ),
        });
    }
    let meta = pending
        .keep()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .db()
        .set_call_recording(&call.id, &meta, state.clock().now())
        .await?;
    tracing::info!(call = %call.id, size = meta.size, "CTI recording stored");
    Ok(RecordingReply {
        sha256: meta.sha256,
        size: meta.size,
        content_type: meta.content_type,
    })
}
