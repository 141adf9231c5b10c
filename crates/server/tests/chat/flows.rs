//! One visitor and one agent over WebSockets (typing, replies, reconnect resuming after
//! the last sequence number, closing), the long-poll fallback, offline hours, the
//! agent's actions over the API, and the refusals.

use crate::common::TestApp;
use crate::ws::{is_type, visitor_call, Ws};
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// Opens the demo's `general` topic around the clock (its hours are on-duty by default)
/// and returns its id.
pub async fn open_general(app: &TestApp) -> String {
    let lead = app.login("lead").await;
    let topics = app.get("/api/v1/chat/topics", &lead).await.json();
    let general = topics
        .as_array()
        .expect("topics")
        .iter()
        .find(|t| t["code"] == "general")
        .expect("the general topic")
        .clone();
    let id = general["id"].as_str().expect("id").to_string();
    let reply = app
        .api(
            Method::PUT,
            &format!("/api/v1/chat/topics/{id}"),
            Some(&lead),
            Some(json!({"code": "general", "name": "在线咨询", "routing": "least_busy", "hours": "24x7"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    id
}

pub async fn available(app: &TestApp, token: &str, on: bool) {
    let reply = app
        .api(
            Method::PUT,
            "/api/v1/chat/desk/availability",
            Some(token),
            Some(json!({"available": on})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
}

/// Starts a chat as a visitor; returns the token and the answer.
pub async fn start(app: &TestApp, name: &str) -> (String, Value) {
    let reply = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general", "name": name})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let v = reply.json();
    (v["token"].as_str().expect("token").to_string(), v)
}

pub async fn visitor_and_agent_over_websockets(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let base = app.serve().await;
    open_general(&app).await;
    let agent = app.login("agent1").await;
    available(&app, &agent, true).await;
    let mut console = Ws::connect(&base, "/chat/agent/ws", Some(&agent)).await;
    let desk = console.until("the desk", |v| is_type(v, "desk")).await;
    assert_eq!(desk["chats"].as_array().map(Vec::len), Some(0));

    let (token, started) = start(&app, "王女士").await;
    // An agent with a free place was there: the chat is theirs at once.
    assert_eq!(started["conversation"]["state"], "active");
    let desk = console
        .until("the chat on the desk", |v| {
            is_type(v, "desk") && v["chats"].as_array().is_some_and(|c| c.len() == 1)
        })
        .await;
    let conv = desk["chats"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(desk["chats"][0]["visitor_name"], "王女士");
    console
        .send(json!({"type": "sync", "conversation_id": conv, "after": 0}))
        .await;

    let mut visitor = Ws::visitor(&base, &token, 0).await;
    let state = visitor.until("the state", |v| is_type(v, "state")).await;
    assert_eq!(state["state"], "active");
    assert!(state["agent_name"].as_str().is_some(), "{state}");

    visitor.send(json!({"type": "typing", "on": true})).await;
    let typing = console.until("typing", |v| is_type(v, "typing")).await;
    assert_eq!(
        (typing["conversation_id"].as_str(), typing["on"].as_bool()),
        (Some(conv.as_str()), Some(true))
    );

    visitor
        .send(json!({"type": "send", "body": "我的订单没到", "client_id": "v-1"}))
        .await;
    let ack = visitor.until("the ack", |v| is_type(v, "sent")).await;
    assert_eq!(
        (ack["seq"].as_i64(), ack["client_id"].as_str()),
        (Some(1), Some("v-1"))
    );
    let got = console
        .until("the visitor's message", |v| is_type(v, "message"))
        .await;
    assert_eq!(
        (
            got["conversation_id"].as_str(),
            got["seq"].as_i64(),
            got["sender"].as_str(),
            got["body"].as_str()
        ),
        (
            Some(conv.as_str()),
            Some(1),
            Some("visitor"),
            Some("我的订单没到")
        )
    );

    console
        .send(json!({"type": "typing", "conversation_id": conv, "on": true}))
        .await;
    let typing = visitor
        .until("agent typing", |v| is_type(v, "typing"))
        .await;
    assert_eq!(typing["on"], true);
    console
        .send(json!({"type": "send", "conversation_id": conv, "body": "请提供订单号", "client_id": "a-1"}))
        .await;
    let reply = visitor
        .until("the agent's reply", |v| {
            is_type(v, "message") && v["seq"] == 2
        })
        .await;
    assert_eq!(
        (reply["sender"].as_str(), reply["body"].as_str()),
        (Some("agent"), Some("请提供订单号"))
    );
    assert!(reply["author"].as_str().is_some_and(|a| !a.is_empty()));

    // The visitor drops off; two replies arrive meanwhile; reconnecting after seq 2
    // brings exactly those two, in order.
    visitor.close().await;
    for (i, body) in ["订单号在短信里", "您方便时发给我"].iter().enumerate() {
        console
            .send(json!({"type": "send", "conversation_id": conv, "body": body, "client_id": format!("a-{}", i + 2)}))
            .await;
        console.until("the ack", |v| is_type(v, "sent")).await;
    }
    let mut visitor = Ws::visitor(&base, &token, 2).await;
    let mut bodies = Vec::new();
    while bodies.len() < 2 {
        let v = visitor.next().await;
        if is_type(&v, "message") {
            assert!(
                v["seq"].as_i64().unwrap_or(0) > 2,
                "resent an old message: {v}"
            );
            bodies.push(v["body"].as_str().unwrap_or_default().to_string());
        }
    }
    assert_eq!(bodies, ["订单号在短信里", "您方便时发给我"]);
    // A resend of a message already stored (the ack was lost) is stored once.
    visitor
        .send(json!({"type": "send", "body": "我的订单没到", "client_id": "v-1"}))
        .await;
    let ack = visitor.until("the ack", |v| is_type(v, "sent")).await;
    assert_eq!(ack["seq"], 1);
    let stored = app
        .state
        .db()
        .list_chat_messages(&conv, 0, 100)
        .await
        .expect("messages");
    assert_eq!(stored.len(), 4);

    // The visitor leaves: the chat leaves the agent's desk.
    visitor.send(json!({"type": "close"})).await;
    let closed = visitor.until("closed", |v| is_type(v, "state")).await;
    assert_eq!(closed["state"], "closed");
    console
        .until("the empty desk", |v| {
            is_type(v, "desk") && v["chats"].as_array().is_some_and(Vec::is_empty)
        })
        .await;

    // Without a hello (or with a wrong token) the socket says why and ends.
    let mut stranger = Ws::connect(&base, "/chat/ws", None).await;
    stranger.send(json!({"type": "send", "body": "hi"})).await;
    let e = stranger.next().await;
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("hello_expected"))
    );
    let mut forged = Ws::visitor(&base, "kc_not-a-token", 0).await;
    let e = forged.next().await;
    assert_eq!(e["code"], "chat_token");
    console.close().await;
    app.cleanup().await;
}

pub async fn long_poll_fallback_and_cors(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    open_general(&app).await;
    let agent = app.login("agent2").await;
    available(&app, &agent, true).await;
    let (token, _) = start(&app, "").await;
    let r = &app.router;
    let (status, sent) = visitor_call(
        r,
        Method::POST,
        "/api/v1/chat/visitor/messages",
        &token,
        Some(json!({"body": "在吗", "client_id": "p-1"})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let (status, polled) = visitor_call(
        r,
        Method::GET,
        "/api/v1/chat/visitor/poll?after=0&wait=0",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(polled["state"], "active");
    assert_eq!(polled["messages"].as_array().map(Vec::len), Some(1));
    let desk = app.get("/api/v1/chat/desk", &agent).await.json();
    let conv = desk["chats"][0]["id"].as_str().expect("a chat").to_string();

    // A waiting poll wakes when the agent answers (whichever comes first, the reply is
    // in the answer: the poll subscribes before it reads).
    let poll = visitor_call(
        r,
        Method::GET,
        "/api/v1/chat/visitor/poll?after=1&wait=30",
        &token,
        None,
    );
    let answer = async {
        let reply = app
            .post(
                &format!("/api/v1/chat/conversations/{conv}/messages"),
                &agent,
                json!({"body": "在的，请讲", "client_id": "x"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    };
    let ((status, woke), ()) = tokio::join!(poll, answer);
    assert_eq!(status, 200);
    let msgs = woke["messages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 1, "{woke}");
    assert_eq!(
        (msgs[0]["seq"].as_i64(), msgs[0]["body"].as_str()),
        (Some(2), Some("在的，请讲"))
    );

    // No token, a wrong token: 401 chat_token, nothing else.
    let reply = app
        .api(
            Method::GET,
            "/api/v1/chat/visitor/poll?after=0&wait=0",
            None,
            None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::UNAUTHORIZED, "chat_token".to_string())
    );
    let (status, e) = visitor_call(
        r,
        Method::GET,
        "/api/v1/chat/visitor/poll?wait=0",
        "kc_wrong",
        None,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("chat_token"))
    );

    // The widget on another site may call the visitor API (token in a header, no cookie).
    let pre = app
        .send(
            axum::http::Request::builder()
                .method(Method::OPTIONS)
                .uri("/api/v1/chat/visitor/messages")
                .header("origin", "https://shop.example")
                .header(
                    "access-control-request-headers",
                    "content-type, x-chat-token",
                )
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert_eq!(pre.headers["access-control-allow-origin"], "*");
    assert!(pre.headers["access-control-allow-headers"]
        .to_str()
        .unwrap_or_default()
        .contains("x-chat-token"));
    // … but not the staff API.
    let staff = app
        .send(
            axum::http::Request::builder()
                .method(Method::GET)
                .uri("/api/v1/chat/desk")
                .header("origin", "https://shop.example")
                .header("authorization", format!("Bearer {agent}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert!(staff.headers.get("access-control-allow-origin").is_none());

    // Renewing replaces the token; the visitor closes with the new one.
    let (status, renewed) =
        visitor_call(r, Method::POST, "/api/v1/chat/visitor/token", &token, None).await;
    assert_eq!(status, 200);
    let fresh = renewed["token"].as_str().expect("token").to_string();
    let (status, _) = visitor_call(
        r,
        Method::GET,
        "/api/v1/chat/visitor/poll?wait=0",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) =
        visitor_call(r, Method::POST, "/api/v1/chat/visitor/close", &fresh, None).await;
    assert_eq!(status, 204);
    let (status, after) = visitor_call(
        r,
        Method::GET,
        "/api/v1/chat/visitor/poll?after=2&wait=0",
        &fresh,
        None,
    )
    .await;
    assert_eq!((status, after["state"].as_str()), (200, Some("closed")));
    app.cleanup().await;
}

pub async fn offline_hours_turn_the_chat_into_a_ticket(backend: TestBackend) {
    use chrono::TimeZone;
    // A Sunday morning in Beijing: outside the working calendar.
    let sunday = chrono::FixedOffset::east_opt(8 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .single()
        .expect("time")
        .with_timezone(&chrono::Utc);
    let app = TestApp::starting_at(backend, sunday).await;
    let lead = app.login("lead").await;
    let topic = crate::flows::open_general(&app).await;
    let reply = app
        .api(
            Method::PUT,
            &format!("/api/v1/chat/topics/{topic}"),
            Some(&lead),
            Some(json!({"code": "general", "name": "在线咨询", "routing": "round_robin", "hours": "working"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let status = app
        .api(
            Method::GET,
            "/api/v1/chat/visitor/topics/general",
            None,
            None,
        )
        .await
        .json();
    assert_eq!(status["online"], false);
    assert_eq!(status["strings"]["start"], "开始咨询");
    let en = app
        .api(
            Method::GET,
            "/api/v1/chat/visitor/topics/general?lang=en",
            None,
            None,
        )
        .await
        .json();
    assert_eq!(en["strings"]["start"], "Start chat");
    let refused = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general"})),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (StatusCode::CONFLICT, "chat_offline".to_string())
    );
    let left = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/offline",
            None,
            Some(json!({"topic": "general", "name": "李先生", "phone": "13912345678", "message": "周一请回电，发票抬头要改"})),
        )
        .await;
    assert_eq!(left.status, StatusCode::CREATED, "{}", left.text());
    let number = left.json()["number"].as_str().expect("number").to_string();
    let db = app.state.db();
    let id = db
        .ticket_id_by_number(&kefu_domain::ticket::TicketNumber::parse(&number).expect("number"))
        .await
        .expect("ticket");
    let t = db.get_ticket(&id).await.expect("ticket").ticket;
    assert_eq!(t.channel, "chat");
    assert!(t.description.contains("发票抬头"));
    let bad = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/offline",
            None,
            Some(json!({"topic": "general", "name": "李", "phone": "12", "message": "x"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_phone".to_string()
        )
    );
    let unknown = app
        .api(Method::GET, "/api/v1/chat/visitor/topics/nope", None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

pub async fn transfer_link_convert_and_transcripts(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let topic = open_general(&app).await;
    let lead = app.login("lead").await;
    let a1 = app.login("agent1").await;
    let a2 = app.login("agent2").await;
    let a2_id = app.user_id("agent2").await;
    let a1_id = app.user_id("agent1").await;
    for (id, cap) in [(&a1_id, 1), (&a2_id, 1)] {
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/chat/agents/{id}"),
                Some(&lead),
                Some(json!({"capacity": cap, "skills": []})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    available(&app, &a1, true).await;
    let (t1, _) = start(&app, "甲").await;
    let conv = app.get("/api/v1/chat/desk", &a1).await.json()["chats"][0]["id"]
        .as_str()
        .expect("a1 holds the chat")
        .to_string();
    visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/messages",
        &t1,
        Some(json!({"body": "要开发票"})),
    )
    .await;
    // agent2 is not taking chats: the transfer is refused; once available, it works.
    let full = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/transfer"),
            &a1,
            json!({"agent_id": a2_id}),
        )
        .await;
    assert_eq!(
        (full.status, full.error_code()),
        (StatusCode::CONFLICT, "chat_agent_full".to_string())
    );
    available(&app, &a2, true).await;
    let ok = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/transfer"),
            &a1,
            json!({"agent_id": a2_id}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text());
    // agent1 no longer sees it; agent2 does.
    let gone = app
        .get(&format!("/api/v1/chat/conversations/{conv}/messages"), &a1)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let seen = app
        .get(&format!("/api/v1/chat/conversations/{conv}/messages"), &a2)
        .await
        .json();
    assert_eq!(seen["messages"][0]["body"], "要开发票");
    // Link a customer and convert to a ticket: the transcript lands on both timelines.
    let customer = app.any_customer(&lead).await;
    let linked = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/customer"),
            &a2,
            json!({"customer_id": customer}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::NO_CONTENT, "{}", linked.text());
    let converted = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/ticket"),
            &a2,
            json!({"type": "inquiry"}),
        )
        .await;
    assert_eq!(
        converted.status,
        StatusCode::CREATED,
        "{}",
        converted.text()
    );
    let ticket_id = converted.json()["ticket_id"]
        .as_str()
        .expect("ticket")
        .to_string();
    let again = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/ticket"),
            &a2,
            json!({}),
        )
        .await;
    assert_eq!(again.error_code(), "chat_has_ticket");
    app.post(
        &format!("/api/v1/chat/conversations/{conv}/messages"),
        &a2,
        json!({"body": "已为您登记"}),
    )
    .await;
    let events = app
        .state
        .db()
        .list_ticket_events(&ticket_id)
        .await
        .expect("events");
    let bodies: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "chat_message")
        .filter_map(|e| e.body.as_deref())
        .collect();
    assert_eq!(bodies, ["要开发票", "已为您登记"]);
    let timeline = app
        .state
        .db()
        .list_customer_events(&customer, 200)
        .await
        .expect("events");
    assert_eq!(
        timeline.iter().filter(|e| e.kind == "chat_message").count(),
        2
    );
    // Back to a group: the chat waits in the topic's queue, agent2 is free again, and
    // routing gives it to whoever has room (agent1 or agent2).
    let back = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/transfer"),
            &a2,
            json!({"topic_id": topic}),
        )
        .await;
    assert_eq!(back.status, StatusCode::NO_CONTENT, "{}", back.text());
    let c = app.state.db().get_chat(&conv).await.expect("chat");
    assert_eq!(c.state, "active");
    // The lead reads any transcript (audited); the list shows it.
    let read = app
        .get(
            &format!("/api/v1/chat/conversations/{conv}/messages"),
            &lead,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let manager = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=chat.transcript_view", &manager)
        .await
        .json();
    assert!(audit.to_string().contains(&conv), "{audit}");
    let list = app
        .get("/api/v1/chat/conversations?state=active", &lead)
        .await
        .json();
    assert!(list["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["id"] == conv));
    // Agents do not manage.
    let denied = app.get("/api/v1/chat/conversations", &a1).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

pub async fn bad_input_is_refused_clearly(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    open_general(&app).await;
    let lead = app.login("lead").await;
    let a1 = app.login("agent1").await;
    let a1_id = app.user_id("agent1").await;
    let cases = [
        (
            json!({"code": "a b", "name": "x", "routing": "least_busy", "hours": "24x7"}),
            "invalid_chat_topic",
        ),
        (
            json!({"code": "x", "name": "x", "routing": "random", "hours": "24x7"}),
            "invalid_chat_topic",
        ),
        (
            json!({"code": "x", "name": "x", "routing": "least_busy", "hours": "always"}),
            "invalid_chat_topic",
        ),
        (
            json!({"code": "x", "name": "x", "routing": "least_busy", "hours": "24x7", "skills": ["a;b"]}),
            "invalid_chat",
        ),
    ];
    for (body, code) in cases {
        let r = app.post("/api/v1/chat/topics", &lead, body.clone()).await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code.to_string()),
            "{body}"
        );
    }
    let dup = app
        .post(
            "/api/v1/chat/topics",
            &lead,
            json!({"code": "general", "name": "x", "routing": "least_busy", "hours": "24x7"}),
        )
        .await;
    assert_eq!(
        (dup.status, dup.error_code()),
        (StatusCode::CONFLICT, "chat_topic_exists".to_string())
    );
    let cap = app
        .api(
            Method::PUT,
            &format!("/api/v1/chat/agents/{a1_id}"),
            Some(&lead),
            Some(json!({"capacity": 99})),
        )
        .await;
    assert_eq!(cap.status, StatusCode::UNPROCESSABLE_ENTITY);
    available(&app, &a1, true).await;
    let (token, _) = start(&app, "").await;
    let long = "字".repeat(4001);
    for body in [
        json!({"body": "   "}),
        json!({"body": long}),
        json!({"body": "x", "client_id": "有空格 的"}),
    ] {
        let (status, e) = visitor_call(
            &app.router,
            Method::POST,
            "/api/v1/chat/visitor/messages",
            &token,
            Some(body),
        )
        .await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (422, Some("invalid_chat"))
        );
    }
    let name = app
        .api(
            Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general", "name": "名".repeat(51)})),
        )
        .await;
    assert_eq!(name.status, StatusCode::UNPROCESSABLE_ENTITY);
    let conv = app.get("/api/v1/chat/desk", &a1).await.json()["chats"][0]["id"]
        .as_str()
        .expect("chat")
        .to_string();
    let both = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/transfer"),
            &a1,
            json!({"agent_id": "x", "topic_id": "y"}),
        )
        .await;
    assert_eq!(
        (both.status, both.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transfer".to_string()
        )
    );
    // Someone else's chat is not found for a plain agent (it is not theirs to know of).
    let a2 = app.login("agent2").await;
    let other = app
        .post(
            &format!("/api/v1/chat/conversations/{conv}/messages"),
            &a2,
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());
    app.cleanup().await;
}
