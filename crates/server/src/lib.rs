//! kefu's server: the JSON API under `/api/v1` (described by OpenAPI), the server-rendered
//! web UI, authentication and permissions.
//!
//! Requests flow `api`/`ui` → `app` → `kefu_store`. The `app` layer holds what both the API
//! and the pages do (checking permissions, validating input, auditing), so a page and
//! its API endpoint cannot drift apart.

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod search;
pub mod state;
pub mod ui;
pub mod ws;

/// Makes aws-lc-rs the process's TLS provider. reqwest is built with rustls and no
/// provider of its own (a second provider, ring, would make rustls refuse to pick one),
/// so every process that builds an HTTP client calls this first: the server, the
/// benchmarks and the process tests. Calling it again does nothing.
pub fn install_tls_provider() {
    // An error only says a provider is installed already.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub use clock::Clock;
pub use error::AppError;
pub use state::{AppState, ServerConfig};

use axum::Router;
use tower_http::trace::TraceLayer;

/// Appended to static asset URLs so browsers fetch new CSS and JS after an upgrade.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The whole application: API, UI, health checks. Tests build exactly this router.
pub fn router(state: AppState) -> Router {
    let (api, _doc) = api::router(&state);
    Router::new()
        .merge(api)
        .merge(ui::router(&state))
        .merge(ws::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::middleware::authenticate,
        ))
        .layer(axum::middleware::from_fn(ws::cors))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, AppError> {
    state.db().ping().await?;
    Ok("ready")
}
