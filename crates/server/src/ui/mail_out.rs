//! What kefu sends (`mail.manage`): the outbox by list — waiting, retrying after a
//! failure, dead letters, sent, discarded — with each message's attempts, last error and
//! next attempt, and the retry and discard buttons (`/mail/outbox`); the SMS gateway's
//! settings with its delivery log (`/mail/sms`). Recipients are masked without
//! `customer.pii.read`; the gateway key is taken, never shown back.

use crate::app::mail::outbox::{self, OutboxView, LISTS};
use crate::app::mail::sms::{self, SmsSettingsPayload, SmsSettingsView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail/outbox", get(outbox_page))
        .route("/mail/outbox/{id}/retry", post(retry))
        .route("/mail/outbox/{id}/discard", post(discard))
        .route("/mail/sms", get(sms_page).post(save_sms))
}

#[derive(Template)]
#[template(path = "mail_outbox.html")]
struct OutboxPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    list: String,
    lists: Vec<(String, String)>,
    items: Vec<OutboxView>,
    next_cursor: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct OutboxParams {
    list: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn show_outbox(
    page: &Page,
    p: &OutboxParams,
    error: Option<String>,
) -> Result<Response, UiError> {
    let list = p.list.clone().unwrap_or_else(|| "retrying".into());
    let items = outbox::list(&page.state, &page.ctx, &list, None, p.cursor.as_deref())
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&OutboxPage {
        t,
        chrome: page.chrome("mail"),
        lists: t.options("outbox_list", LISTS),
        list,
        items: items.items,
        next_cursor: items.next_cursor,
        done: p.done.clone(),
        error,
    }))
}

async fn outbox_page(page: Page, Query(p): Query<OutboxParams>) -> Result<Response, UiError> {
    show_outbox(&page, &p, None).await
}

#[derive(Deserialize)]
struct ActionForm {
    _csrf: String,
    /// The list the button was pressed on, to go back to.
    #[serde(default)]
    list: String,
}

async fn after_action(
    page: &Page,
    form: &ActionForm,
    done: &str,
    result: Result<(), AppError>,
) -> Result<Response, UiError> {
    let list = if LISTS.contains(&form.list.as_str()) {
        form.list.as_str()
    } else {
        "dead"
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/mail/outbox?list={list}&done={done}")).into_response())
        }
        // Someone else already retried or discarded it: say so on the list.
        Err(e) if crate::ui::shown_on_form(&e) => {
            let status = e.status();
            let params = OutboxParams {
                list: Some(list.to_string()),
                ..Default::default()
            };
            let shown = show_outbox(page, &params, Some(e.to_string())).await?;
            Ok((status, shown).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn retry(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let result = outbox::retry(&page.state, &page.ctx, &id).await;
    after_action(&page, &f, "retried", result).await
}

async fn discard(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let result = outbox::discard(&page.state, &page.ctx, &id).await;
    after_action(&page, &f, "discarded", result).await
}

#[derive(Template)]
#[template(path = "mail_sms.html")]
struct SmsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    settings: SmsSettingsView,
    log: Vec<OutboxView>,
    next_cursor: Option<String>,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct SmsParams {
    saved: Option<String>,
    cursor: Option<String>,
}

async fn show_sms(
    page: &Page,
    settings: SmsSettingsView,
    cursor: Option<&str>,
    saved: bool,
    error: Option<String>,
) -> Result<Response, UiError> {
    let log = outbox::list(&page.state, &page.ctx, "all", Some("sms"), cursor)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&SmsPage {
        t: page.t(),
        chrome: page.chrome("mail"),
        settings,
        log: log.items,
        next_cursor: log.next_cursor,
        saved,
        error,
    }))
}

async fn sms_page(page: Page, Query(p): Query<SmsParams>) -> Result<Response, UiError> {
    let settings = sms::get_settings(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    show_sms(
        &page,
        settings,
        p.cursor.as_deref(),
        p.saved.is_some(),
        None,
    )
    .await
}

#[derive(Deserialize)]
struct SmsForm {
    _csrf: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    template: String,
}

async fn save_sms(page: Page, Form(f): Form<SmsForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let payload = SmsSettingsPayload {
        enabled: !f.enabled.is_empty(),
        url: f.url.clone(),
        api_key: Some(f.api_key.clone()).filter(|k| !k.trim().is_empty()),
        template: f.template.clone(),
    };
    match sms::save_settings(&page.state, &page.ctx, &payload).await {
        Ok(()) => Ok(Redirect::to("/mail/sms?saved=1").into_response()),
        Err(e) if crate::ui::shown_on_form(&e) => {
            let stored = sms::get_settings(&page.state, &page.ctx)
                .await
                .map_err(|e| page.error(e))?;
            // What was typed stays in the form (never the key).
            let typed = SmsSettingsView {
                enabled: payload.enabled,
                url: payload.url,
                template: payload.template,
                api_key_set: stored.api_key_set,
            };
            let status = e.status();
            let shown = show_sms(&page, typed, None, false, Some(e.to_string())).await?;
            Ok((status, shown).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}
