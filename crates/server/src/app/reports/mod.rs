//! Reports (报表, issue 9): any metric of `kefu_domain::report::Metric` for a date range,
//! grouped by period (day, week, month), agent, channel, type or — for complaints — cause,
//! severity and responsible department, filtered by department (with its groups), agent,
//! channel and type. Every cell carries the number of records behind it, and
//! [`drill`] lists exactly those records. Working-hours times are counted on the
//! `working` business calendar with its holidays.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use chrono::{Duration, NaiveDate};
use kefu_domain::calendar::{BusinessCalendar, WorkingMeter};
use kefu_domain::report::{
    periods, Granularity, Grouping, Measure, Metric, Period, Section, Tally, MAX_RANGE_DAYS,
};
use kefu_domain::sla::SlaCalendar;
use kefu_domain::ticket::{Channel, TicketType};
use kefu_domain::Permission;
use kefu_store::reports::{MetricTallies, ReportScope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};

mod drill;
pub mod rollups;
pub use drill::{drill, DrillItem, DrillQuery, DrillView};

/// What a report is asked for. Dates are the center's local days, both included.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
pub struct ReportQuery {
    /// First day (`YYYY-MM-DD`); default: the first of the current month.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// Period rows: `day`, `week` or `month` (default `day`).
    pub by: Option<String>,
    /// Rows: `period` (default), `agent`, `channel`, `type`, `cause`, `severity`,
    /// `complaint_department`.
    pub group: Option<String>,
    /// A department: it and the groups under it.
    pub department: Option<String>,
    /// An agent's user id.
    pub agent: Option<String>,
    /// A ticket channel code.
    pub channel: Option<String>,
    /// A ticket type code.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub ticket_type: Option<String>,
    /// Comma-separated metric codes; default: every metric.
    pub metrics: Option<String>,
}

/// A parsed, checked [`ReportQuery`].
#[derive(Debug, Clone)]
pub struct Spec {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
    pub grouping: Grouping,
    pub department: Option<String>,
    pub agent: Option<String>,
    pub channel: Option<Channel>,
    pub ticket_type: Option<TicketType>,
    pub metrics: Vec<Metric>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_day(field: &'static str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::invalid_field(
            "invalid_date",
            field,
            format!("{field} must be a date like 2026-12-01, not {text:?}"),
        )
    })
}

impl Spec {
    pub fn parse(q: &ReportQuery, today: NaiveDate) -> Result<Spec, AppError> {
        let to = blank(&q.to)
            .map(|s| parse_day("to", s))
            .transpose()?
            .unwrap_or(today);
        let from = blank(&q.from)
            .map(|s| parse_day("from", s))
            .transpose()?
            .unwrap_or_else(|| Granularity::Month.period_start(to));
        if to < from {
            return Err(AppError::invalid_field(
                "invalid_range",
                "to",
                "the last day is before the first",
            ));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::invalid_field(
                "invalid_range",
                "from",
                format!("a report covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        let granularity = match blank(&q.by) {
            None => Granularity::Day,
            Some(s) => Granularity::from_code(s).ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_by",
                    "by",
                    format!("by is day, week or month, not {s:?}"),
                )
            })?,
        };
        let grouping = match blank(&q.group) {
            None => Grouping::Period,
            Some(s) => Grouping::from_code(s).ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_group",
                    "group",
                    format!("unknown grouping {s:?}; use period, agent, channel, type, cause, severity or complaint_department"),
                )
            })?,
        };
        let channel = blank(&q.channel)
            .map(|s| {
                Channel::from_code(s).ok_or_else(|| {
                    AppError::invalid_field(
                        "invalid_channel",
                        "channel",
                        format!("unknown channel {s:?}"),
                    )
                })
            })
            .transpose()?;
        let ticket_type = blank(&q.ticket_type)
            .map(|s| {
                TicketType::from_code(s).ok_or_else(|| {
                    AppError::invalid_field(
                        "invalid_type",
                        "type",
                        format!("unknown ticket type {s:?}"),
                    )
                })
            })
            .transpose()?;
        let metrics = match blank(&q.metrics) {
            None => Metric::ALL.to_vec(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    Metric::from_code(s).ok_or_else(|| {
                        AppError::invalid_field(
                            "invalid_metric",
                            "metrics",
                            format!("unknown metric {s:?}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(Spec {
            from,
            to,
            granularity,
            grouping,
            department: blank(&q.department).map(str::to_string),
            agent: blank(&q.agent).map(str::to_string),
            channel,
            ticket_type,
            metrics,
        })
    }

    /// The same report as query parameters (for links: drill-down, export, chart).
    pub fn query(&self) -> ReportQuery {
        ReportQuery {
            from: Some(self.from.to_string()),
            to: Some(self.to.to_string()),
            by: Some(self.granularity.code().into()),
            group: Some(self.grouping.code().into()),
            department: self.department.clone(),
            agent: self.agent.clone(),
            channel: self.channel.map(|c| c.code().into()),
            ticket_type: self.ticket_type.map(|t| t.code().into()),
            metrics: Some(
                self.metrics
                    .iter()
                    .map(|m| m.code())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnView {
    pub metric: String,
    pub section: String,
    /// `count`, `percent`, `average` (a mean score), `hours` (working hours) or `nps`.
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CellView {
    /// The value; absent when there is nothing to derive it from (no records for a rate,
    /// mean or time) or when the metric does not apply to this report's filters.
    pub value: Option<f64>,
    /// The records behind the value: the length of the cell's drill-down list.
    pub n: i64,
    /// Whether the metric applies to the filters and grouping at all.
    pub applies: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowView {
    /// The period's first day, or the group's key (`""` for records without one).
    pub key: String,
    /// A readable name: the period (`2026-12-01`, `2026-W49`, `2026-12`), the agent's,
    /// cause's or department's name; a code for channels, types and severities.
    pub label: String,
    /// A period's days, the last included.
    pub from: Option<String>,
    pub to: Option<String>,
    pub cells: Vec<CellView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportView {
    pub from: String,
    pub to: String,
    pub by: String,
    pub group: String,
    /// The filters as given (department id, agent id, channel, type).
    pub department: Option<String>,
    pub agent: Option<String>,
    pub channel: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub columns: Vec<ColumnView>,
    pub rows: Vec<RowView>,
    /// The whole range (all rows together).
    pub total: RowView,
}

pub(crate) fn unit(m: Metric) -> &'static str {
    match m.measure() {
        Measure::Count => "count",
        Measure::Rate => "percent",
        Measure::Average => "average",
        Measure::Median | Measure::P90 => "hours",
        Measure::Nps => "nps",
    }
}

/// An average's divisor: QA totals are kept in tenths of a point.
fn scale(m: Metric) -> i64 {
    if m == Metric::QaScore {
        10
    } else {
        1
    }
}

/// Today in the center's time.
pub(crate) fn center_today(state: &AppState) -> NaiveDate {
    state
        .clock()
        .now()
        .with_timezone(&crate::app::schedule::center_offset())
        .date_naive()
}

/// The center's local day `d` begins at this UTC instant.
fn midnight_ms(d: NaiveDate) -> i64 {
    kefu_store::to_millis(crate::app::schedule::center_midnight(d))
}

fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

fn period_label(g: Granularity, p: &Period) -> String {
    match g {
        Granularity::Day => p.from.to_string(),
        Granularity::Week => {
            let w = p.from.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Granularity::Month => p.from.format("%Y-%m").to_string(),
    }
}

use chrono::Datelike;

/// Where the report's records come from: its range in ms and its filters; `calendar` is
/// the fingerprint of the calendar its working times are counted on.
async fn scope(
    state: &AppState,
    spec: &Spec,
    calendar: Option<String>,
) -> Result<ReportScope, AppError> {
    let departments = match &spec.department {
        None => None,
        Some(id) => {
            let all = state.db().list_departments().await?;
            if !all.iter().any(|d| &d.id == id) {
                return Err(AppError::invalid_field(
                    "unknown_department",
                    "department",
                    format!("no department {id:?}"),
                ));
            }
            // The department and every group under it.
            let mut ids = vec![id.clone()];
            let mut i = 0;
            while i < ids.len() {
                let parent = ids[i].clone();
                ids.extend(
                    all.iter()
                        .filter(|d| d.parent_id.as_deref() == Some(parent.as_str()))
                        .map(|d| d.id.clone()),
                );
                i += 1;
            }
            Some(ids)
        }
    };
    Ok(ReportScope {
        from: midnight_ms(spec.from),
        until: midnight_ms(spec.to + Duration::days(1)),
        day_offset: i64::from(crate::app::schedule::center_offset().local_minus_utc()) * 1000,
        departments,
        agent: spec.agent.clone(),
        channel: spec.channel.map(|c| c.code().to_string()),
        ticket_type: spec.ticket_type.map(|t| t.code().to_string()),
        calendar,
        records_only: false,
    })
}

/// The `working` business calendar with its holidays, which report times are counted on.
pub(crate) async fn working_calendar(
    state: &AppState,
) -> Result<kefu_domain::calendar::BusinessCalendar, AppError> {
    Ok(state
        .db()
        .business_calendar(SlaCalendar::Working, crate::app::schedule::center_offset())
        .await?)
}

/// A meter over the days the spans cover.
pub(crate) fn meter_for<'a, 's>(
    cal: &'a BusinessCalendar,
    spans: impl IntoIterator<Item = &'s (i64, i64)>,
) -> WorkingMeter<'a> {
    let (first, last) = spans
        .into_iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &(a, b)| {
            (lo.min(a), hi.max(b))
        });
    cal.meter(first, last)
}

/// Working seconds of each span.
fn working_seconds(meter: &WorkingMeter<'_>, spans: &[(i64, i64)]) -> Vec<i64> {
    spans
        .iter()
        .map(|&(a, b)| meter.working_ms(a, b) / 1000)
        .collect()
}

/// A time metric's working seconds, by local day and by group key.
type WorkedSeconds = (BTreeMap<i64, Vec<i64>>, BTreeMap<String, Vec<i64>>);

/// The report.
pub async fn report(state: &AppState, ctx: &Ctx, q: &ReportQuery) -> Result<ReportView, AppError> {
    ctx.require(Permission::ReportView)?;
    let today = center_today(state);
    let spec = Spec::parse(q, today)?;
    build(state, &spec).await
}

pub(crate) async fn build(state: &AppState, spec: &Spec) -> Result<ReportView, AppError> {
    build_on(state, spec, &working_calendar(state).await?).await
}

/// The report, its working times counted on `cal` (the `working` calendar: several
/// reports made together load it once).
pub(crate) async fn build_on(
    state: &AppState,
    spec: &Spec,
    cal: &BusinessCalendar,
) -> Result<ReportView, AppError> {
    let scope = scope(
        state,
        spec,
        Some(kefu_store::reports::calendar_fingerprint(cal)),
    )
    .await?;
    let mut tallies = state
        .db()
        .report_tallies(&scope, spec.grouping, &spec.metrics)
        .await?;
    // Spans become working seconds before they are grouped into rows, on one meter over
    // the days they cover.
    let meter = meter_for(
        cal,
        tallies
            .values()
            .flat_map(|t| t.spans_by_day.values().chain(t.spans_by_key.values()))
            .flatten(),
    );
    let mut seconds: HashMap<Metric, WorkedSeconds> = HashMap::new();
    for (m, t) in tallies.iter_mut() {
        let mut by_day = BTreeMap::new();
        for (day, spans) in std::mem::take(&mut t.spans_by_day) {
            by_day.insert(day, working_seconds(&meter, &spans));
        }
        let mut by_key = BTreeMap::new();
        for (key, spans) in std::mem::take(&mut t.spans_by_key) {
            by_key.insert(key, working_seconds(&meter, &spans));
        }
        seconds.insert(*m, (by_day, by_key));
    }
    let tally_of = |m: Metric, t: &MetricTallies, days: Option<(i64, i64)>, key: Option<&str>| {
        let mut out = Tally::default();
        let secs = seconds.get(&m);
        match (days, key) {
            (Some((a, b)), _) => {
                for (_, x) in t.by_day.range(a..b) {
                    out.add(x);
                }
                if let Some((by_day, _)) = secs {
                    for (_, s) in by_day.range(a..b) {
                        out.n += s.len() as i64;
                        out.seconds.extend_from_slice(s);
                    }
                }
            }
            (None, Some(k)) => {
                if let Some(x) = t.by_key.get(k) {
                    out.add(x);
                }
                if let Some(s) = secs.and_then(|(_, by_key)| by_key.get(k)) {
                    out.n += s.len() as i64;
                    out.seconds.extend_from_slice(s);
                }
            }
            (None, None) => {
                for x in t.by_day.values().chain(t.by_key.values()) {
                    out.add(x);
                }
                if let Some((by_day, by_key)) = secs {
                    for s in by_day.values().chain(by_key.values()) {
                        out.n += s.len() as i64;
                        out.seconds.extend_from_slice(s);
                    }
                }
            }
        }
        out
    };
    let cells = |days: Option<(i64, i64)>, key: Option<&str>| -> Vec<CellView> {
        spec.metrics
            .iter()
            .map(|m| match tallies.get(m) {
                None => CellView {
                    value: None,
                    n: 0,
                    applies: false,
                },
                Some(t) => {
                    let tally = tally_of(*m, t, days, key);
                    CellView {
                        value: tally.value(m.measure(), scale(*m)),
                        n: tally.n,
                        applies: true,
                    }
                }
            })
            .collect()
    };
    let rows: Vec<RowView> = if spec.grouping == Grouping::Period {
        periods(spec.granularity, spec.from, spec.to)
            .iter()
            .map(|p| RowView {
                key: p.from.to_string(),
                label: period_label(spec.granularity, p),
                from: Some(p.from.to_string()),
                to: Some((p.until - Duration::days(1)).to_string()),
                cells: cells(Some((day_number(p.from), day_number(p.until))), None),
            })
            .collect()
    } else {
        let keys: BTreeSet<String> = tallies
            .values()
            .flat_map(|t| t.by_key.keys().cloned())
            .chain(seconds.values().flat_map(|(_, k)| k.keys().cloned()))
            .collect();
        let names = group_names(state, spec.grouping).await?;
        let mut rows: Vec<RowView> = keys
            .into_iter()
            .map(|k| RowView {
                label: names.get(&k).cloned().unwrap_or_else(|| k.clone()),
                cells: cells(None, Some(&k)),
                key: k,
                from: None,
                to: None,
            })
            .collect();
        rows.sort_by(|a, b| a.label.cmp(&b.label));
        rows
    };
    Ok(ReportView {
        from: spec.from.to_string(),
        to: spec.to.to_string(),
        by: spec.granularity.code().into(),
        group: spec.grouping.code().into(),
        department: spec.department.clone(),
        agent: spec.agent.clone(),
        channel: spec.channel.map(|c| c.code().into()),
        ticket_type: spec.ticket_type.map(|t| t.code().into()),
        columns: spec
            .metrics
            .iter()
            .map(|m| ColumnView {
                metric: m.code().into(),
                section: m.section().code().into(),
                unit: unit(*m).into(),
            })
            .collect(),
        rows,
        total: RowView {
            key: String::new(),
            label: String::new(),
            from: Some(spec.from.to_string()),
            to: Some(spec.to.to_string()),
            cells: cells(None, None),
        },
    })
}

/// Names of the groups that are records (agents, causes, departments); codes (channels,
/// types, severities) are translated by whoever shows them.
async fn group_names(
    state: &AppState,
    grouping: Grouping,
) -> Result<HashMap<String, String>, AppError> {
    let db = state.db();
    Ok(match grouping {
        Grouping::Agent => db
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect(),
        Grouping::Cause => db
            .list_complaint_causes()
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        Grouping::ComplaintDepartment => db
            .list_departments()
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        _ => HashMap::new(),
    })
}

/// A value as a report shows it: counts whole, the rest to one decimal, `—` for none.
pub fn shown(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "—".into(),
        Some(v) if unit == "count" => format!("{v:.0}"),
        Some(v) if unit == "percent" => format!("{v:.1}%"),
        Some(v) => format!("{v:.1}"),
    }
}

/// A readable name of a row's group for people (channels, types and severities
/// translated; the rest as the report named them).
pub fn row_label(t: &Tr<'_>, grouping: &str, row: &RowView) -> String {
    let code = |prefix: &str| {
        if row.key.is_empty() {
            t.t("report.none").to_string()
        } else {
            t.t(&format!("{prefix}.{}", row.key)).to_string()
        }
    };
    match grouping {
        "channel" => code("channel"),
        "type" => code("ticket_type"),
        "severity" => code("severity"),
        _ if row.key.is_empty() => t.t("report.none").to_string(),
        _ => row.label.clone(),
    }
}

/// The filters of a report in words, for the sheet and the page.
pub async fn describe(state: &AppState, t: &Tr<'_>, r: &ReportView) -> Result<String, AppError> {
    let mut parts = vec![format!("{} {} – {}", t.t("report.range"), r.from, r.to)];
    parts.push(format!(
        "{}: {}",
        t.t("report.by"),
        t.t(&format!("report.by_{}", r.by))
    ));
    parts.push(format!(
        "{}: {}",
        t.t("report.group"),
        t.t(&format!("report.group_{}", r.group))
    ));
    if let Some(d) = &r.department {
        let name = state
            .db()
            .list_departments()
            .await?
            .into_iter()
            .find(|x| &x.id == d)
            .map(|x| x.name)
            .unwrap_or_else(|| d.clone());
        parts.push(format!("{}: {name}", t.t("report.department")));
    }
    if let Some(a) = &r.agent {
        let name = state
            .db()
            .list_users()
            .await?
            .into_iter()
            .find(|u| &u.id == a)
            .map(|u| u.display_name)
            .unwrap_or_else(|| a.clone());
        parts.push(format!("{}: {name}", t.t("report.agent")));
    }
    if let Some(c) = &r.channel {
        parts.push(format!(
            "{}: {}",
            t.t("report.channel"),
            t.t(&format!("channel.{c}"))
        ));
    }
    if let Some(c) = &r.ticket_type {
        parts.push(format!(
            "{}: {}",
            t.t("report.type"),
            t.t(&format!("ticket_type.{c}"))
        ));
    }
    Ok(parts.join("；"))
}

/// The report as a sheet: the filters stated above the table, one row per group and the
/// total, values as numbers. Streams like every export.
pub async fn export(
    state: &AppState,
    ctx: &Ctx,
    q: &ReportQuery,
    format: super::export::Format,
    t: &Tr<'_>,
) -> Result<super::export::ExportFile, AppError> {
    let r = report(state, ctx, q).await?;
    let mut header = vec![t.t(&format!("report.group_{}", r.group)).to_string()];
    for c in &r.columns {
        header.push(t.t(&format!("report.metric.{}", c.metric)).to_string());
    }
    let mut lines: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            let mut line = vec![row_label(t, &r.group, row)];
            line.extend(row.cells.iter().map(|c| number(c.value)));
            line
        })
        .collect();
    let mut total = vec![t.t("report.total").to_string()];
    total.extend(r.total.cells.iter().map(|c| number(c.value)));
    lines.push(total);
    let title = t.t("report.title").to_string();
    let preamble = vec![title.clone(), describe(state, t, &r).await?];
    super::export::table_to_file(state, "report", format, preamble, header, lines).await
}

/// A value for a sheet: plain digits (a number cell), empty for none.
pub(crate) fn number(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{:.2}", (v * 100.0).round() / 100.0),
    }
}

/// Sections in column order with how many columns each spans (for the table's header).
pub fn sections(columns: &[ColumnView]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for c in columns {
        match out.last_mut() {
            Some((s, n)) if *s == c.section => *n += 1,
            _ => out.push((c.section.clone(), 1)),
        }
    }
    out
}

/// Every section in display order (for the page's metric picker).
pub fn all_sections() -> Vec<(Section, Vec<Metric>)> {
    Section::ALL
        .iter()
        .map(|s| {
            (
                *s,
                Metric::ALL
                    .iter()
                    .copied()
                    .filter(|m| m.section() == *s)
                    .collect(),
            )
        })
        .collect()
}

/// What a report's filters offer: departments (indented by depth) and agents, by name.
pub async fn choices(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), AppError> {
    ctx.require(Permission::ReportView)?;
    let db = state.db();
    let all = db.list_departments().await?;
    let mut departments = Vec::new();
    fn walk(
        all: &[kefu_store::org::DepartmentRow],
        parent: Option<&str>,
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) {
        for d in all.iter().filter(|d| d.parent_id.as_deref() == parent) {
            out.push((d.id.clone(), format!("{}{}", "　".repeat(depth), d.name)));
            walk(all, Some(&d.id), depth + 1, out);
        }
    }
    walk(&all, None, 0, &mut departments);
    let agents = db
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active == 1)
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok((departments, agents))
}

pub(crate) fn spec(
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
    grouping: Grouping,
    metrics: &[Metric],
) -> Spec {
    Spec {
        from,
        to,
        granularity,
        grouping,
        department: None,
        agent: None,
        channel: None,
        ticket_type: None,
        metrics: metrics.to_vec(),
    }
}
