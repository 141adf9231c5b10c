//! Work logs (工作日志) prefilled with the day's handled tickets, and duty logs (值班日志)
//! per shift: who may read and write which, and bad input.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::json;

/// Wednesday 2026-11-25 10:00 in Beijing.
fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

const TODAY: &str = "2026-11-25";

async fn put(
    app: &TestApp,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> crate::common::Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

pub async fn work_log_is_prefilled_with_the_days_tickets(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let agent = app.login("agent1").await;
    let other = app.login("agent2").await;
    let r = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"type": "inquiry", "subject": "查询订单物流", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (id, number) = (
        r.json()["id"].as_str().unwrap().to_string(),
        r.json()["number"].as_str().unwrap().to_string(),
    );
    for (path, body) in [
        (
            "replies",
            json!({"channel": "phone", "body": "已告知物流单号"}),
        ),
        ("notes", json!({"body": "客户要求短信通知"})),
        ("notes", json!({"body": "已发短信"})),
    ] {
        let r = app
            .post(&format!("/api/v1/tickets/{id}/{path}"), &agent, body)
            .await;
        assert!(r.status.is_success(), "{}", r.text());
    }
    // A call agent1 (工号 KF101) answered today, as the telephony system reported it.
    {
        use kefu_domain::call::{CallEvent, CallEventKind};
        let now = app.state.clock().now();
        let event = |kind, agent: Option<&str>, caller: Option<&str>| CallEvent {
            kind,
            at: now,
            caller: caller.map(str::to_string),
            ivr_key: None,
            queue: None,
            agent: agent.map(str::to_string),
            duration_s: None,
            hangup_side: None,
        };
        for e in [
            event(CallEventKind::Offered, None, Some("13800138000")),
            event(CallEventKind::Answered, Some("KF101"), None),
        ] {
            app.state
                .db()
                .apply_call_event("log-call-1", &e, "{}", now)
                .await
                .unwrap();
        }
    }
    let log = app.get(&format!("/api/v1/work-logs/{TODAY}"), &agent).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text());
    let log = log.json();
    assert_eq!(log["day"], TODAY);
    let calls = log["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{log}");
    assert_eq!(calls[0]["caller"], "138****8000", "masked");
    assert_eq!(log["user_name"], "张丽");
    assert_eq!(log["text"], "");
    assert!(log["updated_at"].is_null());
    let tickets = log["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "{log}");
    assert_eq!(tickets[0]["number"], number.as_str());
    assert_eq!(tickets[0]["subject"], "查询订单物流");
    let count = |kind: &str| {
        tickets[0]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == kind)
            .map(|a| a["count"].as_i64().unwrap())
            .unwrap_or_default()
    };
    assert_eq!((count("created"), count("reply"), count("note")), (1, 1, 2));
    // Someone else's day and another day are not prefilled with it.
    let theirs = app
        .get(&format!("/api/v1/work-logs/{TODAY}"), &other)
        .await
        .json();
    assert!(theirs["tickets"].as_array().unwrap().is_empty(), "{theirs}");
    let yesterday = app.get("/api/v1/work-logs/2026-11-24", &agent).await.json();
    assert!(yesterday["tickets"].as_array().unwrap().is_empty());

    // Save, read back, save again: the text is replaced.
    let saved = put(
        &app,
        &format!("/api/v1/work-logs/{TODAY}"),
        &agent,
        json!({"text": "上午处理物流查询；客户反馈短信通知太慢"}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["tickets"].as_array().unwrap().len(), 1);
    put(
        &app,
        &format!("/api/v1/work-logs/{TODAY}"),
        &agent,
        json!({"text": "  改后的日志  "}),
    )
    .await;
    let log = app
        .get(&format!("/api/v1/work-logs/{TODAY}"), &agent)
        .await
        .json();
    assert_eq!(log["text"], "改后的日志");
    assert!(log["updated_at"].as_str().unwrap().ends_with("+08:00"));
    // Yesterday may be filled in late.
    assert_eq!(
        put(
            &app,
            "/api/v1/work-logs/2026-11-24",
            &agent,
            json!({"text": "补记"})
        )
        .await
        .status,
        StatusCode::OK
    );

    // Supervisors list them; agents may not.
    let lead = app.login("lead").await;
    let me = app.user_id("agent1").await;
    let list = app
        .get(
            &format!("/api/v1/work-logs?user_id={me}&from=2026-11-20&to={TODAY}"),
            &lead,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    let days: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-11-24", TODAY]);
    assert_eq!(list[1]["text"], "改后的日志");
    let everyone = app.get("/api/v1/work-logs", &lead).await.json();
    assert_eq!(
        everyone.as_array().unwrap().len(),
        2,
        "default: the last seven days"
    );
    assert_eq!(
        app.get("/api/v1/work-logs", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    // Every save is audited.
    let manager = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=log.work_save", &manager)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 3, "{audit}");
    assert_eq!(audit["items"][0]["actor_name"], "张丽");
    app.cleanup().await;
}

pub async fn work_log_bad_input_and_permissions(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let agent = app.login("agent1").await;
    for (day, body) in [
        ("2026-11-26", json!({"text": "明天的"})),
        ("2026-13-01", json!({"text": "x"})),
        ("yesterday", json!({"text": "x"})),
    ] {
        let r = put(&app, &format!("/api/v1/work-logs/{day}"), &agent, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{day}");
        assert_eq!(r.error_code(), "invalid_date");
        let r = app.get(&format!("/api/v1/work-logs/{day}"), &agent).await;
        assert_eq!(r.error_code(), "invalid_date");
    }
    let long = put(
        &app,
        &format!("/api/v1/work-logs/{TODAY}"),
        &agent,
        json!({"text": "字".repeat(20_001)}),
    )
    .await;
    assert_eq!(long.error_code(), "invalid_log");
    let unknown = put(
        &app,
        &format!("/api/v1/work-logs/{TODAY}"),
        &agent,
        json!({"text": "x", "user_id": "someone-else"}),
    )
    .await;
    assert_eq!(
        unknown.error_code(),
        "invalid_body",
        "no writing others' logs"
    );
    let lead = app.login("lead").await;
    for q in [
        "from=2026-11-25&to=2026-11-01",
        "from=2026-01-01&to=2026-11-25",
        "from=soon",
    ] {
        let r = app.get(&format!("/api/v1/work-logs?{q}"), &lead).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
    // The inspector reads tickets but writes none: no work log of their own.
    let inspector = app.login("inspector").await;
    let r = app
        .get(&format!("/api/v1/work-logs/{TODAY}"), &inspector)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = put(
        &app,
        &format!("/api/v1/work-logs/{TODAY}"),
        &inspector,
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

pub async fn duty_logs_per_shift(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let path = format!("/api/v1/duty-logs/{TODAY}/a");
    assert_eq!(app.get(&path, &agent).await.status, StatusCode::NOT_FOUND);
    let body = json!({
        "staffing": "张丽、刘洋到岗；赵敏请假",
        "incidents": "10:20 电话系统中断 5 分钟",
        "handover": "GD20261125-0001 待回电",
        "text": ""
    });
    let r = put(&app, &path, &lead, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let log = r.json();
    assert_eq!(log["shift"], "a");
    assert_eq!(log["lead_name"], "李娜");
    assert_eq!(log["incidents"], "10:20 电话系统中断 5 分钟");
    // Agents and the inspector read it; only a supervisor writes.
    for token in [&agent, &app.login("inspector").await] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["handover"], "GD20261125-0001 待回电");
    }
    assert_eq!(
        put(&app, &path, &agent, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    // Rewriting keeps one log per shift; the c shift is another log.
    put(&app, &path, &lead, json!({"staffing": "全员到岗"})).await;
    let c = put(
        &app,
        &format!("/api/v1/duty-logs/{TODAY}/c"),
        &lead,
        json!({"handover": "夜间无事"}),
    )
    .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text());
    let list = app
        .get(
            &format!("/api/v1/duty-logs?from={TODAY}&to={TODAY}"),
            &agent,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    let shifts: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["shift"].as_str().unwrap())
        .collect();
    assert_eq!(shifts, ["a", "c"]);
    assert_eq!(list[0]["staffing"], "全员到岗");
    assert_eq!(list[0]["incidents"], "", "a rewrite replaces every field");
    // Bad input.
    for (p, b, code) in [
        (
            format!("/api/v1/duty-logs/{TODAY}/d"),
            body.clone(),
            "invalid_shift",
        ),
        (
            "/api/v1/duty-logs/2026-11-26/a".to_string(),
            body.clone(),
            "invalid_date",
        ),
        (path.clone(), json!({}), "invalid_log"),
        (
            path.clone(),
            json!({"text": "x", "lead_id": "y"}),
            "invalid_body",
        ),
    ] {
        let r = put(&app, &p, &lead, b).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(r.error_code(), code, "{p}: {}", r.text());
    }
    let manager = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=log.duty_save", &manager)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 3, "{audit}");
    app.cleanup().await;
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> crate::common::Reply {
    let req = axum::http::Request::builder()
        .uri(path)
        .header(axum::http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(req).await
}

/// The pages apply the same rules: one's own work log for agents, anyone's for
/// supervisors; the duty log form only for supervisors.
pub async fn log_pages_follow_the_same_rules(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let lead_id = app.user_id("lead").await;
    let agent_id = app.user_id("agent1").await;
    let agent = crate::auth::cookie_login(&app, "agent1").await;
    let own = page(&app, &agent, "/work-log").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text().contains("id=\"worklog-form\"") && own.text().contains(TODAY));
    let others = page(&app, &agent, &format!("/work-log?user_id={lead_id}")).await;
    assert_eq!(others.status, StatusCode::FORBIDDEN);
    let future = page(&app, &agent, "/work-log?day=2026-11-26").await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    let duty = page(&app, &agent, "/duty-log?day=2026-11-25&shift=b").await;
    assert_eq!(duty.status, StatusCode::OK);
    assert!(
        !duty.text().contains("id=\"dutylog-form\""),
        "agents only read"
    );
    assert!(duty.text().contains("id=\"dutylog-empty\""));

    let lead = crate::auth::cookie_login(&app, "lead").await;
    let theirs = page(&app, &lead, &format!("/work-log?user_id={agent_id}")).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.text().contains("张丽") && !theirs.text().contains("id=\"worklog-form\""));
    let duty = page(&app, &lead, "/duty-log").await;
    assert!(duty.text().contains("id=\"dutylog-form\""));
    // 10:00 in the center: the a shift is the one being written.
    assert!(duty.text().contains("name=\"shift\" value=\"a\""));
    assert_eq!(
        page(&app, &lead, "/duty-log?shift=x").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.cleanup().await;
}
