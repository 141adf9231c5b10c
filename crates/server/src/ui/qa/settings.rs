//! The quality-inspection settings page (`/qa/settings`, `qa.manage`): the sampling plan
//! (per agent per month, the weights, the seed), the automatic-check rules (phrase lists
//! one per line, the response-time limits) and the scorecards' criteria — saving changed
//! criteria makes a new revision; past inspections keep theirs.

use crate::app::qa::{self, QaSettingsPayload, ScorecardPayload, ScorecardView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::{form_field, render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::qa::{Criterion, Rules, Weights};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/qa/settings", get(page_get).post(save))
}

/// A criterion row of the scorecard form (three empty rows follow the stored ones).
pub struct CriterionRow {
    pub n: usize,
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: String,
    pub scale_max: String,
    pub critical: bool,
}

#[derive(Template)]
#[template(path = "qa_settings.html")]
struct SettingsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    s: QaSettingsPayload,
    greeting: String,
    closing: String,
    forbidden: String,
    unresolved: String,
    cards: Vec<ScorecardView>,
    card: Option<ScorecardView>,
    rows: Vec<CriterionRow>,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    card: Option<String>,
    saved: Option<String>,
}

fn lines(list: &[String]) -> String {
    list.join("\n")
}

fn rows_of(criteria: &[Criterion]) -> Vec<CriterionRow> {
    criteria
        .iter()
        .map(|c| {
            (
                c.code.clone(),
                c.name.clone(),
                c.description.clone(),
                c.weight.to_string(),
                c.scale_max.to_string(),
                c.critical,
            )
        })
        .chain(std::iter::repeat_n(
            (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "10".into(),
                false,
            ),
            3,
        ))
        .enumerate()
        .map(
            |(n, (code, name, description, weight, scale_max, critical))| CriterionRow {
                n,
                code,
                name,
                description,
                weight,
                scale_max,
                critical,
            },
        )
        .collect()
}

async fn show(
    page: &Page,
    card_id: Option<&str>,
    error: Option<String>,
    saved: bool,
) -> Result<Response, UiError> {
    page.ctx
        .require(kefu_domain::Permission::QaManage)
        .map_err(|e| page.error(e))?;
    let s = qa::settings(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let cards = qa::scorecards(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let card = match card_id {
        Some(id) => cards.iter().find(|c| c.id == id).cloned(),
        None => cards.iter().find(|c| c.active).cloned(),
    };
    let rows = rows_of(card.as_ref().map(|c| c.criteria.as_slice()).unwrap_or(&[]));
    Ok(render(&SettingsPage {
        chrome: page.chrome("qa"),
        t: page.t(),
        greeting: lines(&s.rules.greeting),
        closing: lines(&s.rules.closing),
        forbidden: lines(&s.rules.forbidden),
        unresolved: lines(&s.rules.unresolved),
        s,
        cards,
        card,
        rows,
        error,
        saved,
    }))
}

async fn page_get(page: Page, Query(q): Query<SettingsQuery>) -> Result<Response, UiError> {
    show(&page, q.card.as_deref(), None, q.saved.is_some()).await
}

fn number<T: std::str::FromStr>(
    pairs: &[(String, String)],
    name: &'static str,
) -> Result<T, AppError> {
    form_field(pairs, name).trim().parse().map_err(|_| {
        AppError::invalid_field(
            "qa.invalid_number",
            name,
            format!("{name}: a number is needed"),
        )
    })
}

fn phrase_list(pairs: &[(String, String)], name: &str) -> Vec<String> {
    form_field(pairs, name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn save(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, UiError> {
    page.check_csrf(&form_field(&pairs, "_csrf"))?;
    let card_id = form_field(&pairs, "card_id");
    let result: Result<String, AppError> = async {
        match form_field(&pairs, "op").as_str() {
            "plan" => {
                let p = QaSettingsPayload {
                    min: number(&pairs, "min")?,
                    max: number(&pairs, "max")?,
                    seed: number(&pairs, "seed")?,
                    weights: Weights {
                        complaint: number(&pairs, "w_complaint")?,
                        long_call: number(&pairs, "w_long_call")?,
                        long_call_secs: number::<u32>(&pairs, "long_call_minutes")? * 60,
                        low_satisfaction: number(&pairs, "w_low_satisfaction")?,
                        low_satisfaction_max: number(&pairs, "low_satisfaction_max")?,
                        flagged: number(&pairs, "w_flagged")?,
                    },
                    rules: Rules {
                        greeting: phrase_list(&pairs, "greeting"),
                        self_id: !form_field(&pairs, "self_id").is_empty(),
                        closing: phrase_list(&pairs, "closing"),
                        forbidden: phrase_list(&pairs, "forbidden"),
                        first_response_secs: number(&pairs, "first_response_secs")?,
                        response_secs: number(&pairs, "response_secs")?,
                        unresolved: phrase_list(&pairs, "unresolved"),
                    },
                };
                qa::save_settings(&page.state, &page.ctx, &p).await?;
                Ok(String::new())
            }
            "card" => {
                let mut criteria = Vec::new();
                for n in 0..40 {
                    let f = |k: &str| form_field(&pairs, &format!("{k}_{n}"));
                    if f("code").trim().is_empty() && f("name").trim().is_empty() {
                        continue;
                    }
                    let int = |k: &'static str| {
                        f(k).trim().parse::<u32>().map_err(|_| {
                            AppError::invalid_field(
                                "qa.invalid_number",
                                k,
                                format!("{}: {k} must be a whole number", f("name")),
                            )
                        })
                    };
                    criteria.push(Criterion {
                        code: f("code").trim().to_string(),
                        name: f("name"),
                        description: f("description"),
                        weight: int("weight")?,
                        scale_max: u8::try_from(int("scale_max")?).unwrap_or(u8::MAX),
                        critical: !f("critical").is_empty(),
                    });
                }
                let p = ScorecardPayload {
                    name: form_field(&pairs, "card_name"),
                    active: !form_field(&pairs, "card_active").is_empty(),
                    criteria,
                };
                let id = (!card_id.is_empty()).then_some(card_id.as_str());
                let saved = qa::save_scorecard(&page.state, &page.ctx, id, &p).await?;
                Ok(saved.id)
            }
            _ => Err(AppError::bad_request("invalid_op", "unknown action")),
        }
    }
    .await;
    match result {
        Ok(id) if id.is_empty() => Ok(Redirect::to("/qa/settings?saved=1").into_response()),
        Ok(id) => Ok(Redirect::to(&format!("/qa/settings?card={id}&saved=1")).into_response()),
        Err(e @ (AppError::Internal(_) | AppError::Forbidden(_))) => Err(page.error(e)),
        Err(e) => {
            let card = (!card_id.is_empty()).then_some(card_id.as_str());
            show(&page, card, Some(e.to_string()), false).await
        }
    }
}
