//! E-mail and SMS out. Pages and the API only queue (`mail_outbox`); the sender loop
//! (`jobs::mail::send_outbox`) delivers with retries, so a slow or broken mail server
//! never blocks a page. An agent's e-mail reply goes to the address the customer wrote
//! from (or the customer's e-mail), from the mailbox it came in by, with the mailbox's
//! signature, the ticket number in the subject, our Message-ID and the signed reply-to.

use super::token_secret;
use crate::app::tickets::load_checked;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use kefu_domain::mail::{ack, token};
use kefu_domain::ticket::TicketAction;
use kefu_domain::Permission;
use kefu_store::mail::{MailboxRow, NewOutgoing, OutboxList, OutboxRow};
use kefu_store::Page;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailReplyPayload {
    pub body: String,
    /// `zh-CN` (default) or `en`: the language of the subject line and footer.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxView {
    pub id: String,
    /// `email` or `sms`.
    pub channel: String,
    pub ticket_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    /// queued, sending, sent, dead or discarded.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (for a queued message).
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    /// Written by kefu (notification, survey link), not by an agent.
    pub automatic: bool,
    /// The provider's or SMTP server's answer on delivery.
    pub provider_ref: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

pub fn view_of(ctx: &Ctx, r: &OutboxRow) -> OutboxView {
    let recipient = if ctx.can(Permission::CustomerPiiRead) {
        r.recipient.clone()
    } else if r.channel == "sms" {
        crate::app::customers::mask_contact("mobile", &r.recipient)
    } else {
        crate::app::customers::mask_contact("email", &r.recipient)
    };
    OutboxView {
        id: r.id.clone(),
        channel: r.channel.clone(),
        ticket_id: r.ticket_id.clone(),
        recipient,
        subject: r.subject.clone(),
        status: r.status.clone(),
        attempts: r.attempts,
        next_attempt_at: (r.status == "queued").then(|| crate::app::rfc3339(r.next_attempt_at)),
        last_error: r.last_error.clone(),
        automatic: r.automatic != 0,
        provider_ref: r.provider_ref.clone(),
        created_at: crate::app::rfc3339(r.created_at),
        sent_at: r.sent_at.map(crate::app::rfc3339),
    }
}

/// The most an e-mail reply may say.
const MAX_BODY_CHARS: usize = 20_000;

/// Queues an agent's e-mail reply on the ticket; returns the outbox id.
pub async fn reply(
    state: &AppState,
    ctx: &Ctx,
    ticket_id: &str,
    p: &EmailReplyPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::TicketWrite)?;
    let (detail, _) = load_checked(state, ctx, ticket_id, Some(TicketAction::Work)).await?;
    let body = p.body.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::invalid_field(
            "invalid_body",
            "body",
            format!("give 1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    let lang = Lang::parse(p.lang.as_deref().unwrap_or("zh-CN"));
    let ReplyTarget {
        recipient,
        mailbox,
        in_reply_to,
    } = reply_target(state, ticket_id, detail.ticket.customer_id.as_deref())
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "no_email_address",
                "neither the ticket's e-mails nor its customer give an address to write to",
            )
        })?;
    let tr = state.i18n().tr(lang);
    let number = detail.ticket.number.as_str();
    let subject = tr.f(
        "mail_template.reply_subject",
        &[("subject", &detail.ticket.subject), ("number", number)],
    );
    let mut text = body.to_string();
    if !mailbox.signature.is_empty() {
        text.push_str("\n\n-- \n");
        text.push_str(&mailbox.signature);
    }
    text.push_str("\n\n");
    text.push_str(&tr.f("mail_template.reply_footer", &[("number", number)]));
    let secret = token_secret(state).await?;
    let domain = mailbox
        .address
        .split_once('@')
        .map_or("localhost", |(_, d)| d);
    let nonce = kefu_store::new_id();
    let message_id = token::message_id(secret.0.as_bytes(), domain, ticket_id, &nonce);
    let m = NewOutgoing {
        channel: "email".into(),
        mailbox_id: Some(mailbox.id.clone()),
        ticket_id: Some(ticket_id.to_string()),
        recipient,
        subject,
        body: text,
        message_id: Some(message_id),
        in_reply_to,
        created_by: Some(ctx.user_id.clone()),
        automatic: false,
    };
    Ok(state
        .db()
        .reply_by_email(&ctx.actor(), state.clock().now(), &m)
        .await?)
}

/// How long after one acknowledgement a sender gets no other from the same mailbox.
const ACK_QUIET_HOURS: i64 = 1;

/// What the acknowledgement of a new ticket needs to know about the message.
pub struct NewTicketMail<'a> {
    pub mailbox_id: &'a str,
    pub ticket_id: &'a str,
    pub number: &'a str,
    pub from_address: &'a str,
    pub from_name: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub message_id: Option<&'a str>,
}

/// Queues the mailbox's acknowledgement (自动回执) of a message that opened a ticket:
/// the template in the writer's language with the ticket number, threaded like an
/// agent's reply (our signed Message-ID, `In-Reply-To` theirs) and marked automatic, so
/// no autoresponder answers it. Nothing when the mailbox has no template, or when the
/// sender got automatic mail from this mailbox within the hour (an autoresponder that
/// ignores the headers cannot start a loop). Returns the outbox id when one was queued.
pub async fn acknowledge(
    state: &AppState,
    m: &NewTicketMail<'_>,
) -> Result<Option<String>, AppError> {
    if m.from_address.is_empty() {
        return Ok(None);
    }
    let mailbox = state.db().get_mailbox(m.mailbox_id).await?;
    let Some((lang, template)) = ack::pick(&mailbox.ack_zh, &mailbox.ack_en, m.subject, m.text)
    else {
        return Ok(None);
    };
    let now = state.clock().now();
    let since = now - chrono::Duration::hours(ACK_QUIET_HOURS);
    if state
        .db()
        .automatic_mail_since(&mailbox.id, m.from_address, since)
        .await?
    {
        return Ok(None);
    }
    let tr = state.i18n().tr(Lang::parse(lang.code()));
    let name = m
        .from_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(m.from_address);
    let mut text = ack::fill(template, m.number, m.subject, name);
    if !mailbox.signature.is_empty() {
        text.push_str("\n\n-- \n");
        text.push_str(&mailbox.signature);
    }
    text.push_str("\n\n");
    text.push_str(&tr.f("mail_template.reply_footer", &[("number", m.number)]));
    let subject = tr.f(
        "mail_template.ack_subject",
        &[("subject", m.subject), ("number", m.number)],
    );
    let secret = token_secret(state).await?;
    let domain = mailbox
        .address
        .split_once('@')
        .map_or("localhost", |(_, d)| d);
    let nonce = kefu_store::new_id();
    let out = NewOutgoing {
        channel: "email".into(),
        mailbox_id: Some(mailbox.id.clone()),
        ticket_id: Some(m.ticket_id.to_string()),
        recipient: m.from_address.to_string(),
        subject,
        body: text,
        message_id: Some(token::message_id(
            secret.0.as_bytes(),
            domain,
            m.ticket_id,
            &nonce,
        )),
        in_reply_to: m.message_id.map(str::to_string),
        created_by: None,
        automatic: true,
    };
    Ok(Some(state.db().queue_outgoing(now, &out).await?))
}

/// Where an e-mail reply on a ticket goes.
pub struct ReplyTarget {
    /// The address the customer last wrote from, else the customer's e-mail.
    pub recipient: String,
    /// The mailbox the customer wrote to (its signature signs the reply), else the first
    /// enabled one.
    pub mailbox: MailboxRow,
    /// The customer's message the reply answers, for their client's threading.
    pub in_reply_to: Option<String>,
}

/// Where an e-mail reply on the ticket would go; `None` when no address is known.
pub async fn reply_target(
    state: &AppState,
    ticket_id: &str,
    customer_id: Option<&str>,
) -> Result<Option<ReplyTarget>, AppError> {
    let last = state.db().last_incoming_on_ticket(ticket_id).await?;
    let (mailbox_id, in_reply_to, recipient) = match last {
        Some((mailbox, message_id, Some(from))) => (Some(mailbox), message_id, Some(from)),
        _ => (None, None, None),
    };
    let recipient = match recipient {
        Some(r) => r,
        None => match customer_email(state, customer_id).await? {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    let mailbox = match mailbox_id {
        Some(id) => state.db().get_mailbox(&id).await?,
        None => state
            .db()
            .list_mailboxes()
            .await?
            .into_iter()
            .find(|m| m.enabled != 0)
            .ok_or_else(|| AppError::invalid("no_mailbox", "no enabled mailbox to send from"))?,
    };
    Ok(Some(ReplyTarget {
        recipient,
        mailbox,
        in_reply_to,
    }))
}

async fn customer_email(
    state: &AppState,
    customer_id: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(id) = customer_id else {
        return Ok(None);
    };
    let customer = state.db().get_customer(id).await?;
    Ok(customer
        .contacts
        .into_iter()
        .find(|c| c.kind == "email")
        .map(|c| c.value))
}

/// The lists the outbox pages and API offer.
pub const LISTS: [&str; 6] = ["queued", "retrying", "sending", "dead", "sent", "discarded"];

/// The outbox by list (`retrying`: queued again after a failed attempt; `all`; the
/// others are statuses), for the outbox and dead-letter pages; only SMS for the delivery log
/// (`mail.manage`).
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    list: &str,
    channel: Option<&str>,
    cursor: Option<&str>,
) -> Result<Page<OutboxView>, AppError> {
    ctx.require(Permission::MailManage)?;
    let which = match list {
        "retrying" => OutboxList::Retrying,
        "all" => OutboxList::All,
        other => match LISTS.into_iter().find(|s| *s == other) {
            Some(status) => OutboxList::Status(status),
            None => {
                return Err(AppError::invalid_field(
                    "invalid_status",
                    "status",
                    "use queued, retrying, sending, dead, sent, discarded or all",
                ))
            }
        },
    };
    if channel.is_some_and(|c| c != "email" && c != "sms") {
        return Err(AppError::invalid_field(
            "invalid_channel",
            "channel",
            "use email or sms",
        ));
    }
    let page = state.db().list_outbox(which, channel, cursor, 50).await?;
    Ok(Page {
        items: page.items.iter().map(|r| view_of(ctx, r)).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Puts a dead message back in the queue.
pub async fn retry(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::MailManage)?;
    state
        .db()
        .retry_outgoing(id, state.clock().now())
        .await
        .map_err(|e| match e {
            kefu_store::StoreError::NotFound => {
                AppError::conflict("not_dead", "only a dead message can be sent again")
            }
            e => e.into(),
        })
}

/// Gives up a message that failed (waiting for its next attempt, or dead).
pub async fn discard(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::MailManage)?;
    state
        .db()
        .discard_outgoing(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(|e| match e {
            kefu_store::StoreError::NotFound => AppError::conflict(
                "not_discardable",
                "only a message waiting to be sent or a dead one can be discarded",
            ),
            e => e.into(),
        })
}
