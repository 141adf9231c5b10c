//! One e-mail as staff read it: the message page and the API show it to whoever may
//! review mail (`mail.review`) or may see the ticket it belongs to. The HTML body is
//! served as a document of its own, for a sandboxed frame, under a Content Security
//! Policy that lets nothing load but the message's own inline images — unless the agent
//! asks for the remote ones, which is audited (loading them tells the sender the mail
//! was read).

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::audit::AuditAction;
use kefu_domain::mail::html::{show, Shown};
use kefu_domain::Permission;
use kefu_store::mail::{MailAttachmentRow, MailRow};
use kefu_store::StoreError;
use std::collections::HashMap;

/// Where the message's parts are served; the only relative URLs a shown body may hold.
pub fn parts_prefix(mail_id: &str) -> String {
    format!("/api/v1/mail/{mail_id}/parts/")
}

/// A message the caller may read: any with `mail.review`, otherwise one on a ticket the
/// caller may see. Anything else is "not found", as for tickets.
pub async fn readable(state: &AppState, ctx: &Ctx, id: &str) -> Result<MailRow, AppError> {
    let row = match state.db().get_mail(id).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Err(AppError::NotFound("message")),
        Err(e) => return Err(e.into()),
    };
    if ctx.can(Permission::MailReview) {
        return Ok(row);
    }
    let Some(ticket_id) = row.ticket_id.as_deref() else {
        return Err(AppError::NotFound("message"));
    };
    match crate::app::tickets::load_checked(state, ctx, ticket_id, None).await {
        Ok(_) => Ok(row),
        Err(AppError::NotFound(_)) => Err(AppError::NotFound("message")),
        Err(e) => Err(e),
    }
}

/// The HTML body ready to show: inline images pointed at their parts, remote images
/// removed unless `remote`. `None` for a message without an HTML body.
pub fn shown(row: &MailRow, parts: &[MailAttachmentRow], remote: bool) -> Option<Shown> {
    let stored = row.body_html.as_deref()?;
    let prefix = parts_prefix(&row.id);
    let inline: HashMap<String, String> = parts
        .iter()
        .filter_map(|p| {
            let cid = p.content_id.clone()?;
            Some((cid, format!("{prefix}{}", p.position)))
        })
        .collect();
    Some(show(stored, remote, &prefix, inline))
}

/// The HTML body for the frame. Showing remote images is recorded in the audit log.
pub async fn body(state: &AppState, ctx: &Ctx, id: &str, remote: bool) -> Result<Shown, AppError> {
    let row = readable(state, ctx, id).await?;
    let parts = state.db().list_mail_attachments(id).await?;
    let shown = shown(&row, &parts, remote).ok_or(AppError::NotFound("HTML body"))?;
    if remote && shown.remote_images > 0 {
        let entry = kefu_store::audit::NewAuditEntry::new(AuditAction::MailRemoteImagesShown)
            .subject("mail", id)
            .detail(shown.remote_images.to_string());
        state
            .db()
            .append_audit(&ctx.actor(), state.clock().now(), &entry)
            .await?;
    }
    Ok(shown)
}

/// One attachment or inline image of a readable message: its file and row.
pub async fn part(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    position: i64,
) -> Result<(std::path::PathBuf, MailAttachmentRow), AppError> {
    readable(state, ctx, id).await?;
    let row = state
        .db()
        .list_mail_attachments(id)
        .await?
        .into_iter()
        .find(|p| p.position == position)
        .ok_or(AppError::NotFound("attachment"))?;
    let path = state
        .blobs()
        .path_of(&row.blob_sha256)
        .ok_or(AppError::NotFound("attachment"))?;
    Ok((path, row))
}

/// The Content Security Policy of a served body: nothing runs, nothing loads from
/// elsewhere but — when asked for — remote images. The sandbox keeps the origin (no
/// script may run, so it cannot use it) so that the inline images, served to the
/// signed-in reader, load with the session.
pub fn body_policy(remote: bool) -> String {
    let img = if remote {
        "'self' data: https: http:"
    } else {
        "'self' data:"
    };
    format!(
        "default-src 'none'; img-src {img}; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'self'; \
         sandbox allow-same-origin"
    )
}
