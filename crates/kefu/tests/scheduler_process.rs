//! The durable scheduler as a deployment meets it: the real `kefu` binary, run as child
//! processes on loopback ports. A server is killed (SIGKILL) while a burst of promise
//! deadlines is firing and restarted on the same database, and every deadline must fire
//! exactly once; two servers sharing one PostgreSQL database fire the same burst together,
//! and no deadline fires twice.
//!
//! "Fired exactly once" is read from the database: one `overdue` event and one
//! `overdue_count` per ticket, one notification per recipient, and each promise job
//! `done` with one attempt (a job claimed twice would be completed twice and show two).

use chrono::{DateTime, Duration, Utc};
use kefu_test_support::{run_trials, TestBackend, TestDb, TestFn};
use serde_json::{json, Value};
use sqlx::AnyPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

#[path = "common/process.rs"]
mod process;

use process::{raw_pool, wait_for, Server};

fn main() {
    const BOTH: &[TestBackend] = &[TestBackend::Sqlite, TestBackend::Postgres];
    const POSTGRES: &[TestBackend] = &[TestBackend::Postgres];
    let tests: Vec<(String, TestFn, &'static [TestBackend])> = vec![
        (
            "killed_during_a_burst_every_deadline_fires_once".into(),
            |b| Box::pin(killed_during_a_burst_every_deadline_fires_once(b)),
            BOTH,
        ),
        (
            "two_servers_share_the_burst_without_double_firing".into(),
            |b| Box::pin(two_servers_share_the_burst_without_double_firing(b)),
            POSTGRES,
        ),
    ];
    run_trials("scheduler process", tests)
}

/// Tickets per burst: enough that firing them takes far longer than one poll of the
/// database, so the kill lands mid-burst.
const TICKETS: usize = 300;
/// How far the simulated clocks move: past every deadline, well inside the 30-minute idle
/// limit of the test's session.
const ADVANCE_SECONDS: i64 = 15 * 60;

async fn killed_during_a_burst_every_deadline_fires_once(backend: TestBackend) {
    let started = Instant::now();
    let db = TestDb::new(backend).await;
    let pool = raw_pool(&db.url).await;
    let data = tempfile::tempdir().expect("data directory");

    let mut first = Server::start(&db.url, data.path(), "first").await;
    let token = first.login().await;
    // Staggered deadlines a few minutes ahead of real time: ahead of the first server's
    // clock, and behind the restarted server's clock once it has advanced.
    let base = Utc::now() + Duration::minutes(3);
    let due = |i: usize| base + Duration::seconds((i % 10) as i64);
    let tickets = first.open_tickets(&token, TICKETS, due).await;
    assert_eq!(overdue_events(&pool).await, 0, "nothing is due yet");

    // Fire the burst, and kill the server once it is under way.
    let advance = tokio::spawn(first.advance_request(&token));
    let fired_before = wait_for(&format!("{backend:?}: the burst to start"), || async {
        let n = overdue_events(&pool).await;
        (n >= TICKETS as i64 / 5 || advance.is_finished()).then_some(n)
    })
    .await;
    first.kill();
    let answer = advance.await.expect("the advance task");
    // One statement, one snapshot: a commit the dead server's last message still makes
    // lands in both counts or in neither.
    let (committed, done): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM ticket_events WHERE kind = 'overdue'), \
                (SELECT CAST(COUNT(*) AS BIGINT) FROM jobs WHERE kind = $1 AND status = 'done')",
    )
    .bind(kefu_store::tickets::PROMISE_DUE_JOB)
    .fetch_one(&pool)
    .await
    .expect("count what the first server fired");
    println!(
        "{backend:?}: killed the server after {fired_before} of {TICKETS} deadlines had fired"
    );
    assert!(
        committed < TICKETS as i64,
        "the kill landed after the burst ({committed} of {TICKETS} fired; the advance \
         answered {answer:?}), so it proves nothing: raise TICKETS"
    );
    assert_eq!(
        done, committed,
        "a job is done exactly when its effects are committed"
    );

    // Restart on the same database; the new simulated clock starts at real now.
    let second = Server::start(&db.url, data.path(), "second").await;
    let token = second.login().await;
    let reply = second.advance_request(&token).await;
    let fired = reply.unwrap_or_else(|e| panic!("advance after the restart: {e}"))["fired"]
        .as_i64()
        .expect("fired");
    println!("{backend:?}: the restarted server fired {fired}");
    wait_for(
        &format!("{backend:?}: every ticket to be overdue"),
        || async {
            (overdue_events(&pool).await >= TICKETS as i64
                && promise_jobs_pending(&pool).await == 0)
                .then_some(())
        },
    )
    .await;

    assert_fired_exactly_once(&pool, &tickets).await;
    second.assert_overdue_once(&token, &tickets[..3]).await;
    drop(second);
    pool.close().await;
    db.cleanup().await;
    println!("{backend:?}: crash test took {:?}", started.elapsed());
}

async fn two_servers_share_the_burst_without_double_firing(backend: TestBackend) {
    let started = Instant::now();
    let db = TestDb::new(backend).await;
    let pool = raw_pool(&db.url).await;
    let data = tempfile::tempdir().expect("data directory");
    // Started together, as a deployment starts its servers: both find no admin account
    // on the fresh database and race to create it.
    let (a, b) = tokio::join!(
        Server::start(&db.url, data.path(), "a"),
        Server::start(&db.url, data.path(), "b")
    );
    let token = a.login().await;
    let base = Utc::now() + Duration::minutes(3);
    let tickets = a.open_tickets(&token, TICKETS, |_| base).await;
    assert_eq!(overdue_events(&pool).await, 0, "nothing is due yet");

    // Both clocks move at once; both servers fire the burst.
    let (ra, rb) = tokio::join!(a.advance_request(&token), b.advance_request(&token));
    let fired = |r: Result<Value, String>, name: &str| {
        r.unwrap_or_else(|e| panic!("advance on {name}: {e}"))["fired"]
            .as_i64()
            .expect("fired")
    };
    let (fa, fb) = (fired(ra, "a"), fired(rb, "b"));
    println!("{backend:?}: server a fired {fa}, server b fired {fb}");
    wait_for(
        &format!("{backend:?}: every ticket to be overdue"),
        || async {
            (overdue_events(&pool).await >= TICKETS as i64
                && promise_jobs_pending(&pool).await == 0)
                .then_some(())
        },
    )
    .await;
    assert!(
        fa > 0 && fb > 0,
        "both servers must have fired part of the burst (a {fa}, b {fb}), or the test did \
         not run them concurrently"
    );

    assert_fired_exactly_once(&pool, &tickets).await;
    b.assert_overdue_once(&token, &tickets[..3]).await;
    drop((a, b));
    pool.close().await;
    db.cleanup().await;
    println!("{backend:?}: two-server test took {:?}", started.elapsed());
}

/// The database's account of the burst: every ticket overdue once, with one event, one
/// notification per recipient and one completed attempt of its promise job.
async fn assert_fired_exactly_once(pool: &AnyPool, tickets: &[String]) {
    let expected: BTreeSet<&str> = tickets.iter().map(String::as_str).collect();
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT ticket_id, CAST(COUNT(*) AS BIGINT) FROM ticket_events \
         WHERE kind = 'overdue' GROUP BY ticket_id",
    )
    .fetch_all(pool)
    .await
    .expect("count overdue events");
    let twice: Vec<_> = events.iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "overdue events fired twice: {twice:?}");
    let with_event: BTreeSet<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(with_event, expected, "every ticket has its overdue event");

    let counts: Vec<(String, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, CAST(overdue_count AS BIGINT), overdue_since FROM tickets")
            .fetch_all(pool)
            .await
            .expect("read tickets");
    assert_eq!(counts.len(), tickets.len());
    for (id, count, since) in &counts {
        assert!(
            *count == 1 && since.is_some(),
            "ticket {id}: overdue_count {count}, overdue_since {since:?}"
        );
    }

    let notified: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT ticket_id, user_id, CAST(COUNT(*) AS BIGINT) FROM notifications \
         WHERE kind = 'overdue' GROUP BY ticket_id, user_id",
    )
    .fetch_all(pool)
    .await
    .expect("count notifications");
    let repeated: Vec<_> = notified.iter().filter(|(_, _, n)| *n != 1).collect();
    assert!(repeated.is_empty(), "notified twice: {repeated:?}");
    let notified: BTreeSet<&str> = notified.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(notified, expected, "every ticket's overdue was notified");

    let jobs: Vec<(Option<String>, String, i64)> = sqlx::query_as(
        "SELECT dedupe_key, status, CAST(attempts AS BIGINT) FROM jobs WHERE kind = $1",
    )
    .bind(kefu_store::tickets::PROMISE_DUE_JOB)
    .fetch_all(pool)
    .await
    .expect("read jobs");
    let jobs: BTreeMap<String, (String, i64)> = jobs
        .into_iter()
        .filter_map(|(key, status, attempts)| key.map(|k| (k, (status, attempts))))
        .collect();
    for id in tickets {
        // Seq 1 is the opening promise (48 working hours away); seq 2 is the test's.
        let key = format!("promise:{id}:2");
        assert_eq!(
            jobs.get(&key),
            Some(&("done".to_string(), 1)),
            "job {key} completes once, on its first attempt"
        );
    }
}

async fn overdue_events(pool: &AnyPool) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM ticket_events WHERE kind = 'overdue'")
            .fetch_one(pool)
            .await
            .expect("count overdue events");
    n
}

/// The test's promises (seq 2) still waiting to fire.
async fn promise_jobs_pending(pool: &AnyPool) -> i64 {
    count_promise_jobs(pool, "pending").await
}

async fn count_promise_jobs(pool: &AnyPool, status: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM jobs \
         WHERE kind = $1 AND status = $2 AND dedupe_key LIKE 'promise:%:2'",
    )
    .bind(kefu_store::tickets::PROMISE_DUE_JOB)
    .bind(status)
    .fetch_one(pool)
    .await
    .expect("count jobs");
    n
}

impl Server {
    /// Opens `n` tickets, each with a promise due at `due(i)`; returns their ids.
    async fn open_tickets(
        &self,
        token: &str,
        n: usize,
        due: impl Fn(usize) -> DateTime<Utc>,
    ) -> Vec<String> {
        let started = Instant::now();
        let mut ids = Vec::with_capacity(n);
        // A few requests in flight keep the server's writer busy without piling up.
        for chunk in (0..n).collect::<Vec<_>>().chunks(4) {
            let opened = chunk.iter().map(|&i| {
                let due = due(i);
                async move {
                    let created = self
                        .call(
                            reqwest::Method::POST,
                            "/tickets",
                            token,
                            json!({
                                "type": "complaint",
                                "channel": "phone",
                                "subject": format!("快递未送达 {i}"),
                                "description": "客户来电：快递三天未送达",
                                "contact_phone": "138 0013 8000"
                            }),
                        )
                        .await;
                    let id = created["id"].as_str().expect("ticket id").to_string();
                    self.call(
                        reqwest::Method::POST,
                        &format!("/tickets/{id}/promises"),
                        token,
                        json!({"text": "今天下午回电", "due_at": due.to_rfc3339()}),
                    )
                    .await;
                    id
                }
            });
            ids.extend(futures::future::join_all(opened).await);
        }
        println!("opened {n} tickets in {:?}", started.elapsed());
        ids
    }

    /// Moves the simulated clock past every deadline; the answer comes when the server
    /// has fired what fell due. A future that owns what it needs, so it can be spawned.
    fn advance_request(
        &self,
        token: &str,
    ) -> impl std::future::Future<Output = Result<Value, String>> + Send + 'static {
        let request = self
            .http
            .post(format!("{}/api/v1/test-clock/advance", self.base))
            .bearer_auth(token)
            .json(&json!({"seconds": ADVANCE_SECONDS}));
        async move {
            let reply = request.send().await.map_err(|e| e.to_string())?;
            let status = reply.status();
            let text = reply.text().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("{status} {text}"));
            }
            serde_json::from_str(&text).map_err(|e| e.to_string())
        }
    }

    /// The API shows the tickets overdue once.
    async fn assert_overdue_once(&self, token: &str, tickets: &[String]) {
        for id in tickets {
            let t = self
                .call(
                    reqwest::Method::GET,
                    &format!("/tickets/{id}"),
                    token,
                    Value::Null,
                )
                .await;
            assert_eq!(t["overdue_count"], 1, "{t}");
            assert!(t["overdue_since"].is_string(), "{t}");
        }
    }
}
