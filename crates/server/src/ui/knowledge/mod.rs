//! The knowledge base pages (知识库): browse by category and kind, read an article (a
//! script filled from the ticket or call it was opened for, with a copy button), and
//! attach files. Editing, history and categories are in the submodules.

mod categories;
mod edit;

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::knowledge::script::{fill_script, FilledScript, ScriptSource};
use crate::app::knowledge::{
    self as app, ArticleAttachmentView, ArticleListParams, ArticleSummaryView, ArticleView,
    CategoryView,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kefu_domain::knowledge::ArticleKind;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes(state: &AppState) -> Router<AppState> {
    let limit = state.config().max_upload_bytes;
    let uploads = Router::new()
        .route("/knowledge/{id}/attachments", post(upload))
        // Pages share the API's upload limit; the request is refused before it is read.
        .route_layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                crate::api::refuse_oversized(limit, req, next)
            },
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            limit as usize + 64 * 1024,
        ));
    Router::new()
        .merge(uploads)
        .route("/knowledge", get(browse))
        .route("/knowledge/{id}", get(article))
        .route("/knowledge/{id}/attachments/{attachment_id}", get(download))
        .merge(edit::routes())
        .merge(categories::routes())
}

/// The ticket or call a page was opened for, carried along on its links.
#[derive(Deserialize, Default, Clone)]
struct Context {
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    call: Option<String>,
}

impl Context {
    fn query(&self) -> String {
        query_string(&[
            ("ticket", self.ticket.as_deref().unwrap_or_default()),
            ("call", self.call.as_deref().unwrap_or_default()),
        ])
    }
}

#[derive(Template)]
#[template(path = "knowledge_list.html")]
struct BrowsePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    categories: Vec<CategoryView>,
    items: Vec<ArticleSummaryView>,
    next: Option<String>,
    category: String,
    kind: String,
    state: String,
    kinds: Vec<&'static str>,
    can_write: bool,
    /// `ticket=…&call=…` to keep on article links.
    context: String,
}

#[derive(Deserialize, Default)]
struct BrowseQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    tag: String,
    cursor: Option<String>,
    #[serde(flatten)]
    context: Context,
}

async fn browse(page: Page, Query(q): Query<BrowseQuery>) -> Result<Response, UiError> {
    let params = ArticleListParams {
        category_id: Some(q.category.clone()),
        kind: Some(q.kind.clone()),
        state: Some(q.state.clone()),
        tag: Some(q.tag.clone()),
        cursor: q.cursor.clone(),
        ..Default::default()
    };
    let list = app::list(&page.state, &page.ctx, &params)
        .await
        .map_err(|e| page.error(e))?;
    let categories = app::categories(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let next = list.next_cursor.map(|c| {
        query_string(&[
            ("category", &q.category),
            ("kind", &q.kind),
            ("state", &q.state),
            ("tag", &q.tag),
            ("cursor", &c),
        ])
    });
    Ok(render(&BrowsePage {
        t: page.t(),
        chrome: page.chrome("knowledge"),
        categories,
        items: list.items,
        next,
        category: q.category,
        kind: q.kind,
        state: q.state,
        kinds: ArticleKind::ALL.iter().map(|k| k.code()).collect(),
        can_write: page.ctx.can(Permission::KnowledgeWrite),
        context: q.context.query(),
    }))
}

#[derive(Template)]
#[template(path = "knowledge_article.html")]
struct ArticlePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    a: ArticleView,
    attachments: Vec<ArticleAttachmentView>,
    /// For scripts: the text filled for the ticket or call at hand.
    script: Option<FilledScript>,
    ticket_ref: String,
    can_write: bool,
    error: Option<String>,
}

async fn article(
    page: Page,
    Path(id): Path<String>,
    Query(c): Query<Context>,
) -> Result<Response, UiError> {
    render_article(&page, &id, &c, None).await
}

async fn render_article(
    page: &Page,
    id: &str,
    c: &Context,
    error: Option<String>,
) -> Result<Response, UiError> {
    let row = app::load_visible(&page.state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let script = if row.kind == ArticleKind::Script {
        let source = ScriptSource::new(c.ticket.as_deref(), c.call.as_deref());
        Some(
            fill_script(&page.state, &page.ctx, &row.body, &source)
                .await
                .map_err(|e| page.error(e))?,
        )
    } else {
        None
    };
    let attachments = page
        .state
        .db()
        .list_article_attachments(&row.id)
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(render(&ArticlePage {
        t: page.t(),
        chrome: page.chrome("knowledge"),
        a: app::article_view(&row),
        attachments: attachments.iter().map(app::attachment_view).collect(),
        ticket_ref: script
            .as_ref()
            .and_then(|s| s.ticket_number.clone())
            .unwrap_or_default(),
        script,
        can_write: page.ctx.can(Permission::KnowledgeWrite),
        error,
    }))
}

async fn download(
    page: Page,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (path, row) = app::file(&page.state, &page.ctx, &id, &attachment_id)
        .await
        .map_err(|e| page.error(e))?;
    crate::api::download(&path, &row.filename, &row.content_type)
        .await
        .map_err(|e| page.error(e))
}

/// The page's file upload (multipart: `_csrf` first, then `file`).
async fn upload(
    page: Page,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, UiError> {
    let csrf = page.ctx.csrf().to_string();
    match app::attach(&page.state, &page.ctx, &id, &mut multipart, Some(&csrf)).await {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/{id}")).into_response()),
        Err(
            e
            @ (AppError::Invalid { .. } | AppError::TooLarge { .. } | AppError::BadRequest { .. }),
        ) => render_article(&page, &id, &Context::default(), Some(e.to_string())).await,
        Err(e) => Err(page.error(e)),
    }
}
