//! Mailbox settings, kept by `mail.manage`: where to read (IMAP over TLS, STARTTLS or —
//! on the loopback only — plain; password or OAuth2 token) and send (SMTP), the
//! signature and the group new tickets go to. Secrets are written, never read back: a
//! view only says whether one is set, and an empty secret on update keeps the old one.

use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::customer::{ContactKind, ContactValue};
use kefu_domain::Permission;
use kefu_store::mail::{MailboxInput, MailboxRow};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxPayload {
    pub name: String,
    /// The address customers write to, e.g. `support@example.com`.
    pub address: String,
    /// The group (department) new tickets from this mailbox go to.
    pub department_id: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub imap_host: String,
    pub imap_port: u16,
    /// `tls`, `starttls` or `plain` (plain only for 127.0.0.1).
    pub imap_security: String,
    pub imap_username: String,
    /// `password` or `oauth2`.
    #[serde(default = "password")]
    pub imap_auth: String,
    /// The password or OAuth2 access token; empty or absent keeps the stored one.
    pub imap_secret: Option<String>,
    #[serde(default = "inbox")]
    pub imap_folder: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_secret: Option<String>,
    #[serde(default)]
    pub signature: String,
    /// The acknowledgement a new ticket from this mailbox gets, in Chinese and in English
    /// (`{number}`, `{subject}` and `{name}` are filled in); empty: none in that language.
    #[serde(default)]
    pub ack_zh: String,
    #[serde(default)]
    pub ack_en: String,
}

fn yes() -> bool {
    true
}
fn password() -> String {
    "password".into()
}
fn inbox() -> String {
    "INBOX".into()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailboxView {
    pub id: String,
    pub name: String,
    pub address: String,
    pub department_id: String,
    pub department_name: String,
    pub enabled: bool,
    pub imap_host: String,
    pub imap_port: i64,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_auth: String,
    /// Whether a password or token is stored (it is never shown).
    pub imap_secret_set: bool,
    pub imap_folder: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_secret_set: bool,
    pub signature: String,
    pub ack_zh: String,
    pub ack_en: String,
    pub last_uid: i64,
    pub last_polled_at: Option<String>,
    /// The last poll's error, shown until a poll succeeds.
    pub last_error: Option<String>,
}

pub fn view_of(m: &MailboxRow) -> MailboxView {
    MailboxView {
        id: m.id.clone(),
        name: m.name.clone(),
        address: m.address.clone(),
        department_id: m.department_id.clone(),
        department_name: m.department_name.clone(),
        enabled: m.enabled != 0,
        imap_host: m.imap_host.clone(),
        imap_port: m.imap_port,
        imap_security: m.imap_security.clone(),
        imap_username: m.imap_username.clone(),
        imap_auth: m.imap_auth.clone(),
        imap_secret_set: m.imap_secret_set != 0,
        imap_folder: m.imap_folder.clone(),
        smtp_host: m.smtp_host.clone(),
        smtp_port: m.smtp_port,
        smtp_security: m.smtp_security.clone(),
        smtp_username: m.smtp_username.clone(),
        smtp_secret_set: m.smtp_secret_set != 0,
        signature: m.signature.clone(),
        ack_zh: m.ack_zh.clone(),
        ack_en: m.ack_en.clone(),
        last_uid: m.last_uid,
        last_polled_at: m.last_polled_at.map(rfc3339),
        last_error: m.last_error.clone(),
    }
}

/// Plain (unencrypted) connections are for a server on this machine only (the tests'
/// local IMAP and SMTP servers); anywhere else a password would cross the network bare.
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "::1" | "localhost")
}

fn text(field: &'static str, v: &str, max: usize) -> Result<String, AppError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::invalid_field(
            "invalid_field",
            field,
            "must not be empty",
        ));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid_field(
            "invalid_field",
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

fn security(field: &'static str, v: &str, host: &str) -> Result<String, AppError> {
    match v {
        "tls" | "starttls" => Ok(v.to_string()),
        "plain" if is_loopback(host) => Ok(v.to_string()),
        "plain" => Err(AppError::invalid_field(
            "plain_not_allowed",
            field,
            "plain connections are allowed only to 127.0.0.1; use tls or starttls",
        )),
        _ => Err(AppError::invalid_field(
            "invalid_security",
            field,
            "use tls, starttls or plain",
        )),
    }
}

fn port(field: &'static str, p: u16) -> Result<u16, AppError> {
    if p == 0 {
        return Err(AppError::invalid_field("invalid_port", field, "port 0"));
    }
    Ok(p)
}

/// The longest acknowledgement template.
const MAX_ACK_CHARS: usize = 4000;

fn secret(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(str::to_string)
}

/// Validates a payload; `creating` requires the IMAP secret.
pub fn parse_payload(p: &MailboxPayload, creating: bool) -> Result<MailboxInput, AppError> {
    let address = ContactValue::parse(ContactKind::Email, &p.address)
        .map_err(|e| AppError::invalid_field("invalid_address", "address", e.to_string()))?
        .value;
    let imap_host = text("imap_host", &p.imap_host, 255)?;
    let smtp_host = text("smtp_host", &p.smtp_host, 255)?;
    let imap_auth = match p.imap_auth.as_str() {
        "password" | "oauth2" => p.imap_auth.clone(),
        _ => {
            return Err(AppError::invalid_field(
                "invalid_auth",
                "imap_auth",
                "use password or oauth2",
            ))
        }
    };
    let imap_secret = secret(p.imap_secret.as_deref());
    if creating && imap_secret.is_none() {
        return Err(AppError::invalid_field(
            "invalid_field",
            "imap_secret",
            "give the IMAP password or OAuth2 token",
        ));
    }
    if p.signature.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "invalid_field",
            "signature",
            "at most 2000 characters",
        ));
    }
    for (field, template) in [("ack_zh", &p.ack_zh), ("ack_en", &p.ack_en)] {
        if template.chars().count() > MAX_ACK_CHARS {
            return Err(AppError::invalid_field(
                "invalid_field",
                field,
                format!("at most {MAX_ACK_CHARS} characters"),
            ));
        }
    }
    Ok(MailboxInput {
        name: text("name", &p.name, 100)?,
        address,
        department_id: text("department_id", &p.department_id, 64)?,
        enabled: p.enabled,
        imap_security: security("imap_security", &p.imap_security, &imap_host)?,
        imap_port: port("imap_port", p.imap_port)?,
        imap_username: text("imap_username", &p.imap_username, 255)?,
        imap_auth,
        imap_secret,
        imap_folder: text("imap_folder", &p.imap_folder, 255)?,
        smtp_security: security("smtp_security", &p.smtp_security, &smtp_host)?,
        smtp_port: port("smtp_port", p.smtp_port)?,
        smtp_username: p
            .smtp_username
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        smtp_secret: secret(p.smtp_secret.as_deref()),
        signature: p.signature.trim_end().to_string(),
        ack_zh: p.ack_zh.trim().to_string(),
        ack_en: p.ack_en.trim().to_string(),
        imap_host,
        smtp_host,
    })
}

fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("mailbox"),
        StoreError::Conflict { .. } => AppError::conflict(
            "duplicate_address",
            "another mailbox already reads this address",
        ),
        StoreError::Refused(_) => {
            AppError::invalid_field("unknown_department", "department_id", "no such department")
        }
        e => e.into(),
    }
}

pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<MailboxView>, AppError> {
    ctx.require(Permission::MailManage)?;
    Ok(state
        .db()
        .list_mailboxes()
        .await?
        .iter()
        .map(view_of)
        .collect())
}

pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<MailboxView, AppError> {
    ctx.require(Permission::MailManage)?;
    Ok(view_of(
        &state.db().get_mailbox(id).await.map_err(store_error)?,
    ))
}

pub async fn create(state: &AppState, ctx: &Ctx, p: &MailboxPayload) -> Result<String, AppError> {
    ctx.require(Permission::MailManage)?;
    let input = parse_payload(p, true)?;
    let id = state
        .db()
        .create_mailbox(&ctx.actor(), state.clock().now(), &input)
        .await
        .map_err(store_error)?;
    // The readers start on it now rather than at their next round.
    state.mail_wake().notify_one();
    Ok(id)
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &MailboxPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::MailManage)?;
    let input = parse_payload(p, false)?;
    state
        .db()
        .update_mailbox(&ctx.actor(), state.clock().now(), id, &input)
        .await
        .map_err(store_error)?;
    state.mail_wake().notify_one();
    Ok(())
}
