//! One raw message in: kept whole in the blob store first (so nothing is lost whatever
//! happens next), parsed, its reply token checked, its attachments kept, and written by
//! the store in one transaction. A message that cannot be parsed is still stored, with
//! the reason, for the admin's failed list.

use super::outbox::{acknowledge, NewTicketMail};
use super::token_secret;
use crate::app::tickets::opening_deadlines;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::mail::{self, number_in_subject, token, ParsedMail};
use kefu_domain::ticket::{Priority, TicketType};
use kefu_store::audit::Actor;
use kefu_store::blobs::{BlobError, BlobMeta};
use kefu_store::mail::{IncomingMail, Ingested, MailAttachmentIn, ParsedIn};
use kefu_store::tickets::TicketDeadlines;

/// Text kept on the ticket and in the message row (the raw message has everything).
const MAX_TEXT_CHARS: usize = 20_000;

/// Keeps `bytes` in the blob store.
async fn keep(state: &AppState, bytes: &[u8]) -> Result<BlobMeta, AppError> {
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes)]);
    let pending = state
        .blobs()
        .receive(body, u64::MAX)
        .await
        .map_err(blob_error)?;
    pending.keep().await.map_err(blob_error)
}

fn blob_error(e: BlobError) -> AppError {
    match e {
        BlobError::Empty => AppError::invalid("empty_message", "the message is empty"),
        e => AppError::Internal(anyhow::anyhow!(e)),
    }
}

/// The reply token of a message: the first one in its recipients, else in the
/// Message-IDs it quotes; with whether it verifies.
fn token_of(secret: &[u8], p: &ParsedMail) -> Option<(String, bool)> {
    p.recipients
        .iter()
        .find_map(|a| token::from_address(a))
        .or_else(|| {
            p.quoted_ids
                .iter()
                .find_map(|id| token::from_message_id(id))
        })
        .map(|t| {
            let ok = token::verify(secret, &t);
            (t.ticket_id, ok)
        })
}

/// A message kept, parsed and matched, waiting for its transaction.
pub struct Prepared {
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
    incoming: IncomingMail,
}

/// Ingests one raw message received by `mailbox_id`.
#[tracing::instrument(skip_all, fields(mailbox = %mailbox_id, size = raw.len()))]
pub async fn ingest_raw(
    state: &AppState,
    mailbox_id: &str,
    mailbox_address: &str,
    raw: &[u8],
) -> Result<Ingested, AppError> {
    let p = prepare(state, mailbox_id, mailbox_address, raw).await?;
    commit(state, p).await
}

/// Writes a prepared message: a new ticket, a reply on one, or a message held for
/// review (one transaction in the store). Messages of one mailbox are committed in the
/// order they arrived, so a reply finds the ticket its original opened.
pub async fn commit(state: &AppState, p: Prepared) -> Result<Ingested, AppError> {
    let done = state.db().ingest_mail(&p.actor, p.now, &p.incoming).await?;
    if let (
        Ingested::Opened {
            ticket_id, number, ..
        },
        Ok(parsed),
    ) = (&done, &p.incoming.content)
    {
        let mail = NewTicketMail {
            mailbox_id: &p.incoming.mailbox_id,
            ticket_id,
            number: number.as_str(),
            from_address: &parsed.from_address,
            from_name: parsed.from_name.as_deref(),
            subject: &parsed.subject,
            text: &parsed.text,
            message_id: parsed.message_id.as_deref(),
        };
        // The ticket stands either way: a missing acknowledgement is logged, not a
        // reason to read the message again.
        if let Err(e) = acknowledge(state, &mail).await {
            tracing::warn!(error = %e, ticket = %ticket_id, "acknowledgement not queued");
        }
    }
    Ok(done)
}

/// Everything before the transaction: the raw message and its attachments kept, the
/// message parsed, its token checked, its sender matched to a customer. Independent of
/// other messages, so a mailbox prepares several at once while the previous ones commit.
pub async fn prepare(
    state: &AppState,
    mailbox_id: &str,
    mailbox_address: &str,
    raw: &[u8],
) -> Result<Prepared, AppError> {
    let now = state.clock().now();
    let raw_blob = keep(state, raw).await?;
    let actor = Actor {
        user_id: None,
        name: format!("mail {mailbox_address}"),
        client_addr: None,
    };
    let mut customer_id = None;
    let mut deadlines = TicketDeadlines::default();
    let content = match mail::parse(raw) {
        Err(f) => Err(f.reason),
        Ok(p) => {
            let secret = token_secret(state).await?;
            let token = token_of(secret.0.as_bytes(), &p);
            let mut attachments = Vec::with_capacity(p.attachments.len());
            for a in &p.attachments {
                if a.bytes.is_empty() {
                    continue;
                }
                attachments.push(MailAttachmentIn {
                    blob: keep(state, &a.bytes).await?,
                    filename: a.filename.clone(),
                    inline: a.inline,
                    content_id: a.content_id.clone(),
                });
            }
            // Deadlines are only used when the message opens a ticket; the customer's
            // tier picks the SLA.
            let matches = state
                .db()
                .find_customers_by_contact(&p.from_address)
                .await?;
            let tier = match matches.as_slice() {
                [one] => {
                    customer_id = Some(one.id.clone());
                    Some(one.tier.clone())
                }
                _ => None,
            };
            if token.is_none() && p.kind == mail::Kind::Person {
                deadlines = opening_deadlines(
                    state,
                    now,
                    TicketType::Consultation,
                    Priority::Normal,
                    tier.as_deref(),
                )
                .await?;
            }
            let detail = serde_json::json!({
                "remote_images_blocked": p.remote_images_blocked,
                "undecoded_parts": p.problems,
                "to": p.recipients,
            });
            Ok(ParsedIn {
                subject_number: number_in_subject(&p.subject),
                message_id: p.message_id,
                quoted_ids: p.quoted_ids,
                from_address: p.from_address,
                from_name: p.from_name,
                subject: p.subject,
                text: p.text.chars().take(MAX_TEXT_CHARS).collect(),
                html: p.html,
                detail,
                kind: p.kind,
                token,
                attachments,
            })
        }
    };
    let incoming = IncomingMail {
        mailbox_id: mailbox_id.to_string(),
        raw: raw_blob,
        content,
        customer_id,
        deadlines,
    };
    Ok(Prepared {
        actor,
        now,
        incoming,
    })
}
