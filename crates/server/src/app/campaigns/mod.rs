//! Outbound campaigns (主动拨打), shared by the API and the pages: setting campaigns up
//! (`campaign.manage`), their progress and conversion, and adding imported target lists.
//! The agent's daily list and the calls are in [`calls`].

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::campaign::{CampaignAction, CampaignDraft, CampaignStatus, Outcome};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::{Permission, PhoneNumber};
use kefu_store::campaigns::progress::CampaignProgress;
use kefu_store::campaigns::{CampaignError, CampaignInput, CampaignRow, TargetFilter};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod calls;

/// The most phone numbers or customer ids one import adds.
pub const MAX_IMPORT: usize = 10_000;

/// Which customers a campaign calls, as on the customer list (all optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterPayload {
    pub tier: Option<String>,
    /// e.g. `registered`: registered but not verified (注册未认证).
    pub status: Option<String>,
    pub tag: Option<String>,
    pub owner_id: Option<String>,
}

/// A campaign definition.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPayload {
    pub name: String,
    /// The script, with {客户姓名} {工号} {坐席姓名} {今天} filled in on the agent's list.
    #[serde(default)]
    pub script: String,
    /// Calls per agent per day (1 to 500).
    pub daily_quota: i64,
    /// Local (China) time, `HH:MM-HH:MM`, e.g. `09:00-20:00`.
    pub calling_hours: String,
    /// Hours before an unreachable or interested customer is tried again (1 to 720).
    pub retry_hours: i64,
    /// Calls at most per customer (1 to 20); call-back appointments are always kept.
    pub max_attempts: i64,
    /// A refusal also flags the customer do-not-call.
    #[serde(default)]
    pub refusal_do_not_call: bool,
    /// The customer status a conversion sets (e.g. `verified`).
    pub convert_to_status: Option<String>,
    /// Targets from the customer list's filter when the campaign starts; absent: imported
    /// lists only.
    pub filter: Option<FilterPayload>,
    #[serde(default)]
    pub agent_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub script: String,
    /// `draft`, `active`, `paused` or `finished`.
    pub status: String,
    pub daily_quota: i64,
    pub calling_hours: String,
    pub retry_hours: i64,
    pub max_attempts: i64,
    pub refusal_do_not_call: bool,
    pub convert_to_status: Option<String>,
    pub filter: Option<FilterPayload>,
    pub agents: Vec<AgentRef>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignSummary {
    pub id: String,
    pub name: String,
    pub status: String,
    pub daily_quota: i64,
    pub agents: i64,
    pub targets: i64,
    pub done: i64,
    pub converted: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentProgressView {
    pub agent_id: String,
    pub name: String,
    pub calls_today: i64,
    pub calls_total: i64,
    pub reached: i64,
    pub converted: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeCount {
    pub outcome: String,
    pub targets: i64,
}

/// Progress and conversion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub targets: i64,
    pub pending: i64,
    pub done: i64,
    /// Pending customers flagged do-not-call (left off every list).
    pub do_not_call: i64,
    /// Targets reached at their last call (any outcome but unreachable).
    pub reached: i64,
    pub converted: i64,
    /// Converted targets per target, 0 to 1.
    pub conversion_rate: f64,
    /// Targets by their last outcome.
    pub by_outcome: Vec<OutcomeCount>,
    pub calls_total: i64,
    pub calls_today: i64,
    pub agents: Vec<AgentProgressView>,
}

/// An imported list: customers by id or by phone number.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsPayload {
    #[serde(default)]
    pub customer_ids: Vec<String>,
    /// Phone numbers of existing customers (mobile or landline, any common spelling).
    #[serde(default)]
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetsAdded {
    /// New targets (customers already in the campaign are skipped).
    pub added: u64,
    /// Lines that are no phone number or belong to no customer, masked.
    pub unmatched: Vec<String>,
}

impl From<CampaignError> for AppError {
    fn from(e: CampaignError) -> Self {
        use kefu_domain::campaign::CallError;
        let message = e.to_string();
        match e {
            CampaignError::Store(StoreError::NotFound) => AppError::NotFound("campaign target"),
            CampaignError::Store(s) => s.into(),
            CampaignError::UnknownAgent(_) => {
                AppError::invalid_field("unknown_agent", "agent_ids", message)
            }
            CampaignError::InactiveAgent(_) => {
                AppError::invalid_field("inactive_agent", "agent_ids", message)
            }
            CampaignError::BadTransition { .. } => AppError::conflict("bad_transition", message),
            CampaignError::Finished => AppError::conflict("campaign_finished", message),
            CampaignError::NotActive => AppError::conflict("campaign_not_active", message),
            CampaignError::NotCampaignAgent => AppError::Refused {
                code: "not_campaign_agent",
                message,
            },
            CampaignError::NotOnList => AppError::conflict("not_on_list", message),
            CampaignError::TargetDone => AppError::conflict("target_done", message),
            CampaignError::DoNotCall => AppError::conflict("do_not_call", message),
            CampaignError::CalledToday => AppError::conflict("called_today", message),
            CampaignError::QuotaReached => AppError::conflict("quota_reached", message),
            CampaignError::OutsideHours(_) => AppError::conflict("outside_calling_hours", message),
            CampaignError::Call(CallError::CallbackTimeMissing) => {
                AppError::invalid_field("callback_time_missing", "callback_at", message)
            }
            CampaignError::Call(CallError::CallbackTimeOutOfRange) => {
                AppError::invalid_field("callback_time_out_of_range", "callback_at", message)
            }
        }
    }
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl CampaignPayload {
    /// Validates the definition (every refusal names its field).
    pub fn input(&self) -> Result<CampaignInput, AppError> {
        let rules = CampaignDraft {
            name: self.name.clone(),
            script: self.script.clone(),
            daily_quota: self.daily_quota,
            calling_hours: self.calling_hours.clone(),
            retry_hours: self.retry_hours,
            max_attempts: self.max_attempts,
        }
        .validate()
        .map_err(|e| AppError::invalid_field(e.code, e.field, e.message))?;
        let convert_to_status = match clean(&self.convert_to_status) {
            None => None,
            Some(s) => Some(CustomerStatus::from_code(&s).ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_status",
                    "convert_to_status",
                    format!("unknown customer status {s:?}"),
                )
            })?),
        };
        let filter = match &self.filter {
            None => None,
            Some(f) => {
                let status = clean(&f.status);
                if let Some(s) = &status {
                    if CustomerStatus::from_code(s).is_none() {
                        return Err(AppError::invalid_field(
                            "invalid_status",
                            "filter.status",
                            format!("unknown customer status {s:?}"),
                        ));
                    }
                }
                Some(TargetFilter {
                    tier: clean(&f.tier),
                    status,
                    tag: clean(&f.tag),
                    owner_id: clean(&f.owner_id),
                })
            }
        };
        let mut agent_ids: Vec<String> = Vec::new();
        for a in &self.agent_ids {
            let a = a.trim();
            if !a.is_empty() && !agent_ids.iter().any(|x| x == a) {
                agent_ids.push(a.to_string());
            }
        }
        Ok(CampaignInput {
            name: rules.name,
            script: rules.script,
            daily_quota: rules.daily_quota,
            calling_hours: rules.calling_hours,
            retry: rules.retry,
            refusal_do_not_call: self.refusal_do_not_call,
            convert_to_status,
            filter,
            agent_ids,
        })
    }
}

pub fn view_of(row: CampaignRow, agents: Vec<AgentRef>) -> CampaignView {
    CampaignView {
        status: row.status().code().to_string(),
        calling_hours: row.calling_hours().0.to_string(),
        filter: row.filter().map(|f| FilterPayload {
            tier: f.tier,
            status: f.status,
            tag: f.tag,
            owner_id: f.owner_id,
        }),
        refusal_do_not_call: row.refusal_do_not_call != 0,
        created_at: super::rfc3339(row.created_at),
        started_at: row.started_at.map(super::rfc3339),
        finished_at: row.finished_at.map(super::rfc3339),
        id: row.id,
        name: row.name,
        script: row.script,
        daily_quota: row.daily_quota,
        retry_hours: row.retry_hours,
        max_attempts: row.max_attempts,
        convert_to_status: row.convert_to_status,
        agents,
    }
}

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    status: Option<&str>,
) -> Result<Vec<CampaignSummary>, AppError> {
    ctx.require(Permission::CampaignManage)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(CampaignStatus::from_code(s).ok_or_else(|| {
            AppError::bad_request("invalid_status", format!("unknown campaign status {s:?}"))
        })?),
    };
    Ok(state
        .db()
        .list_campaigns(status)
        .await?
        .into_iter()
        .map(|r| CampaignSummary {
            created_at: super::rfc3339(r.created_at),
            id: r.id,
            name: r.name,
            status: r.status,
            daily_quota: r.daily_quota,
            agents: r.agents,
            targets: r.targets,
            done: r.done,
            converted: r.converted,
        })
        .collect())
}

pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<CampaignView, AppError> {
    ctx.require(Permission::CampaignManage)?;
    let row = state.db().get_campaign(id).await.map_err(not_found)?;
    let agents = state
        .db()
        .list_campaign_agents(id)
        .await?
        .into_iter()
        .map(|a| AgentRef {
            id: a.id,
            name: a.display_name,
        })
        .collect();
    Ok(view_of(row, agents))
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("campaign")(e)
}

fn campaign_not_found(e: CampaignError) -> AppError {
    match e {
        CampaignError::Store(StoreError::NotFound) => AppError::NotFound("campaign"),
        other => other.into(),
    }
}

pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &CampaignPayload,
) -> Result<CampaignView, AppError> {
    ctx.require(Permission::CampaignManage)?;
    let input = p.input()?;
    let id = state
        .db()
        .create_campaign(&ctx.actor(), state.clock().now(), &input)
        .await?;
    get(state, ctx, &id).await
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CampaignPayload,
) -> Result<CampaignView, AppError> {
    ctx.require(Permission::CampaignManage)?;
    let input = p.input()?;
    state
        .db()
        .update_campaign(&ctx.actor(), state.clock().now(), id, &input)
        .await
        .map_err(campaign_not_found)?;
    get(state, ctx, id).await
}

/// `start`, `pause`, `resume` or `finish`.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: &str,
) -> Result<CampaignView, AppError> {
    ctx.require(Permission::CampaignManage)?;
    let action = CampaignAction::from_code(action.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_action",
            "action",
            "the action is start, pause, resume or finish",
        )
    })?;
    state
        .db()
        .change_campaign_status(&ctx.actor(), state.clock().now(), id, action)
        .await
        .map_err(campaign_not_found)?;
    tracing::info!(action = action.code(), "campaign status changed");
    get(state, ctx, id).await
}

pub fn progress_view(p: CampaignProgress) -> ProgressView {
    let converted = p.outcome(Outcome::Converted.code());
    let reached = p
        .by_outcome
        .iter()
        .filter(|(o, _)| Outcome::from_code(o).is_some_and(Outcome::is_reached))
        .map(|(_, n)| n)
        .sum();
    ProgressView {
        conversion_rate: if p.targets > 0 {
            ((converted as f64 / p.targets as f64) * 1000.0).round() / 1000.0
        } else {
            0.0
        },
        targets: p.targets,
        pending: p.pending,
        done: p.done,
        do_not_call: p.do_not_call,
        reached,
        converted,
        by_outcome: p
            .by_outcome
            .into_iter()
            .map(|(outcome, targets)| OutcomeCount { outcome, targets })
            .collect(),
        calls_total: p.calls_total,
        calls_today: p.calls_today,
        agents: p
            .agents
            .into_iter()
            .map(|a| AgentProgressView {
                agent_id: a.agent_id,
                name: a.name,
                calls_today: a.calls_today,
                calls_total: a.calls_total,
                reached: a.reached,
                converted: a.converted,
            })
            .collect(),
    }
}

pub async fn progress(state: &AppState, ctx: &Ctx, id: &str) -> Result<ProgressView, AppError> {
    ctx.require(Permission::CampaignManage)?;
    state.db().get_campaign(id).await.map_err(not_found)?;
    let p = state
        .db()
        .campaign_progress(id, state.clock().now())
        .await?;
    Ok(progress_view(p))
}

/// Adds an imported list: customer ids as given, phone numbers matched to customers.
pub async fn add_targets(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &TargetsPayload,
) -> Result<TargetsAdded, AppError> {
    ctx.require(Permission::CampaignManage)?;
    if p.customer_ids.len() + p.phones.len() > MAX_IMPORT {
        return Err(AppError::invalid_field(
            "too_many_targets",
            "phones",
            format!("at most {MAX_IMPORT} customers per import"),
        ));
    }
    let mut unmatched = Vec::new();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for raw in p.phones.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match PhoneNumber::parse(raw) {
            Ok(phone) => wanted.push((raw.to_string(), phone.as_str().to_string())),
            Err(_) => unmatched.push(kefu_domain::phone::mask_phone(raw)),
        }
    }
    let values: Vec<String> = wanted.iter().map(|(_, v)| v.clone()).collect();
    let found = state.db().customers_by_phones(&values).await?;
    let mut ids: Vec<String> = p
        .customer_ids
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for (raw, value) in &wanted {
        match found.iter().find(|(v, _)| v == value) {
            Some((_, customer)) => ids.push(customer.clone()),
            None => unmatched.push(kefu_domain::phone::mask_phone(raw)),
        }
    }
    ids.sort();
    ids.dedup();
    let added = state
        .db()
        .add_campaign_targets(&ctx.actor(), state.clock().now(), id, &ids)
        .await
        .map_err(|e| match e {
            CampaignError::Store(StoreError::Refused(_)) => AppError::invalid_field(
                "unknown_customer",
                "customer_ids",
                "a customer id does not exist",
            ),
            other => campaign_not_found(other),
        })?;
    Ok(TargetsAdded { added, unmatched })
}
