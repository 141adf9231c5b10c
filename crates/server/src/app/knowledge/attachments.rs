//! Files on an article (received by [`crate::app::files`]): added by writers, listed
//! and downloaded by whoever may see the article.

use super::load_visible;
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::Multipart;
use kefu_domain::Permission;
use kefu_store::knowledge::ArticleAttachmentRow;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleAttachmentView {
    pub id: String,
    pub filename: String,
    pub size: i64,
    /// Sniffed from the content.
    pub content_type: String,
    pub created_by: Option<String>,
    pub created_at: String,
}

pub fn attachment_view(a: &ArticleAttachmentRow) -> ArticleAttachmentView {
    ArticleAttachmentView {
        id: a.id.clone(),
        filename: a.filename.clone(),
        size: a.size,
        content_type: a.content_type.clone(),
        created_by: a.created_by_name.clone(),
        created_at: rfc3339(a.created_at),
    }
}

/// Receives the upload and attaches it to the article.
pub async fn attach(
    state: &AppState,
    ctx: &Ctx,
    article_id: &str,
    multipart: &mut Multipart,
    csrf: Option<&str>,
) -> Result<String, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    let article = load_visible(state, ctx, article_id).await?;
    let (blob, filename) = crate::app::files::receive(state, multipart, csrf).await?;
    Ok(state
        .db()
        .add_article_attachment(
            &ctx.actor(),
            state.clock().now(),
            &article.id,
            &blob,
            &filename,
        )
        .await?)
}

/// A file of an article the viewer may see: where it is, its type and name.
pub async fn file(
    state: &AppState,
    ctx: &Ctx,
    article_id: &str,
    attachment_id: &str,
) -> Result<(std::path::PathBuf, ArticleAttachmentRow), AppError> {
    let article = load_visible(state, ctx, article_id).await?;
    let row = match state
        .db()
        .get_article_attachment(&article.id, attachment_id)
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
