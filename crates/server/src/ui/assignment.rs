//! The assignment tool (`/customers/assign`: choose agents and weights, preview, commit),
//! the agent's first-contact task list (`/contact-tasks`) and recording a contact from
//! the customer page.

use super::{render, Chrome, Page, UiError};
use crate::app::assignment::{
    self as app, AgentLoadView, AssignRequest, AssignmentSettings, ContactPayload, ShareView,
    TaskListParams,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::customer::CustomerStatus;
use kefu_domain::Permission;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/assign", get(show).post(act))
        .route("/customers/assign/settings", post(save_settings))
        .route("/contact-tasks", get(tasks))
        .route("/customers/{id}/contact", post(record_contact))
}

struct AgentLine {
    id: String,
    name: String,
    active: bool,
    checked: bool,
    weight: String,
    customers: i64,
    open_tasks: i64,
}

struct PreviewHead {
    title: String,
}

#[derive(Template)]
#[template(path = "assign.html")]
struct AssignPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    agents: Vec<AgentLine>,
    source: String,
    leaving: String,
    f_tier: String,
    f_status: String,
    tiers: Vec<String>,
    statuses: Vec<(String, String)>,
    preview: Option<PreviewHead>,
    shares: Vec<ShareView>,
    done: Option<String>,
    error: Option<String>,
    contact_days: i64,
}

/// What the assignment form posts. `wid` and `weight` are parallel lists over every
/// agent shown; `agent` holds the ticked ones.
#[derive(Deserialize, Default)]
struct AssignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    leaving_agent_id: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    agent: Vec<String>,
    #[serde(default)]
    wid: Vec<String>,
    #[serde(default)]
    weight: Vec<String>,
}

impl AssignForm {
    fn request(&self) -> AssignRequest {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        AssignRequest {
            agent_ids: self.agent.clone(),
            source: opt(&self.source),
            tier: opt(&self.tier),
            status: opt(&self.status),
            leaving_agent_id: opt(&self.leaving_agent_id),
        }
    }
}

/// An error the page shows in place (bad input), in the page's language when the code
/// has a message of its own.
fn message(t: &Tr<'_>, e: &AppError) -> String {
    let key = format!("assign_error.{}", e.code());
    let translated = t.t(&key);
    if translated.is_empty() {
        e.to_string()
    } else {
        translated.to_string()
    }
}

struct Outcome {
    preview: Option<PreviewHead>,
    shares: Vec<ShareView>,
    done: Option<String>,
    error: Option<String>,
}

async fn render_page(page: &Page, form: &AssignForm, out: Outcome) -> Result<Response, UiError> {
    let t = page.t();
    let state = &page.state;
    let agents = app::agents(state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let checked: HashSet<&str> = form.agent.iter().map(String::as_str).collect();
    let sent: HashMap<&str, &str> = form
        .wid
        .iter()
        .map(String::as_str)
        .zip(form.weight.iter().map(String::as_str))
        .collect();
    let lines = agents
        .into_iter()
        .map(|a: AgentLoadView| AgentLine {
            checked: checked.contains(a.id.as_str()),
            // A weight that was refused stays in its field for correction.
            weight: match (&out.error, sent.get(a.id.as_str())) {
                (Some(_), Some(w)) => w.to_string(),
                _ => a.weight.to_string(),
            },
            id: a.id,
            name: a.name,
            active: a.active,
            customers: a.customers,
            open_tasks: a.open_contact_tasks,
        })
        .collect();
    let tiers = state
        .db()
        .list_tiers()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|t| t.code)
        .collect();
    let contact_days = app::settings(state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .contact_days;
    let status = if out.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = AssignPage {
        chrome: page.chrome("customers"),
        agents: lines,
        source: form.source.clone(),
        leaving: form.leaving_agent_id.clone(),
        f_tier: form.tier.clone(),
        f_status: form.status.clone(),
        tiers,
        statuses: t.options("status", CustomerStatus::ALL.iter().map(|s| s.code())),
        preview: out.preview,
        shares: out.shares,
        done: out.done,
        error: out.error,
        contact_days,
        t,
    };
    Ok((status, render(&body)).into_response())
}

/// `?source=leaving&leaving_agent_id=…` opens the page with that hand-over chosen (the
/// organization page links here for deactivated staff).
#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    source: String,
    #[serde(default)]
    leaving_agent_id: String,
}

async fn show(page: Page, Query(q): Query<ShowQuery>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CustomerAssign)
        .map_err(|e| page.error(e))?;
    let none = Outcome {
        preview: None,
        shares: Vec::new(),
        done: None,
        error: None,
    };
    let form = AssignForm {
        source: q.source,
        leaving_agent_id: q.leaving_agent_id,
        ..AssignForm::default()
    };
    render_page(&page, &form, none).await
}

/// Saves the weights that changed, then previews or commits.
async fn act(page: Page, Form(form): Form<AssignForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let result = run(&page, &form).await;
    let t = page.t();
    let out = match result {
        Ok(out) => out,
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => Outcome {
            preview: None,
            shares: Vec::new(),
            done: None,
            error: Some(message(&t, &e)),
        },
        Err(e) => return Err(page.error(e)),
    };
    render_page(&page, &form, out).await
}

async fn run(page: &Page, form: &AssignForm) -> Result<Outcome, AppError> {
    let (state, ctx) = (&page.state, &page.ctx);
    let stored: HashMap<String, i64> = app::agents(state, ctx)
        .await?
        .into_iter()
        .map(|a| (a.id, a.weight))
        .collect();
    for (id, raw) in form.wid.iter().zip(&form.weight) {
        let weight: i64 = raw.trim().parse().map_err(|_| {
            AppError::invalid_field("invalid_weight", "weight", format!("bad weight {raw:?}"))
        })?;
        app::parse_weight(weight)?;
        if stored.get(id).is_some_and(|w| *w != weight) {
            app::set_weight(state, ctx, id, weight).await?;
        }
    }
    let req = form.request();
    let t = page.t();
    if form.op == "commit" {
        let done = app::commit(state, ctx, &req).await?;
        let due = done
            .contact_due_at
            .get(..16)
            .unwrap_or_default()
            .replace('T', " ");
        Ok(Outcome {
            preview: None,
            done: Some(t.f(
                "assign.done",
                &[("n", &done.customers.to_string()), ("due", &due)],
            )),
            shares: done.shares,
            error: None,
        })
    } else {
        let p = app::preview(state, ctx, &req).await?;
        Ok(Outcome {
            preview: Some(PreviewHead {
                title: t.f("assign.preview_title", &[("n", &p.customers.to_string())]),
            }),
            shares: p.shares,
            done: None,
            error: None,
        })
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    contact_days: String,
}

async fn save_settings(page: Page, Form(form): Form<SettingsForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let days = form.contact_days.trim().parse::<i64>().unwrap_or(0);
    match app::save_settings(
        &page.state,
        &page.ctx,
        &AssignmentSettings { contact_days: days },
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/customers/assign").into_response()),
        Err(e @ AppError::InvalidField { .. }) => {
            let t = page.t();
            let out = Outcome {
                preview: None,
                shares: Vec::new(),
                done: None,
                error: Some(message(&t, &e)),
            };
            render_page(&page, &AssignForm::default(), out).await
        }
        Err(e) => Err(page.error(e)),
    }
}

struct TaskLine {
    customer_id: String,
    customer_name: String,
    created_at: String,
    due_at: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "contact_tasks.html")]
struct TasksPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<TaskLine>,
    cursor: String,
    next_cursor: Option<String>,
    can_assign: bool,
}

#[derive(Deserialize)]
struct TasksQuery {
    cursor: Option<String>,
}

async fn tasks(page: Page, Query(q): Query<TasksQuery>) -> Result<Response, UiError> {
    let params = TaskListParams {
        agent_id: None,
        cursor: q.cursor.clone(),
        limit: Some(100),
    };
    let list = app::open_tasks(&page.state, &page.ctx, &params)
        .await
        .map_err(|e| page.error(e))?;
    let body = TasksPage {
        t: page.t(),
        chrome: page.chrome("customers"),
        items: list
            .items
            .into_iter()
            .map(|x| TaskLine {
                customer_id: x.customer_id,
                customer_name: x.customer_name,
                created_at: x.created_at.get(..16).unwrap_or_default().replace('T', " "),
                due_at: x.due_at.get(..16).unwrap_or_default().replace('T', " "),
                overdue: x.overdue,
            })
            .collect(),
        cursor: q.cursor.unwrap_or_default(),
        next_cursor: list.next_cursor,
        can_assign: page.ctx.can(Permission::CustomerAssign),
    };
    Ok(render(&body))
}

#[derive(Deserialize)]
struct ContactForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn record_contact(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let payload = ContactPayload {
        note: Some(form.note),
    };
    app::record_contact(&page.state, &page.ctx, &id, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/customers/{id}")).into_response())
}

/// The lines of the customer page's first-contact section.
pub(super) async fn customer_task_lines(
    page: &Page,
    customer_id: &str,
) -> Result<Vec<CustomerTaskLine>, UiError> {
    let tasks = app::customer_tasks(&page.state, &page.ctx, customer_id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(tasks
        .into_iter()
        .map(|x| CustomerTaskLine {
            agent_name: x.agent_name,
            due_at: x.due_at.get(..16).unwrap_or_default().replace('T', " "),
            overdue: x.overdue,
            state_key: match x.outcome.as_deref() {
                Some(o) => format!("contact_outcome.{o}"),
                None => "contact_tasks.open".into(),
            },
        })
        .collect())
}

pub struct CustomerTaskLine {
    pub agent_name: String,
    pub due_at: String,
    pub overdue: bool,
    pub state_key: String,
}
