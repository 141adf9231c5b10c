//! Mail pages: the mailboxes and their settings (`/mail`, `mail.manage`), the messages
//! held for review with the three decisions (`/mail/held`, `mail.review`), and the
//! messages that could not be read, with their originals (`/mail/failed`), and one
//! message as an agent reads it (`/mail/messages/{id}`: the HTML body in a sandboxed
//! frame, remote images only on request).

use crate::app::mail::mailboxes::{self, MailboxPayload, MailboxView};
use crate::app::mail::review::{self, MailView, ResolvePayload};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::form_field as field;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail", get(mailboxes_page).post(create))
        .route("/mail/mailboxes/{id}", get(edit_page).post(update))
        .route("/mail/held", get(held_page))
        .route("/mail/held/{id}", post(resolve))
        .route("/mail/failed", get(failed_page))
        .route("/mail/raw/{id}", get(raw))
        .route("/mail/messages/{id}", get(message_page))
}

#[derive(Template)]
#[template(path = "mail_message.html")]
struct MessagePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    m: MailView,
    /// The agent asked for the remote images.
    remote: bool,
    /// "N remote images were not loaded …"
    remote_notice: String,
    can_review: bool,
}

#[derive(Deserialize)]
struct MessageQuery {
    remote_images: Option<String>,
}

async fn message_page(
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<MessageQuery>,
) -> Result<Response, UiError> {
    let m = review::get(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let remote_notice = t.f(
        "mail.remote_blocked",
        &[("count", &m.remote_images.to_string())],
    );
    Ok(render(&MessagePage {
        chrome: page.chrome(if page.ctx.can(Permission::MailReview) {
            "mail"
        } else {
            "workspace"
        }),
        remote: q.remote_images.is_some_and(|v| v == "1" || v == "true"),
        remote_notice,
        can_review: page.ctx.can(Permission::MailReview),
        t,
        m,
    }))
}

/// The mailbox form as shown (never with a secret in it).
pub struct MailboxForm {
    pub id: Option<String>,
    pub name: String,
    pub address: String,
    pub department_id: String,
    pub enabled: bool,
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_auth: String,
    pub imap_folder: String,
    pub imap_secret_set: bool,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_secret_set: bool,
    pub signature: String,
    pub ack_zh: String,
    pub ack_en: String,
}

fn blank() -> MailboxForm {
    MailboxForm {
        id: None,
        name: String::new(),
        address: String::new(),
        department_id: String::new(),
        enabled: true,
        imap_host: String::new(),
        imap_port: "993".into(),
        imap_security: "tls".into(),
        imap_username: String::new(),
        imap_auth: "password".into(),
        imap_folder: "INBOX".into(),
        imap_secret_set: false,
        smtp_host: String::new(),
        smtp_port: "465".into(),
        smtp_security: "tls".into(),
        smtp_username: String::new(),
        smtp_secret_set: false,
        signature: String::new(),
        ack_zh: String::new(),
        ack_en: String::new(),
    }
}

fn form_of(m: &MailboxView) -> MailboxForm {
    MailboxForm {
        id: Some(m.id.clone()),
        name: m.name.clone(),
        address: m.address.clone(),
        department_id: m.department_id.clone(),
        enabled: m.enabled,
        imap_host: m.imap_host.clone(),
        imap_port: m.imap_port.to_string(),
        imap_security: m.imap_security.clone(),
        imap_username: m.imap_username.clone(),
        imap_auth: m.imap_auth.clone(),
        imap_folder: m.imap_folder.clone(),
        imap_secret_set: m.imap_secret_set,
        smtp_host: m.smtp_host.clone(),
        smtp_port: m.smtp_port.to_string(),
        smtp_security: m.smtp_security.clone(),
        smtp_username: m.smtp_username.clone().unwrap_or_default(),
        smtp_secret_set: m.smtp_secret_set,
        signature: m.signature.clone(),
        ack_zh: m.ack_zh.clone(),
        ack_en: m.ack_en.clone(),
    }
}

#[derive(Template)]
#[template(path = "mail_mailboxes.html")]
struct MailboxesPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    mailboxes: Vec<MailboxView>,
    form: MailboxForm,
    departments: Vec<(String, String)>,
    securities: Vec<(String, String)>,
    auths: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
    can_review: bool,
}

#[derive(Template)]
#[template(path = "mail_list.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    held: bool,
    items: Vec<MailView>,
    next_cursor: Option<String>,
    done: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
    done: Option<String>,
    cursor: Option<String>,
}

async fn show(
    page: &Page,
    form: MailboxForm,
    error: Option<String>,
    saved: bool,
) -> Result<Response, UiError> {
    let mailboxes = mailboxes::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let departments = page
        .state
        .db()
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let t = page.t();
    Ok(render(&MailboxesPage {
        t,
        chrome: page.chrome("mail"),
        mailboxes,
        form,
        departments,
        securities: t.options("mail_security", ["tls", "starttls", "plain"]),
        auths: t.options("mail_auth", ["password", "oauth2"]),
        error,
        saved,
        can_review: page.ctx.can(Permission::MailReview),
    }))
}

async fn mailboxes_page(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    if !page.ctx.can(Permission::MailManage) && page.ctx.can(Permission::MailReview) {
        return Ok(Redirect::to("/mail/held").into_response());
    }
    show(&page, blank(), None, f.saved.is_some()).await
}

async fn edit_page(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    let m = mailboxes::get(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    show(&page, form_of(&m), None, false).await
}

fn read_form(id: Option<String>, pairs: &[(String, String)]) -> (MailboxForm, MailboxPayload) {
    let f = |n: &str| field(pairs, n);
    let optional = |n: &str| Some(f(n)).filter(|v| !v.trim().is_empty());
    let payload = MailboxPayload {
        name: f("name"),
        address: f("address"),
        department_id: f("department_id"),
        enabled: !f("enabled").is_empty(),
        imap_host: f("imap_host"),
        imap_port: f("imap_port").trim().parse().unwrap_or(0),
        imap_security: f("imap_security"),
        imap_username: f("imap_username"),
        imap_auth: f("imap_auth"),
        imap_secret: optional("imap_secret"),
        imap_folder: f("imap_folder"),
        smtp_host: f("smtp_host"),
        smtp_port: f("smtp_port").trim().parse().unwrap_or(0),
        smtp_security: f("smtp_security"),
        smtp_username: optional("smtp_username"),
        smtp_secret: optional("smtp_secret"),
        signature: f("signature"),
        ack_zh: f("ack_zh"),
        ack_en: f("ack_en"),
    };
    let form = MailboxForm {
        id,
        name: payload.name.clone(),
        address: payload.address.clone(),
        department_id: payload.department_id.clone(),
        enabled: payload.enabled,
        imap_host: payload.imap_host.clone(),
        imap_port: f("imap_port"),
        imap_security: payload.imap_security.clone(),
        imap_username: payload.imap_username.clone(),
        imap_auth: payload.imap_auth.clone(),
        imap_folder: payload.imap_folder.clone(),
        imap_secret_set: false,
        smtp_host: payload.smtp_host.clone(),
        smtp_port: f("smtp_port"),
        smtp_security: payload.smtp_security.clone(),
        smtp_username: f("smtp_username"),
        smtp_secret_set: false,
        signature: payload.signature.clone(),
        ack_zh: payload.ack_zh.clone(),
        ack_en: payload.ack_en.clone(),
    };
    (form, payload)
}

async fn done(
    page: &Page,
    form: MailboxForm,
    result: Result<(), AppError>,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to("/mail?saved=1").into_response()),
        Err(e) if crate::ui::shown_on_form(&e) => {
            let status = e.status();
            let shown = show(page, form, Some(e.to_string()), false).await?;
            Ok((status, shown).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn create(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, UiError> {
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let (form, payload) = read_form(None, &pairs);
    let result = mailboxes::create(&page.state, &page.ctx, &payload)
        .await
        .map(|_| ());
    done(&page, form, result).await
}

async fn update(
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let (form, payload) = read_form(Some(id.clone()), &pairs);
    let result = mailboxes::update(&page.state, &page.ctx, &id, &payload).await;
    done(&page, form, result).await
}

async fn list(page: &Page, held: bool, f: &Flash) -> Result<Response, UiError> {
    let which = if held { "held" } else { "failed" };
    let p = review::list(&page.state, &page.ctx, which, f.cursor.as_deref())
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&ListPage {
        t: page.t(),
        chrome: page.chrome("mail"),
        held,
        items: p.items,
        next_cursor: p.next_cursor,
        done: f.done.is_some(),
    }))
}

async fn held_page(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    list(&page, true, &f).await
}

async fn failed_page(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    list(&page, false, &f).await
}

#[derive(Deserialize)]
struct ResolveForm {
    _csrf: String,
    action: String,
}

async fn resolve(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let payload = ResolvePayload { action: f.action };
    match review::resolve(&page.state, &page.ctx, &id, &payload).await {
        Ok(Some(ticket)) if payload.action != "discard" => {
            Ok(Redirect::to(&format!("/tickets/{ticket}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/mail/held?done=1").into_response()),
        Err(e) => Err(page.error(e)),
    }
}

async fn raw(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    let path = review::raw(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    crate::api::download(&path, &format!("{id}.eml"), "message/rfc822")
        .await
        .map_err(|e| page.error(e))
}
