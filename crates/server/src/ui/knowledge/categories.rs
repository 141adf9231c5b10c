//! The category settings page (`/settings/knowledge`): add, rename, move and delete
//! knowledge categories.

use super::super::{render, Chrome, Page, UiError};
use crate::app::knowledge::{self as app, CategoryPayload, CategoryView};
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/knowledge", get(page_get).post(create))
        .route("/settings/knowledge/{id}", post(update))
        .route("/settings/knowledge/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "knowledge_categories.html")]
struct CategoriesPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    categories: Vec<CategoryView>,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
}

async fn show(page: &Page, error: Option<String>, saved: bool) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::KnowledgeWrite)
        .map_err(|e| page.error(e))?;
    let categories = app::categories(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&CategoriesPage {
        t: page.t(),
        chrome: page.chrome("knowledge"),
        categories,
        error,
        saved,
    }))
}

async fn page_get(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    show(&page, None, f.saved.is_some()).await
}

#[derive(Deserialize)]
struct CategoryForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    sort_order: Option<i64>,
}

impl CategoryForm {
    fn payload(&self) -> CategoryPayload {
        CategoryPayload {
            name: self.name.clone(),
            parent_id: Some(self.parent_id.clone()),
            sort_order: self.sort_order.unwrap_or_default(),
        }
    }
}

/// After a write: back to the page, or the page with the error.
async fn done(
    page: &Page,
    result: Result<(), crate::error::AppError>,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to("/settings/knowledge?saved=1").into_response()),
        Err(e) if crate::ui::shown_on_form(&e) => show(page, Some(e.to_string()), false).await,
        Err(e) => Err(page.error(e)),
    }
}

async fn create(page: Page, Form(f): Form<CategoryForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let result = app::create_category(&page.state, &page.ctx, &f.payload())
        .await
        .map(|_| ());
    done(&page, result).await
}

async fn update(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CategoryForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let result = app::update_category(&page.state, &page.ctx, &id, &f.payload()).await;
    done(&page, result).await
}

async fn delete(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CategoryForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let result = app::delete_category(&page.state, &page.ctx, &id).await;
    done(&page, result).await
}
