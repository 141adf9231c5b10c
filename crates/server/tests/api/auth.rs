//! Log-in, lock-out, sessions, API tokens and CSRF.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::json;

pub async fn login_logout_and_me(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let token = app.login("agent1").await;
    let me = app.get("/api/v1/me", &token).await.json();
    assert_eq!(me["username"], "agent1");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"customer.read"));
    assert!(!perms.contains(&"customer.pii.read"));
    let wrong = app
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "agent1", "password": "nope-nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.error_code(), "invalid_credentials");
    let unknown = app
        .api(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ghost", "password": "nope-nope"})),
        )
        .await;
    assert_eq!(
        unknown.error_code(),
        "invalid_credentials",
        "unknown users look like wrong passwords"
    );
    let out = app
        .api(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}

pub async fn lockout_backs_off(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let bad = json!({"username": "agent2", "password": "wrong-password"});
    for _ in 0..5 {
        let r = app
            .api(Method::POST, "/api/v1/auth/login", None, Some(bad.clone()))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    // Locked now, even with the right password.
    let good = json!({"username": "agent2", "password": app.passwords["agent2"]});
    let locked = app
        .api(Method::POST, "/api/v1/auth/login", None, Some(good.clone()))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.error_code(), "account_locked");
    let retry: i64 = locked.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=31).contains(&retry), "retry after {retry}");
    app.state.clock().advance(chrono::Duration::seconds(31));
    let ok = app
        .api(Method::POST, "/api/v1/auth/login", None, Some(good))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    // The failures are in the audit log.
    let manager = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=auth.login_failed", &manager)
        .await
        .json();
    assert!(audit["items"].as_array().unwrap().len() >= 5);
    app.cleanup().await;
}

pub async fn api_tokens_create_list_revoke(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let session = app.login("lead").await;
    let created = app
        .post(
            "/api/v1/tokens",
            &session,
            json!({"name": "CTI 集成", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let body = created.json();
    let secret = body["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("kefu_t_"));
    let me = app.get("/api/v1/me", &secret).await;
    assert_eq!(me.json()["username"], "lead");
    let list = app.get("/api/v1/tokens", &session).await.json();
    let listed = &list.as_array().unwrap()[0];
    assert_eq!(listed["name"], "CTI 集成");
    assert!(listed.get("token").is_none(), "the secret is never listed");
    assert!(!list.to_string().contains(&secret));
    // Another user cannot revoke it.
    let other = app.login("agent1").await;
    let id = body["id"].as_str().unwrap();
    let denied = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
    let revoked = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&session),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad = app
        .post("/api/v1/tokens", &session, json!({"name": "", "extra": 1}))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are rejected"
    );
    let expired = app
        .post(
            "/api/v1/tokens",
            &session,
            json!({"name": "short", "expires_in_days": 1}),
        )
        .await
        .json();
    app.state.clock().advance(chrono::Duration::days(2));
    assert_eq!(
        app.get("/api/v1/me", expired["token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.cleanup().await;
}

pub async fn sessions_expire_when_idle(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let token = app.login("agent1").await;
    for _ in 0..3 {
        app.state.clock().advance(chrono::Duration::minutes(25));
        assert_eq!(
            app.get("/api/v1/me", &token).await.status,
            StatusCode::OK,
            "activity keeps the session"
        );
    }
    app.state.clock().advance(chrono::Duration::minutes(31));
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The absolute limit holds even for a busy session.
    let busy = app.login("agent1").await;
    for _ in 0..25 {
        app.state.clock().advance(chrono::Duration::minutes(29));
        let _ = app.get("/api/v1/me", &busy).await;
    }
    assert_eq!(
        app.get("/api/v1/me", &busy).await.status,
        StatusCode::UNAUTHORIZED,
        "12 h absolute"
    );
    app.cleanup().await;
}

pub async fn cookie_login(app: &TestApp, user: &str) -> String {
    let form = format!("username={user}&password={}", app.passwords[user]);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let cookie = reply.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

pub async fn cookie_sessions_need_csrf(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let cookie = cookie_login(&app, "manager").await;
    // A page form without the right token is refused.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/customers")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("_csrf=forged&name=x&company=&gender=unknown&tier=C&status=prospect&owner_id=&tags=&notes=&id_number=&address="))
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // A cookie-authenticated API write needs the X-CSRF-Token header.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/customers")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"name": "x"}).to_string()))
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "csrf_failed");
    // A cross-site log-in form is refused.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::HOST, "kefu.example")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=manager&password={}",
            app.passwords["manager"]
        )))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    // Pages without a session go to the log-in page.
    let req = Request::builder()
        .uri("/customers")
        .body(Body::empty())
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.headers[header::LOCATION], "/login");
    app.cleanup().await;
}
