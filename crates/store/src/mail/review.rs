//! The admin's lists: messages held for review (release into the ticket they named,
//! discard, or open a new ticket), messages that could not be read, and the e-mails of
//! a ticket. A decision is taken once: the held row changes only while it is held.

use super::ingest::{attach_to_ticket_in, open_ticket_in, ParsedIn};
use crate::audit::{Actor, NewAuditEntry};
use crate::tickets::TicketDeadlines;
use crate::{to_millis, Db, Page, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::mail::Kind;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    pub mailbox_id: String,
    pub mailbox_address: String,
    pub direction: String,
    pub message_id: Option<String>,
    pub disposition: String,
    pub hold_reason: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub raw_sha256: Option<String>,
    pub failure: Option<String>,
    pub detail: Option<String>,
    pub received_at: i64,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<i64>,
}

/// A file of a stored message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailAttachmentRow {
    pub position: i64,
    pub blob_sha256: String,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    pub content_id: Option<String>,
}

/// What the reviewer decided about a held message.
#[derive(Debug, Clone)]
pub enum HeldAction {
    /// Join the ticket the message named after all.
    Release,
    /// Keep it out of every ticket (spam, a forgery).
    Discard,
    /// Open a ticket of its own.
    NewTicket {
        customer_id: Option<String>,
        deadlines: TicketDeadlines,
    },
}

const SELECT: &str = "SELECT m.id, m.mailbox_id, b.address AS mailbox_address, m.direction, \
    m.message_id, m.disposition, m.hold_reason, m.ticket_id, t.number AS ticket_number, \
    m.from_address, m.from_name, m.subject, m.body_text, m.body_html, m.raw_sha256, \
    m.failure, m.detail, m.received_at, u.display_name AS reviewed_by_name, m.reviewed_at \
    FROM mail_messages m JOIN mailboxes b ON b.id = m.mailbox_id \
    LEFT JOIN tickets t ON t.id = m.ticket_id LEFT JOIN users u ON u.id = m.reviewed_by";

impl Db {
    /// Messages with one disposition (`held`, `failed`, …), newest first.
    pub async fn list_mail(
        &self,
        disposition: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<MailRow>, StoreError> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE m.disposition = ").bind_text(disposition);
        if let Some(c) = cursor {
            sql.push(" AND m.id < ").bind_text(c);
        }
        sql.push(" ORDER BY m.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<MailRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| r.id.clone()))
    }

    pub async fn get_mail(&self, id: &str) -> Result<MailRow, StoreError> {
        let sql = format!("{SELECT} WHERE m.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// The e-mails in and out of a ticket, oldest first.
    pub async fn list_ticket_mail(&self, ticket_id: &str) -> Result<Vec<MailRow>, StoreError> {
        let sql = format!("{SELECT} WHERE m.ticket_id = $1 ORDER BY m.id");
        Ok(sqlx::query_as(&sql)
            .bind(ticket_id)
            .fetch_all(&self.read)
            .await?)
    }

    pub async fn list_mail_attachments(
        &self,
        mail_id: &str,
    ) -> Result<Vec<MailAttachmentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.position, a.blob_sha256, a.filename, b.size, b.content_type, a.content_id \
             FROM mail_attachments a JOIN blobs b ON b.sha256 = a.blob_sha256 \
             WHERE a.mail_id = $1 ORDER BY a.position",
        )
        .bind(mail_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Decides about a held message; returns the ticket it went to, if any.
    /// `StoreError::NotFound` when no message with this id is held (any more).
    pub async fn resolve_held_mail(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        action: &HeldAction,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write.begin().await?;
        let disposition = match action {
            HeldAction::Release => "released",
            HeldAction::Discard => "discarded",
            HeldAction::NewTicket { .. } => "ticket",
        };
        let claimed: Option<(String, Option<String>)> = sqlx::query_as(
            "UPDATE mail_messages SET disposition = $2, reviewed_by = $3, reviewed_at = $4 \
             WHERE id = $1 AND disposition = 'held' RETURNING mailbox_id, ticket_id",
        )
        .bind(id)
        .bind(disposition)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let (mailbox_id, held_ticket) = claimed.ok_or(StoreError::NotFound)?;
        let ticket = match action {
            HeldAction::Discard => {
                sqlx::query("UPDATE mail_messages SET ticket_id = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                None
            }
            HeldAction::Release => {
                let ticket_id = held_ticket.ok_or(StoreError::NotFound)?;
                attach_to_ticket_in(&mut tx, self.backend(), actor, now, id, &ticket_id, false)
                    .await?;
                Some(ticket_id)
            }
            HeldAction::NewTicket {
                customer_id,
                deadlines,
            } => {
                let p = parsed_of_in(&mut tx, id).await?;
                let (ticket_id, _) = open_ticket_in(
                    &mut tx,
                    self.backend(),
                    actor,
                    now,
                    &mailbox_id,
                    &p,
                    customer_id.clone(),
                    deadlines,
                )
                .await?;
                sqlx::query("UPDATE mail_messages SET ticket_id = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&ticket_id)
                    .execute(&mut *tx)
                    .await?;
                attach_to_ticket_in(&mut tx, self.backend(), actor, now, id, &ticket_id, true)
                    .await?;
                Some(ticket_id)
            }
        };
        let entry = NewAuditEntry::new(AuditAction::MailReviewed)
            .subject("mail", id.to_string())
            .detail(disposition);
        crate::audit::append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(ticket)
    }
}

/// What a new ticket needs from a stored message.
async fn parsed_of_in(tx: &mut crate::Tx<'_>, id: &str) -> Result<ParsedIn, StoreError> {
    let (from_address, from_name, subject, text): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT from_address, from_name, subject, body_text FROM mail_messages WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(ParsedIn {
        message_id: None,
        quoted_ids: Vec::new(),
        from_address: from_address.unwrap_or_default(),
        from_name,
        subject: subject.unwrap_or_default(),
        text: text.unwrap_or_default(),
        html: None,
        detail: serde_json::Value::Null,
        kind: Kind::Person,
        token: None,
        subject_number: None,
        attachments: Vec::new(),
    })
}
