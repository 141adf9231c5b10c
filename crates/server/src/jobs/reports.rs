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

/// Keeps the reports' daily rollups up to date on a task of its own (counting a day of a
/// large center reads for a second or so, which must not hold up the scheduler's tick):
/// ten seconds after start and then every minute, the changed and missing days are
/// counted, twenty seconds at a time, until none are left.
pub fn spawn_rollups(state: AppState) {
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        loop {
            let started = std::time::Instant::now();
            let mut days = 0;
            loop {
                match crate::app::reports::rollups::refresh(
                    &state,
                    std::time::Duration::from_secs(20),
                )
                .await
                {
                    Ok(p) => {
                        days += p.days_rolled;
                        if !p.pending {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "report rollups failed");
                        break;
                    }
                }
                tokio::task::yield_now().await;
            }
            if days > 0 {
                tracing::info!(
                    days,
                    seconds = started.elapsed().as_secs_f64(),
                    "report rollups up to date"
                );
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
}
