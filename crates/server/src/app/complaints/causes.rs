//! Root-cause categories (投诉原因分类): everyone who handles tickets reads the tree;
//! admins (`service.configure`) create, rename, move, deactivate and delete (unused)
//! categories.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::complaint::parse_cause_name;
use kefu_domain::Permission;
use kefu_store::complaints::{CauseInput, CauseRow, ComplaintError};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CauseView {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// The names from the root down, joined with " / ".
    pub path: String,
    pub position: i64,
    pub active: bool,
    /// Complaints filed directly under it.
    pub complaints: i64,
    /// 0 for the roots.
    pub depth: usize,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CausePayload {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub position: i64,
    /// Default true; inactive categories stay on old complaints but are not offered.
    #[serde(default)]
    pub active: Option<bool>,
}

/// The rows in tree order (each parent before its children), with depth and path.
pub fn tree_order(rows: &[CauseRow]) -> Vec<CauseView> {
    fn walk(rows: &[CauseRow], parent: Option<&CauseView>, out: &mut Vec<CauseView>) {
        let parent_id = parent.map(|p| p.id.as_str());
        for r in rows.iter().filter(|r| r.parent_id.as_deref() == parent_id) {
            let depth = parent.map_or(0, |p| p.depth + 1);
            if out.iter().any(|v| v.id == r.id) || depth > rows.len() {
                continue;
            }
            let view = CauseView {
                id: r.id.clone(),
                parent_id: r.parent_id.clone(),
                name: r.name.clone(),
                path: match parent {
                    Some(p) => format!("{} / {}", p.path, r.name),
                    None => r.name.clone(),
                },
                position: r.position,
                active: r.active != 0,
                complaints: r.complaints,
                depth,
            };
            out.push(view.clone());
            walk(rows, Some(&view), out);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    walk(rows, None, &mut out);
    out
}

pub async fn causes(state: &AppState, ctx: &Ctx) -> Result<Vec<CauseView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(tree_order(&state.db().list_complaint_causes().await?))
}

/// A category with every category below it (for the archive's filter).
pub fn with_descendants(tree: &[CauseView], id: &str) -> Vec<String> {
    let mut ids = vec![id.to_string()];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i].clone();
        ids.extend(
            tree.iter()
                .filter(|c| c.parent_id.as_deref() == Some(parent.as_str()))
                .map(|c| c.id.clone()),
        );
        i += 1;
    }
    ids
}

fn input(p: &CausePayload) -> Result<CauseInput, AppError> {
    Ok(CauseInput {
        name: parse_cause_name(&p.name)?,
        parent_id: p
            .parent_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        position: p.position,
        active: p.active.unwrap_or(true),
    })
}

fn not_found(e: ComplaintError) -> AppError {
    match e {
        ComplaintError::Store(StoreError::NotFound) => AppError::NotFound("category"),
        e => e.into(),
    }
}

pub async fn create_cause(
    state: &AppState,
    ctx: &Ctx,
    p: &CausePayload,
) -> Result<String, AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let input = input(p)?;
    state
        .db()
        .create_complaint_cause(&ctx.actor(), state.clock().now(), &input)
        .await
        .map_err(not_found)
}

pub async fn update_cause(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CausePayload,
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let input = input(p)?;
    state
        .db()
        .update_complaint_cause(&ctx.actor(), state.clock().now(), id, &input)
        .await
        .map_err(not_found)
}

pub async fn delete_cause(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    state
        .db()
        .delete_complaint_cause(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(not_found)
}
