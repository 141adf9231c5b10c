//! The follow-up watch (跟进): an open task never goes more than `follow_up_hours`
//! (48 by default) without a follow-up. The scheduler raises the tasks that would before
//! its next run: they are flagged (`raised_at`, the overdue queue) and their assignees and
//! the callback managers are notified. The next attempt clears the flag.

use super::plans::settings_in;
use crate::{new_id, to_millis, StoreError, Tx};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::callback::follow_up_cutoff;
use std::collections::BTreeMap;

/// What one run raised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raised {
    pub tasks: Vec<String>,
    pub notified: Vec<String>,
}

/// The most tasks one run raises (the next run takes the rest).
const BATCH: i64 = 5000;

/// Raises the open tasks whose last follow-up is older than `follow_up_hours` minus
/// `lookahead` (the time until the watch runs again) at `now`.
pub async fn raise_stale_callbacks_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    lookahead: Duration,
) -> Result<Raised, StoreError> {
    let settings = settings_in(tx).await?;
    let cutoff = follow_up_cutoff(now, settings.follow_up_hours, lookahead);
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, assignee_id FROM callback_tasks WHERE status = 'open' AND watch_from <= $1 \
         AND raised_at IS NULL ORDER BY watch_from, id LIMIT $2",
    )
    .bind(to_millis(cutoff))
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(Raised::default());
    }
    let at = to_millis(now);
    for chunk in rows.chunks(500) {
        let mut sql = crate::Sql::new("UPDATE callback_tasks SET raised_at = ");
        sql.bind_int(at).push(" WHERE id IN (");
        for (i, (id, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.clone());
        }
        sql.push(")");
        sql.query().execute(&mut **tx).await?;
    }
    // One notification per person with their count; the managers get the total.
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (_, assignee) in &rows {
        if let Some(a) = assignee {
            *counts.entry(a.clone()).or_default() += 1;
        }
    }
    let managers: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT sp.user_id FROM staff_positions sp JOIN positions p ON p.id = sp.position_id \
         JOIN users u ON u.id = sp.user_id \
         WHERE p.permissions LIKE '%\"callback.manage\"%' AND u.active = 1 ORDER BY sp.user_id",
    )
    .fetch_all(&mut **tx)
    .await?;
    for (m,) in managers {
        counts.insert(m, rows.len() as i64);
    }
    for (user, n) in &counts {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, at, kind, ticket_id, body) \
             VALUES ($1, $2, $3, 'callback_raised', NULL, $4)",
        )
        .bind(new_id())
        .bind(user)
        .bind(at)
        .bind(n.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(Raised {
        tasks: rows.into_iter().map(|(id, _)| id).collect(),
        notified: counts.into_keys().collect(),
    })
}

impl crate::Db {
    /// [`raise_stale_callbacks_in`] in its own transaction.
    pub async fn raise_stale_callbacks(
        &self,
        now: DateTime<Utc>,
        lookahead: Duration,
    ) -> Result<Raised, StoreError> {
        let mut tx = self.write.begin().await?;
        let r = raise_stale_callbacks_in(&mut tx, now, lookahead).await?;
        tx.commit().await?;
        Ok(r)
    }
}
