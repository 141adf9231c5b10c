//! Files on a work order: uploaded as the multipart field `file`, streamed into the
//! content-addressed blob store (type sniffed, size limited), always downloaded as an
//! attachment, never shown inline.

use super::load_checked;
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::Multipart;
use kefu_domain::ticket::TicketAction;
use kefu_store::blobs::BlobError;
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

/// A file name as people gave it, without any path and bounded in length.
fn clean_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect::<String>();
    if base.is_empty() {
        "attachment".into()
    } else {
        base
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
    let limit = state.config().max_upload_bytes;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge {
                limit_mb: limit / (1024 * 1024),
            }
        } else {
            AppError::bad_request("malformed_upload", e.body_text())
        }
    };
    let mut csrf_ok = csrf.is_none();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("_csrf") => {
                let sent = field.text().await.map_err(malformed)?;
                csrf_ok = csrf == Some(sent.as_str());
            }
            Some("file") => {
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                let filename = clean_name(field.file_name());
                let pending = state
                    .blobs()
                    .receive(field, limit)
                    .await
                    .map_err(|e| match e {
                        BlobError::TooLarge { limit } => AppError::TooLarge {
                            limit_mb: limit / (1024 * 1024),
                        },
                        BlobError::Empty => AppError::invalid("empty_file", "the file is empty"),
                        BlobError::Read(e) => AppError::bad_request(
                            "upload_interrupted",
                            format!("reading the upload: {e}"),
                        ),
                        BlobError::Io(e) => AppError::Internal(e.into()),
                    })?;
                let blob = pending
                    .keep()
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("keep the file: {e}")))?;
                return Ok(state
                    .db()
                    .add_ticket_attachment(
                        &ctx.actor(),
                        state.clock().now(),
                        &detail.ticket.id,
                        &blob,
                        &filename,
                    )
                    .await?);
            }
            _ => {}
        }
    }
    Err(AppError::invalid(
        "missing_file",
        "send the file in a multipart field named \"file\"",
    ))
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
