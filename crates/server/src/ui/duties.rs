//! The duty pages: my duties (我的职责: overdue first and highlighted, then today's and the
//! coming days', each completed with what it delivered) and the lead's overdue duties
//! (逾期职责: everyone's, longest overdue first).

use super::org::cadence_label;
use super::{query_string, render, shown_on_form, Chrome, Page, UiError};
use crate::app::duties::{self as app, CompletePayload, DeliverablePayload, DutyTaskView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::org::Cadence;
use kefu_domain::Permission;
use kefu_store::duties::DutyStatus;
use serde::Deserialize;

/// The most open tasks "my duties" shows (a week ahead is a few dozen).
const MINE_LIMIT: usize = 200;
/// Recently completed tasks shown under them.
const DONE_LIMIT: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/duties", get(mine_page))
        .route("/duties/overdue", get(overdue_page))
        .route("/duties/{id}/complete", post(complete))
}

/// A task as a row: the task and its cadence in words.
struct Line {
    s: DutyTaskView,
    cadence: String,
}

fn lines(t: &Tr<'_>, items: Vec<DutyTaskView>) -> Vec<Line> {
    items
        .into_iter()
        .map(|s| Line {
            cadence: Cadence::parse(&s.cadence)
                .map(|c| cadence_label(t, &c))
                .unwrap_or_else(|_| s.cadence.clone()),
            s,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "duties_mine.html")]
struct MinePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    overdue: Vec<Line>,
    today: Vec<Line>,
    upcoming: Vec<Line>,
    done: Vec<Line>,
    /// The task a refused completion was for, with the reason.
    error: Option<(String, String)>,
    completed: bool,
    can_view_all: bool,
}

#[derive(Deserialize, Default)]
struct MineQuery {
    done: Option<String>,
}

async fn render_mine(
    page: &Page,
    completed: bool,
    error: Option<(String, String)>,
) -> Result<Response, UiError> {
    let open = app::mine(
        &page.state,
        &page.ctx,
        DutyStatus::Open,
        Some(MINE_LIMIT),
        None,
    )
    .await
    .map_err(|e| page.error(e))?;
    let done = app::mine(
        &page.state,
        &page.ctx,
        DutyStatus::Done,
        Some(DONE_LIMIT),
        None,
    )
    .await
    .map_err(|e| page.error(e))?;
    let today = crate::app::logs::today(&page.state).to_string();
    let t = page.t();
    let (mut overdue, mut due_today, mut upcoming) = (Vec::new(), Vec::new(), Vec::new());
    for l in lines(&t, open.items) {
        if l.s.overdue {
            overdue.push(l);
        } else if l.s.due_short.starts_with(&today) {
            due_today.push(l);
        } else {
            upcoming.push(l);
        }
    }
    Ok(render(&MinePage {
        chrome: page.chrome("duties"),
        done: lines(&t, done.items),
        t,
        overdue,
        today: due_today,
        upcoming,
        error,
        completed,
        can_view_all: page.ctx.can(Permission::ReportView),
    }))
}

async fn mine_page(page: Page, Query(q): Query<MineQuery>) -> Result<Response, UiError> {
    render_mine(&page, q.done.is_some(), None).await
}

#[derive(Deserialize)]
struct CompleteForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(rename = "ref", default)]
    reference: String,
    #[serde(default)]
    note: String,
}

async fn complete(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CompleteForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let payload = CompletePayload {
        deliverable: (!f.kind.trim().is_empty()).then(|| DeliverablePayload {
            kind: f.kind.clone(),
            reference: f.reference.clone(),
        }),
        note: Some(f.note),
    };
    match app::complete(&page.state, &page.ctx, &id, &payload).await {
        Ok(_) => Ok(Redirect::to("/duties?done=1").into_response()),
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let mut r = render_mine(&page, false, Some((id, e.to_string()))).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Template)]
#[template(path = "duties_overdue.html")]
struct OverduePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<Line>,
    /// `(id, name)` of the people with overdue duties on this page, for the filter.
    people: Vec<(String, String)>,
    user: String,
    next_query: Option<String>,
}

#[derive(Deserialize, Default)]
struct OverdueQuery {
    user: Option<String>,
    cursor: Option<String>,
}

async fn overdue_page(page: Page, Query(q): Query<OverdueQuery>) -> Result<Response, UiError> {
    if !page.ctx.can(Permission::ReportView) {
        return Err(page.error(AppError::Forbidden(Permission::ReportView)));
    }
    let user = q.user.unwrap_or_default();
    let status = DutyStatus::Overdue(page.state.clock().now());
    let list = app::list(
        &page.state,
        &page.ctx,
        status,
        Some(&user),
        Some(100),
        q.cursor.as_deref(),
    )
    .await
    .map_err(|e| page.error(e))?;
    let mut people: Vec<(String, String)> = list
        .items
        .iter()
        .map(|s| (s.user_id.clone(), s.user_name.clone()))
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    people.dedup();
    let next_query = list
        .next_cursor
        .as_deref()
        .map(|c| query_string(&[("user", &user), ("cursor", c)]));
    let t = page.t();
    Ok(render(&OverduePage {
        chrome: page.chrome("duties"),
        items: lines(&t, list.items),
        t,
        people,
        user,
        next_query,
    }))
}
