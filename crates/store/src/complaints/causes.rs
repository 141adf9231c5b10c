//! Root-cause categories (投诉原因分类): a tree of at most three levels that admins edit.
//! A category that complaints use is deactivated rather than deleted, so the archive and
//! past statistics keep their names.

use super::ComplaintError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::tree::{delete_leaf_in, Deleted, TreeTable};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::complaint::check_cause_parent;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CauseRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub position: i64,
    pub active: i64,
    /// Complaints filed under this category (not counting subcategories).
    pub complaints: i64,
}

/// A validated category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseInput {
    pub parent_id: Option<String>,
    pub name: String,
    pub position: i64,
    pub active: bool,
}

impl Db {
    /// Every category, siblings in their order; the caller nests them by `parent_id`.
    pub async fn list_complaint_causes(&self) -> Result<Vec<CauseRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.parent_id, c.name, c.position, c.active, \
             (SELECT COUNT(*) FROM complaints x WHERE x.cause_id = c.id) AS complaints \
             FROM complaint_causes c ORDER BY c.position, c.name",
        )
        .fetch_all(&self.read)
        .await?)
    }

    async fn check_cause_placement(
        &self,
        id: Option<&str>,
        parent: Option<&str>,
    ) -> Result<(), ComplaintError> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, parent_id FROM complaint_causes")
                .fetch_all(&self.read)
                .await?;
        let parents: HashMap<String, Option<String>> = rows.into_iter().collect();
        if let Some(p) = parent {
            if !parents.contains_key(p) {
                return Err(ComplaintError::UnknownCause(p.to_string()));
            }
        }
        check_cause_parent(id, parent, &parents)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_complaint_cause(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &CauseInput,
    ) -> Result<String, ComplaintError> {
        self.check_cause_placement(None, input.parent_id.as_deref())
            .await?;
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO complaint_causes (id, parent_id, name, position, active, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.position)
        .bind(i64::from(input.active))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::ComplaintCauseCreated)
            .subject("complaint_cause", &id)
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames, moves, reorders, deactivates or reactivates a category.
    #[tracing::instrument(skip_all)]
    pub async fn update_complaint_cause(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &CauseInput,
    ) -> Result<(), ComplaintError> {
        self.check_cause_placement(Some(id), input.parent_id.as_deref())
            .await?;
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE complaint_causes SET parent_id = $1, name = $2, position = $3, active = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.position)
        .bind(i64::from(input.active))
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::ComplaintCauseUpdated)
            .subject("complaint_cause", id)
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a category no complaint uses and that has no subcategories.
    #[tracing::instrument(skip_all)]
    pub async fn delete_complaint_cause(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), ComplaintError> {
        let mut tx = self.write.begin().await?;
        let tree = TreeTable {
            table: "complaint_causes",
            used_by: "complaints",
            used_by_column: "cause_id",
        };
        let name = match delete_leaf_in(&mut tx, &tree, id).await? {
            Deleted::Node(name) => name,
            Deleted::InUse => return Err(ComplaintError::CauseInUse),
        };
        let entry = NewAuditEntry::new(AuditAction::ComplaintCauseDeleted)
            .subject("complaint_cause", id)
            .detail(name);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
