//! The customer import pages: upload, preview with row errors, commit.

use super::{render, Chrome, Page, UiError};
use crate::app::imports::{self as app, ImportJobView, RowError, SampleRow};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes(state: &AppState) -> Router<AppState> {
    let limit = state.config().max_upload_bytes;
    Router::new()
        .route("/customers/import", get(index).post(upload))
        .route("/customers/import/{id}", get(job))
        .route("/customers/import/{id}/commit", post(commit))
        .route("/customers/import/{id}/discard", post(discard))
        // Pages share the API's upload limit; the request is refused before it is read.
        .route_layer(axum::middleware::from_fn(
            move |req: Request, next: Next| crate::api::refuse_oversized(limit, req, next),
        ))
        .layer(DefaultBodyLimit::max(limit as usize + 64 * 1024))
}

pub struct JobLine {
    id: String,
    filename: String,
    format: String,
    encoding: String,
    status: String,
    status_key: String,
    total_rows: i64,
    valid_rows: i64,
    rejected_rows: i64,
    created_at: String,
    error: Option<String>,
}

fn line(j: ImportJobView) -> JobLine {
    JobLine {
        status_key: format!("import_status.{}", j.status),
        created_at: j.created_at.get(..16).unwrap_or_default().replace('T', " "),
        id: j.id,
        filename: j.filename,
        format: j.format,
        encoding: j.encoding,
        status: j.status,
        total_rows: j.total_rows,
        valid_rows: j.valid_rows,
        rejected_rows: j.rejected_rows,
        error: j.error,
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct IndexPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    jobs: Vec<JobLine>,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    job: JobLine,
    commit_label: String,
    sample: Vec<SampleRow>,
    errors: Vec<RowError>,
}

fn job_page(page: &Page, job: JobLine, sample: Vec<SampleRow>, errors: Vec<RowError>) -> Response {
    let t = page.t();
    let commit_label = t.f("imports.commit", &[("n", &job.valid_rows.to_string())]);
    render(&JobPage {
        t,
        chrome: page.chrome("imports"),
        job,
        commit_label,
        sample,
        errors,
    })
}

async fn index(page: Page) -> Result<Response, UiError> {
    let jobs = app::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&IndexPage {
        t: page.t(),
        chrome: page.chrome("imports"),
        jobs: jobs.into_iter().map(line).collect(),
    }))
}

async fn upload(page: Page, mut multipart: Multipart) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CustomerImport)
        .map_err(|e| page.error(e))?;
    let csrf = page.ctx.csrf().to_string();
    let (dir, filename) = crate::api::receive_upload(&page.state, &mut multipart, Some(&csrf))
        .await
        .map_err(|e| page.error(e))?;
    let preview = app::preview(&page.state, &page.ctx, dir, &filename)
        .await
        .map_err(|e| page.error(e))?;
    let job = app::get_job(&page.state, &preview.id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(job_page(
        &page,
        line(app::job_view(job)),
        preview.sample,
        preview.errors,
    ))
}

async fn job(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CustomerImport)
        .map_err(|e| page.error(e))?;
    let job = app::get_job(&page.state, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(job_page(
        &page,
        line(app::job_view(job)),
        Vec::new(),
        Vec::new(),
    ))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn commit(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::commit(&page.state, &page.ctx, &id).await {
        Ok(_) | Err(AppError::Invalid { .. }) => {
            Ok(Redirect::to(&format!("/customers/import/{id}")).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn discard(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    app::discard(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/customers/import").into_response())
}
