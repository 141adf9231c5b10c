//! Duty tasks (岗位职责任务): the dated tasks that recurring position duties become, one per
//! position, duty, holder and period (the `duty_tasks_once` index), their completion with
//! what it delivered, and the lists the duty pages and the wallboard read.
//!
//! [`generate_duty_tasks_in`] makes the tasks of a range of days for every active holder
//! of every position with a cadenced duty (the shift duties from that person's published
//! shifts) and withdraws the open tasks, not yet due, that no longer follow from the
//! organization — a duty whose text changed, a holder who left the position, a shift
//! swapped away. Tasks already due stay: they were owed.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{from_millis, new_id, to_millis, Arg, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::occurrence::{duty_key, end_of_day, occurrences, ShiftSpan};
use kefu_domain::org::{Deliverable, Duty};
use std::collections::{HashMap, HashSet};

/// How many tasks one generation made and withdrew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DutyGeneration {
    pub created: u64,
    pub withdrawn: u64,
}

/// A duty task with its position's title and its holder's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DutyTaskRow {
    pub id: String,
    pub position_id: String,
    pub position_title: String,
    pub duty_key: String,
    pub duty_text: String,
    /// The cadence's text form (`daily`, `weekly fri`, `monthly 22`, `after_shift` …).
    pub cadence: String,
    pub user_id: String,
    pub user_name: String,
    pub period_key: String,
    pub due_at: i64,
    pub status: String,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub deliverable_kind: Option<String>,
    pub deliverable_ref: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DutyStatus {
    /// Open, soonest due first (overdue ones included).
    Open,
    /// Open and due before this instant, longest overdue first.
    Overdue(DateTime<Utc>),
    /// Done, latest due first.
    Done,
}

/// Why a task could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no such duty task")]
    Unknown,
    #[error("the duty task belongs to someone else")]
    NotYours,
    #[error("the duty task is already done")]
    AlreadyDone,
}

impl From<sqlx::Error> for CompleteError {
    fn from(e: sqlx::Error) -> Self {
        CompleteError::Store(e.into())
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.position_id, p.title AS position_title, t.duty_key, \
    t.duty_text, t.cadence, t.user_id, u.display_name AS user_name, t.period_key, t.due_at, \
    t.status, t.done_at, t.done_by, t.deliverable_kind, t.deliverable_ref, t.note, \
    t.created_at FROM duty_tasks t JOIN positions p ON p.id = t.position_id \
    JOIN users u ON u.id = t.user_id";

/// One task the organization calls for.
struct Wanted {
    position_id: String,
    duty: Duty,
    key: String,
    user_id: String,
    period_key: String,
    due_at: DateTime<Utc>,
}

/// The cadenced duties of every position, with the position's active holders.
async fn cadenced_positions_in(
    tx: &mut Tx<'_>,
) -> Result<Vec<(String, Vec<Duty>, Vec<String>)>, StoreError> {
    let positions: Vec<(String, String)> = sqlx::query_as("SELECT id, duties FROM positions")
        .fetch_all(&mut **tx)
        .await?;
    let holders: Vec<(String, String)> = sqlx::query_as(
        "SELECT sp.position_id, sp.user_id FROM staff_positions sp \
         JOIN users u ON u.id = sp.user_id WHERE u.active = 1 ORDER BY sp.user_id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut by_position: HashMap<String, Vec<String>> = HashMap::new();
    for (position, user) in holders {
        by_position.entry(position).or_default().push(user);
    }
    let mut out = Vec::new();
    for (id, duties) in positions {
        let duties: Vec<Duty> = serde_json::from_str::<Vec<Duty>>(&duties)?
            .into_iter()
            .filter(|d| d.cadence.is_some())
            .collect();
        let users = by_position.remove(&id).unwrap_or_default();
        if !duties.is_empty() && !users.is_empty() {
            out.push((id, duties, users));
        }
    }
    Ok(out)
}

/// A person's published shifts whose day lies in `[from, to]`.
async fn shifts_in(
    tx: &mut Tx<'_>,
    user_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ShiftSpan>, StoreError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT s.day, s.starts_at, s.ends_at FROM roster_shifts s \
         JOIN rosters r ON r.id = s.roster_id AND r.status = 'published' \
         WHERE s.staff_id = $1 AND s.day >= $2 AND s.day <= $3",
    )
    .bind(user_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(day, starts, ends)| {
            Some(ShiftSpan {
                day: day.parse().ok()?,
                starts_at: from_millis(starts),
                ends_at: from_millis(ends),
            })
        })
        .collect())
}

async fn insert_tasks(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    wanted: &[Wanted],
) -> Result<u64, StoreError> {
    let mut created = 0;
    for chunk in wanted.chunks(50) {
        let mut sql = Sql::new(
            "INSERT INTO duty_tasks (id, position_id, duty_key, duty_text, cadence, user_id, \
             period_key, due_at, status, created_at) VALUES ",
        );
        for (i, w) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let cadence = w.duty.cadence.map(|c| c.to_string()).unwrap_or_default();
            sql.push_row([
                Arg::Text(new_id()),
                Arg::Text(w.position_id.clone()),
                Arg::Text(w.key.clone()),
                Arg::Text(w.duty.text.clone()),
                Arg::Text(cadence),
                Arg::Text(w.user_id.clone()),
                Arg::Text(w.period_key.clone()),
                Arg::Int(to_millis(w.due_at)),
                Arg::Text("open".into()),
                Arg::Int(to_millis(now)),
            ]);
        }
        sql.push(" ON CONFLICT (position_id, duty_key, user_id, period_key) DO NOTHING");
        created += sql.query().execute(&mut **tx).await?.rows_affected();
    }
    Ok(created)
}

/// Makes the tasks of the days `[from, to]` (local: calendar duties due on those days,
/// shift duties of shifts on those days) and withdraws the open ones of those days, not
/// yet due at `now`, that the organization no longer calls for.
pub async fn generate_duty_tasks_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<DutyGeneration, StoreError> {
    let off = crate::tickets::local_offset();
    let mut wanted = Vec::new();
    let mut shifts: HashMap<String, Vec<ShiftSpan>> = HashMap::new();
    for (position_id, duties, users) in cadenced_positions_in(tx).await? {
        for user_id in users {
            for duty in &duties {
                let Some(cadence) = duty.cadence else {
                    continue;
                };
                let spans: &[ShiftSpan] = if cadence.kind().ends_with("_shift") {
                    if !shifts.contains_key(&user_id) {
                        let s = shifts_in(tx, &user_id, from, to).await?;
                        shifts.insert(user_id.clone(), s);
                    }
                    &shifts[&user_id]
                } else {
                    &[]
                };
                let key = duty_key(duty);
                for o in occurrences(cadence, from, to, off, spans) {
                    wanted.push(Wanted {
                        position_id: position_id.clone(),
                        duty: duty.clone(),
                        key: key.clone(),
                        user_id: user_id.clone(),
                        period_key: o.period_key,
                        due_at: o.due_at,
                    });
                }
            }
        }
    }
    let created = insert_tasks(tx, now, &wanted).await?;

    let expected: HashSet<(&str, &str, &str, &str)> = wanted
        .iter()
        .map(|w| {
            (
                w.position_id.as_str(),
                w.key.as_str(),
                w.user_id.as_str(),
                w.period_key.as_str(),
            )
        })
        .collect();
    // The open tasks not yet due that this window speaks for: calendar duties due on one
    // of its days, shift duties of a shift on one of its days.
    let (start, _) = kefu_domain::logs::day_bounds(from, off);
    let open: Vec<(String, String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, position_id, duty_key, user_id, period_key, cadence, due_at FROM duty_tasks \
         WHERE status = 'open' AND due_at > $1 AND due_at >= $2 AND due_at <= $3",
    )
    .bind(to_millis(now))
    .bind(to_millis(start - Duration::days(1)))
    .bind(to_millis(end_of_day(to, off) + Duration::days(1)))
    .fetch_all(&mut **tx)
    .await?;
    let in_window = |day: NaiveDate| day >= from && day <= to;
    let stale: Vec<String> = open
        .into_iter()
        .filter(|(_, _, _, _, period, cadence, due)| {
            if cadence.ends_with("_shift") {
                period.parse().is_ok_and(in_window)
            } else {
                in_window(from_millis(*due).with_timezone(&off).date_naive())
            }
        })
        .filter(|(_, p, k, u, period, ..)| !expected.contains(&(p.as_str(), k, u, period)))
        .map(|(id, ..)| id)
        .collect();
    let mut withdrawn = 0;
    for chunk in stale.chunks(200) {
        let mut sql = Sql::new("DELETE FROM duty_tasks WHERE status = 'open' AND id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.clone());
        }
        sql.push(")");
        withdrawn += sql.query().execute(&mut **tx).await?.rows_affected();
    }
    Ok(DutyGeneration { created, withdrawn })
}

/// `due_at:id`, the position of a row in a list by due.
fn cursor_of(row: &DutyTaskRow) -> String {
    format!("{}:{}", row.due_at, row.id)
}

fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (due, id) = cursor.split_once(':')?;
    Some((due.parse().ok()?, id))
}

impl Db {
    /// [`generate_duty_tasks_in`] in its own transaction.
    #[tracing::instrument(skip_all, fields(%from, %to))]
    pub async fn generate_duty_tasks(
        &self,
        now: DateTime<Utc>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DutyGeneration, StoreError> {
        let mut tx = self.write.begin().await?;
        let out = generate_duty_tasks_in(&mut tx, now, from, to).await?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_duty_task(&self, id: &str) -> Result<DutyTaskRow, StoreError> {
        Ok(sqlx::query_as(&format!("{TASK_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_one(&self.read)
            .await?)
    }

    /// One page of tasks: one person's (`user_id`) or everyone's, by due (see
    /// [`DutyStatus`] for the order), through `duty_tasks_user` or
    /// `duty_tasks_status_due`.
    #[tracing::instrument(skip_all)]
    pub async fn list_duty_tasks(
        &self,
        user_id: Option<&str>,
        status: DutyStatus,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<DutyTaskRow>, StoreError> {
        let mut sql = Sql::new(TASK_SELECT);
        sql.push(" WHERE t.status = ").bind_text(match status {
            DutyStatus::Done => "done",
            _ => "open",
        });
        if let Some(u) = user_id {
            sql.push(" AND t.user_id = ").bind_text(u);
        }
        if let DutyStatus::Overdue(now) = status {
            sql.push(" AND t.due_at < ").bind_int(to_millis(now));
        }
        let desc = status == DutyStatus::Done;
        if let Some((due, id)) = cursor.and_then(parse_cursor) {
            let op = if desc { "<" } else { ">" };
            sql.push(&format!(" AND (t.due_at {op} "))
                .bind_int(due)
                .push(" OR (t.due_at = ")
                .bind_int(due)
                .push(&format!(" AND t.id {op} "))
                .bind_text(id)
                .push("))");
        }
        sql.push(if desc {
            " ORDER BY t.due_at DESC, t.id DESC LIMIT "
        } else {
            " ORDER BY t.due_at, t.id LIMIT "
        })
        .bind_int(limit as i64 + 1);
        let rows: Vec<DutyTaskRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, cursor_of))
    }

    /// Open tasks due before `now`, everyone's (the wallboard's tile).
    pub async fn count_overdue_duty_tasks(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM duty_tasks WHERE status = 'open' AND due_at < $1")
                .bind(to_millis(now))
                .fetch_one(&self.read)
                .await?;
        Ok(n)
    }

    /// Marks `user_id`'s task done, with what it delivered and a note. Audited.
    #[tracing::instrument(skip_all, fields(task = id))]
    pub async fn complete_duty_task(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        user_id: &str,
        deliverable: Option<&Deliverable>,
        note: Option<&str>,
    ) -> Result<(), CompleteError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE duty_tasks SET status = 'done', done_at = $1, done_by = $2, \
             deliverable_kind = $3, deliverable_ref = $4, note = $5 \
             WHERE id = $6 AND user_id = $2 AND status = 'open'",
        )
        .bind(to_millis(now))
        .bind(user_id)
        .bind(deliverable.map(|d| d.kind()))
        .bind(deliverable.map(|d| d.reference()))
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT user_id, status FROM duty_tasks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match row {
                None => CompleteError::Unknown,
                Some((owner, _)) if owner != user_id => CompleteError::NotYours,
                Some(_) => CompleteError::AlreadyDone,
            });
        }
        let mut entry = NewAuditEntry::new(AuditAction::DutyTaskCompleted).subject("duty_task", id);
        if let Some(d) = deliverable {
            entry = entry.detail(format!("{} {}", d.kind(), d.reference()));
        }
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
