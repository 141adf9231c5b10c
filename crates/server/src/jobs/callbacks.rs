//! The callback rules on the durable scheduler, as two chains of jobs that each schedule
//! their next run in their own transaction (dedupe keys: one job per slot, however many
//! servers start the chain): the daily generation of plan tasks (periodic, care, renewal
//! — at 00:30 local time; dedupe keys on the tasks make any rerun harmless) and the hourly
//! follow-up watch that raises tasks about to go 48 hours without a follow-up.

use super::{schedule_next_day, JobFuture, JobHandler};
use crate::state::AppState;
use chrono::Duration;
use kefu_store::callbacks::{generate_callbacks_in, raise_stale_callbacks_in};
use kefu_store::jobs::{schedule_job_in, ClaimedJob, NewJob};

pub const GENERATE: &str = "callbacks.generate";
pub const WATCH: &str = "callbacks.watch";

/// The watch runs this often; it raises what would go stale before its next run.
const WATCH_EVERY: Duration = Duration::hours(1);

/// The generation runs at 00:30 local time.
const GENERATE_AT_MINUTES: i64 = 30;

pub struct Generate;

impl JobHandler for Generate {
    fn kind(&self) -> &'static str {
        GENERATE
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let now = state.clock().now();
            let made = generate_callbacks_in(job.tx(), now).await?;
            schedule_next_day(job, GENERATE, now, GENERATE_AT_MINUTES).await?;
            tracing::info!(
                periodic = made.periodic,
                care = made.care,
                renewal = made.renewal,
                "callback tasks generated"
            );
            Ok(())
        })
    }
}

pub struct Watch;

impl JobHandler for Watch {
    fn kind(&self) -> &'static str {
        WATCH
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let now = state.clock().now();
            let raised = raise_stale_callbacks_in(job.tx(), now, WATCH_EVERY).await?;
            let mut next = job.job().due_at() + WATCH_EVERY;
            if next <= now {
                next = now + WATCH_EVERY;
            }
            let key = format!("{WATCH}:{}", next.timestamp());
            let next_job = NewJob {
                kind: WATCH,
                dedupe_key: Some(&key),
                payload: "{}",
                due_at: next,
            };
            schedule_job_in(job.tx(), now, &next_job).await?;
            if !raised.tasks.is_empty() {
                tracing::info!(raised = raised.tasks.len(), "callback tasks raised");
            }
            Ok(())
        })
    }
}

/// Starts both chains once per database (the dedupe keys make later calls no-ops): the
/// first generation and the first watch run now.
pub async fn schedule_callback_jobs(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock().now();
    for (kind, key) in [
        (GENERATE, "callbacks.generate:first"),
        (WATCH, "callbacks.watch:first"),
    ] {
        let job = NewJob {
            kind,
            dedupe_key: Some(key),
            payload: "{}",
            due_at: now,
        };
        state.db().schedule_job(now, &job).await?;
    }
    Ok(())
}
