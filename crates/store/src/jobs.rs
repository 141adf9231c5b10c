//! The durable scheduler's storage. A job is claimed inside a write transaction that the
//! caller keeps open while it performs the job's effects, then commits together with the
//! job's completion: either both happen or neither. On PostgreSQL the claim uses
//! `FOR UPDATE SKIP LOCKED`, so several servers share the work without firing a job twice;
//! on SQLite the single writer connection serializes claims.

use crate::{from_millis, new_id, to_millis, Arg, Backend, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub dedupe_key: Option<String>,
    pub payload: String,
    pub due_at: i64,
    pub attempts: i64,
}

impl JobRow {
    pub fn due_at(&self) -> DateTime<Utc> {
        from_millis(self.due_at)
    }
}

/// A job to put on the schedule.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub dedupe_key: Option<&'a str>,
    pub payload: &'a str,
    pub due_at: DateTime<Utc>,
}

/// A claimed job and the open transaction its effects must be written in.
/// [`ClaimedJob::complete`] commits both; dropping it rolls everything back and the job
/// stays due.
pub struct ClaimedJob {
    job: JobRow,
    tx: Tx<'static>,
}

impl ClaimedJob {
    pub fn job(&self) -> &JobRow {
        &self.job
    }

    /// The transaction to write the job's effects in.
    pub fn tx(&mut self) -> &mut Tx<'static> {
        &mut self.tx
    }

    /// Marks the job done and commits its effects with it.
    pub async fn complete(mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET status = 'done', done_at = $1, attempts = attempts + 1 WHERE id = $2",
        )
        .bind(to_millis(now))
        .bind(&self.job.id)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

const SELECT_DUE: &str = "SELECT id, kind, dedupe_key, payload, due_at, attempts FROM jobs \
    WHERE status = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT 1";

impl Db {
    /// Puts a job on the schedule; returns false when a job with the same dedupe key
    /// already exists (whatever its state).
    pub async fn schedule_job(
        &self,
        now: DateTime<Utc>,
        job: &NewJob<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let created = schedule_job_in(&mut tx, now, job).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Claims the earliest job due at `now`, if any, in a new write transaction.
    pub async fn claim_due_job(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let mut tx = self.write.begin().await?;
        let sql = match self.backend() {
            Backend::Postgres => format!("{SELECT_DUE} FOR UPDATE SKIP LOCKED"),
            Backend::Sqlite => SELECT_DUE.to_string(),
        };
        let job: Option<JobRow> = sqlx::query_as(&sql)
            .bind(to_millis(now))
            .fetch_optional(&mut *tx)
            .await?;
        Ok(job.map(|job| ClaimedJob { job, tx }))
    }

    /// Records a failed attempt: due again at `retry_at`, or failed for good when `None`.
    pub async fn record_job_failure(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(2000).collect();
        match retry_at {
            Some(at) => {
                sqlx::query("UPDATE jobs SET attempts = attempts + 1, last_error = $1, due_at = $2 WHERE id = $3")
                    .bind(error)
                    .bind(to_millis(at))
                    .bind(id)
                    .execute(&self.write)
                    .await?
            }
            None => {
                sqlx::query("UPDATE jobs SET attempts = attempts + 1, last_error = $1, status = 'failed' WHERE id = $2")
                    .bind(error)
                    .bind(id)
                    .execute(&self.write)
                    .await?
            }
        };
        Ok(())
    }

    /// How many jobs are in each state (for health pages and tests).
    pub async fn count_jobs(&self, status: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status = $1")
            .bind(status)
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }
}

/// Schedules a job inside the caller's transaction (so a job is scheduled exactly when
/// the change that needs it commits).
pub async fn schedule_job_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    job: &NewJob<'_>,
) -> Result<bool, StoreError> {
    let added = insert_jobs(tx, Sql::new(INSERT_JOBS), &[(now, job.clone())]).await?;
    Ok(added == 1)
}

/// Schedules several jobs in one statement, each with the time it was scheduled at;
/// returns how many were added (a job whose dedupe key is taken is not).
pub(crate) async fn schedule_jobs_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    jobs: &[(DateTime<Utc>, NewJob<'_>)],
) -> Result<u64, StoreError> {
    if jobs.is_empty() {
        return Ok(0);
    }
    insert_jobs(tx, Sql::for_backend(backend, INSERT_JOBS), jobs).await
}

const INSERT_JOBS: &str =
    "INSERT INTO jobs (id, kind, dedupe_key, payload, due_at, created_at) VALUES ";

async fn insert_jobs(
    tx: &mut Tx<'_>,
    mut sql: Sql,
    jobs: &[(DateTime<Utc>, NewJob<'_>)],
) -> Result<u64, StoreError> {
    for (i, (now, job)) in jobs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_row([
            Arg::Text(new_id()),
            Arg::Text(job.kind.to_string()),
            job.dedupe_key
                .map_or(Arg::Null, |k| Arg::Text(k.to_string())),
            Arg::Text(job.payload.to_string()),
            Arg::Int(to_millis(job.due_at)),
            Arg::Int(to_millis(*now)),
        ]);
    }
    sql.push(" ON CONFLICT (dedupe_key) DO NOTHING");
    Ok(sql.query().execute(&mut **tx).await?.rows_affected())
}
