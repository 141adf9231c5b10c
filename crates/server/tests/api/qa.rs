//! Quality inspection over the API on the demo center (its work orders of the last days
//! are the month's items): the month's sample (once, never by the agent themselves, with
//! reasons), scoring with the handbook's scorecard including a critical item, comments,
//! publishing, what an agent may see, the one appeal and the lead's decision, a revised
//! scorecard leaving past scores alone, the evaluation sheet and report with their XLSX,
//! and the weekly summary with evidence.

use crate::common::TestApp;
use axum::http::{header, Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// 2026-11-20 10:00 in the center's time: the demo's tickets all fall in November.
fn start() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn answers(scores: [u8; 5], attitude_failed: bool) -> Value {
    let codes = ["language", "attitude", "tone", "needs", "response"];
    Value::Array(
        codes
            .iter()
            .zip(scores)
            .map(|(c, s)| json!({"code": c, "score": s, "failed": *c == "attitude" && attitude_failed}))
            .collect(),
    )
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::common::Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

pub async fn sample_score_appeal_and_sheets(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    kefu_demo::load_demo_tickets(&app.db.db, start())
        .await
        .expect("demo tickets");
    kefu_demo::load_demo_complaints(&app.db.db, start())
        .await
        .expect("demo complaints");
    let inspector = app.login("inspector").await;
    let manager = app.login("manager").await;
    let lead = app.login("lead").await;
    let agent1 = app.login("agent1").await;
    let agent2 = app.login("agent2").await;
    let agent1_id = app.user_id("agent1").await;
    let agent2_id = app.user_id("agent2").await;

    // Bad input is refused by name.
    let r = app
        .post(
            "/api/v1/qa/samples",
            &inspector,
            json!({"month": "2026-13"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "qa.invalid_month".into())
    );
    let r = put(
        &app,
        "/api/v1/qa/settings",
        &manager,
        json!({"min": 6, "max": 5, "seed": 1, "weights": {}, "rules": {}}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "qa.sample_count_out_of_range".into()
        )
    );
    let r = app
        .post("/api/v1/qa/samples", &agent1, json!({"month": "2026-11"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The month's sample: every agent with items gets 1–5, never by themselves.
    let r = app
        .post(
            "/api/v1/qa/samples",
            &inspector,
            json!({"month": "2026-11"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let drawn = r.json();
    assert!(drawn["chosen"].as_i64().unwrap() >= 4, "{drawn}");
    let again = app
        .post(
            "/api/v1/qa/samples",
            &inspector,
            json!({"month": "2026-11"}),
        )
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::CONFLICT, "qa.month_sampled".into())
    );
    let all = app
        .get("/api/v1/qa/inspections?month=2026-11", &manager)
        .await
        .json();
    let all = all.as_array().unwrap().clone();
    let mut per_agent = std::collections::BTreeMap::<String, usize>::new();
    for i in &all {
        assert_ne!(
            i["agent"]["id"], i["inspector"]["id"],
            "never one's own: {i}"
        );
        assert_eq!(i["state"], "draft");
        assert!(
            !i["reasons"].as_array().unwrap().is_empty(),
            "explained: {i}"
        );
        *per_agent
            .entry(i["agent"]["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for a in ["agent1", "agent2", "agent3", "agent4"] {
        let n = per_agent.get(&app.user_id(a).await).copied().unwrap_or(0);
        assert!((1..=5).contains(&n), "{a}: {n}");
    }
    // Drafts are nobody's business but quality inspection's.
    let mine = app.get("/api/v1/qa/inspections", &agent1).await.json();
    assert_eq!(mine, json!([]));
    // The month's export holds what each person's list holds: all of it for the manager,
    // nothing for agent1 yet.
    for (token, rows) in [(&manager, all.len()), (&agent1, 0)] {
        let r = app
            .post(
                "/api/v1/exports",
                token,
                json!({"kind": "qa_inspections", "query": "month=2026-11"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        let done = crate::exports::finished(&app, token, r.json()["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["rows_done"], rows as i64);
        let file = app.get(done["download"].as_str().unwrap(), token).await;
        let sheet = crate::exports::sheet_rows(&file.body, "qa_inspections");
        assert_eq!(sheet[1][0], "筛选条件: 月份: 2026-11");
        assert_eq!(sheet.len() - 5, rows);
        if rows > 0 {
            assert_eq!(sheet[5][0], "2026-11");
            assert!(all.iter().any(|i| i["title"] == sheet[5][5].as_str()));
        }
    }

    // An inspection of agent1's and the token of its inspector.
    let target = all
        .iter()
        .find(|i| i["agent"]["id"] == agent1_id.as_str())
        .unwrap()
        .clone();
    let id = target["id"].as_str().unwrap().to_string();
    let by = if target["inspector"]["id"] == app.user_id("inspector").await.as_str() {
        inspector.clone()
    } else {
        manager.clone()
    };
    let other = if by == inspector {
        manager.clone()
    } else {
        inspector.clone()
    };
    let path = format!("/api/v1/qa/inspections/{id}");
    let detail = app.get(&path, &by).await.json();
    assert_eq!(detail["criteria"].as_array().map(Vec::len), Some(5));
    assert_eq!(detail["criteria"][1]["name"], "服务态度");
    assert_eq!(
        app.get(&path, &agent1).await.status,
        StatusCode::NOT_FOUND,
        "a draft is hidden"
    );

    // Scoring: every criterion once, within its scale; the failed mark only on a critical one.
    let scores = format!("{path}/scores");
    let r = put(
        &app,
        &scores,
        &by,
        json!({"answers": answers([8, 9, 7, 8, 9], false).as_array().unwrap()[..4]}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "qa.criterion_missing".into()
        )
    );
    let r = put(
        &app,
        &scores,
        &by,
        json!({"answers": answers([11, 9, 7, 8, 9], false)}),
    )
    .await;
    assert_eq!(r.error_code(), "qa.score_out_of_range");
    let mut bad = answers([8, 9, 7, 8, 9], false);
    bad[0]["failed"] = json!(true);
    let r = put(&app, &scores, &by, json!({"answers": bad})).await;
    assert_eq!(r.error_code(), "qa.failed_not_critical");
    let r = put(
        &app,
        &scores,
        &other,
        json!({"answers": answers([8, 9, 7, 8, 9], false)}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::FORBIDDEN, "qa.not_inspector".into())
    );
    let r = app.post(&format!("{path}/publish"), &by, json!({})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "qa.not_scored".into())
    );
    let r = put(
        &app,
        &scores,
        &by,
        json!({"answers": answers([8, 9, 7, 8, 9], false), "summary": "整体规范，语气可再亲切"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 82.0);
    let r = app
        .post(
            &format!("{path}/comments"),
            &by,
            json!({"at_ms": 65000, "body": "未报工号", "coaching": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .post(&format!("{path}/comments"), &by, json!({"body": "  "}))
        .await;
    assert_eq!(r.error_code(), "qa.comment_invalid");
    let r = app.post(&format!("{path}/publish"), &by, json!({})).await;
    assert_eq!(r.json()["state"], "published", "{}", r.text());
    let r = app.post(&format!("{path}/publish"), &by, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = put(
        &app,
        &scores,
        &by,
        json!({"answers": answers([1, 1, 1, 1, 1], false)}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "qa.not_draft".into())
    );

    // The agent sees their result; another agent sees nothing of it.
    let mine = app.get("/api/v1/qa/inspections", &agent1).await.json();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    let seen = app.get(&path, &agent1).await.json();
    assert_eq!(seen["comments"][0]["at_ms"], 65000);
    assert_eq!(seen["comments"][0]["coaching"], true);
    assert_eq!(app.get(&path, &agent2).await.status, StatusCode::NOT_FOUND);
    let theirs = app
        .get(
            &format!("/api/v1/qa/inspections?agent={agent1_id}"),
            &agent2,
        )
        .await
        .json();
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["agent"]["id"] == agent2_id.as_str()),
        "{theirs}"
    );

    // One appeal, with a reason, by the agent; the lead decides.
    let appeal = format!("{path}/appeal");
    assert_eq!(
        app.post(&appeal, &agent2, json!({"reason": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app.post(&appeal, &agent1, json!({"reason": " "})).await;
    assert_eq!(r.error_code(), "qa.appeal_reason_required");
    let r = app
        .post(
            &appeal,
            &agent1,
            json!({"reason": "客户当时情绪激动，我已按流程安抚"}),
        )
        .await;
    assert_eq!(r.json()["state"], "appealed", "{}", r.text());
    let r = app
        .post(&appeal, &agent1, json!({"reason": "再申诉"}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "qa.already_appealed".into())
    );
    let decision = format!("{path}/decision");
    assert_eq!(
        app.post(&decision, &inspector, json!({"accept": false}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            &decision,
            &lead,
            json!({"accept": false, "answers": answers([8, 9, 7, 8, 9], false)}),
        )
        .await;
    assert_eq!(r.error_code(), "qa.rescore_needs_accept");
    // Accepted with a rescore: the attitude item failed, so the total is zero.
    let r = app.post(&decision, &lead, json!({"accept": true, "note": "复听后认定态度问题", "answers": answers([8, 2, 7, 8, 9], true)})).await;
    let decided = r.json();
    assert_eq!(decided["state"], "upheld", "{decided}");
    assert_eq!(decided["total"], 0.0);
    assert_eq!(decided["critical_failure"], "attitude");
    let r = app.post(&decision, &lead, json!({"accept": false})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let record = app.get(&path, &agent1).await.json();
    let steps: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        (steps.first(), steps.last()),
        (Some(&"sampled"), Some(&"upheld")),
        "{steps:?}"
    );
    for action in ["qa.publish", "qa.appeal", "qa.decide"] {
        let audit = app
            .get(&format!("/api/v1/audit?action={action}"), &manager)
            .await
            .json();
        assert_eq!(
            audit["items"].as_array().map(Vec::len),
            Some(1),
            "{action}: {audit}"
        );
    }
    for s in ["sampled", "scored", "published", "appealed", "upheld"] {
        assert!(steps.contains(&s), "{s} on the record: {steps:?}");
    }

    // A revised scorecard: new inspections use the new revision; this one keeps its own.
    let cards = app.get("/api/v1/qa/scorecards", &manager).await.json();
    let card = &cards[0];
    let mut criteria = card["criteria"].clone();
    criteria[0]["weight"] = json!(40);
    let r = put(
        &app,
        &format!("/api/v1/qa/scorecards/{}", card["id"].as_str().unwrap()),
        &manager,
        json!({"name": card["name"], "criteria": criteria}),
    )
    .await;
    assert_eq!(r.json()["revision"], 2, "{}", r.text());
    let kept = app.get(&path, &manager).await.json();
    assert_eq!(kept["inspection"]["revision"], 1);
    assert_eq!(kept["criteria"][0]["weight"], 20);
    assert_eq!(kept["inspection"]["total"], 0.0);
    let r = app
        .post(
            "/api/v1/qa/scorecards",
            &manager,
            json!({"name": "空表", "criteria": []}),
        )
        .await;
    assert_eq!(r.error_code(), "qa.scorecard_empty");

    // Never one's own work, even by hand.
    let items = app
        .get("/api/v1/qa/items?month=2026-11", &inspector)
        .await
        .json();
    let free = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["agent_id"] == agent2_id.as_str() && !all.iter().any(|x| x["item_id"] == i["id"])
        })
        .cloned();
    if let Some(item) = free {
        let r = app
            .post(
                "/api/v1/qa/inspections",
                &manager,
                json!({"item_id": item["id"], "inspector_id": agent2_id}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::FORBIDDEN, "qa.own_work".into())
        );
        let r = app
            .post(
                "/api/v1/qa/inspections",
                &inspector,
                json!({"item_id": item["id"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(
            r.json()["revision"],
            2,
            "a new inspection uses the revised scorecard"
        );
        let r = app
            .post(
                "/api/v1/qa/inspections",
                &inspector,
                json!({"item_id": item["id"]}),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::CONFLICT, "qa.item_taken".into())
        );
    }

    // The evaluation sheet: the agent's own, nobody else's.
    let sheet = app
        .get("/api/v1/qa/sheets/me?month=2026-11", &agent1)
        .await
        .json();
    assert_eq!(sheet["count"], 1, "{sheet}");
    assert_eq!(sheet["critical_failures"], 1);
    assert_eq!(
        (sheet["appeals"].clone(), sheet["upheld"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(sheet["criteria"][1]["name"], "服务态度");
    assert_eq!(sheet["criteria"][1]["average_percent"], 20.0);
    assert_eq!(
        app.get(
            &format!("/api/v1/qa/sheets/{agent2_id}?month=2026-11"),
            &agent1
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let xlsx = app
        .get(
            &format!("/api/v1/qa/sheets/{agent1_id}/xlsx?month=2026-11"),
            &inspector,
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.body.starts_with(b"PK"), "a zip");
    let report = app
        .get("/api/v1/qa/report?month=2026-11", &inspector)
        .await
        .json();
    assert!(
        report["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["agent"]["id"] == agent1_id.as_str() && a["count"] == 1),
        "{report}"
    );
    assert_eq!(
        app.get("/api/v1/qa/report?month=2026-11", &agent1)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(app
        .get("/api/v1/qa/report/xlsx?month=2026-11", &manager)
        .await
        .body
        .starts_with(b"PK"));

    // The weekly summary links its points to the week's inspections.
    let week = target["occurred_at"].as_str().unwrap()[..10].to_string();
    let r = put(
        &app,
        &format!("/api/v1/qa/summaries/{week}"),
        &inspector,
        json!({"problems": [{"text": "开场未报工号", "evidence": ["nope"]}], "training": []}),
    )
    .await;
    assert_eq!(r.error_code(), "qa.unknown_evidence");
    let r = put(&app, &format!("/api/v1/qa/summaries/{week}"), &inspector, json!({"problems": [{"text": "开场未报工号", "evidence": [id]}], "training": [{"text": "周五复训服务用语"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let s = app
        .get(&format!("/api/v1/qa/summaries/{week}"), &manager)
        .await
        .json();
    assert_eq!(s["problems"][0]["evidence"][0], id.as_str());
    assert_eq!(s["training"][0]["text"], "周五复训服务用语");
    let book = app
        .get(&format!("/api/v1/qa/summaries/{week}/xlsx"), &inspector)
        .await;
    assert_eq!(book.status, StatusCode::OK);
    assert!(book.body.starts_with(b"PK"), "a zip");
    assert_eq!(
        app.get(&format!("/api/v1/qa/summaries/{week}"), &agent1)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}
