//! Scheduled reports (issue 9): the monthly service quality analysis report (handed in by
//! the 22nd), the monthly complaint statistics, the weekly QA summary and the weekly
//! customer service bulletin. The scheduler (`jobs::reports`) makes each for the last
//! whole period it covers, once — a readable page and a workbook, kept in the reports
//! archive — and tells the people who hand reports in (those with `report.view`).
//!
//! The reports are read before any write begins and kept in a short transaction of their
//! own: at ten million tickets a month's report reads for many seconds, and a durable
//! job's transaction would hold SQLite's writer — every log-in and ticket — that long.

use super::reports::{build, number, row_label, spec, ReportView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use chrono::{DateTime, Utc};
use kefu_domain::report::{Granularity, Grouping, Metric, ReportPeriod, Scheduled};
use kefu_domain::Permission;
use kefu_store::reports::NewReportDocument;
use serde::Serialize;
use utoipa::ToSchema;

/// A section of a scheduled report: its heading's key and the report it shows.
fn sections(kind: Scheduled, p: &ReportPeriod) -> Vec<(&'static str, super::reports::Spec)> {
    use Metric::*;
    let (from, to) = (p.from, p.to);
    let by = |g: Granularity, grouping: Grouping, metrics: &[Metric]| {
        spec(from, to, g, grouping, metrics)
    };
    let service = [
        CallsOffered,
        CallsAnswered,
        Chats,
        OutboundCalls,
        TicketsOpened,
        TicketsResolved,
        TicketsReopened,
        FirstResponseMedian,
        ResolutionMedian,
        SlaFirstResponse,
        SlaResolution,
        PromisesKept,
        PromisesRenewed,
        PromisesBroken,
        Complaints,
        CallbacksDone,
        Csat,
        Nps,
    ];
    let agents = [
        TicketsResolved,
        ResolutionMedian,
        SlaResolution,
        PromisesBroken,
        Csat,
        QaScore,
    ];
    let complaints = [
        Complaints,
        CallbacksPlanned,
        CallbacksDone,
        CallbacksReached,
        CallbacksUnreachable,
        Csat,
        Nps,
    ];
    match kind {
        Scheduled::MonthlyQuality => vec![
            (
                "report.doc.by_week",
                by(Granularity::Week, Grouping::Period, Metric::ALL),
            ),
            (
                "report.doc.by_type",
                by(Granularity::Month, Grouping::TicketType, &service),
            ),
            (
                "report.doc.by_agent",
                by(Granularity::Month, Grouping::Agent, &agents),
            ),
            (
                "report.doc.by_cause",
                by(Granularity::Month, Grouping::Cause, Metric::COMPLAINTS),
            ),
        ],
        Scheduled::MonthlyComplaints => vec![
            (
                "report.doc.by_week",
                by(Granularity::Week, Grouping::Period, &complaints),
            ),
            (
                "report.doc.by_cause",
                by(Granularity::Month, Grouping::Cause, Metric::COMPLAINTS),
            ),
            (
                "report.doc.by_severity",
                by(Granularity::Month, Grouping::Severity, Metric::COMPLAINTS),
            ),
            (
                "report.doc.by_department",
                by(
                    Granularity::Month,
                    Grouping::ComplaintDepartment,
                    Metric::COMPLAINTS,
                ),
            ),
        ],
        Scheduled::WeeklyQa => vec![
            (
                "report.doc.by_day",
                by(Granularity::Day, Grouping::Period, &[QaScore]),
            ),
            (
                "report.doc.by_agent",
                by(
                    Granularity::Week,
                    Grouping::Agent,
                    &[QaScore, Csat, PromisesBroken],
                ),
            ),
        ],
        Scheduled::WeeklyBulletin => vec![
            (
                "report.doc.by_day",
                by(Granularity::Day, Grouping::Period, &service),
            ),
            (
                "report.doc.by_channel",
                by(
                    Granularity::Week,
                    Grouping::Channel,
                    &[TicketsOpened, TicketsResolved],
                ),
            ),
            (
                "report.doc.by_cause",
                by(Granularity::Week, Grouping::Cause, Metric::COMPLAINTS),
            ),
        ],
    }
}

/// A section as the page and the workbook show it: a heading, the column names, the rows
/// (a label and the values) and the total.
struct Table {
    heading: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn table(t: &Tr<'_>, heading: &str, r: &ReportView) -> Table {
    let mut header = vec![t.t(&format!("report.group_{}", r.group)).to_string()];
    header.extend(
        r.columns
            .iter()
            .map(|c| t.t(&format!("report.metric.{}", c.metric)).to_string()),
    );
    let line = |label: String, cells: &[super::reports::CellView]| {
        let mut l = vec![label];
        l.extend(cells.iter().map(|c| number(c.value)));
        l
    };
    let mut rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| line(row_label(t, &r.group, row), &row.cells))
        .collect();
    rows.push(line(t.t("report.total").to_string(), &r.total.cells));
    Table {
        heading: t.t(heading).to_string(),
        header,
        rows,
    }
}

#[derive(Template)]
#[template(path = "report_document.html")]
struct DocumentPage<'a> {
    t: Tr<'a>,
    title: String,
    period: String,
    due: String,
    generated: String,
    tables: Vec<Table>,
}

/// The workbook: one sheet per section, the title and period above each table, values
/// as numbers.
fn workbook(title: &str, period: &str, tables: &[Table]) -> Result<Vec<u8>, AppError> {
    use kefu_domain::export::neutralize_cell;
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (i, tb) in tables.iter().enumerate() {
        let sheet = wb.add_worksheet();
        sheet
            .set_name(
                format!("{} {}", i + 1, tb.heading)
                    .chars()
                    .take(31)
                    .collect::<String>(),
            )
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(0, 0, neutralize_cell(title), &bold)
            .map_err(xlsx)?;
        sheet
            .write_string(1, 0, neutralize_cell(&format!("{period} · {}", tb.heading)))
            .map_err(xlsx)?;
        for (c, h) in tb.header.iter().enumerate() {
            sheet
                .write_string_with_format(3, c as u16, neutralize_cell(h), &bold)
                .map_err(xlsx)?;
            sheet
                .set_column_width(c as u16, if c == 0 { 18 } else { 12 })
                .map_err(xlsx)?;
        }
        for (r, row) in tb.rows.iter().enumerate() {
            let at = 4 + r as u32;
            for (c, v) in row.iter().enumerate() {
                match v.parse::<f64>() {
                    Ok(n) if c > 0 => {
                        sheet.write_number(at, c as u16, n).map_err(xlsx)?;
                    }
                    _ if c > 0 && v.is_empty() => {}
                    _ => {
                        sheet
                            .write_string(at, c as u16, neutralize_cell(v))
                            .map_err(xlsx)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(4, 1).map_err(xlsx)?;
    }
    wb.save_to_buffer().map_err(xlsx)
}

/// Makes the scheduled reports due at `now` that are not kept yet (the last whole week
/// and month before today), keeps each and notifies. Returns the kinds made. Another
/// server making the same report at the same time is harmless: the first kept wins and
/// only it notifies.
pub async fn generate_due(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<Vec<Scheduled>, AppError> {
    let today = now
        .with_timezone(&crate::app::schedule::center_offset())
        .date_naive();
    // Kept in the center's language.
    let t = state.i18n().tr(Lang::default());
    let mut made = Vec::new();
    for kind in Scheduled::ALL {
        let p = kind.latest_period(today);
        if state
            .db()
            .report_document_exists(kind.code(), &p.key)
            .await?
        {
            continue;
        }
        let mut tables = Vec::new();
        for (heading, s) in sections(*kind, &p) {
            tables.push(table(&t, heading, &build(state, &s).await?));
        }
        let title = format!(
            "{} {}",
            t.t(&format!("report.scheduled.{}", kind.code())),
            p.key
        );
        let period = format!("{} – {}", p.from, p.to);
        let due = p.due.map(|d| d.to_string());
        let html = DocumentPage {
            title: title.clone(),
            period: period.clone(),
            due: due.clone().unwrap_or_default(),
            generated: crate::app::short_time(kefu_store::to_millis(now)),
            tables,
            t,
        };
        let xlsx = workbook(&title, &period, &html.tables)?;
        let page = html
            .render()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("report page: {e}")))?;
        let (from, to) = (p.from.to_string(), p.to.to_string());
        let doc = NewReportDocument {
            kind: kind.code(),
            period_key: &p.key,
            from_day: &from,
            to_day: &to,
            due_day: due.as_deref(),
            title: &title,
            html: &page,
            xlsx: &xlsx,
        };
        let people: Vec<String> = state
            .db()
            .users_with_permission(Permission::ReportView.code())
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let body = |id: &str| {
            let link = format!("/reports/archive/{id}");
            match &due {
                Some(d) => t.f(
                    "report.notify_due",
                    &[("title", &title), ("due", d), ("link", &link)],
                ),
                None => t.f("report.notify", &[("title", &title), ("link", &link)]),
            }
        };
        if state
            .db()
            .keep_report_document(now, &doc, &people, body)
            .await?
            .is_some()
        {
            made.push(*kind);
        }
    }
    Ok(made)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    /// `monthly_quality`, `monthly_complaints`, `weekly_qa` or `weekly_bulletin`.
    pub kind: String,
    /// `2026-11` or `2026-W48`.
    pub period: String,
    pub from: String,
    pub to: String,
    /// When it must be handed in (the monthly quality report: the 22nd).
    pub due: Option<String>,
    pub title: String,
    pub created_at: String,
}

fn view(r: kefu_store::reports::ReportDocumentRow) -> DocumentView {
    DocumentView {
        id: r.id,
        kind: r.kind,
        period: r.period_key,
        from: r.from_day,
        to: r.to_day,
        due: r.due_day,
        title: r.title,
        created_at: crate::app::rfc3339(r.created_at),
    }
}

/// A page of the archive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchivePage {
    pub items: Vec<DocumentView>,
    pub next_cursor: Option<String>,
}

/// The archive, newest first, a page at a time; `kind` narrows it to one of the four.
pub async fn archive(
    state: &AppState,
    ctx: &Ctx,
    kind: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<ArchivePage, AppError> {
    ctx.require(Permission::ReportView)?;
    let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(Scheduled::from_code(k).ok_or_else(|| {
            AppError::invalid_field(
                "invalid_kind",
                "kind",
                format!("unknown scheduled report {k:?}"),
            )
        })?),
    };
    let page = state
        .db()
        .list_report_documents(kind.map(|k| k.code()), super::page_limit(limit), cursor)
        .await?;
    Ok(ArchivePage {
        items: page.items.into_iter().map(view).collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn document(state: &AppState, ctx: &Ctx, id: &str) -> Result<DocumentView, AppError> {
    ctx.require(Permission::ReportView)?;
    Ok(view(state.db().get_report_document(id).await?))
}

pub async fn document_html(state: &AppState, ctx: &Ctx, id: &str) -> Result<String, AppError> {
    ctx.require(Permission::ReportView)?;
    Ok(state.db().report_document_html(id).await?)
}

pub async fn document_xlsx(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<(DocumentView, Vec<u8>), AppError> {
    ctx.require(Permission::ReportView)?;
    let d = view(state.db().get_report_document(id).await?);
    Ok((d, state.db().report_document_xlsx(id).await?))
}
