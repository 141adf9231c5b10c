//! Survey pages: the customer's page behind a link ([`public`]), the template and
//! threshold settings ([`admin`]), the results (`/surveys`) and the agent's page for a
//! callback (`/surveys/answer`: record the customer's answers, or send a link).

mod admin;
mod public;

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::surveys::answer::{self, AgentAnswerPayload, AnsweredView, SendPayload, SentView};
use crate::app::surveys::results::{self, ResponseView, ResultsParams, SummaryView};
use crate::app::surveys::{self as app, QuestionView, TemplateView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::Permission;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(results_page))
        .route("/surveys/answer", get(answer_page).post(answer_submit))
        .merge(admin::routes())
        .merge(public::routes())
}

/// One choice of a question as the form shows it.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A question ready for the form, with what was typed before (after a refusal).
pub struct QuestionForm {
    pub id: String,
    pub n: usize,
    pub kind: String,
    pub text: String,
    pub required: bool,
    pub choices: Vec<Choice>,
    pub text_value: String,
    pub error: bool,
}

/// Groups posted `name=value` pairs by question id (`q1`…); other fields are dropped.
pub fn raw_from_pairs(pairs: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut raw: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        let is_question =
            k.len() > 1 && k.starts_with('q') && k[1..].bytes().all(|b| b.is_ascii_digit());
        if is_question {
            raw.entry(k.clone()).or_default().push(v.clone());
        }
    }
    raw
}

/// The question an answer error is about (its message starts `question N:`).
fn error_question(e: &AppError) -> Option<usize> {
    let m = e.to_string();
    let rest = m.split("question ").nth(1)?;
    rest.split(':').next()?.trim().parse().ok()
}

/// A refusal (of an answer, a template, a setting) in the page's language; the English
/// message when there is no translation for its code.
pub fn answer_error_text(t: &Tr<'_>, e: &AppError) -> String {
    let n = error_question(e).map(|n| n.to_string()).unwrap_or_default();
    let key = format!("survey_error.{}", e.code());
    let text = t.t(&key);
    if text == key {
        e.to_string()
    } else {
        t.f(&key, &[("n", &n)])
    }
}

pub fn question_forms(
    t: &Tr<'_>,
    questions: &[QuestionView],
    raw: &BTreeMap<String, Vec<String>>,
    error: Option<&AppError>,
) -> Vec<QuestionForm> {
    let bad = error.and_then(error_question);
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let given = raw.get(&q.id).cloned().unwrap_or_default();
            let values: Vec<(String, String)> = match q.kind.as_str() {
                "csat" => (1..=5)
                    .map(|n| {
                        let v = n.to_string();
                        (v.clone(), t.label("survey_csat", &v).to_string())
                    })
                    .collect(),
                "nps" => (0..=10).map(|n| (n.to_string(), n.to_string())).collect(),
                "single" | "multiple" => q.options.iter().map(|o| (o.clone(), o.clone())).collect(),
                _ => Vec::new(),
            };
            QuestionForm {
                id: q.id.clone(),
                n: i + 1,
                kind: q.kind.clone(),
                text: q.text.clone(),
                required: q.required,
                choices: values
                    .into_iter()
                    .map(|(value, label)| Choice {
                        checked: given.contains(&value),
                        value,
                        label,
                    })
                    .collect(),
                text_value: if q.kind == "text" {
                    given.join("\n")
                } else {
                    String::new()
                },
                error: bad == Some(i + 1),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "surveys_results.html")]
struct ResultsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    templates: Vec<TemplateView>,
    template_id: String,
    from: String,
    to: String,
    dissatisfied: bool,
    summary: SummaryView,
    items: Vec<ResponseView>,
    next: Option<String>,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
struct ResultsQuery {
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    dissatisfied: String,
    cursor: Option<String>,
}

async fn results_page(page: Page, Query(q): Query<ResultsQuery>) -> Result<Response, UiError> {
    let dissatisfied = !q.dissatisfied.is_empty();
    let params = ResultsParams {
        template_id: Some(q.template_id.clone()),
        from: Some(q.from.clone()),
        to: Some(q.to.clone()),
        dissatisfied: Some(dissatisfied),
        cursor: q.cursor.clone(),
        ..ResultsParams::default()
    };
    let view = results::results(&page.state, &page.ctx, &params)
        .await
        .map_err(|e| page.error(e))?;
    let templates = app::templates(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let next = view.next_cursor.as_ref().map(|c| {
        query_string(&[
            ("template_id", &q.template_id),
            ("from", &q.from),
            ("to", &q.to),
            ("dissatisfied", if dissatisfied { "1" } else { "" }),
            ("cursor", c),
        ])
    });
    Ok(render(&ResultsPage {
        t: page.t(),
        chrome: page.chrome("surveys"),
        templates,
        template_id: q.template_id,
        from: q.from,
        to: q.to,
        dissatisfied,
        summary: view.summary,
        items: view.items,
        next,
        can_manage: page.ctx.can(Permission::SurveyManage),
    }))
}

#[derive(Template)]
#[template(path = "surveys_answer.html")]
struct AnswerPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    customer_id: String,
    customer_name: String,
    template_id: String,
    ticket: String,
    callback: String,
    templates: Vec<TemplateView>,
    questions: Vec<QuestionForm>,
    error: Option<String>,
    answered: Option<AnsweredView>,
    sent: Option<SentView>,
    channel: String,
    recipient: String,
}

#[derive(Deserialize, Default)]
struct AnswerQuery {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    callback: String,
}

async fn answer_view<'p>(
    page: &'p Page,
    q: AnswerQuery,
    raw: &BTreeMap<String, Vec<String>>,
    error: Option<AppError>,
) -> Result<AnswerPage<'p>, UiError> {
    page.ctx
        .require(Permission::SurveySend)
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let customer = page
        .state
        .db()
        .get_customer(q.customer.trim())
        .await
        .map_err(|_| page.error(AppError::NotFound("customer")))?;
    let templates: Vec<TemplateView> = app::templates(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|t| t.active)
        .collect();
    let template_id = if q.template.is_empty() {
        templates.first().map(|t| t.id.clone()).unwrap_or_default()
    } else {
        q.template.clone()
    };
    let questions = templates
        .iter()
        .find(|t| t.id == template_id)
        .map(|tv| question_forms(&t, &tv.questions, raw, error.as_ref()))
        .unwrap_or_default();
    Ok(AnswerPage {
        t,
        chrome: page.chrome("surveys"),
        customer_id: customer.core.id,
        customer_name: customer.core.name,
        template_id,
        ticket: q.ticket,
        callback: q.callback,
        templates,
        questions,
        error: error.as_ref().map(|e| answer_error_text(&t, e)),
        answered: None,
        sent: None,
        channel: "sms".into(),
        recipient: String::new(),
    })
}

async fn answer_page(page: Page, Query(q): Query<AnswerQuery>) -> Result<Response, UiError> {
    let view = answer_view(&page, q, &BTreeMap::new(), None).await?;
    Ok(render(&view))
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// Either records the answers (`action=answer`) or sends a link (`action=send`).
async fn answer_submit(
    page: Page,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let q = AnswerQuery {
        customer: field(&pairs, "customer"),
        template: field(&pairs, "template"),
        ticket: field(&pairs, "ticket"),
        callback: field(&pairs, "callback"),
    };
    let raw = raw_from_pairs(&pairs);
    let state = page.state.clone();
    if field(&pairs, "action") == "send" {
        let p = SendPayload {
            template_id: q.template.clone(),
            customer_id: q.customer.clone(),
            ticket: Some(q.ticket.clone()),
            channel: field(&pairs, "channel"),
            recipient: Some(field(&pairs, "recipient")),
        };
        let base = answer::base_url(&state, &headers);
        let result = answer::send(&state, &page.ctx, &base, &p).await;
        let mut view = answer_view(&page, q, &BTreeMap::new(), None).await?;
        view.channel = p.channel.clone();
        view.recipient = p.recipient.clone().unwrap_or_default();
        return Ok(match result {
            Ok(sent) => render(&AnswerPage {
                sent: Some(sent),
                ..view
            }),
            Err(e) if crate::ui::shown_on_form(&e) => {
                let status = e.status();
                view.error = Some(answer_error_text(&view.t, &e));
                (status, render(&view)).into_response()
            }
            Err(e) => return Err(page.error(e)),
        });
    }
    let p = AgentAnswerPayload {
        template_id: q.template.clone(),
        customer_id: q.customer.clone(),
        ticket: Some(q.ticket.clone()),
        callback_id: Some(q.callback.clone()),
        answers: raw
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)))
            .collect(),
    };
    match answer::answer_as_agent(&state, &page.ctx, &p).await {
        Ok(answered) => {
            let view = answer_view(&page, q, &BTreeMap::new(), None).await?;
            Ok(render(&AnswerPage {
                answered: Some(answered),
                ..view
            }))
        }
        Err(e) if crate::ui::shown_on_form(&e) => {
            let status = e.status();
            let view = answer_view(&page, q, &raw, Some(e)).await?;
            Ok((status, render(&view)).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}
