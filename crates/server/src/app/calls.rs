//! Calls (来电) for agents and admins: the call log, one call with its events, the
//! calls an agent's screen pop shows, the identity check, the link to a work order,
//! the recording, and the IVR menu. Phone numbers leave this module masked.

use crate::app::customers::{summary_of, CustomerSummary};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::audit::AuditAction;
use kefu_domain::call::{check_ivr_menu, IdentityMethod, IdentityResult, IvrOption};
use kefu_domain::phone::mask_phone;
use kefu_domain::Permission;
use kefu_store::audit::NewAuditEntry;
use kefu_store::calls::{CallEventRow, CallFilter, CallRow, IvrOptionRow};
use kefu_store::{Page, StoreError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use utoipa::{IntoParams, ToSchema};

/// A call as the API and the pages show it: the caller's number masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub id: String,
    /// The telephony system's call id.
    pub external_id: String,
    /// offered, answered or ended
    pub state: String,
    /// Masked (`138****5678`).
    pub caller: Option<String>,
    pub ivr_key: Option<String>,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    /// The agent as the CTI named them, when kefu does not know that agent.
    pub agent_ref: Option<String>,
    /// `null` until the CTI's `offered` event has arrived.
    pub offered_at: Option<String>,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_s: Option<i64>,
    /// caller, agent or system
    pub hangup_side: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub ticket_id: Option<String>,
    pub identity_check: Option<IdentityCheckView>,
    pub has_recording: bool,
    pub started_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityCheckView {
    /// passed or failed
    pub result: String,
    /// account or id_last_digits
    pub method: Option<String>,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallList {
    pub items: Vec<CallView>,
    pub next_cursor: Option<String>,
}

/// One webhook event as received (the caller's number masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallEventView {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    pub received_at: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordingView {
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallDetail {
    pub call: CallView,
    pub customer: Option<CustomerSummary>,
    pub events: Vec<CallEventView>,
    pub recording: Option<RecordingView>,
}

/// What an agent's screen pop shows for one ringing or running call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActiveCall {
    pub call: CallView,
    /// The customer matched by the caller's number (phone masked).
    pub customer: Option<CustomerSummary>,
    /// The customer's latest tickets visible to the agent, open ones first; each shows
    /// its promise (open promises are those with `promise_due_at`).
    pub recent_tickets: Vec<crate::app::tickets::TicketSummary>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallListParams {
    pub agent_id: Option<String>,
    pub customer_id: Option<String>,
    pub queue: Option<String>,
    /// offered, answered or ended
    pub state: Option<String>,
    /// From this date (YYYY-MM-DD, China time) or instant (RFC 3339).
    pub from: Option<String>,
    /// Until this date (inclusive) or instant (exclusive).
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

impl CallListParams {
    pub fn filter(&self) -> Result<CallFilter, AppError> {
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let state = clean(&self.state);
        if let Some(s) = &state {
            if kefu_domain::call::CallState::from_code(s).is_none() {
                return Err(AppError::invalid(
                    "invalid_state",
                    format!("state {s:?}: use offered, answered or ended"),
                ));
            }
        }
        Ok(CallFilter {
            agent_id: clean(&self.agent_id),
            customer_id: clean(&self.customer_id),
            queue: clean(&self.queue),
            state,
            from: clean(&self.from)
                .map(|v| super::audit::parse_bound(&v, false))
                .transpose()?,
            to: clean(&self.to)
                .map(|v| super::audit::parse_bound(&v, true))
                .transpose()?,
        })
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActiveParams {
    /// Queues the agent takes calls from, comma-separated (`consultation,complaint`).
    pub queues: Option<String>,
}

/// The result of checking the caller's identity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheckPayload {
    /// passed or failed
    pub result: String,
    /// account (the registered account) or id_last_digits (last digits of the ID number)
    pub method: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketLinkPayload {
    pub ticket_id: String,
}

/// One option of the IVR menu.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrOptionPayload {
    /// 0-9, * or #
    pub key: String,
    pub label: String,
    /// The queue the key leads to (`consultation`, `complaint`, `agent` …).
    pub queue: String,
    /// The ticket type a call through this key starts as.
    pub ticket_type: Option<String>,
}

pub fn call_view(r: &CallRow) -> CallView {
    let time = |ms: Option<i64>| ms.map(super::rfc3339);
    CallView {
        id: r.id.clone(),
        external_id: r.external_id.clone(),
        state: r.state.clone(),
        caller: r.caller.as_deref().map(mask_phone),
        ivr_key: r.ivr_key.clone(),
        queue: r.queue.clone(),
        agent_id: r.agent_id.clone(),
        agent_name: r.agent_name.clone(),
        agent_ref: r.agent_id.is_none().then(|| r.agent_ref.clone()).flatten(),
        offered_at: time(r.offered_at),
        answered_at: time(r.answered_at),
        ended_at: time(r.ended_at),
        duration_s: r.duration_s,
        hangup_side: r.hangup_side.clone(),
        customer_id: r.customer_id.clone(),
        customer_name: r.customer_name.clone(),
        ticket_id: r.ticket_id.clone(),
        identity_check: r.identity_check.as_ref().map(|result| IdentityCheckView {
            result: result.clone(),
            method: r.identity_method.clone(),
            checked_by: r.identity_checked_by.clone(),
            checked_at: time(r.identity_checked_at),
        }),
        has_recording: r.recording_sha256.is_some(),
        started_at: super::rfc3339(r.started_at),
    }
}

/// The raw event with any phone number in it masked.
fn event_view(e: &CallEventRow) -> CallEventView {
    let mut payload: serde_json::Value =
        serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null);
    if let Some(caller) = payload.get_mut("caller") {
        if let Some(s) = caller.as_str() {
            let masked = match kefu_domain::PhoneNumber::parse(s) {
                Ok(phone) => phone.masked(),
                Err(_) => mask_phone(s),
            };
            *caller = serde_json::Value::String(masked);
        }
    }
    CallEventView {
        seq: e.seq,
        kind: e.kind.clone(),
        at: super::rfc3339(e.at),
        received_at: super::rfc3339(e.received_at),
        payload,
    }
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("call")(e)
}

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    filter: &CallFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<CallRow>, AppError> {
    ctx.require(Permission::CallHandle)?;
    Ok(state.db().list_calls(filter, cursor, limit).await?)
}

/// One call with its events, customer and recording; the view is audited (it is
/// personal data: who called, when, and what was said).
pub async fn detail(state: &AppState, ctx: &Ctx, id: &str) -> Result<CallDetail, AppError> {
    ctx.require(Permission::CallHandle)?;
    let row = state.db().get_call(id).await.map_err(not_found)?;
    let events = state.db().list_call_events(id).await?;
    let recording = match &row.recording_sha256 {
        Some(sha) => {
            let blob = state.db().get_blob(sha).await?;
            Some(RecordingView {
                content_type: blob.content_type,
                size: blob.size,
            })
        }
        None => None,
    };
    let customer = customer_card(state, &row).await?;
    state
        .db()
        .append_audit(
            &ctx.actor(),
            state.clock().now(),
            &NewAuditEntry::new(AuditAction::CallViewed).subject("call", id),
        )
        .await?;
    Ok(CallDetail {
        call: call_view(&row),
        customer,
        events: events.iter().map(event_view).collect(),
        recording,
    })
}

/// The matched customer's card, found through the caller's number (indexed).
async fn customer_card(
    state: &AppState,
    row: &CallRow,
) -> Result<Option<CustomerSummary>, AppError> {
    let (Some(customer_id), Some(caller)) = (&row.customer_id, &row.caller) else {
        return Ok(None);
    };
    let found = state.db().find_customers_by_contact(caller).await?;
    Ok(found.iter().find(|c| &c.id == customer_id).map(summary_of))
}

/// The calls the agent's screen pop shows: answered by them and still running, and
/// those ringing in the queues they take.
pub async fn active(
    state: &AppState,
    ctx: &Ctx,
    queues: Option<&str>,
) -> Result<Vec<ActiveCall>, AppError> {
    ctx.require(Permission::CallHandle)?;
    let queues: Vec<String> = queues
        .unwrap_or_default()
        .split(',')
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    if queues.len() > 20 {
        return Err(AppError::invalid("invalid_query", "at most 20 queues"));
    }
    let rows = state.db().list_active_calls(&ctx.user_id, &queues).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let customer = customer_card(state, row).await?;
        let recent_tickets = match (&customer, ctx.can(Permission::TicketRead)) {
            (Some(c), true) => {
                let filter = kefu_store::tickets::TicketFilter {
                    customer_id: Some(c.id.clone()),
                    ..Default::default()
                };
                let mut page = crate::app::tickets::list(state, ctx, &filter, None, 8).await?;
                // Open work first: that is what the caller is most likely calling about.
                page.items.sort_by_key(|t| {
                    !matches!(
                        t.status.as_str(),
                        "new"
                            | "assigned"
                            | "in_progress"
                            | "waiting_customer"
                            | "waiting_department"
                    )
                });
                page.items
                    .iter()
                    .map(crate::app::tickets::summary_view)
                    .collect()
            }
            _ => Vec::new(),
        };
        out.push(ActiveCall {
            call: call_view(row),
            customer,
            recent_tickets,
        });
    }
    Ok(out)
}

pub async fn identity_check(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &IdentityCheckPayload,
) -> Result<CallView, AppError> {
    ctx.require(Permission::CallHandle)?;
    let result = IdentityResult::from_code(&p.result)
        .ok_or_else(|| AppError::invalid("invalid_result", "result must be passed or failed"))?;
    let method = IdentityMethod::from_code(&p.method).ok_or_else(|| {
        AppError::invalid("invalid_method", "method must be account or id_last_digits")
    })?;
    let row = state
        .db()
        .set_call_identity_check(&ctx.actor(), state.clock().now(), id, result, method)
        .await
        .map_err(not_found)?;
    Ok(call_view(&row))
}

pub async fn attach_ticket(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &TicketLinkPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::CallHandle)?;
    let reference = p.ticket_id.trim();
    if reference.is_empty() || reference.len() > 64 {
        return Err(AppError::invalid(
            "invalid_ticket",
            "ticket_id must be a ticket id or number (GD20261128-0007)",
        ));
    }
    // The ticket (by id or number) must exist and be one the agent may work on.
    let unknown = || {
        AppError::invalid(
            "unknown_ticket",
            format!("no ticket {reference} that you may work on"),
        )
    };
    let ticket = crate::app::tickets::resolve_ref(state, reference)
        .await
        .map_err(|_| unknown())?;
    crate::app::tickets::load_checked(
        state,
        ctx,
        &ticket,
        Some(kefu_domain::ticket::TicketAction::Work),
    )
    .await
    .map_err(|e| match e {
        AppError::NotFound(_) => unknown(),
        e => e,
    })?;
    state
        .db()
        .attach_call_ticket(&ctx.actor(), state.clock().now(), id, &ticket)
        .await
        .map_err(not_found)
}

/// A recording to download: where it is, its type and a file name.
pub struct RecordingFile {
    pub path: PathBuf,
    pub content_type: String,
    pub filename: String,
}

/// The call's recording for download; audited.
pub async fn recording(state: &AppState, ctx: &Ctx, id: &str) -> Result<RecordingFile, AppError> {
    ctx.require(Permission::CallHandle)?;
    recording_file(state, ctx, id).await
}

/// The recording of call `id` for someone the caller checked may hear it (an agent
/// with `call.handle`, or quality inspection: see `app::qa`); audited.
pub(crate) async fn recording_file(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<RecordingFile, AppError> {
    let row = state.db().get_call(id).await.map_err(not_found)?;
    let sha = row
        .recording_sha256
        .ok_or(AppError::NotFound("recording"))?;
    let blob = state.db().get_blob(&sha).await?;
    let path = state
        .blobs()
        .path_of(&blob.sha256)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored hash is malformed")))?;
    state
        .db()
        .append_audit(
            &ctx.actor(),
            state.clock().now(),
            &NewAuditEntry::new(AuditAction::CallRecordingDownloaded).subject("call", id),
        )
        .await?;
    let extension = match blob.content_type.strip_prefix("audio/") {
        Some("mpeg") => "mp3".to_string(),
        Some("mp4") => "m4a".to_string(),
        Some(other) => other.to_string(),
        None => "bin".to_string(),
    };
    Ok(RecordingFile {
        path,
        content_type: blob.content_type,
        filename: format!("call-{}.{extension}", row.id),
    })
}

fn option_view(o: &IvrOptionRow) -> IvrOptionPayload {
    IvrOptionPayload {
        key: o.key.clone(),
        label: o.label.clone(),
        queue: o.queue.clone(),
        ticket_type: o.ticket_type.clone(),
    }
}

pub async fn ivr_menu(state: &AppState, ctx: &Ctx) -> Result<Vec<IvrOptionPayload>, AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    Ok(state
        .db()
        .list_ivr_options()
        .await?
        .iter()
        .map(option_view)
        .collect())
}

/// Replaces the IVR menu; audited.
pub async fn save_ivr_menu(
    state: &AppState,
    ctx: &Ctx,
    options: &[IvrOptionPayload],
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let mut menu: Vec<IvrOption> = options
        .iter()
        .map(|o| IvrOption {
            key: o.key.trim().to_string(),
            label: o.label.clone(),
            queue: o.queue.trim().to_string(),
            ticket_type: o
                .ticket_type
                .as_ref()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        })
        .collect();
    check_ivr_menu(&mut menu).map_err(|e| AppError::invalid("invalid_ivr_menu", e.to_string()))?;
    state
        .db()
        .save_ivr_menu(&ctx.actor(), state.clock().now(), &menu)
        .await?;
    Ok(())
}

/// One line of a call transcript as the speech-to-text side sends it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TranscriptLinePayload {
    /// `customer` or `agent`.
    pub speaker: String,
    /// Milliseconds from the start of the call.
    pub at_ms: i64,
    pub text: String,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TranscriptPayload {
    pub lines: Vec<TranscriptLinePayload>,
}

/// The most lines a transcript may have, and the longest line.
const MAX_TRANSCRIPT_LINES: usize = 5000;
const MAX_LINE_CHARS: usize = 2000;

/// Attaches (or replaces) a call's transcript, so the automatic quality checks read the
/// call. Lines in order, times from the start of the call, never going back.
pub async fn set_transcript(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &TranscriptPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::CallHandle)?;
    if p.lines.is_empty() || p.lines.len() > MAX_TRANSCRIPT_LINES {
        return Err(AppError::invalid_field(
            "invalid_transcript",
            "lines",
            format!("a transcript has 1–{MAX_TRANSCRIPT_LINES} lines"),
        ));
    }
    let mut last = 0;
    let mut lines = Vec::with_capacity(p.lines.len());
    for (n, l) in p.lines.iter().enumerate() {
        let bad = |why: &str| {
            AppError::invalid_field(
                "invalid_transcript",
                "lines",
                format!("line {}: {why}", n + 1),
            )
        };
        if l.speaker != "customer" && l.speaker != "agent" {
            return Err(bad("speaker is customer or agent"));
        }
        if l.at_ms < last || l.at_ms > 24 * 3600 * 1000 {
            return Err(bad("times go forward from the start of the call (0–24 h)"));
        }
        let text = l.text.trim();
        if text.is_empty() || text.chars().count() > MAX_LINE_CHARS {
            return Err(bad("the text is 1–2000 characters"));
        }
        last = l.at_ms;
        lines.push(kefu_store::calls::TranscriptLine {
            speaker: l.speaker.clone(),
            at_ms: l.at_ms,
            text: text.to_string(),
        });
    }
    state
        .db()
        .set_call_transcript(id, &lines, state.clock().now())
        .await
        .map_err(not_found)
}
