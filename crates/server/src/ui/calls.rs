//! The call log (通话记录) and one call: its events as the CTI sent them, the identity
//! check, the work order it belongs to, and the recording.

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::calls::{
    self as app, call_view, CallDetail, CallListParams, CallView, IdentityCheckPayload,
    TicketLinkPayload,
};
use crate::app::page_limit;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::call::CallState;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calls", get(log_page))
        .route("/calls/{id}", get(detail_page))
        .route("/calls/{id}/identity-check", post(identity_check))
        .route("/calls/{id}/ticket", post(attach_ticket))
}

/// A call row made readable: local times, labels for the codes.
pub struct CallLine {
    pub v: CallView,
    pub started: String,
    pub state_label: String,
    pub queue_label: String,
    pub duration: String,
}

fn line_of(t: &Tr<'_>, v: CallView) -> CallLine {
    let short = |s: &str| s.replace('T', " ").trim_end_matches("+08:00").to_string();
    CallLine {
        started: short(&v.started_at),
        state_label: t.label("call_state", &v.state).to_string(),
        queue_label: v.queue.clone().unwrap_or_default(),
        duration: v
            .duration_s
            .map(|d| format!("{}:{:02}", d / 60, d % 60))
            .unwrap_or_default(),
        v,
    }
}

#[derive(Template)]
#[template(path = "calls_list.html")]
struct LogPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<CallLine>,
    next_cursor: Option<String>,
    agents: Vec<(String, String)>,
    states: Vec<(String, String)>,
    f_agent: String,
    f_state: String,
    f_queue: String,
    f_from: String,
    f_to: String,
    filter_query: String,
}

async fn log_page(page: Page, Query(p): Query<CallListParams>) -> Result<Response, UiError> {
    let filter = p.filter().map_err(|e| page.error(e))?;
    let rows = app::list(
        &page.state,
        &page.ctx,
        &filter,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await
    .map_err(|e| page.error(e))?;
    let users = page
        .state
        .db()
        .list_users()
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = page.t();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let filter_query = query_string(&[
        ("agent_id", &s(&p.agent_id)),
        ("state", &s(&p.state)),
        ("queue", &s(&p.queue)),
        ("from", &s(&p.from)),
        ("to", &s(&p.to)),
    ]);
    let body = LogPage {
        items: rows
            .items
            .iter()
            .map(|r| line_of(&t, call_view(r)))
            .collect(),
        next_cursor: rows.next_cursor,
        agents: users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        states: t.options("call_state", CallState::ALL.iter().map(|s| s.code())),
        f_agent: s(&p.agent_id),
        f_state: s(&p.state),
        f_queue: s(&p.queue),
        f_from: s(&p.from),
        f_to: s(&p.to),
        filter_query,
        chrome: page.chrome("calls"),
        t,
    };
    Ok(render(&body))
}

#[derive(Template)]
#[template(path = "call_detail.html")]
struct DetailPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    line: CallLine,
    d: CallDetail,
    hangup_label: String,
    identity_label: String,
    identity_method_label: String,
    suggestions: crate::app::search::Suggestions,
}

async fn detail_page(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    let d = app::detail(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let c = &d.call;
    let hangup_label = c
        .hangup_side
        .as_deref()
        .map(|h| t.label("hangup", h).to_string())
        .unwrap_or_default();
    let (identity_label, identity_method_label) = match &c.identity_check {
        Some(i) => (
            t.label("identity", &i.result).to_string(),
            i.method
                .as_deref()
                .map(|m| t.label("identity_method", m).to_string())
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    // Suggestions help but never block the call page.
    let suggestions = crate::app::search::suggestions_for_call(&page.state, &page.ctx, &d.call)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no suggestions for the call page");
            Default::default()
        });
    let body = DetailPage {
        suggestions,
        line: line_of(&t, d.call.clone()),
        d,
        hangup_label,
        identity_label,
        identity_method_label,
        chrome: page.chrome("calls"),
        t,
    };
    Ok(render(&body))
}

#[derive(Deserialize)]
struct IdentityForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    result: String,
    method: String,
}

async fn identity_check(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<IdentityForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let payload = IdentityCheckPayload {
        result: form.result,
        method: form.method,
    };
    app::identity_check(&page.state, &page.ctx, &id, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/calls/{id}")).into_response())
}

#[derive(Deserialize)]
struct TicketForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    ticket_id: String,
}

async fn attach_ticket(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<TicketForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let payload = TicketLinkPayload {
        ticket_id: form.ticket_id,
    };
    app::attach_ticket(&page.state, &page.ctx, &id, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/calls/{id}")).into_response())
}
