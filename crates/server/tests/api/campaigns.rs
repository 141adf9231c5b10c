//! Outbound campaigns (主动拨打) over several simulated days: the daily quota per agent
//! and the list refilling the next day, retries after the interval and giving up after
//! the attempts, call-back appointments, refusals, conversion updating the customer,
//! do-not-call, once a day across campaigns, calling hours, and the errors.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use chrono::{FixedOffset, TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

const TAG: &str = "激活活动";

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// Registered (not verified) customers tagged for the test, with distinct mobiles.
async fn registered(app: &TestApp, token: &str, names: &[&str], first_phone: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let r = app
            .post(
                "/api/v1/customers",
                token,
                json!({"name": name, "tier": "B", "status": "registered", "tags": [TAG],
                       "contacts": [{"kind": "mobile",
                                     "value": format!("1365550{:04}", first_phone + i as u32)}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    ids
}

/// Moves the simulated clock to `hour:minute` China time on the day.
async fn go_to(app: &TestApp, month: u32, day: u32, hour: u32, minute: u32) {
    let target = cst()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc);
    let seconds = (target - app.state.clock().now()).num_seconds();
    assert!(seconds >= 0, "time only moves forward");
    let token = app.login("manager").await;
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &token,
            json!({ "seconds": seconds }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// The agent's list: (customer id, called today).
async fn list_of(app: &TestApp, username: &str) -> Vec<(String, bool)> {
    let token = app.login(username).await;
    let r = app.get("/api/v1/campaigns/my-list", &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["customer_id"].as_str().unwrap().to_string(),
                e["called_today"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn call(
    app: &TestApp,
    username: &str,
    campaign: &str,
    customer: &str,
    body: Value,
) -> crate::common::Reply {
    let token = app.login(username).await;
    app.post(
        &format!("/api/v1/campaigns/{campaign}/targets/{customer}/calls"),
        &token,
        body,
    )
    .await
}

async fn progress(app: &TestApp, campaign: &str) -> Value {
    let token = app.login("manager").await;
    let r = app
        .get(&format!("/api/v1/campaigns/{campaign}/progress"), &token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn definition(agents: &[&str]) -> Value {
    json!({
        "name": "注册未认证用户激活",
        "script": "您好{客户姓名}，我是客服{工号}，您注册后还没完成认证，请问遇到什么问题吗？",
        "daily_quota": 2,
        "calling_hours": "09:00-20:00",
        "retry_hours": 4,
        "max_attempts": 3,
        "refusal_do_not_call": true,
        "convert_to_status": "verified",
        "filter": {"status": "registered", "tag": TAG},
        "agent_ids": agents,
    })
}

async fn start(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post("/api/v1/campaigns", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/campaigns/{id}/status"),
            token,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "active");
    id
}

fn ids(list: &[(String, bool)]) -> Vec<&str> {
    list.iter().map(|(c, _)| c.as_str()).collect()
}

pub async fn quotas_and_retry_rules_over_several_days(backend: TestBackend) {
    // Monday 30 November 2026, 09:30 in Beijing.
    let start_at = cst()
        .with_ymd_and_hms(2026, 11, 30, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start_at).await;
    let manager = app.login("manager").await;
    let (a1, a2) = (app.user_id("agent1").await, app.user_id("agent2").await);
    let c = registered(&app, &manager, &["甲", "乙", "丙", "丁", "戊", "己"], 0).await;
    // 己 asked not to be called before the campaign starts.
    let dnc = app
        .api(
            Method::PUT,
            &format!("/api/v1/customers/{}/do-not-call", c[5]),
            Some(&manager),
            Some(json!({"do_not_call": true})),
        )
        .await;
    assert_eq!(dnc.status, StatusCode::NO_CONTENT, "{}", dnc.text());
    let id = start(&app, &manager, definition(&[&a1, &a2])).await;
    let p = progress(&app, &id).await;
    assert_eq!(
        (p["targets"].as_i64(), p["do_not_call"].as_i64()),
        (Some(6), Some(1))
    );

    // Day 1: two customers each, nobody twice, never 己.
    let l1 = list_of(&app, "agent1").await;
    let l2 = list_of(&app, "agent2").await;
    assert_eq!((l1.len(), l2.len()), (2, 2));
    assert!(ids(&l1).iter().all(|x| !ids(&l2).contains(x)));
    assert!(!ids(&l1).contains(&c[5].as_str()) && !ids(&l2).contains(&c[5].as_str()));
    assert_eq!(
        list_of(&app, "agent1").await.len(),
        2,
        "no more on reopening"
    );
    let token = app.login("agent1").await;
    let mine = app.get("/api/v1/campaigns/my-list", &token).await.json();
    let script = mine["items"][0]["script"].as_str().unwrap();
    assert!(
        script.contains("KF101") && !script.contains("{工号}"),
        "{script}"
    );
    assert!(mine["items"][0]["phone"].as_str().unwrap().contains('*'));

    let (retry, later) = (l1[0].0.clone(), l1[1].0.clone());
    let r = call(&app, "agent1", &id, &l2[0].0, json!({"outcome": "reached"})).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "not_on_list")
    );
    let r = call(
        &app,
        "agent1",
        &id,
        &retry,
        json!({"outcome": "unreachable"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["state"], "pending");
    let r = call(
        &app,
        "agent1",
        &id,
        &later,
        json!({"outcome": "call_back_later"}),
    )
    .await;
    assert_eq!(r.error_code(), "callback_time_missing");
    let r = call(
        &app,
        "agent1",
        &id,
        &later,
        json!({"outcome": "call_back_later", "callback_at": "2026-12-01T15:00", "note": "明天下午再打"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["next_attempt_at"], "2026-12-01T15:00:00+08:00");
    let again = list_of(&app, "agent1").await;
    assert_eq!(again.len(), 2, "quota used: nobody new today");
    assert!(again.iter().all(|(_, called)| *called));

    let (converted, refused) = (l2[0].0.clone(), l2[1].0.clone());
    let r = call(
        &app,
        "agent2",
        &id,
        &converted,
        json!({"outcome": "converted"}),
    )
    .await;
    assert_eq!(r.json()["converted_to"], "verified", "{}", r.text());
    let customer = app
        .get(&format!("/api/v1/customers/{converted}"), &manager)
        .await
        .json();
    assert_eq!(
        customer["status"], "verified",
        "the conversion updates the customer"
    );
    let r = call(&app, "agent2", &id, &refused, json!({"outcome": "refused"})).await;
    assert_eq!(r.json()["do_not_call_set"], true, "{}", r.text());
    let flag = app
        .get(
            &format!("/api/v1/customers/{refused}/do-not-call"),
            &manager,
        )
        .await
        .json();
    assert_eq!(flag["do_not_call"], true);

    // Day 2, 08:00: the unreachable one is due again (retries first), plus the last fresh
    // customer; the appointment is not due before 15:00. Outside the calling hours.
    go_to(&app, 12, 1, 8, 0).await;
    let fresh = c[4].clone();
    let l1 = list_of(&app, "agent1").await;
    assert_eq!(ids(&l1), [retry.as_str(), fresh.as_str()]);
    let r = call(
        &app,
        "agent1",
        &id,
        &retry,
        json!({"outcome": "unreachable"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "outside_calling_hours")
    );
    assert!(
        list_of(&app, "agent2").await.is_empty(),
        "nothing due for agent2"
    );

    // 10:00: agent1 works the list.
    go_to(&app, 12, 1, 10, 0).await;
    let r = call(
        &app,
        "agent1",
        &id,
        &retry,
        json!({"outcome": "unreachable"}),
    )
    .await;
    assert_eq!(r.json()["attempts"], 2, "{}", r.text());
    let r = call(&app, "agent1", &id, &fresh, json!({"outcome": "reached"})).await;
    assert_eq!(r.json()["state"], "done", "{}", r.text());
    assert!(list_of(&app, "agent2").await.is_empty());

    // 15:30: the appointment appears (agent1's quota is used, so agent2 takes it).
    go_to(&app, 12, 1, 15, 30).await;
    assert_eq!(ids(&list_of(&app, "agent2").await), [later.as_str()]);
    let r = call(
        &app,
        "agent2",
        &id,
        &later,
        json!({"outcome": "interested"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let p = progress(&app, &id).await;
    assert_eq!(p["calls_today"], 3);
    for a in p["agents"].as_array().unwrap() {
        assert!(a["calls_today"].as_i64().unwrap() <= 2, "quota: {a}");
    }

    // Day 3, 10:00: the third unreachable call gives up; the interested one is followed up.
    go_to(&app, 12, 2, 10, 0).await;
    let l1 = list_of(&app, "agent1").await;
    assert_eq!(ids(&l1), [retry.as_str(), later.as_str()]);
    let r = call(
        &app,
        "agent1",
        &id,
        &retry,
        json!({"outcome": "unreachable"}),
    )
    .await;
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["attempts"].as_i64()),
        (Some("done"), Some(3)),
        "given up after three attempts"
    );
    let r = call(&app, "agent1", &id, &later, json!({"outcome": "converted"})).await;
    assert_eq!(r.json()["state"], "done");

    // Day 4: nobody is left; refused, given-up and do-not-call customers never return.
    go_to(&app, 12, 3, 10, 0).await;
    assert!(list_of(&app, "agent1").await.is_empty());
    assert!(list_of(&app, "agent2").await.is_empty());
    let p = progress(&app, &id).await;
    assert_eq!(p["targets"], 6);
    assert_eq!(p["done"], 5);
    assert_eq!(p["pending"], 1);
    assert_eq!(p["do_not_call"], 1);
    assert_eq!(p["converted"], 2);
    assert_eq!(p["calls_total"], 9);
    assert_eq!(p["conversion_rate"], 0.333);
    app.cleanup().await;
}

pub async fn once_a_day_across_campaigns_and_do_not_call(backend: TestBackend) {
    let start_at = cst()
        .with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start_at).await;
    let manager = app.login("manager").await;
    let (a1, a3) = (app.user_id("agent1").await, app.user_id("agent3").await);
    let c = registered(&app, &manager, &["共同", "勿扰"], 100).await;
    // Two campaigns from imported lists (phones), both with the same two customers.
    let mut campaigns = Vec::new();
    for agent in [&a1, &a3] {
        let mut body = definition(&[agent]);
        body["filter"] = Value::Null;
        let id = start(&app, &manager, body).await;
        let r = app
            .post(
                &format!("/api/v1/campaigns/{id}/targets"),
                &manager,
                json!({"phones": ["136 5550 0100", "+86 13655500101", "12345"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["added"], 2);
        assert_eq!(r.json()["unmatched"].as_array().unwrap().len(), 1);
        campaigns.push(id);
    }
    // agent1 lists both first; agent3 gets neither the same day.
    assert_eq!(list_of(&app, "agent1").await.len(), 2);
    assert!(list_of(&app, "agent3").await.is_empty());
    let r = call(
        &app,
        "agent1",
        &campaigns[0],
        &c[0],
        json!({"outcome": "unreachable"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = call(
        &app,
        "agent3",
        &campaigns[1],
        &c[0],
        json!({"outcome": "reached"}),
    )
    .await;
    assert_eq!(r.error_code(), "not_on_list");
    // Flagged do-not-call while on the list: off the list, and a call is refused.
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/customers/{}/do-not-call", c[1]),
            Some(&app.login("agent2").await),
            Some(json!({"do_not_call": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = call(
        &app,
        "agent1",
        &campaigns[0],
        &c[1],
        json!({"outcome": "reached"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::CONFLICT, "do_not_call")
    );
    assert_eq!(ids(&list_of(&app, "agent1").await), [c[0].as_str()]);
    let events = app
        .get(&format!("/api/v1/customers/{}/timeline", c[1]), &manager)
        .await;
    assert!(
        events.text().contains("do_not_call_on"),
        "{}",
        events.text()
    );

    // Next day the second campaign may call the shared customer — once.
    go_to(&app, 12, 1, 10, 0).await;
    assert_eq!(ids(&list_of(&app, "agent3").await), [c[0].as_str()]);
    assert!(list_of(&app, "agent1").await.is_empty());
    let r = call(
        &app,
        "agent3",
        &campaigns[1],
        &c[0],
        json!({"outcome": "interested"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(
        list_of(&app, "agent1").await.is_empty(),
        "called today by the other campaign"
    );

    // Bad input and permissions (a day later: a fresh session).
    let manager = app.login("manager").await;
    let mut bad = definition(&[&a1]);
    bad["daily_quota"] = json!(0);
    let r = app.post("/api/v1/campaigns", &manager, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "daily_quota");
    let mut bad = definition(&[&a1]);
    bad["calling_hours"] = json!("9点到8点");
    let r = app.post("/api/v1/campaigns", &manager, bad).await;
    assert_eq!(r.json()["error"]["field"], "calling_hours");
    let r = app
        .post(
            "/api/v1/campaigns",
            &app.login("agent1").await,
            definition(&[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &app,
        "agent3",
        &campaigns[1],
        &c[0],
        json!({"outcome": "maybe"}),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "outcome");
    let r = app
        .post(
            &format!("/api/v1/campaigns/{}/status", campaigns[0]),
            &manager,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(r.error_code(), "bad_transition");
    let r = app
        .post(
            &format!("/api/v1/campaigns/{}/status", campaigns[0]),
            &manager,
            json!({"action": "pause"}),
        )
        .await;
    assert_eq!(r.json()["status"], "paused");
    app.cleanup().await;
}
