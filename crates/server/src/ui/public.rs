//! The customers' pages, without log-in and without the staff frame: the web form that
//! opens a ticket and the status page that shows its progress by number plus phone.
//!
//! CSRF: these forms have no session, so there is no per-session token to echo. Instead
//! of a double-submit cookie the form post is refused when the browser's `Origin` names
//! another site: there is no signed-in user whose authority a forged post could borrow;
//! what a forged post could do is make visitors' browsers open tickets from many
//! addresses, around the per-address limit — and every browser that can post a form
//! cross-site sends `Origin` with it. Requests without `Origin` (old browsers, scripts)
//! pass and meet the rate limit and the honeypot instead.

use super::{lang_cookie, lang_of, render, same_origin};
use crate::app::public::{self as app, PublicTicketPayload, PublicTicketView, PUBLIC_TYPES};
use crate::auth::ClientAddr;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::{CookieJar, Form};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public/tickets/new", get(form_page).post(submit))
        .route("/public/status", get(status_page))
}

#[derive(Deserialize, Default)]
struct LangParam {
    lang: Option<String>,
}

/// The page language: `?lang=` (remembered in the cookie), else the cookie, else Chinese.
fn language(jar: CookieJar, lang: Option<&str>) -> (CookieJar, Lang) {
    match lang {
        Some(l) => {
            let lang = Lang::parse(l);
            (jar.add(lang_cookie(lang)), lang)
        }
        None => {
            let lang = lang_of(&jar);
            (jar, lang)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct TicketForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    ticket_type: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    email: String,
    /// The honeypot: hidden from people, filled in by bots that fill in everything.
    #[serde(default)]
    homepage: String,
}

#[derive(Template)]
#[template(path = "public_ticket_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    form: TicketForm,
    types: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public_ticket_done.html")]
struct DonePage<'a> {
    t: Tr<'a>,
    number: String,
    status_url: String,
}

#[derive(Template)]
#[template(path = "public_message.html")]
struct MessagePage<'a> {
    t: Tr<'a>,
    title: String,
    message: String,
}

fn form_page_for(
    state: &AppState,
    lang: Lang,
    form: TicketForm,
    error: Option<String>,
) -> Response {
    let t = state.i18n().tr(lang);
    render(&FormPage {
        t,
        types: t.options("ticket_type", PUBLIC_TYPES.iter().map(|x| x.code())),
        form,
        error,
    })
}

/// The friendly page for a refused request; 429 keeps its `Retry-After`.
fn refusal(state: &AppState, lang: Lang, e: &AppError) -> Response {
    let t = state.i18n().tr(lang);
    let page = MessagePage {
        t,
        title: match e.retry_after_secs() {
            Some(_) => t.t("public.limited_title").to_string(),
            None => t.t("public.refused_title").to_string(),
        },
        message: match e.retry_after_secs() {
            Some(s) => t.f(
                "public.limited",
                &[("minutes", &((s + 59) / 60).max(1).to_string())],
            ),
            None => e.to_string(),
        },
    };
    let mut response = (e.status(), render(&page)).into_response();
    if let Some(s) = e.retry_after_secs() {
        if let Ok(v) = s.max(1).to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn form_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LangParam>,
) -> Response {
    let (jar, lang) = language(jar, q.lang.as_deref());
    (
        jar,
        form_page_for(&state, lang, TicketForm::default(), None),
    )
        .into_response()
}

async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<TicketForm>,
) -> Response {
    let lang = lang_of(&jar);
    let t = state.i18n().tr(lang);
    if !same_origin(&headers) {
        return refusal(&state, lang, &AppError::Csrf);
    }
    if !form.homepage.trim().is_empty() {
        let error = t.t("public.honeypot").to_string();
        let page = form_page_for(&state, lang, form, Some(error));
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    let payload = PublicTicketPayload {
        name: form.name.clone(),
        phone: form.phone.clone(),
        ticket_type: form.ticket_type.clone(),
        subject: form.subject.clone(),
        description: Some(form.description.clone()),
        email: Some(form.email.clone()),
    };
    match app::submit(&state, addr.as_deref(), &payload).await {
        Ok(created) => render(&DonePage {
            t,
            number: created.number,
            status_url: created.status_url,
        }),
        Err(e @ AppError::Invalid { .. }) => {
            let message = match e.code() {
                "invalid_phone" => t.t("public.bad_phone").to_string(),
                "invalid_email" => t.t("public.bad_email").to_string(),
                _ => t.f("public.bad_input", &[("reason", &e.to_string())]),
            };
            let page = form_page_for(&state, lang, form, Some(message));
            (e.status(), page).into_response()
        }
        Err(e) => refusal(&state, lang, &e),
    }
}

#[derive(Deserialize, Default)]
struct StatusQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    phone: String,
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "public_status.html")]
struct StatusPage<'a> {
    t: Tr<'a>,
    number: String,
    phone: String,
    ticket: Option<PublicTicketView>,
    error: Option<String>,
}

async fn status_page(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    Query(q): Query<StatusQuery>,
) -> Response {
    let (jar, lang) = language(jar, q.lang.as_deref());
    let t = state.i18n().tr(lang);
    let mut page = StatusPage {
        t,
        number: q.number.trim().to_string(),
        phone: q.phone.trim().to_string(),
        ticket: None,
        error: None,
    };
    if page.number.is_empty() || page.phone.is_empty() {
        return (jar, render(&page)).into_response();
    }
    let status = match app::status(&state, addr.as_deref(), &page.number, &page.phone).await {
        Ok(view) => {
            page.ticket = Some(view);
            StatusCode::OK
        }
        Err(e @ AppError::NotFound(_)) => {
            page.error = Some(t.t("public.not_found").to_string());
            e.status()
        }
        Err(e) => return (jar, refusal(&state, lang, &e)).into_response(),
    };
    (jar, (status, render(&page))).into_response()
}
