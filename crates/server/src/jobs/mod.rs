//! The durable scheduler: jobs are rows in the database (see `kefu_store::jobs`), fired
//! exactly once — a handler writes its effects in the job's own transaction, which
//! commits together with the job's completion. `run_due` fires what is due on the
//! server's clock; the server calls it every second, and after every move of a
//! simulated clock.

mod callbacks;
mod duties;
pub mod mail;
mod reports;
mod sessions;
mod tickets;

use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::callback::{local_at, local_day};
use kefu_store::jobs::{schedule_job_in, ClaimedJob, NewJob};
use kefu_store::tickets::local_offset;
use std::future::Future;
use std::pin::Pin;

pub use callbacks::schedule_callback_jobs;
pub use duties::schedule_duty_jobs;
pub use reports::{make_scheduled_reports, spawn_rollups};
pub use sessions::schedule_session_cleanup;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// What runs a kind of job. Effects go through `job.tx()`.
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a>;
}

/// The next run of a daily chain: `minutes` past local midnight of the day after `now`'s
/// local day.
fn next_daily(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    let off = local_offset();
    local_at(local_day(now, off) + Duration::days(1), 0, off) + Duration::minutes(minutes)
}

/// Schedules tomorrow's run of a daily chain (`minutes` past local midnight) in the running
/// job's transaction. The dedupe key `KIND:DAY` keeps one job per day, however many servers
/// run the chain.
async fn schedule_next_day(
    job: &mut ClaimedJob,
    kind: &'static str,
    now: DateTime<Utc>,
    minutes: i64,
) -> anyhow::Result<()> {
    let next = next_daily(now, minutes);
    let key = format!("{kind}:{}", local_day(next, local_offset()));
    let next_job = NewJob {
        kind,
        dedupe_key: Some(&key),
        payload: "{}",
        due_at: next,
    };
    schedule_job_in(job.tx(), now, &next_job).await?;
    Ok(())
}

/// Every job kind kefu knows.
fn handlers() -> Vec<Box<dyn JobHandler>> {
    vec![
        Box::new(sessions::SessionCleanup),
        Box::new(tickets::PromiseDue),
        Box::new(callbacks::Generate),
        Box::new(callbacks::Watch),
        Box::new(duties::Generate),
    ]
}

/// Attempts before a failing job is given up (and kept, with its error, for the admin).
const MAX_ATTEMPTS: i64 = 5;

/// Fires up to `max` due jobs; returns how many completed.
pub async fn run_due(state: &AppState, max: usize) -> anyhow::Result<usize> {
    let handlers = handlers();
    let mut completed = 0;
    while completed < max {
        let now = state.clock().now();
        let Some(mut claimed) = state.db().claim_due_job(now).await? else {
            break;
        };
        let (id, kind, attempts) = {
            let j = claimed.job();
            (j.id.clone(), j.kind.clone(), j.attempts)
        };
        let outcome = match handlers.iter().find(|h| h.kind() == kind) {
            Some(h) => h.run(state, &mut claimed).await,
            None => Err(anyhow::anyhow!("no handler for job kind {kind}")),
        };
        match outcome {
            Ok(()) => {
                claimed.complete(now).await?;
                completed += 1;
            }
            Err(e) => {
                // Roll the effects back, then record the attempt outside that transaction.
                drop(claimed);
                let retry = (attempts + 1 < MAX_ATTEMPTS)
                    .then(|| now + Duration::minutes(1 << attempts.min(10)));
                tracing::warn!(job = %id, kind = %kind, error = %e, "job failed");
                state
                    .db()
                    .record_job_failure(&id, &format!("{e:#}"), retry)
                    .await?;
            }
        }
    }
    Ok(completed)
}

/// Runs the scheduler every second until the process ends (and marks away the chat
/// agents whose console closed, see `app::chat::agent::mark_away`); once a minute the
/// automatic quality checks read the new chats and e-mail threads (`app::qa::checks`) and
/// the scheduled reports that fell due are made (`reports`).
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        let mut seconds = 0u64;
        loop {
            tick.tick().await;
            seconds += 1;
            if seconds.is_multiple_of(60) {
                if let Err(e) = crate::app::qa::checks::background(&state).await {
                    tracing::warn!(error = %e, "automatic quality checks failed");
                }
                if let Err(e) = make_scheduled_reports(&state).await {
                    tracing::warn!(error = %format!("{e:#}"), "scheduled reports failed");
                }
            }
            if let Err(e) = run_due(&state, 1000).await {
                tracing::warn!(error = %format!("{e:#}"), "scheduler tick failed");
            }
            if let Err(e) = crate::app::chat::agent::mark_away(&state).await {
                tracing::warn!(error = %e, "marking chat agents away failed");
            }
        }
    });
}
