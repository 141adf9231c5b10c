//! The IVR menu settings page (语音导航): which key leads callers to which queue.

use super::{render, Chrome, Page, UiError};
use crate::app::calls::{self as app, IvrOptionPayload};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

/// Empty rows offered for new options.
const BLANK_ROWS: usize = 2;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/ivr", get(ivr_page).post(save))
}

#[derive(Template)]
#[template(path = "ivr.html")]
struct IvrPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    rows: Vec<IvrOptionPayload>,
    error: Option<String>,
}

fn blank() -> IvrOptionPayload {
    IvrOptionPayload {
        key: String::new(),
        label: String::new(),
        queue: String::new(),
        ticket_type: None,
    }
}

async fn ivr_page(page: Page) -> Result<Response, UiError> {
    let mut rows = app::ivr_menu(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    rows.extend((0..BLANK_ROWS).map(|_| blank()));
    Ok(render(&IvrPage {
        t: page.t(),
        chrome: page.chrome("ivr"),
        rows,
        error: None,
    }))
}

/// The menu as a table of rows: repeated fields, one value per row.
#[derive(Deserialize)]
struct MenuForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    label: Vec<String>,
    #[serde(default)]
    queue: Vec<String>,
    #[serde(default)]
    ticket_type: Vec<String>,
}

async fn save(page: Page, Form(form): Form<MenuForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let at = |v: &[String], i: usize| v.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
    // A row left entirely empty is no option (that is how one is removed).
    let rows: Vec<IvrOptionPayload> = (0..form.key.len())
        .map(|i| IvrOptionPayload {
            key: at(&form.key, i),
            label: at(&form.label, i),
            queue: at(&form.queue, i),
            ticket_type: Some(at(&form.ticket_type, i)).filter(|t| !t.is_empty()),
        })
        .filter(|r| !(r.key.is_empty() && r.label.is_empty() && r.queue.is_empty()))
        .collect();
    match app::save_ivr_menu(&page.state, &page.ctx, &rows).await {
        Ok(()) => Ok(Redirect::to("/settings/ivr").into_response()),
        Err(crate::error::AppError::Invalid { message, .. }) => {
            let mut rows = rows;
            rows.extend((0..BLANK_ROWS).map(|_| blank()));
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&IvrPage {
                    t: page.t(),
                    chrome: page.chrome("ivr"),
                    rows,
                    error: Some(message),
                }),
            )
                .into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}
