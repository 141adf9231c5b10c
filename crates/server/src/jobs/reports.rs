//! Scheduled reports on the durable scheduler: a chain of daily jobs (01:00 local time,
//! each scheduling the next in its own transaction under a dedupe key) that makes the
//! reports of the last whole week and month that are not kept yet
//! (`app::report_documents`). The unique index on the kept reports makes a rerun, a
//! restart or a second server harmless, and a run after days without a server still
//! makes what those days would have.

use super::{JobFuture, JobHandler};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::callback::{local_at, local_day};
use kefu_store::jobs::{schedule_job_in, ClaimedJob, NewJob};
use kefu_store::tickets::local_offset;

pub const GENERATE: &str = "reports.generate";

/// 01:00 local time on the day after `now`'s local day.
fn next_generation(now: DateTime<Utc>) -> DateTime<Utc> {
    let off = local_offset();
    local_at(local_day(now, off) + Duration::days(1), 1, off)
}

pub struct Generate;

impl JobHandler for Generate {
    fn kind(&self) -> &'static str {
        GENERATE
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let now = state.clock().now();
            let made = crate::app::report_documents::generate_due(state, job.tx(), now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let next = next_generation(now);
            let key = format!("{GENERATE}:{}", local_day(next, local_offset()));
            let next_job = NewJob {
                kind: GENERATE,
                dedupe_key: Some(&key),
                payload: "{}",
                due_at: next,
            };
            schedule_job_in(job.tx(), now, &next_job).await?;
            if !made.is_empty() {
                let kinds: Vec<&str> = made.iter().map(|k| k.code()).collect();
                tracing::info!(reports = ?kinds, "scheduled reports made");
            }
            Ok(())
        })
    }
}

/// Starts the chain once per database (the dedupe key makes later calls no-ops): the
/// first run is now.
pub async fn schedule_report_jobs(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock().now();
    let job = NewJob {
        kind: GENERATE,
        dedupe_key: Some("reports.generate:first"),
        payload: "{}",
        due_at: now,
    };
    state.db().schedule_job(now, &job).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn runs_at_one_in_the_morning() {
        let at = |d: u32, h: u32| {
            local_offset()
                .with_ymd_and_hms(2027, 1, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(next_generation(at(5, 1)), at(6, 1));
        assert_eq!(next_generation(at(5, 0)), at(6, 1));
        assert_eq!(next_generation(at(31, 23)), at(31, 23) + Duration::hours(2));
    }
}
