//! The server-rendered web UI: askama templates, Chinese by default, a form post per
//! action (CSRF-protected) and a little JavaScript for keyboard shortcuts.

mod account;
mod assignment;
mod audit;
mod calendar;
mod callbacks;
mod calls;
mod campaign_calls;
mod campaigns;
mod chat;
mod chat_settings;
mod complaints;
mod customers;
mod duties;
mod exports;
mod imports;
mod ivr;
mod knowledge;
mod logs;
mod mail;
mod mail_out;
mod org;
mod org_forms;
mod org_templates;
mod performance;
mod performance_settings;
mod public;
mod qa;
mod reports;
mod schedule;
mod search;
mod sla;
mod surveys;
mod tickets;
mod wallboard;

use crate::auth::{Ctx, Via};
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use kefu_domain::Permission;

pub const LANG_COOKIE: &str = "kefu_lang";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/static/app.css",
            get(|| async {
                static_file(
                    "text/css; charset=utf-8",
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                static_file(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/app.js"),
                )
            }),
        )
        .merge(account::routes())
        .merge(customers::routes())
        .merge(assignment::routes())
        .merge(imports::routes(state))
        .merge(org::routes())
        .merge(org_forms::routes())
        .merge(org_templates::routes())
        .merge(audit::routes())
        .merge(tickets::routes(state))
        .merge(complaints::routes())
        .merge(campaigns::routes())
        .merge(campaign_calls::routes())
        .merge(callbacks::routes())
        .merge(calendar::routes())
        .merge(sla::routes())
        .merge(calls::routes())
        .merge(ivr::routes())
        .merge(logs::routes())
        .merge(duties::routes())
        .merge(exports::routes())
        .merge(search::routes())
        .merge(knowledge::routes(state))
        .merge(surveys::routes())
        .merge(chat::routes())
        .merge(chat_settings::routes())
        .merge(mail::routes())
        .merge(mail_out::routes())
        .merge(qa::routes())
        .merge(schedule::routes())
        .merge(reports::routes())
        .merge(performance::routes())
        .merge(performance_settings::routes())
        .merge(wallboard::routes())
        .merge(public::routes())
}

/// Agents start in their workspace; others in the customer list.
async fn home(page: Page) -> Redirect {
    if page.ctx.can(Permission::TicketRead) {
        Redirect::to("/workspace")
    } else {
        Redirect::to("/customers")
    }
}

pub(crate) fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

pub fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .permanent()
        .build()
}

/// A cross-site form without a session (log-in, the public ticket form) is refused:
/// when the browser says where the form came from, it must be this site.
pub fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    match (
        headers
            .get(axum::http::header::ORIGIN)
            .and_then(|o| o.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => origin.split("://").nth(1) == Some(host),
        _ => true,
    }
}

pub fn lang_of(jar: &CookieJar) -> Lang {
    jar.get(LANG_COOKIE)
        .map(|c| Lang::parse(c.value()))
        .unwrap_or_default()
}

/// What every page's frame shows: who is signed in, which areas they may open.
pub struct Chrome {
    pub display_name: String,
    pub csrf: String,
    pub area: &'static str,
    pub nav_workspace: bool,
    pub nav_customers: bool,
    pub nav_imports: bool,
    pub nav_org: bool,
    pub nav_audit: bool,
    pub nav_settings: bool,
    pub nav_calls: bool,
    pub nav_ivr: bool,
    pub nav_knowledge: bool,
    pub nav_callbacks: bool,
    pub nav_surveys: bool,
    pub nav_campaigns: bool,
    pub nav_chat: bool,
    /// The chat link opens the transcripts (inspectors who do not answer chats).
    pub nav_chat_transcripts: bool,
    pub nav_mail: bool,
    /// Quality inspection: everyone has their own results there.
    pub nav_qa: bool,
    /// Shifts: everyone has their own schedule there.
    pub nav_schedule: bool,
    pub nav_wallboard: bool,
    pub nav_reports: bool,
    pub nav_dashboard: bool,
    pub nav_performance: bool,
    /// Duties: everyone has their own duty tasks there.
    pub nav_duties: bool,
}

/// A submitted form's value for `name` as typed (empty when absent).
pub(crate) fn form_field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Whether a failed form submission is answered by the form again, with the reason on
/// it: a mistake the user can correct (a 4xx), but not a refusal, which gets the error
/// page like any other forbidden request.
pub(crate) fn shown_on_form(e: &crate::error::AppError) -> bool {
    e.status().is_client_error() && e.code() != "forbidden"
}

/// A signed-in page request: the user, their language and the page frame.
pub struct Page {
    pub ctx: Ctx,
    pub state: AppState,
    pub lang: Lang,
}

impl Page {
    pub fn t(&self) -> Tr<'_> {
        self.state.i18n().tr(self.lang)
    }

    pub fn chrome(&self, area: &'static str) -> Chrome {
        let c = &self.ctx;
        Chrome {
            display_name: c.display_name.clone(),
            csrf: c.csrf().to_string(),
            area,
            nav_workspace: c.can(Permission::TicketRead),
            nav_customers: c.can(Permission::CustomerRead),
            nav_imports: c.can(Permission::CustomerImport),
            nav_org: c.can(Permission::OrgRead),
            nav_audit: c.can(Permission::AuditRead),
            nav_settings: c.can(Permission::ServiceConfigure),
            nav_calls: c.can(Permission::CallHandle),
            nav_ivr: c.can(Permission::ServiceConfigure),
            nav_knowledge: c.can(Permission::KnowledgeRead),
            nav_callbacks: c.can(Permission::CallbackView),
            nav_surveys: c.can(Permission::SurveyView),
            nav_campaigns: c.can(Permission::CampaignManage),
            nav_chat: c.can(Permission::ChatAnswer)
                || c.can(Permission::ChatManage)
                || c.can(Permission::ChatInspect),
            nav_chat_transcripts: !c.can(Permission::ChatAnswer),
            nav_mail: c.can(Permission::MailManage) || c.can(Permission::MailReview),
            nav_qa: true,
            nav_schedule: true,
            nav_wallboard: c.can(Permission::ReportView),
            nav_reports: c.can(Permission::ReportView),
            nav_dashboard: c.can(Permission::ReportView),
            nav_performance: c.can(Permission::ReportView),
            nav_duties: true,
        }
    }

    /// Checks the CSRF token a form sent against the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        match &self.ctx.via {
            Via::Session { csrf, .. } if csrf == sent => Ok(()),
            _ => Err(self.error(AppError::Csrf)),
        }
    }

    pub fn error(&self, e: AppError) -> UiError {
        UiError(Box::new(UiErrorInner {
            error: e,
            lang: self.lang,
            state: Some(self.state.clone()),
            chrome: Some(self.chrome("")),
        }))
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = UiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&CookieJar::from_headers(&parts.headers));
        match parts.extensions.get::<Ctx>() {
            // Pages are for browser sessions; bearer tokens are for the API.
            Some(ctx) if matches!(ctx.via, Via::Session { .. }) => Ok(Page {
                ctx: ctx.clone(),
                state: state.clone(),
                lang,
            }),
            _ => Err(UiError(Box::new(UiErrorInner {
                error: AppError::Unauthenticated,
                lang,
                state: None,
                chrome: None,
            }))),
        }
    }
}

/// An error shown as a page (or, when not signed in, a redirect to the log-in page).
pub struct UiError(Box<UiErrorInner>);

struct UiErrorInner {
    error: AppError,
    lang: Lang,
    state: Option<AppState>,
    chrome: Option<Chrome>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    message: String,
    code: &'static str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let this = *self.0;
        if matches!(this.error, AppError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        if let AppError::Internal(e) = &this.error {
            tracing::error!(error = %format!("{e:#}"), "internal error on a page");
        }
        let status = this.error.status();
        match (this.state, this.chrome) {
            (Some(state), Some(chrome)) => {
                let page = ErrorPage {
                    t: state.i18n().tr(this.lang),
                    chrome,
                    message: this.error.to_string(),
                    code: this.error.code(),
                };
                (status, render(&page)).into_response()
            }
            _ => (status, this.error.to_string()).into_response(),
        }
    }
}

/// Renders a template; a template error is a bug, shown as a 500.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Builds a query string from the non-empty pairs, for links that keep the current filter.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}
