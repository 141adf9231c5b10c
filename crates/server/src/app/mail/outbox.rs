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
use kefu_domain::mail::token;
use kefu_domain::ticket::TicketAction;
use kefu_domain::Permission;
use kefu_store::mail::{NewOutgoing, OutboxRow};
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
    /// queued, sending, sent or dead.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
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
        last_error: r.last_error.clone(),
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
    let last = state.db().last_incoming_on_ticket(ticket_id).await?;
    let (mailbox_id, in_reply_to, recipient) = match last {
        Some((mailbox, message_id, Some(from))) => (Some(mailbox), message_id, Some(from)),
        _ => (None, None, None),
    };
    let recipient = match recipient {
        Some(r) => r,
        None => customer_email(state, detail.ticket.customer_id.as_deref())
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "no_email_address",
                    "neither the ticket's e-mails nor its customer give an address to write to",
                )
            })?,
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
    };
    Ok(state
        .db()
        .reply_by_email(&ctx.actor(), state.clock().now(), &m)
        .await?)
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

/// The outbox by status, for the dead-letter view (`mail.manage`).
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    status: &str,
    cursor: Option<&str>,
) -> Result<Page<OutboxView>, AppError> {
    ctx.require(Permission::MailManage)?;
    if !["queued", "sending", "sent", "dead"].contains(&status) {
        return Err(AppError::invalid_field(
            "invalid_status",
            "status",
            "use queued, sending, sent or dead",
        ));
    }
    let page = state.db().list_outbox(status, cursor, 50).await?;
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
