//! Balanced assignment (document 7): preview and commit, skill weights, first-contact
//! tasks with their deadline, an agent who leaves, and the errors the tool names.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// A fresh agent (no customers yet) and their bearer token.
async fn new_agent(app: &TestApp, manager: &str, username: &str) -> (String, String) {
    let created = app
        .post(
            "/api/v1/staff",
            manager,
            json!({"username": username, "display_name": format!("{username} 新人"),
                   "password": "agent-pass-1", "education": "bachelor"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    // They hold the agent position (客服专员), so they may read customers.
    let positions = app.get("/api/v1/positions", manager).await.json();
    let agent_position = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "客服专员")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_string();
    let held = app
        .post(
            &format!("/api/v1/staff/{id}/positions"),
            manager,
            json!({"position_id": agent_position}),
        )
        .await;
    assert_eq!(held.status, StatusCode::NO_CONTENT, "{}", held.text());
    (id, login_new(app, username).await)
}

async fn login_new(app: &TestApp, username: &str) -> String {
    let login = app
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": "agent-pass-1"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    login.json()["token"].as_str().unwrap().to_string()
}

async fn unassigned_customers(app: &TestApp, token: &str, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        let reply = app
            .post(
                "/api/v1/customers",
                token,
                json!({"name": name, "tier": "A"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        ids.push(reply.json()["id"].as_str().unwrap().to_string());
    }
    ids
}

fn added(plan: &Value) -> Vec<u64> {
    plan["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["added"].as_u64().unwrap())
        .collect()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::common::Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

pub async fn preview_commit_and_first_contact(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    let (x, x_token) = new_agent(&app, &manager, "xin1").await;
    let (y, _) = new_agent(&app, &manager, "xin2").await;
    let weight = put(
        &app,
        &format!("/api/v1/assignment/agents/{y}/weight"),
        &manager,
        json!({"weight": 2}),
    )
    .await;
    assert_eq!(weight.status, StatusCode::NO_CONTENT, "{}", weight.text());
    let agents = app.get("/api/v1/assignment/agents", &manager).await.json();
    let y_row = agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == y.as_str())
        .unwrap();
    assert_eq!(
        (y_row["weight"].as_i64(), y_row["customers"].as_i64()),
        (Some(2), Some(0))
    );

    let ids = unassigned_customers(&app, &manager, &["一", "二", "三", "四", "五", "六"]).await;
    let body = json!({"agent_ids": [x, y], "tier": "A"});
    let preview = app
        .post("/api/v1/assignment/preview", &manager, body.clone())
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let preview = preview.json();
    assert_eq!(preview["customers"], 6);
    assert_eq!(added(&preview), [2, 4], "weight 2 gets twice the share");
    assert_eq!(preview["shares"][1]["ideal"], 4.0);
    assert_eq!(preview["shares"][1]["new_count"], 4);
    let c0 = app
        .get(&format!("/api/v1/customers/{}", ids[0]), &manager)
        .await
        .json();
    assert!(c0["owner"].is_null(), "the preview writes nothing");

    let done = app.post("/api/v1/assignment/commit", &manager, body).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let done = done.json();
    assert_eq!(added(&done), [2, 4]);
    assert!(done["contact_due_at"].as_str().unwrap().ends_with("+08:00"));

    // The agent sees their two first-contact tasks, not yet overdue …
    let tasks = app.get("/api/v1/contact-tasks", &x_token).await.json();
    let items = tasks["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t["overdue"] == false));
    assert_eq!(items[0]["due_at"], done["contact_due_at"]);
    // … which are overdue after a week and a day.
    let moved = app
        .post(
            "/api/v1/test-clock/advance",
            &manager,
            json!({"seconds": 8 * 86_400}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    // Sessions do not outlive the simulated week: log in again.
    let x_token = login_new(&app, "xin1").await;
    let manager = app.login("manager").await;
    let tasks = app.get("/api/v1/contact-tasks", &x_token).await.json();
    assert!(tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["overdue"] == true));

    // Recording the contact closes the task and shows on the timeline.
    let customer = items[0]["customer_id"].as_str().unwrap();
    let recorded = app
        .post(
            &format!("/api/v1/customers/{customer}/contact"),
            &x_token,
            json!({"note": "电话介绍了服务内容"}),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.text());
    assert_eq!(recorded.json()["closed_tasks"], 1);
    let tasks = app.get("/api/v1/contact-tasks", &x_token).await.json();
    assert_eq!(tasks["items"].as_array().unwrap().len(), 1);
    let history = app
        .get(
            &format!("/api/v1/customers/{customer}/contact-tasks"),
            &x_token,
        )
        .await
        .json();
    assert_eq!(history[0]["outcome"], "contacted");
    let timeline = app
        .get(&format!("/api/v1/customers/{customer}/timeline"), &x_token)
        .await
        .json();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..2], ["contacted", "assigned"]);

    // Someone else's tasks need the assignment permission; the manager may look.
    let other = app
        .get(&format!("/api/v1/contact-tasks?agent_id={y}"), &x_token)
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let other = app
        .get(&format!("/api/v1/contact-tasks?agent_id={y}"), &manager)
        .await
        .json();
    assert_eq!(other["items"].as_array().unwrap().len(), 4);

    let audit = app
        .get("/api/v1/audit?action=customer.assign", &manager)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    app.cleanup().await;
}

pub async fn bad_input_is_refused_with_codes(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    let (x, _) = new_agent(&app, &manager, "xin1").await;
    let agent1 = app.user_id("agent1").await;
    let expect = |reply: crate::common::Reply, code: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            reply.text()
        );
        assert_eq!(reply.error_code(), code, "{}", reply.text());
    };
    let preview = |body: Value| app.post("/api/v1/assignment/preview", &manager, body);
    // Every demo customer has an owner: nothing waits.
    expect(
        preview(json!({"agent_ids": [x]})).await,
        "nothing_to_assign",
    );
    unassigned_customers(&app, &manager, &["待分配"]).await;
    expect(preview(json!({"agent_ids": []})).await, "no_agents");
    expect(
        preview(json!({"agent_ids": ["nobody"]})).await,
        "unknown_agent",
    );
    expect(
        preview(json!({"agent_ids": [x, x]})).await,
        "duplicate_agent",
    );
    expect(
        preview(json!({"agent_ids": [x], "source": "all"})).await,
        "invalid_source",
    );
    expect(
        preview(json!({"agent_ids": [x], "status": "vip"})).await,
        "invalid_status",
    );
    expect(
        preview(json!({"agent_ids": [x], "source": "leaving"})).await,
        "missing_leaving_agent",
    );
    expect(
        preview(json!({"agent_ids": [x, agent1], "source": "leaving", "leaving_agent_id": agent1}))
            .await,
        "leaving_agent_chosen",
    );
    for w in [0, -1, 11] {
        let reply = put(
            &app,
            &format!("/api/v1/assignment/agents/{x}/weight"),
            &manager,
            json!({"weight": w}),
        )
        .await;
        expect(reply, "invalid_weight");
    }
    let reply = put(
        &app,
        "/api/v1/assignment/agents/nobody/weight",
        &manager,
        json!({"weight": 2}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    expect(
        put(
            &app,
            "/api/v1/assignment/settings",
            &manager,
            json!({"contact_days": 0}),
        )
        .await,
        "invalid_contact_days",
    );
    let deactivated = put(
        &app,
        &format!("/api/v1/staff/{x}"),
        &manager,
        json!({"display_name": "xin1 新人", "active": false}),
    )
    .await;
    assert_eq!(
        deactivated.status,
        StatusCode::NO_CONTENT,
        "{}",
        deactivated.text()
    );
    expect(preview(json!({"agent_ids": [x]})).await, "inactive_agent");
    expect(
        app.post(
            "/api/v1/assignment/commit",
            &manager,
            json!({"agent_ids": [x]}),
        )
        .await,
        "inactive_agent",
    );
    // Agents may not assign.
    let agent = app.login("agent1").await;
    let reply = app
        .post(
            "/api/v1/assignment/preview",
            &agent,
            json!({"agent_ids": [agent1]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

pub async fn a_leaving_agents_customers_move_with_their_history(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for name in ["agent1", "agent2", "agent3", "agent4"] {
            v.push(app.user_id(name).await);
        }
        v
    };
    let leaving = ids[3].clone();
    let before = app
        .get(
            &format!("/api/v1/customers?owner_id={leaving}&limit=200"),
            &lead,
        )
        .await
        .json();
    let theirs = before["items"].as_array().unwrap().len() as u64;
    assert!(theirs > 0, "agent4 owns demo customers");
    let body = json!({"agent_ids": &ids[..3], "source": "leaving", "leaving_agent_id": leaving});
    let preview = app
        .post("/api/v1/assignment/preview", &lead, body.clone())
        .await
        .json();
    assert_eq!(preview["customers"].as_u64(), Some(theirs));
    assert_eq!(added(&preview).iter().sum::<u64>(), theirs);
    let done = app.post("/api/v1/assignment/commit", &lead, body).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(added(&done.json()), added(&preview));
    let after = app
        .get(&format!("/api/v1/customers?owner_id={leaving}"), &lead)
        .await
        .json();
    assert!(after["items"].as_array().unwrap().is_empty());
    let moved = before["items"][0]["id"].as_str().unwrap();
    let timeline = app
        .get(&format!("/api/v1/customers/{moved}/timeline"), &lead)
        .await
        .json();
    let assigned = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "assigned")
        .expect("an assigned entry");
    let from_name = before["items"][0]["owner"]["name"].as_str().unwrap();
    assert!(
        assigned["summary"].as_str().unwrap().starts_with(from_name),
        "from whom: {assigned}"
    );
    let me = app.get("/api/v1/me", &lead).await.json();
    assert_eq!(assigned["actor"], me["display_name"], "by whom");

    // A work order agent1 opens for one of their new customers is the first contact.
    let agent1 = app.login("agent1").await;
    let tasks = app
        .get("/api/v1/contact-tasks?limit=200", &agent1)
        .await
        .json();
    let open = tasks["items"].as_array().unwrap().len();
    assert!(open > 0, "agent1 got some of agent4's customers");
    let customer = tasks["items"][0]["customer_id"]
        .as_str()
        .unwrap()
        .to_string();
    crate::tickets::open_ticket(&app, &agent1, json!({"customer_id": customer})).await;
    let tasks = app
        .get("/api/v1/contact-tasks?limit=200", &agent1)
        .await
        .json();
    assert_eq!(tasks["items"].as_array().unwrap().len(), open - 1);
    let history = app
        .get(
            &format!("/api/v1/customers/{customer}/contact-tasks"),
            &agent1,
        )
        .await
        .json();
    assert_eq!(history[0]["outcome"], "contacted");
    app.cleanup().await;
}
