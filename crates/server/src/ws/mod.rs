//! Real-time web chat: the WebSocket endpoints (`/chat/ws` for visitors, `/chat/agent/ws`
//! for the console), the hub that fans signals out within a server and across servers
//! ([`hub`]), which agents have a console open ([`presence`]), the embeddable widget's
//! script, and the CORS answer that lets the widget on a customer's website call the
//! visitor API (token in a header, never a cookie, so allowing every origin there
//! exposes nothing).

pub mod agent;
pub mod hub;
pub mod inbox;
pub mod presence;
pub mod visitor;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kefu_domain::Permission;
use serde::de::DeserializeOwned;

pub use visitor::poll as poll_visitor;

/// How long a new visitor connection may take to send its `hello`.
pub const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest frame accepted (a message is at most 4,000 characters).
const MAX_FRAME: usize = 64 * 1024;

/// The visitor API's path prefix, which answers cross-origin requests.
const VISITOR_API: &str = "/api/v1/chat/visitor/";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat/ws", get(visitor_ws))
        .route("/chat/agent/ws", get(agent_ws))
        .route(
            "/chat/widget.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                    ],
                    include_str!("../../static/chat-widget.js"),
                )
            }),
        )
}

async fn visitor_ws(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| visitor::run(state, socket))
}

async fn agent_ws(
    State(state): State<AppState>,
    ctx: Option<axum::Extension<Ctx>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let axum::Extension(ctx) = ctx.ok_or(AppError::Unauthenticated)?;
    ctx.require(Permission::ChatAnswer)?;
    // The session cookie goes with any page's WebSocket: only kefu's own pages may open
    // this one (cross-site WebSocket hijacking).
    if !same_origin(&headers) {
        return Err(AppError::Refused {
            code: "cross_origin",
            message: "the console's WebSocket opens only from kefu's own pages".into(),
        });
    }
    Ok(ws
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| agent::run(state, ctx, socket)))
}

/// No `Origin` (not a browser) or one naming this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// The next JSON frame: `None` when the connection ended, `Err(code)` for a frame that
/// is not one of ours (the connection stays open).
pub async fn recv_json<T: DeserializeOwned>(
    socket: &mut WebSocket,
) -> Option<Result<T, &'static str>> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).map_err(|_| "bad_frame"))
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(Message::Binary(_)) => return Some(Err("bad_frame")),
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
        }
    }
}

pub async fn send_json<T: serde::Serialize>(
    socket: &mut WebSocket,
    v: &T,
) -> Result<(), axum::Error> {
    let text = serde_json::to_string(v).unwrap_or_default();
    socket.send(Message::Text(text.into())).await
}

/// Lets the widget on any website call the visitor API: answers preflights and marks
/// responses as readable cross-origin. Other paths pass untouched.
pub async fn cors(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(VISITOR_API) {
        return next.run(req).await;
    }
    if req.method() == Method::OPTIONS {
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-chat-token"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return res;
    }
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_name_this_host() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, HeaderValue::from_static("kefu.example:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://kefu.example:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
    }
}
