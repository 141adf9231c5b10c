//! Survey settings (`/settings/surveys`, `survey.manage`): the templates with their
//! questions, and when an answer counts as dissatisfied.

use crate::app::surveys::{
    self as app, template_view, QuestionPayload, SettingsPayload, TemplatePayload, TemplateView,
};
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
use kefu_domain::survey::QuestionKind;
use kefu_domain::Permission;
use serde::Deserialize;

const PAGE: &str = "/settings/surveys";
/// Empty question rows the form offers beyond the template's own.
const SPARE_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page_get).post(create))
        .route("/settings/surveys/thresholds", post(save_settings))
        .route("/settings/surveys/{id}", get(edit_get).post(update))
}

/// One question row of the template form.
pub struct Row {
    pub i: usize,
    pub kind: String,
    pub text: String,
    pub options: String,
    pub required: bool,
}

/// The template form, as typed.
pub struct TemplateFormView {
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub rows: Vec<Row>,
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "settings_surveys.html")]
struct SettingsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    templates: Vec<TemplateView>,
    settings: SettingsPayload,
    form: TemplateFormView,
    kinds: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
}

fn blank_rows(from: usize, n: usize) -> Vec<Row> {
    (from..from + n)
        .map(|i| Row {
            i,
            kind: "csat".into(),
            text: String::new(),
            options: String::new(),
            required: false,
        })
        .collect()
}

fn form_of(t: &TemplateView) -> TemplateFormView {
    let mut rows: Vec<Row> = t
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| Row {
            i,
            kind: q.kind.clone(),
            text: q.text.clone(),
            options: q.options.join("\n"),
            required: q.required,
        })
        .collect();
    rows.extend(blank_rows(rows.len(), SPARE_ROWS));
    TemplateFormView {
        id: Some(t.id.clone()),
        name: t.name.clone(),
        description: t.description.clone().unwrap_or_default(),
        active: t.active,
        rows,
        locked: t.answers > 0,
    }
}

fn new_form() -> TemplateFormView {
    TemplateFormView {
        id: None,
        name: String::new(),
        description: String::new(),
        active: true,
        rows: blank_rows(0, 5),
        locked: false,
    }
}

async fn show(
    page: &Page,
    form: TemplateFormView,
    error: Option<String>,
    saved: bool,
) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::SurveyManage)
        .map_err(|e| page.error(e))?;
    let (templates, settings) = tokio::try_join!(
        app::templates(&page.state, &page.ctx),
        app::settings(&page.state, &page.ctx)
    )
    .map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&SettingsPage {
        t,
        chrome: page.chrome("settings"),
        templates,
        settings,
        form,
        kinds: t.options("survey_kind", QuestionKind::ALL.iter().map(|k| k.code())),
        error,
        saved,
    }))
}

async fn page_get(page: Page, Query(f): Query<Flash>) -> Result<Response, UiError> {
    show(&page, new_form(), None, f.saved.is_some()).await
}

async fn edit_get(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::SurveyManage)
        .map_err(|e| page.error(e))?;
    let row = app::template(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    show(&page, form_of(&template_view(&row)), None, false).await
}

/// Options are typed one per line (commas and 、 separate too).
fn split_options(s: &str) -> Vec<String> {
    s.split(['\n', ',', '，', '、'])
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

/// The form as typed, and the payload of its filled rows.
fn read_form(
    id: Option<String>,
    pairs: &[(String, String)],
) -> (TemplateFormView, TemplatePayload) {
    let mut rows = Vec::new();
    let mut i = 0;
    while pairs.iter().any(|(k, _)| k == &format!("kind_{i}")) {
        rows.push(Row {
            i,
            kind: field(pairs, &format!("kind_{i}")),
            text: field(pairs, &format!("text_{i}")),
            options: field(pairs, &format!("options_{i}")),
            required: !field(pairs, &format!("required_{i}")).is_empty(),
        });
        i += 1;
    }
    let payload = TemplatePayload {
        name: field(pairs, "name"),
        description: Some(field(pairs, "description")),
        questions: rows
            .iter()
            .filter(|r| !r.text.trim().is_empty())
            .map(|r| QuestionPayload {
                kind: r.kind.clone(),
                text: r.text.clone(),
                options: split_options(&r.options),
                required: r.required,
            })
            .collect(),
        active: Some(!field(pairs, "active").is_empty()),
    };
    let form = TemplateFormView {
        id,
        name: payload.name.clone(),
        description: field(pairs, "description"),
        active: payload.active.unwrap_or(true),
        rows,
        locked: false,
    };
    (form, payload)
}

async fn done(
    page: &Page,
    form: TemplateFormView,
    result: Result<(), AppError>,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{PAGE}?saved=1")).into_response()),
        Err(e) if crate::ui::shown_on_form(&e) => {
            let status = e.status();
            let message = super::answer_error_text(&page.t(), &e);
            let shown = show(page, form, Some(message), false).await?;
            Ok((status, shown).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn create(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, UiError> {
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let (form, payload) = read_form(None, &pairs);
    let result = app::create_template(&page.state, &page.ctx, &payload)
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
    let result = app::update_template(&page.state, &page.ctx, &id, &payload).await;
    done(&page, form, result).await
}

#[derive(Deserialize)]
struct ThresholdForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    csat_max: String,
    #[serde(default)]
    nps_max: String,
    #[serde(default)]
    link_days: String,
}

fn number(field: &'static str, s: &str) -> Result<Option<i64>, AppError> {
    match s.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            AppError::invalid_field("invalid_number", field, format!("{v:?} is not a number"))
        }),
    }
}

async fn save_settings(page: Page, Form(f): Form<ThresholdForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let payload = (|| {
        Ok::<_, AppError>(SettingsPayload {
            csat_max: number("csat_max", &f.csat_max)?,
            nps_max: number("nps_max", &f.nps_max)?,
            link_days: number("link_days", &f.link_days)?.unwrap_or(0),
        })
    })();
    let result = match payload {
        Ok(p) => app::save_settings(&page.state, &page.ctx, &p).await,
        Err(e) => Err(e),
    };
    done(&page, new_form(), result).await
}
