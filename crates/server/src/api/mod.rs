//! The JSON API under `/api/v1`. Every route is registered together with its OpenAPI
//! description (utoipa-axum), and the description's `security` entry is the route's
//! access rule: a gate enforces it before the request body is even read, so the
//! document cannot drift from what the server does.

mod assignment;
mod audit;
mod auth;
mod calendars;
mod callbacks;
mod calls;
mod campaigns;
mod chat;
mod clock;
mod complaints;
mod cti;
mod customers;
mod duties;
mod exports;
mod imports;
mod knowledge;
mod logs;
mod mail;
mod search;

pub(crate) use imports::{receive_upload, refuse_oversized};
mod org;
mod performance;
mod public;
mod qa;
mod reports;
mod schedule;
mod sla;
mod surveys;
mod tickets;
mod wallboard;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use kefu_domain::Permission;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "kefu API", description = "kefu (客服) customer service center. Errors are \
        {\"error\":{\"code\",\"message\"}}. Authenticate with `Authorization: Bearer <token>` \
        from POST /api/v1/auth/login or an API token. Each operation's security scopes name \
        the permission it needs."),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cti_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Kefu-Signature",
                "sha256=<hex HMAC-SHA256 with the shared cti_secret>, with X-Kefu-Timestamp \
                 (Unix seconds, within 300 s); see the README",
            ))),
        );
    }
}

/// Who may call a route, as read from its OpenAPI `security` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Public,
    Authenticated,
    Permission(Permission),
    /// No log-in: the handler verifies the request's CTI signature (`cti_signature`).
    Signature,
}

type AccessTable = Arc<HashMap<(Method, String), Access>>;

/// The API router and its OpenAPI document.
pub fn router(state: &AppState) -> (Router<AppState>, OpenApiDoc) {
    let mut v1 = OpenApiRouter::new()
        .merge(auth::routes())
        .merge(customers::routes())
        .merge(assignment::routes())
        .merge(imports::routes(state))
        .merge(org::routes())
        .merge(audit::routes())
        .merge(tickets::routes(state))
        .merge(complaints::routes())
        .merge(campaigns::routes())
        .merge(callbacks::routes())
        .merge(calendars::routes())
        .merge(sla::routes())
        .merge(calls::routes())
        .merge(cti::routes(state))
        .merge(logs::routes())
        .merge(duties::routes())
        .merge(exports::routes())
        .merge(search::routes())
        .merge(knowledge::routes(state))
        .merge(surveys::routes())
        .merge(chat::routes())
        .merge(mail::routes())
        .merge(qa::routes())
        .merge(schedule::routes())
        .merge(reports::routes())
        .merge(performance::routes())
        .merge(wallboard::routes())
        .merge(public::routes());
    if state.clock().is_simulated() {
        v1 = v1.merge(clock::routes());
    }
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    let table: AccessTable = Arc::new(access_table(&doc));
    let doc_json = Arc::new(doc.to_json().unwrap_or_default());
    let router = router
        .route_layer(axum::middleware::from_fn_with_state(table, gate))
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let json = doc_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        (*json).clone(),
                    )
                }
            }),
        );
    (router, doc)
}

/// The OpenAPI document, for tests and `kefu openapi`.
pub fn openapi(state: &AppState) -> OpenApiDoc {
    router(state).1
}

/// Reads each operation's access rule from the document. An operation without a
/// `security` entry is a bug: it is denied to everyone (and a test fails).
pub fn access_table(doc: &OpenApiDoc) -> HashMap<(Method, String), Access> {
    let mut table = HashMap::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if let Some(access) = op.security.as_ref().and_then(|s| access_of(s)) {
                table.insert((method, path.clone()), access);
            }
        }
    }
    table
}

fn access_of(reqs: &[utoipa::openapi::security::SecurityRequirement]) -> Option<Access> {
    let value = serde_json::to_value(reqs).ok()?;
    let list = value.as_array()?;
    if list
        .iter()
        .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
        && !list.is_empty()
    {
        return Some(Access::Public);
    }
    let first = list.first()?;
    if first.get("cti_signature").is_some() {
        return Some(Access::Signature);
    }
    let scopes = first.get("bearer")?.as_array()?;
    match scopes.first().and_then(|s| s.as_str()) {
        None => Some(Access::Authenticated),
        Some(code) => Permission::from_code(code).map(Access::Permission),
    }
}

async fn gate(State(table): State<AccessTable>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let access = table.get(&(req.method().clone(), path.clone()));
    let ctx = req.extensions().get::<Ctx>();
    let verdict = match (access, ctx) {
        (Some(Access::Public | Access::Signature), _) => Ok(()),
        // A method the path does not have: the router answers 405 with the allowed ones.
        (None, _) if table.keys().any(|(_, p)| *p == path) => Ok(()),
        (None, _) => Err(AppError::Internal(anyhow::anyhow!(
            "route without an access rule"
        ))),
        (Some(_), None) => Err(AppError::Unauthenticated),
        (Some(Access::Authenticated), Some(_)) => Ok(()),
        (Some(Access::Permission(p)), Some(ctx)) => ctx.require(*p),
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// JSON body whose rejections (bad syntax, unknown fields, wrong types) use kefu's error
/// format.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => AppError::invalid("invalid_body", e.body_text()),
            JsonRejection::JsonSyntaxError(e) => {
                AppError::bad_request("malformed_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => AppError::bad_request(
                "unsupported_media_type",
                "send Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e)
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                AppError::TooLarge { limit_mb: 2 }
            }
            other => AppError::bad_request("bad_request", other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request("invalid_path", r.body_text())
    }
}

/// `attachment` with the name twice: an ASCII fallback (`filename`) and the exact UTF-8
/// name (`filename*`, RFC 6266), so Chinese file names survive in every browser.
pub(crate) fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A streamed file download that is never rendered inline.
/// A workbook made in memory, as a download.
pub(crate) fn xlsx(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                crate::app::export::Format::Xlsx.content_type().to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                content_disposition(filename),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) async fn download(
    path: &std::path::Path,
    filename: &str,
    content_type: &str,
) -> Result<Response, AppError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = content_disposition(filename);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
