//! The evaluation sheet, the monthly report and the weekly summary as workbooks: each a
//! sheet with its title and what it is of (the agent and month, the month, the week) on
//! top, labels in the reader's language, every cell neutralized against formulas.

use super::sheets::{MonthlyReport, SheetView, SummaryView};
use crate::error::AppError;
use crate::i18n::Tr;
use kefu_domain::export::neutralize_cell as safe;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// A sheet named `title`, the title in large type on top and `filter` under it.
fn titled(title: &str, filter: &str) -> Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    ws.set_name(title)?;
    let big = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, safe(title), &big)?;
    ws.write_string(1, 0, safe(filter))?;
    Ok(ws)
}

/// A row of bold headings.
fn headings(ws: &mut Worksheet, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (c, h) in cells.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, safe(h), &bold)?;
    }
    Ok(())
}

fn book(ws: Worksheet) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.push_worksheet(ws);
    wb.save_to_buffer()
}

fn internal(e: XlsxError) -> AppError {
    AppError::Internal(e.into())
}

/// The evaluation sheet (服务质量综合考评表).
pub fn sheet(t: &Tr<'_>, s: &SheetView) -> Result<Vec<u8>, AppError> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let filter = format!(
            "{}: {} · {}: {}",
            t.t("qa.agent"),
            s.agent.name,
            t.t("qa.month"),
            s.month
        );
        let mut ws = titled(t.t("qa.sheet_title"), &filter)?;
        let facts = [
            (t.t("qa.count"), s.count.to_string()),
            (
                t.t("qa.average"),
                s.average.map(|a| format!("{a:.1}")).unwrap_or_default(),
            ),
            (t.t("qa.critical_failures"), s.critical_failures.to_string()),
            (t.t("qa.appeals"), s.appeals.to_string()),
            (t.t("qa.upheld"), s.upheld.to_string()),
        ];
        for (i, (k, v)) in facts.iter().enumerate() {
            headings(&mut ws, 3 + i as u32, &[k])?;
            ws.write_string(3 + i as u32, 1, safe(v))?;
        }
        let mut row = 9u32;
        headings(
            &mut ws,
            row,
            &[
                t.t("qa.criterion"),
                t.t("qa.average_percent"),
                "W1",
                "W2",
                "W3",
                "W4",
                "W5",
                t.t("qa.trend"),
            ],
        )?;
        for c in &s.criteria {
            row += 1;
            ws.write_string(row, 0, safe(&c.name))?;
            ws.write_number(row, 1, c.average_percent)?;
            for (w, v) in c.by_week.iter().enumerate() {
                if let Some(v) = v {
                    ws.write_number(row, 2 + w as u16, *v)?;
                }
            }
            ws.write_string(row, 7, safe(t.label("qa_trend", &c.trend)))?;
        }
        row += 2;
        headings(
            &mut ws,
            row,
            &[
                t.t("qa.week"),
                t.t("qa.item"),
                t.t("qa.inspector"),
                t.t("qa.total"),
                t.t("qa.state"),
                t.t("qa.summary"),
            ],
        )?;
        for v in &s.inspections {
            row += 1;
            let when = v.occurred_at.get(..16).unwrap_or_default();
            let item = format!("{} · {} · {when}", t.label("qa_kind", &v.kind), v.title);
            ws.write_number(row, 0, v.week as f64)?;
            ws.write_string(row, 1, safe(&item))?;
            ws.write_string(row, 2, safe(&v.inspector.name))?;
            if let Some(total) = v.total {
                ws.write_number(row, 3, total)?;
            }
            ws.write_string(row, 4, safe(t.label("qa_state", &v.state)))?;
            ws.write_string(row, 5, safe(&v.summary))?;
        }
        ws.set_column_width(0, 18)?;
        ws.set_column_width(1, 40)?;
        ws.set_column_width(5, 40)?;
        book(ws)
    };
    write().map_err(internal)
}

/// The monthly QA report.
pub fn report(t: &Tr<'_>, r: &MonthlyReport) -> Result<Vec<u8>, AppError> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let filter = format!("{}: {}", t.t("qa.month"), r.month);
        let mut ws = titled(t.t("qa.report_title"), &filter)?;
        let mut row = 3u32;
        headings(
            &mut ws,
            row,
            &[
                t.t("qa.agent"),
                t.t("qa.count"),
                t.t("qa.average"),
                t.t("qa.critical_failures"),
                t.t("qa.appeals"),
                t.t("qa.upheld"),
            ],
        )?;
        for a in &r.agents {
            row += 1;
            ws.write_string(row, 0, safe(&a.agent.name))?;
            ws.write_number(row, 1, f64::from(a.count))?;
            if let Some(avg) = a.average {
                ws.write_number(row, 2, avg)?;
            }
            ws.write_number(row, 3, f64::from(a.critical_failures))?;
            ws.write_number(row, 4, f64::from(a.appeals))?;
            ws.write_number(row, 5, f64::from(a.upheld))?;
        }
        row += 2;
        headings(
            &mut ws,
            row,
            &[t.t("qa.criterion"), t.t("qa.average_percent")],
        )?;
        for c in &r.criteria {
            row += 1;
            ws.write_string(row, 0, safe(&c.name))?;
            ws.write_number(row, 1, c.average_percent)?;
        }
        if !r.problems.is_empty() {
            row += 2;
            headings(&mut ws, row, &[t.t("qa.problems")])?;
            for p in &r.problems {
                row += 1;
                ws.write_string(row, 0, safe(p))?;
            }
        }
        ws.set_column_width(0, 24)?;
        book(ws)
    };
    write().map_err(internal)
}

/// The weekly summary: the points with their evidence, then the week's inspections.
pub fn summary(t: &Tr<'_>, s: &SummaryView) -> Result<Vec<u8>, AppError> {
    let label = |id: &str| {
        s.inspections
            .iter()
            .find(|v| v.id == id)
            .map(|v| {
                format!(
                    "{} · {} · {}",
                    v.agent.name,
                    t.label("qa_kind", &v.kind),
                    v.title
                )
            })
            .unwrap_or_else(|| id.to_string())
    };
    let write = || -> Result<Vec<u8>, XlsxError> {
        let filter = format!("{} {}", t.t("qa.week_help"), s.week);
        let mut ws = titled(t.t("qa.week_title"), &filter)?;
        let mut row = 3u32;
        for (heading, points) in [
            (t.t("qa.problems"), &s.problems),
            (t.t("qa.training"), &s.training),
        ] {
            headings(&mut ws, row, &[heading, t.t("qa.evidence")])?;
            for p in points {
                row += 1;
                let evidence: Vec<String> = p.evidence.iter().map(|e| label(e)).collect();
                ws.write_string(row, 0, safe(&p.text))?;
                ws.write_string(row, 1, safe(&evidence.join("; ")))?;
            }
            row += 2;
        }
        headings(
            &mut ws,
            row,
            &[
                t.t("qa.agent"),
                t.t("qa.item"),
                t.t("qa.inspector"),
                t.t("qa.total"),
                t.t("qa.state"),
            ],
        )?;
        for v in &s.inspections {
            row += 1;
            let item = format!("{} · {}", t.label("qa_kind", &v.kind), v.title);
            ws.write_string(row, 0, safe(&v.agent.name))?;
            ws.write_string(row, 1, safe(&item))?;
            ws.write_string(row, 2, safe(&v.inspector.name))?;
            if let Some(total) = v.total {
                ws.write_number(row, 3, total)?;
            }
            ws.write_string(row, 4, safe(t.label("qa_state", &v.state)))?;
        }
        ws.set_column_width(0, 40)?;
        ws.set_column_width(1, 40)?;
        book(ws)
    };
    write().map_err(internal)
}
