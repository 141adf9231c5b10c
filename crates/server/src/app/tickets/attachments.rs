//! Files on a work order (received by [`crate::app::files`]).

use super::load_checked;
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::Multipart;
use kefu_domain::ticket::TicketAction;
use kefu_store::tickets::AttachmentRow;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub size: i64,
    /// Sniffed from the content.
    pub content_type: String,
    pub created_by: Option<String>,
    pub created_at: String,
}

pub fn attachment_view(a: &AttachmentRow) -> AttachmentView {
    AttachmentView {
        id: a.id.clone(),
        filename: a.filename.clone(),
        size: a.size,
        content_type: a.content_type.clone(),
        created_by: a.created_by_name.clone(),
        created_at: rfc3339(a.created_at),
    }
}

/// Receives the upload and attaches it. `csrf` is the session's token when the upload
/// comes from a page (its `_csrf` field must come first and match).
pub async fn attach(
    state: &AppState,
    ctx: &Ctx,
    ticket_id: &str,
    multipart: &mut Multipart,
    csrf: Option<&str>,
) -> Result<String, AppError> {
    let (detail, _) = load_checked(state, ctx, ticket_id, Some(TicketAction::Note)).await?;
    let (blob, filename) = crate::app::files::receive(state, multipart, csrf).await?;
    Ok(state
        .db()
        .add_ticket_attachment(
            &ctx.actor(),
            state.clock().now(),
            &detail.ticket.id,
            &blob,
            &filename,
        )
        .await?)
}

/// A file of a ticket the viewer may see: where it is, its type and name.
pub async fn file(
    state: &AppState,
    ctx: &Ctx,
    ticket_id: &str,
    attachment_id: &str,
) -> Result<(std::path::PathBuf, AttachmentRow), AppError> {
    let (detail, _) = load_checked(state, ctx, ticket_id, None).await?;
    let row = match state
        .db()
        .get_ticket_attachment(&detail.ticket.id, attachment_id)
        .await
    {
        Ok(r) => r,
        Err(kefu_store::StoreError::NotFound) => return Err(AppError::NotFound("attachment")),
        Err(e) => return Err(e.into()),
    };
    let path = state
        .blobs()
        .path_of(&row.blob_sha256)
        .ok_or(AppError::NotFound("attachment"))?;
    Ok((path, row))
}
