//! Customers: create, view, change, masking and reveal, search and filters, bad input.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::json;

async fn create(app: &TestApp, token: &str, body: serde_json::Value) -> String {
    let reply = app.post("/api/v1/customers", token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_string()
}

pub async fn create_view_update(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let id = create(
        &app,
        &agent,
        json!({"name": "  赵 六 ", "company": "杭州 星辰 有限公司", "tier": "VIP", "status": "registered", "gender": "male",
               "contacts": [{"kind": "mobile", "value": "+86 139-1111-2222", "label": "本人"},
                            {"kind": "email", "value": "Zhao6@Example.com"}],
               "tags": ["重点", "重点", "续约"], "notes": "<b>note</b>"}),
    )
    .await;
    let c = app
        .get(&format!("/api/v1/customers/{id}"), &agent)
        .await
        .json();
    assert_eq!(c["name"], "赵 六");
    assert_eq!(c["tier"], "VIP");
    assert_eq!(c["contacts"][0]["value"], "139****2222");
    assert_eq!(c["contacts"][0]["masked"], true);
    assert_eq!(c["contacts"][1]["value"], "zh***@example.com");
    assert_eq!(c["tags"], json!(["续约", "重点"]));
    assert_eq!(c["notes"], "<b>note</b>", "stored verbatim");
    assert!(c["created_at"].as_str().unwrap().ends_with("+08:00"));
    // Change only the status: everything else stays, including the phone that the agent
    // only ever saw masked.
    let contact_id = c["contacts"][0]["id"].as_str().unwrap();
    let patch = json!({"status": "verified", "contacts": [{"id": contact_id, "kind": "mobile", "value": "139****2222"}]});
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/customers/{id}"),
            Some(&agent),
            Some(patch),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let manager = app.login("manager").await;
    let after = app
        .get(&format!("/api/v1/customers/{id}"), &manager)
        .await
        .json();
    assert_eq!(after["status"], "verified");
    assert_eq!(after["company"], "杭州 星辰 有限公司");
    let cid = after["contacts"][0]["id"].as_str().unwrap();
    let shown = app
        .post(
            &format!("/api/v1/customers/{id}/reveal"),
            &manager,
            json!({"field": "contact", "contact_id": cid}),
        )
        .await;
    assert_eq!(
        shown.json()["value"],
        "13911112222",
        "the kept phone is the original"
    );
    let timeline = app
        .get(&format!("/api/v1/customers/{id}/timeline"), &agent)
        .await
        .json();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["updated", "created"]);
    assert!(timeline[0]["summary"].as_str().unwrap().contains("status"));
    let missing = app.get("/api/v1/customers/nope", &agent).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
    app.cleanup().await;
}

pub async fn phones_are_masked_and_reveal_is_audited(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    let id = create(&app, &manager, json!({"name": "钱七", "id_number": "11010519491231002X", "address": "北京市朝阳区建国路88号",
        "contacts": [{"kind": "mobile", "value": "13800138000"}]})).await;
    let c = app
        .get(&format!("/api/v1/customers/{id}"), &manager)
        .await
        .json();
    assert_eq!(
        c["contacts"][0]["value"], "138****8000",
        "masked by default, even for the manager"
    );
    assert_eq!(c["id_number"], "110***********002X");
    assert_eq!(c["address"], "北京市朝阳区****");
    let list = app
        .get("/api/v1/customers?q=13800138000", &manager)
        .await
        .json();
    assert_eq!(list["items"][0]["phone"], "138****8000");
    assert!(
        !list.to_string().contains("13800138000"),
        "no full number in the list"
    );
    for (field, expected) in [
        ("id_number", "11010519491231002X"),
        ("address", "北京市朝阳区建国路88号"),
    ] {
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/reveal"),
                &manager,
                json!({"field": field}),
            )
            .await;
        assert_eq!(r.json()["value"], expected);
    }
    let r = app
        .post(
            &format!("/api/v1/customers/{id}/reveal"),
            &manager,
            json!({"field": "salary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let audit = app
        .get(&format!("/api/v1/audit?subject_id={id}"), &manager)
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "customer.pii_reveal")
            .count(),
        2
    );
    assert!(actions.contains(&"customer.view"), "views are audited");
    assert!(actions.contains(&"customer.create"));
    let reveal = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "customer.pii_reveal")
        .unwrap();
    assert_eq!(reveal["actor_name"], "王建国");
    assert!(
        reveal["detail"].as_str().unwrap() == "address"
            || reveal["detail"].as_str().unwrap() == "id_number"
    );
    app.cleanup().await;
}

pub async fn agents_cannot_reveal(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let id = app.any_customer(&agent).await;
    let r = app
        .post(
            &format!("/api/v1/customers/{id}/reveal"),
            &agent,
            json!({"field": "contact", "contact_id": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("customer.pii.read"));
    app.cleanup().await;
}

pub async fn duplicate_and_invalid_input(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    create(
        &app,
        &agent,
        json!({"name": "孙八", "contacts": [{"kind": "mobile", "value": "13712345678"}]}),
    )
    .await;
    let dup = app.post("/api/v1/customers", &agent, json!({"name": "孙八二", "contacts": [{"kind": "mobile", "value": "+86 137 1234 5678"}]})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.error_code(), "duplicate_phone");
    assert!(
        dup.text().contains("孙八"),
        "names the existing customer: {}",
        dup.text()
    );
    for (body, code) in [
        (
            json!({"name": "x", "contacts": [{"kind": "mobile", "value": "12345"}]}),
            "invalid_customer",
        ),
        (
            json!({"name": "x", "contacts": [{"kind": "fax", "value": "1"}]}),
            "invalid_contact_kind",
        ),
        (json!({"name": ""}), "invalid_customer"),
        (json!({"company": "no name"}), "invalid_customer"),
        (json!({"name": "x", "tier": "Z"}), "unknown_tier"),
        (json!({"name": "x", "status": "happy"}), "invalid_status"),
        (
            json!({"name": "x", "id_number": "110105194912310021"}),
            "invalid_customer",
        ),
        (
            json!({"name": "x", "favourite_colour": "red"}),
            "invalid_body",
        ),
        (json!({"name": 5}), "invalid_body"),
    ] {
        let r = app.post("/api/v1/customers", &agent, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{body}");
    }
    let malformed = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/customers")
                .header("authorization", format!("Bearer {agent}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{\"name\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.error_code(), "malformed_json");
    // Markup and formulas are names like any other: stored verbatim.
    let id = create(&app, &agent, json!({"name": "<script>alert(1)</script>"})).await;
    let c = app
        .get(&format!("/api/v1/customers/{id}"), &agent)
        .await
        .json();
    assert_eq!(c["name"], "<script>alert(1)</script>");
    app.cleanup().await;
}

pub async fn list_filters_and_search(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let me = app.get("/api/v1/me", &agent).await.json();
    let my_id = me["id"].as_str().unwrap();
    let id = create(&app, &agent, json!({"name": "欧阳娜娜", "company": "深圳市鹏程物流有限公司", "tier": "A", "status": "active",
        "owner_id": my_id, "tags": ["快递大客户"], "contacts": [{"kind": "mobile", "value": "15899990001"}, {"kind": "landline", "value": "0755-86001234"}]})).await;
    for q in [
        "欧阳",
        "鹏程物流",
        "15899990001",
        "0001",
        "0755-86001234",
        "1234",
    ] {
        let list = app
            .get(&format!("/api/v1/customers?q={}", urlencode(q)), &agent)
            .await
            .json();
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&id.as_str()),
            "search {q:?} finds the customer"
        );
    }
    let by_tag = app
        .get(
            &format!("/api/v1/customers?tag={}", urlencode("快递大客户")),
            &agent,
        )
        .await
        .json();
    assert_eq!(by_tag["items"].as_array().unwrap().len(), 1);
    let by_owner = app
        .get(
            &format!("/api/v1/customers?owner_id={my_id}&limit=200"),
            &agent,
        )
        .await
        .json();
    assert!(by_owner["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["owner"]["id"] == my_id));
    let vip = app
        .get("/api/v1/customers?tier=VIP&status=active&limit=200", &agent)
        .await
        .json();
    assert!(vip["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["tier"] == "VIP" && c["status"] == "active"));
    // Pages do not overlap and cover the whole list.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/customers?limit=97{cursor}"), &agent)
            .await
            .json();
        for c in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_string()),
                "no overlap"
            );
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 501);
    let bad = app.get("/api/v1/customers?sort=name", &agent).await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "unknown query parameters are refused"
    );
    app.cleanup().await;
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn search_boxes_take_sql_metacharacters(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    for q in [
        "'; DROP TABLE customers; --",
        "%",
        "_",
        "\\",
        "\" OR 1=1 --",
        "' OR '1'='1",
        "%%%___",
    ] {
        for url in [
            format!("/api/v1/customers?q={}", urlencode(q)),
            format!("/api/v1/customers?tag={}", urlencode(q)),
            format!("/api/v1/audit?subject_id={}", urlencode(q)),
        ] {
            let r = app.get(&url, &manager).await;
            assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text());
            assert_eq!(
                r.json()["items"].as_array().unwrap().len(),
                0,
                "{url} matches nothing"
            );
        }
    }
    let still = app.get("/api/v1/customers?limit=1", &manager).await.json();
    assert_eq!(
        still["items"].as_array().unwrap().len(),
        1,
        "the table is still there"
    );
    app.cleanup().await;
}
