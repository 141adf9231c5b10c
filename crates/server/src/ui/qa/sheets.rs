//! The evaluation sheet (`/qa/sheet`: 服务质量综合考评表, one agent and month), the monthly
//! QA report (`/qa/report`) and the weekly summary (`/qa/week`: common problems and the
//! training plan, each point linked to inspections of the week). Each links its XLSX.

use super::{rows, Row};
use crate::app::qa::sheets::{
    self, MonthlyReport, PointPayload, SheetView, SummaryPayload, SummaryView,
};
use crate::app::qa::{sees_all, Month};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/qa/sheet", get(sheet_page))
        .route("/qa/report", get(report_page))
        .route("/qa/week", get(week_page).post(week_save))
}

#[derive(Deserialize, Default)]
struct SheetQuery {
    agent: Option<String>,
    month: Option<String>,
}

#[derive(Template)]
#[template(path = "qa_sheet.html")]
struct SheetPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    s: SheetView,
    rows: Vec<Row>,
    agents: Vec<(String, String)>,
    sees_all: bool,
}

async fn sheet_page(page: Page, Query(q): Query<SheetQuery>) -> Result<Response, UiError> {
    let month = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => Month::of(page.state.clock().now()).code,
    };
    let agent = q
        .agent
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "me".into());
    let s = sheets::agent_sheet(&page.state, &page.ctx, &agent, &month)
        .await
        .map_err(|e| page.error(e))?;
    let all = sees_all(&page.ctx);
    let agents = if all {
        let db = page.state.db();
        let scope: Vec<String> = db
            .department_scope(&page.ctx.departments)
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .collect();
        db.department_staff(&scope)
            .await
            .map_err(|e| page.error(e.into()))?
    } else {
        Vec::new()
    };
    let t = page.t();
    Ok(render(&SheetPage {
        chrome: page.chrome("qa"),
        rows: rows(&t, s.inspections.clone()),
        agents,
        sees_all: all,
        s,
        t,
    }))
}

#[derive(Template)]
#[template(path = "qa_report.html")]
struct ReportPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    r: MonthlyReport,
}

async fn report_page(page: Page, Query(q): Query<SheetQuery>) -> Result<Response, UiError> {
    let month = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => Month::of(page.state.clock().now()).code,
    };
    let r = sheets::monthly_report(&page.state, &page.ctx, &month)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&ReportPage {
        chrome: page.chrome("qa"),
        t: page.t(),
        r,
    }))
}

/// A point on the form: its text and which of the week's inspections it links to.
pub struct PointForm {
    pub n: usize,
    pub text: String,
    /// The week's inspections: (id, label, linked).
    pub options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "qa_week.html")]
struct WeekPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    s: SummaryView,
    rows: Vec<Row>,
    problems: Vec<PointForm>,
    training: Vec<PointForm>,
    can_write: bool,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct WeekQuery {
    week: Option<String>,
    saved: Option<String>,
}

/// The points shown: the stored ones and three empty lines to add more.
fn forms(points: &[PointPayload], week: &[Row]) -> Vec<PointForm> {
    points
        .iter()
        .map(|p| (p.text.clone(), p.evidence.clone()))
        .chain(std::iter::repeat_n((String::new(), Vec::new()), 3))
        .enumerate()
        .map(|(n, (text, evidence))| PointForm {
            n,
            text,
            options: week
                .iter()
                .map(|r| {
                    (
                        r.v.id.clone(),
                        format!("{} · {}", r.v.agent.name, r.v.title),
                        evidence.contains(&r.v.id),
                    )
                })
                .collect(),
        })
        .collect()
}

async fn show_week(
    page: &Page,
    week: &str,
    error: Option<String>,
    typed: Option<SummaryPayload>,
    saved: bool,
) -> Result<Response, UiError> {
    let s = sheets::summary(&page.state, &page.ctx, week)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let week_rows = rows(&t, s.inspections.clone());
    let (problems, training) = match &typed {
        Some(p) => (
            forms(&p.problems, &week_rows),
            forms(&p.training, &week_rows),
        ),
        None => (
            forms(&s.problems, &week_rows),
            forms(&s.training, &week_rows),
        ),
    };
    Ok(render(&WeekPage {
        chrome: page.chrome("qa"),
        rows: week_rows,
        problems,
        training,
        can_write: page.ctx.can(Permission::QaInspect),
        error,
        saved,
        s,
        t,
    }))
}

async fn week_page(page: Page, Query(q): Query<WeekQuery>) -> Result<Response, UiError> {
    let week = match q.week.filter(|w| !w.is_empty()) {
        Some(w) => w,
        None => page
            .state
            .clock()
            .now()
            .with_timezone(&crate::app::qa::center_offset())
            .format("%Y-%m-%d")
            .to_string(),
    };
    show_week(&page, &week, None, None, q.saved.is_some()).await
}

/// Reads `problem_text_N` / `problem_ev_N` (and `training_…`) pairs into points.
fn points_of(pairs: &[(String, String)], prefix: &str) -> Vec<PointPayload> {
    let mut out: Vec<PointPayload> = Vec::new();
    for n in 0..40 {
        let text = crate::ui::form_field(pairs, &format!("{prefix}_text_{n}"));
        let key = format!("{prefix}_ev_{n}");
        let evidence: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .collect();
        if !text.trim().is_empty() || !evidence.is_empty() {
            out.push(PointPayload { text, evidence });
        }
    }
    out
}

async fn week_save(
    page: Page,
    Query(q): Query<WeekQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&crate::ui::form_field(&pairs, "_csrf"))?;
    let week = q.week.unwrap_or_default();
    let p = SummaryPayload {
        problems: points_of(&pairs, "problem"),
        training: points_of(&pairs, "training"),
    };
    match sheets::save_summary(&page.state, &page.ctx, &week, &p).await {
        Ok(s) => Ok(Redirect::to(&format!("/qa/week?week={}&saved=1", s.week)).into_response()),
        Err(e @ crate::error::AppError::InvalidField { .. }) => {
            show_week(&page, &week, Some(e.to_string()), Some(p), false).await
        }
        Err(e) => Err(page.error(e)),
    }
}
