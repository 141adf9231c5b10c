//! Satisfaction surveys through the API: template and threshold validation naming the
//! field; survey links that are forged, tampered, expired (simulated clock) or reused are
//! refused with their own status and code; a dissatisfied answer opens exactly one
//! follow-up for the owner's group; an agent's answer on a callback.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

pub(crate) fn template_body(name: &str) -> Value {
    json!({
        "name": name,
        "description": "售后服务满意度",
        "questions": [
            {"kind": "csat", "text": "您对本次服务满意吗？", "required": true},
            {"kind": "nps", "text": "您向朋友推荐我们的可能性有多大？"},
            {"kind": "single", "text": "问题解决了吗？", "options": ["已解决", "未解决"]},
            {"kind": "multiple", "text": "哪些方面需要改进？", "options": ["速度", "态度", "专业"]},
            {"kind": "text", "text": "其他意见"}
        ]
    })
}

pub(crate) async fn create_template(app: &TestApp, name: &str) -> String {
    let manager = app.login("manager").await;
    let r = app
        .post("/api/v1/surveys/templates", &manager, template_body(name))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// Sends a link by SMS to the customer's own mobile; returns the token.
pub(crate) async fn send_link(app: &TestApp, template: &str, customer: &str) -> String {
    let token = app.login("callback1").await;
    let r = app
        .post(
            "/api/v1/surveys/invitations",
            &token,
            json!({"template_id": template, "customer_id": customer, "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sent = r.json();
    assert!(
        sent["recipient"].as_str().unwrap().contains("****"),
        "{sent}"
    );
    let message = sent["message"].as_str().unwrap();
    let url = sent["url"].as_str().unwrap();
    assert!(message.contains(url), "{message}");
    url.split("/s/").nth(1).unwrap().to_string()
}

async fn answer(app: &TestApp, token: &str, answers: Value) -> (StatusCode, String) {
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/public/surveys/{token}"),
            None,
            Some(json!({ "answers": answers })),
        )
        .await;
    let code = if r.body.is_empty() {
        String::new()
    } else {
        r.error_code()
    };
    (r.status, code)
}

async fn open(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/public/surveys/{token}"),
            None,
            None,
        )
        .await;
    (r.status, r.json())
}

async fn results(app: &TestApp, query: &str) -> Value {
    let manager = app.login("manager").await;
    let r = app
        .get(&format!("/api/v1/surveys/responses?{query}"), &manager)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

pub async fn templates_and_thresholds_name_the_bad_field(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    let bad = |body: Value| {
        let app = &app;
        let manager = manager.clone();
        async move {
            let r = app.post("/api/v1/surveys/templates", &manager, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
            let e = r.json()["error"].clone();
            (
                e["code"].as_str().unwrap().to_string(),
                e["field"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let mut body = template_body(" ");
    assert_eq!(
        bad(body.clone()).await,
        ("invalid_name".into(), "name".into())
    );
    body["name"] = json!("回访");
    body["questions"][2]["options"] = json!(["只有一个"]);
    assert_eq!(
        bad(body.clone()).await,
        ("invalid_options".into(), "questions".into())
    );
    let dup = json!({"name": "x", "questions": [
        {"kind": "csat", "text": "a"}, {"kind": "csat", "text": "b"}]});
    assert_eq!(bad(dup).await.0, "duplicate_score_question");
    let kind = json!({"name": "x", "questions": [{"kind": "stars", "text": "a"}]});
    assert_eq!(bad(kind).await.0, "invalid_question_kind");
    let none = json!({"name": "x", "questions": []});
    assert_eq!(bad(none).await.0, "invalid_question_count");

    let id = create_template(&app, "售后回访").await;
    let again = app
        .post(
            "/api/v1/surveys/templates",
            &manager,
            template_body("售后回访"),
        )
        .await;
    assert_eq!(again.error_code(), "duplicate_name");
    // 回访专员 send, but do not manage templates.
    let callback = app.login("callback1").await;
    let r = app
        .post(
            "/api/v1/surveys/templates",
            &callback,
            template_body("另一个"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let listed = app.get("/api/v1/surveys/templates", &callback).await.json();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["questions"][0]["id"], "q1");

    let put = |body: Value| {
        app.api(
            Method::PUT,
            "/api/v1/surveys/settings",
            Some(&manager),
            Some(body),
        )
    };
    let r = put(json!({"csat_max": 5, "nps_max": 6, "link_days": 7})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "csat_max");
    let r = put(json!({"csat_max": 2, "nps_max": 6, "link_days": 0})).await;
    assert_eq!(r.json()["error"]["field"], "link_days");
    let r = put(json!({"csat_max": null, "nps_max": 3, "link_days": 3})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let s = app.get("/api/v1/surveys/settings", &manager).await.json();
    assert_eq!(s, json!({"csat_max": null, "nps_max": 3, "link_days": 3}));
    app.cleanup().await;
}

/// The test: forged, expired, reused and tampered links are refused.
pub async fn forged_expired_reused_and_tampered_links_are_refused(backend: TestBackend) {
    let start = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
    let app = TestApp::starting_at(backend, start).await;
    let template = create_template(&app, "售后回访").await;
    let agent = app.login("agent1").await;
    let customer = app.any_customer(&agent).await;
    let token = send_link(&app, &template, &customer).await;

    let (status, view) = open(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["title"], "售后回访");
    assert_eq!(view["questions"].as_array().unwrap().len(), 5);
    let shown = view.to_string();
    assert!(!shown.contains(&customer), "no customer data: {shown}");

    // Forged: not shaped like a link, or naming no invitation.
    for forged in [
        "not-a-link".to_string(),
        format!(
            "{}.1893456000.00112233445566778899aabbccddeeff",
            "0".repeat(32)
        ),
    ] {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/public/surveys/{forged}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error_code(), "survey_link_forged");
        assert_eq!(
            answer(&app, &forged, json!({"q1": 5})).await,
            (StatusCode::NOT_FOUND, "survey_link_forged".into())
        );
    }
    // Tampered: a longer life, or one MAC digit changed.
    let parts: Vec<&str> = token.split('.').collect();
    let later: i64 = parts[1].parse::<i64>().unwrap() + 30 * 86_400;
    let longer = format!("{}.{later}.{}", parts[0], parts[2]);
    let mut mac = parts[2].to_string();
    let flip = if mac.ends_with('a') { "b" } else { "a" };
    mac.replace_range(mac.len() - 1.., flip);
    let flipped = format!("{}.{}.{mac}", parts[0], parts[1]);
    for tampered in [&longer, &flipped] {
        assert_eq!(
            answer(&app, tampered, json!({"q1": 5})).await,
            (StatusCode::FORBIDDEN, "survey_link_tampered".into())
        );
    }
    // A bad answer is refused without using the link up.
    let (status, code) = answer(&app, &token, json!({"q1": 9})).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "score_out_of_range")
    );
    let (status, code) = answer(&app, &token, json!({"q2": 9})).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "answer_required")
    );
    let good = json!({"q1": 4, "q2": 9, "q3": "已解决", "q4": ["速度", "态度"], "q5": "送货很快"});
    assert_eq!(
        answer(&app, &token, good.clone()).await.0,
        StatusCode::NO_CONTENT
    );
    // Reused.
    assert_eq!(
        answer(&app, &token, good.clone()).await,
        (StatusCode::CONFLICT, "survey_link_used".into())
    );
    let (status, used) = open(&app, &token).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(used["error"]["code"], "survey_link_used");
    let page = app
        .send(
            axum::http::Request::get(format!("/s/{token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.text().contains("survey_link_used"), "{}", page.text());

    // Expired: the link lives 7 days by default.
    let second = send_link(&app, &template, &customer).await;
    assert_eq!(open(&app, &second).await.0, StatusCode::OK);
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &agent,
            json!({"seconds": 7 * 86_400 + 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        answer(&app, &second, good).await,
        (StatusCode::FORBIDDEN, "survey_link_expired".into())
    );
    let page = app
        .send(
            axum::http::Request::get(format!("/s/{second}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("链接已过期"), "{}", page.text());

    let all = results(&app, "").await;
    assert_eq!(all["summary"]["answers"], 1, "only the one good answer");
    assert_eq!(all["items"][0]["channel"], "sms");
    assert_eq!(all["items"][0]["answers"][2]["answer"], "已解决");
    app.cleanup().await;
}

/// The test: the dissatisfied rule opens exactly one follow-up.
pub async fn dissatisfied_answer_opens_exactly_one_followup(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let template = create_template(&app, "售后回访").await;
    let manager = app.login("manager").await;
    let customer = app.any_customer(&manager).await;
    let owner = app
        .get(&format!("/api/v1/customers/{customer}"), &manager)
        .await
        .json()["owner"]["id"]
        .as_str()
        .expect("demo customers have an owner")
        .to_string();
    let token = send_link(&app, &template, &customer).await;
    let low = json!({"q1": 2, "q2": 8, "q5": "等了很久"});
    assert_eq!(
        answer(&app, &token, low.clone()).await.0,
        StatusCode::NO_CONTENT
    );
    // Answering again, and an agent retrying on a callback, open nothing more.
    assert_eq!(
        answer(&app, &token, low.clone()).await.0,
        StatusCode::CONFLICT
    );

    let r = results(&app, "dissatisfied=true").await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    let followup = r["items"][0]["followup_ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = app
        .get(&format!("/api/v1/tickets/{followup}"), &manager)
        .await
        .json();
    assert_eq!(t["customer"]["id"], customer.as_str());
    assert_eq!(t["priority"], "high");
    assert_eq!(t["status"], "new", "waits in the group's queue");
    assert!(t["tags"].as_array().unwrap().contains(&json!("满意度跟进")));
    assert!(t["subject"].as_str().unwrap().contains("CSAT 2"), "{t}");
    let response_id = r["items"][0]["id"].as_str().unwrap();
    assert!(t["description"].as_str().unwrap().contains(response_id));
    // The owner's group: the demo's owners are 客服专员 of 业务受理组.
    assert!(!owner.is_empty());
    assert_eq!(t["department"]["name"], "业务受理组");
    // On the customer's timeline.
    let timeline = app
        .get(&format!("/api/v1/customers/{customer}/timeline"), &manager)
        .await
        .json()
        .to_string();
    assert!(timeline.contains("survey_answered"), "{timeline}");
    assert!(
        timeline.contains(t["number"].as_str().unwrap()),
        "{timeline}"
    );

    // An agent's answer on a callback: a retry of the same callback is refused.
    let callback = app.login("callback1").await;
    let body = json!({"template_id": template, "customer_id": customer,
        "callback_id": "cb-7", "answers": {"q1": 1, "q2": 0}});
    let first = app
        .post("/api/v1/surveys/responses", &callback, body.clone())
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert!(first.json()["followup_ticket"]["number"].is_string());
    let retry = app.post("/api/v1/surveys/responses", &callback, body).await;
    assert_eq!(retry.status, StatusCode::CONFLICT);
    assert_eq!(retry.error_code(), "survey_already_answered");
    let r = results(&app, "dissatisfied=true").await;
    assert_eq!(r["summary"]["dissatisfied"], 2);
    let followups: Vec<&Value> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["followup_ticket_id"].is_string())
        .collect();
    assert_eq!(followups.len(), 2, "one per dissatisfied answer");

    // The thresholds are configurable: NPS only, at most 3.
    let r = app
        .api(
            Method::PUT,
            "/api/v1/surveys/settings",
            Some(&manager),
            Some(json!({"csat_max": null, "nps_max": 3, "link_days": 7})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let body = json!({"template_id": template, "customer_id": customer,
        "callback_id": "cb-8", "answers": {"q1": 1, "q2": 5}});
    let r = app.post("/api/v1/surveys/responses", &callback, body).await;
    assert_eq!(r.json()["dissatisfied"], false);
    assert!(r.json()["followup_ticket"].is_null());
    app.cleanup().await;
}

pub async fn agent_answers_on_a_callback(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let template = create_template(&app, "投诉回访").await;
    let callback = app.login("callback1").await;
    let customer = app.any_customer(&callback).await;
    let body = |answers: Value| {
        json!({"template_id": template, "customer_id": customer,
            "callback_id": "cb-42", "answers": answers})
    };
    let r = app
        .post(
            "/api/v1/surveys/responses",
            &callback,
            body(json!({"q1": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "answers");
    assert_eq!(r.error_code(), "score_out_of_range");
    let r = app
        .post(
            "/api/v1/surveys/responses",
            &callback,
            body(json!({"q1": 5, "q3": "也许"})),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_choice");
    let agent = app.login("agent1").await;
    let r = app
        .post("/api/v1/surveys/responses", &agent, body(json!({"q1": 5})))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents do not hold survey.send"
    );

    let r = app
        .post(
            "/api/v1/surveys/responses",
            &callback,
            body(json!({"q1": 5, "q2": 10, "q3": "已解决", "q4": ["专业"], "q5": "很好"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["dissatisfied"], false);
    assert!(r.json()["followup_ticket"].is_null());
    let all = results(&app, &format!("template_id={template}")).await;
    let item = &all["items"][0];
    assert_eq!(item["callback_id"], "cb-42");
    assert_eq!(item["channel"], "callback");
    assert_eq!(item["answered_by"], "周婷");
    assert_eq!(all["summary"]["csat_average"], 5.0);
    assert_eq!(all["summary"]["nps"], 100);
    // 回访专员 view results; agents do not.
    assert_eq!(
        app.get("/api/v1/surveys/responses", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .get("/api/v1/surveys/responses?from=2026-13-01", &callback)
        .await;
    assert_eq!(r.json()["error"]["field"], "from");
    app.cleanup().await;
}
