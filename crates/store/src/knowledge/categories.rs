//! Knowledge categories (知识分类): a tree that admins edit; an article belongs to one.

use super::KnowledgeError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::tree::{delete_leaf_in, Deleted, TreeTable};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::knowledge::would_create_cycle;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub sort_order: i64,
    /// Published articles directly in this category.
    pub published: i64,
    /// Articles in any state directly in this category.
    pub articles: i64,
}

/// A validated category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInput {
    pub parent_id: Option<String>,
    pub name: String,
    pub sort_order: i64,
}

impl Db {
    /// Every category with its article counts, in tree order of siblings (sort order,
    /// then name); the caller nests them by `parent_id`.
    pub async fn list_kb_categories(&self) -> Result<Vec<CategoryRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.parent_id, c.name, c.sort_order, \
             (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id \
              AND a.state = 'published') AS published, \
             (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id) AS articles \
             FROM kb_categories c ORDER BY c.sort_order, c.name",
        )
        .fetch_all(&self.read)
        .await?)
    }

    async fn check_parent(
        &self,
        id: Option<&str>,
        parent: Option<&str>,
    ) -> Result<(), KnowledgeError> {
        let Some(parent) = parent else {
            return Ok(());
        };
        let nodes = self.kb_category_nodes().await?;
        if !nodes.contains_key(parent) {
            return Err(KnowledgeError::UnknownCategory(parent.to_string()));
        }
        if let Some(id) = id {
            let parents: HashMap<String, Option<String>> =
                nodes.into_iter().map(|(k, (p, _))| (k, p)).collect();
            if would_create_cycle(id, parent, &parents) {
                return Err(KnowledgeError::CategoryCycle);
            }
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_kb_category(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &CategoryInput,
    ) -> Result<String, KnowledgeError> {
        self.check_parent(None, input.parent_id.as_deref()).await?;
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO kb_categories (id, parent_id, name, sort_order, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.sort_order)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::KnowledgeCategoryCreated)
            .subject("kb_category", &id)
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames, moves or reorders a category (its articles' paths change with it, so
    /// each is recorded in the search log).
    #[tracing::instrument(skip_all)]
    pub async fn update_kb_category(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &CategoryInput,
    ) -> Result<(), KnowledgeError> {
        self.check_parent(Some(id), input.parent_id.as_deref())
            .await?;
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE kb_categories SET parent_id = $1, name = $2, sort_order = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.sort_order)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let articles: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM kb_articles WHERE category_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        let ids: Vec<String> = articles.into_iter().map(|(a,)| a).collect();
        crate::search_log::record_in(
            &mut tx,
            self.backend(),
            crate::search_log::Entity::Article,
            &ids,
            now,
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::KnowledgeCategoryUpdated)
            .subject("kb_category", id)
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an empty category (no articles in any state, no subcategories).
    #[tracing::instrument(skip_all)]
    pub async fn delete_kb_category(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), KnowledgeError> {
        let mut tx = self.write.begin().await?;
        let tree = TreeTable {
            table: "kb_categories",
            used_by: "kb_articles",
            used_by_column: "category_id",
        };
        let name = match delete_leaf_in(&mut tx, &tree, id).await? {
            Deleted::Node(name) => name,
            Deleted::InUse => return Err(KnowledgeError::CategoryNotEmpty),
        };
        let entry = NewAuditEntry::new(AuditAction::KnowledgeCategoryDeleted)
            .subject("kb_category", id)
            .detail(name);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
