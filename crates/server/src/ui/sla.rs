//! The SLA policy settings page (服务时限): the policies with their criteria and targets,
//! a form to add or change one, and a preview of which policy a work order would get
//! and when its targets would fall due. Changes need `service.configure`.

use super::{render, Chrome, Page, UiError};
use crate::app::sla::{self as app, PreviewParams, SlaPolicyPayload, SlaPolicyView, SlaPreview};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::sla::{SlaCalendar, DEFAULT_REPLY_PROMISE_MINUTES};
use kefu_domain::ticket::{Priority, TicketStatus, TicketType};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/sla", get(sla_page).post(create_policy))
        .route("/settings/sla/{id}", post(update_policy))
        .route("/settings/sla/{id}/delete", post(delete_policy))
}

/// The form's current values (empty for a new policy).
#[derive(Default)]
pub struct PolicyForm {
    action: String,
    name: String,
    ticket_type: String,
    priority: String,
    tier: String,
    calendar: String,
    first_response: String,
    reply_promise: String,
    resolution: String,
    pause: Vec<String>,
    active: bool,
}

#[derive(Template)]
#[template(path = "settings_sla.html")]
struct SlaPageT<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    policies: Vec<SlaPolicyView>,
    form: PolicyForm,
    editing: bool,
    types: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    tiers: Vec<(String, String)>,
    calendars: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    preview: Option<SlaPreview>,
    p_type: String,
    p_priority: String,
    p_tier: String,
    can_configure: bool,
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    /// The policy to edit.
    edit: Option<String>,
    #[serde(rename = "type")]
    p_type: Option<String>,
    priority: Option<String>,
    tier: Option<String>,
}

fn form_of(p: &SlaPolicyView) -> PolicyForm {
    PolicyForm {
        action: format!("/settings/sla/{}", p.id),
        name: p.name.clone(),
        ticket_type: p.ticket_type.clone().unwrap_or_default(),
        priority: p.priority.clone().unwrap_or_default(),
        tier: p.tier.clone().unwrap_or_default(),
        calendar: p.calendar.clone(),
        first_response: p.first_response_minutes.to_string(),
        reply_promise: p.reply_promise_minutes.to_string(),
        resolution: p.resolution_minutes.to_string(),
        pause: p.pause_statuses.clone(),
        active: p.active,
    }
}

async fn sla_page(page: Page, Query(q): Query<PageQuery>) -> Result<Response, UiError> {
    let (state, ctx) = (&page.state, &page.ctx);
    let policies = app::policies(state, ctx).await.map_err(|e| page.error(e))?;
    let can_configure = ctx.can(Permission::ServiceConfigure);
    let editing = q.edit.as_deref().filter(|_| can_configure);
    let form = match editing {
        Some(id) => form_of(
            policies
                .iter()
                .find(|p| p.id == id)
                .ok_or_else(|| page.error(AppError::NotFound("SLA policy")))?,
        ),
        None => PolicyForm {
            action: "/settings/sla".into(),
            calendar: SlaCalendar::Working.code().into(),
            reply_promise: DEFAULT_REPLY_PROMISE_MINUTES.to_string(),
            pause: vec![TicketStatus::WaitingCustomer.code().into()],
            active: true,
            ..Default::default()
        },
    };
    let preview = match q.p_type.as_deref().filter(|s| !s.is_empty()) {
        Some(ticket_type) => {
            let params = PreviewParams {
                ticket_type: ticket_type.to_string(),
                priority: q.priority.clone(),
                tier: q.tier.clone(),
                from: None,
            };
            Some(
                app::preview(state, ctx, &params)
                    .await
                    .map_err(|e| page.error(e))?,
            )
        }
        None => None,
    };
    let tiers = state
        .db()
        .list_tiers()
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = page.t();
    let body = SlaPageT {
        chrome: page.chrome("settings"),
        policies,
        form,
        editing: editing.is_some(),
        types: t.options("ticket_type", TicketType::ALL.iter().map(|x| x.code())),
        priorities: t.options("priority", Priority::ALL.iter().map(|x| x.code())),
        tiers: tiers.into_iter().map(|x| (x.code, x.name)).collect(),
        calendars: t.options("sla.calendar", SlaCalendar::ALL.iter().map(|x| x.code())),
        statuses: t.options(
            "ticket_status",
            TicketStatus::ALL
                .iter()
                .filter(|s| s.is_open())
                .map(|x| x.code()),
        ),
        preview,
        p_type: q.p_type.unwrap_or_default(),
        p_priority: q.priority.unwrap_or_default(),
        p_tier: q.tier.unwrap_or_default(),
        can_configure,
        t,
    };
    Ok(render(&body))
}

#[derive(Debug, Deserialize)]
struct PolicyFormData {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    ticket_type: String,
    priority: String,
    tier: String,
    calendar: String,
    first_response_minutes: String,
    reply_promise_minutes: String,
    resolution_minutes: String,
    #[serde(default)]
    pause_statuses: Vec<String>,
    active: Option<String>,
}

fn minutes(page: &Page, field: &'static str, v: &str) -> Result<i64, UiError> {
    v.trim().parse().map_err(|_| {
        page.error(AppError::invalid(
            "invalid_target",
            format!("{field} must be a number of minutes"),
        ))
    })
}

fn payload(page: &Page, f: PolicyFormData) -> Result<SlaPolicyPayload, UiError> {
    Ok(SlaPolicyPayload {
        first_response_minutes: minutes(page, "first_response_minutes", &f.first_response_minutes)?,
        reply_promise_minutes: Some(minutes(
            page,
            "reply_promise_minutes",
            &f.reply_promise_minutes,
        )?),
        resolution_minutes: minutes(page, "resolution_minutes", &f.resolution_minutes)?,
        name: f.name,
        ticket_type: Some(f.ticket_type),
        priority: Some(f.priority),
        tier: Some(f.tier),
        calendar: Some(f.calendar),
        pause_statuses: Some(f.pause_statuses),
        active: Some(f.active.is_some()),
    })
}

async fn create_policy(page: Page, Form(f): Form<PolicyFormData>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = payload(&page, f)?;
    app::create(&page.state, &page.ctx, &p)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/settings/sla").into_response())
}

async fn update_policy(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PolicyFormData>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = payload(&page, f)?;
    app::replace(&page.state, &page.ctx, &id, &p)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/settings/sla").into_response())
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn delete_policy(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::delete(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/settings/sla").into_response())
}
