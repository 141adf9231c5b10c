//! Work orders through the API: creation and validation, who may see and do what,
//! queues and their counts, the overdue protocol on the business calendar.

use crate::common::TestApp;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

async fn open_ticket(app: &TestApp, token: &str, extra: Value) -> (String, String) {
    let mut body = json!({
        "type": "complaint",
        "channel": "phone",
        "subject": "快递三天未送达",
        "description": "客户来电：订单 DD20261128001 三天未送达",
        "place": "上海市浦东新区",
        "people": "快递员",
        "contact_phone": "138 0013 8000",
        "tags": ["快递"]
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/v1/tickets", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    (
        j["id"].as_str().unwrap().into(),
        j["number"].as_str().unwrap().into(),
    )
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn kinds(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/tickets/{id}/timeline"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

pub async fn create_work_and_timeline(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let me = app.user_id("agent1").await;
    let customer = app.any_customer(&agent).await;
    let (id, number) = open_ticket(&app, &agent, json!({"customer_id": customer})).await;
    assert!(
        number.starts_with("GD") && number.len() == "GD20261128-0001".len(),
        "{number}"
    );
    let t = ticket(&app, &agent, &id).await;
    assert_eq!(t["first_owner"]["id"], me.as_str());
    assert_eq!(t["assignee"]["id"], me.as_str());
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["contact_phone"], "138****8000", "phones are masked");
    assert!(t["promise"]["text"].as_str().unwrap().contains("48"), "{t}");
    // By number too.
    assert_eq!(ticket(&app, &agent, &number).await["id"], id.as_str());

    for (path, body) in [
        ("status", json!({"action": "start"})),
        (
            "replies",
            json!({"channel": "phone", "body": "已联系快递公司"}),
        ),
        ("notes", json!({"body": "快递公司说明天送达"})),
        ("status", json!({"action": "wait_customer"})),
        ("status", json!({"action": "resume"})),
        (
            "promises",
            json!({"text": "明天下午回电", "within_hours": 8}),
        ),
        ("status", json!({"action": "resolve"})),
    ] {
        let r = app
            .post(&format!("/api/v1/tickets/{id}/{path}"), &agent, body)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{path}: {}", r.text());
    }
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/status"),
            &agent,
            json!({"action": "reopen"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/status"),
            &agent,
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        kinds(&app, &agent, &id).await,
        vec![
            "created", "promise", "status", "reply", "note", "status", "status", "promise",
            "status", "status"
        ]
    );
    let t = ticket(&app, &agent, &id).await;
    assert!(t["first_responded_at"].is_string());
    // The customer's timeline shows the ticket's events.
    let timeline = app
        .get(&format!("/api/v1/customers/{customer}/timeline"), &agent)
        .await
        .json();
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "ticket.reply" && e["summary"] == number.as_str()),
        "{timeline}"
    );

    // Bad input: clear errors, nothing written.
    for (body, code) in [
        (
            json!({"type": "complaint", "subject": "  "}),
            "invalid_ticket",
        ),
        (json!({"type": "gossip", "subject": "x"}), "invalid_ticket"),
        (
            json!({"type": "inquiry", "subject": "x", "priority": "now"}),
            "invalid_ticket",
        ),
        (
            json!({"type": "inquiry", "subject": "x", "contact_phone": "12345"}),
            "invalid_phone",
        ),
        (
            json!({"type": "inquiry", "subject": "x", "customer_id": "nobody"}),
            "unknown_customer",
        ),
        (
            json!({"type": "inquiry", "subject": "x", "occurred_at": "yesterday"}),
            "invalid_time",
        ),
    ] {
        let r = app.post("/api/v1/tickets", &agent, body.clone()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{body}"
        );
    }
    let r = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"type": "inquiry", "subject": "x", "oops": 1}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/replies"),
            &agent,
            json!({"channel": "pigeon", "body": "x"}),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_ticket");
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/promises"),
            &agent,
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_promise");
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/promises"),
            &agent,
            json!({"text": "x", "due_at": "2020-01-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(r.error_code(), "promise_in_past");
    let list = app.get("/api/v1/tickets", &agent).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.cleanup().await;
}

pub async fn departments_see_only_their_tickets(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent1 = app.login("agent1").await;
    let agent2 = app.login("agent2").await;
    let lead = app.login("lead").await;
    let tech = app.login("tech1").await;
    let callback = app.login("callback1").await;
    let inspector = app.login("inspector").await;
    let (id, _) = open_ticket(&app, &agent1, json!({})).await;
    let tech_dept = app.department(&agent1, "技术部").await;

    // Other departments cannot see it, not even that it exists.
    for token in [&tech, &callback] {
        assert_eq!(
            app.get(&format!("/api/v1/tickets/{id}"), token)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = app
            .post(
                &format!("/api/v1/tickets/{id}/notes"),
                token,
                json!({"body": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.get("/api/v1/tickets", &tech).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Read-only positions see but do not act.
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}"), &inspector)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &inspector,
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A colleague works on it but cannot give it away; the lead can.
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &agent2,
            json!({"body": "我来跟进"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let agent3_id = app.user_id("agent3").await;
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/assign"),
            &agent2,
            json!({"assignee_id": agent3_id}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::FORBIDDEN, "not_ticket_holder")
    );
    let r = app
        .post(&format!("/api/v1/tickets/{id}/claim"), &agent2, json!({}))
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "already_taken")
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/assign"),
            &lead,
            json!({"assignee_id": agent3_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let t = ticket(&app, &lead, &id).await;
    assert_eq!(t["assignee"]["id"], agent3_id.as_str());
    assert_eq!(
        t["first_owner"]["id"],
        app.user_id("agent1").await.as_str(),
        "the first owner stays"
    );

    // Transferred to 技术部: they see it, note it, answer their task — and nothing else.
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/transfers"),
            &agent1,
            json!({"department_id": tech_dept, "request": "请排查物流接口"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let t = ticket(&app, &tech, &id).await;
    assert_eq!(t["status"], "waiting_department");
    let task = t["tasks"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/replies"),
            &tech,
            json!({"channel": "phone", "body": "x"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::FORBIDDEN, "transferred_only")
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &tech,
            json!({"body": "正在排查"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let queue = app.get("/api/v1/queues/transferred", &tech).await.json();
    assert_eq!(
        (queue["count"].as_i64(), queue["items"][0]["id"].as_str()),
        (Some(1), Some(id.as_str()))
    );
    assert_eq!(
        app.get("/api/v1/tickets", &tech).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/tasks/{task}/complete"),
            &tech,
            json!({"result": "接口已修复"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let t = ticket(&app, &agent1, &id).await;
    assert_eq!(
        (t["status"].as_str(), t["tasks"][0]["state"].as_str()),
        (Some("in_progress"), Some("done"))
    );
    assert_eq!(
        app.get("/api/v1/queues/transferred", &tech).await.json()["count"],
        0
    );
    // The first owner was told.
    let n = app.get("/api/v1/notifications", &agent1).await.json();
    assert_eq!(n["items"][0]["kind"], "task_done");
    assert_eq!(n["unread"], 1);
    let r = app
        .post("/api/v1/notifications/read", &agent1, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/notifications", &agent1).await.json()["unread"],
        0
    );

    // Personal data: the contact phone needs the right to see it, and is audited.
    let r = app
        .post(&format!("/api/v1/tickets/{id}/reveal"), &agent1, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("/api/v1/tickets/{id}/reveal"), &lead, json!({}))
        .await;
    assert_eq!(r.json()["contact_phone"], "13800138000");
    let manager = app.login("manager").await;
    let audit = app
        .get(&format!("/api/v1/audit?subject_id={id}"), &manager)
        .await
        .json();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "ticket.pii_reveal"),
        "{audit}"
    );
    app.cleanup().await;
}

pub async fn queues_count_what_they_list(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent1 = app.login("agent1").await;
    let agent2 = app.login("agent2").await;
    for _ in 0..3 {
        open_ticket(&app, &agent1, json!({})).await;
    }
    let (web, _) = open_ticket(
        &app,
        &agent2,
        json!({"assign_to_me": false, "channel": "web_form"}),
    )
    .await;
    assert_eq!(ticket(&app, &agent1, &web).await["status"], "new");
    let counts = |v: Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["queue"].as_str().unwrap().to_string(),
                    c["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let c = counts(app.get("/api/v1/queues", &agent1).await.json());
    assert_eq!(
        c,
        vec![
            ("mine".to_string(), 3),
            ("group".into(), 4),
            ("unassigned".into(), 1),
            ("overdue".into(), 0),
            ("due_today".into(), 0),
            ("waiting_department".into(), 0),
            ("transferred".into(), 0)
        ]
    );
    for (queue, n) in &c {
        let page = app
            .get(&format!("/api/v1/queues/{queue}?limit=2"), &agent1)
            .await
            .json();
        assert_eq!(page["count"].as_i64(), Some(*n), "{queue}");
        let mut seen = page["items"].as_array().unwrap().len();
        let mut cursor = page["next_cursor"].as_str().map(str::to_string);
        while let Some(c) = cursor {
            let next = app
                .get(
                    &format!("/api/v1/queues/{queue}?limit=2&cursor={c}"),
                    &agent1,
                )
                .await
                .json();
            seen += next["items"].as_array().unwrap().len();
            cursor = next["next_cursor"].as_str().map(str::to_string);
        }
        assert_eq!(seen as i64, *n, "{queue} lists what it counts");
    }
    // Claiming the web ticket makes agent1 its first owner.
    let r = app
        .post(&format!("/api/v1/tickets/{web}/claim"), &agent1, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let t = ticket(&app, &agent1, &web).await;
    assert_eq!(t["first_owner"]["id"], app.user_id("agent1").await.as_str());
    assert_eq!(
        app.get("/api/v1/queues/unassigned", &agent1).await.json()["count"],
        0
    );
    assert_eq!(
        app.get("/api/v1/queues/mine", &agent1).await.json()["count"],
        4
    );
    assert_eq!(
        app.get("/api/v1/queues/nonsense", &agent1).await.status,
        StatusCode::NOT_FOUND
    );
    app.cleanup().await;
}

/// A 48-working-hour promise made on Friday 2026-02-13 10:00, the day before the Spring
/// Festival break (make-up working days Sat 14 Feb and Sat 28 Feb, holidays 15–23 Feb),
/// on the office calendar (09:00–12:00, 13:30–18:00): 6.5 h on the 13th, 7.5 h on the
/// 14th, 4 × 7.5 h on 24–27 Feb, and the last 4 h on the make-up Saturday → due
/// 2026-02-28 14:30 +08:00.
pub async fn overdue_protocol_on_the_business_calendar(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2026, 2, 13, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start).await;
    let agent = app.login("agent1").await;
    let (id, number) = open_ticket(&app, &agent, json!({})).await;
    assert_eq!(number, "GD20260213-0001");
    let t = ticket(&app, &agent, &id).await;
    assert_eq!(t["promise"]["due_at"], "2026-02-28T14:30:00+08:00", "{t}");
    let due = cst
        .with_ymd_and_hms(2026, 2, 28, 14, 30, 0)
        .unwrap()
        .with_timezone(&Utc);

    // Sessions do not outlive a fortnight of simulated time: log in again after each move.
    async fn advance(app: &TestApp, seconds: i64) -> (Value, String, String) {
        let token = app.login("agent1").await;
        let r = app
            .post(
                "/api/v1/test-clock/advance",
                &token,
                json!({"seconds": seconds}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        (r.json(), app.login("agent1").await, app.login("lead").await)
    }
    let (_, agent, _) = advance(&app, (due - start).num_seconds() - 1).await;
    assert!(
        ticket(&app, &agent, &id).await["overdue_since"].is_null(),
        "not overdue a second early"
    );
    let (r, agent, lead) = advance(&app, 1).await;
    assert!(r["fired"].as_u64().unwrap() >= 1, "{r}");
    let t = ticket(&app, &agent, &id).await;
    assert_eq!(t["overdue_since"], "2026-02-28T14:30:00+08:00");
    assert_eq!(t["overdue_count"], 1);
    assert_eq!(
        app.get("/api/v1/queues/overdue", &agent).await.json()["count"],
        1
    );
    for token in [&agent, &lead] {
        let n = app.get("/api/v1/notifications", token).await.json();
        assert_eq!(n["items"][0]["kind"], "overdue", "{n}");
        assert_eq!(n["items"][0]["ticket_number"], number.as_str());
    }
    // The protocol: not a plain new promise, but progress + apology + promise in one.
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/promises"),
            &agent,
            json!({"text": "x", "within_hours": 4}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "overdue_notice_required")
    );
    let script = app
        .get(&format!("/api/v1/tickets/{id}/overdue-script"), &agent)
        .await
        .json();
    assert!(
        script["script"].as_str().unwrap().contains(&number),
        "{script}"
    );
    assert!(
        script["apology"]
            .as_str()
            .unwrap()
            .contains("2026-02-28 14:30"),
        "{script}"
    );
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/overdue-notices"),
            &agent,
            json!({
                "channel": "phone",
                "progress": "快递公司已找到包裹，正在派送",
                "apology": script["apology"],
                "promise_text": "周一中午前确认签收",
                "within_hours": 7.5
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let t = ticket(&app, &agent, &id).await;
    assert!(t["overdue_since"].is_null());
    assert_eq!(t["renewed_count"], 1);
    // 14:30 Sat (make-up day) + 3.5 h = 18:00, then 4 h on Monday 2 Mar → 13:00 is lunch,
    // so 12:00 + 1 h after the break.
    assert_eq!(t["promise"]["due_at"], "2026-03-02T14:30:00+08:00", "{t}");
    assert_eq!(
        app.get("/api/v1/queues/overdue", &agent).await.json()["count"],
        0
    );
    let events = app
        .get(&format!("/api/v1/tickets/{id}/timeline"), &agent)
        .await
        .json();
    let notice = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "overdue_notice")
        .unwrap();
    assert_eq!(notice["body"], "快递公司已找到包裹，正在派送");
    assert_eq!(notice["detail"]["promise"], "周一中午前确认签收");
    assert!(notice["detail"]["apology"]
        .as_str()
        .unwrap()
        .contains("抱歉"));
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/overdue-notices"),
            &agent,
            json!({
                "progress": "x", "apology": "y", "promise_text": "z", "within_hours": 1
            }),
        )
        .await;
    assert_eq!(r.error_code(), "not_overdue");
    app.cleanup().await;
}

pub async fn escalate_merge_and_link(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let lead_id = app.user_id("lead").await;
    let (a, number_a) = open_ticket(&app, &agent, json!({})).await;
    let (b, _) = open_ticket(&app, &agent, json!({})).await;
    let targets = app
        .get(&format!("/api/v1/tickets/{a}/escalation-targets"), &agent)
        .await
        .json();
    let names: Vec<&str> = targets
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(names.contains(&lead_id.as_str()), "{targets}");
    assert!(
        names.contains(&app.user_id("manager").await.as_str()),
        "the manager is over the group too"
    );
    let agent2 = app.user_id("agent2").await;
    let r = app
        .post(
            &format!("/api/v1/tickets/{a}/escalations"),
            &agent,
            json!({"to": agent2, "reason": "x"}),
        )
        .await;
    assert_eq!(r.error_code(), "not_supervisor");
    let r = app
        .post(
            &format!("/api/v1/tickets/{a}/escalations"),
            &agent,
            json!({"to": lead_id, "reason": "客户要求主管回电"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let lead = app.login("lead").await;
    assert_eq!(
        app.get("/api/v1/notifications", &lead).await.json()["items"][0]["kind"],
        "escalated"
    );
    assert_eq!(
        ticket(&app, &agent, &a).await["escalated_to"]["id"],
        lead_id.as_str()
    );

    let r = app
        .post(
            &format!("/api/v1/tickets/{b}/links"),
            &agent,
            json!({"other": number_a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(ticket(&app, &agent, &a).await["links"][0]["id"], b.as_str());
    let r = app
        .post(
            &format!("/api/v1/tickets/{b}/merge"),
            &agent,
            json!({"into": "GD20990101-0001"}),
        )
        .await;
    assert_eq!(r.error_code(), "unknown_ticket");
    let r = app
        .post(
            &format!("/api/v1/tickets/{b}/merge"),
            &agent,
            json!({"into": number_a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let merged = ticket(&app, &agent, &b).await;
    assert_eq!(
        (merged["status"].as_str(), merged["merged_into"].as_str()),
        (Some("closed"), Some(a.as_str()))
    );
    assert!(kinds(&app, &agent, &a)
        .await
        .contains(&"merged_from".to_string()));
    app.cleanup().await;
}

/// An urgent-complaint policy on the 24×7 calendar promises a reply in 2 hours; waiting
/// on the customer stops that clock and resuming moves the promise on by the wait.
pub async fn sla_policy_sets_the_promise_and_waiting_pauses_it(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2026, 11, 27, 20, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start).await;
    let manager = app.login("manager").await;
    let r = app
        .post(
            "/api/v1/sla-policies",
            &manager,
            json!({
                "name": "紧急投诉 7×24",
                "ticket_type": "complaint",
                "priority": "urgent",
                "calendar": "24x7",
                "first_response_minutes": 30,
                "reply_promise_minutes": 120,
                "resolution_minutes": 1440
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let agent = app.login("agent1").await;
    let (urgent, _) = open_ticket(&app, &agent, json!({"priority": "urgent"})).await;
    let t = ticket(&app, &agent, &urgent).await;
    assert_eq!(t["promise"]["due_at"], "2026-11-27T22:00:00+08:00", "{t}");
    assert_eq!(t["first_response_due"], "2026-11-27T20:30:00+08:00");
    // The default policy (working hours) still serves the others: Friday 20:00 → Monday.
    let (normal, _) = open_ticket(&app, &agent, json!({})).await;
    let t = ticket(&app, &agent, &normal).await;
    assert!(
        t["promise"]["due_at"].as_str().unwrap() > "2026-11-30",
        "{t}"
    );

    let act = |id: String, action: &'static str| {
        let (app, agent) = (&app, agent.clone());
        async move {
            let r = app
                .post(
                    &format!("/api/v1/tickets/{id}/status"),
                    &agent,
                    json!({"action": action}),
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{action}: {}", r.text());
        }
    };
    act(urgent.clone(), "start").await;
    act(urgent.clone(), "wait_customer").await;
    assert_eq!(ticket(&app, &agent, &urgent).await["paused"], true);
    // Three hours waiting: past the old deadline, yet nothing goes overdue.
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &agent,
            json!({"seconds": 3 * 3600}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let agent = app.login("agent1").await;
    assert!(ticket(&app, &agent, &urgent).await["overdue_since"].is_null());
    let r = app
        .post(
            &format!("/api/v1/tickets/{urgent}/status"),
            &agent,
            json!({"action": "resume"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let t = ticket(&app, &agent, &urgent).await;
    assert_eq!(t["paused"], false);
    assert_eq!(
        t["promise"]["due_at"], "2026-11-28T01:00:00+08:00",
        "moved on by the 3 h wait"
    );
    app.cleanup().await;
}

/// Files on a ticket: uploaded as multipart, listed, downloaded as attachments only, on
/// the timeline; other departments cannot fetch them; over the limit is refused unread.
pub async fn attachments_upload_list_download(backend: TestBackend) {
    use axum::body::Body;
    use axum::http::{header, Method, Request};
    let app = TestApp::with_config(backend, |c| c.max_upload_bytes = 1024 * 1024).await;
    let agent = app.login("agent1").await;
    let (id, _) = open_ticket(&app, &agent, json!({})).await;
    let upload = |token: String, body: Vec<u8>| {
        let app = &app;
        let uri = format!("/api/v1/tickets/{id}/attachments");
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={}", crate::imports::BOUNDARY),
                )
                .body(Body::from(body))
                .unwrap();
            app.send(req).await
        }
    };
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let r = upload(
        agent.clone(),
        crate::imports::multipart("../../故障照片.png", png),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let att = r.json()["id"].as_str().unwrap().to_string();
    let list = app
        .get(&format!("/api/v1/tickets/{id}/attachments"), &agent)
        .await
        .json();
    assert_eq!(
        list[0]["filename"], "故障照片.png",
        "no path survives: {list}"
    );
    assert_eq!(list[0]["content_type"], "image/png");
    assert_eq!(list[0]["size"], png.len());
    let file = app
        .get(&format!("/api/v1/tickets/{id}/attachments/{att}"), &agent)
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, png.to_vec());
    let disposition = file.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(kinds(&app, &agent, &id)
        .await
        .contains(&"attachment".to_string()));
    // Another department sees nothing, not even that the file exists.
    let tech = app.login("tech1").await;
    let r = app
        .get(&format!("/api/v1/tickets/{id}/attachments/{att}"), &tech)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Bad uploads: empty, no file field, over the limit (refused before it is read).
    let r = upload(agent.clone(), crate::imports::multipart("empty.txt", b"")).await;
    assert_eq!(r.error_code(), "empty_file");
    let r = upload(
        agent.clone(),
        format!("--{}--\r\n", crate::imports::BOUNDARY).into_bytes(),
    )
    .await;
    assert_eq!(r.error_code(), "missing_file");
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = upload(agent.clone(), crate::imports::multipart("big.bin", &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let list = app
        .get(&format!("/api/v1/tickets/{id}/attachments"), &agent)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing else was kept");
    app.cleanup().await;
}
