//! The lists `mail.review` works from: messages held because their claim to a ticket
//! could not be trusted (release into that ticket, discard, or open a new ticket), and
//! messages that could not be read (kept whole; the raw file can be downloaded).
//! Senders' addresses are masked without `customer.pii.read`.

use crate::app::customers::mask_contact;
use crate::app::rfc3339;
use crate::app::tickets::opening_deadlines;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::ticket::{Priority, TicketType};
use kefu_domain::Permission;
use kefu_store::mail::{HeldAction, MailRow};
use kefu_store::{Page, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    /// The part's number: `/api/v1/mail/{id}/parts/{position}` serves it.
    pub position: i64,
    /// Shown inside the HTML body (an inline image).
    pub inline: bool,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailView {
    pub id: String,
    pub mailbox: String,
    /// `in` or `out`.
    pub direction: String,
    /// ticket, reply, held, auto_reply, bounce, failed, released, discarded, sent.
    pub disposition: String,
    /// For held messages: `bad_signature` or `not_participant`.
    pub hold_reason: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    /// Masked without `customer.pii.read`.
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    /// Sanitized; remote images removed, inline images pointing at
    /// `/api/v1/mail/{id}/parts/{position}` (the body endpoint shows remote images too).
    pub html: Option<String>,
    /// Remote images in the HTML body (loaded only through the body endpoint, on request).
    pub remote_images: usize,
    /// Why the message could not be read.
    pub failure: Option<String>,
    pub received_at: String,
    pub reviewed_by: Option<String>,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailList {
    pub items: Vec<MailView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolvePayload {
    /// `release` (into the ticket it named), `discard` or `new_ticket`.
    pub action: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedView {
    pub ticket_id: Option<String>,
}

pub fn view_of(ctx: &Ctx, m: &MailRow) -> MailView {
    let pii = ctx.can(Permission::CustomerPiiRead);
    MailView {
        id: m.id.clone(),
        mailbox: m.mailbox_address.clone(),
        direction: m.direction.clone(),
        disposition: m.disposition.clone(),
        hold_reason: m.hold_reason.clone(),
        ticket_id: m.ticket_id.clone(),
        ticket_number: m.ticket_number.clone(),
        from: m.from_address.as_ref().map(|a| {
            if pii {
                a.clone()
            } else {
                mask_contact("email", a)
            }
        }),
        from_name: m.from_name.clone(),
        subject: m.subject.clone(),
        text: m.body_text.clone(),
        html: None,
        remote_images: 0,
        failure: m.failure.clone(),
        received_at: rfc3339(m.received_at),
        reviewed_by: m.reviewed_by_name.clone(),
        attachments: Vec::new(),
    }
}

/// The lists a reviewer may open.
const LISTS: &[&str] = &["held", "failed", "auto_reply", "bounce"];

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    disposition: &str,
    cursor: Option<&str>,
) -> Result<Page<MailView>, AppError> {
    ctx.require(Permission::MailReview)?;
    if !LISTS.contains(&disposition) {
        return Err(AppError::invalid_field(
            "invalid_list",
            "list",
            "use held, failed, auto_reply or bounce",
        ));
    }
    let page = state.db().list_mail(disposition, cursor, 50).await?;
    Ok(Page {
        items: page.items.iter().map(|m| view_of(ctx, m)).collect(),
        next_cursor: page.next_cursor,
    })
}

/// One message with its HTML body (remote images removed) and attachments, for anyone
/// who may read it (see [`super::view::readable`]).
pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<MailView, AppError> {
    let row = super::view::readable(state, ctx, id).await?;
    let parts = state.db().list_mail_attachments(id).await?;
    let mut view = view_of(ctx, &row);
    if let Some(shown) = super::view::shown(&row, &parts, false) {
        view.html = Some(shown.html);
        view.remote_images = shown.remote_images;
    }
    view.attachments = parts
        .into_iter()
        .map(|a| AttachmentView {
            position: a.position,
            inline: a.content_id.is_some(),
            filename: a.filename,
            size: a.size,
            content_type: a.content_type,
        })
        .collect();
    Ok(view)
}

/// The stored raw message (for a failed parse, the only form it has).
pub async fn raw(state: &AppState, ctx: &Ctx, id: &str) -> Result<std::path::PathBuf, AppError> {
    ctx.require(Permission::MailReview)?;
    let row = state.db().get_mail(id).await.map_err(not_found)?;
    row.raw_sha256
        .as_deref()
        .and_then(|sha| state.blobs().path_of(sha))
        .ok_or(AppError::NotFound("raw message"))
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("message")(e)
}

pub async fn resolve(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ResolvePayload,
) -> Result<Option<String>, AppError> {
    ctx.require(Permission::MailReview)?;
    state.db().get_mail(id).await.map_err(not_found)?;
    let now = state.clock().now();
    let action = match p.action.as_str() {
        "release" => HeldAction::Release,
        "discard" => HeldAction::Discard,
        "new_ticket" => HeldAction::NewTicket {
            customer_id: None,
            deadlines: opening_deadlines(
                state,
                now,
                TicketType::Consultation,
                Priority::Normal,
                None,
            )
            .await?,
        },
        _ => {
            return Err(AppError::invalid_field(
                "invalid_action",
                "action",
                "use release, discard or new_ticket",
            ))
        }
    };
    state
        .db()
        .resolve_held_mail(&ctx.actor(), now, id, &action)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::conflict("not_held", "this message is not held (any more)")
            }
            e => e.into(),
        })
}
