//! Recurring position duties on the durable scheduler: a chain of daily jobs (00:10 local
//! time, each scheduling the next in its own transaction under a dedupe key, so one job
//! per day however many servers start the chain) that makes the duty tasks of the coming
//! week for every holder of every position with a cadenced duty. The unique index on the
//! tasks makes a rerun, a restart or a second server harmless; a run after days without
//! a server also makes the days it missed (up to [`MAX_CATCH_UP_DAYS`]).

use super::{schedule_next_day, JobFuture, JobHandler};
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kefu_domain::callback::local_day;
use kefu_store::duties::generate_duty_tasks_in;
use kefu_store::jobs::{ClaimedJob, NewJob};
use kefu_store::tickets::local_offset;

pub const GENERATE: &str = "duties.generate";

pub use crate::app::duties::LOOKAHEAD_DAYS;
/// How far back a late run makes up missed days.
pub const MAX_CATCH_UP_DAYS: i64 = 31;

/// Runs at 00:10 local time.
const AT_MINUTES: i64 = 10;

/// The days a run at `now` covers when it was due at `due`: from the day it was due (a
/// late run makes up what it missed, at most [`MAX_CATCH_UP_DAYS`] back) to
/// [`LOOKAHEAD_DAYS`] ahead.
pub fn window(due: DateTime<Utc>, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let off = local_offset();
    let today = local_day(now, off);
    let from = local_day(due, off)
        .min(today)
        .max(today - Duration::days(MAX_CATCH_UP_DAYS));
    (from, today + Duration::days(LOOKAHEAD_DAYS))
}

pub struct Generate;

impl JobHandler for Generate {
    fn kind(&self) -> &'static str {
        GENERATE
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let now = state.clock().now();
            let (from, to) = window(job.job().due_at(), now);
            let made = generate_duty_tasks_in(job.tx(), now, from, to).await?;
            schedule_next_day(job, GENERATE, now, AT_MINUTES).await?;
            tracing::info!(
                %from,
                %to,
                created = made.created,
                withdrawn = made.withdrawn,
                "duty tasks generated"
            );
            Ok(())
        })
    }
}

/// Starts the chain once per database (the dedupe key makes later calls no-ops): the
/// first generation runs now.
pub async fn schedule_duty_jobs(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock().now();
    let job = NewJob {
        kind: GENERATE,
        dedupe_key: Some("duties.generate:first"),
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

    fn local(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        local_offset()
            .with_ymd_and_hms(2027, 1, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, d).unwrap()
    }

    #[test]
    fn runs_follow_each_other_without_gaps() {
        let next = |now| super::super::next_daily(now, AT_MINUTES);
        assert_eq!(next(local(5, 0, 10)), local(6, 0, 10));
        assert_eq!(next(local(5, 23, 59)), local(6, 0, 10));
        assert_eq!(window(local(5, 0, 10), local(5, 0, 10)), (day(5), day(12)));
        // Three days late: the missed days are made up.
        assert_eq!(window(local(5, 0, 10), local(8, 9, 0)), (day(5), day(15)));
        // A first run scheduled at start-up.
        assert_eq!(window(local(9, 15, 0), local(9, 15, 0)), (day(9), day(16)));
        let (from, _) = window(local(1, 0, 10) - Duration::days(90), local(1, 0, 10));
        assert_eq!(from, day(1) - Duration::days(MAX_CATCH_UP_DAYS));
    }
}
