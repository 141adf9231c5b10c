//! Search over HTTP: the index follows writes by itself, finds Chinese words, numbers and
//! phone suffixes, shows only what the searcher may open with phones masked, rebuilds
//! from the database, suggests similar work, and rejects bad queries clearly.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The index follows the database within a second; tests wait up to ten before failing.
const PATIENCE: Duration = Duration::from_secs(10);

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/search?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

fn q(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)]).unwrap()
}

fn ids(results: &Value) -> Vec<String> {
    results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Searches until `id` shows up (the follower is asynchronous), returning the results.
async fn until_found(app: &TestApp, token: &str, query: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let results = search(app, token, query).await;
        if ids(&results).iter().any(|x| x == id) {
            return results;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{query}: {id} not found within {PATIENCE:?}: {results}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create(app: &TestApp, token: &str, body: Value) -> (String, String) {
    let r = app.post("/api/v1/tickets", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    (
        j["id"].as_str().unwrap().to_string(),
        j["number"].as_str().unwrap().to_string(),
    )
}

pub async fn index_follows_writes_and_finds_numbers_words_and_suffixes(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let follower = kefu_server::search::spawn(app.state.clone());
    let agent = app.login("agent1").await;
    let (id, number) = create(
        &app,
        &agent,
        json!({
            "type": "complaint",
            "subject": "星河X9扫地机器人漏发配件",
            "description": "客户说订单DD202611289731少了边刷，回电13812345678。",
            "contact_phone": "13900001234",
        }),
    )
    .await;
    let found = until_found(&app, &agent, &q("DD202611289731"), &id).await;
    let hit = &found["items"][0];
    assert_eq!(hit["id"], id.as_str());
    assert_eq!(hit["kind"], "ticket");
    assert_eq!(hit["url"], format!("/tickets/{id}"));
    assert_eq!(hit["type"], "complaint");
    let snippet = hit["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>DD202611289731</mark>"), "{snippet}");
    assert!(
        snippet.contains("138****5678") && !snippet.contains("13812345678"),
        "phones in text stay masked: {snippet}"
    );
    for query in [
        number.as_str(),
        "9731",
        "1234",
        "13900001234",
        "扫地机器人",
        "边刷",
        "星河x9",
        "配件",
    ] {
        let r = search(&app, &agent, &q(query)).await;
        assert!(ids(&r).contains(&id), "{query}: {r}");
    }
    // A reply is searchable too, once the follower has seen it.
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/replies"),
            &agent,
            json!({"channel": "phone", "body": "已安排顺丰补寄边刷"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    until_found(&app, &agent, &q("顺丰补寄"), &id).await;
    // Customers: by name and by the last four digits of their mobile.
    let (cid, name, mobile) = some_customer(&app).await;
    until_found(&app, &agent, &format!("{}&kind=customer", q(&name)), &cid).await;
    let tail = &mobile[mobile.len() - 4..];
    let r = search(&app, &agent, &format!("{}&kind=customer&limit=50", q(tail))).await;
    assert!(ids(&r).contains(&cid), "{tail}: {r}");
    assert!(
        !r.to_string().contains(&mobile),
        "a customer's phone is never shown in results"
    );
    follower.abort();
    app.cleanup().await;
}

async fn some_customer(app: &TestApp) -> (String, String, String) {
    let page = app
        .state
        .db()
        .list_customers(&Default::default(), None, 1)
        .await
        .unwrap();
    let c = &page.items[0];
    let full = app.state.db().get_customer(&c.id).await.unwrap();
    let mobile = full
        .contacts
        .iter()
        .find(|x| x.kind == "mobile")
        .map(|x| x.value.clone())
        .expect("demo customers have mobiles");
    (c.id.clone(), c.name.clone(), mobile)
}

pub async fn nobody_finds_what_they_may_not_open(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let follower = kefu_server::search::spawn(app.state.clone());
    let agent = app.login("agent1").await;
    let tech = app.login("tech1").await;
    let (id, number) = create(
        &app,
        &agent,
        json!({"type": "repair", "subject": "路由器频繁掉线", "description": "型号WR-8800，换过电源仍掉线"}),
    )
    .await;
    until_found(&app, &agent, &q("WR-8800"), &id).await;
    // 技术部 may not open the ticket, so it does not find it, by any word.
    for query in ["WR-8800", number.as_str(), "路由器", "掉线"] {
        let r = search(&app, &tech, &q(query)).await;
        assert!(!ids(&r).contains(&id), "{query}: {r}");
    }
    // Once transferred to 技术部, it does.
    let tech_dept = app.department(&agent, "技术部").await;
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/transfers"),
            &agent,
            json!({"department_id": tech_dept, "request": "请排查固件"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    until_found(&app, &tech, &q("WR-8800"), &id).await;
    // Filters: department and type.
    let r = search(
        &app,
        &tech,
        &format!(
            "{}&department={tech_dept}&type=repair&kind=ticket",
            q("掉线")
        ),
    )
    .await;
    assert_eq!(ids(&r), std::slice::from_ref(&id));
    let r = search(&app, &tech, &format!("{}&type=complaint", q("掉线"))).await;
    assert!(ids(&r).is_empty(), "{r}");
    follower.abort();
    app.cleanup().await;
}

pub async fn bad_queries_get_clear_errors(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    for (query, code) in [
        ("", "query_required"),
        ("q=%20%20", "query_required"),
        ("q=a&kind=orders", "unknown_kind"),
        ("q=a&from=2026-13-01", "invalid_date"),
        ("q=a&from=2026-11-28&to=2026-11-01", "invalid_range"),
        ("q=a&limit=0", "invalid_limit"),
        ("q=a&limit=51", "invalid_limit"),
    ] {
        let r = app.get(&format!("/api/v1/search?{query}"), &agent).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["code"], code, "{query}: {}", r.text());
    }
    let long = "投".repeat(201);
    let r = app
        .get(&format!("/api/v1/search?{}", q(&long)), &agent)
        .await;
    assert_eq!(r.json()["error"]["code"], "query_too_long");
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/search?{}", q("快递")),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

pub async fn rebuild_restores_the_index_from_the_database(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let admin = app.login("manager").await;
    let (id, _) = create(
        &app,
        &agent,
        json!({"type": "consultation", "subject": "发票抬头怎么修改", "description": "增值税专用发票"}),
    )
    .await;
    // No follower runs: only a rebuild brings the ticket into the index.
    let r = app
        .api(Method::POST, "/api/v1/search/rebuild", Some(&agent), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(Method::POST, "/api/v1/search/rebuild", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stats = r.json();
    assert_eq!(stats["tickets"], 1);
    assert_eq!(stats["customers"], 500);
    let r = search(&app, &agent, &format!("{}&kind=ticket", q("增值税"))).await;
    assert_eq!(ids(&r), std::slice::from_ref(&id));
    // Catching up from the change log after the rebuild applies nothing twice wrongly.
    kefu_server::search::catch_up(&app.state).await.unwrap();
    let r = search(&app, &agent, &format!("{}&kind=ticket", q("增值税"))).await;
    assert_eq!(ids(&r), [id]);
    app.cleanup().await;
}

pub async fn suggestions_show_similar_resolved_tickets(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let follower = kefu_server::search::spawn(app.state.clone());
    let agent = app.login("agent1").await;
    let (old, _) = create(
        &app,
        &agent,
        json!({"type": "complaint", "subject": "洗衣机脱水时噪音很大", "description": "滚筒洗衣机脱水噪音"}),
    )
    .await;
    for body in [json!({"action": "start"}), json!({"action": "resolve"})] {
        let r = app
            .post(&format!("/api/v1/tickets/{old}/status"), &agent, body)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    let (new, _) = create(
        &app,
        &agent,
        json!({"type": "complaint", "subject": "洗衣机噪音大", "description": "脱水时噪音"}),
    )
    .await;
    until_found(
        &app,
        &agent,
        &format!("{}&status=resolved", q("洗衣机")),
        &old,
    )
    .await;
    until_found(&app, &agent, &q("洗衣机"), &new).await;
    let r = app
        .get(
            &format!("/api/v1/search/suggestions?ticket_id={new}"),
            &agent,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let suggested = r.json();
    let tickets: Vec<&str> = suggested["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        tickets,
        [old.as_str()],
        "similar resolved tickets, not itself"
    );
    let r = app.get("/api/v1/search/suggestions", &agent).await;
    assert_eq!(r.json()["error"]["code"], "ticket_or_call_required");
    let tech = app.login("tech1").await;
    let r = app
        .get(
            &format!("/api/v1/search/suggestions?ticket_id={new}"),
            &tech,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not theirs to see");
    follower.abort();
    app.cleanup().await;
}

pub async fn articles_are_found_by_who_may_read_them(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let follower = kefu_server::search::spawn(app.state.clone());
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let r = app
        .post(
            "/api/v1/knowledge/categories",
            &lead,
            json!({"name": "售后", "parent_id": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let category = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/knowledge/articles",
            &lead,
            json!({"title": "扫地机器人边刷更换指引", "body": "先关机，再拧下边刷螺丝。", "kind": "manual", "category_id": category, "tags": ["配件"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    // A draft: its writers find it, readers do not.
    until_found(&app, &lead, &q("边刷"), &id).await;
    assert!(!ids(&search(&app, &agent, &q("边刷")).await).contains(&id));
    let r = app
        .post(
            &format!("/api/v1/knowledge/articles/{id}/publish"),
            &lead,
            json!({"version": 1}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let found = until_found(
        &app,
        &agent,
        &format!("{}&kind=article&type=manual", q("螺丝")),
        &id,
    )
    .await;
    assert_eq!(found["items"][0]["url"], format!("/knowledge/{id}"));
    // Archived articles leave the index.
    let r = app
        .post(
            &format!("/api/v1/knowledge/articles/{id}/archive"),
            &lead,
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let started = Instant::now();
    while ids(&search(&app, &lead, &q("边刷")).await).contains(&id) {
        assert!(started.elapsed() < PATIENCE, "archived article still found");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();
    app.cleanup().await;
}
