//! The agent's calling list of the day (`campaign.call`) with the script filled in, the
//! calls recorded from it, and the do-not-call flag on a customer (勿扰).

use crate::app::customers::mask_contact;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::campaign::{call_day, Outcome, MAX_NOTE_CHARS};
use kefu_domain::knowledge::{fill, Placeholder, ScriptValues};
use kefu_domain::Permission;
use kefu_store::campaigns::calls::NewCall;
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// One customer on the agent's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListEntry {
    pub campaign_id: String,
    pub campaign_name: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: String,
    /// Masked unless the agent may read personal data.
    pub phone: Option<String>,
    /// Calls made so far (before today's, if any).
    pub attempts: i64,
    pub last_outcome: Option<String>,
    pub last_called_at: Option<String>,
    /// Already called today: shown with its outcome, no longer callable today.
    pub called_today: bool,
    /// The campaign's script with the customer's name and the agent's 工号 filled in.
    pub script: String,
}

/// The agent's list of today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallingList {
    /// The local (China) day, `YYYY-MM-DD`.
    pub day: String,
    pub items: Vec<ListEntry>,
}

/// A call as the agent records it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallPayload {
    /// `reached`, `unreachable`, `refused`, `interested`, `converted` or
    /// `call_back_later`.
    pub outcome: String,
    /// Up to 500 characters.
    pub note: Option<String>,
    /// For `call_back_later`: when (RFC 3339, or `YYYY-MM-DDTHH:MM` local China time).
    pub callback_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallResult {
    pub call_id: String,
    /// `pending` (called again later) or `done`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    /// The customer status a conversion set.
    pub converted_to: Option<String>,
    /// A refusal flagged the customer do-not-call.
    pub do_not_call_set: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoNotCall {
    pub do_not_call: bool,
}

/// Reads a time from a form or the API: RFC 3339, or a `datetime-local` value in China
/// time.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .ok()?;
    naive
        .and_local_timezone(kefu_domain::calendar::china_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn my_list(state: &AppState, ctx: &Ctx) -> Result<CallingList, AppError> {
    ctx.require(Permission::CampaignCall)?;
    let now = state.clock().now();
    let day = call_day(now).to_string();
    let rows = state.db().todays_calling_list(&ctx.user_id, now).await?;
    let me = state.db().get_user(&ctx.user_id).await?;
    let pii = ctx.can(Permission::CustomerPiiRead);
    let mut scripts: HashMap<String, String> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        if !scripts.contains_key(&r.campaign_id) {
            let c = state.db().get_campaign(&r.campaign_id).await?;
            scripts.insert(r.campaign_id.clone(), c.script);
        }
        let mut values = ScriptValues::new();
        values
            .set(Placeholder::CustomerName, r.customer_name.clone())
            .set(
                Placeholder::AgentNo,
                me.agent_no.clone().unwrap_or_else(|| me.username.clone()),
            )
            .set(Placeholder::AgentName, me.display_name.clone())
            .set(Placeholder::Today, day.clone());
        let script = fill(&scripts[&r.campaign_id], &values, str::to_string).text;
        items.push(ListEntry {
            phone: r.primary_phone.as_deref().map(|p| {
                if pii {
                    p.to_string()
                } else {
                    mask_contact("mobile", p)
                }
            }),
            called_today: r.last_call_day.as_deref() == Some(day.as_str()),
            last_called_at: r.last_called_at.map(crate::app::rfc3339),
            campaign_id: r.campaign_id,
            campaign_name: r.campaign_name,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            customer_status: r.customer_status,
            attempts: r.attempts,
            last_outcome: r.last_outcome,
            script,
        });
    }
    if pii && !items.is_empty() {
        let entry = kefu_store::audit::NewAuditEntry::new(AuditAction::CustomerListed)
            .subjects("customer", items.iter().map(|i| i.customer_id.clone()))
            .detail("campaign calling list");
        state
            .db()
            .append_audit(&ctx.actor(), state.clock().now(), &entry)
            .await?;
    }
    Ok(CallingList { day, items })
}

pub async fn record_call(
    state: &AppState,
    ctx: &Ctx,
    campaign_id: &str,
    customer_id: &str,
    p: &CallPayload,
) -> Result<CallResult, AppError> {
    ctx.require(Permission::CampaignCall)?;
    let outcome = Outcome::from_code(p.outcome.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_outcome",
            "outcome",
            "the outcome is reached, unreachable, refused, interested, converted or call_back_later",
        )
    })?;
    let note = p.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(AppError::invalid_field(
            "note_too_long",
            "note",
            format!("the note is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    let callback_at = match p
        .callback_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => Some(parse_time(raw).ok_or_else(|| {
            AppError::invalid_field(
                "invalid_callback_time",
                "callback_at",
                "write the call-back time as 2026-12-01T15:00",
            )
        })?),
    };
    let done = state
        .db()
        .record_campaign_call(
            &ctx.actor(),
            state.clock().now(),
            &NewCall {
                campaign_id,
                customer_id,
                outcome,
                note,
                callback_at: if outcome == Outcome::CallBackLater {
                    callback_at
                } else {
                    None
                },
            },
        )
        .await?;
    tracing::info!(outcome = outcome.code(), "campaign call recorded");
    Ok(CallResult {
        call_id: done.call_id,
        state: done.state.code().to_string(),
        attempts: done.attempts,
        next_attempt_at: done
            .next_attempt_at
            .map(|t| crate::app::rfc3339(kefu_store::to_millis(t))),
        converted_to: done.converted_to,
        do_not_call_set: done.do_not_call_set,
    })
}

pub async fn get_do_not_call(
    state: &AppState,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<DoNotCall, AppError> {
    ctx.require(Permission::CustomerRead)?;
    let do_not_call = state
        .db()
        .customer_do_not_call(customer_id)
        .await
        .map_err(customer_not_found)?;
    Ok(DoNotCall { do_not_call })
}

pub async fn set_do_not_call(
    state: &AppState,
    ctx: &Ctx,
    customer_id: &str,
    p: &DoNotCall,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerWrite)?;
    state
        .db()
        .set_do_not_call(
            &ctx.actor(),
            state.clock().now(),
            customer_id,
            p.do_not_call,
        )
        .await
        .map_err(customer_not_found)
}

fn customer_not_found(e: StoreError) -> AppError {
    AppError::store_missing("customer")(e)
}
