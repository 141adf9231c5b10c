//! The automatic quality checks on real chats: a well-run chat and a badly run one are
//! stored through the API, the checks read both once they are closed, and only the bad
//! one is flagged — with the rules it broke — and offered to the inspector by hand, its
//! transcript masked for an inspector without `customer.pii.read`.

use crate::common::TestApp;
use crate::flows::{available, open_general, start};
use crate::ws::visitor_call;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::json;

/// One chat with agent2: the visitor's and the agent's lines alternate, then the visitor
/// closes. Returns the conversation id.
async fn chat(app: &TestApp, agent: &str, visitor: &[&str], replies: &[&str]) -> String {
    let (token, started) = start(app, "访客").await;
    assert_eq!(started["conversation"]["state"], "active", "{started}");
    // The visitor never sees the conversation's id; the agent's desk has it.
    let desk = app.get("/api/v1/chat/desk", agent).await.json();
    let conv = desk["chats"][0]["id"]
        .as_str()
        .expect("the chat on the desk")
        .to_string();
    for (i, line) in visitor.iter().enumerate() {
        let (status, sent) = visitor_call(
            &app.router,
            Method::POST,
            "/api/v1/chat/visitor/messages",
            &token,
            Some(json!({"body": line, "client_id": format!("v{i}")})),
        )
        .await;
        assert_eq!(status, 201, "{sent}");
        if let Some(reply) = replies.get(i) {
            let r = app
                .post(
                    &format!("/api/v1/chat/conversations/{conv}/messages"),
                    agent,
                    json!({"body": reply, "client_id": format!("a{i}")}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
    }
    let (status, _) = visitor_call(
        &app.router,
        Method::POST,
        "/api/v1/chat/visitor/close",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    conv
}

/// The inspector takes `item_id` by hand; returns the inspection's detail after checking
/// that the automatic checks found every rule of `expected`.
async fn inspect_findings(
    app: &TestApp,
    inspector: &str,
    item_id: &str,
    expected: &[&str],
) -> serde_json::Value {
    let r = app
        .post(
            "/api/v1/qa/inspections",
            inspector,
            json!({"item_id": item_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let d = app
        .get(&format!("/api/v1/qa/inspections/{id}"), inspector)
        .await
        .json();
    let rules: Vec<&str> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in expected {
        assert!(rules.contains(rule), "{rule} in {rules:?}");
    }
    d
}

pub async fn automatic_checks_flag_the_bad_chat_only(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    open_general(&app).await;
    let agent = app.login("agent2").await;
    available(&app, &agent, true).await;
    let good = chat(
        &app,
        &agent,
        &["你好，我想查一下订单", "好的，谢谢"],
        &[
            "您好，工号 KF102 为您服务，请提供订单号",
            "已为您查询，明天送达。感谢您的耐心，再见",
        ],
    )
    .await;
    let bad = chat(
        &app,
        &agent,
        &["在吗？我的电话 13812345678", "还是不行，我要投诉"],
        &["不知道，你自己看", "没办法"],
    )
    .await;

    let manager = app.login("manager").await;
    let r = app.post("/api/v1/qa/checks/run", &manager, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["checked"].as_u64().unwrap() >= 2, "{}", r.text());
    // Read once: nothing left to read.
    let again = app.post("/api/v1/qa/checks/run", &manager, json!({})).await;
    assert_eq!(again.json()["checked"], 0);

    let inspector = app.login("inspector").await;
    let month = kefu_server::app::qa::Month::of(app.state.clock().now()).code;
    let items = app
        .get(
            &format!("/api/v1/qa/items?month={month}&flagged=true"),
            &inspector,
        )
        .await
        .json();
    let flagged: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source_id"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&bad.as_str()), "{items}");
    assert!(
        !flagged.contains(&good.as_str()),
        "the good chat is clean: {items}"
    );

    // The inspector takes the flagged chat and sees what was found.
    let d = inspect_findings(
        &app,
        &inspector,
        &format!("chat:{bad}"),
        &[
            "greeting_missing",
            "self_id_missing",
            "closing_missing",
            "forbidden_phrase",
            "unresolved",
        ],
    )
    .await;
    let transcript = d["conversation"].to_string();
    assert!(transcript.contains("不知道，你自己看"), "{transcript}");
    assert!(!transcript.contains("13812345678"), "masked: {transcript}");
    app.cleanup().await;
}

/// A call with a transcript attached is read by the automatic checks like a chat: the
/// agent who never greeted, gave their number or closed is flagged; a bad transcript is
/// refused by line.
pub async fn automatic_checks_read_call_transcripts(backend: TestBackend) {
    use kefu_domain::call::{CallEvent, CallEventKind};
    let app = TestApp::new(backend).await;
    let now = app.state.clock().now();
    let event = |kind, seconds, agent: Option<&str>| CallEvent {
        kind,
        at: now + chrono::Duration::seconds(seconds),
        caller: None,
        ivr_key: None,
        queue: Some("consult".into()),
        agent: agent.map(str::to_string),
        duration_s: None,
        hangup_side: None,
    };
    let mut call_id = String::new();
    for e in [
        event(CallEventKind::Offered, -300, None),
        event(CallEventKind::Answered, -290, Some("KF102")),
        event(CallEventKind::Ended, -100, None),
    ] {
        call_id = app
            .db
            .db
            .apply_call_event("qa-call-1", &e, "{}", now)
            .await
            .expect("event stored")
            .id;
    }
    let agent = app.login("agent2").await;
    let path = format!("/api/v1/calls/{call_id}/transcript");
    let put = |body: serde_json::Value| app.api(Method::PUT, &path, Some(&agent), Some(body));
    let r = put(json!({"lines": [{"speaker": "robot", "at_ms": 0, "text": "喂"}]})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transcript".into()
        )
    );
    let r = put(json!({"lines": [
        {"speaker": "customer", "at_ms": 5000, "text": "喂"},
        {"speaker": "agent", "at_ms": 1000, "text": "说"}
    ]}))
    .await;
    assert_eq!(r.error_code(), "invalid_transcript", "time goes forward");
    let r = put(json!({"lines": [
        {"speaker": "customer", "at_ms": 0, "text": "喂，我的宽带又断了"},
        {"speaker": "agent", "at_ms": 4000, "text": "说吧，什么事"},
        {"speaker": "customer", "at_ms": 9000, "text": "宽带断了"},
        {"speaker": "agent", "at_ms": 15000, "text": "不归我管，你打别的电话"}
    ]}))
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

    let manager = app.login("manager").await;
    let r = app.post("/api/v1/qa/checks/run", &manager, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let inspector = app.login("inspector").await;
    let d = inspect_findings(
        &app,
        &inspector,
        &format!("call:{call_id}"),
        &[
            "greeting_missing",
            "self_id_missing",
            "closing_missing",
            "forbidden_phrase",
        ],
    )
    .await;
    assert_eq!(
        d["conversation"].as_array().map(Vec::len),
        Some(4),
        "{}",
        d["conversation"]
    );
    assert_eq!(d["conversation"][1]["from"], "agent");
    app.cleanup().await;
}
