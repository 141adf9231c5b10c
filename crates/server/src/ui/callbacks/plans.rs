//! The callback plans page: each plan as an editable row (periodic by tier, care dates,
//! renewal reminders), a form for a new one, and the policy (follow-up hours, retry
//! policy, after-sale ticket types). Editing needs `callback.manage`; viewing
//! `callback.view`.

use super::super::{render, Chrome, Page, UiError};
use crate::app::callbacks::plans::{self, PlanPayload, PlanView, SettingsView};
use crate::error::AppError;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::callback::{Period, PlanKind};
use kefu_domain::ticket::TicketType;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<crate::state::AppState> {
    Router::new()
        .route("/callbacks/plans", get(page_get).post(save_plan))
        .route("/callbacks/settings", post(save_settings))
}

#[derive(Template)]
#[template(path = "callbacks_plans.html")]
struct PlansPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    plans: Vec<PlanView>,
    settings: SettingsView,
    kinds: Vec<(String, String)>,
    periods: Vec<(String, String)>,
    tiers: Vec<String>,
    types: Vec<(String, String, bool)>,
    can_manage: bool,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Flags {
    #[serde(default)]
    saved: String,
}

async fn show(page: &Page, saved: bool, error: Option<String>) -> Result<Response, UiError> {
    let st = &page.state;
    let ctx = &page.ctx;
    let plans = plans::list(st, ctx).await.map_err(|e| page.error(e))?;
    let settings = plans::settings(st, ctx).await.map_err(|e| page.error(e))?;
    let tiers = st
        .db()
        .list_tiers()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|t| t.code)
        .collect();
    let t = page.t();
    Ok(render(&PlansPage {
        kinds: t.options("plan_kind", PlanKind::ALL.iter().map(|k| k.code())),
        periods: t.options("callback_period", Period::ALL.iter().map(|p| p.code())),
        types: t
            .options("ticket_type", TicketType::ALL.iter().map(|x| x.code()))
            .into_iter()
            .map(|(code, label)| {
                let on = settings.after_sale_types.contains(&code);
                (code, label, on)
            })
            .collect(),
        tiers,
        plans,
        settings,
        can_manage: ctx.can(Permission::CallbackManage),
        chrome: page.chrome("callbacks"),
        t,
        saved,
        error,
    }))
}

async fn page_get(page: Page, Query(f): Query<Flags>) -> Result<Response, UiError> {
    show(&page, !f.saved.is_empty(), None).await
}

#[derive(Deserialize, Default)]
struct PlanForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    holidays: Option<String>,
    #[serde(default)]
    special_dates: String,
    #[serde(default)]
    lead_days: String,
    #[serde(default)]
    script: String,
    #[serde(default)]
    active: Option<String>,
}

fn some(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

fn invalid(field: &'static str, e: impl std::fmt::Display) -> AppError {
    AppError::invalid_field("out_of_range", field, format!("{field}: {e}"))
}

async fn save_plan(page: Page, Form(f): Form<PlanForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let lead_days = match f.lead_days.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|e| invalid("lead_days", e)),
    };
    let result = match lead_days {
        Ok(lead_days) => {
            let p = PlanPayload {
                kind: f.kind.clone(),
                name: f.name.clone(),
                tier: some(&f.tier),
                period: some(&f.period),
                holidays: Some(f.holidays.is_some()),
                special_dates: some(&f.special_dates),
                lead_days,
                script: some(&f.script),
                active: Some(f.active.is_some()),
            };
            let id = some(&f.id);
            plans::save(&page.state, &page.ctx, id.as_deref(), &p).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/callbacks/plans?saved=1").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => {
            show(&page, false, Some(e.to_string())).await
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize, Default)]
struct SettingsForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    follow_up_hours: String,
    #[serde(default)]
    unreachable_retry_minutes: String,
    #[serde(default)]
    busy_retry_minutes: String,
    #[serde(default)]
    max_attempts: String,
    #[serde(default)]
    after_sale_types: Vec<String>,
    #[serde(default)]
    after_sale_delay_hours: String,
}

async fn save_settings(page: Page, Form(f): Form<SettingsForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let num =
        |field: &'static str, raw: &str| raw.trim().parse::<i64>().map_err(|e| invalid(field, e));
    let parsed = (|| {
        Ok::<_, AppError>(SettingsView {
            follow_up_hours: num("follow_up_hours", &f.follow_up_hours)?,
            unreachable_retry_minutes: num(
                "unreachable_retry_minutes",
                &f.unreachable_retry_minutes,
            )?,
            busy_retry_minutes: num("busy_retry_minutes", &f.busy_retry_minutes)?,
            max_attempts: num("max_attempts", &f.max_attempts)?,
            after_sale_types: f.after_sale_types.clone(),
            after_sale_delay_hours: num("after_sale_delay_hours", &f.after_sale_delay_hours)?,
        })
    })();
    let result = match parsed {
        Ok(s) => plans::save_settings(&page.state, &page.ctx, &s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/callbacks/plans?saved=1").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => {
            show(&page, false, Some(e.to_string())).await
        }
        Err(e) => Err(page.error(e)),
    }
}
