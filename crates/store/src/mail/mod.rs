//! E-mail: the mailboxes (settings, IMAP position, the poll lease), every message in and
//! out with what became of it ([`ingest`]), and the review of held messages
//! ([`review`]). Parsing and the threading rule live in `kefu_domain::mail`; this module
//! looks up the evidence and writes the outcome in one transaction.

mod ingest;
mod mailboxes;
mod outbox;
mod review;

pub use ingest::{IncomingMail, Ingested, MailAttachmentIn, ParsedIn};
pub use mailboxes::{MailboxInput, MailboxRow, Secrets};
pub use outbox::{NewOutgoing, OutboxList, OutboxRow, QueuedSurvey};
pub use review::{HeldAction, MailAttachmentRow, MailRow};

use crate::{to_millis, Db, StoreError};
use chrono::{DateTime, Utc};

impl Db {
    /// The key that signs reply tokens: the stored one, or `candidate` when none is
    /// stored yet (the first server to ask stores it; the others read it back).
    pub async fn mail_token_secret(
        &self,
        candidate: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO mail_keys (id, secret, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        let (secret,): (String,) = sqlx::query_as("SELECT secret FROM mail_keys WHERE id = 1")
            .fetch_one(&self.write)
            .await?;
        Ok(secret)
    }
}

/// The SMS gateway settings (the key is read only by the sender).
#[derive(Clone, sqlx::FromRow)]
pub struct SmsSettingsRow {
    pub enabled: i64,
    pub url: String,
    pub api_key: Option<String>,
    pub template: String,
}

impl std::fmt::Debug for SmsSettingsRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettingsRow")
            .field("enabled", &self.enabled)
            .field("url", &self.url)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl Db {
    pub async fn get_sms_settings(&self) -> Result<Option<SmsSettingsRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT enabled, url, api_key, template FROM sms_settings WHERE id = 1")
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Saves the gateway; a `None` key keeps the stored one.
    pub async fn save_sms_settings(
        &self,
        actor: &crate::audit::Actor,
        now: DateTime<Utc>,
        enabled: bool,
        url: &str,
        api_key: Option<&str>,
        template: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO sms_settings (id, enabled, url, api_key, template, updated_at) \
             VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
             enabled = excluded.enabled, url = excluded.url, \
             api_key = COALESCE(excluded.api_key, sms_settings.api_key), \
             template = excluded.template, updated_at = excluded.updated_at",
        )
        .bind(i64::from(enabled))
        .bind(url)
        .bind(api_key)
        .bind(template)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry =
            crate::audit::NewAuditEntry::new(kefu_domain::audit::AuditAction::MailboxChanged)
                .subject("sms_settings", "1")
                .detail(format!("sms gateway {url}"));
        crate::audit::append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
