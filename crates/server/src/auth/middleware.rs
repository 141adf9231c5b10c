//! Authentication middleware: turns a bearer token or a session cookie into a [`Ctx`]
//! request extension. It never rejects by itself — handlers and the API's permission gate
//! decide — except for cookie-authenticated API writes without the CSRF header.

use super::{client_addr, hash_secret, Ctx, Via};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use chrono::Duration;
use kefu_store::from_millis;

pub const SESSION_COOKIE: &str = "kefu_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let addr = client_addr(&parts);
    let ctx = match principal(&state, &parts, addr).await {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    if let Some(ctx) = &ctx {
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let Via::Session { csrf, .. } = &ctx.via {
            if unsafe_method && parts.uri.path().starts_with("/api/") {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent != Some(csrf.as_str()) {
                    return AppError::Csrf.into_response();
                }
            }
        }
        parts.extensions.insert(ctx.clone());
    }
    req = Request::from_parts(parts, body);
    next.run(req).await
}

async fn principal(
    state: &AppState,
    parts: &axum::http::request::Parts,
    addr: Option<String>,
) -> Result<Option<Ctx>, AppError> {
    let db = state.db();
    let now = state.clock().now();
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        let hash = hash_secret(token.trim());
        // Log-in tokens are sessions without a cookie; long-lived tokens are API tokens.
        if let Some(ctx) = session_ctx(state, &hash, addr.clone(), false).await? {
            return Ok(Some(ctx));
        }
        return match db.get_token_principal(&hash, now).await {
            Ok((p, grants)) => {
                let stale = p
                    .last_used_at
                    .is_none_or(|t| now - from_millis(t) > Duration::minutes(1));
                if stale {
                    db.touch_api_token(&p.token_id, now).await?;
                }
                Ok(Some(Ctx {
                    user_id: p.user_id,
                    username: p.username,
                    display_name: p.display_name,
                    permissions: grants.permissions,
                    departments: grants.departments,
                    client_addr: addr,
                    via: Via::Token,
                }))
            }
            Err(kefu_store::StoreError::NotFound) => Err(AppError::Unauthenticated),
            Err(e) => Err(e.into()),
        };
    }
    let jar = CookieJar::from_headers(&parts.headers);
    match jar.get(SESSION_COOKIE) {
        Some(cookie) => session_ctx(state, &hash_secret(cookie.value()), addr, true).await,
        None => Ok(None),
    }
}

async fn session_ctx(
    state: &AppState,
    token_hash: &str,
    addr: Option<String>,
    cookie: bool,
) -> Result<Option<Ctx>, AppError> {
    let db = state.db();
    let now = state.clock().now();
    let (session, grants) = match db.get_session(token_hash).await {
        Ok(s) => s,
        Err(kefu_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (created, seen) = (
        from_millis(session.created_at),
        from_millis(session.last_seen_at),
    );
    if state.config().session.is_expired(created, seen, now) {
        db.delete_session(token_hash).await?;
        return Ok(None);
    }
    // Idle time is tracked to the minute; that keeps most requests free of writes.
    if now - seen > Duration::minutes(1) {
        db.touch_session(token_hash, now).await?;
    }
    Ok(Some(Ctx {
        user_id: session.user_id,
        username: session.username,
        display_name: session.display_name,
        permissions: grants.permissions,
        departments: grants.departments,
        client_addr: addr,
        via: if cookie {
            Via::Session {
                token_hash: token_hash.to_string(),
                csrf: session.csrf_token,
            }
        } else {
            Via::Token
        },
    }))
}
