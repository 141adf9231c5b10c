//! The page a customer answers a survey on (`/s/{token}`): no log-in, phone-sized,
//! Chinese by default. The signed token is the only authority: it allows one answer.
//!
//! CSRF: as on the public ticket form there is no session to borrow; a cross-site post
//! is refused by `Origin`, and a forged post could at most answer a survey whose link the
//! forger already holds. Refused links get a page that says why and never shows whose
//! survey it is.

use super::{question_forms, raw_from_pairs, QuestionForm};
use crate::app::surveys::answer;
use crate::auth::ClientAddr;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::ui::{lang_cookie, lang_of, render, same_origin};
use askama::Template;
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::{CookieJar, Form};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/s/{token}", get(page).post(submit))
}

#[derive(Template)]
#[template(path = "survey_public.html")]
struct SurveyPage<'a> {
    t: Tr<'a>,
    token: String,
    title: String,
    description: Option<String>,
    questions: Vec<QuestionForm>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "survey_public_done.html")]
struct DonePage<'a> {
    t: Tr<'a>,
}

#[derive(Template)]
#[template(path = "survey_public_refused.html")]
struct RefusedPage<'a> {
    t: Tr<'a>,
    code: &'static str,
    title: String,
    message: String,
}

#[derive(Deserialize, Default)]
struct LangParam {
    lang: Option<String>,
}

/// The page for a link that cannot be answered (or a limit hit); 429 keeps `Retry-After`.
fn refused(state: &AppState, lang: Lang, e: &AppError) -> Response {
    let t = state.i18n().tr(lang);
    let code = e.code();
    let key = match code {
        "survey_link_forged"
        | "survey_link_tampered"
        | "survey_link_expired"
        | "survey_link_used"
        | "rate_limited" => code,
        _ => "survey_link_error",
    };
    let page = RefusedPage {
        t,
        code,
        title: t.t(&format!("survey_public.{key}_title")).to_string(),
        message: t.t(&format!("survey_public.{key}")).to_string(),
    };
    let mut response = (e.status(), render(&page)).into_response();
    if let Some(s) = e.retry_after_secs() {
        if let Ok(v) = s.max(1).to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn page(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Query(q): Query<LangParam>,
) -> Response {
    let (jar, lang) = match q.lang.as_deref() {
        Some(l) => {
            let lang = Lang::parse(l);
            (jar.add(lang_cookie(lang)), lang)
        }
        None => {
            let lang = lang_of(&jar);
            (jar, lang)
        }
    };
    let t = state.i18n().tr(lang);
    let response = match answer::open_link(&state, addr.as_deref(), &token).await {
        Ok(view) => render(&SurveyPage {
            t,
            token,
            title: view.title,
            description: view.description,
            questions: question_forms(&t, &view.questions, &Default::default(), None),
            error: None,
        }),
        Err(e) => refused(&state, lang, &e),
    };
    (jar, response).into_response()
}

async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang_of(&jar);
    let t = state.i18n().tr(lang);
    if !same_origin(&headers) {
        return refused(&state, lang, &AppError::Csrf);
    }
    let raw = raw_from_pairs(&pairs);
    match answer::answer_link(&state, addr.as_deref(), &token, &raw).await {
        Ok(_) => render(&DonePage { t }),
        Err(e @ AppError::InvalidField { .. }) => {
            // The answers stay as typed; the question at fault is marked.
            let view = match answer::open_link(&state, addr.as_deref(), &token).await {
                Ok(v) => v,
                Err(e) => return refused(&state, lang, &e),
            };
            let page = SurveyPage {
                t,
                questions: question_forms(&t, &view.questions, &raw, Some(&e)),
                error: Some(super::answer_error_text(&t, &e)),
                token,
                title: view.title,
                description: view.description,
            };
            (e.status(), render(&page)).into_response()
        }
        Err(e) => refused(&state, lang, &e),
    }
}
