//! 200 visitors at once over real WebSockets against three agents with 20 places in all:
//! nobody goes over capacity, the other 180 wait with positions 1…180, every message
//! stays in its own conversation, and closed chats hand their places to the queue.

use crate::common::TestApp;
use crate::flows::{available, open_general};
use crate::ws::{is_type, visitor_call, Ws};
use axum::http::{Method, StatusCode};
use futures::future::join_all;
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const VISITORS: usize = 200;
const AGENTS: [(&str, i64); 3] = [("agent1", 5), ("agent2", 7), ("agent3", 8)];

async fn start_one(router: &axum::Router, i: usize) -> String {
    let (status, v) = crate::ws::call(
        router,
        Method::POST,
        "/api/v1/chat/visitor/conversations",
        None,
        Some(json!({"topic": "general", "name": format!("v{i}")})),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    v["token"].as_str().expect("token").to_string()
}

async fn poll_now(router: &axum::Router, token: &str) -> Value {
    let (status, v) = visitor_call(
        router,
        Method::GET,
        "/api/v1/chat/visitor/poll?wait=0",
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

pub async fn capacity_holds_under_200_visitors_and_nothing_crosses(backend: TestBackend) {
    // 200 visitors from one address: lift the limit on new chats per address.
    let app = TestApp::with_config(backend, |c| c.public_limits.chats.max = 1000).await;
    let base = app.serve().await;
    open_general(&app).await;
    let lead = app.login("lead").await;
    let mut consoles = Vec::new();
    let mut agent_tokens = Vec::new();
    for (name, cap) in AGENTS {
        let id = app.user_id(name).await;
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/chat/agents/{id}"),
                Some(&lead),
                Some(json!({"capacity": cap})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let token = app.login(name).await;
        available(&app, &token, true).await;
        let mut ws = Ws::connect(&base, "/chat/agent/ws", Some(&token)).await;
        ws.until("the desk", |v| is_type(v, "desk")).await;
        consoles.push(ws);
        agent_tokens.push(token);
    }

    // 200 visitors start at once and connect their WebSockets.
    let router = app.router.clone();
    let tokens: Vec<String> = join_all((0..VISITORS).map(|i| {
        let router = router.clone();
        async move { start_one(&router, i).await }
    }))
    .await;
    let mut visitors: Vec<Ws> = join_all(tokens.iter().map(|t| Ws::visitor(&base, t, 0))).await;
    for v in visitors.iter_mut() {
        v.until("the first state", |f| is_type(f, "state")).await;
    }

    // Capacity: exactly 20 active, each agent within their capacity.
    let desks = app.get("/api/v1/chat/agents", &lead).await.json();
    let mut active_total = 0;
    for (name, cap) in AGENTS {
        let id = app.user_id(name).await;
        let d = desks
            .as_array()
            .expect("agents")
            .iter()
            .find(|d| d["user_id"] == id)
            .expect("the agent's desk");
        let n = d["active_chats"].as_i64().expect("count");
        assert!(n <= cap, "{name} holds {n} > {cap}");
        active_total += n;
    }
    assert_eq!(active_total, 20);
    let mut positions = BTreeSet::new();
    let mut active_idx = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let v = poll_now(&router, t).await;
        match v["state"].as_str() {
            Some("active") => active_idx.push(i),
            Some("queued") => {
                assert!(positions.insert(v["position"].as_i64().expect("position")));
            }
            other => panic!("visitor {i} is {other:?}"),
        }
    }
    assert_eq!(active_idx.len(), 20);
    assert_eq!(positions, (1..=180).collect::<BTreeSet<i64>>());

    // Every active visitor writes; each agent answers each of their chats by the
    // visitor's name; every visitor hears only their own answer.
    for &i in &active_idx {
        visitors[i]
            .send(
                json!({"type": "send", "body": format!("我是v{i}"), "client_id": format!("c{i}")}),
            )
            .await;
    }
    let mut answered = 0;
    for (console, token) in consoles.iter_mut().zip(&agent_tokens) {
        // The desk as stored; the console follows these chats once it asks for them.
        let desk = app.get("/api/v1/chat/desk", token).await.json();
        let chats: BTreeMap<String, String> = desk["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap_or_default().to_string(),
                    c["visitor_name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        for id in chats.keys() {
            console
                .send(json!({"type": "sync", "conversation_id": id, "after": 0}))
                .await;
        }
        let mut heard = BTreeSet::new();
        while heard.len() < chats.len() {
            let f = console
                .until("a visitor's message", |f| {
                    is_type(f, "message") && f["sender"] == "visitor"
                })
                .await;
            let conv = f["conversation_id"]
                .as_str()
                .expect("conversation")
                .to_string();
            let name = chats
                .get(&conv)
                .expect("a message from a chat on this desk");
            assert_eq!(
                f["body"].as_str(),
                Some(format!("我是{name}").as_str()),
                "crossed: {f}"
            );
            heard.insert(conv);
        }
        for (id, name) in &chats {
            console
                .send(json!({"type": "send", "conversation_id": id, "body": format!("回复{name}")}))
                .await;
            answered += 1;
        }
    }
    assert_eq!(answered, 20);
    for &i in &active_idx {
        let f = visitors[i]
            .until("the agent's answer", |f| {
                is_type(f, "message") && f["sender"] == "agent"
            })
            .await;
        assert_eq!(f["body"].as_str(), Some(format!("回复v{i}").as_str()));
        // Nothing of anyone else's conversation ever reached this visitor.
        for seen in visitors[i].seen.iter().filter(|f| is_type(f, "message")) {
            let body = seen["body"].as_str().unwrap_or_default();
            assert!(
                body == format!("我是v{i}") || body == format!("回复v{i}"),
                "crossed into v{i}: {seen}"
            );
        }
    }

    // agent1 closes their five chats: the first five in the queue get them.
    let a1 = &agent_tokens[0];
    let desk = app.get("/api/v1/chat/desk", a1).await.json();
    let held: Vec<String> = desk["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(held.len(), 5);
    for id in &held {
        let r = app
            .post(
                &format!("/api/v1/chat/conversations/{id}/close"),
                a1,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    let mut now_active = 0;
    let mut queued = BTreeSet::new();
    for t in &tokens {
        let v = poll_now(&router, t).await;
        match v["state"].as_str() {
            Some("active") => now_active += 1,
            Some("queued") => {
                queued.insert(v["position"].as_i64().expect("position"));
            }
            _ => {}
        }
    }
    assert_eq!(now_active, 20);
    assert_eq!(queued, (1..=175).collect::<BTreeSet<i64>>());
    let desks = app.get("/api/v1/chat/agents", &lead).await.json();
    for d in desks.as_array().expect("agents") {
        assert!(d["active_chats"].as_i64() <= d["capacity"].as_i64(), "{d}");
    }
    for v in visitors {
        v.close().await;
    }
    for c in consoles {
        c.close().await;
    }
    app.cleanup().await;
}
