//! What the configurable category trees share (knowledge categories, complaint causes):
//! a node may be deleted only while it is a leaf that nothing refers to.

use crate::{StoreError, Tx};

/// A category tree table (`id`, `parent_id`, `name`) and the table whose rows point at it.
pub(crate) struct TreeTable {
    pub table: &'static str,
    pub used_by: &'static str,
    pub used_by_column: &'static str,
}

/// What [`delete_leaf_in`] did.
pub(crate) enum Deleted {
    /// The node's name, for the audit entry.
    Node(String),
    /// Rows or subcategories still point at it; nothing was deleted.
    InUse,
}

/// Deletes node `id` inside the caller's transaction if no row and no child refers to it.
pub(crate) async fn delete_leaf_in(
    tx: &mut Tx<'_>,
    tree: &TreeTable,
    id: &str,
) -> Result<Deleted, StoreError> {
    let TreeTable {
        table,
        used_by,
        used_by_column,
    } = tree;
    let (used,): (i64,) = sqlx::query_as(&format!(
        "SELECT (SELECT COUNT(*) FROM {used_by} WHERE {used_by_column} = $1) + \
         (SELECT COUNT(*) FROM {table} WHERE parent_id = $1)"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    if used > 0 {
        return Ok(Deleted::InUse);
    }
    let name: Option<(String,)> =
        sqlx::query_as(&format!("SELECT name FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let (name,) = name.ok_or(StoreError::NotFound)?;
    sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Deleted::Node(name))
}
