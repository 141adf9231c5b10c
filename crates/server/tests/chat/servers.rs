//! Two kefu servers on one PostgreSQL database (behind a load balancer): the visitor is
//! connected to one, the agent to the other, and the chat works both ways — messages,
//! typing, the assignment and the closing travel by LISTEN/NOTIFY.

use crate::common::TestApp;
use crate::flows::open_general;
use crate::ws::{call, is_type, Ws};
use axum::http::Method;
use kefu_server::{AppState, Clock, ServerConfig};
use kefu_test_support::TestBackend;
use serde_json::json;

pub async fn visitor_and_agent_on_different_servers(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base_a = app.serve().await;
    open_general(&app).await;

    // Server B: its own connection pool, hub and listener on the same database.
    let db_b = kefu_store::Db::connect(&app.db.url)
        .await
        .expect("server B connects");
    let dir = tempfile::tempdir().expect("temp dir");
    let state_b = AppState::new(
        db_b,
        Clock::simulated(app.state.clock().now()),
        ServerConfig::new(dir.path().to_path_buf()),
    );
    let router_b = kefu_server::router(state_b);
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
