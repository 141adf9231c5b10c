//! Who is asking: passwords (argon2id), sessions for the UI, bearer tokens for the API,
//! and the [`Ctx`] every handler receives.

pub mod middleware;

use crate::error::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kefu_domain::{Permission, PermissionSet};
use kefu_store::audit::Actor;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How the request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; carries the CSRF token its forms must echo.
    Session { token_hash: String, csrf: String },
    /// A bearer token (from `POST /api/v1/auth/login` or a long-lived API token).
    Token,
}

/// The signed-in person behind a request, with the permissions of their positions.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub permissions: PermissionSet,
    /// Departments of the user's positions in the order they were given (not those below
    /// them: see `app::tickets::scope_of`); the first is where a new ticket goes by default.
    pub departments: Vec<String>,
    pub client_addr: Option<String>,
    pub via: Via,
}

impl Ctx {
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(p))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id.clone()),
            name: self.display_name.clone(),
            client_addr: self.client_addr.clone(),
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

/// The client address as seen by the server, when it is known.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

pub(crate) fn client_addr(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Hashes a password with argon2id (default parameters). CPU-heavy: call from
/// `spawn_blocking` in request paths.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh secret: 32 random bytes, hex, with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Secrets are stored only as SHA-256 hashes (they are random, so no salt or stretching
/// is needed; a stolen database yields no usable token).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub const MIN_PASSWORD_CHARS: usize = 8;
