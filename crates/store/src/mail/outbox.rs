//! The outbox: e-mail and SMS waiting to go out, leased by one sender at a time,
//! retried with backoff and given up as `dead` after the last attempt. An agent's
//! e-mail reply is written to the ticket and queued in one transaction, so a reply on
//! the timeline is always a reply on its way. Survey links queued by the survey module
//! are adopted into it.

use crate::audit::Actor;
use crate::tickets::{change_in, TicketChange, TicketChangeError};
use crate::{new_id, to_millis, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::ticket::Channel;

/// A message to queue.
#[derive(Debug, Clone, Default)]
pub struct NewOutgoing {
    /// `email` or `sms`.
    pub channel: String,
    pub mailbox_id: Option<String>,
    pub ticket_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Ours (without brackets), carrying the reply token, so answers thread.
    pub message_id: Option<String>,
    /// The customer's last message on the ticket, for their client's threading.
    pub in_reply_to: Option<String>,
    pub created_by: Option<String>,
    /// Written by kefu itself (a notification, a survey link, an acknowledgement), not
    /// by an agent: sent with `Auto-Submitted: auto-generated` so no robot answers it.
    pub automatic: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub channel: String,
    pub mailbox_id: Option<String>,
    pub ticket_id: Option<String>,
    pub survey_outbox_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub provider_ref: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub automatic: i64,
}

const COLUMNS: &str = "id, channel, mailbox_id, ticket_id, survey_outbox_id, recipient, \
    subject, body, message_id, in_reply_to, status, attempts, next_attempt_at, last_error, \
    provider_ref, created_at, sent_at, automatic";

/// Which part of the outbox a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxList {
    /// A status as stored: queued, sending, sent, dead or discarded.
    Status(&'static str),
    /// Queued again after a failed attempt (the retries still to come).
    Retrying,
    /// Every status (a channel's delivery log).
    All,
}

pub(crate) async fn queue_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    m: &NewOutgoing,
    survey_outbox_id: Option<&str>,
) -> Result<String, StoreError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO mail_outbox (id, channel, mailbox_id, ticket_id, survey_outbox_id, \
         recipient, subject, body, message_id, in_reply_to, status, attempts, next_attempt_at, \
         created_by, created_at, automatic) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         'queued', 0, $11, $12, $11, $13)",
    )
    .bind(&id)
    .bind(&m.channel)
    .bind(m.mailbox_id.as_deref())
    .bind(m.ticket_id.as_deref())
    .bind(survey_outbox_id)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(m.message_id.as_deref())
    .bind(m.in_reply_to.as_deref())
    .bind(to_millis(now))
    .bind(m.created_by.as_deref())
    .bind(i64::from(m.automatic))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A survey link waiting in the survey module's outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedSurvey {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub message: String,
    pub ticket_id: Option<String>,
}

impl Db {
    pub async fn queue_outgoing(
        &self,
        now: DateTime<Utc>,
        m: &NewOutgoing,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = queue_in(&mut tx, now, m, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Whether `mailbox_id` queued automatic e-mail to `recipient` since `since` (walks
    /// `mail_outbox_recipient`): a sender gets at most one acknowledgement an hour, so
    /// an autoresponder that ignores our headers cannot start a loop.
    pub async fn automatic_mail_since(
        &self,
        mailbox_id: &str,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM mail_outbox WHERE recipient = $1 AND created_at >= $2 \
             AND automatic = 1 AND mailbox_id = $3 LIMIT 1",
        )
        .bind(recipient)
        .bind(to_millis(since))
        .bind(mailbox_id)
        .fetch_optional(&self.write)
        .await?;
        Ok(found.is_some())
    }

    /// An agent's e-mail reply: the reply on the ticket (first response, promise kept)
    /// and the message queued, in one transaction.
    pub async fn reply_by_email(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        m: &NewOutgoing,
    ) -> Result<String, TicketChangeError> {
        let ticket_id = m.ticket_id.clone().ok_or(StoreError::NotFound)?;
        let mut tx = self.write.begin().await?;
        let change = TicketChange::Reply {
            channel: Channel::Email,
            body: m.body.clone(),
        };
        change_in(&mut tx, self.backend(), actor, now, &ticket_id, &change).await?;
        let id = queue_in(&mut tx, now, m, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The most recent message the customer sent on the ticket (to answer it).
    pub async fn last_incoming_on_ticket(
        &self,
        ticket_id: &str,
    ) -> Result<Option<(String, Option<String>, Option<String>)>, StoreError> {
        let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT mailbox_id, message_id, from_address FROM mail_messages WHERE ticket_id = $1 \
             AND direction = 'in' AND disposition IN ('ticket', 'reply', 'released') \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(ticket_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row)
    }

    /// Survey links queued for e-mail or SMS that the outbox has not taken yet.
    pub async fn queued_survey_messages(
        &self,
        limit: usize,
    ) -> Result<Vec<QueuedSurvey>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.channel, s.recipient, s.message, i.ticket_id FROM survey_outbox s \
             JOIN survey_invitations i ON i.id = s.invitation_id \
             WHERE s.status = 'queued' AND s.channel IN ('email', 'sms') \
             ORDER BY s.created_at LIMIT $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?)
    }

    /// Takes a survey link into the outbox (once: the survey row moves on to `outbox`).
    pub async fn adopt_survey_message(
        &self,
        now: DateTime<Utc>,
        survey_outbox_id: &str,
        m: &NewOutgoing,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let moved = sqlx::query(
            "UPDATE survey_outbox SET status = 'outbox' WHERE id = $1 AND status = 'queued'",
        )
        .bind(survey_outbox_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        queue_in(&mut tx, now, m, Some(survey_outbox_id)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Leases up to `limit` messages that are due (or whose sender's lease ran out) to
    /// `holder`. The outer condition is checked again on the row being updated, so on
    /// PostgreSQL two servers racing for a message cannot both take it.
    pub async fn claim_outgoing(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let due = "((status = 'queued' AND next_attempt_at <= $3) \
                   OR (status = 'sending' AND lease_until <= $3))";
        let sql = format!(
            "UPDATE mail_outbox SET status = 'sending', lease_holder = $1, lease_until = $2, \
             attempts = attempts + 1 WHERE id IN (SELECT id FROM mail_outbox WHERE {due} \
             ORDER BY next_attempt_at LIMIT $4) AND {due} RETURNING {COLUMNS}"
        );
        let mut rows: Vec<OutboxRow> = sqlx::query_as(&sql)
            .bind(holder)
            .bind(to_millis(lease_until))
            .bind(to_millis(now))
            .bind(limit as i64)
            .fetch_all(&self.write)
            .await?;
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rows)
    }

    /// Records a delivery: the outbox row, the sent e-mail on its ticket (its Message-ID
    /// threads the answer), the survey link's status.
    pub async fn mark_outgoing_sent(
        &self,
        row: &OutboxRow,
        holder: &str,
        now: DateTime<Utc>,
        provider_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE mail_outbox SET status = 'sent', sent_at = $3, provider_ref = $4, \
             last_error = NULL, lease_holder = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_holder = $2 AND status = 'sending'",
        )
        .bind(&row.id)
        .bind(holder)
        .bind(to_millis(now))
        .bind(provider_ref)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if let (Some(mailbox), Some(message_id)) = (&row.mailbox_id, &row.message_id) {
            sqlx::query(
                "INSERT INTO mail_messages (id, mailbox_id, direction, dedupe_key, message_id, \
                 disposition, ticket_id, subject, body_text, received_at) \
                 VALUES ($1, $2, 'out', $3, $3, 'sent', $4, $5, $6, $7) \
                 ON CONFLICT (mailbox_id, direction, dedupe_key) DO NOTHING",
            )
            .bind(new_id())
            .bind(mailbox)
            .bind(message_id)
            .bind(row.ticket_id.as_deref())
            .bind(&row.subject)
            .bind(&row.body)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        if let Some(survey) = &row.survey_outbox_id {
            sqlx::query("UPDATE survey_outbox SET status = 'sent', sent_at = $2 WHERE id = $1")
                .bind(survey)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: queued again at `retry_at`, or `dead` when `None`.
    pub async fn mark_outgoing_failed(
        &self,
        row: &OutboxRow,
        holder: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE mail_outbox SET status = $3, next_attempt_at = COALESCE($4, next_attempt_at), \
             last_error = $5, lease_holder = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_holder = $2 AND status = 'sending'",
        )
        .bind(&row.id)
        .bind(holder)
        .bind(if retry_at.is_some() { "queued" } else { "dead" })
        .bind(retry_at.map(to_millis))
        .bind(error)
        .execute(&mut *tx)
        .await?;
        if let (None, Some(survey)) = (retry_at, &row.survey_outbox_id) {
            sqlx::query("UPDATE survey_outbox SET status = 'failed' WHERE id = $1")
                .bind(survey)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A part of the outbox, newest first; only one channel's when `channel` is given
    /// (the SMS delivery log).
    pub async fn list_outbox(
        &self,
        list: OutboxList,
        channel: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<OutboxRow>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE 1 = 1"));
        match list {
            OutboxList::Status(status) => sql.push(" AND status = ").bind_text(status),
            OutboxList::Retrying => sql.push(" AND status = 'queued' AND attempts > 0"),
            OutboxList::All => &mut sql,
        };
        if let Some(c) = channel {
            sql.push(" AND channel = ").bind_text(c);
        }
        if let Some(c) = cursor {
            sql.push(" AND id < ").bind_text(c);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<OutboxRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| r.id.clone()))
    }

    /// Gives up a message waiting to be sent again (queued after a failure, or dead): it
    /// stays listed as `discarded`; a survey link's invitation is marked failed.
    pub async fn discard_outgoing(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "UPDATE mail_outbox SET status = 'discarded', lease_holder = NULL, lease_until = NULL \
             WHERE id = $1 AND status IN ('queued', 'dead') \
             RETURNING channel, survey_outbox_id",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((channel, survey)) = row else {
            return Err(StoreError::NotFound);
        };
        if let Some(survey) = survey {
            sqlx::query("UPDATE survey_outbox SET status = 'failed' WHERE id = $1")
                .bind(survey)
                .execute(&mut *tx)
                .await?;
        }
        let entry =
            crate::audit::NewAuditEntry::new(kefu_domain::audit::AuditAction::MailOutboxDiscarded)
                .subject("mail_outbox", id)
                .detail(format!("{channel} message discarded"));
        crate::audit::append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a dead message back in the queue (after the admin fixed the mailbox).
    pub async fn retry_outgoing(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $2 \
             WHERE id = $1 AND status = 'dead'",
        )
        .bind(id)
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
