//! Log-in for API clients, who-am-I, and long-lived API tokens.

use super::{Json, Path};
use crate::app::auth::{
    self as app, LoginRequest, LoginResponse, NewTokenRequest, NewTokenResponse, TokenView,
};
use crate::auth::{ClientAddr, Ctx};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Log in and get a bearer token (valid as long as a session: 12 h, 30 min idle).
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, description = "wrong username or password"),
        (status = 429, description = "locked after repeated failures")))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let logged_in = app::login(&state, &req.username, &req.password, addr).await?;
    let expires = state.clock().now() + state.config().session.absolute;
    Ok(Json(LoginResponse {
        token: logged_in.secret,
        expires_at: expires.to_rfc3339(),
    }))
}

/// End the session behind this token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    app::logout(&state, &ctx, bearer).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub permissions: Vec<String>,
}

/// The signed-in user and the permissions their positions grant.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Me)))]
async fn me(ctx: Ctx) -> Json<Me> {
    Json(Me {
        permissions: ctx
            .permissions
            .iter()
            .map(|p| p.code().to_string())
            .collect(),
        id: ctx.user_id,
        username: ctx.username,
        display_name: ctx.display_name,
    })
}

/// The caller's own API tokens (never the secrets).
#[utoipa::path(get, path = "/tokens", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<TokenView>)))]
async fn list_tokens(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<TokenView>>, AppError> {
    Ok(Json(app::list_tokens(&state, &ctx).await?))
}

/// Create a long-lived API token; the secret is returned once.
#[utoipa::path(post, path = "/tokens", tag = "auth", security(("bearer" = [])), request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenResponse)))]
async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(app::create_token(&state, &ctx, &req).await?),
    ))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404)))]
async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::revoke_token(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
