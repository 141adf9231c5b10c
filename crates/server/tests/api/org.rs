//! Organization admin: departments, positions, staff and the assignment rules.

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

pub async fn organization_admin(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let depts = app.get("/api/v1/departments", &m).await.json();
    let center = find(&depts, "name", "客户服务中心")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let intake = find(&depts, "name", "业务受理组");
    assert_eq!(intake["parent_id"], center.as_str(), "a tree");
    let created = app
        .post(
            "/api/v1/departments",
            &m,
            json!({"name": "投诉处理组", "parent_id": center}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let group = created.json()["id"].as_str().unwrap().to_string();
    let dup = app
        .post(
            "/api/v1/departments",
            &m,
            json!({"name": "投诉处理组", "parent_id": center}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    // Moving a department under its own child is refused.
    let cycle = app
        .api(
            Method::PUT,
            &format!("/api/v1/departments/{center}"),
            Some(&m),
            Some(json!({"name": "客户服务中心", "parent_id": group})),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cycle.error_code(), "department_cycle");
    let pos = app
        .post("/api/v1/positions", &m, json!({"department_id": group, "title": "投诉专员", "duties": ["受理投诉", "  ", "跟踪至客户满意"],
            "qualifications": {"min_years_experience": 1}, "headcount_limit": 3, "permissions": ["customer.read", "customer.write"]}))
        .await;
    assert_eq!(pos.status, StatusCode::CREATED, "{}", pos.text());
    let positions = app.get("/api/v1/positions", &m).await.json();
    let p = find(&positions, "title", "投诉专员");
    assert_eq!(
        p["duties"],
        json!([{"text": "受理投诉"}, {"text": "跟踪至客户满意"}])
    );
    assert_eq!(p["qualifications"]["min_years_experience"], 1);
    let bad = app
        .post(
            "/api/v1/positions",
            &m,
            json!({"department_id": group, "title": "x", "permissions": ["root"]}),
        )
        .await;
    assert_eq!(bad.error_code(), "unknown_permission");
    let not_empty = app
        .api(
            Method::DELETE,
            &format!("/api/v1/departments/{group}"),
            Some(&m),
            None,
        )
        .await;
    assert_eq!(not_empty.status, StatusCode::CONFLICT);
    // A new staff member gets the position and, with it, its permissions.
    let staff = app
        .post(
            "/api/v1/staff",
            &m,
            json!({"username": "Xiaoming", "display_name": "小明", "agent_no": "KF900",
        "password": "xiaoming-pass", "years_experience": 2}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.text());
    let sid = staff.json()["id"].as_str().unwrap().to_string();
    let pid = p["id"].as_str().unwrap();
    let assigned = app
        .post(
            &format!("/api/v1/staff/{sid}/positions"),
            &m,
            json!({"position_id": pid}),
        )
        .await;
    assert_eq!(
        assigned.status,
        StatusCode::NO_CONTENT,
        "{}",
        assigned.text()
    );
    let tok = app
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "xiaoming", "password": "xiaoming-pass"})),
        )
        .await;
    let tok = tok.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/customers?limit=1", &tok).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/departments", &tok).await.status,
        StatusCode::FORBIDDEN,
        "no org.read in this position"
    );
    let weak = app
        .post(
            "/api/v1/staff",
            &m,
            json!({"username": "weak", "display_name": "弱", "password": "123"}),
        )
        .await;
    assert_eq!(weak.error_code(), "weak_password");
    let taken = app
        .post(
            "/api/v1/staff",
            &m,
            json!({"username": "agent1", "display_name": "重名", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    // Deactivating ends the person's sessions.
    let off = app
        .api(
            Method::PUT,
            &format!("/api/v1/staff/{sid}"),
            Some(&m),
            Some(json!({"display_name": "小明", "active": false, "years_experience": 2})),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text());
    assert_eq!(
        app.get("/api/v1/customers?limit=1", &tok).await.status,
        StatusCode::UNAUTHORIZED
    );
    let removed = app
        .api(
            Method::DELETE,
            &format!("/api/v1/staff/{sid}/positions/{pid}"),
            Some(&m),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    app.cleanup().await;
}

pub async fn assignment_rules_name_the_rule(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let positions = app.get("/api/v1/positions", &m).await.json();
    let staff = app.get("/api/v1/staff", &m).await.json();
    let inspector_pos = find(&positions, "title", "质检员")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let manager_pos = find(&positions, "title", "客户服务中心经理")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent1 = find(&staff, "username", "agent1")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lead = find(&staff, "username", "lead")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // 兼任: an agent may not also be the inspector of their own work.
    let r = app
        .post(
            &format!("/api/v1/staff/{agent1}/positions"),
            &m,
            json!({"position_id": inspector_pos}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "incompatible_positions");
    assert!(
        r.text().contains("质检员") && r.text().contains("客服专员"),
        "{}",
        r.text()
    );
    // Headcount: one manager.
    let r = app
        .post(
            &format!("/api/v1/staff/{lead}/positions"),
            &m,
            json!({"position_id": manager_pos}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "headcount_full");
    // Qualification: the inspector position needs a certificate a new hire lacks.
    let new = app.post("/api/v1/staff", &m, json!({"username": "newhire", "display_name": "新人", "password": "newhire-pass", "education": "high_school"})).await;
    let new = new.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/staff/{new}/positions"),
            &m,
            json!({"position_id": inspector_pos}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "qualification_not_met");
    let r = app
        .post(
            &format!("/api/v1/staff/{new}/positions"),
            &m,
            json!({"position_id": "nope"}),
        )
        .await;
    assert_eq!(r.error_code(), "unknown_reference");
    app.cleanup().await;
}

pub async fn agents_cannot_edit_the_organization(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/departments", &agent).await.status,
        StatusCode::OK,
        "agents may look"
    );
    for (method, path) in [
        (Method::POST, "/api/v1/departments"),
        (Method::POST, "/api/v1/positions"),
        (Method::POST, "/api/v1/staff"),
    ] {
        let r = app
            .api(method, path, Some(&agent), Some(json!({"name": "x"})))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.text().contains("org.manage"));
    }
    app.cleanup().await;
}

pub async fn customer_tiers_are_configurable(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/customer-tiers/s1",
            Some(&m),
            Some(json!({"name": "战略客户", "sort_order": -1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .api(
            Method::PUT,
            "/api/v1/customer-tiers/C",
            Some(&m),
            Some(json!({"name": "普通客户", "sort_order": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let tiers = app.get("/api/v1/customer-tiers", &m).await.json();
    assert_eq!(tiers[0]["code"], "S1", "codes are upper-cased and ordered");
    assert_eq!(find(&tiers, "code", "C")["name"], "普通客户");
    assert_eq!(tiers.as_array().unwrap().len(), 5);
    let c = app
        .post(
            "/api/v1/customers",
            &m,
            json!({"name": "大客户", "tier": "S1"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED);
    let bad = app
        .api(
            Method::PUT,
            "/api/v1/customer-tiers/a%20b",
            Some(&m),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(bad.error_code(), "invalid_tier_code");
    let agent = app.login("agent1").await;
    let denied = app
        .api(
            Method::PUT,
            "/api/v1/customer-tiers/Z",
            Some(&agent),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

/// The organization pages post forms with the session's CSRF token.
pub async fn org_pages_create_and_edit(backend: TestBackend) {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = TestApp::new(backend).await;
    let cookie = crate::auth::cookie_login(&app, "manager").await;
    let get = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let page = app.send(get("/org/positions/new")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let m = app.login("manager").await;
    let depts = app.get("/api/v1/departments", &m).await.json();
    let dept = find(&depts, "name", "回访调查组")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let post = |path: &str, form: String| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap()
    };
    let form = format!(
        "_csrf={csrf}&title=%E5%9B%9E%E8%AE%BF%E7%BB%84%E9%95%BF&department_id={dept}&duties=a%0Ab&headcount_limit=1\
         &min_education=associate&min_years=2&certificates=&permissions=customer.read&permissions=org.read"
    );
    let r = app.send(post("/org/positions", form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let positions = app.get("/api/v1/positions", &m).await.json();
    let p = find(&positions, "title", "回访组长");
    assert_eq!(p["duties"], json!([{"text": "a"}, {"text": "b"}]));
    assert_eq!(p["qualifications"]["min_education"], "associate");
    assert_eq!(p["permissions"], json!(["customer.read", "org.read"]));
    let pid = p["id"].as_str().unwrap().to_string();
    let edit = app.send(get(&format!("/org/positions/{pid}/edit"))).await;
    assert!(edit.text().contains("回访组长"));
    let form = format!("_csrf={csrf}&title=%E7%BB%84%E9%95%BF&department_id={dept}&duties=&headcount_limit=&min_education=&min_years=&certificates=");
    let r = app
        .send(post(&format!("/org/positions/{pid}/edit"), form))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let positions = app.get("/api/v1/positions", &m).await.json();
    assert_eq!(find(&positions, "id", &pid)["title"], "组长");
    // A forged token is refused.
    let r = app.send(post("/org/staff", "_csrf=forged&username=x&display_name=x&agent_no=&education=&years_experience=0&certificates=&password=longenough".into())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let form = format!("_csrf={csrf}&username=liuqiang&display_name=%E5%88%98%E5%BC%BA&agent_no=KF501&education=bachelor&years_experience=3&certificates=&password=liuqiang-pass");
    let r = app.send(post("/org/staff", form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let staff = app.get("/api/v1/staff", &m).await.json();
    let s = find(&staff, "username", "liuqiang");
    assert_eq!(s["education"], "bachelor");
    app.cleanup().await;
}
