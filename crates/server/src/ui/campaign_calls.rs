//! The agent's calling list of the day (`/campaigns/my`, linked from the workspace): each
//! customer with the filled-in script and an outcome form; and the do-not-call toggle on
//! the customer page.

use super::campaigns::message;
use super::{render, Chrome, Page, UiError};
use crate::app::campaigns::calls::{self, CallPayload, DoNotCall, ListEntry};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::campaign::Outcome;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/my", get(my_list))
        .route(
            "/campaigns/{id}/targets/{customer_id}/call",
            post(record_call),
        )
        .route("/customers/{id}/do-not-call", post(set_do_not_call))
}

/// A refused call form, shown again with what the agent typed.
#[derive(Deserialize, Default, Clone)]
struct CallForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    callback_at: String,
}

struct Line {
    e: ListEntry,
    status_label: String,
    last_outcome_label: String,
    /// The form's values (what was typed, after a refusal).
    form: CallForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "campaign_my_list.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    hint: String,
    lines: Vec<Line>,
    outcomes: Vec<(String, String)>,
    to_call: usize,
    called: usize,
}

async fn render_list(
    page: &Page,
    failed: Option<(&str, &str, CallForm, String)>,
) -> Result<Response, UiError> {
    let list = calls::my_list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let lines: Vec<Line> = list
        .items
        .into_iter()
        .map(|e| {
            let mine = failed
                .as_ref()
                .filter(|(c, k, _, _)| *c == e.campaign_id && *k == e.customer_id);
            Line {
                status_label: t.label("status", &e.customer_status).to_string(),
                last_outcome_label: e
                    .last_outcome
                    .as_deref()
                    .map(|o| t.label("campaign_outcome", o).to_string())
                    .unwrap_or_default(),
                form: mine.map(|f| f.2.clone()).unwrap_or_default(),
                error: mine.map(|f| f.3.clone()),
                e,
            }
        })
        .collect();
    let called = lines.iter().filter(|l| l.e.called_today).count();
    let body = ListPage {
        chrome: page.chrome("workspace"),
        hint: t.f("campaign.my_list_hint", &[("day", &list.day)]),
        to_call: lines.len() - called,
        called,
        lines,
        outcomes: t.options("campaign_outcome", Outcome::ALL.iter().map(|o| o.code())),
        t,
    };
    Ok((status, render(&body)).into_response())
}

async fn my_list(page: Page) -> Result<Response, UiError> {
    render_list(&page, None).await
}

async fn record_call(
    page: Page,
    Path((id, customer_id)): Path<(String, String)>,
    Form(form): Form<CallForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let payload = CallPayload {
        outcome: form.outcome.clone(),
        note: Some(form.note.clone()),
        callback_at: Some(form.callback_at.clone()),
    };
    match calls::record_call(&page.state, &page.ctx, &id, &customer_id, &payload).await {
        Ok(_) => Ok(Redirect::to("/campaigns/my").into_response()),
        Err(e @ (AppError::InvalidField { .. } | AppError::Conflict { .. })) => {
            let t = page.t();
            let text = message(&t, &e);
            render_list(&page, Some((&id, &customer_id, form, text))).await
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct DoNotCallForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    on: String,
}

async fn set_do_not_call(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<DoNotCallForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let p = DoNotCall {
        do_not_call: form.on == "1",
    };
    calls::set_do_not_call(&page.state, &page.ctx, &id, &p)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/customers/{id}")).into_response())
}
