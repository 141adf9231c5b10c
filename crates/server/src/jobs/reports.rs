//! Scheduled reports on the scheduler's clock: once a minute (and after every move of a
//! simulated clock) the reports of the last whole week and month that are not kept yet
//! are made (`app::report_documents`). They are not durable jobs: a month's report at ten
//! million tickets reads for many seconds, and a job's transaction would hold SQLite's
//! writer that long. The unique index on the kept reports makes every later check, a
//! restart or a second server harmless, and a server that was down when a period ended
//! makes its reports when it comes back.

use crate::state::AppState;

/// Makes the scheduled reports that are due and not kept yet.
pub async fn make_scheduled_reports(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock().now();
    let made = crate::app::report_documents::generate_due(state, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !made.is_empty() {
        let kinds: Vec<&str> = made.iter().map(|k| k.code()).collect();
        tracing::info!(reports = ?kinds, "scheduled reports made");
    }
    Ok(())
}
