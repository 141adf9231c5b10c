//! Complaints through the API: the closed loop end to end on the simulated clock, the
//! close rule and its refusals, bad forms naming their field, masking and reveal, the
//! archive and the monthly statistics, the root-cause tree.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

fn form(severity: &str) -> Value {
    json!({
        "complainant": "王芳",
        "company": "上海某贸易有限公司",
        "address": "上海市浦东新区世纪大道 100 号 2 栋 301",
        "phone": "138 0013 8000",
        "cause": "订单 DD20261102001 三天未送达，外包装破损",
        "desired_outcome": "补发并赔偿运费",
        "severity": severity,
        "restatement": "您反映订单三天未送达、包装破损，希望补发并赔偿运费，对吗？",
        "restatement_confirmed": true
    })
}

pub(crate) async fn register(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/complaints", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn complaint(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/complaints/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn step(
    app: &TestApp,
    token: &str,
    id: &str,
    what: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = app
        .post(&format!("/api/v1/complaints/{id}/{what}"), token, body)
        .await;
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r.status, body)
}

/// Moves the simulated clock; returns fresh tokens (sessions do not outlive long moves).
async fn advance(app: &TestApp, hours: i64) -> (String, String) {
    let token = app.login("agent1").await;
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &token,
            json!({"seconds": hours * 3600}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (app.login("agent1").await, app.login("manager").await)
}

fn handling(cause: &str) -> Value {
    json!({
        "analysis": "快递站点分拣错误，包裹滞留",
        "corrective_action": "补发商品、赔偿运费，约谈快递公司",
        "cause_id": cause
    })
}

/// The scenario: register → escalate (serious) → handle → callback dissatisfied
/// → second round → callback satisfied → closed, on the simulated clock.
pub async fn closed_loop_with_the_simulated_clock(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2026, 11, 2, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start).await;
    let agent = app.login("agent1").await;
    let manager_id = app.user_id("manager").await;
    let agent_id = app.user_id("agent1").await;

    let r = register(&app, &agent, form("major")).await;
    let id = r["id"].as_str().unwrap().to_string();
    let number = r["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("GD20261102-"), "{number}");
    assert_eq!(
        r["escalated_to"],
        manager_id.as_str(),
        "serious: to the manager"
    );
    let t = app
        .get(&format!("/api/v1/tickets/{id}"), &agent)
        .await
        .json();
    assert_eq!(t["type"], "complaint");
    assert_eq!(t["priority"], "high");
    assert_eq!(
        t["first_owner"]["id"],
        agent_id.as_str(),
        "first-contact ownership"
    );
    assert_eq!(t["escalated_to"]["id"], manager_id.as_str());
    let c = complaint(&app, &agent, &id).await;
    assert_eq!(c["stage"], "handling");
    assert_eq!(c["round"], 1);
    assert_eq!(c["recorder"]["id"], agent_id.as_str());
    assert_eq!(c["phone"], "138****8000", "masked");
    assert!(c["address"].as_str().unwrap().ends_with("****"), "{c}");
    assert!(c["restatement_confirmed_at"].is_string());
    assert_eq!(c["created_at"], "2026-11-02T09:30:00+08:00");

    let (agent, manager) = advance(&app, 3).await;
    let n = app.get("/api/v1/notifications", &manager).await.json();
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "escalated" && i["ticket_number"] == number.as_str()),
        "the manager is told: {n}"
    );
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "handling",
        handling("cause-logistics-late"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let c = complaint(&app, &agent, &id).await;
    assert_eq!(c["stage"], "awaiting_callback");
    assert_eq!(c["rounds"][0]["handled_at"], "2026-11-02T12:30:00+08:00");
    assert_eq!(c["cause_category"]["name"], "物流配送 / 配送延误");

    let (agent, _) = advance(&app, 24).await;
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "callbacks",
        json!({"outcome": "dissatisfied", "notes": "补发的商品仍未收到"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"next": "new_round", "round": 2}));
    let c = complaint(&app, &agent, &id).await;
    assert_eq!(
        (c["stage"].as_str(), c["round"].as_i64()),
        (Some("handling"), Some(2))
    );
    assert_eq!(c["rounds"][1]["opened_because"], "dissatisfied");
    assert_eq!(c["rounds"][0]["callback"]["outcome"], "dissatisfied");
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}"), &agent)
            .await
            .json()["status"],
        "in_progress"
    );

    let (agent, _) = advance(&app, 2).await;
    let second = json!({
        "analysis": "补发单号录入错误",
        "corrective_action": "加急重发并电话确认签收"
    });
    let (s, body) = step(&app, &agent, &id, "handling", second).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (agent, _) = advance(&app, 20).await;
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "callbacks",
        json!({"outcome": "satisfied", "notes": "已收到，满意"}),
    )
    .await;
    assert_eq!((s, body["next"].as_str()), (StatusCode::OK, Some("closed")));
    let c = complaint(&app, &agent, &id).await;
    assert_eq!(c["stage"], "closed");
    assert_eq!(c["rounds"].as_array().unwrap().len(), 2);
    assert_eq!(c["rounds"][1]["callback"]["outcome"], "satisfied");
    assert_eq!(
        c["rounds"][1]["callback"]["at"],
        "2026-11-04T10:30:00+08:00"
    );
    assert!(c["close_reason"].is_null());
    let t = app
        .get(&format!("/api/v1/tickets/{id}"), &agent)
        .await
        .json();
    assert_eq!(t["status"], "closed");
    let timeline = app
        .get(&format!("/api/v1/tickets/{id}/timeline"), &agent)
        .await
        .json();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("complaint_") || *k == "escalated")
        .collect();
    assert_eq!(
        kinds,
        [
            "complaint_registered",
            "escalated",
            "complaint_handled",
            "complaint_callback",
            "complaint_round",
            "complaint_handled",
            "complaint_callback",
            "complaint_closed"
        ]
    );
    // A closed complaint takes no more steps.
    let (s, body) = step(&app, &agent, &id, "handling", handling("cause-other")).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("complaint_closed"))
    );
    app.cleanup().await;
}

/// A close without a satisfied callback is refused, through the ticket too; the manager
/// closes with a written reason and nobody else can.
pub async fn closing_needs_a_satisfied_callback_or_a_managers_reason(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let manager = app.login("manager").await;
    let r = register(&app, &agent, form("general")).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert!(r["escalated_to"].is_null(), "general: not escalated");
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "callbacks",
        json!({"outcome": "satisfied", "notes": "x"}),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_handled"))
    );
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "handling",
        json!({"analysis": "a", "corrective_action": "b"}),
    )
    .await;
    assert_eq!(
        (
            s,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cause_required"),
            Some("cause_id")
        )
    );
    let (s, _) = step(
        &app,
        &agent,
        &id,
        "handling",
        handling("cause-service-slow"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // The ordinary ticket close path.
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/status"),
            &agent,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "complaint_not_satisfied")
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/status"),
            &manager,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(
        r.error_code(),
        "complaint_not_satisfied",
        "the manager too, without a reason"
    );
    // The complaint close: the agent may not, reason or not.
    let (s, body) = step(
        &app,
        &agent,
        &id,
        "close",
        json!({"reason": "客户不再联系"}),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("complaint_not_satisfied")
        )
    );
    let (s, body) = step(&app, &manager, &id, "close", json!({"reason": "   "})).await;
    assert_eq!(
        (
            s,
            body["error"]["code"].as_str(),
            body["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("close_reason_required"),
            Some("reason")
        )
    );
    let (s, body) = step(&app, &manager, &id, "close", json!({})).await;
    assert_eq!(body["error"]["code"], "close_reason_required", "{s}");
    assert_eq!(
        complaint(&app, &agent, &id).await["stage"],
        "awaiting_callback"
    );
    let (s, body) = step(
        &app,
        &manager,
        &id,
        "close",
        json!({"reason": "客户已通过法律途径解决，经理决定结案"}),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let c = complaint(&app, &agent, &id).await;
    assert_eq!(c["stage"], "closed");
    assert_eq!(c["close_reason"], "客户已通过法律途径解决，经理决定结案");
    let me = app.get("/api/v1/me", &manager).await.json();
    assert_eq!(c["closed_by"], me["display_name"]);
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}"), &agent)
            .await
            .json()["status"],
        "closed"
    );
    let (s, body) = step(&app, &manager, &id, "close", json!({"reason": "again"})).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("complaint_closed"))
    );
    app.cleanup().await;
}

/// A bad form answers 422 naming the field; nothing is created. Address reveal is for
/// `customer.pii.read` and is audited.
pub async fn bad_forms_name_the_field_and_pii_stays_masked(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    for (field, value, code) in [
        ("phone", json!("12"), "invalid_phone"),
        ("phone", json!(""), "invalid_phone"),
        ("cause", json!("  "), "invalid_cause"),
        ("desired_outcome", json!(""), "invalid_desired_outcome"),
        ("complainant", json!(""), "invalid_complainant"),
        ("severity", json!("huge"), "invalid_severity"),
        ("address", json!("长".repeat(301)), "invalid_address"),
    ] {
        let mut body = form("general");
        body[field] = value;
        let r = app.post("/api/v1/complaints", &agent, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{field}");
        assert_eq!(r.json()["error"]["field"], field);
    }
    let mut body = form("general");
    body["restatement"] = Value::Null;
    let r = app.post("/api/v1/complaints", &agent, body).await;
    assert_eq!(r.error_code(), "invalid_restatement");
    let list = app.get("/api/v1/complaints", &agent).await.json();
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was created"
    );

    let id = register(&app, &agent, form("urgent")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/complaints/{id}/reveal-address"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let manager = app.login("manager").await;
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/complaints/{id}/reveal-address"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["address"],
        "上海市浦东新区世纪大道 100 号 2 栋 301"
    );
    let audit = app
        .get("/api/v1/audit?action=complaint.pii_reveal", &manager)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    // Another department cannot see it at all.
    let tech = app.login("tech1").await;
    let r = app.get(&format!("/api/v1/complaints/{id}"), &tech).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

/// The archive filters and pages; the monthly statistics count by cause, department and
/// severity; the root-cause tree is edited by admins.
pub async fn archive_stats_and_cause_tree(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2026, 10, 31, 20, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start).await;
    let agent = app.login("agent1").await;
    let october = register(&app, &agent, form("urgent")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (agent, manager) = advance(&app, 5).await; // 2026-11-01 01:00 local
    let mut ids = Vec::new();
    for severity in ["major", "general", "general"] {
        ids.push(
            register(&app, &agent, form(severity)).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (s, _) = step(
        &app,
        &agent,
        ids[0].as_str(),
        "handling",
        handling("cause-logistics-late"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = step(
        &app,
        &agent,
        ids[1].as_str(),
        "handling",
        handling("cause-service-attitude"),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let items = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["ticket_id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = app.get("/api/v1/complaints", &agent).await.json();
    assert_eq!(
        items(all),
        [
            ids[2].as_str(),
            ids[1].as_str(),
            ids[0].as_str(),
            october.as_str()
        ]
    );
    let general = app
        .get("/api/v1/complaints?severity=general", &agent)
        .await
        .json();
    assert_eq!(items(general), [ids[2].as_str(), ids[1].as_str()]);
    let logistics = app
        .get("/api/v1/complaints?cause_id=cause-logistics", &agent)
        .await
        .json();
    assert_eq!(
        items(logistics),
        [ids[0].as_str()],
        "a category with its subcategories"
    );
    let waiting = app
        .get("/api/v1/complaints?stage=awaiting_callback", &agent)
        .await
        .json();
    assert_eq!(items(waiting).len(), 2);
    let nov = app
        .get("/api/v1/complaints?from=2026-11-01&to=2026-11-30", &agent)
        .await
        .json();
    assert_eq!(items(nov).len(), 3);
    let page = app.get("/api/v1/complaints?limit=3", &agent).await.json();
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .get(
            &format!("/api/v1/complaints?limit=3&cursor={cursor}"),
            &agent,
        )
        .await
        .json();
    assert_eq!(items(rest), [october.as_str()]);
    for (query, code) in [
        ("severity=huge", "invalid_severity"),
        ("stage=done", "invalid_stage"),
        ("cause_id=nope", "unknown_cause"),
        ("from=2026-13-01", "invalid_date"),
        ("from=2026-11-05&to=2026-11-01", "invalid_range"),
    ] {
        let r = app
            .get(&format!("/api/v1/complaints?{query}"), &agent)
            .await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code.to_string()),
            "{query}"
        );
    }

    let r = app
        .get("/api/v1/complaints/stats?month=2026-11", &agent)
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "statistics are for supervisors"
    );
    let s = app
        .get("/api/v1/complaints/stats?month=2026-11", &manager)
        .await
        .json();
    assert_eq!(s["total"], 3, "{s}");
    let count = |list: &Value, key: Value| -> i64 {
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["key"] == key)
            .map_or(0, |l| l["count"].as_i64().unwrap())
    };
    assert_eq!(count(&s["by_severity"], json!("general")), 2);
    assert_eq!(count(&s["by_severity"], json!("major")), 1);
    assert_eq!(
        count(&s["by_severity"], json!("urgent")),
        0,
        "October's is not counted"
    );
    assert_eq!(count(&s["by_cause"], json!("cause-logistics-late")), 1);
    assert_eq!(count(&s["by_cause"], json!("cause-service-attitude")), 1);
    assert_eq!(count(&s["by_cause"], Value::Null), 1);
    let intake = app.department(&manager, "业务受理组").await;
    assert_eq!(count(&s["by_department"], json!(intake)), 2);
    assert_eq!(count(&s["by_department"], Value::Null), 1);
    let s = app
        .get("/api/v1/complaints/stats?month=2026-10", &manager)
        .await
        .json();
    assert_eq!(
        (
            s["total"].as_i64(),
            count(&s["by_severity"], json!("urgent"))
        ),
        (Some(1), 1)
    );
    let r = app
        .get("/api/v1/complaints/stats?month=2026-13", &manager)
        .await;
    assert_eq!(r.error_code(), "invalid_month");

    // The cause tree: agents read it, admins edit it.
    let tree = app.get("/api/v1/complaint-causes", &agent).await.json();
    assert!(tree
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["path"] == "物流配送 / 配送延误"));
    let r = app
        .post("/api/v1/complaint-causes", &agent, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/complaint-causes",
            &manager,
            json!({"name": "死机", "parent_id": "cause-quality-fault"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let freeze = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/complaint-causes",
            &manager,
            json!({"name": "蓝屏", "parent_id": freeze}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "cause_too_deep")
    );
    let r = app
        .api(
            Method::PUT,
            "/api/v1/complaint-causes/cause-quality",
            Some(&manager),
            Some(json!({"name": "产品质量", "parent_id": freeze})),
        )
        .await;
    assert_eq!(r.error_code(), "cause_cycle");
    let r = app
        .post(
            "/api/v1/complaint-causes",
            &manager,
            json!({"name": "配送延误", "parent_id": "cause-logistics"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "duplicate_cause")
    );
    let r = app
        .api(
            Method::DELETE,
            "/api/v1/complaint-causes/cause-logistics-late",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "cause_in_use")
    );
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/complaint-causes/{freeze}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.cleanup().await;
}
