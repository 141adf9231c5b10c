//! Performance evaluation (绩效考核): the scheme, the rewards and fines rules and the
//! commission rates (kept by whoever holds `performance.manage`, the manager), read by
//! whoever reads reports. The month's evaluation is in [`months`], commissions and what
//! is recorded against agents in [`records`].

use super::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::performance::{
    format_hundredths, parse_hundredths, validate_rules, Rule, RuleCondition, RuleKind, Scheme,
    SchemeError, Weights, MAX_RATE_BP,
};
use kefu_domain::Permission;
use kefu_store::performance::StoredScheme;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

pub mod months;
pub mod records;

/// Weights in percent, one per component; they add up to 100.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsBody {
    pub workload: i64,
    pub sla: i64,
    pub csat: i64,
    pub qa: i64,
    pub complaints: i64,
    pub attendance: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchemeView {
    pub weights: WeightsBody,
    /// The total (0–100) at or above which an agent passes.
    pub pass_line: u32,
    /// Points off the complaints score per complaint.
    pub complaint_deduction: u32,
    /// The workload that scores 100; 0: the month's best agent scores 100.
    pub workload_target: u32,
    /// Positions whose holders are evaluated; empty: everyone with work or shifts.
    pub positions: Vec<String>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemePayload {
    pub weights: WeightsBody,
    pub pass_line: i64,
    #[serde(default)]
    pub complaint_deduction: Option<i64>,
    #[serde(default)]
    pub workload_target: Option<i64>,
    #[serde(default)]
    pub positions: Vec<String>,
}

/// A rewards or fines rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    /// reward or fine.
    pub kind: String,
    /// passed, failed, per_complaint, per_missed_shift or per_violation.
    pub condition: String,
    /// In yuan, at most two decimals (`"100"`, `"10.50"`); a number is accepted too.
    #[schema(value_type = String)]
    pub amount: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesPayload {
    pub rules: Vec<RuleBody>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateView {
    pub position_id: String,
    pub position: String,
    pub department: String,
    /// Percent with two decimals (`"1.00"`); absent: no commission for the position.
    pub rate_percent: Option<String>,
    pub rate_bp: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    pub position_id: String,
    /// Percent, at most two decimals (`"1"`, `"2.5"`); null or empty removes the rate.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub rate_percent: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesPayload {
    pub rates: Vec<RateBody>,
}

pub(crate) fn scheme_error(e: SchemeError) -> AppError {
    let field = match e {
        SchemeError::InvalidWeights(_) => "weights",
        SchemeError::InvalidPassLine(_) => "pass_line",
        SchemeError::InvalidDeduction(_) => "complaint_deduction",
        _ => "rules",
    };
    AppError::invalid_field(e.code(), field, e.to_string())
}

/// A typed amount: a JSON string or number, as hundredths; `None` for null or "".
pub(crate) fn amount_of(
    v: &serde_json::Value,
    code: &'static str,
    field: &'static str,
) -> Result<Option<i64>, AppError> {
    let text = match v {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::String(s) if s.trim().is_empty() => return Ok(None),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    parse_hundredths(&text)
        .map(Some)
        .map_err(|e| AppError::invalid_field(code, field, e.to_string()))
}

pub(crate) fn weights_view(w: &Weights) -> WeightsBody {
    WeightsBody {
        workload: w.workload.into(),
        sla: w.sla.into(),
        csat: w.csat.into(),
        qa: w.qa.into(),
        complaints: w.complaints.into(),
        attendance: w.attendance.into(),
    }
}

pub(crate) fn scheme_view(
    s: &StoredScheme,
    updated_at: Option<i64>,
    updated_by: Option<String>,
) -> SchemeView {
    SchemeView {
        weights: weights_view(&s.scheme.weights),
        pass_line: s.scheme.pass_line,
        complaint_deduction: s.scheme.complaint_deduction,
        workload_target: s.scheme.workload_target,
        positions: s.positions.clone(),
        updated_at: updated_at.map(rfc3339),
        updated_by,
    }
}

pub async fn get_scheme(state: &AppState, ctx: &Ctx) -> Result<SchemeView, AppError> {
    ctx.require(Permission::ReportView)?;
    let row = state.db().get_performance_scheme().await?;
    Ok(scheme_view(&row.scheme, row.updated_at, row.updated_by))
}

/// A value from 0 to 100, else the scheme error `bad` makes of it.
fn percent_field(v: i64, bad: fn(u32) -> SchemeError) -> Result<u32, AppError> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v <= 100)
        .ok_or_else(|| scheme_error(bad(v.clamp(0, 1000) as u32)))
}

/// Checks and saves the scheme.
pub async fn put_scheme(
    state: &AppState,
    ctx: &Ctx,
    p: &SchemePayload,
) -> Result<SchemeView, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let w = &p.weights;
    let all = [w.workload, w.sla, w.csat, w.qa, w.complaints, w.attendance];
    let sum: i64 = all.iter().sum();
    if all.iter().any(|v| !(0..=100).contains(v)) || sum != 100 {
        return Err(scheme_error(SchemeError::InvalidWeights(
            sum.clamp(0, i64::from(u32::MAX)) as u32,
        )));
    }
    let w32 = |v: i64| v as u32;
    let deduction = p.complaint_deduction.unwrap_or(20);
    let scheme = Scheme {
        weights: Weights {
            workload: w32(w.workload),
            sla: w32(w.sla),
            csat: w32(w.csat),
            qa: w32(w.qa),
            complaints: w32(w.complaints),
            attendance: w32(w.attendance),
        },
        pass_line: percent_field(p.pass_line, SchemeError::InvalidPassLine)?,
        complaint_deduction: percent_field(deduction, SchemeError::InvalidDeduction)?,
        workload_target: p
            .workload_target
            .unwrap_or(0)
            .try_into()
            .ok()
            .filter(|v: &u32| *v <= 1_000_000)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_target",
                    "workload_target",
                    "the workload target is 0 (the month's best) to 1,000,000",
                )
            })?,
    };
    scheme.validate().map_err(scheme_error)?;
    let known: HashSet<String> = state
        .db()
        .list_commission_rates()
        .await?
        .into_iter()
        .map(|r| r.position_id)
        .collect();
    let mut positions: Vec<String> = Vec::new();
    for pos in &p.positions {
        if !known.contains(pos) {
            return Err(unknown_position(pos));
        }
        if !positions.contains(pos) {
            positions.push(pos.clone());
        }
    }
    let stored = StoredScheme { scheme, positions };
    state
        .db()
        .save_performance_scheme(&ctx.actor(), state.clock().now(), &stored)
        .await?;
    get_scheme(state, ctx).await
}

pub(crate) fn unknown_position(id: &str) -> AppError {
    AppError::invalid_field(
        "unknown_position",
        "position_id",
        format!("no position {id:?}"),
    )
}

pub(crate) fn rule_view(r: &Rule) -> RuleBody {
    RuleBody {
        name: r.name.clone(),
        kind: r.kind.code().to_string(),
        condition: r.condition.code().to_string(),
        amount: serde_json::Value::String(format_hundredths(r.amount_cents)),
    }
}

pub async fn get_rules(state: &AppState, ctx: &Ctx) -> Result<Vec<RuleBody>, AppError> {
    ctx.require(Permission::ReportView)?;
    Ok(state
        .db()
        .list_performance_rules()
        .await?
        .iter()
        .map(rule_view)
        .collect())
}

/// Parses rules as typed (the API's and the settings page's).
pub fn parse_rules(rules: &[RuleBody]) -> Result<Vec<Rule>, AppError> {
    let mut out = Vec::with_capacity(rules.len());
    for r in rules {
        let kind = RuleKind::from_code(r.kind.trim()).ok_or_else(|| {
            AppError::invalid_field("invalid_rule", "kind", "kind is reward or fine")
        })?;
        let condition = RuleCondition::from_code(r.condition.trim()).ok_or_else(|| {
            AppError::invalid_field(
                "invalid_rule",
                "condition",
                "condition is passed, failed, per_complaint, per_missed_shift or per_violation",
            )
        })?;
        let amount_cents = amount_of(&r.amount, "invalid_amount", "amount")?.unwrap_or(0);
        out.push(Rule {
            name: r.name.trim().to_string(),
            kind,
            condition,
            amount_cents,
        });
    }
    validate_rules(&out).map_err(scheme_error)?;
    Ok(out)
}

pub async fn put_rules(
    state: &AppState,
    ctx: &Ctx,
    p: &RulesPayload,
) -> Result<Vec<RuleBody>, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let rules = parse_rules(&p.rules)?;
    state
        .db()
        .replace_performance_rules(&ctx.actor(), state.clock().now(), &rules)
        .await?;
    get_rules(state, ctx).await
}

pub async fn get_rates(state: &AppState, ctx: &Ctx) -> Result<Vec<RateView>, AppError> {
    ctx.require(Permission::ReportView)?;
    Ok(state
        .db()
        .list_commission_rates()
        .await?
        .into_iter()
        .map(|r| RateView {
            rate_percent: r.rate_bp.map(format_hundredths),
            position_id: r.position_id,
            position: r.position_title,
            department: r.department_name,
            rate_bp: r.rate_bp,
        })
        .collect())
}

/// Sets the rates named; positions not named keep theirs.
pub async fn put_rates(
    state: &AppState,
    ctx: &Ctx,
    p: &RatesPayload,
) -> Result<Vec<RateView>, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let known: HashSet<String> = state
        .db()
        .list_commission_rates()
        .await?
        .into_iter()
        .map(|r| r.position_id)
        .collect();
    let mut rates = Vec::with_capacity(p.rates.len());
    for r in &p.rates {
        if !known.contains(&r.position_id) {
            return Err(unknown_position(&r.position_id));
        }
        let bp = amount_of(&r.rate_percent, "invalid_rate", "rate_percent")?;
        if bp.is_some_and(|b| b > MAX_RATE_BP) {
            return Err(AppError::invalid_field(
                "invalid_rate",
                "rate_percent",
                "a rate is 0% to 100%",
            ));
        }
        rates.push((r.position_id.clone(), bp));
    }
    state
        .db()
        .set_commission_rates(&ctx.actor(), state.clock().now(), &rates)
        .await?;
    get_rates(state, ctx).await
}
