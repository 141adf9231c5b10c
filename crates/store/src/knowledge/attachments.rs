//! Files attached to articles (a product manual's PDF, a screenshot): kept in the
//! content-addressed blob store like ticket attachments, with an audit entry.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::blobs::{insert_blob_in, BlobMeta};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleAttachmentRow {
    pub id: String,
    pub article_id: String,
    pub blob_sha256: String,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT a.id, a.article_id, a.blob_sha256, a.filename, b.size, \
    b.content_type, u.display_name AS created_by_name, a.created_at FROM kb_attachments a \
    JOIN blobs b ON b.sha256 = a.blob_sha256 LEFT JOIN users u ON u.id = a.created_by";

impl Db {
    /// Records a file already kept in the blob store as an attachment of the article.
    pub async fn add_article_attachment(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        article_id: &str,
        blob: &BlobMeta,
        filename: &str,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        insert_blob_in(&mut tx, blob, now).await?;
        sqlx::query(
            "INSERT INTO kb_attachments (id, article_id, blob_sha256, filename, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(article_id)
        .bind(&blob.sha256)
        .bind(filename)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::ArticleAttachmentAdded)
            .subject("article", article_id)
            .detail(format!("attachment {filename}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_article_attachments(
        &self,
        article_id: &str,
    ) -> Result<Vec<ArticleAttachmentRow>, StoreError> {
        let sql = format!("{SELECT} WHERE a.article_id = $1 ORDER BY a.id");
        Ok(sqlx::query_as(&sql)
            .bind(article_id)
            .fetch_all(&self.read)
            .await?)
    }

    pub async fn get_article_attachment(
        &self,
        article_id: &str,
        id: &str,
    ) -> Result<ArticleAttachmentRow, StoreError> {
        let sql = format!("{SELECT} WHERE a.article_id = $1 AND a.id = $2");
        Ok(sqlx::query_as(&sql)
            .bind(article_id)
            .bind(id)
            .fetch_one(&self.read)
            .await?)
    }
}
