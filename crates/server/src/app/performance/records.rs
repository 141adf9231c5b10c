//! What is recorded for the evaluation and the pay: commissions on contracts (提成,
//! document 17) at the rate of the agent's position, and complaints against an agent or
//! violations (违规) in a month, which the evaluation counts.

use super::months::parse_month;
use super::{amount_of, unknown_position};
use crate::app::{page_limit, rfc3339};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::performance::{commission, format_hundredths, CommissionError};
use kefu_domain::Permission;
use kefu_store::performance::{CommissionRow, IncidentRow, NewCommission};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest contract number, deal name or note.
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionPayload {
    /// 合同编号.
    #[serde(default)]
    pub contract_no: String,
    /// The customer or deal.
    #[serde(default)]
    pub deal_name: String,
    pub agent_id: String,
    /// The position whose rate applies; default: the agent's position with a rate.
    #[serde(default)]
    pub position_id: Option<String>,
    /// 合同总金额 in yuan (at most two decimals; a string or a number).
    #[schema(value_type = String)]
    pub contract_amount: serde_json::Value,
    /// 场租.
    #[schema(value_type = String)]
    #[serde(default)]
    pub venue_rent: serde_json::Value,
    /// 税金.
    #[schema(value_type = String)]
    #[serde(default)]
    pub tax: serde_json::Value,
    /// false: only calculate, record nothing (default true).
    #[serde(default)]
    pub record: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommissionView {
    /// Absent when only calculated.
    pub id: Option<String>,
    pub contract_no: String,
    pub deal_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub position_id: String,
    pub position: String,
    /// Yuan, two decimals.
    pub contract_amount: String,
    pub venue_rent: String,
    pub tax: String,
    /// Percent, two decimals.
    pub rate_percent: String,
    /// (contract − rent × 50% − tax × 50%) × rate, in yuan.
    pub commission: String,
    pub commission_cents: i64,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommissionPage {
    pub items: Vec<CommissionView>,
    pub next_cursor: Option<String>,
}

fn view(r: CommissionRow) -> CommissionView {
    CommissionView {
        id: Some(r.id),
        contract_no: r.contract_no,
        deal_name: r.deal_name,
        agent_id: r.agent_id,
        agent_name: r.agent_name,
        position_id: r.position_id,
        position: r.position_title,
        contract_amount: format_hundredths(r.contract_cents),
        venue_rent: format_hundredths(r.rent_cents),
        tax: format_hundredths(r.tax_cents),
        rate_percent: format_hundredths(r.rate_bp),
        commission: format_hundredths(r.commission_cents),
        commission_cents: r.commission_cents,
        recorded_by: Some(r.recorded_by_name),
        recorded_at: Some(rfc3339(r.recorded_at)),
    }
}

fn text_field(v: &str, field: &'static str, required: bool) -> Result<String, AppError> {
    let v = v.trim();
    if (required && v.is_empty()) || v.chars().count() > MAX_TEXT {
        return Err(AppError::invalid_field(
            "invalid_text",
            field,
            format!("{field} is required, at most {MAX_TEXT} characters"),
        ));
    }
    Ok(v.to_string())
}

/// Calculates a commission and, unless asked not to, records it.
pub async fn calculate(
    state: &AppState,
    ctx: &Ctx,
    p: &CommissionPayload,
) -> Result<CommissionView, AppError> {
    let record = p.record.unwrap_or(true);
    ctx.require(if record {
        Permission::PerformanceManage
    } else {
        Permission::ReportView
    })?;
    let contract_no = text_field(&p.contract_no, "contract_no", record)?;
    let deal_name = text_field(&p.deal_name, "deal_name", record)?;
    let contract =
        amount_of(&p.contract_amount, "invalid_amount", "contract_amount")?.ok_or_else(|| {
            AppError::invalid_field(
                "invalid_amount",
                "contract_amount",
                "the contract amount is required",
            )
        })?;
    let rent = amount_of(&p.venue_rent, "invalid_amount", "venue_rent")?.unwrap_or(0);
    let tax = amount_of(&p.tax, "invalid_amount", "tax")?.unwrap_or(0);
    let db = state.db();
    let agent = db.get_user(&p.agent_id).await.map_err(|_| {
        AppError::invalid_field(
            "unknown_agent",
            "agent_id",
            format!("no agent {:?}", p.agent_id),
        )
    })?;
    let rates = db.list_commission_rates().await?;
    let held: Vec<String> = db
        .positions_of(&agent.id)
        .await?
        .into_iter()
        .map(|a| a.position_id)
        .collect();
    let rate = match p
        .position_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(pos) => {
            let r = rates
                .iter()
                .find(|r| r.position_id == pos)
                .ok_or_else(|| unknown_position(pos))?;
            (r, r.rate_bp)
        }
        None => rates
            .iter()
            .find(|r| held.contains(&r.position_id) && r.rate_bp.is_some())
            .map(|r| (r, r.rate_bp))
            .ok_or_else(|| {
                AppError::invalid_field(
                    "no_commission_rate",
                    "position_id",
                    "none of the agent's positions has a commission rate",
                )
            })?,
    };
    let (position, Some(rate_bp)) = rate else {
        return Err(AppError::invalid_field(
            "no_commission_rate",
            "position_id",
            format!("{} has no commission rate", rate.0.position_title),
        ));
    };
    let cents = commission(contract, rent, tax, rate_bp).map_err(|e| {
        let field = match e {
            CommissionError::InvalidRate => "position_id",
            _ => "venue_rent",
        };
        AppError::invalid_field("invalid_amount", field, e.to_string())
    })?;
    let new = NewCommission {
        contract_no,
        deal_name,
        agent_id: agent.id.clone(),
        position_id: position.position_id.clone(),
        contract_cents: contract,
        rent_cents: rent,
        tax_cents: tax,
        rate_bp,
        commission_cents: cents,
    };
    if record {
        let id = db
            .create_commission(&ctx.actor(), state.clock().now(), &new)
            .await?;
        return Ok(view(db.get_commission(&id).await?));
    }
    Ok(CommissionView {
        id: None,
        contract_no: new.contract_no,
        deal_name: new.deal_name,
        agent_id: agent.id,
        agent_name: agent.display_name,
        position_id: new.position_id,
        position: position.position_title.clone(),
        contract_amount: format_hundredths(contract),
        venue_rent: format_hundredths(rent),
        tax: format_hundredths(tax),
        rate_percent: format_hundredths(rate_bp),
        commission: format_hundredths(cents),
        commission_cents: cents,
        recorded_by: None,
        recorded_at: None,
    })
}

/// One recorded commission.
pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<CommissionView, AppError> {
    ctx.require(Permission::ReportView)?;
    let row = state
        .db()
        .get_commission(id)
        .await
        .map_err(AppError::store_missing("commission"))?;
    Ok(view(row))
}

/// Recorded commissions, newest first.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    agent: Option<&str>,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<CommissionPage, AppError> {
    ctx.require(Permission::ReportView)?;
    let agent = agent.map(str::trim).filter(|a| !a.is_empty());
    let p = state
        .db()
        .list_commissions(agent, page_limit(limit), cursor)
        .await?;
    Ok(CommissionPage {
        items: p.items.into_iter().map(view).collect(),
        next_cursor: p.next_cursor,
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPayload {
    pub agent_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// complaint (a complaint against the agent) or violation (违规).
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub month: String,
    pub kind: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

fn incident_view(r: IncidentRow) -> IncidentView {
    IncidentView {
        id: r.id,
        agent_id: r.agent_id,
        agent_name: r.agent_name,
        month: r.month,
        kind: r.kind,
        note: r.note,
        recorded_by: r.recorded_by_name,
        recorded_at: rfc3339(r.recorded_at),
    }
}

/// Records a complaint against an agent or a violation. A month already kept counts it
/// only when recomputed.
pub async fn record_incident(
    state: &AppState,
    ctx: &Ctx,
    p: &IncidentPayload,
) -> Result<IncidentView, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let m = parse_month(&p.month)?;
    if m > super::months::this_month(state) {
        return Err(AppError::invalid_field(
            "invalid_month",
            "month",
            format!("{m} has not begun"),
        ));
    }
    if !matches!(p.kind.as_str(), "complaint" | "violation") {
        return Err(AppError::invalid_field(
            "invalid_kind",
            "kind",
            "kind is complaint or violation",
        ));
    }
    let note = text_field(&p.note, "note", false)?;
    let db = state.db();
    db.get_user(&p.agent_id).await.map_err(|_| {
        AppError::invalid_field(
            "unknown_agent",
            "agent_id",
            format!("no agent {:?}", p.agent_id),
        )
    })?;
    let id = db
        .create_performance_incident(
            &ctx.actor(),
            state.clock().now(),
            &p.agent_id,
            &m.to_string(),
            &p.kind,
            &note,
        )
        .await?;
    let rows = db
        .list_performance_incidents(&m.to_string(), Some(&p.agent_id))
        .await?;
    rows.into_iter()
        .find(|r| r.id == id)
        .map(incident_view)
        .ok_or(AppError::NotFound("incident"))
}

/// Withdraws an incident recorded by mistake (audited). A month already kept stops
/// counting it when recomputed, as it starts counting a new one.
pub async fn withdraw_incident(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<IncidentView, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let row = state
        .db()
        .delete_performance_incident(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(AppError::store_missing("incident"))?;
    Ok(incident_view(row))
}

/// Withdraws a commission recorded by mistake (audited).
pub async fn withdraw_commission(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<CommissionView, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let row = state
        .db()
        .delete_commission(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(AppError::store_missing("commission"))?;
    Ok(view(row))
}

/// A month's incidents, optionally one agent's.
pub async fn incidents(
    state: &AppState,
    ctx: &Ctx,
    month: &str,
    agent: Option<&str>,
) -> Result<Vec<IncidentView>, AppError> {
    ctx.require(Permission::ReportView)?;
    let m = parse_month(month)?;
    Ok(state
        .db()
        .list_performance_incidents(&m.to_string(), agent)
        .await?
        .into_iter()
        .map(incident_view)
        .collect())
}
