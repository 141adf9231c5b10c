//! E-mail over HTTP: mailbox settings (`mail.manage`), importing a raw message into a
//! mailbox, and the held-for-review, unreadable, auto-reply and bounce lists with the
//! reviewer's decisions (`mail.review`).

use super::{Json, Path, Query};
use crate::app::mail::ingest;
use crate::app::mail::mailboxes::{self, MailboxPayload, MailboxView};
use crate::app::mail::outbox::{self, EmailReplyPayload, OutboxView};
use crate::app::mail::review::{self, MailList, MailView, ResolvePayload, ResolvedView};
use crate::app::mail::sms::{self, SmsSettingsPayload, SmsSettingsView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_domain::Permission;
use kefu_store::mail::Ingested;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox, update_mailbox))
        .routes(routes!(import_message))
        .routes(routes!(list_mail))
        .routes(routes!(get_mail))
        .routes(routes!(mail_body))
        .routes(routes!(mail_part))
        .routes(routes!(download_raw))
        .routes(routes!(resolve_mail))
        .routes(routes!(email_reply))
        .routes(routes!(list_outbox))
        .routes(routes!(retry_outgoing))
        .routes(routes!(discard_outgoing))
        .routes(routes!(get_sms_settings, save_sms_settings))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedView {
    pub id: String,
}

/// Every mailbox (secrets are never shown: only whether one is set).
#[utoipa::path(get, path = "/mailboxes", tag = "mail", security(("bearer" = ["mail.manage"])),
    responses((status = 200, body = Vec<MailboxView>)))]
async fn list_mailboxes(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<MailboxView>>, AppError> {
    Ok(Json(mailboxes::list(&state, &ctx).await?))
}

/// Add a mailbox. The IMAP secret (password or OAuth2 token) is required.
#[utoipa::path(post, path = "/mailboxes", tag = "mail", security(("bearer" = ["mail.manage"])),
    request_body = MailboxPayload, responses((status = 201, body = CreatedView), (status = 409), (status = 422)))]
async fn create_mailbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<MailboxPayload>,
) -> Result<(StatusCode, Json<CreatedView>), AppError> {
    let id = mailboxes::create(&state, &ctx, &p).await?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

/// One mailbox with its last poll (and its error, if it failed).
#[utoipa::path(get, path = "/mailboxes/{id}", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(("id" = String, Path)), responses((status = 200, body = MailboxView), (status = 404)))]
async fn get_mailbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<MailboxView>, AppError> {
    Ok(Json(mailboxes::get(&state, &ctx, &id).await?))
}

/// Replace a mailbox's settings; empty or absent secrets keep the stored ones.
#[utoipa::path(put, path = "/mailboxes/{id}", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(("id" = String, Path)), request_body = MailboxPayload,
    responses((status = 200, body = MailboxView), (status = 404), (status = 422)))]
async fn update_mailbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<MailboxPayload>,
) -> Result<Json<MailboxView>, AppError> {
    mailboxes::update(&state, &ctx, &id, &p).await?;
    Ok(Json(mailboxes::get(&state, &ctx, &id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedView {
    pub mail_id: String,
    /// opened, replied, held, auto_reply, bounce, failed or duplicate.
    pub outcome: String,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
}

pub fn imported_view(i: &Ingested) -> ImportedView {
    let (mail_id, outcome, ticket_id, number) = match i {
        Ingested::Duplicate { mail_id } => (mail_id, "duplicate", None, None),
        Ingested::Failed { mail_id } => (mail_id, "failed", None, None),
        Ingested::Machine { mail_id, kind } => (
            mail_id,
            match kind {
                kefu_domain::mail::Kind::Bounce => "bounce",
                _ => "auto_reply",
            },
            None,
            None,
        ),
        Ingested::Opened {
            mail_id,
            ticket_id,
            number,
        } => (
            mail_id,
            "opened",
            Some(ticket_id.clone()),
            Some(number.as_str().to_string()),
        ),
        Ingested::Replied { mail_id, ticket_id } => {
            (mail_id, "replied", Some(ticket_id.clone()), None)
        }
        Ingested::Held {
            mail_id, ticket_id, ..
        } => (mail_id, "held", Some(ticket_id.clone()), None),
    };
    ImportedView {
        mail_id: mail_id.clone(),
        outcome: outcome.into(),
        ticket_id,
        ticket_number: number,
    }
}

/// Import one raw RFC 822 message (an `.eml` file, the request body) as if the mailbox
/// had received it: the same parsing, threading and holding as the IMAP poll.
#[utoipa::path(post, path = "/mailboxes/{id}/messages", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(("id" = String, Path)), request_body(content = String, content_type = "message/rfc822"),
    responses((status = 201, body = ImportedView), (status = 404), (status = 422)))]
async fn import_message(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportedView>), AppError> {
    ctx.require(Permission::MailManage)?;
    let mailbox = mailboxes::get(&state, &ctx, &id).await?;
    let outcome = ingest::ingest_raw(&state, &mailbox.id, &mailbox.address, &body).await?;
    Ok((StatusCode::CREATED, Json(imported_view(&outcome))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// held (default), failed, auto_reply or bounce.
    pub list: Option<String>,
    pub cursor: Option<String>,
}

/// Held, unreadable, auto-reply or bounce messages, newest first, 50 a page.
#[utoipa::path(get, path = "/mail", tag = "mail", security(("bearer" = ["mail.review"])),
    params(ListParams), responses((status = 200, body = MailList), (status = 422)))]
async fn list_mail(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<MailList>, AppError> {
    let page = review::list(
        &state,
        &ctx,
        p.list.as_deref().unwrap_or("held"),
        p.cursor.as_deref(),
    )
    .await?;
    Ok(Json(MailList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One message with its attachments (`mail.review`, or a ticket the caller may see).
#[utoipa::path(get, path = "/mail/{id}", tag = "mail", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = MailView), (status = 404)))]
async fn get_mail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<MailView>, AppError> {
    Ok(Json(review::get(&state, &ctx, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BodyParams {
    /// Load the remote images too (audited: the sender may learn the mail was read).
    #[serde(default)]
    pub remote_images: bool,
}

/// The HTML body as a document for a sandboxed frame (`mail.review`, or a ticket the
/// caller may see): nothing runs, and nothing loads but the message's own inline images
/// unless `remote_images=true`.
#[utoipa::path(get, path = "/mail/{id}/body", tag = "mail", security(("bearer" = [])),
    params(("id" = String, Path), BodyParams),
    responses((status = 200, description = "the sanitized body", content_type = "text/html"), (status = 404)))]
async fn mail_body(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<BodyParams>,
) -> Result<axum::response::Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let shown = crate::app::mail::view::body(&state, &ctx, &id, p.remote_images).await?;
    let doc = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"referrer\" \
         content=\"no-referrer\"></head><body>{}</body></html>",
        shown.html
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                crate::app::mail::view::body_policy(p.remote_images),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::REFERRER_POLICY, "no-referrer".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        doc,
    )
        .into_response())
}

/// One attachment or inline image of a message (`mail.review`, or a ticket the caller
/// may see; a download, never rendered as a page).
#[utoipa::path(get, path = "/mail/{id}/parts/{position}", tag = "mail", security(("bearer" = [])),
    params(("id" = String, Path), ("position" = i64, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404)))]
async fn mail_part(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, position)): Path<(String, i64)>,
) -> Result<axum::response::Response, AppError> {
    let (path, row) = crate::app::mail::view::part(&state, &ctx, &id, position).await?;
    super::download(&path, &row.filename, &row.content_type).await
}

/// The message exactly as received (always kept, also when it could not be read).
#[utoipa::path(get, path = "/mail/{id}/raw", tag = "mail", security(("bearer" = ["mail.review"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the raw message", content_type = "message/rfc822"), (status = 404)))]
async fn download_raw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<axum::response::Response, AppError> {
    let path = review::raw(&state, &ctx, &id).await?;
    super::download(&path, &format!("{id}.eml"), "message/rfc822").await
}

/// Decide about a held message: `release` it into the ticket it named, `discard` it, or
/// open a `new_ticket` from it. Decided once: a second decision is a 409.
#[utoipa::path(post, path = "/mail/{id}/resolve", tag = "mail", security(("bearer" = ["mail.review"])),
    params(("id" = String, Path)), request_body = ResolvePayload,
    responses((status = 200, body = ResolvedView), (status = 404), (status = 409), (status = 422)))]
async fn resolve_mail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ResolvePayload>,
) -> Result<Json<ResolvedView>, AppError> {
    let ticket_id = review::resolve(&state, &ctx, &id, &p).await?;
    Ok(Json(ResolvedView { ticket_id }))
}

/// Answer the customer by e-mail: the reply goes on the timeline (first response, the
/// promise kept) and into the outbox in one step; the sender delivers it with retries.
/// It goes to the address the customer wrote from, with the mailbox's signature, the
/// ticket number in the subject and a signed reply-to so the answer threads back.
#[utoipa::path(post, path = "/tickets/{id}/email-replies", tag = "mail", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = EmailReplyPayload,
    responses((status = 201, body = CreatedView), (status = 404), (status = 409), (status = 422)))]
async fn email_reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<EmailReplyPayload>,
) -> Result<(StatusCode, Json<CreatedView>), AppError> {
    let id = outbox::reply(&state, &ctx, &id, &p).await?;
    Ok((StatusCode::CREATED, Json(CreatedView { id })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// queued, retrying (queued again after a failed attempt), sending, sent, dead,
    /// discarded or all (default: the dead letters).
    pub status: Option<String>,
    /// email or sms (default: both); `sms` with any status is the SMS delivery log.
    pub channel: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxView>,
    pub next_cursor: Option<String>,
}

/// The outbox by status; `dead` is the dead-letter view (given up after the retries).
#[utoipa::path(get, path = "/mail-outbox", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(OutboxParams), responses((status = 200, body = OutboxList), (status = 422)))]
async fn list_outbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<OutboxParams>,
) -> Result<Json<OutboxList>, AppError> {
    let page = outbox::list(
        &state,
        &ctx,
        p.status.as_deref().unwrap_or("dead"),
        p.channel.as_deref(),
        p.cursor.as_deref(),
    )
    .await?;
    Ok(Json(OutboxList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Send a dead message again (after fixing the mailbox or gateway).
#[utoipa::path(post, path = "/mail-outbox/{id}/retry", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(("id" = String, Path)), responses((status = 204), (status = 409)))]
async fn retry_outgoing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    outbox::retry(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give up a message that failed (waiting for its next attempt, or dead); it stays
/// listed as discarded.
#[utoipa::path(post, path = "/mail-outbox/{id}/discard", tag = "mail", security(("bearer" = ["mail.manage"])),
    params(("id" = String, Path)), responses((status = 204), (status = 409)))]
async fn discard_outgoing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    outbox::discard(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The SMS gateway (the key is never shown).
#[utoipa::path(get, path = "/sms-settings", tag = "mail", security(("bearer" = ["mail.manage"])),
    responses((status = 200, body = SmsSettingsView)))]
async fn get_sms_settings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<SmsSettingsView>, AppError> {
    Ok(Json(sms::get_settings(&state, &ctx).await?))
}

/// Set the SMS gateway: URL, key (empty keeps it) and template.
#[utoipa::path(put, path = "/sms-settings", tag = "mail", security(("bearer" = ["mail.manage"])),
    request_body = SmsSettingsPayload, responses((status = 200, body = SmsSettingsView), (status = 422)))]
async fn save_sms_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<SmsSettingsPayload>,
) -> Result<Json<SmsSettingsView>, AppError> {
    sms::save_settings(&state, &ctx, &p).await?;
    Ok(Json(sms::get_settings(&state, &ctx).await?))
}
