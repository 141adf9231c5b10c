//! The performance settings page (考核设置: the scheme's weights, pass line, deduction per
//! complaint, workload target and evaluated positions; the rewards and fines rules; the
//! commission rate of each position) and the commission calculator (提成计算) with the
//! commissions recorded so far.

use super::performance::minute;
use super::{form_field, query_string, render, shown_on_form, Chrome, Page, UiError};
use crate::app::performance::records::{self, CommissionPayload, CommissionView};
use crate::app::performance::{
    self as app, RateBody, RateView, RatesPayload, RuleBody, RulesPayload, SchemePayload,
    WeightsBody,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::performance::{Component, RuleCondition, RuleKind};
use kefu_domain::Permission;
use serde::Deserialize;
use serde_json::Value;

/// Blank rule rows offered for new rules.
const NEW_RULE_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/performance/settings", get(settings_page))
        .route("/performance/settings/scheme", post(save_scheme))
        .route("/performance/settings/rules", post(save_rules))
        .route("/performance/settings/rates", post(save_rates))
        .route(
            "/performance/commission",
            get(commission_page).post(calculate),
        )
        .route(
            "/performance/commission/{id}/withdraw",
            post(withdraw_commission),
        )
}

#[derive(Template)]
#[template(path = "performance_settings.html")]
struct SettingsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    /// `(code, name, weight)`.
    weights: Vec<(String, String, String)>,
    pass_line: String,
    complaint_deduction: String,
    workload_target: String,
    rules: Vec<RuleBody>,
    blank_rules: usize,
    rates: Vec<RateView>,
    /// The positions that may be evaluated: `(id, label, evaluated)`.
    evaluated: Vec<(String, String, bool)>,
    /// When and by whom the scheme was last changed.
    updated: String,
    kinds: Vec<(String, String)>,
    conditions: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
}

/// What a refused save had typed, shown again with the reason so nothing typed is lost.
enum Typed<'a> {
    Scheme(&'a [(String, String)]),
    Rules(&'a [RuleBody]),
    Rates(&'a [(String, String)]),
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn render_settings(
    page: &Page,
    error: Option<String>,
    saved: bool,
    typed: Option<Typed<'_>>,
) -> Result<Response, UiError> {
    if !page.ctx.can(Permission::PerformanceManage) {
        return Err(page.error(AppError::Forbidden(Permission::PerformanceManage)));
    }
    let s = &page.state;
    let scheme = app::get_scheme(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let mut rules = app::get_rules(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let mut rates = app::get_rates(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let scheme_typed = match typed {
        Some(Typed::Scheme(pairs)) => Some(pairs),
        Some(Typed::Rules(typed)) => {
            rules = typed.to_vec();
            None
        }
        Some(Typed::Rates(pairs)) => {
            for r in &mut rates {
                let v = form_field(pairs, &format!("rate_{}", r.position_id));
                r.rate_percent = Some(v.trim().to_string()).filter(|v| !v.is_empty());
            }
            None
        }
        None => None,
    };
    // A number as saved, or as typed into a refused form.
    let shown = |name: &str, saved: i64| match scheme_typed {
        Some(pairs) => form_field(pairs, name),
        None => saved.to_string(),
    };
    let evaluated = rates
        .iter()
        .map(|r| {
            let on = match scheme_typed {
                Some(pairs) => pairs
                    .iter()
                    .any(|(k, v)| k == "positions" && *v == r.position_id),
                None => scheme.positions.contains(&r.position_id),
            };
            (
                r.position_id.clone(),
                format!("{} · {}", r.department, r.position),
                on,
            )
        })
        .collect();
    let updated = match (&scheme.updated_at, &scheme.updated_by) {
        (Some(at), by) => format!("{} {}", minute(at), by.as_deref().unwrap_or_default()),
        _ => String::new(),
    };
    let w = &scheme.weights;
    let values = [w.workload, w.sla, w.csat, w.qa, w.complaints, w.attendance];
    Ok(render(&SettingsPage {
        chrome: page.chrome("performance"),
        weights: Component::ALL
            .iter()
            .zip(values)
            .map(|(c, v)| {
                (
                    c.code().to_string(),
                    t.label("perf.component", c.code()).to_string(),
                    shown(&format!("weight_{}", c.code()), v),
                )
            })
            .collect(),
        pass_line: shown("pass_line", scheme.pass_line.into()),
        complaint_deduction: shown("complaint_deduction", scheme.complaint_deduction.into()),
        workload_target: shown("workload_target", scheme.workload_target.into()),
        kinds: RuleKind::ALL
            .iter()
            .map(|k| {
                (
                    k.code().to_string(),
                    t.label("perf.kind", k.code()).to_string(),
                )
            })
            .collect(),
        conditions: RuleCondition::ALL
            .iter()
            .map(|k| {
                (
                    k.code().to_string(),
                    t.label("perf.condition", k.code()).to_string(),
                )
            })
            .collect(),
        t,
        rules,
        evaluated,
        updated,
        blank_rules: NEW_RULE_ROWS,
        rates,
        error,
        saved,
    }))
}

async fn settings_page(page: Page, Query(q): Query<SavedQuery>) -> Result<Response, UiError> {
    render_settings(&page, None, q.saved.is_some(), None).await
}

/// After a save: back to the page, or the page again with the reason.
async fn after_save<T>(
    page: &Page,
    result: Result<T, AppError>,
    typed: Typed<'_>,
) -> Result<Response, UiError> {
    match result {
        Ok(_) => Ok(Redirect::to("/performance/settings?saved=1").into_response()),
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let mut r = render_settings(page, Some(e.to_string()), false, Some(typed)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(page.error(e)),
    }
}

/// A whole number typed into a form; what is not one is -1, which every check refuses.
fn int(pairs: &[(String, String)], name: &str) -> i64 {
    form_field(pairs, name).trim().parse().unwrap_or(-1)
}

async fn save_scheme(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&form_field(&pairs, "_csrf"))?;
    let w = |c: &str| int(&pairs, &format!("weight_{c}"));
    let p = SchemePayload {
        weights: WeightsBody {
            workload: w("workload"),
            sla: w("sla"),
            csat: w("csat"),
            qa: w("qa"),
            complaints: w("complaints"),
            attendance: w("attendance"),
        },
        pass_line: int(&pairs, "pass_line"),
        complaint_deduction: Some(int(&pairs, "complaint_deduction")),
        workload_target: Some(int(&pairs, "workload_target")),
        positions: pairs
            .iter()
            .filter(|(k, _)| k == "positions")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let r = app::put_scheme(&page.state, &page.ctx, &p).await;
    after_save(&page, r, Typed::Scheme(&pairs)).await
}

async fn save_rules(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&form_field(&pairs, "_csrf"))?;
    let column = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (names, kinds, conditions, amounts) = (
        column("name"),
        column("kind"),
        column("condition"),
        column("amount"),
    );
    let rules: Vec<RuleBody> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.trim().is_empty())
        .map(|(i, n)| RuleBody {
            name: n.clone(),
            kind: kinds.get(i).cloned().unwrap_or_default(),
            condition: conditions.get(i).cloned().unwrap_or_default(),
            amount: Value::String(amounts.get(i).cloned().unwrap_or_default()),
        })
        .collect();
    let payload = RulesPayload { rules };
    let r = app::put_rules(&page.state, &page.ctx, &payload).await;
    after_save(&page, r, Typed::Rules(&payload.rules)).await
}

async fn save_rates(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&form_field(&pairs, "_csrf"))?;
    let rates = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("rate_").map(|id| RateBody {
                position_id: id.to_string(),
                rate_percent: Value::String(v.clone()),
            })
        })
        .collect();
    let r = app::put_rates(&page.state, &page.ctx, &RatesPayload { rates }).await;
    after_save(&page, r, Typed::Rates(&pairs)).await
}

#[derive(Template)]
#[template(path = "performance_commission.html")]
struct CommissionPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    agents: Vec<(String, String)>,
    /// Positions with a rate: `(id, "title (rate%)")`.
    positions: Vec<(String, String)>,
    form: CommissionForm,
    result: Option<CommissionView>,
    /// Each with the time it was recorded, to the minute.
    recorded: Vec<(CommissionView, String)>,
    can_record: bool,
    error: Option<String>,
    /// A commission was just withdrawn.
    withdrawn: bool,
}

#[derive(Deserialize, Default)]
struct CommissionQuery {
    /// The commission just recorded (the page after recording, so a reload records
    /// nothing twice).
    recorded: Option<String>,
    withdrawn: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct CommissionForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    contract_no: String,
    #[serde(default)]
    deal_name: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    position_id: String,
    #[serde(default)]
    contract_amount: String,
    #[serde(default)]
    venue_rent: String,
    #[serde(default)]
    tax: String,
    /// `calculate` or `record`.
    #[serde(default)]
    action: String,
}

async fn render_commission(
    page: &Page,
    form: CommissionForm,
    result: Option<CommissionView>,
    error: Option<String>,
    withdrawn: bool,
) -> Result<Response, UiError> {
    let s = &page.state;
    let recorded = records::list(s, &page.ctx, None, Some(50), None)
        .await
        .map_err(|e| page.error(e))?;
    let rates = app::get_rates(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let agents = s
        .db()
        .performance_agents(&[])
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = page.t();
    Ok(render(&CommissionPage {
        chrome: page.chrome("performance"),
        t,
        agents,
        positions: rates
            .into_iter()
            .filter_map(|r| {
                r.rate_percent.map(|p| {
                    (
                        r.position_id,
                        format!("{} · {} ({p}%)", r.department, r.position),
                    )
                })
            })
            .collect(),
        form,
        result,
        recorded: recorded
            .items
            .into_iter()
            .map(|c| {
                let at = c.recorded_at.as_deref().map(minute).unwrap_or_default();
                (c, at)
            })
            .collect(),
        can_record: page.ctx.can(Permission::PerformanceManage),
        error,
        withdrawn,
    }))
}

async fn commission_page(
    page: Page,
    Query(q): Query<CommissionQuery>,
) -> Result<Response, UiError> {
    // After recording: the result, and the form filled with it for the next contract.
    let (form, result) = match q.recorded.as_deref() {
        Some(id) => {
            let c = records::get(&page.state, &page.ctx, id)
                .await
                .map_err(|e| page.error(e))?;
            let form = CommissionForm {
                contract_no: c.contract_no.clone(),
                deal_name: c.deal_name.clone(),
                agent_id: c.agent_id.clone(),
                position_id: c.position_id.clone(),
                contract_amount: c.contract_amount.clone(),
                venue_rent: c.venue_rent.clone(),
                tax: c.tax.clone(),
                ..CommissionForm::default()
            };
            (form, Some(c))
        }
        None => (CommissionForm::default(), None),
    };
    render_commission(&page, form, result, None, q.withdrawn.is_some()).await
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn withdraw_commission(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    records::withdraw_commission(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/performance/commission?withdrawn=1").into_response())
}

async fn calculate(page: Page, Form(f): Form<CommissionForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = CommissionPayload {
        contract_no: f.contract_no.clone(),
        deal_name: f.deal_name.clone(),
        agent_id: f.agent_id.clone(),
        position_id: Some(f.position_id.clone()),
        contract_amount: Value::String(f.contract_amount.clone()),
        venue_rent: Value::String(f.venue_rent.clone()),
        tax: Value::String(f.tax.clone()),
        record: Some(f.action == "record"),
    };
    match records::calculate(&page.state, &page.ctx, &p).await {
        Ok(v) => match &v.id {
            Some(id) => Ok(Redirect::to(&format!(
                "/performance/commission?{}",
                query_string(&[("recorded", id)])
            ))
            .into_response()),
            None => render_commission(&page, f, Some(v), None, false).await,
        },
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let mut r = render_commission(&page, f, None, Some(e.to_string()), false).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(page.error(e)),
    }
}
