//! Log-in with lock-out, log-out, and long-lived API tokens.

use crate::auth::{hash_secret, new_secret, verify_password, Ctx, Via};
use crate::error::AppError;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::audit::AuditAction;
use kefu_store::audit::{Actor, NewAuditEntry};
use kefu_store::{from_millis, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A hash verified against when the username is unknown, so that a wrong username
/// costs as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crate::auth::hash_password("kefu-dummy-password"));

/// A successful log-in: the secret to put in the cookie or the `Authorization` header.
pub struct LoggedIn {
    pub secret: String,
    pub csrf: String,
    pub user_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; valid for the session lifetime.
    pub token: String,
    pub expires_at: String,
}

/// Checks the password, applies the lock-out policy, and opens a session.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client_addr: Option<String>,
) -> Result<LoggedIn, AppError> {
    let db = state.db();
    let now = state.clock().now();
    let anonymous = Actor {
        user_id: None,
        name: username.chars().take(64).collect(),
        client_addr: client_addr.clone(),
    };
    let creds = match db.get_credentials(username.trim()).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => {
            let password = password.to_string();
            tokio::task::spawn_blocking(move || verify_password(&password, &DUMMY_HASH))
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            let entry = NewAuditEntry::new(AuditAction::LoginFailed).detail("unknown user");
            db.append_audit(&anonymous, now, &entry).await?;
            return Err(bad_credentials());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(until) = creds.locked_until.map(from_millis) {
        if until > now {
            return Err(AppError::Locked {
                retry_after_secs: (until - now).num_seconds() + 1,
            });
        }
    }
    let (password, hash) = (password.to_string(), creds.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let actor = Actor {
        user_id: Some(creds.id.clone()),
        name: creds.display_name.clone(),
        client_addr: client_addr.clone(),
    };
    if !ok || creds.active == 0 {
        let failures = creds.failed_logins + 1;
        let locked_until = state
            .config()
            .lockout
            .locked_until(failures.clamp(0, u32::MAX as i64) as u32, now);
        db.record_login_failure(&creds.id, failures, locked_until)
            .await?;
        let detail = if creds.active == 0 {
            "inactive account"
        } else {
            "wrong password"
        };
        db.append_audit(
            &actor,
            now,
            &NewAuditEntry::new(AuditAction::LoginFailed)
                .subject("user", creds.id.clone())
                .detail(detail),
        )
        .await?;
        return Err(bad_credentials());
    }
    db.record_login_success(&creds.id).await?;
    let secret = new_secret("kefu_s_");
    let csrf = new_secret("");
    db.create_session(
        &hash_secret(&secret),
        &creds.id,
        &csrf,
        now,
        client_addr.as_deref(),
    )
    .await?;
    db.append_audit(
        &actor,
        now,
        &NewAuditEntry::new(AuditAction::LoginSucceeded).subject("user", creds.id.clone()),
    )
    .await?;
    Ok(LoggedIn {
        secret,
        csrf,
        user_id: creds.id,
    })
}

fn bad_credentials() -> AppError {
    AppError::BadRequest {
        code: "invalid_credentials",
        message: "wrong username or password".into(),
    }
}

pub async fn logout(
    state: &AppState,
    ctx: &Ctx,
    bearer_secret: Option<&str>,
) -> Result<(), AppError> {
    let hash = match (&ctx.via, bearer_secret) {
        (Via::Session { token_hash, .. }, _) => Some(token_hash.clone()),
        (Via::Token, Some(secret)) => Some(hash_secret(secret)),
        (Via::Token, None) => None,
    };
    if let Some(hash) = hash {
        state.db().delete_session(&hash).await?;
    }
    state
        .db()
        .append_audit(
            &ctx.actor(),
            state.clock().now(),
            &NewAuditEntry::new(AuditAction::Logout).subject("user", ctx.user_id.clone()),
        )
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
    /// Days until the token expires; absent means it lives until revoked.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    pub id: String,
    /// Shown once; kefu stores only its hash.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters, to recognize a token without storing it.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub async fn create_token(
    state: &AppState,
    ctx: &Ctx,
    req: &NewTokenRequest,
) -> Result<NewTokenResponse, AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid(
            "invalid_token_name",
            "token name must be 1 to 60 characters",
        ));
    }
    if req.expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(AppError::invalid(
            "invalid_expiry",
            "expires_in_days must be between 1 and 3650",
        ));
    }
    let now = state.clock().now();
    let token = new_secret("kefu_t_");
    let prefix: String = token.chars().take(12).collect();
    let expires_at = req
        .expires_in_days
        .map(|d| now + Duration::days(i64::from(d)));
    let id = state
        .db()
        .create_api_token(
            &ctx.actor(),
            now,
            &ctx.user_id,
            name,
            &hash_secret(&token),
            &prefix,
            expires_at,
        )
        .await?;
    Ok(NewTokenResponse { id, token })
}

pub async fn list_tokens(state: &AppState, ctx: &Ctx) -> Result<Vec<TokenView>, AppError> {
    let rows = state.db().list_api_tokens(&ctx.user_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenView {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: super::rfc3339(r.created_at),
            last_used_at: r.last_used_at.map(super::rfc3339),
            expires_at: r.expires_at.map(super::rfc3339),
            revoked_at: r.revoked_at.map(super::rfc3339),
        })
        .collect())
}

pub async fn revoke_token(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    state
        .db()
        .revoke_api_token(&ctx.actor(), state.clock().now(), &ctx.user_id, id)
        .await
        .map_err(AppError::store_missing("token"))
}
