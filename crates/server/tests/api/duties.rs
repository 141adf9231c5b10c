//! Duty tasks through the API on the simulated clock: over a simulated quarter, with a
//! server restart in the middle, each recurring duty's task exists exactly once on its
//! date (daily, weekly, monthly on the 22nd and on the 31st, after each published shift);
//! completing one's own task with a deliverable, the errors for someone else's, unknown or
//! done tasks and bad deliverables; the lead's overdue list and the wallboard's count.

use crate::common::{local, TestApp};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use kefu_server::{AppState, Clock, ServerConfig};
use kefu_store::schedule::{NewRoster, NewShift};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Every task of a list, through its pages.
async fn all(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = app
            .get(&format!("{path}{sep}limit=200&cursor={cursor}"), token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        let j = r.json();
        out.extend(j["items"].as_array().unwrap().iter().cloned());
        match j["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

/// A position in the intake group with the given duties, held by `username`.
async fn position(
    app: &TestApp,
    token: &str,
    title: &str,
    duties: Value,
    username: &str,
) -> String {
    let group = app.department(token, "业务受理组").await;
    let r = app
        .post(
            "/api/v1/positions",
            token,
            json!({"department_id": group, "title": title, "duties": duties, "permissions": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let user = app.user_id(username).await;
    let r = app
        .post(
            &format!("/api/v1/staff/{user}/positions"),
            token,
            json!({"position_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    id
}

/// A published roster in which `staff` works 09:00–17:00 on each of `days`.
async fn publish_shifts(app: &TestApp, staff: &str, days: &[NaiveDate]) {
    let shifts: Vec<NewShift> = days
        .iter()
        .map(|d| {
            let starts = local(d.year(), d.month(), d.day(), 9, 0);
            NewShift {
                staff_id: staff.into(),
                day: d.to_string(),
                template_code: "a".into(),
                queue: "咨询".into(),
                starts_at: starts,
                ends_at: starts + Duration::hours(8),
                on_call: false,
                locked: false,
            }
        })
        .collect();
    let (first, last) = (days[0], days[days.len() - 1]);
    let roster = NewRoster {
        name: format!("duties {first}"),
        start_date: first.to_string(),
        end_date: last.to_string(),
        days: (last - first).num_days() + 1,
        problem: "{}".into(),
        report: "{}".into(),
        staff: vec![staff.into()],
        shifts,
    };
    let db = app.state.db();
    let now = app.state.clock().now();
    let actor = kefu_store::audit::Actor {
        user_id: None,
        name: "test".into(),
        client_addr: None,
    };
    let id = db.create_roster(&actor, now, &roster).await.unwrap();
    db.publish_roster(&actor, now, &id).await.unwrap();
}

/// The server stops and starts again on the same database: a new connection pool, a
/// clock that goes on from where it was, the duty chain seeded again as `kefu serve`
/// does at start-up.
async fn restart(app: &mut TestApp) {
    let now = app.state.clock().now();
    let db = kefu_store::Db::connect(&app.db.url).await.unwrap();
    let config = ServerConfig::new(app.state.config().data_dir.clone());
    app.state = AppState::new(db, Clock::simulated(now), config);
    app.router = kefu_server::router(app.state.clone());
    kefu_server::jobs::schedule_duty_jobs(&app.state)
        .await
        .unwrap();
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The test: a position with daily, weekly, monthly (22nd and 31st) and
/// after-shift duties through a simulated quarter, restarted in the middle.
pub async fn duty_tasks_over_a_simulated_quarter(backend: TestBackend) {
    let start = local(2027, 1, 1, 0, 20);
    let mut app = TestApp::starting_at(backend, start).await;
    let manager = app.login("manager").await;
    let pos = position(
        &app,
        &manager,
        "值班主管",
        json!([
            "接听来电",
            {"text": "值班日志", "cadence": {"every": "daily"}},
            {"text": "质检周汇总", "cadence": {"every": "weekly", "weekday": "fri"}},
            {"text": "月度质量报告", "cadence": {"every": "monthly", "day": 22}},
            {"text": "月末盘点", "cadence": {"every": "monthly", "day": 31}},
            {"text": "交接记录", "cadence": {"every": "after_shift"}},
        ]),
        "agent1",
    )
    .await;
    let holder = app.user_id("agent1").await;
    let early = [d("2027-01-05"), d("2027-01-06")];
    publish_shifts(&app, &holder, &early).await;

    kefu_server::jobs::schedule_duty_jobs(&app.state)
        .await
        .unwrap();
    // Day by day (00:20, after each day's 00:10 run) to 3 April; a second roster is
    // published on day 40, the server restarts on day 45.
    let late = [d("2027-02-23"), d("2027-02-26")];
    for day in 0..=92 {
        let token = app.login("manager").await;
        app.advance(&token, if day == 0 { 0 } else { 24 * 3600 })
            .await;
        if day == 40 {
            publish_shifts(&app, &holder, &late).await;
        }
        if day == 45 {
            restart(&mut app).await;
            let now = app.state.clock().now();
            let today = now.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap());
            let today = today.date_naive();
            let again = app
                .state
                .db()
                .generate_duty_tasks(now, today - Duration::days(45), today + Duration::days(7))
                .await
                .unwrap();
            assert_eq!(
                (again.created, again.withdrawn),
                (0, 0),
                "nothing new after the restart"
            );
        }
    }
    assert_eq!(app.state.clock().now(), local(2027, 4, 3, 0, 20));

    let manager = app.login("manager").await;
    let tasks: Vec<Value> = all(&app, &manager, &format!("/api/v1/duties?user={holder}"))
        .await
        .into_iter()
        .filter(|t| t["position_id"] == pos.as_str())
        .collect();
    let mut per: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for t in &tasks {
        per.entry((
            t["duty"].as_str().unwrap().to_string(),
            t["period"].as_str().unwrap().to_string(),
        ))
        .or_default()
        .push(t["due_at"].as_str().unwrap().to_string());
    }
    assert!(
        per.values().all(|dues| dues.len() == 1),
        "one task per duty and period"
    );
    let due = |duty: &str| -> BTreeMap<String, String> {
        per.iter()
            .filter(|((dt, _), _)| dt == duty)
            .map(|((_, p), v)| (p.clone(), v[0].clone()))
            .collect()
    };
    // Made a week ahead: the last run (3 April) reached 10 April.
    let daily = due("值班日志");
    let days: BTreeSet<String> = d("2027-01-01")
        .iter_days()
        .take_while(|x| *x <= d("2027-04-10"))
        .map(|x| x.to_string())
        .collect();
    assert_eq!(daily.keys().cloned().collect::<BTreeSet<_>>(), days);
    assert_eq!(daily["2027-02-28"], "2027-02-28T23:59:59+08:00");
    let weekly = due("质检周汇总");
    assert_eq!(weekly.len(), 15, "1 January to 9 April, every Friday");
    assert_eq!(weekly["2026-W53"], "2027-01-01T23:59:59+08:00");
    assert_eq!(weekly["2027-W14"], "2027-04-09T23:59:59+08:00");
    assert_eq!(
        due("月度质量报告"),
        BTreeMap::from([
            ("2027-01".into(), "2027-01-22T23:59:59+08:00".into()),
            ("2027-02".into(), "2027-02-22T23:59:59+08:00".into()),
            ("2027-03".into(), "2027-03-22T23:59:59+08:00".into()),
        ])
    );
    assert_eq!(
        due("月末盘点"),
        BTreeMap::from([
            ("2027-01".into(), "2027-01-31T23:59:59+08:00".into()),
            ("2027-02".into(), "2027-02-28T23:59:59+08:00".into()),
            ("2027-03".into(), "2027-03-31T23:59:59+08:00".into()),
        ])
    );
    assert_eq!(
        due("交接记录"),
        BTreeMap::from([
            ("2027-01-05".into(), "2027-01-05T18:00:00+08:00".into()),
            ("2027-01-06".into(), "2027-01-06T18:00:00+08:00".into()),
            ("2027-02-23".into(), "2027-02-23T18:00:00+08:00".into()),
            ("2027-02-26".into(), "2027-02-26T18:00:00+08:00".into()),
        ])
    );
    assert!(due("接听来电").is_empty(), "no cadence, no task");
    assert_eq!(tasks.len(), 100 + 15 + 3 + 3 + 4);

    // Nothing was done: everything due before now is overdue, for the holder and the lead.
    let now = local(2027, 4, 3, 0, 20);
    let due_before = tasks
        .iter()
        .filter(|t| DateTime::parse_from_rfc3339(t["due_at"].as_str().unwrap()).unwrap() < now)
        .count();
    assert_eq!(due_before, 92 + 14 + 3 + 3 + 4);
    assert!(tasks.iter().all(|t| t["overdue"].as_bool().unwrap()
        == (DateTime::parse_from_rfc3339(t["due_at"].as_str().unwrap()).unwrap() < now)));
    let agent = app.login("agent1").await;
    let overdue: Vec<Value> = all(&app, &agent, "/api/v1/duties/mine?status=overdue")
        .await
        .into_iter()
        .filter(|t| t["position_id"] == pos.as_str())
        .collect();
    assert_eq!(overdue.len(), due_before);
    let everyone = all(&app, &manager, "/api/v1/duties?status=overdue").await;
    let board = app.get("/api/v1/wallboard", &manager).await.json();
    assert_eq!(board["duties"]["overdue"], everyone.len() as i64);
    app.cleanup().await;
}

/// Completing one's own task, and every way it is refused.
pub async fn completing_duties_and_bad_input(backend: TestBackend) {
    let app = TestApp::starting_at(backend, local(2027, 1, 4, 8, 0)).await;
    let manager = app.login("manager").await;
    let pos = position(
        &app,
        &manager,
        "值班主管",
        json!([{"text": "值班日志", "cadence": {"every": "daily"}}]),
        "agent1",
    )
    .await;
    // Made as soon as the duty was given, before any nightly run.
    let agent = app.login("agent1").await;
    let given = all(&app, &agent, "/api/v1/duties/mine")
        .await
        .into_iter()
        .filter(|t| t["position_id"] == pos.as_str())
        .count();
    assert_eq!(given, 8, "today and a week ahead, at once");
    kefu_server::jobs::schedule_duty_jobs(&app.state)
        .await
        .unwrap();
    app.advance(&manager, 0).await;
    let agent = app.login("agent1").await;
    let mine: Vec<Value> = all(&app, &agent, "/api/v1/duties/mine")
        .await
        .into_iter()
        .filter(|t| t["position_id"] == pos.as_str())
        .collect();
    assert_eq!(mine.len(), 8, "the nightly run made none twice");
    let today = &mine[0];
    assert_eq!(today["period"], "2027-01-04");
    assert_eq!(today["due_at"], "2027-01-04T23:59:59+08:00");
    assert_eq!(today["overdue"], false);
    assert_eq!(today["cadence"], "daily");
    assert_eq!(today["position"], "值班主管");
    let id = today["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/duties/{id}/complete");

    // Someone else's, unknown, bad deliverables.
    let other = app.login("agent2").await;
    let r = app
        .post(&format!("/api/v1/duties/{id}/complete"), &other, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.error_code(), "not_your_duty");
    let r = app
        .post("/api/v1/duties/nope/complete", &agent, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(r.error_code(), "unknown_duty");
    for bad in [
        json!({"deliverable": {"kind": "file", "ref": "x"}}),
        json!({"deliverable": {"kind": "log", "ref": "work-log/2027-01-04"}}),
        json!({"deliverable": {"kind": "log", "ref": "duty-log/2027-01-04/a"}}),
        json!({"deliverable": {"kind": "log", "ref": "diary"}}),
        json!({"deliverable": {"kind": "link", "ref": "javascript:alert(1)"}}),
        json!({"deliverable": {"kind": "report", "ref": "//evil.example.com"}}),
    ] {
        let r = app.post(&path, &agent, bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), "invalid_deliverable", "{bad}");
        assert_eq!(r.json()["error"]["field"], "deliverable");
    }
    let r = app
        .post(&path, &agent, json!({"note": "x".repeat(2001)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_note");
    let r = app
        .post(&path, &agent, json!({"deliverable": {"kind": "log"}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        app.get("/api/v1/duties/mine?status=done", &agent)
            .await
            .json()["items"],
        json!([]),
        "nothing refused was completed"
    );

    // The work log written, the task completed with it.
    let r = app
        .api(
            axum::http::Method::PUT,
            "/api/v1/work-logs/2027-01-04",
            Some(&agent),
            Some(json!({"text": "值班正常"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body =
        json!({"deliverable": {"kind": "log", "ref": "work-log/2027-01-04"}, "note": " 已写 "});
    let r = app.post(&path, &agent, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let done = r.json();
    assert_eq!(done["status"], "done");
    assert_eq!(done["overdue"], false);
    assert_eq!(done["note"], "已写");
    assert_eq!(
        done["deliverable"],
        json!({"kind": "log", "ref": "work-log/2027-01-04", "href": "/work-log?day=2027-01-04"})
    );
    assert_eq!(done["done_at"], "2027-01-04T08:00:00+08:00");
    let r = app.post(&path, &agent, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "duty_already_done");
    let done_list = app
        .get("/api/v1/duties/mine?status=done", &agent)
        .await
        .json();
    assert_eq!(done_list["items"][0]["id"], id.as_str());
    // A link needs no checking beyond its shape.
    let second = mine[1]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/duties/{second}/complete"),
            &agent,
            json!({"deliverable": {"kind": "link", "ref": "https://intranet.example.com/r/1"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // At midnight on 7 January the 6th's task is overdue; the 4th's and 5th's are done.
    app.advance(&manager, 2 * 86_400 + 16 * 3600).await;
    let agent = app.login("agent1").await;
    let overdue: Vec<Value> = all(&app, &agent, "/api/v1/duties/mine?status=overdue")
        .await
        .into_iter()
        .filter(|t| t["position_id"] == pos.as_str())
        .collect();
    assert_eq!(
        overdue
            .iter()
            .map(|t| t["period"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2027-01-06"]
    );
    assert_eq!(overdue[0]["overdue"], true);
    let agent_id = app.user_id("agent1").await;
    let r = app.get("/api/v1/duties?status=overdue", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let lead = app.login("lead").await;
    let theirs = all(
        &app,
        &lead,
        &format!("/api/v1/duties?status=overdue&user={agent_id}"),
    )
    .await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["user_name"], overdue[0]["user_name"]);
    let r = app.get("/api/v1/duties?status=late", &lead).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_status");
    let everyone = all(&app, &lead, "/api/v1/duties?status=overdue").await;
    assert!(everyone.iter().any(|t| t["id"] == theirs[0]["id"]));
    let board = app.get("/api/v1/wallboard", &lead).await.json();
    assert_eq!(board["duties"]["overdue"], everyone.len() as i64);
    app.cleanup().await;
}
