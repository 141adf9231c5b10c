//! A month's evaluation: the ranking with each agent's components, total and reward or
//! fine. A month that is over is computed once and kept (so a later change of the scheme
//! does not rewrite what was paid) until someone recomputes it; the current month is
//! computed live and not kept; a month not begun is refused.

use super::{scheme_view, SchemeView};
use crate::app::export::{table_to_file, ExportFile, Format};
use crate::app::rfc3339;
use crate::app::schedule::center_midnight;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use kefu_domain::performance::{evaluate, format_hundredths, Agent, Evaluation, Month};
use kefu_domain::Permission;
use kefu_store::performance::figures::MonthRange;
use kefu_store::performance::StoredScheme;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    /// Tickets resolved + calls answered + chats + callbacks done + outbound calls.
    pub workload: i64,
    pub sla_met: i64,
    pub sla_total: i64,
    /// Mean CSAT (1–5); absent without answers.
    pub csat_average: Option<f64>,
    pub csat_answers: i64,
    /// Mean QA score; absent without inspections.
    pub qa_average: Option<f64>,
    pub qa_inspections: i64,
    pub complaints: i64,
    pub violations: i64,
    pub shifts_attended: i64,
    pub shifts_rostered: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentView {
    /// workload, sla, csat, qa, complaints or attendance.
    pub component: String,
    /// 0–100; absent when there was no data (its weight went to the others).
    pub score: Option<f64>,
    /// The scheme's weight in percent.
    pub weight: u32,
    /// The weight that applied, in percent.
    pub effective_weight: f64,
    /// Points added to the total.
    pub contribution: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedView {
    pub name: String,
    /// reward or fine.
    pub kind: String,
    pub condition: String,
    pub times: i64,
    /// Yuan.
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentResultView {
    pub agent_id: String,
    pub agent_name: String,
    /// 1 for the best; equal totals share a rank.
    pub rank: i64,
    /// 0–100, two decimals.
    pub total: f64,
    pub passed: bool,
    pub components: Vec<ComponentView>,
    pub figures: FiguresView,
    pub applied: Vec<AppliedView>,
    /// Yuan.
    pub reward: String,
    pub fine: String,
    pub reward_cents: i64,
    pub fine_cents: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthView {
    pub month: String,
    /// `live` (the current month, not kept) or `kept` (a month that is over).
    pub state: String,
    pub computed_at: Option<String>,
    pub computed_by: Option<String>,
    /// The scheme the evaluation used.
    pub scheme: SchemeView,
    pub agents: Vec<AgentResultView>,
}

fn points(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn agent_view(e: &Evaluation) -> AgentResultView {
    let f = &e.figures;
    AgentResultView {
        agent_id: e.agent_id.clone(),
        agent_name: e.agent_name.clone(),
        rank: e.rank,
        total: points(e.total),
        passed: e.passed,
        components: e
            .parts
            .iter()
            .map(|p| ComponentView {
                component: p.component.code().to_string(),
                score: p.score.map(points),
                weight: p.weight,
                effective_weight: points(p.effective_weight),
                contribution: points(p.contribution),
            })
            .collect(),
        figures: FiguresView {
            workload: f.workload,
            sla_met: f.sla.part,
            sla_total: f.sla.n,
            csat_average: (f.csat.n > 0).then(|| round2(f.csat.part as f64 / f.csat.n as f64)),
            csat_answers: f.csat.n,
            qa_average: (f.qa.n > 0).then(|| round2(f.qa.part as f64 / 10.0 / f.qa.n as f64)),
            qa_inspections: f.qa.n,
            complaints: f.complaints,
            violations: f.violations,
            shifts_attended: f.shifts.part,
            shifts_rostered: f.shifts.n,
        },
        applied: e
            .applied
            .iter()
            .map(|a| AppliedView {
                name: a.name.clone(),
                kind: a.kind.code().to_string(),
                condition: a.condition.code().to_string(),
                times: a.times,
                amount: format_hundredths(a.amount_cents),
            })
            .collect(),
        reward: format_hundredths(e.reward_cents),
        fine: format_hundredths(e.fine_cents),
        reward_cents: e.reward_cents,
        fine_cents: e.fine_cents,
    }
}

pub fn parse_month(text: &str) -> Result<Month, AppError> {
    Month::parse(text).map_err(|e| AppError::invalid_field("invalid_month", "month", e.to_string()))
}

/// The center's current month.
pub fn this_month(state: &AppState) -> Month {
    Month::of(crate::app::logs::today(state))
}

/// The bounds of a month for the store.
pub fn range(state: &AppState, m: Month) -> MonthRange {
    let from = m.first_day();
    let until = m.next().first_day();
    MonthRange {
        from: kefu_store::to_millis(center_midnight(from)),
        until: kefu_store::to_millis(center_midnight(until)),
        from_day: from.to_string(),
        until_day: until.to_string(),
        day_offset: i64::from(crate::app::schedule::center_offset().local_minus_utc()) * 1000,
        month: m.to_string(),
        now: kefu_store::to_millis(state.clock().now()),
    }
}

/// Computes a month's evaluation with the current scheme and rules.
async fn compute(
    state: &AppState,
    m: Month,
) -> Result<
    (
        StoredScheme,
        Vec<kefu_domain::performance::Rule>,
        Vec<Evaluation>,
    ),
    AppError,
> {
    let db = state.db();
    let scheme = db.get_performance_scheme().await?.scheme;
    let rules = db.list_performance_rules().await?;
    let mut figures = db.performance_figures(&range(state, m)).await?;
    let named = !scheme.positions.is_empty();
    let agents: Vec<Agent> = db
        .performance_agents(&scheme.positions)
        .await?
        .into_iter()
        .filter_map(|(id, name)| {
            let f = figures.remove(&id);
            // Without named positions, only those who did something or had shifts.
            if !named && f.is_none() {
                return None;
            }
            Some(Agent {
                figures: f.unwrap_or_default(),
                id,
                name,
            })
        })
        .collect();
    let results = evaluate(&scheme.scheme, &rules, agents);
    Ok((scheme, rules, results))
}

fn not_begun(m: Month) -> AppError {
    AppError::invalid_field(
        "invalid_month",
        "month",
        format!("{m} has not begun; there is nothing to evaluate yet"),
    )
}

/// The month's evaluation: kept (computing and keeping it the first time it is asked
/// for once the month is over), or live for the current month.
pub async fn month(state: &AppState, ctx: &Ctx, text: &str) -> Result<MonthView, AppError> {
    ctx.require(Permission::ReportView)?;
    let m = parse_month(text)?;
    let now = this_month(state);
    if m > now {
        return Err(not_begun(m));
    }
    let key = m.to_string();
    let db = state.db();
    if m < now {
        if let Some(kept) = db.get_performance_month(&key).await? {
            return Ok(kept_view(kept));
        }
        let (scheme, rules, results) = compute(state, m).await?;
        db.keep_performance_month(
            &ctx.actor(),
            state.clock().now(),
            &key,
            &scheme,
            &rules,
            &results,
            false,
        )
        .await?;
        let kept = db
            .get_performance_month(&key)
            .await?
            .ok_or(AppError::NotFound("performance month"))?;
        return Ok(kept_view(kept));
    }
    let (scheme, _, results) = compute(state, m).await?;
    Ok(MonthView {
        month: key,
        state: "live".into(),
        computed_at: Some(rfc3339(kefu_store::to_millis(state.clock().now()))),
        computed_by: None,
        scheme: scheme_view(&scheme, None, None),
        agents: results.iter().map(agent_view).collect(),
    })
}

fn kept_view(k: kefu_store::performance::StoredMonth) -> MonthView {
    MonthView {
        month: k.month,
        state: "kept".into(),
        computed_at: Some(rfc3339(k.computed_at)),
        computed_by: k.computed_by,
        scheme: scheme_view(&k.scheme, None, None),
        agents: k.results.iter().map(agent_view).collect(),
    }
}

/// Computes a finished month again with the current scheme, rules and figures, and
/// keeps that instead.
pub async fn recompute(state: &AppState, ctx: &Ctx, text: &str) -> Result<MonthView, AppError> {
    ctx.require(Permission::PerformanceManage)?;
    let m = parse_month(text)?;
    let now = this_month(state);
    if m > now {
        return Err(not_begun(m));
    }
    if m == now {
        return Err(AppError::conflict(
            "month_not_over",
            format!("{m} is not over; it is computed live until it ends"),
        ));
    }
    let (scheme, rules, results) = compute(state, m).await?;
    state
        .db()
        .keep_performance_month(
            &ctx.actor(),
            state.clock().now(),
            &m.to_string(),
            &scheme,
            &rules,
            &results,
            true,
        )
        .await?;
    month(state, ctx, text).await
}

/// One agent's breakdown for the month.
pub async fn agent(
    state: &AppState,
    ctx: &Ctx,
    text: &str,
    agent_id: &str,
) -> Result<(MonthView, AgentResultView), AppError> {
    let mut v = month(state, ctx, text).await?;
    let i = v
        .agents
        .iter()
        .position(|a| a.agent_id == agent_id)
        .ok_or_else(|| AppError::Unknown {
            code: "unknown_agent",
            message: format!("no evaluation of {agent_id} in {text}"),
        })?;
    let a = v.agents.swap_remove(i);
    Ok((v, a))
}

/// The month's ranking as a sheet: rank, agent, total, the six scores, reward, fine.
pub async fn export(
    state: &AppState,
    ctx: &Ctx,
    text: &str,
    format: Format,
    t: &Tr<'_>,
) -> Result<ExportFile, AppError> {
    let v = month(state, ctx, text).await?;
    let mut header = vec![
        t.t("perf.rank").to_string(),
        t.t("perf.agent").to_string(),
        t.t("perf.total").to_string(),
    ];
    for c in kefu_domain::performance::Component::ALL {
        header.push(t.label("perf.component", c.code()).to_string());
    }
    header.push(t.t("perf.reward").to_string());
    header.push(t.t("perf.fine").to_string());
    let number = |v: Option<f64>| crate::app::reports::number(v);
    let lines = v
        .agents
        .iter()
        .map(|a| {
            let mut line = vec![
                a.rank.to_string(),
                a.agent_name.clone(),
                number(Some(a.total)),
            ];
            line.extend(a.components.iter().map(|c| number(c.score)));
            line.push(a.reward.clone());
            line.push(a.fine.clone());
            line
        })
        .collect();
    let title = t.t("perf.title").to_string();
    let preamble = vec![
        format!("{title} {}", v.month),
        t.t(&format!("perf.state_{}", v.state)).to_string(),
    ];
    table_to_file(state, "performance", format, preamble, header, lines).await
}
