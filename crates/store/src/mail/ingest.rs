//! One received message, written once: its raw bytes and attachments as blobs, its row
//! with what became of it, and — when it opens or joins a ticket — the ticket, the
//! customer, the timeline event and the ticket's attachments, all in one transaction.
//! The same Message-ID from the same mailbox is ingested once.

use crate::audit::Actor;
use crate::blobs::{insert_blob_in, BlobMeta};
use crate::search_log::{self, Entity};
use crate::tickets::timeline::{append_event, notify_in, Event};
use crate::tickets::{create_tickets_in, NewTicket, TicketDeadlines, TicketToOpen};
use crate::{new_id, to_millis, Backend, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::customer::{ContactKind, CustomerStatus, Gender};
use kefu_domain::mail::{decide, Decision, Evidence, HoldReason, Kind, TokenCheck};
use kefu_domain::ticket::{Channel, Priority, TicketNumber, TicketType};

/// A file of a message, already kept in the blob store.
#[derive(Debug, Clone)]
pub struct MailAttachmentIn {
    pub blob: BlobMeta,
    pub filename: String,
    pub inline: bool,
    /// The Content-ID an HTML body's `cid:` names (inline images).
    pub content_id: Option<String>,
}

/// What the server read from a message that could be parsed.
#[derive(Debug, Clone)]
pub struct ParsedIn {
    pub message_id: Option<String>,
    pub quoted_ids: Vec<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Shown with the message: blocked remote images, parts that could not be decoded.
    pub detail: serde_json::Value,
    pub kind: Kind,
    /// The reply token found in the recipients or quoted Message-IDs: the ticket it
    /// names and whether its signature verified.
    pub token: Option<(String, bool)>,
    pub subject_number: Option<TicketNumber>,
    pub attachments: Vec<MailAttachmentIn>,
}

/// A received message and what a new ticket from it would start with.
#[derive(Debug, Clone)]
pub struct IncomingMail {
    pub mailbox_id: String,
    /// The whole message, kept in the blob store.
    pub raw: BlobMeta,
    /// The parsed message, or why it could not be parsed.
    pub content: Result<ParsedIn, String>,
    /// The customer with the sender's address, when the server found exactly one.
    pub customer_id: Option<String>,
    pub deadlines: TicketDeadlines,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Already ingested from this mailbox: the earlier row.
    Duplicate {
        mail_id: String,
    },
    /// Kept whole with the reason, for the admin.
    Failed {
        mail_id: String,
    },
    /// An auto-reply or a bounce: recorded, nothing else.
    Machine {
        mail_id: String,
        kind: Kind,
    },
    Opened {
        mail_id: String,
        ticket_id: String,
        number: TicketNumber,
    },
    Replied {
        mail_id: String,
        ticket_id: String,
    },
    Held {
        mail_id: String,
        ticket_id: String,
        reason: HoldReason,
    },
}

/// The dispositions whose ticket link can be trusted (a held message's is a claim).
pub(super) const TRUSTED: &str = "('ticket', 'reply', 'released', 'sent')";

/// The most body kept on the ticket (the whole message stays in the raw blob).
const MAX_BODY_CHARS: usize = 20_000;

fn dedupe_key(mail: &IncomingMail) -> String {
    match &mail.content {
        Ok(ParsedIn {
            message_id: Some(id),
            ..
        }) => id.clone(),
        _ => format!("sha256:{}", mail.raw.sha256),
    }
}

impl Db {
    /// Writes one received message; see the module comment.
    #[tracing::instrument(skip_all, fields(mailbox = %mail.mailbox_id))]
    pub async fn ingest_mail(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        mail: &IncomingMail,
    ) -> Result<Ingested, StoreError> {
        let key = dedupe_key(mail);
        if let Some(mail_id) = self.find_ingested(&mail.mailbox_id, &key).await? {
            return Ok(Ingested::Duplicate { mail_id });
        }
        let mut tx = self.write.begin().await?;
        match ingest_in(&mut tx, self.backend(), actor, now, mail, &key).await {
            Ok(outcome) => {
                tx.commit().await?;
                Ok(outcome)
            }
            Err(StoreError::Conflict { constraint }) if constraint.contains("mail_messages") => {
                drop(tx);
                match self.find_ingested(&mail.mailbox_id, &key).await? {
                    Some(mail_id) => Ok(Ingested::Duplicate { mail_id }),
                    None => Err(StoreError::Conflict { constraint }),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn find_ingested(
        &self,
        mailbox_id: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM mail_messages WHERE mailbox_id = $1 AND direction = 'in' \
             AND dedupe_key = $2",
        )
        .bind(mailbox_id)
        .bind(key)
        .fetch_optional(&self.write)
        .await?;
        Ok(row.map(|(id,)| id))
    }
}

async fn ingest_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    mail: &IncomingMail,
    key: &str,
) -> Result<Ingested, StoreError> {
    insert_blob_in(tx, &mail.raw, now).await?;
    let mail_id = new_id();
    let p = match &mail.content {
        Err(reason) => {
            insert_row(tx, &mail_id, mail, key, "failed", None, None, now).await?;
            sqlx::query("UPDATE mail_messages SET failure = $2 WHERE id = $1")
                .bind(&mail_id)
                .bind(reason)
                .execute(&mut **tx)
                .await?;
            return Ok(Ingested::Failed { mail_id });
        }
        Ok(p) => p,
    };
    for a in &p.attachments {
        insert_blob_in(tx, &a.blob, now).await?;
    }
    if p.kind != Kind::Person {
        let disposition = match p.kind {
            Kind::Bounce => "bounce",
            _ => "auto_reply",
        };
        insert_row(tx, &mail_id, mail, key, disposition, None, None, now).await?;
        insert_attachments(tx, &mail_id, &p.attachments).await?;
        return Ok(Ingested::Machine {
            mail_id,
            kind: p.kind,
        });
    }
    let evidence = evidence_in(tx, p).await?;
    match decide(&evidence) {
        Decision::NewTicket => {
            let (ticket_id, number) = open_ticket_in(
                tx,
                backend,
                actor,
                now,
                &mail.mailbox_id,
                p,
                mail.customer_id.clone(),
                &mail.deadlines,
            )
            .await?;
            insert_row(
                tx,
                &mail_id,
                mail,
                key,
                "ticket",
                Some(&ticket_id),
                None,
                now,
            )
            .await?;
            insert_attachments(tx, &mail_id, &p.attachments).await?;
            attach_to_ticket_in(tx, backend, actor, now, &mail_id, &ticket_id, true).await?;
            Ok(Ingested::Opened {
                mail_id,
                ticket_id,
                number,
            })
        }
        Decision::Reply(ticket_id) => {
            insert_row(
                tx,
                &mail_id,
                mail,
                key,
                "reply",
                Some(&ticket_id),
                None,
                now,
            )
            .await?;
            insert_attachments(tx, &mail_id, &p.attachments).await?;
            attach_to_ticket_in(tx, backend, actor, now, &mail_id, &ticket_id, false).await?;
            Ok(Ingested::Replied { mail_id, ticket_id })
        }
        Decision::Hold { ticket_id, reason } => {
            insert_row(
                tx,
                &mail_id,
                mail,
                key,
                "held",
                Some(&ticket_id),
                Some(reason),
                now,
            )
            .await?;
            insert_attachments(tx, &mail_id, &p.attachments).await?;
            Ok(Ingested::Held {
                mail_id,
                ticket_id,
                reason,
            })
        }
    }
}

/// Looks up what each clue points at.
async fn evidence_in(tx: &mut Tx<'_>, p: &ParsedIn) -> Result<Evidence, StoreError> {
    let token = match &p.token {
        Some((ticket_id, verified)) => {
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_optional(&mut **tx)
                .await?;
            match (exists, verified) {
                (None, _) => TokenCheck::Absent,
                (Some(_), true) => TokenCheck::Valid(ticket_id.clone()),
                (Some(_), false) => TokenCheck::Forged(ticket_id.clone()),
            }
        }
        None => TokenCheck::Absent,
    };
    let referenced = if p.quoted_ids.is_empty() {
        None
    } else {
        let mut sql = Sql::new("SELECT ticket_id FROM mail_messages WHERE message_id IN (");
        for (i, id) in p.quoted_ids.iter().take(100).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.clone());
        }
        sql.push(") AND ticket_id IS NOT NULL AND disposition IN ")
            .push(TRUSTED)
            .push(" ORDER BY received_at DESC LIMIT 1");
        let row: Option<(String,)> = sql.query_as().fetch_optional(&mut **tx).await?;
        row.map(|(t,)| t)
    };
    let subject_number = match &p.subject_number {
        Some(number) => {
            let ticket: Option<(String,)> =
                sqlx::query_as("SELECT id FROM tickets WHERE number = $1")
                    .bind(number.as_str())
                    .fetch_optional(&mut **tx)
                    .await?;
            match ticket {
                Some((ticket_id,)) => {
                    let participant = is_participant_in(tx, &ticket_id, &p.from_address).await?;
                    Some((ticket_id, participant))
                }
                None => None,
            }
        }
        None => None,
    };
    Ok(Evidence {
        token,
        referenced,
        subject_number,
    })
}

/// Whether `address` is the ticket customer's e-mail or already wrote on the ticket.
async fn is_participant_in(
    tx: &mut Tx<'_>,
    ticket_id: &str,
    address: &str,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT t.id FROM tickets t JOIN customer_contacts cc ON cc.customer_id = t.customer_id \
         WHERE t.id = $1 AND cc.kind = 'email' AND cc.value = $2 \
         UNION ALL SELECT m.id FROM mail_messages m WHERE m.ticket_id = $1 \
         AND m.from_address = $2 AND m.direction = 'in' AND m.disposition IN {TRUSTED}"
    );
    let row: Option<(String,)> = sqlx::query_as(&sql)
        .bind(ticket_id)
        .bind(address)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

#[allow(clippy::too_many_arguments)]
async fn insert_row(
    tx: &mut Tx<'_>,
    mail_id: &str,
    mail: &IncomingMail,
    key: &str,
    disposition: &str,
    ticket_id: Option<&str>,
    hold: Option<HoldReason>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let p = mail.content.as_ref().ok();
    sqlx::query(
        "INSERT INTO mail_messages (id, mailbox_id, direction, dedupe_key, message_id, \
         disposition, hold_reason, ticket_id, from_address, from_name, subject, body_text, \
         body_html, raw_sha256, detail, received_at) VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(mail_id)
    .bind(&mail.mailbox_id)
    .bind(key)
    .bind(p.and_then(|p| p.message_id.as_deref()))
    .bind(disposition)
    .bind(hold.map(HoldReason::code))
    .bind(ticket_id)
    .bind(p.map(|p| p.from_address.as_str()))
    .bind(p.and_then(|p| p.from_name.as_deref()))
    .bind(p.map(|p| p.subject.as_str()))
    .bind(p.map(|p| p.text.as_str()))
    .bind(p.and_then(|p| p.html.as_deref()))
    .bind(&mail.raw.sha256)
    .bind(p.map(|p| p.detail.to_string()))
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_attachments(
    tx: &mut Tx<'_>,
    mail_id: &str,
    attachments: &[MailAttachmentIn],
) -> Result<(), StoreError> {
    for (i, a) in attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO mail_attachments \
             (mail_id, position, blob_sha256, filename, inline, content_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(mail_id)
        .bind(i as i64)
        .bind(&a.blob.sha256)
        .bind(&a.filename)
        .bind(i64::from(a.inline))
        .bind(&a.content_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Opens a ticket for a message: the customer with the sender's address, or a new one.
#[allow(clippy::too_many_arguments)]
pub(super) async fn open_ticket_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    mailbox_id: &str,
    p: &ParsedIn,
    customer_id: Option<String>,
    deadlines: &TicketDeadlines,
) -> Result<(String, TicketNumber), StoreError> {
    let (department_id,): (String,) =
        sqlx::query_as("SELECT department_id FROM mailboxes WHERE id = $1")
            .bind(mailbox_id)
            .fetch_one(&mut **tx)
            .await?;
    let customer_id = match customer_id {
        Some(id) => id,
        None => {
            customer_for_in(
                tx,
                backend,
                actor,
                now,
                &p.from_address,
                p.from_name.as_deref(),
            )
            .await?
        }
    };
    let subject = if p.subject.trim().is_empty() {
        p.from_address.clone()
    } else {
        p.subject.clone()
    };
    let item = TicketToOpen {
        actor: actor.clone(),
        now,
        ticket: NewTicket {
            ticket_type: TicketType::Consultation,
            channel: Channel::Email,
            priority: Priority::Normal,
            subject,
            description: p.text.chars().take(MAX_BODY_CHARS).collect(),
            occurred_at: None,
            place: None,
            people: None,
            contact_name: p.from_name.clone(),
            contact_phone: None,
            customer_id: Some(customer_id),
            department_id,
            owner_id: None,
            tags: Vec::new(),
            call_id: None,
        },
        deadlines: deadlines.clone(),
    };
    let mut opened = create_tickets_in(tx, backend, &[&item]).await?;
    Ok(opened.remove(0))
}

/// The customer with this e-mail address (the most recent one when several share it),
/// or a new customer named after the sender.
async fn customer_for_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    address: &str,
    name: Option<&str>,
) -> Result<String, StoreError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT customer_id FROM customer_contacts WHERE value = $1 AND kind = 'email' \
         ORDER BY customer_id DESC LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id,)) = found {
        return Ok(id);
    }
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| address.split('@').next().unwrap_or(address).to_string());
    let input = crate::customers::CustomerInput {
        name: name.chars().take(100).collect(),
        company: None,
        gender: Gender::Unknown,
        tier: "C".into(),
        status: CustomerStatus::Prospect,
        owner_id: None,
        id_number: None,
        address: None,
        notes: None,
        contacts: vec![crate::customers::ContactInput {
            kind: ContactKind::Email,
            value: address.to_string(),
            label: None,
        }],
        tags: Vec::new(),
    };
    crate::customers::create_customer_in(tx, backend, actor, now, &input).await
}

/// Puts a stored message on a ticket: its attachments become the ticket's, and the
/// timeline gets an `email` event (without the body when the message opened the ticket:
/// the body is the ticket's description). The assignee hears of a reply.
pub(super) async fn attach_to_ticket_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    mail_id: &str,
    ticket_id: &str,
    opened: bool,
) -> Result<(), StoreError> {
    // The sender's name only: the address is personal data, shown masked by the mail
    // pages; the timeline is read by everyone on the ticket.
    let (from, subject, text): (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT from_name, subject, body_text FROM mail_messages WHERE id = $1")
            .bind(mail_id)
            .fetch_one(&mut **tx)
            .await?;
    let files: Vec<(String, String)> = sqlx::query_as(
        "SELECT blob_sha256, filename FROM mail_attachments WHERE mail_id = $1 ORDER BY position",
    )
    .bind(mail_id)
    .fetch_all(&mut **tx)
    .await?;
    for (sha, filename) in &files {
        sqlx::query(
            "INSERT INTO ticket_attachments (id, ticket_id, blob_sha256, filename, created_by, \
             created_at) VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(new_id())
        .bind(ticket_id)
        .bind(sha)
        .bind(filename)
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    }
    let detail = serde_json::json!({
        "mail_id": mail_id,
        "from_name": from,
        "subject": subject,
        "attachments": files.iter().map(|(_, f)| f).collect::<Vec<_>>(),
    });
    let body: String = text
        .unwrap_or_default()
        .chars()
        .take(MAX_BODY_CHARS)
        .collect();
    let mut event = Event::new(ticket_id, actor, now, "email")
        .channel(Channel::Email.code())
        .detail(detail)
        .public();
    if !opened {
        event = event.body(&body);
    }
    append_event(tx, &event).await?;
    if !opened {
        sqlx::query("UPDATE tickets SET updated_at = $2 WHERE id = $1")
            .bind(ticket_id)
            .bind(to_millis(now))
            .execute(&mut **tx)
            .await?;
        let assignee: Option<(Option<String>,)> =
            sqlx::query_as("SELECT assignee_id FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((Some(user),)) = assignee {
            let line: String = body.chars().take(200).collect();
            notify_in(tx, &[user], now, "email_reply", Some(ticket_id), &line).await?;
        }
        search_log::record_in(tx, backend, Entity::Ticket, &[ticket_id.to_string()], now).await?;
    }
    Ok(())
}
