//! Writing the knowledge base from the pages: the editor (new and edit, with the
//! version the edit started from), publish and archive, and the history page with a
//! diff against the current article and a restore button per version.

use super::super::{render, Chrome, Page, UiError};
use crate::app::knowledge::{
    self as app, CategoryView, DiffView, NewArticlePayload, UpdateArticlePayload, VersionView,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::knowledge::{split_tags, ArticleKind, ArticleState, Audience};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/knowledge/new", get(new_form).post(create))
        .route("/knowledge/{id}/edit", get(edit_form).post(save))
        .route("/knowledge/{id}/publish", post(publish))
        .route("/knowledge/{id}/archive", post(archive))
        .route("/knowledge/{id}/history", get(history))
        .route("/knowledge/{id}/restore", post(restore))
}

/// What the editor shows: the fields as typed, so an error keeps them.
#[derive(Deserialize, Default, Clone)]
struct ArticleForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    publish: Option<String>,
}

#[derive(Template)]
#[template(path = "knowledge_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    /// None for a new article.
    id: Option<String>,
    f: ArticleForm,
    categories: Vec<CategoryView>,
    kinds: Vec<&'static str>,
    audiences: Vec<&'static str>,
    error: Option<String>,
}

async fn form_page(
    page: &Page,
    id: Option<String>,
    f: ArticleForm,
    error: Option<String>,
) -> Result<Response, UiError> {
    page.ctx
        .require(kefu_domain::Permission::KnowledgeWrite)
        .map_err(|e| page.error(e))?;
    let categories = app::categories(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&FormPage {
        t: page.t(),
        chrome: page.chrome("knowledge"),
        id,
        f,
        categories,
        kinds: ArticleKind::ALL.iter().map(|k| k.code()).collect(),
        audiences: Audience::ALL.iter().map(|a| a.code()).collect(),
        error,
    }))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
}

async fn new_form(page: Page, Query(q): Query<NewQuery>) -> Result<Response, UiError> {
    let f = ArticleForm {
        kind: if q.kind.is_empty() {
            "faq".into()
        } else {
            q.kind
        },
        category_id: q.category,
        audience: "internal".into(),
        ..Default::default()
    };
    form_page(&page, None, f, None).await
}

/// Errors the editor shows above the form (the input kept); anything else is a page.
fn form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid { .. } | AppError::InvalidField { .. } | AppError::Conflict { .. }
    )
}

async fn create(page: Page, Form(f): Form<ArticleForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = NewArticlePayload {
        title: f.title.clone(),
        body: f.body.clone(),
        kind: f.kind.clone(),
        audience: Some(f.audience.clone()),
        category_id: f.category_id.clone(),
        tags: split_tags(&f.tags),
        publish: f.publish.is_some(),
    };
    match app::create(&page.state, &page.ctx, &p).await {
        Ok(id) => Ok(Redirect::to(&format!("/knowledge/{id}")).into_response()),
        Err(e) if form_error(&e) => form_page(&page, None, f, Some(e.to_string())).await,
        Err(e) => Err(page.error(e)),
    }
}

async fn edit_form(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    let a = app::load_visible(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let f = ArticleForm {
        title: a.title,
        body: a.body,
        kind: a.kind.code().into(),
        audience: a.audience.code().into(),
        category_id: a.category_id,
        tags: a.tags.join("，"),
        version: a.version,
        ..Default::default()
    };
    form_page(&page, Some(id), f, None).await
}

async fn save(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ArticleForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = UpdateArticlePayload {
        version: f.version,
        title: f.title.clone(),
        body: f.body.clone(),
        kind: f.kind.clone(),
        audience: Some(f.audience.clone()),
        category_id: f.category_id.clone(),
        tags: split_tags(&f.tags),
    };
    match app::update(&page.state, &page.ctx, &id, &p).await {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/{id}")).into_response()),
        Err(e) if form_error(&e) => {
            let stale = e.code() == "stale_version";
            let mut message = e.to_string();
            if stale {
                message = format!("{} {message}", page.t().t("knowledge.stale"));
            }
            form_page(&page, Some(id), f, Some(message)).await
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct GuardForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: Option<i64>,
    /// For a restore: the version to bring back.
    #[serde(default)]
    from: Option<i64>,
}

async fn change_state(
    page: Page,
    id: String,
    f: GuardForm,
    to: ArticleState,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::set_state(&page.state, &page.ctx, &id, to, f.version)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/knowledge/{id}")).into_response())
}

async fn publish(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<GuardForm>,
) -> Result<Response, UiError> {
    change_state(page, id, f, ArticleState::Published).await
}

async fn archive(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<GuardForm>,
) -> Result<Response, UiError> {
    change_state(page, id, f, ArticleState::Archived).await
}

#[derive(Template)]
#[template(path = "knowledge_history.html")]
struct HistoryPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    id: String,
    title: String,
    current: i64,
    versions: Vec<VersionView>,
    diff: Option<DiffView>,
    no_changes: bool,
    can_write: bool,
    restored: bool,
}

#[derive(Deserialize, Default)]
struct HistoryQuery {
    from: Option<i64>,
    restored: Option<String>,
}

async fn history(
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, UiError> {
    let a = app::load_visible(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let versions = app::versions(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let diff = match q.from {
        Some(from) => Some(
            app::diff(&page.state, &page.ctx, &id, from)
                .await
                .map_err(|e| page.error(e))?,
        ),
        None => None,
    };
    Ok(render(&HistoryPage {
        t: page.t(),
        chrome: page.chrome("knowledge"),
        id,
        title: a.title,
        current: a.version,
        versions,
        no_changes: diff
            .as_ref()
            .is_some_and(|d| d.fields.is_empty() && d.lines.iter().all(|l| l.op == "equal")),
        diff,
        can_write: page.ctx.can(kefu_domain::Permission::KnowledgeWrite),
        restored: q.restored.is_some(),
    }))
}

async fn restore(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<GuardForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let from = f.from.ok_or_else(|| {
        page.error(AppError::invalid_field(
            "invalid_version",
            "from",
            "which version?",
        ))
    })?;
    app::restore(&page.state, &page.ctx, &id, from, f.version)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/knowledge/{id}/history?restored=1")).into_response())
}
