//! The organization page: department tree, positions with duties and 兼任 rules, staff
//! and their positions. Everyone with `org.read` sees it; `org.manage` may change it.

use super::{render, Chrome, Page, UiError};
use crate::app::org::{self as app, DepartmentPayload, StaffPayload};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::org::{Alternative, Cadence, HeadcountRatio, Quantities, Rounding};
use kefu_domain::Permission;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(org_page))
        .route("/org/departments", post(create_department))
        .route("/org/staff/{id}/assign", post(assign))
        .route("/org/staff/{id}/unassign", post(unassign))
        .route("/org/staff/{id}/active", post(set_active))
        .route("/org/departments/{id}/delete", post(delete_department))
        .route("/org/departments/{id}/quantities", post(set_quantities))
        .route("/org/positions/{id}/delete", post(delete_position))
        .route("/org/tiers", post(save_tier))
}

pub struct PositionLine {
    id: String,
    title: String,
    department: String,
    /// (duty, its cadence in words or empty)
    duties: Vec<(String, String)>,
    qualifications: String,
    headcount_limit: Option<i64>,
    ratio: String,
    holders: i64,
    permissions: Vec<String>,
    excluded: Vec<String>,
}

pub struct StaffLine {
    id: String,
    name: String,
    username: String,
    agent_no: String,
    active: bool,
    positions: Vec<(String, String)>,
}

pub struct TreeLine {
    id: String,
    depth: usize,
    name: String,
    positions: String,
    quantities: String,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    tree: Vec<TreeLine>,
    tiers: Vec<crate::app::customers::TierView>,
    departments: Vec<(String, String)>,
    positions: Vec<PositionLine>,
    staff: Vec<StaffLine>,
    can_manage: bool,
    /// Deactivated staff get a link to hand their customers over (document 7).
    can_assign: bool,
}

async fn org_page(page: Page) -> Result<Response, UiError> {
    let (state, ctx) = (&page.state, &page.ctx);
    let departments = app::departments(state, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let positions = app::positions(state, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let staff = app::staff(state, ctx).await.map_err(|e| page.error(e))?;
    let t = page.t();
    let dept_name: HashMap<&str, &str> = departments
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str()))
        .collect();
    let title_of: HashMap<&str, &str> = positions
        .iter()
        .map(|p| (p.id.as_str(), p.title.as_str()))
        .collect();
    // Depth-first order of the tree, children under their parent.
    let mut tree = Vec::new();
    let mut stack: Vec<(Option<&str>, usize)> = vec![(None, 0)];
    let mut order: Vec<(usize, &str)> = Vec::new();
    while let Some((parent, depth)) = stack.pop() {
        if let Some(p) = parent {
            order.push((depth - 1, p));
        }
        for d in departments
            .iter()
            .rev()
            .filter(|d| d.parent_id.as_deref() == parent)
        {
            stack.push((Some(d.id.as_str()), depth + 1));
        }
    }
    for (depth, id) in &order {
        let titles: Vec<&str> = positions
            .iter()
            .filter(|p| p.department_id == *id)
            .map(|p| p.title.as_str())
            .collect();
        tree.push(TreeLine {
            id: id.to_string(),
            depth: depth * 18,
            name: dept_name.get(id).copied().unwrap_or_default().to_string(),
            positions: titles.join("、"),
            quantities: departments
                .iter()
                .find(|d| d.id == *id)
                .map(|d| d.quantities.to_text())
                .unwrap_or_default(),
        });
    }
    let dept_options = order
        .iter()
        .map(|(depth, id)| {
            (
                id.to_string(),
                format!(
                    "{}{}",
                    "　".repeat(*depth),
                    dept_name.get(id).copied().unwrap_or_default()
                ),
            )
        })
        .collect();
    let position_lines = positions
        .iter()
        .map(|p| PositionLine {
            id: p.id.clone(),
            title: p.title.clone(),
            department: dept_name
                .get(p.department_id.as_str())
                .copied()
                .unwrap_or_default()
                .to_string(),
            duties: p
                .duties
                .iter()
                .map(|d| {
                    let cadence = d
                        .cadence
                        .as_ref()
                        .map(|c| cadence_label(&t, c))
                        .unwrap_or_default();
                    (d.text.clone(), cadence)
                })
                .collect(),
            qualifications: describe_qualifications(&t, &p.qualifications),
            headcount_limit: p.headcount_limit,
            ratio: p
                .headcount_ratio
                .as_ref()
                .map(|r| ratio_label(&t, r))
                .unwrap_or_default(),
            holders: p.holders,
            permissions: p.permissions.clone(),
            excluded: p
                .excluded_with
                .iter()
                .map(|x| {
                    title_of
                        .get(x.as_str())
                        .copied()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect(),
        })
        .collect();
    let staff_lines = staff
        .into_iter()
        .map(|s| StaffLine {
            positions: s
                .position_ids
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        title_of
                            .get(p.as_str())
                            .copied()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect(),
            id: s.id,
            name: s.display_name,
            username: s.username,
            agent_no: s.agent_no.unwrap_or_default(),
            active: s.active,
        })
        .collect();
    let tiers = crate::app::customers::tiers(state, ctx)
        .await
        .unwrap_or_default();
    let body = OrgPage {
        chrome: page.chrome("org"),
        tree,
        tiers,
        departments: dept_options,
        positions: position_lines,
        staff: staff_lines,
        can_manage: ctx.can(Permission::OrgManage),
        can_assign: ctx.can(Permission::CustomerAssign),
        t,
    };
    Ok(render(&body))
}

fn describe_qualifications(t: &Tr<'_>, q: &kefu_domain::org::Qualifications) -> String {
    let mut parts = Vec::new();
    if let Some(e) = q.min_education {
        parts.push(format!(
            "{} ≥ {}",
            t.t("org.education"),
            t.label("education", e.code())
        ));
    }
    if let Some(y) = q.min_years_experience {
        parts.push(format!("{} ≥ {y}", t.t("org.years")));
    }
    parts.extend(q.certificates.iter().cloned());
    if !q.any_of.is_empty() {
        let options: Vec<String> = q
            .any_of
            .iter()
            .map(|a| match a {
                Alternative::Education(e) => format!(
                    "{} ≥ {}",
                    t.t("org.education"),
                    t.label("education", e.code())
                ),
                Alternative::Years(n) => format!("{} ≥ {n}", t.t("org.years")),
                Alternative::Certificate(c) => c.clone(),
            })
            .collect();
        parts.push(format!("{}: {}", t.t("org.any_of"), options.join(" / ")));
    }
    parts.join("；")
}

/// A duty's cadence in words: 每日, 每周五, 每月22日前, 班前, 班后.
pub(super) fn cadence_label(t: &Tr<'_>, c: &Cadence) -> String {
    match c {
        Cadence::Weekly { weekday } => t.f(
            "cadence.weekly",
            &[("day", t.label("weekday", weekday.code()))],
        ),
        Cadence::Monthly { day } => t.f("cadence.monthly", &[("day", &day.get().to_string())]),
        other => t.label("cadence", other.kind()).to_string(),
    }
}

fn ratio_label(t: &Tr<'_>, r: &HeadcountRatio) -> String {
    let rounding = match r.rounding {
        Rounding::Ceil => "ceil",
        Rounding::Floor => "floor",
    };
    t.f(
        "org.ratio_text",
        &[
            ("per", &r.per.to_string()),
            ("quantity", &r.quantity),
            ("holders", &r.holders.to_string()),
            ("rounding", t.label("rounding", rounding)),
            ("at_least", &r.at_least.to_string()),
        ],
    )
}

#[derive(Deserialize)]
struct DepartmentForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    parent_id: String,
    #[serde(default)]
    quantities: String,
}

fn parse_quantities(page: &Page, text: &str) -> Result<Quantities, UiError> {
    Quantities::parse(text)
        .map_err(|e| page.error(AppError::invalid("invalid_quantities", e.to_string())))
}

async fn create_department(page: Page, Form(f): Form<DepartmentForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let payload = DepartmentPayload {
        quantities: Some(parse_quantities(&page, &f.quantities)?),
        name: f.name,
        parent_id: Some(f.parent_id),
        description: None,
        sort_order: 0,
    };
    app::create_department(&page.state, &page.ctx, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct QuantitiesForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    quantities: String,
}

async fn set_quantities(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<QuantitiesForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let quantities = parse_quantities(&page, &f.quantities)?;
    app::set_department_quantities(&page.state, &page.ctx, &id, &quantities)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    position_id: String,
}

async fn assign(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::assign(&page.state, &page.ctx, &id, &f.position_id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

async fn unassign(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::unassign(&page.state, &page.ctx, &id, &f.position_id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    active: bool,
}

/// Deactivating keeps the person's history and ends their sessions.
async fn set_active(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let user = page
        .state
        .db()
        .get_user(&id)
        .await
        .map_err(|e| page.error(e.into()))?;
    let profile = user.profile();
    let payload = StaffPayload {
        username: None,
        display_name: user.display_name,
        agent_no: user.agent_no,
        password: None,
        active: f.active,
        education: profile.education.map(|e| e.code().to_string()),
        years_experience: profile.years_experience,
        certificates: profile.certificates,
    };
    app::update_staff(&page.state, &page.ctx, &id, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn delete_department(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::delete_department(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

async fn delete_position(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::delete_position(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct TierForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    code: String,
    name: String,
    sort_order: String,
}

async fn save_tier(page: Page, Form(f): Form<TierForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let sort_order = f.sort_order.trim().parse().unwrap_or(9);
    let payload = crate::app::customers::TierPayload {
        name: f.name,
        sort_order,
    };
    crate::app::customers::save_tier(&page.state, &page.ctx, &f.code, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/org").into_response())
}
