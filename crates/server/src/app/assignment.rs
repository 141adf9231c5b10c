//! Balanced assignment and first-contact tasks (document 7), shared by the API and the
//! pages: permission checks, validation, and the views both render.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::assignment::SkillWeight;
use kefu_domain::customer::CustomerStatus;
use kefu_domain::Permission;
use kefu_store::assignment::{AssignSource, AssignmentPlan};
use kefu_store::contact_tasks::ContactTaskRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest first-contact deadline one can configure.
pub const MAX_CONTACT_DAYS: i64 = 90;
/// The longest note on a recorded contact.
pub const MAX_NOTE_CHARS: usize = 500;

/// What to assign and to whom.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The agents who receive customers, in order (ties go to the earlier one).
    #[serde(default)]
    pub agent_ids: Vec<String>,
    /// `unassigned` (default: customers without an owner) or `leaving` (every customer of
    /// `leaving_agent_id`).
    pub source: Option<String>,
    /// For `unassigned`: only this tier.
    pub tier: Option<String>,
    /// For `unassigned`: only this status.
    pub status: Option<String>,
    /// For `leaving`: the agent whose customers are redistributed.
    pub leaving_agent_id: Option<String>,
}

impl AssignRequest {
    pub fn source(&self) -> Result<AssignSource, AppError> {
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        match clean(&self.source).as_deref().unwrap_or("unassigned") {
            "unassigned" => {
                let status = clean(&self.status);
                if let Some(s) = &status {
                    if CustomerStatus::from_code(s).is_none() {
                        return Err(AppError::invalid_field(
                            "invalid_status",
                            "status",
                            format!("unknown customer status {s:?}"),
                        ));
                    }
                }
                Ok(AssignSource::Unassigned {
                    tier: clean(&self.tier),
                    status,
                })
            }
            "leaving" => match clean(&self.leaving_agent_id) {
                Some(agent_id) => Ok(AssignSource::Leaving { agent_id }),
                None => Err(AppError::invalid_field(
                    "missing_leaving_agent",
                    "leaving_agent_id",
                    "choose the agent who leaves",
                )),
            },
            other => Err(AppError::invalid_field(
                "invalid_source",
                "source",
                format!("source must be unassigned or leaving, not {other:?}"),
            )),
        }
    }
}

/// A member of staff in the assignment tool.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentLoadView {
    pub id: String,
    pub name: String,
    pub active: bool,
    /// Skill weight, 1 to 10.
    pub weight: i64,
    pub customers: i64,
    pub open_contact_tasks: i64,
}

/// One agent's line of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShareView {
    pub agent_id: String,
    pub name: String,
    pub weight: u32,
    /// Customers before.
    pub current: u64,
    /// Customers this assignment gives them.
    pub added: u64,
    /// Customers after.
    pub new_count: u64,
    /// The ideal final count (their weighted share); `new_count` is within one of it.
    pub ideal: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentPreview {
    pub customers: u64,
    pub shares: Vec<ShareView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentResult {
    pub customers: u64,
    pub shares: Vec<ShareView>,
    /// When the first-contact tasks fall due.
    pub contact_due_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightPayload {
    /// 1 to 10.
    pub weight: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentSettings {
    /// Days within which a newly assigned customer must be contacted (1 to 90).
    pub contact_days: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactTaskView {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub created_at: String,
    pub due_at: String,
    pub overdue: bool,
    pub closed_at: Option<String>,
    /// `contacted` or `reassigned` once closed.
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactTaskList {
    pub items: Vec<ContactTaskView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskListParams {
    /// Whose tasks (default: mine; someone else's needs `customer.assign`).
    pub agent_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPayload {
    /// What was discussed (optional, up to 500 characters).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactRecorded {
    /// Open first-contact tasks this contact closed.
    pub closed_tasks: u64,
}

pub fn parse_weight(weight: i64) -> Result<SkillWeight, AppError> {
    SkillWeight::parse(weight)
        .map_err(|e| AppError::invalid_field("invalid_weight", "weight", e.to_string()))
}

pub async fn agents(state: &AppState, ctx: &Ctx) -> Result<Vec<AgentLoadView>, AppError> {
    ctx.require(Permission::CustomerAssign)?;
    Ok(state
        .db()
        .list_agent_loads()
        .await?
        .into_iter()
        .map(|r| AgentLoadView {
            active: r.active != 0,
            id: r.id,
            name: r.display_name,
            weight: r.skill_weight,
            customers: r.customers,
            open_contact_tasks: r.open_tasks,
        })
        .collect())
}

pub async fn set_weight(
    state: &AppState,
    ctx: &Ctx,
    user_id: &str,
    weight: i64,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerAssign)?;
    let weight = parse_weight(weight)?;
    state
        .db()
        .set_skill_weight(&ctx.actor(), state.clock().now(), user_id, weight)
        .await
        .map_err(AppError::store_missing("staff member"))
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> Result<AssignmentSettings, AppError> {
    ctx.require(Permission::CustomerAssign)?;
    Ok(AssignmentSettings {
        contact_days: state.db().contact_days().await?,
    })
}

pub async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    s: &AssignmentSettings,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerAssign)?;
    if !(1..=MAX_CONTACT_DAYS).contains(&s.contact_days) {
        return Err(AppError::invalid_field(
            "invalid_contact_days",
            "contact_days",
            format!("contact_days must be a whole number of days from 1 to {MAX_CONTACT_DAYS}"),
        ));
    }
    Ok(state
        .db()
        .set_contact_days(&ctx.actor(), state.clock().now(), s.contact_days)
        .await?)
}

fn share_views(plan: AssignmentPlan) -> Vec<ShareView> {
    plan.shares
        .into_iter()
        .map(|(s, name)| ShareView {
            new_count: s.new_count(),
            ideal: (s.ideal() * 100.0).round() / 100.0,
            agent_id: s.id,
            name,
            weight: s.weight,
            current: s.current,
            added: s.added,
        })
        .collect()
}

pub async fn preview(
    state: &AppState,
    ctx: &Ctx,
    req: &AssignRequest,
) -> Result<AssignmentPreview, AppError> {
    ctx.require(Permission::CustomerAssign)?;
    let source = req.source()?;
    let plan = state
        .db()
        .preview_assignment(&source, &req.agent_ids)
        .await?;
    Ok(AssignmentPreview {
        customers: plan.customers,
        shares: share_views(plan),
    })
}

pub async fn commit(
    state: &AppState,
    ctx: &Ctx,
    req: &AssignRequest,
) -> Result<AssignmentResult, AppError> {
    ctx.require(Permission::CustomerAssign)?;
    let source = req.source()?;
    let done = state
        .db()
        .commit_assignment(&ctx.actor(), state.clock().now(), &source, &req.agent_ids)
        .await?;
    tracing::info!(
        customers = done.plan.customers,
        agents = done.plan.shares.len(),
        "customers assigned"
    );
    Ok(AssignmentResult {
        customers: done.plan.customers,
        contact_due_at: super::rfc3339(kefu_store::to_millis(done.due_at)),
        shares: share_views(done.plan),
    })
}

pub fn task_view(r: ContactTaskRow, now: chrono::DateTime<chrono::Utc>) -> ContactTaskView {
    ContactTaskView {
        overdue: r.is_overdue(now),
        created_at: super::rfc3339(r.created_at),
        due_at: super::rfc3339(r.due_at),
        closed_at: r.closed_at.map(super::rfc3339),
        id: r.id,
        customer_id: r.customer_id,
        customer_name: r.customer_name,
        agent_id: r.agent_id,
        agent_name: r.agent_name,
        outcome: r.outcome,
    }
}

pub async fn open_tasks(
    state: &AppState,
    ctx: &Ctx,
    p: &TaskListParams,
) -> Result<ContactTaskList, AppError> {
    ctx.require(Permission::CustomerRead)?;
    let agent = p.agent_id.as_deref().unwrap_or(&ctx.user_id);
    if agent != ctx.user_id {
        ctx.require(Permission::CustomerAssign)?;
    }
    let page = state
        .db()
        .list_open_contact_tasks(agent, p.cursor.as_deref(), super::page_limit(p.limit))
        .await?;
    let now = state.clock().now();
    Ok(ContactTaskList {
        items: page.items.into_iter().map(|r| task_view(r, now)).collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn customer_tasks(
    state: &AppState,
    ctx: &Ctx,
    customer_id: &str,
) -> Result<Vec<ContactTaskView>, AppError> {
    ctx.require(Permission::CustomerRead)?;
    let now = state.clock().now();
    Ok(state
        .db()
        .list_customer_contact_tasks(customer_id)
        .await?
        .into_iter()
        .map(|r| task_view(r, now))
        .collect())
}

pub async fn record_contact(
    state: &AppState,
    ctx: &Ctx,
    customer_id: &str,
    p: &ContactPayload,
) -> Result<ContactRecorded, AppError> {
    ctx.require(Permission::CustomerWrite)?;
    let note = p.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(AppError::invalid_field(
            "note_too_long",
            "note",
            format!("the note is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    let closed_tasks = state
        .db()
        .record_customer_contact(&ctx.actor(), state.clock().now(), customer_id, note)
        .await
        .map_err(AppError::store_missing("customer"))?;
    Ok(ContactRecorded { closed_tasks })
}
