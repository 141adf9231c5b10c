//! A WebSocket client for the tests (tokio-tungstenite against the served app) and small
//! HTTP helpers for a router that is not the `TestApp`'s (the second server).

use axum::body::Body;
use axum::http::{header, Method, Request};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tower::ServiceExt;

/// How long a test waits for a frame before failing (a guard against hanging, not a
/// timing assertion: a correct server answers in milliseconds).
const GUARD: Duration = Duration::from_secs(30);

pub struct Ws {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every frame received, in order (tests look back at them).
    pub seen: Vec<Value>,
}

impl Ws {
    /// Connects to `path` on `base` (http://…), with a bearer token when given.
    pub async fn connect(base: &str, path: &str, bearer: Option<&str>) -> Ws {
        let url = format!("{}{path}", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().expect("ws request");
        if let Some(t) = bearer {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {t}").parse().expect("header"),
            );
        }
        let (inner, _) = tokio_tungstenite::connect_async(req)
            .await
            .unwrap_or_else(|e| panic!("connect {path}: {e}"));
        Ws {
            inner,
            seen: Vec::new(),
        }
    }

    /// A visitor connection that said hello with its token.
    pub async fn visitor(base: &str, token: &str, after: i64) -> Ws {
        let mut ws = Ws::connect(base, "/chat/ws", None).await;
        ws.send(json!({"type": "hello", "token": token, "after": after}))
            .await;
        ws
    }

    pub async fn send(&mut self, v: Value) {
        self.inner
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next frame; panics when the connection ends or nothing comes.
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(GUARD, self.inner.next())
                .await
                .expect("a frame within the guard time")
                .expect("the connection is open")
                .expect("a readable frame");
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
                self.seen.push(v.clone());
                return v;
            }
        }
    }

    /// Reads frames until one matches.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = self.next().await;
            if pred(&v) {
                return v;
            }
            assert_ne!(v["type"], "error", "error while waiting for {what}: {v}");
        }
    }

    /// Whether the server ends the connection (a close frame or the end of the stream)
    /// before sending anything else.
    pub async fn ended(&mut self) -> bool {
        loop {
            match tokio::time::timeout(GUARD, self.inner.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(Message::Text(_)))) => return false,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.inner.close(None).await;
    }
}

pub fn is_type(v: &Value, t: &str) -> bool {
    v["type"] == t
}

/// A JSON call on any router (the second server in the two-server test).
pub async fn call(
    router: &axum::Router,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let res = router.clone().oneshot(req).await.expect("router");
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, v)
}

/// A visitor's HTTP call with the chat token header.
pub async fn visitor_call(
    router: &axum::Router,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-chat-token", token);
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => {
            req = req.header(header::CONTENT_LENGTH, "0");
            req.body(Body::empty())
        }
    }
    .expect("request");
    let res = router.clone().oneshot(req).await.expect("router");
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
