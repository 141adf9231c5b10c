//! Removing expired sessions, every ten minutes, as a chain of durable jobs: each run
//! schedules the next in its own transaction.

use super::{JobFuture, JobHandler};
use crate::state::AppState;
use chrono::Duration;
use kefu_store::jobs::{schedule_job_in, ClaimedJob, NewJob};
use kefu_store::users::delete_expired_sessions_in;

pub const KIND: &str = "sessions.cleanup";
const EVERY_MINUTES: i64 = 10;

pub struct SessionCleanup;

impl JobHandler for SessionCleanup {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let now = state.clock().now();
            let policy = state.config().session;
            let removed =
                delete_expired_sessions_in(job.tx(), now - policy.absolute, now - policy.idle)
                    .await?;
            // After downtime, one run catches up; missed slots are not replayed.
            let mut next = job.job().due_at() + Duration::minutes(EVERY_MINUTES);
            if next <= now {
                next = now + Duration::minutes(EVERY_MINUTES);
            }
            let key = format!("{KIND}:{}", next.timestamp());
            let next_job = NewJob {
                kind: KIND,
                dedupe_key: Some(&key),
                payload: "{}",
                due_at: next,
            };
            schedule_job_in(job.tx(), now, &next_job).await?;
            tracing::debug!(removed, "expired sessions removed");
            Ok(())
        })
    }
}

/// Starts the chain once per database (the dedupe key makes later calls no-ops).
pub async fn schedule_session_cleanup(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock().now();
    let job = NewJob {
        kind: KIND,
        dedupe_key: Some("sessions.cleanup:first"),
        payload: "{}",
        due_at: now,
    };
    state.db().schedule_job(now, &job).await?;
    Ok(())
}
