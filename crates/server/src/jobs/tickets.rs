//! A promise falls due: if it is still the ticket's current, unkept promise, the ticket
//! becomes overdue and its owner, assignee and supervisors are notified.

use super::{JobFuture, JobHandler};
use crate::state::AppState;
use anyhow::Context;
use kefu_store::jobs::ClaimedJob;
use kefu_store::tickets::{mark_promise_overdue_in, PROMISE_DUE_JOB};

pub struct PromiseDue;

#[derive(serde::Deserialize)]
struct Payload {
    ticket_id: String,
    seq: i64,
}

impl JobHandler for PromiseDue {
    fn kind(&self) -> &'static str {
        PROMISE_DUE_JOB
    }

    fn run<'a>(&'a self, state: &'a AppState, job: &'a mut ClaimedJob) -> JobFuture<'a> {
        Box::pin(async move {
            let p: Payload =
                serde_json::from_str(&job.job().payload).context("promise job payload")?;
            let now = state.clock().now();
            let backend = state.db().backend();
            if let Some(outcome) =
                mark_promise_overdue_in(job.tx(), backend, &p.ticket_id, p.seq, now).await?
            {
                tracing::info!(
                    ticket = %outcome.ticket_id,
                    notified = outcome.notified.len(),
                    "promise overdue"
                );
            }
            Ok(())
        })
    }
}
