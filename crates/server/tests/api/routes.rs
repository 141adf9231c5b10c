//! Cross-checks over the whole route table: every operation has an explicit access rule,
//! and the rule is what the server enforces.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_server::api::{access_table, openapi, Access};
use kefu_test_support::TestBackend;
use serde_json::json;

pub async fn every_operation_declares_access(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let doc = openapi(&app.state);
    let mut operations = 0;
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ] {
            if let Some(op) = op {
                operations += 1;
                assert!(
                    op.security.is_some(),
                    "{method} {path} has no security entry"
                );
            }
        }
    }
    let table = access_table(&doc);
    assert_eq!(
        table.len(),
        operations,
        "every operation is in the access table"
    );
    assert!(
        operations >= 30,
        "expected the whole API, found {operations} operations"
    );
    // Only log-in, the customers' web form and status page, survey links and the chat
    // visitor's endpoints (which check the chat token themselves) are public.
    let mut public: Vec<_> = table
        .iter()
        .filter(|(_, a)| **a == Access::Public)
        .map(|(k, _)| format!("{} {}", k.0, k.1))
        .collect();
    public.sort();
    assert_eq!(
        public,
        [
            "GET /api/v1/chat/visitor/poll",
            "GET /api/v1/chat/visitor/topics/{code}",
            "GET /api/v1/public/surveys/{token}",
            "GET /api/v1/public/tickets/{number}",
            "POST /api/v1/auth/login",
            "POST /api/v1/chat/visitor/close",
            "POST /api/v1/chat/visitor/conversations",
            "POST /api/v1/chat/visitor/messages",
            "POST /api/v1/chat/visitor/offline",
            "POST /api/v1/chat/visitor/token",
            "POST /api/v1/chat/visitor/typing",
            "POST /api/v1/public/surveys/{token}",
            "POST /api/v1/public/tickets",
        ]
    );
    // Only the CTI webhooks go without a log-in, verified by their signature.
    let mut signed: Vec<_> = table
        .iter()
        .filter(|(_, a)| **a == Access::Signature)
        .map(|(k, _)| k.1.clone())
        .collect();
    signed.sort();
    assert_eq!(
        signed,
        [
            "/api/v1/cti/calls/{call_id}/recording",
            "/api/v1/cti/events"
        ]
    );
    app.cleanup().await;
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x0" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// A user who holds no position has no permission: every permission-guarded route must
/// answer 403 before it looks at the request body or the record.
pub async fn every_guarded_route_refuses_without_permission(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let manager = app.login("manager").await;
    let created = app
        .post(
            "/api/v1/staff",
            &manager,
            json!({"username": "nobody", "display_name": "无岗位", "password": "nobody-pass-1"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let reply = app
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "nobody-pass-1"})),
        )
        .await;
    let nobody = reply.json()["token"].as_str().unwrap().to_string();
    let table = access_table(&openapi(&app.state));
    let mut checked = 0;
    for ((method, path), access) in &table {
        let Access::Permission(p) = access else {
            continue;
        };
        let reply = app
            .api(
                method.clone(),
                &concrete(path),
                Some(&nobody),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path} must need {p}: {}",
            reply.text()
        );
        assert_eq!(reply.error_code(), "forbidden");
        assert!(
            reply.text().contains(p.code()),
            "the error names the permission"
        );
        checked += 1;
    }
    assert!(checked >= 25, "checked {checked} routes");
    app.cleanup().await;
}

pub async fn every_route_refuses_anonymous_callers(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let table = access_table(&openapi(&app.state));
    for ((method, path), access) in &table {
        // Webhooks carry a signature instead of a log-in (see calls.rs).
        if matches!(access, Access::Public | Access::Signature) {
            continue;
        }
        let reply = app
            .api(method.clone(), &concrete(path), None, Some(json!({})))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(reply.error_code(), "unauthenticated");
        let bad = app
            .api(
                method.clone(),
                &concrete(path),
                Some("kefu_t_forged"),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged token"
        );
    }
    app.cleanup().await;
}

pub async fn health_and_openapi(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let health = app.api(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = app.api(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    let doc = app
        .api(Method::GET, "/api/openapi.json", None, None)
        .await
        .json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(
        doc["paths"]["/api/v1/customers/{id}/reveal"]["post"]["security"][0]["bearer"][0]
            == "customer.pii.read"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The simulated clock's endpoint exists only in simulated mode (the test app is).
    assert!(doc["paths"]["/api/v1/test-clock/advance"].is_object());
    app.cleanup().await;
}
