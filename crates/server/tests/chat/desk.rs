//! The agent's desk beyond the basics: scripts (话术) over the API, the rate limit on
//! new chats, a visitor socket closed when its token expires, an agent whose console
//! closed marked away after the grace period, personal numbers in messages masked for
//! staff without `customer.pii.read`, and quality inspectors reading transcripts without
//! the console.

use crate::common::TestApp;
use crate::flows::{available, open_general, start};
use crate::ws::{is_type, visitor_call, Ws};
use axum::http::{Method, StatusCode};
use kefu_server::app::public::limit::CHATS_PER_WINDOW;
use kefu_server::ws::presence::AWAY_GRACE_SECS;
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::time::Duration;

/// Waits (bounded) until the server has handled the close of `user_id`'s consoles.
pub async fn consoles_closed(app: &TestApp, user_id: &str) {
    for _ in 0..300 {
        if app.state.chat_presence().consoles(user_id) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the console's close was never handled");
}

pub async fn takes_chats(app: &TestApp, token: &str) -> bool {
    app.get("/api/v1/chat/desk", token).await.json()["available"] == true
}

pub async fn scripts_over_the_api(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let topics = app.get("/api/v1/chat/topics", &lead).await.json();
    let general = topics[0]["id"].as_str().expect("a topic").to_string();

    let created = app
        .post(
            "/api/v1/chat/scripts",
            &lead,
            json!({"title": " 问候 ", "body": "您好，很高兴为您服务。"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let hello = created.json()["id"].as_str().expect("id").to_string();
    let created = app
        .post(
            "/api/v1/chat/scripts",
            &lead,
            json!({"title": "排队致歉", "body": "让您久等了", "topic_id": general}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let sorry = created.json()["id"].as_str().expect("id").to_string();

    // Agents read them (the general one first), they do not keep them.
    let list = app.get("/api/v1/chat/scripts", &agent).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list[0]["id"], hello.as_str());
    assert_eq!(list[0]["title"], "问候");
    assert_eq!(list[0]["topic_id"], Value::Null);
    assert_eq!(list[1]["topic_id"], general.as_str());
    let refused = app
        .post(
            "/api/v1/chat/scripts",
            &agent,
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Bad input names its field.
    for (body, field) in [
        (json!({"title": " ", "body": "y"}), "title"),
        (json!({"title": "x", "body": "字".repeat(4001)}), "body"),
        (
            json!({"title": "x", "body": "y", "topic_id": "nope"}),
            "topic_id",
        ),
    ] {
        let r = app.post("/api/v1/chat/scripts", &lead, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], field);
        assert_eq!(r.error_code(), "invalid_chat_script");
    }

    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/chat/scripts/{sorry}"),
            Some(&lead),
            Some(json!({"title": "排队致歉", "body": "让您久等了，马上为您接入"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let list = app.get("/api/v1/chat/scripts", &agent).await.json();
    let s = list
        .as_array()
        .expect("scripts")
        .iter()
        .find(|s| s["id"] == sorry.as_str())
        .expect("the script")
        .clone();
    assert_eq!(
        (s["body"].as_str(), &s["topic_id"]),
        (Some("让您久等了，马上为您接入"), &Value::Null)
    );

    let del = format!("/api/v1/chat/scripts/{hello}");
    let r = app.api(Method::DELETE, &del, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.api(Method::DELETE, &del, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            Method::PUT,
            &del,
            Some(&lead),
            Some(json!({"title": "x", "body": "y"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/chat/scripts", &agent)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    app.cleanup().await;
}

pub async fn starting_chats_is_rate_limited_per_address(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    open_general(&app).await;
    let lead = app.login("lead").await;
    for _ in 0..CHATS_PER_WINDOW {
        start(&app, "").await;
    }
    let over = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general"})),
        )
        .await;
    assert_eq!(
        over.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        over.text()
    );
    assert_eq!(over.error_code(), "rate_limited");
    assert!(over.headers.contains_key("retry-after"));
    // The widget has the visitor's words for it, in both languages.
    for (lang, word) in [("zh-CN", "频繁"), ("en", "too many")] {
        let s = app
            .api(
                Method::GET,
                &format!("/api/v1/chat/visitor/topics/general?lang={lang}"),
                None,
                None,
            )
            .await
            .json();
        let text = s["strings"]["too_many"].as_str().unwrap_or_default();
        assert!(text.contains(word), "{lang}: {text:?}");
    }
    // A minute later the address may start again.
    app.advance(&lead, 60).await;
    start(&app, "").await;
    app.cleanup().await;
}

pub async fn an_expired_token_closes_the_visitor_socket(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base = app.serve().await;
    open_general(&app).await;
    // Hours pass: moved on the state's clock (a staff log-in would expire meanwhile).
    let advance = |seconds| {
        app.state
            .clock()
            .advance(chrono::Duration::seconds(seconds))
            .expect("simulated clock");
    };
    let (token, _) = start(&app, "周先生").await;
    let mut visitor = Ws::visitor(&base, &token, 0).await;
    visitor.until("the state", |v| is_type(v, "state")).await;

    // Renewed an hour in (as the widget does): the socket lives past the first expiry.
    advance(3600);
    let (status, renewed) = visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/token",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    let fresh = renewed["token"].as_str().expect("token").to_string();
    advance(5400);
    visitor.send(json!({"type": "ping"})).await;
    visitor.until("the pong", |v| is_type(v, "pong")).await;

    // Past the renewed expiry: the next frame gets the chat_token error and the end.
    advance(3600);
    visitor.send(json!({"type": "ping"})).await;
    let e = visitor.next().await;
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("chat_token")),
        "{e}"
    );
    assert!(visitor.ended().await, "the socket is closed");
    // The expired token renews nothing: the widget tells the visitor to start again.
    let (status, e) = visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/token",
        &fresh,
        None,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("chat_token"))
    );
    app.cleanup().await;
}

pub async fn an_agent_whose_console_closed_is_marked_away(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base = app.serve().await;
    open_general(&app).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let me = app.user_id("agent1").await;
    available(&app, &agent, true).await;

    // A reload: the old console closes, the new one opens; past the grace period the
    // agent still takes chats.
    let mut old = Ws::connect(&base, "/chat/agent/ws", Some(&agent)).await;
    old.until("the desk", |v| is_type(v, "desk")).await;
    old.close().await;
    let mut console = Ws::connect(&base, "/chat/agent/ws", Some(&agent)).await;
    console.until("the desk", |v| is_type(v, "desk")).await;
    app.advance(&lead, AWAY_GRACE_SECS + 1).await;
    assert!(
        takes_chats(&app, &agent).await,
        "a reload does not make the agent away"
    );
    let (_, started) = start(&app, "吴女士").await;
    assert_eq!(started["conversation"]["state"], "active");

    // The browser closes: within the grace period nothing changes …
    console.close().await;
    consoles_closed(&app, &me).await;
    app.advance(&lead, AWAY_GRACE_SECS - 5).await;
    assert!(
        takes_chats(&app, &agent).await,
        "away only after the grace period"
    );
    // … after it the agent is away and new chats wait; the one they hold stays theirs.
    app.advance(&lead, 5).await;
    assert!(!takes_chats(&app, &agent).await, "marked away");
    let desk = app.get("/api/v1/chat/desk", &agent).await.json();
    assert_eq!(desk["chats"].as_array().map(Vec::len), Some(1), "{desk}");
    let (_, started) = start(&app, "郑先生").await;
    assert_eq!(started["conversation"]["state"], "queued");
    app.cleanup().await;
}

pub async fn numbers_in_messages_are_masked_without_pii(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base = app.serve().await;
    open_general(&app).await;
    let agent = app.login("agent1").await;
    let lead = app.login("lead").await;
    available(&app, &agent, true).await;
    let mut console = Ws::connect(&base, "/chat/agent/ws", Some(&agent)).await;
    console.until("the desk", |v| is_type(v, "desk")).await;
    let (token, _) = start(&app, "冯女士").await;
    let desk = console
        .until("the chat", |v| {
            is_type(v, "desk") && v["chats"].as_array().is_some_and(|c| c.len() == 1)
        })
        .await;
    let conv = desk["chats"][0]["id"].as_str().expect("id").to_string();
    console
        .send(json!({"type": "sync", "conversation_id": conv, "after": 0}))
        .await;
    let said = "手机13812345678，身份证11010519491231002X";
    let masked = "手机138****5678，身份证110***********002X";
    let (status, sent) = visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/messages",
        &token,
        Some(json!({"body": said})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    // The visitor sees their own words.
    assert_eq!(sent["body"], said);

    // The agent (no customer.pii.read) sees them masked, live and in the transcript.
    let pushed = console
        .until("the message", |v| is_type(v, "message"))
        .await;
    assert_eq!(pushed["body"], masked);
    let path = format!("/api/v1/chat/conversations/{conv}/messages");
    let t = app.get(&path, &agent).await.json();
    assert_eq!(t["messages"][0]["body"], masked);
    // An agent's own reply quoting a number is masked in what the API answers too.
    let reply = app
        .post(
            &path,
            &agent,
            json!({"body": "请核对尾号5678的手机13812345678"}),
        )
        .await;
    assert_eq!(reply.json()["body"], "请核对尾号5678的手机138****5678");
    // The shift lead (customer.pii.read) sees them as written; so does the visitor.
    let t = app.get(&path, &lead).await.json();
    assert_eq!(t["messages"][0]["body"], said);
    let (_, polled) = visitor_call(
        &app.router,
        Method::GET,
        "/api/v1/chat/visitor/poll?after=0&wait=0",
        &token,
        None,
    )
    .await;
    assert_eq!(polled["messages"][0]["body"], said);
    // Stored verbatim.
    let stored = app
        .state
        .db()
        .list_chat_messages(&conv, 0, 10)
        .await
        .expect("messages");
    assert_eq!(stored[0].body, said);
    console.close().await;
    app.cleanup().await;
}

pub async fn inspectors_read_transcripts_but_not_the_console(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base = app.serve().await;
    open_general(&app).await;
    let agent = app.login("agent1").await;
    let inspector = app.login("inspector").await;
    available(&app, &agent, true).await;
    let (token, _) = start(&app, "卫先生").await;
    let (status, _) = visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/messages",
        &token,
        Some(json!({"body": "回电请打13912345678"})),
    )
    .await;
    assert_eq!(status, 201);

    // The inspector lists the chats and reads one, masked (no customer.pii.read).
    let list = app.get("/api/v1/chat/conversations", &inspector).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let conv = list.json()["items"][0]["id"]
        .as_str()
        .expect("a chat")
        .to_string();
    let t = app
        .get(
            &format!("/api/v1/chat/conversations/{conv}/messages"),
            &inspector,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    assert_eq!(t.json()["messages"][0]["body"], "回电请打139****5678");
    // The read is audited.
    let me = app.user_id("inspector").await;
    let audited = app
        .state
        .db()
        .list_audit(
            &kefu_store::audit::AuditFilter {
                actor_id: Some(me),
                action: Some("chat.transcript_view".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .expect("audit");
    assert_eq!(audited.items.len(), 1);

    // Read-only: no reply, no close, no desk, no console socket.
    let path = format!("/api/v1/chat/conversations/{conv}");
    let r = app
        .post(
            &format!("{path}/messages"),
            &inspector,
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("{path}/close"), &inspector, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/chat/desk", &inspector).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let url = format!("{}/chat/agent/ws", base.replacen("http", "ws", 1));
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        url.as_str(),
    )
    .expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {inspector}").parse().expect("header"),
    );
    assert!(
        tokio_tungstenite::connect_async(req).await.is_err(),
        "the console socket is refused"
    );
    // An agent reads only their own chats, and lists none.
    let r = app.get("/api/v1/chat/conversations", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}
