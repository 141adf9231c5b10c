//! The organization's edit pages: a position (duties, qualifications, headcount,
//! permissions, 兼任 rules) and a staff member (details, password).

use super::{render, Chrome, Page, UiError};
use crate::app::org::{self as app, PositionPayload, StaffPayload};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::org::{Alternative, Duty, Education, HeadcountRatio, Qualifications, Rounding};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org/positions/new", get(new_position))
        .route("/org/positions", post(create_position))
        .route(
            "/org/positions/{id}/edit",
            get(edit_position).post(update_position),
        )
        .route("/org/staff/new", get(new_staff))
        .route("/org/staff", post(create_staff))
        .route("/org/staff/{id}/edit", get(edit_staff).post(update_staff))
}

fn educations(t: &Tr<'_>) -> Vec<(String, String)> {
    t.options("education", Education::ALL.iter().map(|e| e.code()))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn number<T: std::str::FromStr>(
    page: &Page,
    field: &'static str,
    v: &str,
) -> Result<Option<T>, UiError> {
    match v.trim() {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| {
            page.error(AppError::invalid(
                "invalid_number",
                format!("{field} must be a number"),
            ))
        }),
    }
}

#[derive(Template)]
#[template(path = "position_form.html")]
struct PositionPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    heading: String,
    action: String,
    title: String,
    department_id: String,
    duties: String,
    headcount_limit: String,
    min_education: String,
    min_years: String,
    certificates: String,
    any_of: String,
    ratio_holders: String,
    ratio_per: String,
    ratio_quantity: String,
    ratio_rounding: String,
    ratio_at_least: String,
    roundings: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    educations: Vec<(String, String)>,
    permissions: Vec<(&'static str, bool, String)>,
    others: Vec<(String, String, bool)>,
}

async fn position_page(page: &Page, id: Option<&str>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::OrgManage)
        .map_err(|e| page.error(e))?;
    let departments = app::departments(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let positions = app::positions(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let current = match id {
        Some(id) => Some(
            positions
                .iter()
                .find(|p| p.id == id)
                .ok_or_else(|| page.error(AppError::NotFound("position")))?,
        ),
        None => None,
    };
    let dept_name = |id: &str| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let t = page.t();
    let q = current
        .map(|p| p.qualifications.clone())
        .unwrap_or_default();
    let ratio = current.and_then(|p| p.headcount_ratio.as_ref());
    let body = PositionPage {
        chrome: page.chrome("org"),
        heading: match current {
            Some(p) => format!("{} · {}", t.t("org.edit_position"), p.title),
            None => t.t("org.add_position").to_string(),
        },
        action: id
            .map(|i| format!("/org/positions/{i}/edit"))
            .unwrap_or_else(|| "/org/positions".into()),
        title: current.map(|p| p.title.clone()).unwrap_or_default(),
        department_id: current.map(|p| p.department_id.clone()).unwrap_or_default(),
        duties: current
            .map(|p| {
                p.duties
                    .iter()
                    .map(Duty::to_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        headcount_limit: current
            .and_then(|p| p.headcount_limit)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        min_education: q
            .min_education
            .map(|e| e.code().to_string())
            .unwrap_or_default(),
        min_years: q
            .min_years_experience
            .map(|n| n.to_string())
            .unwrap_or_default(),
        certificates: q.certificates.join("\n"),
        any_of: q
            .any_of
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        ratio_holders: ratio.map(|r| r.holders.to_string()).unwrap_or_default(),
        ratio_per: ratio.map(|r| r.per.to_string()).unwrap_or_default(),
        ratio_quantity: ratio.map(|r| r.quantity.clone()).unwrap_or_default(),
        ratio_rounding: match ratio.map(|r| r.rounding) {
            Some(Rounding::Floor) => "floor".into(),
            _ => "ceil".into(),
        },
        ratio_at_least: ratio.map(|r| r.at_least.to_string()).unwrap_or_default(),
        roundings: t.options("rounding", ["ceil", "floor"]),
        departments: departments
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect(),
        educations: educations(&t),
        permissions: Permission::ALL
            .iter()
            .map(|p| {
                let held = current.is_some_and(|c| c.permissions.iter().any(|x| x == p.code()));
                (p.code(), held, t.label("perm", p.code()).to_string())
            })
            .collect(),
        others: positions
            .iter()
            .filter(|p| Some(p.id.as_str()) != id)
            .map(|p| {
                let excluded = current.is_some_and(|c| c.excluded_with.contains(&p.id));
                (
                    p.id.clone(),
                    format!("{} / {}", dept_name(&p.department_id), p.title),
                    excluded,
                )
            })
            .collect(),
        t,
    };
    Ok(render(&body))
}

async fn new_position(page: Page) -> Result<Response, UiError> {
    position_page(&page, None).await
}

async fn edit_position(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    position_page(&page, Some(&id)).await
}

#[derive(Deserialize)]
struct PositionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    title: String,
    department_id: String,
    duties: String,
    headcount_limit: String,
    min_education: String,
    min_years: String,
    certificates: String,
    #[serde(default)]
    any_of: String,
    #[serde(default)]
    ratio_holders: String,
    #[serde(default)]
    ratio_per: String,
    #[serde(default)]
    ratio_quantity: String,
    #[serde(default)]
    ratio_rounding: String,
    #[serde(default)]
    ratio_at_least: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    excluded_with: Vec<String>,
}

impl PositionForm {
    fn payload(&self, page: &Page) -> Result<PositionPayload, UiError> {
        let min_education = match self.min_education.as_str() {
            "" => None,
            code => Some(Education::from_code(code).ok_or_else(|| {
                page.error(AppError::invalid("invalid_education", code.to_string()))
            })?),
        };
        let invalid =
            |code: &'static str, message: String| page.error(AppError::invalid(code, message));
        let mut duties = Vec::new();
        for line in lines(&self.duties) {
            duties.push(
                Duty::parse_line(&line)
                    .map_err(|e| invalid("invalid_duties", format!("{line}: {e}")))?,
            );
        }
        let mut any_of = Vec::new();
        for line in lines(&self.any_of) {
            any_of.push(Alternative::parse(&line).ok_or_else(|| {
                invalid(
                    "invalid_qualification",
                    format!(
                        "{line}: write education <high_school…doctorate>, years <n> or \
                         certificate <name>"
                    ),
                )
            })?);
        }
        let headcount_ratio = match (self.ratio_per.trim(), self.ratio_quantity.trim()) {
            ("", "") => None,
            (_, "") | ("", _) => {
                return Err(invalid(
                    "invalid_ratio",
                    "a headcount ratio needs both the block size and the counted quantity".into(),
                ))
            }
            (_, quantity) => {
                let rounding = match self.ratio_rounding.as_str() {
                    "floor" => Rounding::Floor,
                    _ => Rounding::Ceil,
                };
                Some(
                    HeadcountRatio::new(
                        number(page, "holders", &self.ratio_holders)?.unwrap_or(1),
                        number(page, "per", &self.ratio_per)?.unwrap_or(0),
                        quantity,
                        rounding,
                        number(page, "at_least", &self.ratio_at_least)?.unwrap_or(0),
                    )
                    .map_err(|e| invalid("invalid_ratio", e.to_string()))?,
                )
            }
        };
        Ok(PositionPayload {
            department_id: self.department_id.clone(),
            title: self.title.clone(),
            duties,
            qualifications: Qualifications {
                min_education,
                min_years_experience: number(page, "years", &self.min_years)?,
                certificates: lines(&self.certificates),
                any_of,
            },
            headcount_limit: number(page, "headcount", &self.headcount_limit)?,
            headcount_ratio,
            permissions: self.permissions.clone(),
            excluded_with: self.excluded_with.clone(),
        })
    }
}

async fn create_position(page: Page, Form(f): Form<PositionForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::create_position(&page.state, &page.ctx, &f.payload(&page)?)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

async fn update_position(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PositionForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::update_position(&page.state, &page.ctx, &id, &f.payload(&page)?)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Template)]
#[template(path = "staff_form.html")]
struct StaffPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    heading: String,
    action: String,
    is_new: bool,
    username: String,
    display_name: String,
    agent_no: String,
    education: String,
    years_experience: String,
    certificates: String,
    educations: Vec<(String, String)>,
}

async fn staff_page(page: &Page, id: Option<&str>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::OrgManage)
        .map_err(|e| page.error(e))?;
    let user = match id {
        Some(id) => Some(
            page.state
                .db()
                .get_user(id)
                .await
                .map_err(|e| page.error(e.into()))?,
        ),
        None => None,
    };
    let t = page.t();
    let profile = user.as_ref().map(|u| u.profile()).unwrap_or_default();
    let body = StaffPage {
        chrome: page.chrome("org"),
        heading: match &user {
            Some(u) => format!("{} · {}", t.t("org.edit_staff"), u.display_name),
            None => t.t("org.add_staff").to_string(),
        },
        action: id
            .map(|i| format!("/org/staff/{i}/edit"))
            .unwrap_or_else(|| "/org/staff".into()),
        is_new: user.is_none(),
        username: user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default(),
        display_name: user
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        agent_no: user
            .as_ref()
            .and_then(|u| u.agent_no.clone())
            .unwrap_or_default(),
        education: profile
            .education
            .map(|e| e.code().to_string())
            .unwrap_or_default(),
        years_experience: profile.years_experience.to_string(),
        certificates: profile.certificates.join("\n"),
        educations: educations(&t),
        t,
    };
    Ok(render(&body))
}

async fn new_staff(page: Page) -> Result<Response, UiError> {
    staff_page(&page, None).await
}

async fn edit_staff(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    staff_page(&page, Some(&id)).await
}

#[derive(Deserialize)]
struct StaffForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    username: Option<String>,
    display_name: String,
    agent_no: String,
    education: String,
    years_experience: String,
    certificates: String,
    password: String,
}

impl StaffForm {
    fn payload(&self, page: &Page, active: bool) -> Result<StaffPayload, UiError> {
        Ok(StaffPayload {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            agent_no: Some(self.agent_no.clone()),
            password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            active,
            education: Some(self.education.clone()),
            years_experience: number(page, "years", &self.years_experience)?.unwrap_or(0),
            certificates: lines(&self.certificates),
        })
    }
}

async fn create_staff(page: Page, Form(f): Form<StaffForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::create_staff(&page.state, &page.ctx, &f.payload(&page, true)?)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

async fn update_staff(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StaffForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let active = page
        .state
        .db()
        .get_user(&id)
        .await
        .map_err(|e| page.error(e.into()))?
        .is_active();
    let mut payload = f.payload(&page, active)?;
    payload.username = None;
    app::update_staff(&page.state, &page.ctx, &id, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}
