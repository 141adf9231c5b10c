//! Knowledge categories (知识分类): everyone who reads the knowledge base sees the tree;
//! writers create, rename, move and delete (empty) categories.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::knowledge::parse_category_name;
use kefu_domain::Permission;
use kefu_store::knowledge::{CategoryInput, CategoryRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub sort_order: i64,
    /// Published articles directly in it.
    pub published: i64,
    /// 0 for the roots.
    pub depth: usize,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPayload {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub sort_order: i64,
}

/// The rows in tree order (each parent before its children), with their depth.
pub fn tree_order(rows: &[CategoryRow]) -> Vec<CategoryView> {
    fn walk(rows: &[CategoryRow], parent: Option<&str>, depth: usize, out: &mut Vec<CategoryView>) {
        for r in rows.iter().filter(|r| r.parent_id.as_deref() == parent) {
            if out.iter().any(|v| v.id == r.id) || depth > rows.len() {
                continue;
            }
            out.push(CategoryView {
                id: r.id.clone(),
                parent_id: r.parent_id.clone(),
                name: r.name.clone(),
                sort_order: r.sort_order,
                published: r.published,
                depth,
            });
            walk(rows, Some(&r.id), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    walk(rows, None, 0, &mut out);
    out
}

pub async fn categories(state: &AppState, ctx: &Ctx) -> Result<Vec<CategoryView>, AppError> {
    ctx.require(Permission::KnowledgeRead)?;
    Ok(tree_order(&state.db().list_kb_categories().await?))
}

fn category_input(p: &CategoryPayload) -> Result<CategoryInput, AppError> {
    Ok(CategoryInput {
        name: parse_category_name(&p.name)?,
        parent_id: p
            .parent_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        sort_order: p.sort_order,
    })
}

pub async fn create_category(
    state: &AppState,
    ctx: &Ctx,
    p: &CategoryPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    let input = category_input(p)?;
    Ok(state
        .db()
        .create_kb_category(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

pub async fn update_category(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CategoryPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    let input = category_input(p)?;
    match state
        .db()
        .update_kb_category(&ctx.actor(), state.clock().now(), id, &input)
        .await
    {
        Err(kefu_store::knowledge::KnowledgeError::Store(kefu_store::StoreError::NotFound)) => {
            Err(AppError::NotFound("category"))
        }
        other => Ok(other?),
    }
}

pub async fn delete_category(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    match state
        .db()
        .delete_kb_category(&ctx.actor(), state.clock().now(), id)
        .await
    {
        Err(kefu_store::knowledge::KnowledgeError::Store(kefu_store::StoreError::NotFound)) => {
            Err(AppError::NotFound("category"))
        }
        other => Ok(other?),
    }
}
