//! The audit log: who may read it, filters, and that nothing can change it.

use crate::common::TestApp;
use axum::http::StatusCode;
use kefu_test_support::TestBackend;

pub async fn audit_log_is_for_managers_and_read_only(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let r = app.get("/api/v1/audit", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("audit.read"));
    assert_eq!(
        app.get("/api/v1/audit/export", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    // No API operation writes to the audit log.
    let doc = kefu_server::api::openapi(&app.state);
    for (path, item) in &doc.paths.paths {
        if path.starts_with("/api/v1/audit") {
            assert!(
                item.post.is_none()
                    && item.put.is_none()
                    && item.patch.is_none()
                    && item.delete.is_none(),
                "{path}"
            );
        }
    }
    app.cleanup().await;
}

pub async fn audit_filters(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let agent = app.login("agent1").await;
    let id = app.any_customer(&agent).await;
    app.get(&format!("/api/v1/customers/{id}"), &agent).await;
    let m = app.login("manager").await;
    let me = app.get("/api/v1/me", &agent).await.json();
    let agent_id = me["id"].as_str().unwrap();
    let views = app
        .get(
            &format!("/api/v1/audit?action=customer.view&actor_id={agent_id}"),
            &m,
        )
        .await
        .json();
    let items = views["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["subject_ids"][0], id.as_str());
    assert_eq!(items[0]["actor_name"], "张丽");
    let pii = app
        .get("/api/v1/audit?personal_data=true&limit=200", &m)
        .await
        .json();
    assert!(pii["items"].as_array().unwrap().iter().all(|e| [
        "customer.view",
        "customer.pii_reveal",
        "customer.export",
        "customer.list"
    ]
    .contains(&e["action"].as_str().unwrap())));
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let dated = app
        .get(
            &format!("/api/v1/audit?from={today}&to={today}&action=customer.view"),
            &m,
        )
        .await
        .json();
    assert_eq!(dated["items"].as_array().unwrap().len(), 1);
    let old = app
        .get("/api/v1/audit?to=2020-01-01&action=customer.view", &m)
        .await
        .json();
    assert_eq!(old["items"].as_array().unwrap().len(), 0);
    let bad = app.get("/api/v1/audit?from=yesterday", &m).await;
    assert_eq!(bad.error_code(), "invalid_date");
    let bad = app.get("/api/v1/audit?action=nonsense", &m).await;
    assert_eq!(bad.error_code(), "unknown_action");
    let first = app.get("/api/v1/audit?limit=3", &m).await.json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("/api/v1/audit?limit=3&cursor={cursor}"), &m)
        .await
        .json();
    assert!(
        second["items"][0]["seq"].as_i64().unwrap() < first["items"][2]["seq"].as_i64().unwrap()
    );
    app.cleanup().await;
}
