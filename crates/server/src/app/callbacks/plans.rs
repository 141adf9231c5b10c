//! The callback plans (periodic by tier, care dates, renewal reminders) and the policy
//! (follow-up hours, retry policy, after-sale ticket types), kept by `callback.manage`.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::callback::{
    check_range, parse_script, parse_special_dates, Period, PlanKind, RetryPolicy,
};
use kefu_domain::ticket::TicketType;
use kefu_domain::Permission;
use kefu_store::callbacks::{CallbackSettings, PlanInput, PlanRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    /// `periodic`, `care` or `renewal`.
    pub kind: String,
    pub name: String,
    /// The customer tier; none means every tier.
    pub tier: Option<String>,
    /// For periodic plans: `month`, `quarter`, `half_year`, `year`.
    pub period: Option<String>,
    /// For care plans: on the first day of each public holiday.
    pub holidays: bool,
    /// For care plans: more dates, `MM-DD` comma-separated.
    pub special_dates: String,
    /// Care: days ahead the task is created; renewal: days before the expiry date.
    pub lead_days: i64,
    pub script: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPayload {
    pub kind: String,
    pub name: String,
    pub tier: Option<String>,
    pub period: Option<String>,
    pub holidays: Option<bool>,
    pub special_dates: Option<String>,
    pub lead_days: Option<i64>,
    pub script: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsView {
    /// An open task is raised when it would go this many hours without a follow-up.
    pub follow_up_hours: i64,
    pub unreachable_retry_minutes: i64,
    pub busy_retry_minutes: i64,
    /// Unreachable or busy attempts before a task closes as unreachable.
    pub max_attempts: i64,
    /// Ticket types whose resolution brings an after-sale callback (`repair`: a repair
    /// verification).
    pub after_sale_types: Vec<String>,
    pub after_sale_delay_hours: i64,
}

pub fn plan_view(p: &PlanRow) -> PlanView {
    PlanView {
        id: p.id.clone(),
        kind: p.kind.clone(),
        name: p.name.clone(),
        tier: p.tier.clone(),
        period: p.period.clone(),
        holidays: p.holidays,
        special_dates: p.special_dates.clone(),
        lead_days: p.lead_days,
        script: p.script.clone(),
        active: p.active,
    }
}

pub fn settings_view(s: &CallbackSettings) -> SettingsView {
    SettingsView {
        follow_up_hours: s.follow_up_hours,
        unreachable_retry_minutes: s.retry.unreachable_minutes,
        busy_retry_minutes: s.retry.busy_minutes,
        max_attempts: s.retry.max_attempts,
        after_sale_types: s
            .after_sale_types
            .iter()
            .map(|t| t.code().to_string())
            .collect(),
        after_sale_delay_hours: s.after_sale_delay_hours,
    }
}

fn range(field: &'static str, v: i64, min: i64, max: i64) -> Result<i64, AppError> {
    check_range(field, v, min, max).map_err(|_| {
        AppError::invalid_field(
            "out_of_range",
            field,
            format!("{field} must be between {min} and {max}"),
        )
    })
}

pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<PlanView>, AppError> {
    ctx.require(Permission::CallbackView)?;
    Ok(state
        .db()
        .list_callback_plans()
        .await?
        .iter()
        .map(plan_view)
        .collect())
}

/// Checks a plan; every bad field is named.
async fn parse_plan(state: &AppState, p: &PlanPayload) -> Result<PlanInput, AppError> {
    let kind = PlanKind::from_code(p.kind.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_kind",
            "kind",
            "kind must be periodic, care or renewal",
        )
    })?;
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "invalid_name",
            "name",
            "a plan needs a name of at most 100 characters",
        ));
    }
    let tier = p.tier.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(tier) = tier {
        let tiers = state.db().list_tiers().await?;
        if !tiers.iter().any(|t| t.code == tier) {
            return Err(AppError::invalid_field(
                "unknown_tier",
                "tier",
                "no such customer tier",
            ));
        }
    }
    let period = match kind {
        PlanKind::Periodic => {
            let raw = p.period.as_deref().unwrap_or("").trim();
            let period = Period::from_code(raw).ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_period",
                    "period",
                    "period must be month, quarter, half_year or year",
                )
            })?;
            Some(period.code().to_string())
        }
        _ => None,
    };
    let special = p.special_dates.as_deref().unwrap_or("");
    let dates = parse_special_dates(special).map_err(|bad| {
        AppError::invalid_field(
            "invalid_special_dates",
            "special_dates",
            format!("{bad:?} is not a date MM-DD"),
        )
    })?;
    let lead_days = range("lead_days", p.lead_days.unwrap_or(0), 0, 365)?;
    let script = parse_script(p.script.as_deref())
        .map_err(|_| AppError::invalid_field("too_long", "script", "the script is too long"))?;
    Ok(PlanInput {
        kind: kind.code().to_string(),
        name: name.to_string(),
        tier: tier.map(str::to_string),
        period,
        holidays: kind == PlanKind::Care && p.holidays.unwrap_or(false),
        special_dates: dates
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
        lead_days,
        script,
        active: p.active.unwrap_or(true),
    })
}

/// Creates (`id` None) or replaces a plan.
pub async fn save(
    state: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    p: &PlanPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::CallbackManage)?;
    let input = parse_plan(state, p).await?;
    state
        .db()
        .save_callback_plan(&ctx.actor(), state.clock().now(), id, &input)
        .await
        .map_err(AppError::store_missing("callback plan"))
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> Result<SettingsView, AppError> {
    ctx.require(Permission::CallbackView)?;
    Ok(settings_view(&state.db().callback_settings().await?))
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, p: &SettingsView) -> Result<(), AppError> {
    ctx.require(Permission::CallbackManage)?;
    let mut types = Vec::new();
    for raw in &p.after_sale_types {
        let t = TicketType::from_code(raw.trim()).ok_or_else(|| {
            AppError::invalid_field(
                "invalid_ticket_type",
                "after_sale_types",
                format!("unknown ticket type {raw:?}"),
            )
        })?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let s = CallbackSettings {
        follow_up_hours: range("follow_up_hours", p.follow_up_hours, 1, 720)?,
        retry: RetryPolicy {
            unreachable_minutes: range(
                "unreachable_retry_minutes",
                p.unreachable_retry_minutes,
                1,
                10080,
            )?,
            busy_minutes: range("busy_retry_minutes", p.busy_retry_minutes, 1, 10080)?,
            max_attempts: range("max_attempts", p.max_attempts, 1, 20)?,
        },
        after_sale_types: types,
        after_sale_delay_hours: range("after_sale_delay_hours", p.after_sale_delay_hours, 0, 720)?,
    };
    Ok(state
        .db()
        .update_callback_settings(&ctx.actor(), state.clock().now(), &s)
        .await?)
}
