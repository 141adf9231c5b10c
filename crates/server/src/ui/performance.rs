//! The performance pages: the month's ranking (绩效考核: each agent's total, components,
//! reward and fine, the sheet, a recompute for a finished month) and one agent's
//! breakdown (each figure, its score, weight and contribution, with a link to the report
//! records behind it; the complaints and violations recorded and a form to record one).
//! The settings and the commission calculator are in `performance_settings`.

use super::{query_string, render, shown_on_form, Chrome, Page, UiError};
use crate::app::performance::months::{self, AgentResultView, MonthView};
use crate::app::performance::records::{self, IncidentPayload, IncidentView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::performance::{Component, Month};
use kefu_domain::Permission;
use kefu_store::performance::figures::{SLA, WORKLOAD};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/performance", get(ranking_page))
        .route("/performance/{month}/recompute", post(recompute))
        .route("/performance/agents/{id}", get(agent_page))
        .route("/performance/agents/{id}/incidents", post(record_incident))
        .route(
            "/performance/incidents/{id}/withdraw",
            post(withdraw_incident),
        )
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

/// `2026-12-10 09:30` of an RFC 3339 time, for dense tables.
pub(super) fn minute(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or_default().replace('T', " ")
}

/// A score for a table cell: two decimals, or a dash.
fn shown(t: &Tr<'_>, v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.2}"),
        None => t.t("perf.no_score").to_string(),
    }
}

struct Row {
    a: AgentResultView,
    total: String,
    scores: Vec<String>,
    href: String,
}

#[derive(Template)]
#[template(path = "performance.html")]
struct RankingPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    month: String,
    v: MonthView,
    rows: Vec<Row>,
    /// Each component's name and weight in the scheme used.
    components: Vec<(String, i64)>,
    can_manage: bool,
    recomputed: bool,
    state_label: String,
    computed: String,
}

/// The month asked for, or the current one.
fn month_of(page: &Page, q: &Option<String>) -> String {
    q.as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| months::this_month(&page.state).to_string())
}

async fn ranking_page(page: Page, Query(q): Query<MonthQuery>) -> Result<Response, UiError> {
    let month = month_of(&page, &q.month);
    let v = months::month(&page.state, &page.ctx, &month)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let state_label = t.t(&format!("perf.state_{}", v.state)).to_string();
    let computed = v.computed_at.as_deref().map(minute).unwrap_or_default();
    let rows = v
        .agents
        .iter()
        .map(|a| Row {
            total: format!("{:.2}", a.total),
            scores: a.components.iter().map(|c| shown(&t, c.score)).collect(),
            href: format!(
                "/performance/agents/{}?{}",
                a.agent_id,
                query_string(&[("month", &v.month)])
            ),
            a: a.clone(),
        })
        .collect();
    Ok(render(&RankingPage {
        chrome: page.chrome("performance"),
        components: {
            let w = &v.scheme.weights;
            let weights = [w.workload, w.sla, w.csat, w.qa, w.complaints, w.attendance];
            Component::ALL
                .iter()
                .zip(weights)
                .map(|(c, w)| (t.label("perf.component", c.code()).to_string(), w))
                .collect()
        },
        t,
        month: v.month.clone(),
        v,
        rows,
        can_manage: page.ctx.can(Permission::PerformanceManage),
        recomputed: q.done.is_some(),
        state_label,
        computed,
    }))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn recompute(
    page: Page,
    Path(month): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    months::recompute(&page.state, &page.ctx, &month)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!(
        "/performance?{}",
        query_string(&[("month", &month), ("done", "1")])
    ))
    .into_response())
}

/// One line of the breakdown.
struct Line {
    name: String,
    figure: String,
    score: String,
    weight: u32,
    effective: String,
    contribution: String,
    missing: bool,
    /// Links to the report records the figure counts.
    drills: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "performance_agent.html")]
struct AgentPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    month: String,
    state_label: String,
    a: AgentResultView,
    total: String,
    lines: Vec<Line>,
    /// Each with its time to the minute.
    incidents: Vec<(IncidentView, String)>,
    can_manage: bool,
    error: Option<String>,
    /// What was just done: `1` an incident recorded, `withdrawn` one withdrawn.
    done: Option<String>,
}

fn drill(t: &Tr<'_>, m: Month, agent: &str, metric: &str) -> (String, String) {
    let from = m.first_day().to_string();
    let to = (m.next().first_day() - chrono::Duration::days(1)).to_string();
    (
        t.t(&format!("report.metric.{metric}")).to_string(),
        format!(
            "/reports/drill?{}",
            query_string(&[
                ("from", &from),
                ("to", &to),
                ("group", "agent"),
                ("metric", metric),
                ("row", agent),
            ])
        ),
    )
}

fn lines(t: &Tr<'_>, m: Month, a: &AgentResultView) -> Vec<Line> {
    let f = &a.figures;
    let avg = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    a.components
        .iter()
        .map(|c| {
            let (figure, metrics): (String, Vec<&str>) = match c.component.as_str() {
                "workload" => (
                    t.f("perf.workload_figure", &[("n", &f.workload.to_string())]),
                    WORKLOAD.iter().map(|m| m.code()).collect(),
                ),
                "sla" => (
                    t.f(
                        "perf.sla_figure",
                        &[
                            ("met", &f.sla_met.to_string()),
                            ("total", &f.sla_total.to_string()),
                        ],
                    ),
                    SLA.iter().map(|m| m.code()).collect(),
                ),
                "csat" => (
                    t.f(
                        "perf.csat_figure",
                        &[
                            ("avg", &avg(f.csat_average)),
                            ("n", &f.csat_answers.to_string()),
                        ],
                    ),
                    vec!["csat"],
                ),
                "qa" => (
                    t.f(
                        "perf.qa_figure",
                        &[
                            ("avg", &avg(f.qa_average)),
                            ("n", &f.qa_inspections.to_string()),
                        ],
                    ),
                    vec!["qa_score"],
                ),
                "complaints" => (
                    t.f(
                        "perf.complaints_figure",
                        &[("n", &f.complaints.to_string())],
                    ),
                    vec![],
                ),
                _ => (
                    t.f(
                        "perf.attendance_figure",
                        &[
                            ("attended", &f.shifts_attended.to_string()),
                            ("rostered", &f.shifts_rostered.to_string()),
                        ],
                    ),
                    vec![],
                ),
            };
            Line {
                name: t.label("perf.component", &c.component).to_string(),
                figure,
                score: shown(t, c.score),
                weight: c.weight,
                effective: format!("{:.2}", c.effective_weight),
                contribution: format!("{:.2}", c.contribution),
                missing: c.score.is_none(),
                drills: metrics
                    .into_iter()
                    .map(|metric| drill(t, m, &a.agent_id, metric))
                    .collect(),
            }
        })
        .collect()
}

async fn render_agent(
    page: &Page,
    id: &str,
    month: &str,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, UiError> {
    let (v, a) = months::agent(&page.state, &page.ctx, month, id)
        .await
        .map_err(|e| page.error(e))?;
    let m = months::parse_month(&v.month).map_err(|e| page.error(e))?;
    let incidents = records::incidents(&page.state, &page.ctx, &v.month, Some(id))
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let state_label = t.t(&format!("perf.state_{}", v.state)).to_string();
    Ok(render(&AgentPage {
        chrome: page.chrome("performance"),
        lines: lines(&t, m, &a),
        t,
        state_label,
        month: v.month,
        total: format!("{:.2}", a.total),
        a,
        incidents: incidents
            .into_iter()
            .map(|i| {
                let at = minute(&i.recorded_at);
                (i, at)
            })
            .collect(),
        can_manage: page.ctx.can(Permission::PerformanceManage),
        error,
        done,
    }))
}

async fn agent_page(
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, UiError> {
    let month = month_of(&page, &q.month);
    render_agent(&page, &id, &month, None, q.done).await
}

#[derive(Deserialize)]
struct IncidentForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

async fn record_incident(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<IncidentForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = IncidentPayload {
        agent_id: id.clone(),
        month: f.month.clone(),
        kind: f.kind,
        note: f.note,
    };
    match records::record_incident(&page.state, &page.ctx, &p).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/performance/agents/{id}?{}",
            query_string(&[("month", &f.month), ("done", "1")])
        ))
        .into_response()),
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let mut r = render_agent(&page, &id, &f.month, Some(e.to_string()), None).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct WithdrawForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Withdraws an incident from the agent's breakdown, back to the month it was in.
async fn withdraw_incident(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let i = records::withdraw_incident(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!(
        "/performance/agents/{}?{}",
        i.agent_id,
        query_string(&[("month", &i.month), ("done", "withdrawn")])
    ))
    .into_response())
}
