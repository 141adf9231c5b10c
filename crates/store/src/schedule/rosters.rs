//! Rosters and their shifts. A roster keeps the solver's problem as it was generated (JSON)
//! so hand edits and swaps are checked against the same requirement; its shifts are rows,
//! so an agent's schedule and who is on shift now are index lookups.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{from_millis, new_id, to_millis, Arg, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

/// A roster. `problem` and `report` are JSON the server reads (`kefu_wfm` types); lists
/// leave `problem` empty.
#[derive(Debug, Clone)]
pub struct RosterRow {
    pub id: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub days: i64,
    pub status: String,
    pub problem: String,
    pub report: String,
    /// The agents' ids in the problem's order.
    pub staff: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawRoster {
    id: String,
    name: String,
    start_date: String,
    end_date: String,
    days: i64,
    status: String,
    problem: String,
    report: String,
    staff: String,
    created_at: i64,
    published_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<RawRoster> for RosterRow {
    type Error = StoreError;
    fn try_from(r: RawRoster) -> Result<Self, StoreError> {
        Ok(RosterRow {
            staff: serde_json::from_str(&r.staff)?,
            id: r.id,
            name: r.name,
            start_date: r.start_date,
            end_date: r.end_date,
            days: r.days,
            status: r.status,
            problem: r.problem,
            report: r.report,
            created_at: from_millis(r.created_at),
            published_at: r.published_at.map(from_millis),
            updated_at: from_millis(r.updated_at),
        })
    }
}

/// A shift to store: an agent works a template on a day (center date `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShift {
    pub staff_id: String,
    pub day: String,
    pub template_code: String,
    pub queue: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub on_call: bool,
    pub locked: bool,
}

/// A stored shift with its agent's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRow {
    pub roster_id: String,
    pub staff_id: String,
    pub display_name: String,
    pub day: String,
    pub template_code: String,
    pub queue: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub on_call: bool,
    pub locked: bool,
}

#[derive(sqlx::FromRow)]
struct RawShift {
    roster_id: String,
    staff_id: String,
    display_name: String,
    day: String,
    template_code: String,
    queue: String,
    starts_at: i64,
    ends_at: i64,
    on_call: i64,
    locked: i64,
}

impl From<RawShift> for ShiftRow {
    fn from(r: RawShift) -> Self {
        ShiftRow {
            roster_id: r.roster_id,
            staff_id: r.staff_id,
            display_name: r.display_name,
            day: r.day,
            template_code: r.template_code,
            queue: r.queue,
            starts_at: from_millis(r.starts_at),
            ends_at: from_millis(r.ends_at),
            on_call: r.on_call != 0,
            locked: r.locked != 0,
        }
    }
}

/// A roster as generated.
#[derive(Debug, Clone)]
pub struct NewRoster {
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub days: i64,
    pub problem: String,
    pub report: String,
    pub staff: Vec<String>,
    pub shifts: Vec<NewShift>,
}

const ROSTER_COLUMNS: &str = "id, name, start_date, end_date, days, status, problem, report, \
    staff, created_at, published_at, updated_at";
const SHIFT_SELECT: &str = "SELECT s.roster_id, s.staff_id, u.display_name, s.day, \
    s.template_code, s.queue, s.starts_at, s.ends_at, s.on_call, s.locked \
    FROM roster_shifts s JOIN users u ON u.id = s.staff_id";

/// Inserts shifts in multi-row statements (10 columns, 90 rows a statement).
async fn insert_shifts(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    roster_id: &str,
    shifts: &[NewShift],
) -> Result<(), StoreError> {
    for chunk in shifts.chunks(90) {
        let mut sql = Sql::for_backend(
            backend,
            "INSERT INTO roster_shifts (roster_id, staff_id, day, template_code, queue, \
             starts_at, ends_at, on_call, locked) VALUES ",
        );
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_row([
                Arg::Text(roster_id.to_string()),
                Arg::Text(s.staff_id.clone()),
                Arg::Text(s.day.clone()),
                Arg::Text(s.template_code.clone()),
                Arg::Text(s.queue.clone()),
                Arg::Int(to_millis(s.starts_at)),
                Arg::Int(to_millis(s.ends_at)),
                Arg::Int(s.on_call as i64),
                Arg::Int(s.locked as i64),
            ]);
        }
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Replaces one cell of a roster (an agent's day) inside a transaction.
pub(crate) async fn put_shift_in(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    roster_id: &str,
    staff_id: &str,
    day: &str,
    shift: Option<&NewShift>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM roster_shifts WHERE roster_id = $1 AND staff_id = $2 AND day = $3")
        .bind(roster_id)
        .bind(staff_id)
        .bind(day)
        .execute(&mut **tx)
        .await?;
    if let Some(s) = shift {
        insert_shifts(tx, backend, roster_id, std::slice::from_ref(s)).await?;
    }
    Ok(())
}

impl Db {
    /// Stores a generated roster (a draft) with its shifts. Audited.
    pub async fn create_roster(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        r: &NewRoster,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO rosters (id, name, start_date, end_date, days, status, problem, report, \
             staff, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $10)",
        )
        .bind(&id)
        .bind(&r.name)
        .bind(&r.start_date)
        .bind(&r.end_date)
        .bind(r.days)
        .bind(&r.problem)
        .bind(&r.report)
        .bind(serde_json::to_string(&r.staff)?)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        insert_shifts(&mut tx, self.backend(), &id, &r.shifts).await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::RosterGenerated)
                .subject("roster", id.clone())
                .detail(format!(
                    "{}..{} shifts={}",
                    r.start_date,
                    r.end_date,
                    r.shifts.len()
                )),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a draft roster's problem, report and every shift (a regeneration that
    /// kept the locked shifts). Audited.
    pub async fn replace_roster(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        r: &NewRoster,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE rosters SET problem = $1, report = $2, staff = $3, updated_at = $4 \
             WHERE id = $5 AND status = 'draft'",
        )
        .bind(&r.problem)
        .bind(&r.report)
        .bind(serde_json::to_string(&r.staff)?)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.roster_state_error(id).await);
        }
        sqlx::query("DELETE FROM roster_shifts WHERE roster_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_shifts(&mut tx, self.backend(), id, &r.shifts).await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::RosterGenerated)
                .subject("roster", id)
                .detail(format!("regenerated shifts={}", r.shifts.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// NotFound when the roster does not exist, a conflict when it is not a draft.
    async fn roster_state_error(&self, id: &str) -> StoreError {
        match self.get_roster(id).await {
            Ok(_) => StoreError::Conflict {
                constraint: "rosters_status".into(),
            },
            Err(e) => e,
        }
    }

    /// The most recent rosters (without their problem), newest period first.
    pub async fn list_rosters(&self, limit: i64) -> Result<Vec<RosterRow>, StoreError> {
        let rows: Vec<RawRoster> = sqlx::query_as(
            "SELECT id, name, start_date, end_date, days, status, '' AS problem, report, staff, \
             created_at, published_at, updated_at FROM rosters \
             ORDER BY start_date DESC, created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    pub async fn get_roster(&self, id: &str) -> Result<RosterRow, StoreError> {
        let sql = format!("SELECT {ROSTER_COLUMNS} FROM rosters WHERE id = $1");
        let row: RawRoster = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        row.try_into()
    }

    /// The published roster whose period holds `day` (at most one: publishing refuses
    /// overlaps).
    pub async fn published_roster_on(&self, day: &str) -> Result<Option<RosterRow>, StoreError> {
        let sql = format!(
            "SELECT {ROSTER_COLUMNS} FROM rosters WHERE status = 'published' \
             AND start_date <= $1 AND end_date >= $1"
        );
        let row: Option<RawRoster> = sqlx::query_as(&sql)
            .bind(day)
            .fetch_optional(&self.read)
            .await?;
        row.map(TryFrom::try_from).transpose()
    }

    /// A roster's shifts, by agent and day.
    pub async fn roster_shifts(&self, roster_id: &str) -> Result<Vec<ShiftRow>, StoreError> {
        let sql = format!("{SHIFT_SELECT} WHERE s.roster_id = $1 ORDER BY s.staff_id, s.day");
        let rows: Vec<RawShift> = sqlx::query_as(&sql)
            .bind(roster_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Sets or clears one cell of a roster. Audited.
    pub async fn set_roster_shift(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        roster_id: &str,
        staff_id: &str,
        day: &str,
        shift: Option<&NewShift>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE rosters SET updated_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(roster_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        put_shift_in(&mut tx, self.backend(), roster_id, staff_id, day, shift).await?;
        let what = shift.map_or("off".to_string(), |s| {
            format!("{} {}", s.template_code, s.queue)
        });
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::RosterEdited)
                .subject("roster", roster_id)
                .detail(format!("{staff_id} {day}: {what}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Publishes a draft. Refused (`rosters_published_overlap`) when a published roster
    /// already covers part of its period. Audited.
    pub async fn publish_roster(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let overlap: Option<(String,)> = sqlx::query_as(
            "SELECT o.id FROM rosters r JOIN rosters o ON o.status = 'published' \
             AND o.id <> r.id AND o.start_date <= r.end_date AND o.end_date >= r.start_date \
             WHERE r.id = $1 LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if overlap.is_some() {
            return Err(StoreError::Conflict {
                constraint: "rosters_published_overlap".into(),
            });
        }
        let done = sqlx::query(
            "UPDATE rosters SET status = 'published', published_by = $1, published_at = $2, \
             updated_at = $2 WHERE id = $3 AND status = 'draft'",
        )
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.roster_state_error(id).await);
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::RosterPublished).subject("roster", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a draft and its shifts. Audited.
    pub async fn delete_roster(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "DELETE FROM roster_shifts WHERE roster_id = \
             (SELECT id FROM rosters WHERE id = $1 AND status = 'draft')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM rosters WHERE id = $1 AND status = 'draft'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.roster_state_error(id).await);
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::RosterDeleted).subject("roster", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Published shifts from `from` to `to` (center dates, inclusive), for one agent or
    /// everyone, by day and start.
    pub async fn published_shifts(
        &self,
        staff_id: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<ShiftRow>, StoreError> {
        let mut sql = Sql::new(&format!(
            "{SHIFT_SELECT} JOIN rosters r ON r.id = s.roster_id AND r.status = 'published' \
             WHERE s.day >= "
        ));
        sql.bind_text(from).push(" AND s.day <= ").bind_text(to);
        if let Some(id) = staff_id {
            sql.push(" AND s.staff_id = ").bind_text(id);
        }
        sql.push(" ORDER BY s.day, s.starts_at, u.display_name");
        let rows: Vec<RawShift> = sql.query_as().fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Published shifts under way at `at` (a shift lasts at most a day, which bounds the
    /// index range).
    pub async fn shifts_at(&self, at: DateTime<Utc>) -> Result<Vec<ShiftRow>, StoreError> {
        let sql = format!(
            "{SHIFT_SELECT} JOIN rosters r ON r.id = s.roster_id AND r.status = 'published' \
             WHERE s.ends_at > $1 AND s.ends_at <= $2 AND s.starts_at <= $1 \
             ORDER BY s.on_call, s.starts_at, u.display_name"
        );
        let t = to_millis(at);
        let rows: Vec<RawShift> = sqlx::query_as(&sql)
            .bind(t)
            .bind(t + 86_400_000)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
