//! The organization templates page (组织模板): the handbook's organizations with what
//! each would create, a preview of one, and loading it after a confirmation step.

use super::org::cadence_label;
use super::{render, shown_on_form, Chrome, Page, UiError};
use crate::app::org_templates::{self as app, TemplateView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::org::template;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org/templates", get(list_page))
        .route("/org/templates/{code}", get(preview_page))
        .route("/org/templates/{code}/load", post(load))
}

#[derive(Template)]
#[template(path = "org_templates.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    templates: Vec<TemplateView>,
    done: Option<String>,
    can_manage: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    loaded: Option<String>,
}

async fn list_page(page: Page, Query(q): Query<ListQuery>) -> Result<Response, UiError> {
    let templates = app::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let done = q.loaded.as_deref().and_then(template::find).map(|tpl| {
        t.f(
            "org_templates.loaded",
            &[
                ("name", &tpl.name),
                ("departments", &tpl.departments.len().to_string()),
                ("positions", &tpl.positions.len().to_string()),
                ("exclusions", &tpl.exclusions.len().to_string()),
            ],
        )
    });
    let body = ListPage {
        chrome: page.chrome("org"),
        can_manage: page.ctx.can(Permission::OrgManage),
        templates,
        done,
        t,
    };
    Ok(render(&body))
}

/// A department of the preview, indented under its parent, with its positions.
struct PreviewDepartment {
    depth: usize,
    name: String,
    quantities: String,
    positions: Vec<PreviewPosition>,
}

struct PreviewPosition {
    title: String,
    headcount: String,
    duties: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "org_template_preview.html")]
struct PreviewPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    view: TemplateView,
    departments: Vec<PreviewDepartment>,
    exclusions: Vec<(String, String)>,
    confirm: String,
    error: Option<String>,
    can_manage: bool,
}

async fn preview(page: &Page, code: &str, error: Option<String>) -> Result<Response, UiError> {
    let view = app::list(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .find(|v| v.code == code)
        .ok_or_else(|| page.error(AppError::NotFound("organization template")))?;
    let tpl = template::find(code)
        .ok_or_else(|| page.error(AppError::NotFound("organization template")))?;
    let t = page.t();
    let depth = |mut i: usize| {
        let mut d = 0;
        while let Some(p) = tpl.departments[i].parent {
            d += 1;
            i = p;
        }
        d
    };
    let departments = tpl
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| PreviewDepartment {
            depth: depth(i) * 18,
            name: d.name.clone(),
            quantities: d.quantities.to_text(),
            positions: tpl
                .positions
                .iter()
                .filter(|p| p.department == i)
                .map(|p| PreviewPosition {
                    title: p.title.clone(),
                    headcount: match (p.headcount_limit, &p.headcount_ratio) {
                        (Some(n), _) => format!("≤ {n}"),
                        (None, Some(r)) => format!("{} / {} {}", r.holders, r.per, r.quantity),
                        (None, None) => String::new(),
                    },
                    duties: p
                        .duties
                        .iter()
                        .map(|d| {
                            (
                                d.text.clone(),
                                d.cadence
                                    .as_ref()
                                    .map(|c| cadence_label(&t, c))
                                    .unwrap_or_default(),
                            )
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let exclusions = if tpl.exclusions.len() > 20 {
        Vec::new() // "all positions exclusive" templates: the count says enough
    } else {
        tpl.exclusions
            .iter()
            .map(|(a, b)| {
                (
                    tpl.positions[*a].title.clone(),
                    tpl.positions[*b].title.clone(),
                )
            })
            .collect()
    };
    let confirm = t.f(
        "org_templates.confirm",
        &[
            ("name", &tpl.name),
            ("departments", &tpl.departments.len().to_string()),
            ("positions", &tpl.positions.len().to_string()),
        ],
    );
    let body = PreviewPage {
        chrome: page.chrome("org"),
        can_manage: page.ctx.can(Permission::OrgManage),
        view,
        departments,
        exclusions,
        confirm,
        error,
        t,
    };
    Ok(render(&body))
}

async fn preview_page(page: Page, Path(code): Path<String>) -> Result<Response, UiError> {
    preview(&page, &code, None).await
}

#[derive(Deserialize)]
struct LoadForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn load(
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<LoadForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    match app::load(&page.state, &page.ctx, &code).await {
        Ok(_) => Ok(Redirect::to(&format!("/org/templates?loaded={code}")).into_response()),
        Err(e) if shown_on_form(&e) && e.status() != axum::http::StatusCode::NOT_FOUND => {
            preview(&page, &code, Some(e.to_string())).await
        }
        Err(e) => Err(page.error(e)),
    }
}
