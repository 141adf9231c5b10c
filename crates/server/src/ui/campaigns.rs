//! The campaign pages (`campaign.manage`): the list (`/campaigns`), the definition form
//! (`/campaigns/new`, `/campaigns/{id}/edit`) and the campaign page with progress,
//! conversion, per-agent numbers, the status controls and the list import
//! (`/campaigns/{id}`). The agent's calling list is in [`super::campaign_calls`].

use super::{render, Chrome, Page, UiError};
use crate::app::campaigns::{
    self as app, CampaignPayload, CampaignSummary, CampaignView, FilterPayload, ProgressView,
    TargetsPayload,
};
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
use kefu_domain::campaign::{CampaignStatus, Outcome};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaigns/new", get(new_form).post(create))
        .route("/campaigns/{id}", get(show))
        .route("/campaigns/{id}/edit", get(edit_form).post(update))
        .route("/campaigns/{id}/status", post(change_status))
        .route("/campaigns/{id}/targets", post(import))
}

/// An error the page shows in place, in the page's language when the code has a message.
pub(super) fn message(t: &Tr<'_>, e: &AppError) -> String {
    let translated = t.t(&format!("campaign_error.{}", e.code()));
    if translated.is_empty() {
        e.to_string()
    } else {
        translated.to_string()
    }
}

fn is_input_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid { .. } | AppError::InvalidField { .. } | AppError::Conflict { .. }
    )
}

#[derive(Template)]
#[template(path = "campaigns_list.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<CampaignSummary>,
}

async fn list(page: Page) -> Result<Response, UiError> {
    let items = app::list(&page.state, &page.ctx, None)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&ListPage {
        t: page.t(),
        chrome: page.chrome("campaigns"),
        items,
    }))
}

/// What the definition form posts; every field comes back as typed when refused.
#[derive(Deserialize, Default, Clone)]
struct CampaignForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    script: String,
    #[serde(default)]
    daily_quota: String,
    #[serde(default)]
    calling_hours: String,
    #[serde(default)]
    retry_hours: String,
    #[serde(default)]
    max_attempts: String,
    #[serde(default)]
    refusal_do_not_call: Option<String>,
    #[serde(default)]
    convert_to_status: String,
    #[serde(default)]
    use_filter: Option<String>,
    #[serde(default)]
    filter_status: String,
    #[serde(default)]
    filter_tier: String,
    #[serde(default)]
    filter_tag: String,
    #[serde(default)]
    agent: Vec<String>,
}

impl CampaignForm {
    fn defaults() -> Self {
        CampaignForm {
            daily_quota: "30".into(),
            calling_hours: "09:00-20:00".into(),
            retry_hours: "4".into(),
            max_attempts: "3".into(),
            convert_to_status: CustomerStatus::Verified.code().into(),
            use_filter: Some("on".into()),
            filter_status: CustomerStatus::Registered.code().into(),
            ..CampaignForm::default()
        }
    }

    fn of(v: &CampaignView) -> Self {
        let f = v.filter.clone().unwrap_or_default();
        CampaignForm {
            csrf: String::new(),
            name: v.name.clone(),
            script: v.script.clone(),
            daily_quota: v.daily_quota.to_string(),
            calling_hours: v.calling_hours.clone(),
            retry_hours: v.retry_hours.to_string(),
            max_attempts: v.max_attempts.to_string(),
            refusal_do_not_call: v.refusal_do_not_call.then(|| "on".into()),
            convert_to_status: v.convert_to_status.clone().unwrap_or_default(),
            use_filter: v.filter.is_some().then(|| "on".into()),
            filter_status: f.status.unwrap_or_default(),
            filter_tier: f.tier.unwrap_or_default(),
            filter_tag: f.tag.unwrap_or_default(),
            agent: v.agents.iter().map(|a| a.id.clone()).collect(),
        }
    }

    fn payload(&self) -> Result<CampaignPayload, AppError> {
        let number = |raw: &str, field: &'static str, code: &'static str| {
            raw.trim().parse::<i64>().map_err(|_| {
                AppError::invalid_field(code, field, format!("{field} is a whole number"))
            })
        };
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Ok(CampaignPayload {
            name: self.name.clone(),
            script: self.script.clone(),
            daily_quota: number(&self.daily_quota, "daily_quota", "invalid_quota")?,
            calling_hours: self.calling_hours.clone(),
            retry_hours: number(&self.retry_hours, "retry_hours", "invalid_retry_hours")?,
            max_attempts: number(&self.max_attempts, "max_attempts", "invalid_max_attempts")?,
            refusal_do_not_call: self.refusal_do_not_call.is_some(),
            convert_to_status: opt(&self.convert_to_status),
            filter: self.use_filter.is_some().then(|| FilterPayload {
                tier: opt(&self.filter_tier),
                status: opt(&self.filter_status),
                tag: opt(&self.filter_tag),
                owner_id: None,
            }),
            agent_ids: self.agent.clone(),
        })
    }
}

struct AgentOption {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    /// `None` for a new campaign.
    id: Option<String>,
    form: CampaignForm,
    agents: Vec<AgentOption>,
    statuses: Vec<(String, String)>,
    tiers: Vec<String>,
    error: Option<String>,
    error_field: String,
}

async fn render_form(
    page: &Page,
    id: Option<String>,
    form: CampaignForm,
    error: Option<&AppError>,
) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CampaignManage)
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let db = page.state.db();
    let agents = db
        .list_users()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .filter(|u| u.active != 0)
        .map(|u| AgentOption {
            checked: form.agent.contains(&u.id),
            id: u.id,
            name: u.display_name,
        })
        .collect();
    let tiers = db
        .list_tiers()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|t| t.code)
        .collect();
    let body = FormPage {
        chrome: page.chrome("campaigns"),
        id,
        form,
        agents,
        statuses: t.options("status", CustomerStatus::ALL.iter().map(|s| s.code())),
        tiers,
        error: error.map(|e| message(&t, e)),
        error_field: match error {
            Some(AppError::InvalidField { field, .. }) => field.to_string(),
            _ => String::new(),
        },
        t,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&body)).into_response())
}

async fn new_form(page: Page) -> Result<Response, UiError> {
    render_form(&page, None, CampaignForm::defaults(), None).await
}

async fn create(page: Page, Form(form): Form<CampaignForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let result = match form.payload() {
        Ok(p) => app::create(&page.state, &page.ctx, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/campaigns/{}", v.id)).into_response()),
        Err(e) if is_input_error(&e) => render_form(&page, None, form, Some(&e)).await,
        Err(e) => Err(page.error(e)),
    }
}

async fn edit_form(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    let v = app::get(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    render_form(&page, Some(id), CampaignForm::of(&v), None).await
}

async fn update(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CampaignForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let result = match form.payload() {
        Ok(p) => app::update(&page.state, &page.ctx, &id, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e) if is_input_error(&e) => render_form(&page, Some(id), form, Some(&e)).await,
        Err(e) => Err(page.error(e)),
    }
}

struct OutcomeLine {
    label: String,
    targets: i64,
}

#[derive(Template)]
#[template(path = "campaign_detail.html")]
struct DetailPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    c: CampaignView,
    p: ProgressView,
    /// Percent, one decimal.
    rate: String,
    outcomes: Vec<OutcomeLine>,
    actions: Vec<&'static str>,
    filter_text: String,
    flash: Option<String>,
    error: Option<String>,
    import_text: String,
}

async fn render_detail(
    page: &Page,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
    import_text: String,
) -> Result<Response, UiError> {
    let state = &page.state;
    let c = app::get(state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let p = app::progress(state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let status = CampaignStatus::from_code(&c.status).unwrap_or(CampaignStatus::Draft);
    let actions = kefu_domain::campaign::CampaignAction::ALL
        .iter()
        .filter(|a| status.apply(**a).is_some())
        .map(|a| a.code())
        .collect();
    let outcomes = Outcome::ALL
        .iter()
        .map(|o| OutcomeLine {
            label: t.label("campaign_outcome", o.code()).to_string(),
            targets: p
                .by_outcome
                .iter()
                .find(|x| x.outcome == o.code())
                .map_or(0, |x| x.targets),
        })
        .collect();
    let filter_text = match &c.filter {
        None => t.t("campaign.no_filter").to_string(),
        Some(f) => {
            let mut parts = Vec::new();
            if let Some(s) = &f.status {
                parts.push(format!(
                    "{}: {}",
                    t.t("campaign.filter_status"),
                    t.label("status", s)
                ));
            }
            if let Some(x) = &f.tier {
                parts.push(format!("{}: {x}", t.t("campaign.filter_tier")));
            }
            if let Some(x) = &f.tag {
                parts.push(format!("{}: {x}", t.t("campaign.filter_tag")));
            }
            if parts.is_empty() {
                t.t("campaign.any").to_string()
            } else {
                parts.join(" · ")
            }
        }
    };
    let status_code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = DetailPage {
        chrome: page.chrome("campaigns"),
        rate: format!("{:.1}%", p.conversion_rate * 100.0),
        c,
        p,
        outcomes,
        actions,
        filter_text,
        flash,
        error,
        import_text,
        t,
    };
    Ok((status_code, render(&body)).into_response())
}

async fn show(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    render_detail(&page, &id, None, None, String::new()).await
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    action: String,
}

async fn change_status(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::act(&page.state, &page.ctx, &id, &form.action).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e) if is_input_error(&e) => {
            let t = page.t();
            render_detail(&page, &id, None, Some(message(&t, &e)), String::new()).await
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    lines: String,
}

/// One phone number or customer id per line: what parses as a phone number is matched
/// by phone, the rest is taken as a customer id.
async fn import(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ImportForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let mut payload = TargetsPayload::default();
    for line in form.lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if kefu_domain::PhoneNumber::parse(line).is_ok() {
            payload.phones.push(line.to_string());
        } else {
            payload.customer_ids.push(line.to_string());
        }
    }
    let t = page.t();
    match app::add_targets(&page.state, &page.ctx, &id, &payload).await {
        Ok(done) => {
            let mut flash = t.f("campaign.import_done", &[("n", &done.added.to_string())]);
            if !done.unmatched.is_empty() {
                flash.push_str(&format!(
                    " · {}: {}",
                    t.t("campaign.unmatched"),
                    done.unmatched.join(", ")
                ));
            }
            render_detail(&page, &id, Some(flash), None, String::new()).await
        }
        Err(e) if is_input_error(&e) => {
            render_detail(&page, &id, None, Some(message(&t, &e)), form.lines).await
        }
        Err(e) => Err(page.error(e)),
    }
}
