//! Duty cadences, headcount ratios and organization templates over HTTP.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {key}={value}"))
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

pub async fn cadences_and_ratios(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let center = app.department(&m, "客户服务中心").await;
    // Old plain strings and new objects with a cadence, side by side.
    let created = app
        .post(
            "/api/v1/positions",
            &m,
            json!({"department_id": center, "title": "值班长", "duties": [
                "处理疑难问题",
                {"text": "填写值班日志", "cadence": {"every": "daily"}},
                {"text": "服务质量分析报告", "cadence": {"every": "monthly", "day": 22}},
                {"text": "质检小结", "cadence": {"every": "weekly", "weekday": "fri"}},
                {"text": "点名点评", "cadence": {"every": "before_shift"}}
            ]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let positions = app.get("/api/v1/positions", &m).await.json();
    let p = find(&positions, "title", "值班长");
    assert_eq!(p["duties"][0], json!({"text": "处理疑难问题"}));
    assert_eq!(
        p["duties"][2]["cadence"],
        json!({"every": "monthly", "day": 22})
    );
    assert_eq!(p["duties"][4]["cadence"]["every"], "before_shift");
    for (bad, needle) in [
        (
            json!({"text": "月报", "cadence": {"every": "monthly", "day": 40}}),
            "1 to 31",
        ),
        (
            json!({"text": "周报", "cadence": {"every": "weekly"}}),
            "weekday",
        ),
        (
            json!({"text": "年报", "cadence": {"every": "yearly"}}),
            "yearly",
        ),
    ] {
        let r = app
            .post(
                "/api/v1/positions",
                &m,
                json!({"department_id": center, "title": "x", "duties": ["好", bad]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(
            r.text().contains("duty 2") && r.text().contains(needle),
            "{}",
            r.text()
        );
    }

    // A department records what it counts; a position is staffed by ratio of it.
    let fleet = app
        .post(
            "/api/v1/departments",
            &m,
            json!({"name": "车队", "parent_id": center, "quantities": {"营运车辆": 60}}),
        )
        .await;
    assert_eq!(fleet.status, StatusCode::CREATED, "{}", fleet.text());
    let fleet = id(&fleet.json());
    let bad = app
        .post(
            "/api/v1/departments",
            &m,
            json!({"name": "车队2", "quantities": {"": 3}}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    let departments = app.get("/api/v1/departments", &m).await.json();
    assert_eq!(
        find(&departments, "id", &fleet)["quantities"],
        json!({"营运车辆": 60})
    );
    let ratio = app
        .post(
            "/api/v1/positions",
            &m,
            json!({"department_id": fleet, "title": "车辆技术管理员",
                "headcount_ratio": {"per": 50, "quantity": "营运车辆", "at_least": 1}}),
        )
        .await;
    assert_eq!(ratio.status, StatusCode::CREATED, "{}", ratio.text());
    let ratio = id(&ratio.json());
    let zero = app
        .post(
            "/api/v1/positions",
            &m,
            json!({"department_id": fleet, "title": "x", "headcount_ratio": {"per": 0, "quantity": "营运车辆"}}),
        )
        .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    // 60 vehicles: ceil(60 / 50) = 2 people.
    for user in ["agent1", "agent2"] {
        let uid = app.user_id(user).await;
        let r = app
            .post(
                &format!("/api/v1/staff/{uid}/positions"),
                &m,
                json!({"position_id": ratio}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    let third = app.user_id("agent3").await;
    let full = app
        .post(
            &format!("/api/v1/staff/{third}/positions"),
            &m,
            json!({"position_id": ratio}),
        )
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert_eq!(full.error_code(), "headcount_ratio_full");
    assert!(full.text().contains("1 per 50 营运车辆"), "{}", full.text());
    let more = app
        .api(
            Method::PUT,
            &format!("/api/v1/departments/{fleet}"),
            Some(&m),
            Some(json!({"name": "车队", "parent_id": center, "quantities": {"营运车辆": 101}})),
        )
        .await;
    assert_eq!(more.status, StatusCode::NO_CONTENT, "{}", more.text());
    let ok = app
        .post(
            &format!("/api/v1/staff/{third}/positions"),
            &m,
            json!({"position_id": ratio}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text());
    app.cleanup().await;
}

pub async fn templates_list_load_and_conflict(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let list = app.get("/api/v1/org/templates", &m).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    let documents: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["document"].as_u64().unwrap())
        .collect();
    assert_eq!(documents, [1, 2, 3, 4, 5, 6, 10, 12, 14, 16, 18, 20]);
    // The demo already has document 3's center.
    let group = find(&list, "code", "cs-group");
    assert!(group["existing"]
        .as_array()
        .unwrap()
        .contains(&json!("客户服务中心")));
    let vehicle = find(&list, "code", "vehicle-tech");
    assert_eq!(vehicle["existing"], json!([]));
    assert_eq!(vehicle["ratio_positions"], 1);
    let before_departments = app.get("/api/v1/departments", &m).await.json();
    let before_positions = app.get("/api/v1/positions", &m).await.json();

    let conflict = app
        .post("/api/v1/org/templates/cs-group/import", &m, json!({}))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.error_code(), "template_conflict");
    assert!(
        conflict.text().contains("客户服务中心"),
        "{}",
        conflict.text()
    );
    assert_eq!(
        app.get("/api/v1/departments", &m).await.json(),
        before_departments
    );
    assert_eq!(
        app.get("/api/v1/positions", &m).await.json(),
        before_positions
    );
    let unknown = app
        .post("/api/v1/org/templates/no-such/import", &m, json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let agent = app.login("agent1").await;
    let denied = app
        .post(
            "/api/v1/org/templates/vehicle-tech/import",
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let loaded = app
        .post("/api/v1/org/templates/vehicle-tech/import", &m, json!({}))
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.text());
    let loaded = loaded.json();
    assert_eq!(loaded["departments"], 2);
    assert_eq!(loaded["positions"], 5);
    let departments = app.get("/api/v1/departments", &m).await.json();
    let bureau = find(&departments, "name", "机务管理处");
    assert_eq!(bureau["quantities"], json!({"营运车辆": 10}));
    assert_eq!(
        bureau["parent_id"],
        find(&departments, "name", "半岛国际公司")["id"]
    );
    let positions = app.get("/api/v1/positions", &m).await.json();
    let manager = find(&positions, "title", "车辆技术管理员");
    assert_eq!(manager["headcount_ratio"]["per"], 50);
    let clerk = find(&positions, "title", "机务内勤管理员");
    assert!(clerk["duties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["cadence"] == json!({"every": "weekly", "weekday": "mon"})));
    // Its rules hold: a new hire without education, title or years is refused.
    let hire = app
        .post(
            "/api/v1/staff",
            &m,
            json!({"username": "newhire", "display_name": "新人", "password": "newhire-pass-1"}),
        )
        .await;
    assert_eq!(hire.status, StatusCode::CREATED, "{}", hire.text());
    let hire = id(&hire.json());
    let refused = app
        .post(
            &format!("/api/v1/staff/{hire}/positions"),
            &m,
            json!({"position_id": manager["id"]}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert_eq!(refused.error_code(), "qualification_not_met");
    // Loaded once; the second time it is refused and nothing changes.
    let again = app
        .post("/api/v1/org/templates/vehicle-tech/import", &m, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        app.get("/api/v1/positions", &m)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        positions.as_array().unwrap().len()
    );
    let list = app.get("/api/v1/org/templates", &m).await.json();
    assert_eq!(
        find(&list, "code", "vehicle-tech")["existing"],
        json!(["半岛国际公司", "机务管理处"])
    );
    app.cleanup().await;
}
