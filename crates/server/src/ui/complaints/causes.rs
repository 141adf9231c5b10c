//! The root-cause settings page (`/settings/complaint-causes`): add, rename, move,
//! deactivate and delete complaint root-cause categories.

use super::super::{render, Chrome, Page, UiError};
use crate::app::complaints::causes::{self as app, CausePayload, CauseView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::Permission;
use serde::Deserialize;

const PAGE: &str = "/settings/complaint-causes";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page_get).post(create))
        .route("/settings/complaint-causes/{id}", post(update))
        .route("/settings/complaint-causes/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "settings_complaint_causes.html")]
struct CausesPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    causes: Vec<CauseView>,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
}

async fn show(page: &Page, error: Option<String>, saved: bool) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::ServiceConfigure)
        .map_err(|e| page.error(e))?;
    let causes = app::causes(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&CausesPage {
        t: page.t(),
        chrome: page.chrome("settings"),
        causes,
        error,
        saved,
    }))
}

async fn page_get(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    show(&page, None, f.saved.is_some()).await
}

#[derive(Deserialize)]
struct CauseForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    position: Option<i64>,
    #[serde(default)]
    active: Option<String>,
}

impl CauseForm {
    fn payload(&self, active: bool) -> CausePayload {
        CausePayload {
            name: self.name.clone(),
            parent_id: Some(self.parent_id.clone()),
            position: self.position.unwrap_or_default(),
            active: Some(active),
        }
    }
}

async fn done(
    page: &Page,
    result: Result<(), crate::error::AppError>,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{PAGE}?saved=1")).into_response()),
        Err(e) if crate::ui::shown_on_form(&e) => show(page, Some(e.to_string()), false).await,
        Err(e) => Err(page.error(e)),
    }
}

async fn create(page: Page, Form(f): Form<CauseForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let result = app::create_cause(&page.state, &page.ctx, &f.payload(true))
        .await
        .map(|_| ());
    done(&page, result).await
}

async fn update(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CauseForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let payload = f.payload(f.active.is_some());
    let result = app::update_cause(&page.state, &page.ctx, &id, &payload).await;
    done(&page, result).await
}

async fn delete(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CauseForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let result = app::delete_cause(&page.state, &page.ctx, &id).await;
    done(&page, result).await
}
