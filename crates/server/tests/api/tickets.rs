//! Work orders through the API: creation and validation, who may see and do what,
//! queues and their counts, the overdue protocol on the business calendar.

use crate::common::TestApp;
use axum::http::StatusCode;
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

pub(crate) async fn open_ticket(app: &TestApp, token: &str, extra: Value) -> (String, String) {
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

pub(crate) async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

pub(crate) async fn kinds(app: &TestApp, token: &str, id: &str) -> Vec<String> {
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
