//! Keeping the reports' daily rollups (`kefu_store::reports` rollups) up to date: the
//! days whose records changed are counted again, then the days not rolled up yet, newest
//! first. A server does this in the background (`jobs::spawn_rollups`); the API can ask
//! for it now (after a bulk load, or to watch the rollups catch up).

use super::{center_today, working_calendar};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{NaiveDate, Utc};
use kefu_domain::Permission;
use kefu_store::reports::{RollupProgress, RollupRun, RollupStatus};
use serde::Serialize;
use std::sync::OnceLock;
use std::time::Duration;
use utoipa::ToSchema;

/// This process's name in the rollups' lease (one server maintains them at a time).
fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(kefu_store::new_id)
}

fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

fn day_name(day: i64) -> String {
    (NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day)).to_string()
}

/// One refresh, spending at most `budget` on counting days. One at a time in a process:
/// the background task and a request would otherwise count the same day at once, and
/// the older count could land last after the notes were taken away.
pub async fn refresh(state: &AppState, budget: Duration) -> Result<RollupProgress, AppError> {
    static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = RUNNING.lock().await;
    let today = day_number(center_today(state));
    let offset = i64::from(crate::app::schedule::center_offset().local_minus_utc()) * 1000;
    let cal = working_calendar(state).await?;
    Ok(state
        .db()
        .refresh_report_rollups(&RollupRun {
            wall_ms: Utc::now().timestamp_millis(),
            first_day: today - kefu_store::reports::DAYS_BACK,
            today,
            day_offset: offset,
            calendar: &cal,
            owner: owner(),
            budget,
        })
        .await?)
}

/// What the rollups hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupView {
    /// Days rolled up.
    pub days: i64,
    /// The first and last of them (`YYYY-MM-DD`).
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// When the latest day was counted (RFC 3339).
    pub made_at: Option<String>,
    /// Changes noted and not yet counted into the rollups.
    pub pending_changes: i64,
    /// Days counted by this request (0 for a plain read).
    pub days_rolled: usize,
    /// Whether days are left to count (the request stopped at its time limit).
    pub pending: bool,
    /// Another server maintains the rollups just now.
    pub elsewhere: bool,
}

fn view(s: RollupStatus, p: RollupProgress) -> RollupView {
    RollupView {
        days: s.days,
        first_day: s.first_day.map(day_name),
        last_day: s.last_day.map(day_name),
        made_at: s.made_at.map(|ms| kefu_store::from_millis(ms).to_rfc3339()),
        pending_changes: s.notes,
        days_rolled: p.days_rolled,
        pending: p.pending,
        elsewhere: p.elsewhere,
    }
}

/// What the rollups hold.
pub async fn status(state: &AppState, ctx: &Ctx) -> Result<RollupView, AppError> {
    ctx.require(Permission::ReportView)?;
    let s = state.db().report_rollup_status().await?;
    Ok(view(s, RollupProgress::default()))
}

/// Brings the rollups up to date now, for at most a minute.
pub async fn refresh_now(state: &AppState, ctx: &Ctx) -> Result<RollupView, AppError> {
    ctx.require(Permission::ReportView)?;
    let p = refresh(state, Duration::from_secs(60)).await?;
    let s = state.db().report_rollup_status().await?;
    Ok(view(s, p))
}
