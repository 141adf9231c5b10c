//! The application under test: the real router over a fresh database (either backend)
//! with the demo center loaded, driven through HTTP requests in-process or on a real
//! loopback socket.

#![allow(dead_code)]

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use kefu_server::{AppState, Clock, ServerConfig};
use kefu_test_support::{TestBackend, TestDb};
use serde_json::Value;
use std::collections::HashMap;
use tower::ServiceExt;

pub mod mail_servers;

/// A moment in the demo center's local time (UTC+8).
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("valid offset")
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid local time")
        .with_timezone(&chrono::Utc)
}

/// A cheap argon2id hash for fixtures (real parameters would make every test slow);
/// verification reads the parameters from the hash, so log-in works unchanged.
pub fn quick_hash(password: &str) -> String {
    let params = Params::new(256, 1, 1, None).expect("valid params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("hash")
        .to_string()
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub db: TestDb,
    /// Demo usernames → passwords.
    pub passwords: HashMap<String, String>,
    _data_dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl TestApp {
    pub async fn new(backend: TestBackend) -> TestApp {
        Self::with_config(backend, |_| {}).await
    }

    pub async fn with_config(
        backend: TestBackend,
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> TestApp {
        Self::build(backend, chrono::Utc::now(), tweak).await
    }

    /// With the simulated clock starting at `start`.
    pub async fn starting_at(
        backend: TestBackend,
        start: chrono::DateTime<chrono::Utc>,
    ) -> TestApp {
        Self::build(backend, start, |_| {}).await
    }

    async fn build(
        backend: TestBackend,
        now: chrono::DateTime<chrono::Utc>,
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> TestApp {
        let db = TestDb::new(backend).await;
        let logins = kefu_demo::load_demo(&db.db, now, &quick_hash)
            .await
            .expect("demo loads");
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(data_dir.path().to_path_buf());
        tweak(&mut config);
        let state = AppState::new(db.db.clone(), Clock::simulated(now), config);
        let router = kefu_server::router(state.clone());
        let passwords = logins
            .into_iter()
            .map(|l| (l.username, l.password))
            .collect();
        TestApp {
            state,
            router,
            db,
            passwords,
            _data_dir: data_dir,
        }
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router never fails");
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A JSON API call with an optional bearer token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    /// Moves the simulated clock, which also fires the jobs that fall due (and marks
    /// chat agents away).
    pub async fn advance(&self, token: &str, seconds: i64) {
        let r = self
            .post(
                "/api/v1/test-clock/advance",
                token,
                serde_json::json!({ "seconds": seconds }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    /// Logs a demo user in through the API and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let password = self
            .passwords
            .get(username)
            .unwrap_or_else(|| panic!("no demo user {username}"));
        let reply = self
            .api(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {username}: {}",
            reply.text()
        );
        reply.json()["token"].as_str().expect("token").to_string()
    }

    /// Serves the app on a loopback port (for browser tests); returns its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    /// The id of a demo department by name.
    pub async fn department(&self, token: &str, name: &str) -> String {
        let list = self.get("/api/v1/departments", token).await.json();
        list.as_array()
            .expect("departments")
            .iter()
            .find(|d| d["name"] == name)
            .and_then(|d| d["id"].as_str())
            .unwrap_or_else(|| panic!("no department {name}"))
            .to_string()
    }

    /// The id of a demo user by username.
    pub async fn user_id(&self, username: &str) -> String {
        let token = self.login(username).await;
        self.get("/api/v1/me", &token).await.json()["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// The id of some demo customer.
    pub async fn any_customer(&self, token: &str) -> String {
        let list = self.get("/api/v1/customers?limit=1", token).await.json();
        list["items"][0]["id"]
            .as_str()
            .expect("a customer")
            .to_string()
    }
}
