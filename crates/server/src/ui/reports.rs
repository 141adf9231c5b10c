//! The report page (报表): presets (service overview, agents' workload, complaint
//! statistics), filters, a chart of one metric, the table with every cell linking to the
//! records behind it, and exports; the drill-down page lists those records; and the
//! manager's dashboard, whose every figure is a report cell.

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::reports::{self as app, DrillQuery, ReportQuery, ReportView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kefu_domain::report::{Grouping, Metric};
use kefu_domain::ticket::{Channel, TicketType};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(page))
        .route("/reports/drill", get(drill_page))
        .route("/dashboard", get(dashboard_page))
        .route("/reports/archive", get(archive_page))
        .route("/reports/archive/{id}", get(archived_document))
}

/// A report's parameters as a query string (for links that keep them).
fn query_of(q: &ReportQuery) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let pairs = [
        ("from", s(&q.from)),
        ("to", s(&q.to)),
        ("by", s(&q.by)),
        ("group", s(&q.group)),
        ("department", s(&q.department)),
        ("agent", s(&q.agent)),
        ("channel", s(&q.channel)),
        ("type", s(&q.ticket_type)),
        ("metrics", s(&q.metrics)),
    ];
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query_string(&refs)
}

/// The preset reports: a name, and the grouping, period and metrics they show.
const PRESETS: &[(&str, &str, &str, &[Metric])] = &[
    ("service", "period", "day", &[]),
    (
        "workload",
        "agent",
        "month",
        &[
            Metric::CallsAnswered,
            Metric::Chats,
            Metric::OutboundCalls,
            Metric::TicketsOpened,
            Metric::TicketsResolved,
            Metric::FirstResponseMedian,
            Metric::ResolutionMedian,
            Metric::SlaResolution,
            Metric::PromisesKept,
            Metric::PromisesBroken,
            Metric::CallbacksDone,
            Metric::Csat,
            Metric::QaScore,
            Metric::Conversions,
        ],
    ),
    ("complaints", "cause", "month", Metric::COMPLAINTS),
    (
        "complaint_trend",
        "period",
        "week",
        &[
            Metric::Complaints,
            Metric::CallbacksPlanned,
            Metric::CallbacksDone,
            Metric::CallbacksReached,
            Metric::CallbacksUnreachable,
            Metric::Csat,
            Metric::Nps,
        ],
    ),
];

struct Preset {
    name: String,
    href: String,
    on: bool,
}

struct Column {
    code: String,
    name: String,
    unit: String,
}

struct Cell {
    text: String,
    /// The drill-down link; empty when there is nothing behind the cell.
    href: String,
}

struct Row {
    label: String,
    cells: Vec<Cell>,
}

/// One bar of the chart, in the SVG's units.
struct Bar {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    label: String,
    value: String,
    href: String,
}

const CHART_W: u32 = 960;
const CHART_H: u32 = 180;

fn bars(r: &ReportView, t: &Tr<'_>, metric: usize, base: &str) -> Vec<Bar> {
    let unit = r
        .columns
        .get(metric)
        .map(|c| c.unit.as_str())
        .unwrap_or("count");
    let values: Vec<f64> = r
        .rows
        .iter()
        .map(|row| row.cells.get(metric).and_then(|c| c.value).unwrap_or(0.0))
        .collect();
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let n = r.rows.len().max(1) as u32;
    let slot = (CHART_W / n).max(1);
    let w = (slot * 7 / 10).max(1);
    r.rows
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (row, v))| {
            let h = if max > 0.0 {
                ((v.max(0.0) / max) * f64::from(CHART_H - 20)).round() as u32
            } else {
                0
            };
            let code = &r.columns[metric].metric;
            Bar {
                x: i as u32 * slot + (slot - w) / 2,
                y: CHART_H - h,
                w,
                h,
                label: app::row_label(t, &r.group, row),
                value: app::shown(row.cells.get(metric).and_then(|c| c.value), unit),
                href: format!(
                    "/reports/drill?{base}&{}",
                    query_string(&[("metric", code), ("row", &row.key)])
                ),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    presets: Vec<Preset>,
    q: ReportQuery,
    /// The chosen metrics (a preset's), kept by the filter form.
    metrics: String,
    /// The rows' heading (what they are).
    group_name: String,
    filters: String,
    groupings: Vec<(&'static str, String)>,
    departments: Vec<(String, String)>,
    agents: Vec<(String, String)>,
    channels: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
    /// Sections over the metric columns: name and width.
    sections: Vec<(String, usize)>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: Row,
    chart_metric: String,
    chart_name: String,
    bars: Vec<Bar>,
    chart_w: u32,
    chart_h: u32,
    query: String,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ChartParam {
    chart: Option<String>,
    preset: Option<String>,
}

async fn page(
    page: Page,
    Query(mut q): Query<ReportQuery>,
    Query(c): Query<ChartParam>,
) -> Result<Response, UiError> {
    let t = page.t();
    let preset = c.preset.as_deref().unwrap_or("");
    if let Some((_, group, by, metrics)) = PRESETS.iter().find(|p| p.0 == preset) {
        q.group = Some(group.to_string());
        q.by = Some(by.to_string());
        q.metrics = (!metrics.is_empty()).then(|| {
            metrics
                .iter()
                .map(|m| m.code())
                .collect::<Vec<_>>()
                .join(",")
        });
    }
    let r = app::report(&page.state, &page.ctx, &q)
        .await
        .map_err(|e| page.error(e))?;
    let (departments, agents) = app::choices(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let filters = app::describe(&page.state, &t, &r)
        .await
        .map_err(|e| page.error(e))?;
    // Links keep the report as shown (its resolved range), not the preset.
    let shown = ReportQuery {
        from: Some(r.from.clone()),
        to: Some(r.to.clone()),
        by: Some(r.by.clone()),
        group: Some(r.group.clone()),
        department: r.department.clone(),
        agent: r.agent.clone(),
        channel: r.channel.clone(),
        ticket_type: r.ticket_type.clone(),
        metrics: q.metrics.clone(),
    };
    let query = query_of(&shown);
    let cells = |row: &app::RowView| -> Vec<Cell> {
        row.cells
            .iter()
            .zip(&r.columns)
            .map(|(cell, col)| Cell {
                text: if cell.applies {
                    app::shown(cell.value, &col.unit)
                } else {
                    t.t("report.not_applicable").to_string()
                },
                href: if cell.applies && cell.n > 0 {
                    format!(
                        "/reports/drill?{query}&{}",
                        query_string(&[("metric", &col.metric), ("row", &row.key)])
                    )
                } else {
                    String::new()
                },
            })
            .collect()
    };
    let rows = r
        .rows
        .iter()
        .map(|row| Row {
            label: app::row_label(&t, &r.group, row),
            cells: cells(row),
        })
        .collect();
    let total = Row {
        label: t.t("report.total").to_string(),
        cells: cells(&r.total),
    };
    let chart_index = c
        .chart
        .as_deref()
        .and_then(|m| r.columns.iter().position(|col| col.metric == m))
        // Else the first column with records, else the first that applies.
        .or_else(|| r.total.cells.iter().position(|c| c.applies && c.n > 0))
        .or_else(|| r.total.cells.iter().position(|c| c.applies))
        .unwrap_or(0);
    let chart_metric = r
        .columns
        .get(chart_index)
        .map(|c| c.metric.clone())
        .unwrap_or_default();
    let presets = PRESETS
        .iter()
        .map(|(name, ..)| Preset {
            name: t.t(&format!("report.preset_{name}")).to_string(),
            href: format!("/reports?preset={name}"),
            on: *name == preset || (preset.is_empty() && *name == "service"),
        })
        .collect();
    Ok(render(&ReportPage {
        chart_name: t.t(&format!("report.metric.{chart_metric}")).to_string(),
        bars: if r.columns.is_empty() {
            Vec::new()
        } else {
            bars(&r, &t, chart_index, &query)
        },
        chart_metric,
        chart_w: CHART_W,
        chart_h: CHART_H,
        presets,
        sections: app::sections(&r.columns)
            .into_iter()
            .map(|(s, n)| (t.t(&format!("report.section.{s}")).to_string(), n))
            .collect(),
        columns: r
            .columns
            .iter()
            .map(|c| Column {
                code: c.metric.clone(),
                name: t.t(&format!("report.metric.{}", c.metric)).to_string(),
                unit: t.t(&format!("report.unit.{}", c.unit)).to_string(),
            })
            .collect(),
        rows,
        total,
        groupings: Grouping::ALL
            .iter()
            .map(|g| {
                (
                    g.code(),
                    t.t(&format!("report.group_{}", g.code())).to_string(),
                )
            })
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.code(), t.label("channel", c.code()).to_string()))
            .collect(),
        types: TicketType::ALL
            .iter()
            .map(|c| (c.code(), t.label("ticket_type", c.code()).to_string()))
            .collect(),
        departments,
        agents,
        filters,
        metrics: shown.metrics.clone().unwrap_or_default(),
        group_name: t.t(&format!("report.group_{}", r.group)).to_string(),
        q: shown,
        query,
        chrome: page.chrome("reports"),
        t,
    }))
}

struct DrillLine {
    at: String,
    kind: String,
    label: String,
    href: String,
    value: String,
}

#[derive(Template)]
#[template(path = "reports_drill.html")]
struct DrillPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    metric: String,
    range: String,
    total: i64,
    lines: Vec<DrillLine>,
    back: String,
    prev: String,
    next: String,
}

async fn drill_page(
    page: Page,
    Query(q): Query<ReportQuery>,
    Query(d): Query<DrillQuery>,
) -> Result<Response, UiError> {
    let t = page.t();
    let v = app::drill(&page.state, &page.ctx, &q, &d)
        .await
        .map_err(|e| page.error(e))?;
    let unit = Metric::from_code(&v.metric)
        .map(|m| match m.measure() {
            kefu_domain::report::Measure::Rate => "flag",
            kefu_domain::report::Measure::Median | kefu_domain::report::Measure::P90 => "hours",
            _ => "value",
        })
        .unwrap_or("value");
    let lines = v
        .items
        .iter()
        .map(|i| DrillLine {
            at: i.at.get(..16).unwrap_or_default().replace('T', " "),
            kind: t.t(&format!("report.kind.{}", i.kind)).to_string(),
            label: if i.label.is_empty() {
                i.id.clone()
            } else {
                i.label.clone()
            },
            href: i.link.clone(),
            value: match (i.value, unit) {
                (None, _) => String::new(),
                (Some(x), "flag") => t
                    .t(if x > 0.0 {
                        "report.met"
                    } else {
                        "report.not_met"
                    })
                    .to_string(),
                (Some(x), "hours") => format!("{x:.1} h"),
                (Some(x), _) => format!("{x}"),
            },
        })
        .collect();
    let base = query_of(&q);
    let limit = d.limit.unwrap_or(100).clamp(1, 500);
    let offset = d.offset.unwrap_or(0).max(0);
    let row = d.row.clone().unwrap_or_default();
    let page_link = |o: i64| {
        format!(
            "/reports/drill?{base}&{}",
            query_string(&[
                ("metric", &v.metric),
                ("row", &row),
                ("offset", &o.to_string()),
                ("limit", &limit.to_string()),
            ])
        )
    };
    Ok(render(&DrillPage {
        metric: t.t(&format!("report.metric.{}", v.metric)).to_string(),
        range: format!("{} – {}", v.from, v.to),
        total: v.total,
        lines,
        back: format!("/reports?{base}"),
        prev: if offset > 0 {
            page_link((offset - limit).max(0))
        } else {
            String::new()
        },
        next: if offset + limit < v.total {
            page_link(offset + limit)
        } else {
            String::new()
        },
        chrome: page.chrome("reports"),
        t,
    }))
}

/// A tile of the dashboard.
struct Tile {
    name: String,
    value: String,
    previous: String,
    /// `up`, `down` or empty: how the figure moved against last month.
    trend: &'static str,
    href: String,
}

/// A horizontal bar: its name, value, width in percent of the longest, and records link.
struct HBar {
    label: String,
    value: String,
    width: u32,
    href: String,
}

/// A day of the trend chart: two bars in the SVG's units.
struct TrendBar {
    x: u32,
    w: u32,
    opened_y: u32,
    opened_h: u32,
    resolved_y: u32,
    resolved_h: u32,
    day: String,
    opened: String,
    resolved: String,
}

struct RankLine {
    name: String,
    resolved: i64,
    href: String,
    sla: String,
    csat: String,
    qa: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    period: String,
    tiles: Vec<Tile>,
    trend: Vec<TrendBar>,
    chart_w: u32,
    chart_h: u32,
    /// The distributions: element id, heading, bars.
    columns: Vec<(&'static str, String, Vec<HBar>)>,
    agents: Vec<RankLine>,
}

fn hbars(
    slices: &[crate::app::dashboard::Slice],
    label: impl Fn(&crate::app::dashboard::Slice) -> String,
    href: impl Fn(&crate::app::dashboard::Slice) -> String,
) -> Vec<HBar> {
    let max = slices.iter().map(|s| s.n).max().unwrap_or(0).max(1);
    slices
        .iter()
        .map(|s| HBar {
            label: label(s),
            value: s.n.to_string(),
            width: ((s.n * 100) / max).max(1) as u32,
            href: href(s),
        })
        .collect()
}

async fn dashboard_page(page: Page) -> Result<Response, UiError> {
    let t = page.t();
    let d = crate::app::dashboard::dashboard(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let month = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("from", d.from.as_str()),
            ("to", d.to.as_str()),
            ("by", "month"),
        ];
        pairs.extend_from_slice(extra);
        query_string(&pairs)
    };
    let tiles = d
        .kpis
        .iter()
        .map(|k| {
            let better_up = !matches!(
                k.metric.as_str(),
                "promises_broken" | "complaints" | "first_response_median"
            );
            let trend = match (k.value, k.previous) {
                (Some(v), Some(p)) if v > p => {
                    if better_up {
                        "up"
                    } else {
                        "down"
                    }
                }
                (Some(v), Some(p)) if v < p => {
                    if better_up {
                        "down"
                    } else {
                        "up"
                    }
                }
                _ => "",
            };
            Tile {
                name: t.t(&format!("report.metric.{}", k.metric)).to_string(),
                value: app::shown(k.value, &k.unit),
                previous: t.f(
                    "dashboard.previous",
                    &[("value", &app::shown(k.previous, &k.unit))],
                ),
                trend,
                href: format!("/reports/drill?{}", month(&[("metric", &k.metric)])),
            }
        })
        .collect();
    let max = d
        .trend
        .iter()
        .map(|x| x.opened.max(x.resolved))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let slot = CHART_W / d.trend.len().max(1) as u32;
    let w = (slot * 2 / 5).max(1);
    let h = |v: f64| ((v / max) * f64::from(CHART_H - 10)).round() as u32;
    let trend = d
        .trend
        .iter()
        .enumerate()
        .map(|(i, x)| TrendBar {
            x: i as u32 * slot + slot / 10,
            w,
            opened_y: CHART_H - h(x.opened),
            opened_h: h(x.opened),
            resolved_y: CHART_H - h(x.resolved),
            resolved_h: h(x.resolved),
            day: x.day.clone(),
            opened: format!("{:.0}", x.opened),
            resolved: format!("{:.0}", x.resolved),
        })
        .collect();
    let drill = |group: &'static str, metric: &'static str| {
        let month = &month;
        move |s: &crate::app::dashboard::Slice| {
            format!(
                "/reports/drill?{}",
                month(&[("group", group), ("metric", metric), ("row", &s.key)])
            )
        }
    };
    let none = t.t("report.none").to_string();
    Ok(render(&DashboardPage {
        period: format!("{} – {}", d.from, d.to),
        tiles,
        trend,
        chart_w: CHART_W,
        chart_h: CHART_H,
        columns: vec![
            (
                "dashboard-channels",
                t.t("dashboard.by_channel").to_string(),
                hbars(
                    &d.by_channel,
                    |s| t.label("channel", &s.key).to_string(),
                    drill("channel", "tickets_opened"),
                ),
            ),
            (
                "dashboard-types",
                t.t("dashboard.by_type").to_string(),
                hbars(
                    &d.by_type,
                    |s| t.label("ticket_type", &s.key).to_string(),
                    drill("type", "tickets_opened"),
                ),
            ),
            (
                "dashboard-causes",
                t.t("dashboard.causes").to_string(),
                hbars(
                    &d.causes,
                    |s| {
                        if s.key.is_empty() {
                            none.clone()
                        } else {
                            s.label.clone()
                        }
                    },
                    drill("cause", "complaints"),
                ),
            ),
        ],
        agents: d
            .agents
            .iter()
            .map(|a| RankLine {
                name: a.name.clone(),
                resolved: a.resolved,
                href: format!(
                    "/reports/drill?{}",
                    month(&[
                        ("group", "agent"),
                        ("metric", "tickets_resolved"),
                        ("row", &a.agent_id)
                    ])
                ),
                sla: app::shown(a.sla_resolution, "percent"),
                csat: app::shown(a.csat, "average"),
                qa: app::shown(a.qa_score, "average"),
            })
            .collect(),
        chrome: page.chrome("dashboard"),
        t,
    }))
}

struct ArchiveLine {
    id: String,
    title: String,
    period: String,
    due: String,
    created: String,
}

#[derive(Template)]
#[template(path = "reports_archive.html")]
struct ArchivePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    kinds: Vec<(&'static str, String)>,
    kind: String,
    lines: Vec<ArchiveLine>,
    /// The next page's link, when there is one.
    more: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct KindQuery {
    kind: Option<String>,
    cursor: Option<String>,
}

async fn archive_page(page: Page, Query(k): Query<KindQuery>) -> Result<Response, UiError> {
    let t = page.t();
    let docs = crate::app::report_documents::archive(
        &page.state,
        &page.ctx,
        k.kind.as_deref(),
        k.cursor.as_deref(),
        Some(100),
    )
    .await
    .map_err(|e| page.error(e))?;
    let kind = k.kind.unwrap_or_default();
    let more = docs.next_cursor.as_deref().map(|c| {
        format!(
            "/reports/archive?{}",
            super::query_string(&[("kind", &kind), ("cursor", c)])
        )
    });
    Ok(render(&ArchivePage {
        kinds: kefu_domain::report::Scheduled::ALL
            .iter()
            .map(|s| {
                (
                    s.code(),
                    t.t(&format!("report.scheduled.{}", s.code())).to_string(),
                )
            })
            .collect(),
        kind,
        more,
        lines: docs
            .items
            .into_iter()
            .map(|d| ArchiveLine {
                created: d.created_at.get(..16).unwrap_or_default().replace('T', " "),
                due: d.due.unwrap_or_default(),
                period: format!("{} – {}", d.from, d.to),
                id: d.id,
                title: d.title,
            })
            .collect(),
        chrome: page.chrome("reports"),
        t,
    }))
}

/// A kept report's readable page, as it was generated.
async fn archived_document(
    page: Page,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, UiError> {
    let html = crate::app::report_documents::document_html(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(axum::response::Html(html).into_response())
}
