//! The shift lead's wallboard over the API, on the demo center on Monday 2026-12-07 at
//! 10:00: calls waiting and today's service level to the call, chats waiting, the ticket
//! counters unchanged by a recount from the tickets themselves, today's callbacks following the
//! attempts, and who is on shift — the same people the schedule says — with what they
//! are doing. Agents may not see it.

use crate::common::TestApp;
use axum::http::StatusCode;
use kefu_domain::call::{CallEvent, CallEventKind};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// 2026-12-07 (a Monday) at `h:m:s` in the center's time.
fn at(h: u32, m: u32, s: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(&format!("2026-12-07T{h:02}:{m:02}:{s:02}+08:00"))
        .unwrap()
        .with_timezone(&chrono::Utc)
}

async fn call(
    app: &TestApp,
    id: &str,
    kind: CallEventKind,
    when: chrono::DateTime<chrono::Utc>,
    agent: Option<&str>,
) {
    let event = CallEvent {
        kind,
        at: when,
        caller: Some("13800001111".into()),
        ivr_key: None,
        queue: Some("咨询".into()),
        agent: agent.map(Into::into),
        duration_s: None,
        hangup_side: None,
    };
    app.state
        .db()
        .apply_call_event(id, &event, "{}", when)
        .await
        .expect("call event");
}

async fn board(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/wallboard", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

pub async fn wallboard_counts_what_waits_and_how_today_goes(backend: TestBackend) {
    let app = TestApp::starting_at(backend, at(10, 0, 0)).await;
    kefu_demo::load_demo_schedule(&app.db.db, at(10, 0, 0))
        .await
        .expect("demo schedule");
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let r = app.get("/api/v1/wallboard", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    let b = board(&app, &lead).await;
    assert_eq!(b["calls"]["waiting"], 0);
    assert_eq!(b["calls"]["today"]["offered"], 0);
    assert!(b["calls"]["today"]["service_level"].is_null());
    assert_eq!(b["on_shift"], json!([]), "no roster is published yet");
    let within = b["target_answer_seconds"].as_i64().unwrap();
    assert!(
        (11..60).contains(&within),
        "the calls below straddle {within} s"
    );

    // Publish a week's roster: the wallboard names whom the schedule names.
    let r = app
        .post(
            "/api/v1/schedule/rosters",
            &lead,
            json!({"start_date": "2026-12-07", "days": 7, "seed": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let roster = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/schedule/rosters/{roster}/publish"),
            &lead,
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let now = app.get("/api/v1/schedule/now", &lead).await.json();
    let scheduled: Vec<&str> = now["on_shift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["staff_id"].as_str().unwrap())
        .collect();
    assert!(!scheduled.is_empty(), "{now}");
    let on_shift = scheduled[0].to_string();
    let mut username = None;
    for u in ["agent1", "agent2", "agent3", "agent4"] {
        if app.user_id(u).await == on_shift {
            username = Some(u);
        }
    }
    let username = username.expect("an agent is on shift");

    // Today's calls: one answered in 10 s and still talking, one answered after 60 s,
    // one abandoned, one ringing for 30 s; yesterday's do not count.
    use CallEventKind::*;
    let yesterday = |t: chrono::DateTime<chrono::Utc>| t - chrono::Duration::days(1);
    call(&app, "wb-old", Offered, yesterday(at(10, 0, 0)), None).await;
    call(
        &app,
        "wb-old",
        Answered,
        yesterday(at(10, 0, 5)),
        Some(username),
    )
    .await;
    call(&app, "wb-old", Ended, yesterday(at(10, 3, 0)), None).await;
    call(&app, "wb-fast", Offered, at(9, 50, 0), None).await;
    call(&app, "wb-fast", Answered, at(9, 50, 10), Some(username)).await;
    call(&app, "wb-slow", Offered, at(9, 51, 0), None).await;
    call(&app, "wb-slow", Answered, at(9, 52, 0), Some(username)).await;
    call(&app, "wb-slow", Ended, at(9, 55, 0), None).await;
    call(&app, "wb-gone", Offered, at(9, 56, 0), None).await;
    call(&app, "wb-gone", Ended, at(9, 57, 0), None).await;
    call(&app, "wb-ring", Offered, at(9, 59, 30), None).await;

    // A visitor waiting for a chat.
    let r = app
        .api(
            axum::http::Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general", "name": "访客"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Two callbacks for today: one not reached, one done.
    let customer = app.any_customer(&lead).await;
    let callback1 = app.user_id("callback1").await;
    let worker = app.login("callback1").await;
    let mut tasks = Vec::new();
    for title in ["回访一", "回访二"] {
        let r = app
            .post(
                "/api/v1/callbacks",
                &lead,
                json!({"customer_id": customer, "title": title, "assignee_id": callback1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        tasks.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let before = board(&app, &lead).await["callbacks"].clone();
    for (task, body) in [
        (&tasks[0], json!({"result": "unreachable"})),
        (&tasks[1], json!({"result": "done", "outcome": "satisfied"})),
    ] {
        let r = app
            .post(&format!("/api/v1/callbacks/{task}/attempts"), &worker, body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    let b = board(&app, &lead).await;
    let calls = &b["calls"];
    assert_eq!(calls["waiting"], 1, "{b}");
    assert_eq!(calls["longest_wait_s"], 30);
    assert_eq!(calls["queues"][0]["queue"], "咨询");
    let today = &calls["today"];
    assert_eq!(
        [
            &today["offered"],
            &today["answered"],
            &today["answered_in_target"],
            &today["abandoned"]
        ],
        [4, 2, 1, 1],
        "{today}"
    );
    assert_eq!(today["service_level"], 0.25);
    assert_eq!(today["target_met"], false);
    assert_eq!(b["chats"]["waiting"], 1, "{b}");
    assert_eq!(b["chats"]["queues"][0]["queue"], "在线咨询");
    assert_eq!(b["chats"]["today"]["offered"], 1);

    let cb = &b["callbacks"];
    assert_eq!(
        cb["attempts_today"].as_i64().unwrap(),
        before["attempts_today"].as_i64().unwrap() + 2
    );
    assert_eq!(
        cb["reached_today"].as_i64().unwrap(),
        before["reached_today"].as_i64().unwrap() + 1
    );
    assert_eq!(
        cb["due_today"].as_i64().unwrap(),
        before["due_today"].as_i64().unwrap() - 1,
        "the done one left, the unreachable one is retried today"
    );
    assert!(cb["late"].as_i64().unwrap() <= cb["due_today"].as_i64().unwrap());

    // A ticket from the web form waits unassigned; one an agent opens is theirs. The
    // ticket figures are the queue counters: recounting them from the open tickets
    // themselves changes nothing.
    let unassigned = b["tickets"]["unassigned"].as_i64().unwrap();
    let r = app
        .api(
            axum::http::Method::POST,
            "/api/v1/public/tickets",
            None,
            Some(
                json!({"name": "王先生", "phone": "139-1234-5678", "type": "repair",
                        "subject": "热水器不出热水", "description": "今天开始不出热水"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    crate::tickets::open_ticket(&app, &agent, json!({})).await;
    let tickets = board(&app, &lead).await["tickets"].clone();
    assert_eq!(tickets["unassigned"], unassigned + 1, "{tickets}");
    app.state.db().rebuild_queue_counts().await.unwrap();
    assert_eq!(board(&app, &lead).await["tickets"], tickets);

    // Who is on shift, and the agent on the 10-second call shows it.
    let people: Vec<&Value> = b["on_shift"].as_array().unwrap().iter().collect();
    let ids: Vec<&str> = people
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, scheduled);
    let busy = people
        .iter()
        .find(|p| p["user_id"] == on_shift.as_str())
        .unwrap();
    assert_eq!(busy["calls"], 1, "{busy}");
    assert!(!busy["shift"].as_str().unwrap().is_empty());
    app.cleanup().await;
}
