//! Scripts (话术): canned replies an agent inserts into the reply box, kept by whoever
//! holds `chat.manage`. A script without a topic serves every topic; the console lists a
//! chat's topic's scripts and the general ones.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

/// A script with its topic's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScriptRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub topic_id: Option<String>,
    pub topic_name: Option<String>,
    pub updated_at: i64,
}

/// A script as an admin saves it (validated by the caller).
#[derive(Debug, Clone)]
pub struct ScriptInput {
    pub title: String,
    pub body: String,
    pub topic_id: Option<String>,
}

const SCRIPT_SELECT: &str = "SELECT s.id, s.title, s.body, s.topic_id, t.name AS topic_name, \
    s.updated_at FROM chat_scripts s LEFT JOIN chat_topics t ON t.id = s.topic_id";

impl Db {
    /// Every script, the general ones first, then by topic and title.
    pub async fn list_chat_scripts(&self) -> Result<Vec<ScriptRow>, StoreError> {
        let sql = format!(
            "{SCRIPT_SELECT} ORDER BY CASE WHEN s.topic_id IS NULL THEN 0 ELSE 1 END, \
             t.name, s.title, s.id"
        );
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    pub async fn get_chat_script(&self, id: &str) -> Result<ScriptRow, StoreError> {
        let sql = format!("{SCRIPT_SELECT} WHERE s.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// Creates (`id` = `None`) or updates a script. Audited.
    #[tracing::instrument(skip_all)]
    pub async fn save_chat_script(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: Option<&str>,
        s: &ScriptInput,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let at = to_millis(now);
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE chat_scripts SET title = $1, body = $2, topic_id = $3, \
                     updated_at = $4 WHERE id = $5",
                )
                .bind(&s.title)
                .bind(&s.body)
                .bind(s.topic_id.as_deref())
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                id.to_string()
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO chat_scripts (id, title, body, topic_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(&id)
                .bind(&s.title)
                .bind(&s.body)
                .bind(s.topic_id.as_deref())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let entry = NewAuditEntry::new(AuditAction::ChatScriptSaved)
            .subject("chat_script", id.clone())
            .detail(s.title.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes a script (nothing refers to one: a reply that used it is plain text).
    /// Audited.
    #[tracing::instrument(skip_all)]
    pub async fn delete_chat_script(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let title: Option<String> =
            sqlx::query_scalar("DELETE FROM chat_scripts WHERE id = $1 RETURNING title")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(title) = title else {
            return Err(StoreError::NotFound);
        };
        let entry = NewAuditEntry::new(AuditAction::ChatScriptDeleted)
            .subject("chat_script", id.to_string())
            .detail(title);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
