//! Running the real `kefu` binary as child processes on loopback ports, for tests of
//! what a deployment meets: kills, restarts, several servers on one database.

#![allow(dead_code)]

use serde_json::{json, Value};
use sqlx::AnyPool;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

pub const ADMIN_PASSWORD: &str = "kefu-process-test";
/// The bound on every wait (a loaded two-core machine runs debug builds slowly).
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(90);

/// A pool on the test database, for reading what the servers wrote.
pub async fn raw_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::pool::PoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to the test database: {e}"))
}

/// Polls `probe` until it answers, panicking after [`PATIENCE`].
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what} after {PATIENCE:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A `kefu serve --clock simulated` child process, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    log: PathBuf,
    pub http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// Starts a server on a free loopback port and waits until it answers `/readyz`.
    pub async fn start(database_url: &str, data_dir: &Path, name: &str) -> Server {
        kefu_server::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .expect("http client");
        for attempt in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let log = data_dir.join(format!("{name}-{attempt}.log"));
            let out = std::fs::File::create(&log).expect("log file");
            let err = out.try_clone().expect("log file");
            let child = Command::new(env!("CARGO_BIN_EXE_kefu"))
                .args(["--database-url", database_url, "--data-dir"])
                .arg(data_dir)
                .args(["serve", "--clock", "simulated", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .current_dir(data_dir)
                .env("KEFU_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("KEFU_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .expect("spawn kefu");
            let mut server = Server {
                child,
                base: format!("http://127.0.0.1:{port}"),
                log,
                http: http.clone(),
            };
            if server.ready().await {
                return server;
            }
            let log = server.log_text();
            if !log.contains("cannot listen") {
                panic!("kefu ({name}) did not start:\n{log}");
            }
        }
        panic!("kefu ({name}) found no free port in three tries");
    }

    /// Waits for `/readyz`; false when the process ended first.
    pub async fn ready(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let probe = self.http.get(format!("{}/readyz", self.base)).send().await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "kefu did not become ready in {PATIENCE:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no graceful shutdown, no chance to finish the job in hand.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        if !body.is_null() {
            request = request.json(&body);
        }
        let reply = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}\n{}", self.log_text()));
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn login(&self) -> String {
        let reply = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .expect("log in");
        assert!(reply.status().is_success(), "log in: {}", reply.status());
        let body: Value = reply.json().await.expect("login reply");
        body["token"].as_str().expect("token").to_string()
    }
}
