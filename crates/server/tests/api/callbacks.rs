//! Callbacks through the API on the simulated clock: the tier plans over a quarter create
//! exactly the expected tasks, care callbacks fall on the holidays, a restart creates no
//! duplicates; attempts and the retry policy; the 48-hour watch; the complaint loop
//! through the callback queue; permissions, masking and bad input.

use crate::common::{local, TestApp};
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Every open task of a queue tab, through the pages.
async fn all(app: &TestApp, token: &str, tab: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(
                &format!("/api/v1/callbacks?tab={tab}&limit=200&cursor={cursor}"),
                token,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let j = r.json();
        out.extend(j["items"].as_array().unwrap().iter().cloned());
        match j["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

/// Demo customers of a tier that are not lost.
async fn customers_of(app: &TestApp, token: &str, tier: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let mut path = format!("/api/v1/customers?tier={tier}&limit=200");
        if !cursor.is_empty() {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let j = r.json();
        for c in j["items"].as_array().unwrap() {
            if c["status"] != "lost" {
                out.insert(c["id"].as_str().unwrap().to_string());
            }
        }
        match j["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

/// The test: VIP monthly and A quarterly over a simulated quarter, holiday care
/// on the right dates, and no duplicates after a restart.
pub async fn tier_plans_over_a_quarter(backend: TestBackend) {
    let app = TestApp::starting_at(backend, local(2027, 1, 1, 0, 40)).await;
    let manager = app.login("manager").await;
    let vip = customers_of(&app, &manager, "VIP").await;
    let a = customers_of(&app, &manager, "A").await;
    assert!(
        !vip.is_empty() && !a.is_empty(),
        "the demo has VIP and A customers"
    );
    // One customer's contract expires on 20 February: a renewal reminder 30 days before.
    let renew = a.iter().next().unwrap().clone();
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/customers/{renew}/expires_on"),
            Some(&manager),
            Some(json!({"expires_on": "2027-02-20"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

    kefu_server::jobs::schedule_callback_jobs(&app.state)
        .await
        .unwrap();
    // Day by day through the quarter (00:40, after each day's 00:30 run) up to 31 March;
    // a server restart (the chains scheduled again, the generation run again by hand) in
    // the middle.
    for day in 0..90 {
        let token = app.login("manager").await;
        app.advance(&token, if day == 0 { 0 } else { 24 * 3600 })
            .await;
        if day == 45 {
            let token = app.login("manager").await;
            kefu_server::jobs::schedule_callback_jobs(&app.state)
                .await
                .unwrap();
            let r = app
                .post("/api/v1/callbacks/generate", &token, json!({}))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert_eq!(
                r.json(),
                json!({"periodic": 0, "care": 0, "renewal": 0}),
                "nothing new"
            );
        }
    }
    let manager = app.login("manager").await;
    let periodic = all(&app, &manager, "periodic").await;
    let mut per: BTreeMap<(String, String), usize> = BTreeMap::new();
    for t in &periodic {
        let key = (
            t["customer"]["id"].as_str().unwrap().to_string(),
            t["period"].as_str().unwrap().to_string(),
        );
        *per.entry(key).or_default() += 1;
    }
    assert!(
        per.values().all(|n| *n == 1),
        "one task per customer and period"
    );
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for c in &vip {
        for m in ["2027-01", "2027-02", "2027-03"] {
            expected.insert((c.clone(), m.into()));
        }
    }
    for c in &a {
        expected.insert((c.clone(), "2027-Q1".into()));
    }
    let got: BTreeSet<(String, String)> = per.into_keys().collect();
    assert_eq!(
        got, expected,
        "VIP monthly × 3, A quarterly × 1, nothing else"
    );

    // Care: each VIP on 元旦 (1 Jan), 春节 (5 Feb) and 清明 (3 Apr, three days ahead).
    let care = all(&app, &manager, "care").await;
    let dates: BTreeSet<&str> = care.iter().map(|t| t["period"].as_str().unwrap()).collect();
    assert_eq!(
        dates,
        BTreeSet::from(["2027-01-01", "2027-02-05", "2027-04-03"])
    );
    assert_eq!(care.len(), vip.len() * 3);
    assert!(care
        .iter()
        .any(|t| t["due_at"] == "2027-02-05T09:00:00+08:00"));
    let renewal = all(&app, &manager, "renewal").await;
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0]["customer"]["id"], renew.as_str());
    assert_eq!(renewal[0]["due_at"], "2027-01-21T09:00:00+08:00");
    let total = app.state.db().count_all_callback_tasks().await.unwrap() as usize;
    assert_eq!(total, expected.len() + care.len() + 1);
    app.cleanup().await;
}

async fn first_customer(app: &TestApp, token: &str) -> String {
    app.any_customer(token).await
}

/// Attempts through the API: retry policy, later, done with the record; masking; the
/// watch raising what goes 48 hours without a follow-up; bad input named.
pub async fn attempts_watch_and_bad_input(backend: TestBackend) {
    let start = local(2026, 11, 2, 9, 0);
    let app = TestApp::starting_at(backend, start).await;
    let lead = app.login("lead").await;
    let customer = first_customer(&app, &lead).await;
    let callback1 = app.user_id("callback1").await;
    let create =
        |title: &str| json!({"customer_id": customer, "title": title, "assignee_id": callback1});
    let r = app.post("/api/v1/callbacks", &lead, create("回访一")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let one = r.json()["id"].as_str().unwrap().to_string();
    let two = app
        .post("/api/v1/callbacks", &lead, create("回访二"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent = app.login("callback1").await;
    // The callback agent may work but not create tasks.
    let r = app.post("/api/v1/callbacks", &agent, create("x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An ordinary agent may not see the queue.
    let agent1 = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/callbacks", &agent1).await.status,
        StatusCode::FORBIDDEN
    );

    let r = app.get(&format!("/api/v1/callbacks/{one}"), &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    assert_eq!(d["phone_masked"], true);
    if let Some(p) = d["phone"].as_str() {
        assert!(p.contains("****"), "masked: {p}");
    }
    let script = d["script"]["text"].as_str().unwrap();
    assert!(
        !script.contains("{客户姓名}") && !script.contains("{工号}"),
        "{script}"
    );
    assert!(
        script.contains(d["customer"]["name"].as_str().unwrap()),
        "{script}"
    );

    let attempt = |id: &str, body: Value| {
        let path = format!("/api/v1/callbacks/{id}/attempts");
        let token = agent.clone();
        let app = &app;
        async move { app.post(&path, &token, body).await }
    };
    let r = attempt(&one, json!({"result": "nope"})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_result".into())
    );
    assert_eq!(r.json()["error"]["field"], "result");
    let r = attempt(&one, json!({"result": "later"})).await;
    assert_eq!(r.json()["error"]["field"], "later_at");
    let r = attempt(
        &one,
        json!({"result": "done", "outcome": "satisfied", "contact_phone": "12"}),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("contact_phone"))
    );
    let r = attempt(
        &one,
        json!({"result": "done", "outcome": "satisfied", "fee": "12.345"}),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "fee");
    let r = attempt(&one, json!({"result": "unreachable"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["next_at"], "2026-11-02T11:00:00+08:00");
    let r = attempt(
        &one,
        json!({"result": "later", "later_at": "2026-11-03T15:30"}),
    )
    .await;
    assert_eq!(r.json()["next_at"], "2026-11-03T15:30:00+08:00");

    // 47 hours on, task two (no attempt since it fell due) is raised; one is not (its
    // follow-up runs from the agreed time).
    kefu_server::jobs::schedule_callback_jobs(&app.state)
        .await
        .unwrap();
    let token = app.login("lead").await;
    app.advance(&token, 47 * 3600).await;
    let lead = app.login("lead").await;
    let overdue = all(&app, &lead, "overdue").await;
    let ids: Vec<&str> = overdue.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![two.as_str()]);
    let n = app.get("/api/v1/notifications", &lead).await.json();
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "callback_raised"),
        "the lead (callback.manage) is told: {n}"
    );
    let agent = app.login("callback1").await;
    let r = app
        .post(
            &format!("/api/v1/callbacks/{two}/attempts"),
            &agent,
            json!({"result": "done", "outcome": "satisfied", "notes": "已解决",
                   "contact_name": "王女士", "contact_gender": "female",
                   "opinions": "服务很好", "suggestions": "无"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "done");
    let d = app
        .get(&format!("/api/v1/callbacks/{two}"), &agent)
        .await
        .json();
    assert_eq!(d["record"]["contact_name"], "王女士");
    assert_eq!(d["attempts_list"].as_array().unwrap().len(), 1);
    assert!(
        all(&app, &lead, "overdue").await.is_empty(),
        "the attempt cleared it"
    );
    let r = app
        .post(
            &format!("/api/v1/callbacks/{two}/attempts"),
            &agent,
            json!({"result": "busy"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "callback_closed".into())
    );
    // The reads were audited.
    let audit = app
        .get(
            "/api/v1/audit?action=callback.view",
            &app.login("manager").await,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text());
    assert!(!audit.json()["items"].as_array().unwrap().is_empty());
    app.cleanup().await;
}

/// A complaint's callback through the callback queue: handling creates the task,
/// recording its outcome closes the complaint or opens its next round.
pub async fn complaint_callbacks_drive_the_loop(backend: TestBackend) {
    let app = TestApp::starting_at(backend, local(2026, 11, 2, 9, 30)).await;
    let agent = app.login("agent1").await;
    let form = json!({
        "complainant": "王芳", "phone": "138 0013 8000",
        "cause": "订单三天未送达", "desired_outcome": "补发", "severity": "general"
    });
    let id = crate::complaints::register(&app, &agent, form).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let handling = json!({"analysis": "分拣错误", "corrective_action": "补发", "cause_id": "cause-logistics-late"});
    let r = app
        .post(
            &format!("/api/v1/complaints/{id}/handling"),
            &agent,
            handling.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let cb = app.login("callback1").await;
    let tasks = all(&app, &cb, "complaint").await;
    assert_eq!(tasks.len(), 1);
    let task = tasks[0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/callbacks/{task}/attempts"),
            &cb,
            json!({"result": "done", "outcome": "declined"}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "outcome");
    let r = app
        .post(
            &format!("/api/v1/callbacks/{task}/attempts"),
            &cb,
            json!({"result": "done", "outcome": "dissatisfied", "notes": "仍未收到"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["complaint"], "new_round");
    let c = app
        .get(&format!("/api/v1/complaints/{id}"), &agent)
        .await
        .json();
    assert_eq!(
        (c["stage"].as_str(), c["round"].as_i64()),
        (Some("handling"), Some(2))
    );
    let r = app
        .post(
            &format!("/api/v1/complaints/{id}/handling"),
            &agent,
            handling,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let tasks = all(&app, &cb, "complaint").await;
    assert_eq!(tasks.len(), 1, "round 2's task");
    let task = tasks[0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/callbacks/{task}/attempts"),
            &cb,
            json!({"result": "done", "outcome": "satisfied"}),
        )
        .await;
    assert_eq!(r.json()["complaint"], "closed");
    let c = app
        .get(&format!("/api/v1/complaints/{id}"), &agent)
        .await
        .json();
    assert_eq!(c["stage"], "closed");
    app.cleanup().await;
}

/// Plans and the policy: edits by callback.manage, bad input named.
pub async fn plans_and_settings(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let plans = app.get("/api/v1/callbacks/plans", &lead).await.json();
    assert!(plans
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "plan-vip-monthly" && p["period"] == "month"));
    let r = app
        .post(
            "/api/v1/callbacks/plans",
            &lead,
            json!({"kind": "periodic", "name": "B 类半年回访", "tier": "B", "period": "fortnight"}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "period");
    let r = app
        .post(
            "/api/v1/callbacks/plans",
            &lead,
            json!({"kind": "care", "name": "生日关怀", "special_dates": "13-40"}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "special_dates");
    let r = app
        .post("/api/v1/callbacks/plans", &lead,
              json!({"kind": "care", "name": "店庆关怀", "special_dates": "09-28, 12-25", "lead_days": 2}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let s = app.get("/api/v1/callbacks/settings", &lead).await.json();
    assert_eq!(s["follow_up_hours"], 48);
    let mut bad = s.clone();
    bad["follow_up_hours"] = json!(0);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/callbacks/settings",
            Some(&lead),
            Some(bad),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "follow_up_hours");
    let mut good = s.clone();
    good["follow_up_hours"] = json!(24);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/callbacks/settings",
            Some(&lead),
            Some(good),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        app.get("/api/v1/callbacks/settings", &lead).await.json()["follow_up_hours"],
        24
    );
    let agent = app.login("callback1").await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/callbacks/settings",
            Some(&agent),
            Some(s),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A pre-sale list: one known mobile, one new prospect, one bad row; twice is once.
    let csv = "姓名,手机,备注\n新客户,13912345678,关注新品\n坏行,12,\n";
    let body = json!({"list": "12 月新品推介", "csv": csv});
    let r = app
        .post("/api/v1/callbacks/imports", &lead, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["tasks_created"].as_u64(), v["customers_created"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["rejected"][0]["line"], 3);
    let r = app.post("/api/v1/callbacks/imports", &lead, body).await;
    assert_eq!(
        (
            r.json()["tasks_created"].as_u64(),
            r.json()["customers_matched"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let r = app
        .post(
            "/api/v1/callbacks/imports",
            &lead,
            json!({"list": "x", "csv": "foo,bar\n1,2"}),
        )
        .await;
    assert_eq!(r.error_code(), "missing_columns");
    app.cleanup().await;
}
