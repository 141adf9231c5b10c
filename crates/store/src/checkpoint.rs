//! SQLite: copying the write-ahead log back into the database file in the background.
//!
//! By default SQLite checkpoints inside the commit that takes the log past 1,000 pages,
//! so whichever request commits then also copies (and syncs) the whole log: a balanced
//! assignment of 100,000 customers spent about a fifth of its time there (810–850 ms
//! with, 650–660 ms without; BENCHMARKS.md). The writer turns that off
//! (`wal_autocheckpoint = 0`) and this task checkpoints instead, on its own connection,
//! once a second. A passive checkpoint never blocks the writer or the readers; it copies
//! what no reader still needs, and the writer starts the log over once everything is
//! copied. When the last connection to the file closes, SQLite checkpoints what is left,
//! so a short-lived process (`kefu import`) loses nothing by exiting before a tick.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the log is checked.
const INTERVAL: Duration = Duration::from_secs(1);

/// Owned by every clone of the database; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Opens the checkpoint connection (lazily) and starts the task.
    pub(crate) fn spawn(url: &str) -> Result<Self, sqlx::Error> {
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -1000;")
                        .await?;
                    Ok(())
                })
            })
            .connect_lazy(url)?;
        let (alive, gone) = mpsc::channel(1);
        tokio::spawn(run(pool, gone));
        Ok(Checkpointer { _alive: alive })
    }
}

async fn run(pool: AnyPool, mut gone: mpsc::Receiver<()>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Only ever closed: nothing is sent.
            _ = gone.recv() => break,
            _ = ticks.tick() => {
                if let Err(e) = checkpoint(&pool).await {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                }
            }
        }
    }
    pool.close().await;
}

/// One passive checkpoint: returns how many log frames it copied.
pub(crate) async fn checkpoint(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let (_busy, _log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    Ok(copied.max(0))
}

#[cfg(test)]
mod tests {
    use crate::Db;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn commits_leave_the_log_to_the_background_task() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let (auto,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(&db.write)
            .await
            .unwrap();
        assert_eq!(auto, 0, "the writer's commits must not checkpoint");

        let before = std::fs::metadata(&file).unwrap().len();
        sqlx::query("CREATE TABLE filler (b BLOB)")
            .execute(&db.write)
            .await
            .unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
             INSERT INTO filler SELECT randomblob(4096) FROM n",
        )
        .execute(&db.write)
        .await
        .unwrap();
        // Only a checkpoint moves the 4 MB from the log into the database file.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let len = std::fs::metadata(&file).unwrap().len();
            if len >= before + 4_000_000 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the log was not checkpointed: the file is {len} bytes (was {before})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        db.close().await;
    }
}
