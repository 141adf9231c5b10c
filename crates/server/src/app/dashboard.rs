//! The manager's dashboard (经理仪表盘, issue 9): the month's headline figures against last
//! month over the same days, the last 30 days' trend, where the month's tickets came from
//! and what they were about, the complaint causes, and the agents ranked by tickets
//! resolved. Every figure is a cell of a report (`app::reports`), so each links to the
//! records behind it.

use super::reports::{build_on, center_today, spec, unit, working_calendar, ReportView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::report::{Granularity, Grouping, Metric};
use kefu_domain::Permission;
use serde::Serialize;
use utoipa::ToSchema;

/// One bar of a dashboard chart: a row's key and name, its value and record count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Slice {
    pub key: String,
    pub label: String,
    pub value: Option<f64>,
    pub n: i64,
}

/// A headline figure: this month so far, and last month over the same days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Kpi {
    pub metric: String,
    pub unit: String,
    pub value: Option<f64>,
    pub previous: Option<f64>,
}

/// A day of the trend.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendDay {
    pub day: String,
    pub opened: f64,
    pub resolved: f64,
    pub complaints: f64,
}

/// An agent's line in the ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentRank {
    pub agent_id: String,
    pub name: String,
    pub resolved: i64,
    pub sla_resolution: Option<f64>,
    pub csat: Option<f64>,
    pub qa_score: Option<f64>,
}

/// The manager's dashboard (经理仪表盘): the month's headline figures against last month,
/// the last 30 days' trend, where the month's tickets came from and what they were
/// about, the complaint causes, and the agents ranked by tickets resolved. Every figure
/// is a report cell, so each links to its records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DashboardView {
    /// The month so far: its first day and today.
    pub from: String,
    pub to: String,
    pub kpis: Vec<Kpi>,
    pub trend: Vec<TrendDay>,
    pub by_channel: Vec<Slice>,
    pub by_type: Vec<Slice>,
    pub causes: Vec<Slice>,
    pub agents: Vec<AgentRank>,
}

/// The headline metrics, in order.
pub const KPIS: &[Metric] = &[
    Metric::TicketsOpened,
    Metric::TicketsResolved,
    Metric::SlaResolution,
    Metric::FirstResponseMedian,
    Metric::PromisesBroken,
    Metric::Complaints,
    Metric::CallbacksDone,
    Metric::Csat,
    Metric::Nps,
    Metric::QaScore,
];

fn slices(r: &ReportView) -> Vec<Slice> {
    let mut out: Vec<Slice> = r
        .rows
        .iter()
        .map(|row| Slice {
            key: row.key.clone(),
            label: row.label.clone(),
            value: row.cells[0].value,
            n: row.cells[0].n,
        })
        .filter(|s| s.n > 0)
        .collect();
    out.sort_by(|a, b| b.n.cmp(&a.n).then(a.label.cmp(&b.label)));
    out
}

pub async fn dashboard(state: &AppState, ctx: &Ctx) -> Result<DashboardView, AppError> {
    ctx.require(Permission::ReportView)?;
    let today = center_today(state);
    let month = Granularity::Month.period_start(today);
    // Last month over as many days as this one has had (clipped to its length).
    let last = Granularity::Month.period_start(month - Duration::days(1));
    let last_to = (last + (today - month)).min(month - Duration::days(1));
    let all = Grouping::Period;
    let trend_metrics = [
        Metric::TicketsOpened,
        Metric::TicketsResolved,
        Metric::Complaints,
    ];
    let opened = [Metric::TicketsOpened];
    let ranked = [
        Metric::TicketsResolved,
        Metric::SlaResolution,
        Metric::Csat,
        Metric::QaScore,
    ];
    let specs = [
        spec(month, today, Granularity::Month, all, KPIS),
        spec(last, last_to, Granularity::Month, all, KPIS),
        spec(
            today - Duration::days(29),
            today,
            Granularity::Day,
            all,
            &trend_metrics,
        ),
        spec(month, today, Granularity::Month, Grouping::Channel, &opened),
        spec(
            month,
            today,
            Granularity::Month,
            Grouping::TicketType,
            &opened,
        ),
        spec(
            month,
            today,
            Granularity::Month,
            Grouping::Cause,
            Metric::COMPLAINTS,
        ),
        spec(month, today, Granularity::Month, Grouping::Agent, &ranked),
    ];
    // The seven reports read side by side (each on its own connection of the pool), on
    // one load of the calendar.
    let cal = working_calendar(state).await?;
    let [now, before, t, by_channel, by_type, causes, a]: [ReportView; 7] =
        futures::future::try_join_all(specs.iter().map(|s| build_on(state, s, &cal)))
            .await?
            .try_into()
            .expect("seven reports asked, seven made");
    let kpis = KPIS
        .iter()
        .enumerate()
        .map(|(i, m)| Kpi {
            metric: m.code().into(),
            unit: unit(*m).into(),
            value: now.total.cells[i].value,
            previous: before.total.cells[i].value,
        })
        .collect();
    let trend = t
        .rows
        .iter()
        .map(|row| TrendDay {
            day: row.key.clone(),
            opened: row.cells[0].value.unwrap_or(0.0),
            resolved: row.cells[1].value.unwrap_or(0.0),
            complaints: row.cells[2].value.unwrap_or(0.0),
        })
        .collect();
    let by_channel = slices(&by_channel);
    let by_type = slices(&by_type);
    let causes = slices(&causes);
    let mut agents: Vec<AgentRank> = a
        .rows
        .iter()
        .filter(|row| !row.key.is_empty() && row.cells[0].n > 0)
        .map(|row| AgentRank {
            agent_id: row.key.clone(),
            name: row.label.clone(),
            resolved: row.cells[0].n,
            sla_resolution: row.cells[1].value,
            csat: row.cells[2].value,
            qa_score: row.cells[3].value,
        })
        .collect();
    agents.sort_by(|x, y| y.resolved.cmp(&x.resolved).then(x.name.cmp(&y.name)));
    agents.truncate(10);
    Ok(DashboardView {
        from: month.to_string(),
        to: today.to_string(),
        kpis,
        trend,
        by_channel,
        by_type,
        causes,
        agents,
    })
}
