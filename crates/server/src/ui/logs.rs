//! The work log page (工作日志: the day's handled tickets and the agent's own text) and
//! the duty log page (值班日志: a shift's staffing, incidents and handover).

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::logs::{self as app, DutyLogPayload, DutyLogView, WorkLogPayload, WorkLogView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use chrono::NaiveTime;
use kefu_domain::logs::Shift;
use kefu_domain::Permission;
use kefu_store::tickets::local_offset;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/work-log", get(work_log).post(save_work_log))
        .route("/duty-log", get(duty_log).post(save_duty_log))
}

#[derive(Template)]
#[template(path = "work_log.html")]
struct WorkLogPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    log: WorkLogView,
    own: bool,
    saved: bool,
    /// `(id, name)` of the people a supervisor may look at; empty for agents.
    people: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct WorkLogQuery {
    day: Option<String>,
    user_id: Option<String>,
    saved: Option<String>,
}

async fn work_log(page: Page, Query(q): Query<WorkLogQuery>) -> Result<Response, UiError> {
    let day = match q.day.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => app::day(&page.state, d).map_err(|e| page.error(e))?,
        None => app::today(&page.state),
    };
    let log = app::work_log(&page.state, &page.ctx, q.user_id.as_deref(), day)
        .await
        .map_err(|e| page.error(e))?;
    let people = if page.ctx.can(Permission::TicketSupervise) {
        page.state
            .db()
            .list_users()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .filter(|u| u.active != 0)
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(render(&WorkLogPage {
        t: page.t(),
        chrome: page.chrome("workspace"),
        own: log.user_id == page.ctx.user_id,
        saved: q.saved.is_some(),
        log,
        people,
    }))
}

#[derive(Deserialize)]
struct WorkLogForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    text: String,
}

async fn save_work_log(page: Page, Form(f): Form<WorkLogForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let day = app::day(&page.state, &f.day).map_err(|e| page.error(e))?;
    app::save_work_log(
        &page.state,
        &page.ctx,
        day,
        &WorkLogPayload { text: f.text },
    )
    .await
    .map_err(|e| page.error(e))?;
    let q = query_string(&[("day", &f.day), ("saved", "1")]);
    Ok(Redirect::to(&format!("/work-log?{q}")).into_response())
}

pub struct ShiftTab {
    code: &'static str,
    hours: String,
}

#[derive(Template)]
#[template(path = "duty_log.html")]
struct DutyLogPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    day: String,
    shift: &'static str,
    shifts: Vec<ShiftTab>,
    log: Option<DutyLogView>,
    can_write: bool,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct DutyLogQuery {
    day: Option<String>,
    shift: Option<String>,
    saved: Option<String>,
}

async fn duty_log(page: Page, Query(q): Query<DutyLogQuery>) -> Result<Response, UiError> {
    let day = match q.day.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => app::day(&page.state, d).map_err(|e| page.error(e))?,
        None => app::today(&page.state),
    };
    let shift = match q.shift.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => app::shift(s).map_err(|e| page.error(e))?,
        None => Shift::current(
            page.state
                .clock()
                .now()
                .with_timezone(&local_offset())
                .time(),
        ),
    };
    let log = app::duty_log(&page.state, &page.ctx, day, shift)
        .await
        .map_err(|e| page.error(e))?;
    let hm = |t: NaiveTime| t.format("%H:%M").to_string();
    Ok(render(&DutyLogPage {
        t: page.t(),
        chrome: page.chrome("workspace"),
        day: day.format("%Y-%m-%d").to_string(),
        shift: shift.code(),
        shifts: Shift::ALL
            .iter()
            .map(|s| {
                let (from, to) = s.hours();
                ShiftTab {
                    code: s.code(),
                    hours: format!("{}–{}", hm(from), hm(to)),
                }
            })
            .collect(),
        log,
        can_write: page.ctx.can(Permission::TicketSupervise),
        saved: q.saved.is_some(),
    }))
}

#[derive(Deserialize)]
struct DutyLogForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    staffing: String,
    #[serde(default)]
    incidents: String,
    #[serde(default)]
    handover: String,
    #[serde(default)]
    text: String,
}

async fn save_duty_log(page: Page, Form(f): Form<DutyLogForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let day = app::day(&page.state, &f.day).map_err(|e| page.error(e))?;
    let shift = app::shift(&f.shift).map_err(|e| page.error(e))?;
    let payload = DutyLogPayload {
        staffing: f.staffing,
        incidents: f.incidents,
        handover: f.handover,
        text: f.text,
    };
    app::save_duty_log(&page.state, &page.ctx, day, shift, &payload)
        .await
        .map_err(|e| page.error(e))?;
    let q = query_string(&[("day", &f.day), ("shift", shift.code()), ("saved", "1")]);
    Ok(Redirect::to(&format!("/duty-log?{q}")).into_response())
}
