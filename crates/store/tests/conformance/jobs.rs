//! The durable scheduler's storage: a job fires once, its effects commit with its
//! completion, a crash before the commit leaves it due, and concurrent workers never
//! fire a job twice.

use crate::common::{at, system, t0};
use kefu_domain::audit::AuditAction;
use kefu_store::audit::{append_in, AuditFilter, NewAuditEntry};
use kefu_store::jobs::NewJob;
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn job<'a>(key: &'a str, due_minutes: i64) -> NewJob<'a> {
    NewJob {
        kind: "test.effect",
        dedupe_key: Some(key),
        payload: "{}",
        due_at: at(due_minutes),
    }
}

/// The effect a test job has: one audit entry naming the job.
async fn fire_one(db: &Db, now_minutes: i64) -> Option<String> {
    let mut claimed = db.claim_due_job(at(now_minutes)).await.unwrap()?;
    let id = claimed.job().id.clone();
    let entry = NewAuditEntry::new(AuditAction::TierSaved).subject("job", id.clone());
    append_in(claimed.tx(), &system(), at(now_minutes), &entry)
        .await
        .unwrap();
    claimed.complete(at(now_minutes)).await.unwrap();
    Some(id)
}

async fn effects_of(db: &Db, id: &str) -> usize {
    let filter = AuditFilter {
        subject_id: Some(id.to_string()),
        ..Default::default()
    };
    db.list_audit(&filter, None, 100).await.unwrap().items.len()
}

pub async fn fires_once_when_due(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    assert!(t.db.schedule_job(t0(), &job("a", 30)).await.unwrap());
    assert!(
        !t.db.schedule_job(t0(), &job("a", 5)).await.unwrap(),
        "same key: no second job"
    );
    assert!(
        t.db.claim_due_job(at(29)).await.unwrap().is_none(),
        "not due yet"
    );
    let id = fire_one(&t.db, 30).await.expect("due at 30");
    assert_eq!(effects_of(&t.db, &id).await, 1);
    assert!(
        fire_one(&t.db, 600).await.is_none(),
        "done jobs never fire again"
    );
    assert_eq!(t.db.count_jobs("done").await.unwrap(), 1);
    assert_eq!(t.db.count_jobs("pending").await.unwrap(), 0);
    t.cleanup().await;
}

pub async fn a_crash_before_commit_fires_again_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    for i in 0..5 {
        t.db.schedule_job(t0(), &job(&format!("burst-{i}"), i))
            .await
            .unwrap();
    }
    // The server dies while the first job runs: its effects are rolled back with it.
    {
        let mut claimed = t.db.claim_due_job(at(10)).await.unwrap().unwrap();
        let entry =
            NewAuditEntry::new(AuditAction::TierSaved).subject("job", claimed.job().id.clone());
        append_in(claimed.tx(), &system(), at(10), &entry)
            .await
            .unwrap();
        drop(claimed);
    }
    // After the restart (a fresh connection pool), every job fires exactly once.
    let restarted = Db::connect(&t.url).await.unwrap();
    let mut fired = Vec::new();
    while let Some(id) = fire_one(&restarted, 10).await {
        fired.push(id);
    }
    assert_eq!(fired.len(), 5);
    for id in &fired {
        assert_eq!(effects_of(&restarted, id).await, 1, "job {id}");
    }
    restarted.close().await;
    t.cleanup().await;
}

pub async fn failures_are_retried_then_given_up(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    t.db.schedule_job(t0(), &job("flaky", 0)).await.unwrap();
    let claimed = t.db.claim_due_job(at(1)).await.unwrap().unwrap();
    let id = claimed.job().id.clone();
    drop(claimed);
    t.db.record_job_failure(&id, "mail server down", Some(at(11)))
        .await
        .unwrap();
    assert!(
        t.db.claim_due_job(at(10)).await.unwrap().is_none(),
        "waits for its retry time"
    );
    let again = t.db.claim_due_job(at(11)).await.unwrap().unwrap();
    assert_eq!(again.job().attempts, 1);
    drop(again);
    t.db.record_job_failure(&id, "still down", None)
        .await
        .unwrap();
    assert!(t.db.claim_due_job(at(1000)).await.unwrap().is_none());
    assert_eq!(t.db.count_jobs("failed").await.unwrap(), 1);
    t.cleanup().await;
}

/// Two servers on one database: on PostgreSQL two connection pools claim with
/// `FOR UPDATE SKIP LOCKED`; on SQLite (one server per file) two workers share the
/// single writer. Either way no job fires twice and none is missed.
pub async fn concurrent_workers_never_double_fire(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    for i in 0..120 {
        t.db.schedule_job(t0(), &job(&format!("many-{i}"), 0))
            .await
            .unwrap();
    }
    let second = match backend {
        TestBackend::Postgres => Db::connect(&t.url).await.unwrap(),
        TestBackend::Sqlite => t.db.clone(),
    };
    let worker = |db: Db| async move {
        let mut fired = Vec::new();
        while let Some(id) = fire_one(&db, 1).await {
            fired.push(id);
        }
        fired
    };
    let (a, b) = tokio::join!(
        tokio::spawn(worker(t.db.clone())),
        tokio::spawn(worker(second.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 120);
    let mut all: Vec<&String> = a.iter().chain(b.iter()).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 120, "no job fired twice");
    for id in all.iter().take(20) {
        assert_eq!(effects_of(&t.db, id).await, 1);
    }
    if backend == TestBackend::Postgres {
        second.close().await;
    }
    t.cleanup().await;
}
