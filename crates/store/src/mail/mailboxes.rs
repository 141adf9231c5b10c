//! Mailbox settings. Secrets go in and never come out through [`MailboxRow`]: the row
//! only says whether one is set; the poller and the sender read them with
//! [`Db::mailbox_secrets`].

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

/// A validated mailbox. `None` secrets keep the stored ones on update.
#[derive(Debug, Clone)]
pub struct MailboxInput {
    pub name: String,
    pub address: String,
    pub department_id: String,
    pub enabled: bool,
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_auth: String,
    pub imap_secret: Option<String>,
    pub imap_folder: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_secret: Option<String>,
    pub signature: String,
    /// The acknowledgement templates (empty: none in that language).
    pub ack_zh: String,
    pub ack_en: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailboxRow {
    pub id: String,
    pub name: String,
    pub address: String,
    pub department_id: String,
    pub department_name: String,
    pub enabled: i64,
    pub imap_host: String,
    pub imap_port: i64,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_auth: String,
    pub imap_secret_set: i64,
    pub imap_folder: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_secret_set: i64,
    pub signature: String,
    pub ack_zh: String,
    pub ack_en: String,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub last_polled_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The stored secrets, for the poller and the sender only.
#[derive(Clone, sqlx::FromRow)]
pub struct Secrets {
    pub imap_secret: Option<String>,
    pub smtp_secret: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

const SELECT: &str = "SELECT m.id, m.name, m.address, m.department_id, d.name AS department_name, \
    m.enabled, m.imap_host, m.imap_port, m.imap_security, m.imap_username, m.imap_auth, \
    CAST(CASE WHEN m.imap_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS imap_secret_set, m.imap_folder, \
    m.smtp_host, m.smtp_port, m.smtp_security, m.smtp_username, \
    CAST(CASE WHEN m.smtp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS smtp_secret_set, m.signature, \
    m.ack_zh, m.ack_en, m.uid_validity, m.last_uid, m.last_polled_at, m.last_error, m.created_at, m.updated_at \
    FROM mailboxes m JOIN departments d ON d.id = m.department_id";

impl Db {
    pub async fn create_mailbox(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        m: &MailboxInput,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO mailboxes (id, name, address, department_id, enabled, imap_host, \
             imap_port, imap_security, imap_username, imap_auth, imap_secret, imap_folder, \
             smtp_host, smtp_port, smtp_security, smtp_username, smtp_secret, signature, \
             created_at, updated_at, ack_zh, ack_en) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21)",
        )
        .bind(&id)
        .bind(&m.name)
        .bind(&m.address)
        .bind(&m.department_id)
        .bind(i64::from(m.enabled))
        .bind(&m.imap_host)
        .bind(i64::from(m.imap_port))
        .bind(&m.imap_security)
        .bind(&m.imap_username)
        .bind(&m.imap_auth)
        .bind(m.imap_secret.as_deref())
        .bind(&m.imap_folder)
        .bind(&m.smtp_host)
        .bind(i64::from(m.smtp_port))
        .bind(&m.smtp_security)
        .bind(m.smtp_username.as_deref())
        .bind(m.smtp_secret.as_deref())
        .bind(&m.signature)
        .bind(to_millis(now))
        .bind(&m.ack_zh)
        .bind(&m.ack_en)
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::MailboxChanged)
            .subject("mailbox", id.clone())
            .detail(format!("created {}", m.address));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces the settings; a `None` secret keeps the stored one. Moving the mailbox to
    /// another folder or server starts its IMAP position over.
    pub async fn update_mailbox(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        m: &MailboxInput,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE mailboxes SET name = $2, address = $3, department_id = $4, enabled = $5, \
             uid_validity = CASE WHEN imap_host = $6 AND imap_folder = $11 \
                AND imap_username = $9 THEN uid_validity ELSE NULL END, \
             last_uid = CASE WHEN imap_host = $6 AND imap_folder = $11 \
                AND imap_username = $9 THEN last_uid ELSE 0 END, \
             imap_host = $6, imap_port = $7, imap_security = $8, imap_username = $9, \
             imap_auth = $10, imap_folder = $11, imap_secret = COALESCE($12, imap_secret), \
             smtp_host = $13, smtp_port = $14, smtp_security = $15, smtp_username = $16, \
             smtp_secret = COALESCE($17, smtp_secret), signature = $18, updated_at = $19, \
             ack_zh = $20, ack_en = $21 WHERE id = $1",
        )
        .bind(id)
        .bind(&m.name)
        .bind(&m.address)
        .bind(&m.department_id)
        .bind(i64::from(m.enabled))
        .bind(&m.imap_host)
        .bind(i64::from(m.imap_port))
        .bind(&m.imap_security)
        .bind(&m.imap_username)
        .bind(&m.imap_auth)
        .bind(&m.imap_folder)
        .bind(m.imap_secret.as_deref())
        .bind(&m.smtp_host)
        .bind(i64::from(m.smtp_port))
        .bind(&m.smtp_security)
        .bind(m.smtp_username.as_deref())
        .bind(m.smtp_secret.as_deref())
        .bind(&m.signature)
        .bind(to_millis(now))
        .bind(&m.ack_zh)
        .bind(&m.ack_en)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::MailboxChanged)
            .subject("mailbox", id.to_string())
            .detail(format!("updated {}", m.address));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_mailbox(&self, id: &str) -> Result<MailboxRow, StoreError> {
        let sql = format!("{SELECT} WHERE m.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// All mailboxes (an admin has a handful).
    pub async fn list_mailboxes(&self) -> Result<Vec<MailboxRow>, StoreError> {
        let sql = format!("{SELECT} ORDER BY m.name, m.id");
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    pub async fn mailbox_secrets(&self, id: &str) -> Result<Secrets, StoreError> {
        Ok(
            sqlx::query_as("SELECT imap_secret, smtp_secret FROM mailboxes WHERE id = $1")
                .bind(id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Takes the poll lease of an enabled mailbox for `holder` until `until` when no other
    /// server holds an unexpired one; returns whether it was taken. One conditional
    /// UPDATE, so of several servers racing for the same mailbox exactly one wins.
    pub async fn take_mailbox_lease(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE mailboxes SET lease_holder = $2, lease_until = $3 WHERE id = $1 \
             AND enabled = 1 AND (lease_until IS NULL OR lease_until <= $4 OR lease_holder = $2)",
        )
        .bind(id)
        .bind(holder)
        .bind(to_millis(until))
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records where a poll stopped (and its error, or none) and gives the lease back.
    pub async fn finish_mailbox_poll(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        position: Option<(i64, i64)>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mailboxes SET uid_validity = COALESCE($3, uid_validity), \
             last_uid = COALESCE($4, last_uid), last_polled_at = $5, last_error = $6, \
             lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2",
        )
        .bind(id)
        .bind(holder)
        .bind(position.map(|p| p.0))
        .bind(position.map(|p| p.1))
        .bind(to_millis(now))
        .bind(error)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records where a fetch stopped while `holder` goes on watching the mailbox (IMAP
    /// IDLE): the lease runs on to `until` instead of being given back. Only while the
    /// lease is `holder`'s, the mailbox enabled and still reading `host`/`folder` (a
    /// changed folder starts again at its first message, which a stale position must
    /// not undo); returns whether it was recorded — when not, the watcher stops.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_mailbox_poll(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        watched: (&str, &str),
        position: Option<(i64, i64)>,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE mailboxes SET uid_validity = COALESCE($3, uid_validity), \
             last_uid = COALESCE($4, last_uid), last_polled_at = $5, last_error = $6, \
             lease_until = $7 WHERE id = $1 AND lease_holder = $2 AND enabled = 1 \
             AND imap_host = $8 AND imap_folder = $9",
        )
        .bind(id)
        .bind(holder)
        .bind(position.map(|p| p.0))
        .bind(position.map(|p| p.1))
        .bind(to_millis(now))
        .bind(error)
        .bind(to_millis(until))
        .bind(watched.0)
        .bind(watched.1)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
