//! The search index under a crash: a server is killed (SIGKILL) while tickets are being
//! created, restarted on the same database and data directory, and every ticket the
//! database committed — also those whose creation was never answered — must be found by
//! its number and by a word of its text. On PostgreSQL a second server with its own index
//! directory, started afterwards, finds them too (each server follows the same log).

#[path = "common/process.rs"]
mod process;

use kefu_test_support::{run_trials, TestBackend, TestDb, TestFn};
use process::{raw_pool, wait_for, Server};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn main() {
    const BOTH: &[TestBackend] = &[TestBackend::Sqlite, TestBackend::Postgres];
    let tests: Vec<(String, TestFn, &'static [TestBackend])> = vec![(
        "killed_during_writes_every_committed_ticket_is_searchable".into(),
        |b| Box::pin(killed_during_writes_every_committed_ticket_is_searchable(b)),
        BOTH,
    )];
    run_trials("search process", tests)
}

/// Tickets created before the kill; writes continue while it lands.
const BEFORE_KILL: usize = 60;

async fn killed_during_writes_every_committed_ticket_is_searchable(backend: TestBackend) {
    let db = TestDb::new(backend).await;
    let pool = raw_pool(&db.url).await;
    let data = tempfile::tempdir().expect("data directory");
    let mut first = Server::start(&db.url, data.path(), "first").await;
    let token = first.login().await;

    // Writers keep creating tickets; the server dies under them.
    let created = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, base, token, created) = (
            first.http.clone(),
            first.base.clone(),
            token.clone(),
            created.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({
                    "type": "complaint",
                    "subject": format!("崩溃演练 写入者{w} 第{i}单"),
                    "description": format!("客户反映净水器漏水，暗号QX{w}{i:04}"),
                });
                let sent = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    // The server is gone: stop writing.
                    _ => return,
                }
            }
        }));
    }
    wait_for("tickets before the kill", || {
        let n = created.load(Ordering::Relaxed);
        async move { (n >= BEFORE_KILL).then_some(()) }
    })
    .await;
    first.kill();
    for w in writers {
        let _ = w.await;
    }

    let committed: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, number, description FROM tickets ORDER BY number")
            .fetch_all(&pool)
            .await
            .expect("committed tickets");
    assert!(
        committed.len() >= BEFORE_KILL,
        "{} committed",
        committed.len()
    );
    println!(
        "{} tickets committed, {} answered before the kill",
        committed.len(),
        created.load(Ordering::Relaxed)
    );

    let second = Server::start(&db.url, data.path(), "second").await;
    let token = second.login().await;
    every_ticket_is_found(&second, &token, &committed).await;

    if backend == TestBackend::Postgres {
        let other_dir = tempfile::tempdir().expect("second data directory");
        let other = Server::start(&db.url, other_dir.path(), "other").await;
        let token = other.login().await;
        every_ticket_is_found(&other, &token, &committed).await;
    }
    db.cleanup().await;
}

async fn search(server: &Server, token: &str, q: &str) -> Vec<String> {
    let reply = server
        .http
        .get(format!("{}/api/v1/search", server.base))
        .query(&[("q", q), ("kind", "ticket"), ("limit", "50")])
        .bearer_auth(token)
        .send()
        .await
        .expect("search");
    assert!(
        reply.status().is_success(),
        "search {q}: {}",
        reply.status()
    );
    let r: Value = reply.json().await.expect("search results");
    r["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until each ticket is found by its number and by the code in its description.
async fn every_ticket_is_found(
    server: &Server,
    token: &str,
    committed: &[(String, String, String)],
) {
    for (id, number, description) in committed {
        let code = description.rsplit("暗号").next().expect("code").to_string();
        wait_for(&format!("{number} in the index"), || {
            let (number, code) = (number.clone(), code.clone());
            async move {
                let by_number = search(server, token, &number).await;
                let by_code = search(server, token, &code).await;
                (by_number.contains(id) && by_code.contains(id)).then_some(())
            }
        })
        .await;
    }
}
