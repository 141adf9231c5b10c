//! Shift operations over the API on the demo center (handbook document 10: four agents,
//! shifts a 09:00–17:00, b 12:00–20:00, c 20:00–22:00 on call, 09:00–24:00 every day):
//! settings and templates with named bad fields, a generated three-week roster that covers
//! every interval the shifts can cover and reports the rest, hand edits checked against
//! the rules, publishing, one's own schedule and who is on shift now, swaps that both
//! agree to and the lead approves (refused when they would uncover the requirement), leave
//! with approval, the on-duty roster, the Erlang C calculator, and who may do what.

use crate::common::{Reply, TestApp};
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// Monday 2026-12-07 10:00 in the center's time.
fn start() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

fn code(r: &Reply) -> (StatusCode, String) {
    (r.status, r.error_code())
}

/// The cell of `staff` on `date` in a roster detail: the template code or None.
fn cell(roster: &Value, staff: &str, date: &str) -> Option<String> {
    roster["grid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["staff_id"] == staff)
        .and_then(|g| {
            g["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["date"] == date)
        })
        .and_then(|c| c["code"].as_str().map(str::to_string))
}

/// (scheduled, required) summed over the day for `date` in the first queue, and the
/// intervals from 09:00 to 22:00 left short.
fn day_coverage(roster: &Value, date: &str) -> (u64, u64, Vec<String>) {
    let d = roster["dates"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x["date"] == date)
        .unwrap();
    let (mut have, mut need, mut short) = (0, 0, Vec::new());
    for row in roster["coverage"][0]["rows"].as_array().unwrap() {
        let h = row["scheduled"][d].as_u64().unwrap();
        let n = row["required"][d].as_u64().unwrap();
        have += h.min(n);
        need += n;
        let time = row["time"].as_str().unwrap().to_string();
        if h < n && time.as_str() >= "09:00" && time.as_str() < "22:00" {
            short.push(time);
        }
    }
    (have, need, short)
}

pub async fn roster_swaps_leave_and_duty(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    kefu_demo::load_demo_schedule(&app.db.db, start())
        .await
        .expect("demo schedule");
    let lead = app.login("lead").await;
    let agent1 = app.login("agent1").await;
    let agent2 = app.login("agent2").await;
    let agent3 = app.login("agent3").await;
    let [a1, a2, a3, a4] = [
        app.user_id("agent1").await,
        app.user_id("agent2").await,
        app.user_id("agent3").await,
        app.user_id("agent4").await,
    ];

    // Settings: bad fields are named; agents may read but not change them.
    let mut settings = app.get("/api/v1/schedule/settings", &agent1).await.json();
    assert_eq!(settings["coverage"][0]["start_minute"], 540);
    settings["interval_minutes"] = json!(20);
    let r = put(&app, "/api/v1/schedule/settings", &lead, settings.clone()).await;
    assert_eq!(
        code(&r),
        (StatusCode::UNPROCESSABLE_ENTITY, "schedule.invalid".into())
    );
    assert!(r.text().contains("interval_minutes"), "{}", r.text());
    settings["interval_minutes"] = json!(30);
    settings["solver_seconds"] = json!(1);
    let r = put(&app, "/api/v1/schedule/settings", &agent1, settings.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = put(&app, "/api/v1/schedule/settings", &lead, settings).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .post(
            "/api/v1/schedule/settings",
            &lead,
            json!({"interval_minutes": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);

    // Templates: a duplicate code conflicts, a bad color is named.
    let templates = app.get("/api/v1/schedule/templates", &agent1).await.json();
    assert_eq!(templates.as_array().unwrap().len(), 3);
    let bad = json!({"code": "a", "name": "重复", "start_minute": 600, "length_minutes": 480, "color": "#ffffff"});
    let r = app.post("/api/v1/schedule/templates", &lead, bad).await;
    assert_eq!(
        code(&r),
        (StatusCode::CONFLICT, "schedule.template_code_taken".into())
    );
    let bad = json!({"code": "d", "name": "夜班", "start_minute": 600, "length_minutes": 480, "color": "red"});
    let r = app.post("/api/v1/schedule/templates", &lead, bad).await;
    assert_eq!(
        code(&r),
        (StatusCode::UNPROCESSABLE_ENTITY, "schedule.invalid".into())
    );
    let extra = json!({"code": "d", "name": "夜班", "start_minute": 600, "length_minutes": 480, "color": "#ffffff", "unknown": 1});
    let r = app.post("/api/v1/schedule/templates", &lead, extra).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields refused"
    );

    // agent4 may not work the on-call shift.
    let mut rules = app.get("/api/v1/schedule/agents", &lead).await.json()[3]["rules"].clone();
    rules["templates"] = json!(["a", "b"]);
    let r = put(&app, &format!("/api/v1/schedule/agents/{a4}"), &lead, rules).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

    // Generate three weeks: agents may not.
    let gen = json!({"start_date": "2026-12-07", "days": 21, "seed": 7});
    let r = app
        .post("/api/v1/schedule/rosters", &agent1, gen.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/schedule/rosters",
            &lead,
            json!({"start_date": "2026-12-07", "days": 0}),
        )
        .await;
    assert_eq!(
        code(&r),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "schedule.invalid_days".into()
        )
    );
    let r = app.post("/api/v1/schedule/rosters", &lead, gen).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/schedule/rosters/{id}");
    assert_eq!(
        app.get(&path, &agent1).await.status,
        StatusCode::FORBIDDEN,
        "a draft is the lead's"
    );
    let roster = app.get(&path, &lead).await.json();
    assert_eq!(roster["status"], "draft");
    assert_eq!(roster["grid"].as_array().unwrap().len(), 4);
    assert_eq!(roster["violations"], json!([]));
    // Every interval from 09:00 to 22:00 is covered on every day; 22:00–24:00 cannot be
    // and is reported as such, and that is all that is uncovered (the lower bound).
    for d in roster["dates"].as_array().unwrap() {
        let (_, _, short) = day_coverage(&roster, d["date"].as_str().unwrap());
        assert!(short.is_empty(), "{} short at {short:?}", d["date"]);
    }
    let uncoverable = roster["report"]["uncoverable"].as_array().unwrap();
    assert_eq!(
        uncoverable.len(),
        21 * 4,
        "22:00, 22:30, 23:00, 23:30 on 21 days"
    );
    assert!(uncoverable
        .iter()
        .all(|g| g["time"].as_str().unwrap() >= "22:00"));
    assert_eq!(roster["score"]["uncovered"], 84);
    assert_eq!(roster["report"]["lower_bound_uncovered"], 84);
    assert!(
        roster["report"]["threads"].as_u64().unwrap() >= 1,
        "the report says how many searches ran: {}",
        roster["report"]
    );
    // agent4 never got the on-call shift; shifts are spread over the four.
    for g in roster["grid"].as_array().unwrap() {
        let codes: Vec<&str> = g["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["code"].as_str())
            .collect();
        assert!(
            (4..=6 * 3).contains(&codes.len()),
            "{}: {codes:?}",
            g["name"]
        );
        if g["staff_id"] == a4.as_str() {
            assert!(!codes.contains(&"c"));
        }
    }

    // Hand edits: a broken rule is refused by name; a day off is taken and locked.
    let r = put(
        &app,
        &format!("{path}/cells"),
        &lead,
        json!({"staff_id": a4, "date": "2026-12-08", "template": "c"}),
    )
    .await;
    assert_eq!(
        code(&r),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "schedule.rule_broken".into()
        )
    );
    let r = put(
        &app,
        &format!("{path}/cells"),
        &lead,
        json!({"staff_id": a4, "date": "2027-01-08", "template": "a"}),
    )
    .await;
    assert_eq!(
        code(&r),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "schedule.outside_period".into()
        )
    );
    let worker = roster["grid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["cells"][20]["code"].is_string())
        .unwrap()["staff_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = put(
        &app,
        &format!("{path}/cells"),
        &lead,
        json!({"staff_id": worker, "date": "2026-12-27", "template": null}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let edited = r.json();
    assert!(
        edited["score"]["uncovered"].as_u64().unwrap() > 84,
        "the gap shows"
    );
    assert!(!day_coverage(&edited, "2026-12-27").2.is_empty());
    let r = put(
        &app,
        &format!("{path}/cells"),
        &lead,
        json!({"staff_id": worker, "date": "2026-12-27", "template": roster["grid"].as_array().unwrap().iter().find(|g| g["staff_id"] == worker.as_str()).unwrap()["cells"][20]["code"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["score"]["uncovered"], 84);

    // Publish; a second roster over the same days cannot be published too.
    let r = app.post(&format!("{path}/publish"), &lead, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .post(
            "/api/v1/schedule/rosters",
            &lead,
            json!({"start_date": "2026-12-14", "days": 7}),
        )
        .await;
    let other = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/schedule/rosters/{other}/publish"),
            &lead,
            json!({}),
        )
        .await;
    assert_eq!(code(&r), (StatusCode::CONFLICT, "schedule.overlap".into()));
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/schedule/rosters/{other}"),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let roster = app.get(&path, &agent1).await.json();
    assert_eq!(roster["status"], "published");
    let r = app.get(&format!("{path}/xlsx"), &agent1).await;
    assert_eq!(r.status, StatusCode::OK);
    // Read back: one row per agent with the grid's shift codes, day by day.
    let mut wb: calamine::Xlsx<_> =
        calamine::Reader::new(std::io::Cursor::new(r.body.clone())).expect("a real workbook");
    let first = calamine::Reader::sheet_names(&wb)[0].clone();
    let sheet = calamine::Reader::worksheet_range(&mut wb, &first).unwrap();
    let read = |y: usize, x: usize| -> String {
        sheet.get((y, x)).map(|c| c.to_string()).unwrap_or_default()
    };
    let grid = roster["grid"].as_array().unwrap();
    assert!(!grid.is_empty());
    for (i, g) in grid.iter().enumerate() {
        assert_eq!(read(4 + i, 0), g["name"].as_str().unwrap());
        for (d, c) in g["cells"].as_array().unwrap().iter().enumerate() {
            assert_eq!(
                read(4 + i, 1 + d),
                c["code"].as_str().unwrap_or(""),
                "{} day {d}",
                g["name"]
            );
        }
    }

    // One's own schedule, and who is on shift now (Monday 10:00: shift a).
    let mine = app
        .get("/api/v1/schedule/mine?days=21", &agent1)
        .await
        .json();
    let mine_days: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    let grid_days: Vec<String> = roster["grid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["staff_id"] == a1.as_str())
        .unwrap()["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"].is_string())
        .map(|c| c["date"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(mine_days, grid_days);
    let now = app.get("/api/v1/schedule/now", &agent3).await.json();
    let on: Vec<&Value> = now["on_shift"].as_array().unwrap().iter().collect();
    assert_eq!(on.len(), 1, "{now}");
    assert_eq!(
        cell(&roster, on[0]["staff_id"].as_str().unwrap(), "2026-12-07").as_deref(),
        Some("a")
    );
    assert_eq!(now["on_duty"][0]["phone"], "400-800-1234");

    // A swap: the requester's shift for the colleague's shift in the same week, each off
    // on the other's day. The lead's approval is refused when it would break a rule
    // (rest, consecutive days, weekly hours) for either; the first candidate that keeps
    // every rule is approved.
    let dates: Vec<String> = roster["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_string())
        .collect();
    let people = [(&a1, &agent1), (&a2, &agent2), (&a3, &agent3)];
    let mut candidates = Vec::new();
    for (i, d1) in dates.iter().enumerate().skip(1) {
        for (j, d2) in dates.iter().enumerate() {
            if i / 7 != j / 7 || i == j {
                continue;
            }
            for (g, gt) in people {
                for (t, tt) in people {
                    if g != t
                        && cell(&roster, g, d1).is_some()
                        && cell(&roster, t, d1).is_none()
                        && cell(&roster, t, d2).is_some()
                        && cell(&roster, g, d2).is_none()
                    {
                        candidates.push((
                            g.clone(),
                            gt.clone(),
                            t.clone(),
                            tt.clone(),
                            d1.clone(),
                            d2.clone(),
                        ));
                    }
                }
            }
        }
    }
    assert!(!candidates.is_empty(), "two shifts to exchange");
    let r = app
        .post(
            "/api/v1/schedule/swaps",
            &agent1,
            json!({"date": "2026-12-06", "counterpart_id": a2, "reason": "家里有事"}),
        )
        .await;
    assert_eq!(
        code(&r),
        (StatusCode::UNPROCESSABLE_ENTITY, "schedule.no_shift".into())
    );
    let mut approved = None;
    for (n, (g, g_token, t, t_token, d1, d2)) in candidates.into_iter().take(12).enumerate() {
        let r = app
            .post(
                "/api/v1/schedule/swaps",
                &g_token,
                json!({"date": d1, "counterpart_id": t, "counterpart_date": d2, "reason": "家里有事"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let steps = format!(
            "/api/v1/schedule/swaps/{}/steps",
            r.json()["id"].as_str().unwrap()
        );
        if n == 0 {
            let r = app.post(&steps, &lead, json!({"step": "approve"})).await;
            assert_eq!(
                code(&r),
                (StatusCode::CONFLICT, "schedule.request_moved_on".into()),
                "the colleague agrees first"
            );
            let r = app.post(&steps, &g_token, json!({"step": "accept"})).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "only the colleague accepts"
            );
        }
        let r = app
            .post(
                &steps,
                &t_token,
                json!({"step": "accept", "note": "我来顶班"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            r.json()["accepted_at"].is_string(),
            "the agreement is evidence"
        );
        assert_eq!(r.json()["accept_note"], "我来顶班");
        if n == 0 {
            let r = app.post(&steps, &t_token, json!({"step": "approve"})).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        let r = app.post(&steps, &lead, json!({"step": "approve"})).await;
        if r.status == StatusCode::OK {
            assert_eq!(r.json()["status"], "approved");
            approved = Some((g, t, d1, d2));
            break;
        }
        assert_eq!(
            code(&r),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "schedule.rule_broken".into()
            )
        );
        let r = app.post(&steps, &lead, json!({"step": "reject"})).await;
        assert_eq!(r.json()["status"], "rejected");
    }
    let (giver_id, taker, day, back_day) = approved.expect("one exchange keeps every rule");
    let after = app.get(&path, &lead).await.json();
    assert_eq!(cell(&after, &taker, &day), cell(&roster, &giver_id, &day));
    assert_eq!(cell(&after, &giver_id, &day), None);
    assert_eq!(
        cell(&after, &giver_id, &back_day),
        cell(&roster, &taker, &back_day)
    );
    assert_eq!(cell(&after, &taker, &back_day), None);
    assert_eq!(after["score"]["uncovered"], 84, "coverage unchanged");

    // A colleague who works that day cannot take another shift without leaving a gap.
    let (g2, t2, d2) = {
        let mut found = None;
        'outer2: for d in after["dates"].as_array().unwrap().iter().skip(1) {
            let d = d["date"].as_str().unwrap();
            for g in [&a1, &a2, &a3] {
                for t in [&a1, &a2, &a3] {
                    if g != t
                        && cell(&after, g, d).as_deref() == Some("a")
                        && cell(&after, t, d).as_deref() == Some("b")
                    {
                        found = Some((g.clone(), t.clone(), d.to_string()));
                        break 'outer2;
                    }
                }
            }
        }
        found.expect("a and b on the same day")
    };
    let g2_token = app.login(&username_of(&app, &g2).await).await;
    let t2_token = app.login(&username_of(&app, &t2).await).await;
    let r = app
        .post(
            "/api/v1/schedule/swaps",
            &g2_token,
            json!({"date": d2, "counterpart_id": t2, "reason": "看病"}),
        )
        .await;
    let swap2 = r.json()["id"].as_str().unwrap().to_string();
    let steps2 = format!("/api/v1/schedule/swaps/{swap2}/steps");
    assert_eq!(
        app.post(&steps2, &t2_token, json!({"step": "accept"}))
            .await
            .status,
        StatusCode::OK
    );
    let r = app.post(&steps2, &lead, json!({"step": "approve"})).await;
    assert_eq!(
        code(&r),
        (StatusCode::CONFLICT, "schedule.swap_uncovers".into()),
        "{}",
        r.text()
    );
    assert_eq!(
        app.get(&path, &lead).await.json()["score"]["uncovered"],
        84,
        "nothing moved"
    );
    let r = app
        .post(
            &steps2,
            &lead,
            json!({"step": "reject", "note": "当天人手不足"}),
        )
        .await;
    assert_eq!(r.json()["status"], "rejected");

    // Leave: bad dates are named; the agent cannot approve; approval takes the shifts off.
    let r = app
        .post(
            "/api/v1/schedule/leave",
            &agent3,
            json!({"kind": "sick", "start_date": "2026-12-20", "end_date": "2026-12-19", "reason": "发烧"}),
        )
        .await;
    assert_eq!(
        code(&r),
        (StatusCode::UNPROCESSABLE_ENTITY, "schedule.invalid".into())
    );
    let leave_day = after["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_string())
        .find(|d| cell(&after, &a3, d).is_some() && d.as_str() > "2026-12-08")
        .unwrap();
    let r = app
        .post(
            "/api/v1/schedule/leave",
            &agent3,
            json!({"kind": "sick", "start_date": leave_day, "end_date": leave_day, "reason": "发烧"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let leave = r.json()["id"].as_str().unwrap().to_string();
    let decide = format!("/api/v1/schedule/leave/{leave}/decision");
    let r = app.post(&decide, &agent3, json!({"approve": true})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mine = app.get("/api/v1/schedule/leave", &agent1).await.json();
    assert_eq!(mine, json!([]), "agents see only their own requests");
    let r = app
        .post(&decide, &lead, json!({"approve": true, "note": "好好休息"}))
        .await;
    assert_eq!(r.json()["status"], "approved");
    let r = app.post(&decide, &lead, json!({"approve": false})).await;
    assert_eq!(
        code(&r),
        (StatusCode::CONFLICT, "schedule.request_moved_on".into())
    );
    let with_leave = app.get(&path, &lead).await.json();
    assert_eq!(cell(&with_leave, &a3, &leave_day), None);
    assert!(
        with_leave["score"]["uncovered"].as_u64().unwrap() > 84,
        "the gap shows to the lead"
    );

    // The on-duty roster.
    let r = app
        .post(
            "/api/v1/schedule/duty",
            &lead,
            json!({"date": "2026-12-31", "kind": "holiday", "staff_id": a2, "phone": "not a phone"}),
        )
        .await;
    assert_eq!(
        code(&r),
        (StatusCode::UNPROCESSABLE_ENTITY, "schedule.invalid".into())
    );
    let duty =
        json!({"date": "2026-12-31", "kind": "holiday", "staff_id": a2, "phone": "138 0013 8000"});
    let r = app
        .post("/api/v1/schedule/duty", &agent1, duty.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post("/api/v1/schedule/duty", &lead, duty.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post("/api/v1/schedule/duty", &lead, duty).await;
    assert_eq!(
        code(&r),
        (StatusCode::CONFLICT, "schedule.duty_taken".into())
    );
    let list = app
        .get(
            "/api/v1/schedule/duty?from=2026-12-31&to=2026-12-31",
            &agent1,
        )
        .await
        .json();
    assert_eq!(list[0]["name"], "刘洋");

    // The Erlang C calculator: 100 calls in 30 min at 180 s is 10 erlangs; 80 % in 20 s
    // takes 14 on the phone, 20 scheduled with 30 % shrinkage (published values).
    let r = app
        .post(
            "/api/v1/schedule/staffing",
            &agent1,
            json!({"calls": 100.0, "interval_minutes": 30, "aht_seconds": 180.0, "service_level": 0.8, "answer_seconds": 20.0, "shrinkage": 0.3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (
            v["agents_on_phone"].as_u64(),
            v["agents_scheduled"].as_u64()
        ),
        (Some(14), Some(20))
    );
    let r = app
        .post(
            "/api/v1/schedule/staffing",
            &agent1,
            json!({"calls": 100.0, "interval_minutes": 30, "aht_seconds": 180.0, "service_level": 2.0, "answer_seconds": 20.0}),
        )
        .await;
    assert_eq!(
        code(&r),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "schedule.invalid_traffic".into()
        )
    );
    let f = app
        .get(
            "/api/v1/schedule/forecast?start_date=2026-12-14&days=7",
            &lead,
        )
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text());
    assert_eq!(
        f.json()["queues"][0]["required"].as_array().unwrap().len(),
        7
    );
    assert_eq!(
        app.get(
            "/api/v1/schedule/forecast?start_date=2026-12-14&days=7",
            &agent1
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}

async fn username_of(app: &TestApp, id: &str) -> String {
    app.db.db.get_user(id).await.unwrap().username
}

/// The forecast follows the center's own calls (a weekday's profile over the last weeks)
/// and the planner's adjustments for known events; a bad adjustment is refused by field.
pub async fn forecast_follows_history_and_adjustments(backend: TestBackend) {
    use kefu_domain::call::{CallEvent, CallEventKind};
    let app = TestApp::starting_at(backend, start()).await;
    kefu_demo::load_demo_schedule(&app.db.db, start())
        .await
        .expect("demo schedule");
    let lead = app.login("lead").await;
    // Four calls on Monday 2026-11-30 between 10:00 and 10:30, the week before.
    let monday = start() - chrono::Duration::days(7);
    for n in 0..4 {
        let at = monday + chrono::Duration::minutes(5 * n);
        let event = CallEvent {
            kind: CallEventKind::Offered,
            at,
            caller: None,
            ivr_key: None,
            queue: Some("咨询".into()),
            agent: None,
            duration_s: None,
            hangup_side: None,
        };
        app.db
            .db
            .apply_call_event(&format!("cti-forecast-{n}"), &event, "{}", at)
            .await
            .unwrap();
    }
    let forecast = || async {
        let r = app
            .get(
                "/api/v1/schedule/forecast?start_date=2026-12-14&days=2",
                &lead,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["queues"][0]["volume"].clone()
    };
    // 10:00–10:30 is interval 20 of 48.
    let before = forecast().await;
    let monday_10 = before[0][20].as_f64().unwrap();
    assert!(monday_10 > 0.0, "Mondays at 10:00 have calls: {monday_10}");
    assert_eq!(before[1][20].as_f64(), Some(0.0), "Tuesdays had none");

    let mut settings = app.get("/api/v1/schedule/settings", &lead).await.json();
    settings["adjustments"] = json!([{"date": "2026-12-14", "queue": "*", "start_minute": 600, "end_minute": 630, "factor": 2.0}]);
    let r = put(&app, "/api/v1/schedule/settings", &lead, settings.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["adjustments"][0]["factor"], 2.0);
    let after = forecast().await;
    let doubled = after[0][20].as_f64().unwrap();
    assert!(
        (doubled - 2.0 * monday_10).abs() < 1e-9,
        "{doubled} = 2 × {monday_10}"
    );
    assert_eq!(after[0][19], before[0][19], "outside the period: unchanged");

    settings["adjustments"][0]["start_minute"] = json!(605);
    let r = put(&app, "/api/v1/schedule/settings", &lead, settings).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("adjustments"), "{}", r.text());
    app.cleanup().await;
}
