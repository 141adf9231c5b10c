//! Files people attach (to tickets, to knowledge articles): uploaded as the multipart
//! field `file`, streamed into the content-addressed blob store (type sniffed, size
//! limited), always downloaded as an attachment, never shown inline.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::Multipart;
use kefu_store::blobs::{BlobError, BlobMeta};

/// A file name as people gave it, without any path and bounded in length.
pub fn clean_name(raw: Option<&str>) -> String {
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

/// Receives the upload's `file` field into the blob store; returns what was kept and
/// the file's name. `csrf` is the session's token when the upload comes from a page
/// (its `_csrf` field must come first and match).
pub async fn receive(
    state: &AppState,
    multipart: &mut Multipart,
    csrf: Option<&str>,
) -> Result<(BlobMeta, String), AppError> {
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
                return Ok((blob, filename));
            }
            _ => {}
        }
    }
    Err(AppError::invalid(
        "missing_file",
        "send the file in a multipart field named \"file\"",
    ))
}
