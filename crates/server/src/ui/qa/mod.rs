//! Quality inspection pages: the inspector's sample list with the month's sample and the
//! items to add by hand (`/qa`), the scoring page with the audio player
//! (`/qa/inspections/{id}`, see [`inspection`]), the agent's own results with the appeal
//! (`/qa/mine`), the evaluation sheet, the monthly report and the weekly summary
//! ([`sheets`]).

mod inspection;
mod settings;
mod sheets;

use super::{render, Chrome, Page, UiError};
use crate::app::qa::inspections::{self, AddPayload, InspectionView, ListQuery};
use crate::app::qa::sampling::{self, SampleView};
use crate::app::qa::{sees_all, Month};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::qa::Reason;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/qa", get(list_page))
        .route("/qa/sample", post(draw))
        .route("/qa/add", post(add))
        .route("/qa/mine", get(mine_page))
        .merge(inspection::routes())
        .merge(sheets::routes())
        .merge(settings::routes())
}

/// "投诉、14 分钟通话" — why the sample chose an item.
pub fn reasons_text(t: &Tr<'_>, reasons: &[Reason]) -> String {
    if reasons.is_empty() {
        return t.t("qa_reason.by_hand").to_string();
    }
    reasons
        .iter()
        .map(|r| match r {
            Reason::Complaint => t.t("qa_reason.complaint").to_string(),
            Reason::LongCall { secs } => t.f(
                "qa_reason.long_call",
                &[("minutes", &(secs / 60).to_string())],
            ),
            Reason::LowSatisfaction { score } => t.f(
                "qa_reason.low_satisfaction",
                &[("score", &score.to_string())],
            ),
            Reason::Flagged { count } => t.f("qa_reason.flagged", &[("count", &count.to_string())]),
            Reason::Random => t.t("qa_reason.random").to_string(),
        })
        .collect::<Vec<_>>()
        .join(t.t("qa.list_separator"))
}

/// One inspection as a list row shows it.
pub struct Row {
    pub v: InspectionView,
    pub reasons: String,
    pub when: String,
}

pub fn rows(t: &Tr<'_>, views: Vec<InspectionView>) -> Vec<Row> {
    views
        .into_iter()
        .map(|v| Row {
            reasons: reasons_text(t, &v.reasons),
            when: v
                .occurred_at
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            v,
        })
        .collect()
}

/// An item the inspector may add by hand.
pub struct ItemLine {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub agent: String,
    pub when: String,
    pub flag_text: String,
    pub complaint: bool,
}

#[derive(Template)]
#[template(path = "qa_list.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    month: String,
    mine: Vec<Row>,
    can_manage: bool,
    can_inspect: bool,
    samples: Vec<SampleView>,
    /// "Drawn: N inspections".
    sample_note: String,
    items: Vec<ItemLine>,
    error: Option<String>,
    done: Option<String>,
    /// The month's inspections, for their export.
    export_query: String,
}

#[derive(Deserialize, Default)]
struct MonthParam {
    month: Option<String>,
    done: Option<String>,
}

async fn show(
    page: &Page,
    month: Option<&str>,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, UiError> {
    if !sees_all(&page.ctx) {
        return Ok(Redirect::to("/qa/mine").into_response());
    }
    let month = match month {
        Some(m) => Month::parse(m).map_err(|e| page.error(e))?,
        None => Month::of(page.state.clock().now()),
    };
    let t = page.t();
    let q = ListQuery {
        month: Some(month.code.clone()),
        inspector: Some("me".into()),
        ..Default::default()
    };
    let mine = inspections::list(&page.state, &page.ctx, &q)
        .await
        .map_err(|e| page.error(e))?;
    let can_manage = page.ctx.can(Permission::QaManage);
    let can_inspect = page.ctx.can(Permission::QaInspect);
    let samples = if can_manage {
        sampling::list(&page.state, &page.ctx, &month.code)
            .await
            .map_err(|e| page.error(e))?
    } else {
        Vec::new()
    };
    let items = if can_inspect {
        let db = page.state.db();
        crate::app::qa::checks::refresh(
            &page.state,
            &month,
            crate::app::qa::checks::Unmaintained::ShowAsIs,
        )
        .await
        .map_err(|e| page.error(e))?;
        db.list_qa_items(&month.code, None, true, 50)
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .filter(|i| i.agent_id != page.ctx.user_id)
            .map(|i| ItemLine {
                when: crate::app::short_time(i.occurred_at),
                id: i.id,
                kind: i.kind,
                title: i.title,
                agent: i.agent_name,
                flag_text: t.f("qa_reason.flagged", &[("count", &i.flags.to_string())]),
                complaint: i.complaint != 0,
            })
            .collect()
    } else {
        Vec::new()
    };
    let sample_note = samples
        .first()
        .map(|s| t.f("qa.sample_done", &[("count", &s.chosen.to_string())]))
        .unwrap_or_default();
    Ok(render(&ListPage {
        chrome: page.chrome("qa"),
        export_query: crate::ui::query_string(&[("month", &month.code)]),
        sample_note,
        month: month.code,
        mine: rows(&t, mine),
        can_manage,
        can_inspect,
        samples,
        items,
        error,
        done,
        t,
    }))
}

async fn list_page(page: Page, Query(q): Query<MonthParam>) -> Result<Response, UiError> {
    let done = q
        .done
        .map(|d| page.t().t(&format!("qa_done.{d}")).to_string());
    show(&page, q.month.as_deref(), None, done).await
}

#[derive(Deserialize)]
struct DrawForm {
    _csrf: String,
    month: String,
}

async fn draw(page: Page, Form(f): Form<DrawForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    match sampling::draw(&page.state, &page.ctx, &f.month).await {
        Ok(s) => Ok(Redirect::to(&format!("/qa?month={}&done=sampled", s.month)).into_response()),
        Err(e) => {
            let msg = e.to_string();
            show(&page, Some(&f.month), Some(msg), None).await
        }
    }
}

#[derive(Deserialize)]
struct AddForm {
    _csrf: String,
    item_id: String,
    month: String,
}

async fn add(page: Page, Form(f): Form<AddForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = AddPayload {
        item_id: f.item_id,
        inspector_id: None,
    };
    match inspections::add(&page.state, &page.ctx, &p).await {
        Ok(v) => Ok(Redirect::to(&format!("/qa/inspections/{}", v.id)).into_response()),
        Err(e) => {
            let msg = e.to_string();
            show(&page, Some(&f.month), Some(msg), None).await
        }
    }
}

#[derive(Template)]
#[template(path = "qa_mine.html")]
struct MinePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    month: String,
    items: Vec<Row>,
}

/// The agent's own published results (every agent has this page).
async fn mine_page(page: Page, Query(q): Query<MonthParam>) -> Result<Response, UiError> {
    let month = match q.month.as_deref() {
        Some(m) => Month::parse(m).map_err(|e| page.error(e))?,
        None => Month::of(page.state.clock().now()),
    };
    let lq = ListQuery {
        month: Some(month.code.clone()),
        agent: Some("me".into()),
        ..Default::default()
    };
    let mut mine = inspections::list(&page.state, &page.ctx, &lq)
        .await
        .map_err(|e| page.error(e))?;
    // Inspectors see drafts in lists; an agent's own page shows only what was published.
    mine.retain(|v| v.state != "draft");
    let t = page.t();
    Ok(render(&MinePage {
        chrome: page.chrome("qa"),
        month: month.code,
        items: rows(&t, mine),
        t,
    }))
}
