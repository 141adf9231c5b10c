//! Organization templates (组织模板): the organizations of the handbook, ready to load.
//! Listing needs `org.read`; loading needs `org.manage`.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::org::template::{self, OrgTemplate};
use kefu_domain::Permission;
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// What `POST /org/templates/{code}/import` and `kefu org import` take.
    pub code: String,
    pub name: String,
    /// The handbook document it was written from (1 … 20).
    pub document: u32,
    pub source: String,
    pub summary: String,
    /// The department names, parents first.
    pub departments: Vec<String>,
    pub positions: usize,
    /// Pairs of positions one person may not hold together (兼任 rules).
    pub exclusions: usize,
    /// Duties with a cadence (daily, weekly, monthly, before or after a shift).
    pub recurring_duties: usize,
    /// Positions whose headcount follows a ratio.
    pub ratio_positions: usize,
    /// Positions with qualification requirements.
    pub qualified_positions: usize,
    /// Departments of this template that already exist here: loading it would be refused.
    pub existing: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateLoadedView {
    pub code: String,
    pub departments: usize,
    pub positions: usize,
    pub exclusions: usize,
    /// The created departments' ids, parents first.
    pub department_ids: Vec<String>,
}

fn view(t: &OrgTemplate, existing_names: &HashSet<String>) -> TemplateView {
    TemplateView {
        code: t.code.clone(),
        name: t.name.clone(),
        document: t.document,
        source: t.source.clone(),
        summary: t.summary.clone(),
        departments: t.departments.iter().map(|d| d.name.clone()).collect(),
        positions: t.positions.len(),
        exclusions: t.exclusions.len(),
        recurring_duties: t.recurring_duties(),
        ratio_positions: t
            .positions
            .iter()
            .filter(|p| p.headcount_ratio.is_some())
            .count(),
        qualified_positions: t
            .positions
            .iter()
            .filter(|p| p.qualifications != Default::default())
            .count(),
        existing: t
            .departments
            .iter()
            .filter(|d| existing_names.contains(&d.name))
            .map(|d| d.name.clone())
            .collect(),
    }
}

pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<TemplateView>, AppError> {
    ctx.require(Permission::OrgRead)?;
    let existing: HashSet<String> = state
        .db()
        .list_departments()
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    let mut all: Vec<TemplateView> = template::builtin()
        .iter()
        .map(|t| view(t, &existing))
        .collect();
    all.sort_by_key(|t| t.document);
    Ok(all)
}

pub async fn load(state: &AppState, ctx: &Ctx, code: &str) -> Result<TemplateLoadedView, AppError> {
    ctx.require(Permission::OrgManage)?;
    let t = template::find(code).ok_or(AppError::NotFound("organization template"))?;
    let loaded = state
        .db()
        .load_org_template(&ctx.actor(), state.clock().now(), t)
        .await?;
    Ok(TemplateLoadedView {
        code: t.code.clone(),
        departments: loaded.departments,
        positions: loaded.positions,
        exclusions: loaded.exclusions,
        department_ids: loaded.department_ids,
    })
}
