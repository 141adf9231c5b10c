//! Promises on the business calendar: the overdue protocol to the minute, and SLA
//! policies that set the promise and pause it while waiting on the customer.

use crate::common::TestApp;
use crate::tickets::{open_ticket, ticket};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

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
