//! My exports (我的导出): the list pages' export buttons start a background export and land
//! here, where each export shows its progress while it is written (the table refreshes
//! itself) and its download once done.

use super::{render, shown_on_form, Chrome, Page, UiError};
use crate::app::exports::{self as app, ExportJobView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exports", get(page_get).post(start))
        .route("/exports/board", get(board))
}

/// An export as a row: the view and its words.
struct Line {
    v: ExportJobView,
    kind: String,
    status: String,
    rows: String,
    size: Option<String>,
}

fn lines(t: &Tr<'_>, items: Vec<ExportJobView>) -> Vec<Line> {
    items
        .into_iter()
        .map(|v| Line {
            kind: t.label("export.kind", &v.kind).to_string(),
            status: t.label("export.state", &v.status).to_string(),
            rows: t.f("export.rows", &[("n", &v.rows_done.to_string())]),
            size: v.bytes.map(size),
            v,
        })
        .collect()
}

/// A file size as people read it.
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<Line>,
    started: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "exports_board.html")]
struct Board<'a> {
    t: Tr<'a>,
    items: Vec<Line>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    started: Option<String>,
}

async fn render_page(
    page: &Page,
    started: bool,
    error: Option<String>,
) -> Result<Response, UiError> {
    let items = app::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&ExportsPage {
        chrome: page.chrome("exports"),
        items: lines(&t, items),
        t,
        started,
        error,
    }))
}

async fn page_get(page: Page, Query(q): Query<PageQuery>) -> Result<Response, UiError> {
    render_page(&page, q.started.is_some(), None).await
}

async fn board(page: Page) -> Result<Response, UiError> {
    let items = app::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&Board {
        items: lines(&t, items),
        t,
    }))
}

#[derive(Deserialize)]
struct StartForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    query: String,
}

/// A list page's export button: starts the export and shows it on this page.
async fn start(page: Page, Form(f): Form<StartForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let t = page.t();
    let format = (!f.format.is_empty()).then_some(f.format.as_str());
    match app::request(&page.state, &page.ctx, &f.kind, format, &f.query, &t).await {
        Ok(_) => Ok(Redirect::to("/exports?started=1").into_response()),
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let mut r = render_page(&page, false, Some(e.to_string())).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(page.error(e)),
    }
}
