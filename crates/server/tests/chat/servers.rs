//! Two kefu servers on one PostgreSQL database (behind a load balancer): the visitor is
//! connected to one, the agent to the other, and the chat works both ways — messages,
//! typing, the assignment and the closing travel by LISTEN/NOTIFY; and an agent whose
//! console moved to the other server is not marked away by the first.

use crate::common::TestApp;
use crate::desk::{consoles_closed, takes_chats};
use crate::flows::{available, open_general};
use crate::ws::{call, is_type, Ws};
use axum::http::Method;
use kefu_server::ws::presence::AWAY_GRACE_SECS;
use kefu_server::{AppState, Clock, ServerConfig};
use kefu_test_support::TestBackend;
use serde_json::json;
use std::time::Duration;

/// Server B: its own connection pool, hub and listener on the same database as the
/// test's server A. Returns its state, router and base URL (and the data directory,
/// which must outlive it).
async fn server_b(
    app: &TestApp,
    config: impl FnOnce(&mut ServerConfig),
) -> (AppState, axum::Router, String, tempfile::TempDir) {
    let db_b = kefu_store::Db::connect(&app.db.url)
        .await
        .expect("server B connects");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(dir.path().to_path_buf());
    config(&mut cfg);
    let state_b = AppState::new(db_b, Clock::simulated(app.state.clock().now()), cfg);
    let router_b = kefu_server::router(state_b.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_b = format!("http://{}", listener.local_addr().expect("addr"));
    let serve_b = router_b
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, serve_b).await;
    });
    (state_b, router_b, base_b, dir)
}

pub async fn visitor_and_agent_on_different_servers(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base_a = app.serve().await;
    open_general(&app).await;
    let (_state_b, router_b, base_b, _dir) = server_b(&app, |_| {}).await;

    // The agent works on server B.
    let password = app.passwords["agent3"].clone();
    let (status, login) = call(
        &router_b,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "agent3", "password": password})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let agent = login["token"].as_str().expect("token").to_string();
    let mut console = Ws::connect(&base_b, "/chat/agent/ws", Some(&agent)).await;
    console.until("the desk", |v| is_type(v, "desk")).await;
    let (status, _) = call(
        &router_b,
        Method::PUT,
        "/api/v1/chat/desk/availability",
        Some(&agent),
        Some(json!({"available": true})),
    )
    .await;
    assert_eq!(status, 204);

    // The visitor arrives on server A and is routed to the agent on B, who hears of it.
    let (token, _) = crate::flows::start(&app, "跨服务器访客").await;
    let desk = console
        .until("the chat on B", |v| {
            is_type(v, "desk") && v["chats"].as_array().is_some_and(|c| c.len() == 1)
        })
        .await;
    let conv = desk["chats"][0]["id"].as_str().expect("id").to_string();
    console
        .send(json!({"type": "sync", "conversation_id": conv, "after": 0}))
        .await;
    let mut visitor = Ws::visitor(&base_a, &token, 0).await;
    let state = visitor.until("the state", |v| is_type(v, "state")).await;
    assert_eq!(state["state"], "active");

    visitor
        .send(json!({"type": "send", "body": "A 服务器上的访客", "client_id": "x1"}))
        .await;
    let got = console
        .until("the visitor's message on B", |v| is_type(v, "message"))
        .await;
    assert_eq!(got["body"], "A 服务器上的访客");
    console
        .send(json!({"type": "typing", "conversation_id": conv, "on": true}))
        .await;
    let typing = visitor
        .until("typing from B", |v| is_type(v, "typing"))
        .await;
    assert_eq!(typing["on"], true);
    console
        .send(json!({"type": "send", "conversation_id": conv, "body": "B 服务器上的客服"}))
        .await;
    let reply = visitor
        .until("the reply from B", |v| {
            is_type(v, "message") && v["sender"] == "agent"
        })
        .await;
    assert_eq!(reply["body"], "B 服务器上的客服");

    // The visitor leaves on A; the desk on B empties.
    visitor.send(json!({"type": "close"})).await;
    console
        .until("the empty desk on B", |v| {
            is_type(v, "desk") && v["chats"].as_array().is_some_and(Vec::is_empty)
        })
        .await;
    console.close().await;
    app.cleanup().await;
}

/// The agent's console closes on server A and reopens on server B (a reload behind a
/// load balancer): A hears B's console beats and does not mark the agent away; once the
/// console on B closes too, A marks them away after the grace period.
pub async fn a_console_on_another_server_keeps_the_agent_available(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base_a = app.serve().await;
    open_general(&app).await;
    let (state_b, _router_b, base_b, _dir) = server_b(&app, |c| {
        c.console_beat = Duration::from_millis(200);
    })
    .await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let me = app.user_id("agent1").await;
    available(&app, &agent, true).await;

    let mut on_a = Ws::connect(&base_a, "/chat/agent/ws", Some(&agent)).await;
    on_a.until("the desk on A", |v| is_type(v, "desk")).await;
    on_a.close().await;
    consoles_closed(&app, &me).await;
    let mut on_b = Ws::connect(&base_b, "/chat/agent/ws", Some(&agent)).await;
    on_b.until("the desk on B", |v| is_type(v, "desk")).await;

    // Twice the grace period passes on A in steps, while B's beats keep arriving (one
    // every 200 ms; a step waits 500 ms, and only six steps in a row without any beat
    // would reach the grace period).
    for _ in 0..(2 * AWAY_GRACE_SECS / 5) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.advance(&lead, 5).await;
    }
    assert!(
        takes_chats(&app, &agent).await,
        "a console on server B keeps the agent available on A"
    );

    // The console on B closes: its beats stop, and A marks the agent away once the
    // grace period has passed since the last one.
    on_b.close().await;
    for _ in 0..300 {
        if state_b.chat_presence().consoles(&me) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.advance(&lead, 1).await;
    assert!(takes_chats(&app, &agent).await, "within the grace period");
    app.advance(&lead, AWAY_GRACE_SECS).await;
    assert!(!takes_chats(&app, &agent).await, "marked away");
    app.cleanup().await;
}
