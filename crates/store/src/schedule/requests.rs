//! Leave requests, swap requests and the on-duty roster. State changes are guarded by the
//! status they start from (`UPDATE … WHERE status = $from`), so two people deciding at once
//! cannot both win; an approved swap moves the shifts in the same transaction.

use super::rosters::{put_shift_in, NewShift};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{from_millis, new_id, to_millis, Db, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::schedule::{LeaveStatus, SwapStatus};

fn moved_on() -> StoreError {
    StoreError::Conflict {
        constraint: "status".into(),
    }
}

#[derive(Debug, Clone)]
pub struct NewLeave {
    pub staff_id: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct LeaveRow {
    pub id: String,
    pub staff_id: String,
    pub display_name: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub reason: String,
    pub status: LeaveStatus,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawLeave {
    id: String,
    staff_id: String,
    display_name: String,
    kind: String,
    start_date: String,
    end_date: String,
    reason: String,
    status: String,
    created_at: i64,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
}

impl TryFrom<RawLeave> for LeaveRow {
    type Error = StoreError;
    fn try_from(r: RawLeave) -> Result<Self, StoreError> {
        Ok(LeaveRow {
            status: LeaveStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("leave status {}", r.status)))?,
            id: r.id,
            staff_id: r.staff_id,
            display_name: r.display_name,
            kind: r.kind,
            start_date: r.start_date,
            end_date: r.end_date,
            reason: r.reason,
            created_at: from_millis(r.created_at),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(from_millis),
            decision_note: r.decision_note,
        })
    }
}

const LEAVE_SELECT: &str = "SELECT l.id, l.staff_id, u.display_name, l.kind, l.start_date, \
    l.end_date, l.reason, l.status, l.created_at, d.display_name AS decided_by, l.decided_at, \
    l.decision_note FROM leave_requests l JOIN users u ON u.id = l.staff_id \
    LEFT JOIN users d ON d.id = l.decided_by";

#[derive(Debug, Clone)]
pub struct NewSwap {
    pub roster_id: String,
    pub requester_id: String,
    pub requester_day: String,
    pub counterpart_id: String,
    pub counterpart_day: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct SwapRow {
    pub id: String,
    pub roster_id: String,
    pub requester_id: String,
    pub requester_name: String,
    pub requester_day: String,
    pub counterpart_id: String,
    pub counterpart_name: String,
    pub counterpart_day: Option<String>,
    pub reason: String,
    pub status: SwapStatus,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_from: Option<String>,
    pub accept_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawSwap {
    id: String,
    roster_id: String,
    requester_id: String,
    requester_name: String,
    requester_day: String,
    counterpart_id: String,
    counterpart_name: String,
    counterpart_day: Option<String>,
    reason: String,
    status: String,
    created_at: i64,
    accepted_at: Option<i64>,
    accepted_from: Option<String>,
    accept_note: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
}

impl TryFrom<RawSwap> for SwapRow {
    type Error = StoreError;
    fn try_from(r: RawSwap) -> Result<Self, StoreError> {
        Ok(SwapRow {
            status: SwapStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("swap status {}", r.status)))?,
            id: r.id,
            roster_id: r.roster_id,
            requester_id: r.requester_id,
            requester_name: r.requester_name,
            requester_day: r.requester_day,
            counterpart_id: r.counterpart_id,
            counterpart_name: r.counterpart_name,
            counterpart_day: r.counterpart_day,
            reason: r.reason,
            created_at: from_millis(r.created_at),
            accepted_at: r.accepted_at.map(from_millis),
            accepted_from: r.accepted_from,
            accept_note: r.accept_note,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(from_millis),
            decision_note: r.decision_note,
        })
    }
}

const SWAP_SELECT: &str = "SELECT w.id, w.roster_id, w.requester_id, a.display_name AS \
    requester_name, w.requester_day, w.counterpart_id, b.display_name AS counterpart_name, \
    w.counterpart_day, w.reason, w.status, w.created_at, w.accepted_at, w.accepted_from, \
    w.accept_note, d.display_name AS decided_by, w.decided_at, w.decision_note \
    FROM swap_requests w JOIN users a ON a.id = w.requester_id \
    JOIN users b ON b.id = w.counterpart_id LEFT JOIN users d ON d.id = w.decided_by";

/// A step on a swap request: who did it, from where, in their words.
#[derive(Debug, Clone)]
pub struct SwapChange<'a> {
    pub from: SwapStatus,
    pub to: SwapStatus,
    pub note: &'a str,
    /// The client address of an acceptance (kept as evidence of the agreement).
    pub client: Option<&'a str>,
    /// Cells to rewrite when the swap is approved: (agent, day, new shift or off).
    pub moves: &'a [(String, String, Option<NewShift>)],
}

#[derive(Debug, Clone)]
pub struct NewDuty {
    pub day: String,
    pub kind: String,
    pub staff_id: String,
    pub phone: String,
    pub note: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DutyRow {
    pub id: String,
    pub day: String,
    pub kind: String,
    pub staff_id: String,
    pub display_name: String,
    pub phone: String,
    pub note: String,
}

impl Db {
    /// Files a leave request (pending). Audited.
    pub async fn create_leave(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        l: &NewLeave,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO leave_requests (id, staff_id, kind, start_date, end_date, reason, \
             status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
        )
        .bind(&id)
        .bind(&l.staff_id)
        .bind(&l.kind)
        .bind(&l.start_date)
        .bind(&l.end_date)
        .bind(&l.reason)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::LeaveRequested)
                .subject("leave", id.clone())
                .detail(format!("{} {}..{}", l.kind, l.start_date, l.end_date)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_leave(&self, id: &str) -> Result<LeaveRow, StoreError> {
        let sql = format!("{LEAVE_SELECT} WHERE l.id = $1");
        let row: RawLeave = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        row.try_into()
    }

    /// Leave requests, newest first: one agent's, or with a status, or those overlapping a
    /// period.
    pub async fn list_leave(
        &self,
        staff_id: Option<&str>,
        status: Option<LeaveStatus>,
        overlapping: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<LeaveRow>, StoreError> {
        let mut sql = Sql::new(LEAVE_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(id) = staff_id {
            sql.push(" AND l.staff_id = ").bind_text(id);
        }
        if let Some(s) = status {
            sql.push(" AND l.status = ").bind_text(s.code());
        }
        if let Some((from, to)) = overlapping {
            sql.push(" AND l.start_date <= ")
                .bind_text(to)
                .push(" AND l.end_date >= ")
                .bind_text(from);
        }
        sql.push(" ORDER BY l.created_at DESC, l.id DESC LIMIT ")
            .bind_int(limit);
        let rows: Vec<RawLeave> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    /// Approves or rejects a pending request; approval takes the agent's shifts on those
    /// days off every roster. Audited.
    pub async fn decide_leave(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        to: LeaveStatus,
        note: &str,
    ) -> Result<(), StoreError> {
        let leave = self.get_leave(id).await?;
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE leave_requests SET status = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4 WHERE id = $5 AND status = 'pending'",
        )
        .bind(to.code())
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(moved_on());
        }
        if to == LeaveStatus::Approved {
            sqlx::query(
                "DELETE FROM roster_shifts WHERE staff_id = $1 AND day >= $2 AND day <= $3",
            )
            .bind(&leave.staff_id)
            .bind(&leave.start_date)
            .bind(&leave.end_date)
            .execute(&mut *tx)
            .await?;
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::LeaveDecided)
                .subject("leave", id)
                .detail(to.code()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The requester withdraws a pending request. Audited.
    pub async fn cancel_leave(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE leave_requests SET status = 'cancelled', decided_at = $1 \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(moved_on());
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::LeaveCancelled).subject("leave", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Files a swap request (proposed). Audited.
    pub async fn create_swap(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        s: &NewSwap,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO swap_requests (id, roster_id, requester_id, requester_day, \
             counterpart_id, counterpart_day, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8)",
        )
        .bind(&id)
        .bind(&s.roster_id)
        .bind(&s.requester_id)
        .bind(&s.requester_day)
        .bind(&s.counterpart_id)
        .bind(s.counterpart_day.as_deref())
        .bind(&s.reason)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::SwapRequested)
                .subject("swap", id.clone())
                .detail(format!(
                    "{} {} ⇄ {} {}",
                    s.requester_id,
                    s.requester_day,
                    s.counterpart_id,
                    s.counterpart_day.as_deref().unwrap_or("-")
                )),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_swap(&self, id: &str) -> Result<SwapRow, StoreError> {
        let sql = format!("{SWAP_SELECT} WHERE w.id = $1");
        let row: RawSwap = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        row.try_into()
    }

    /// Swap requests, newest first: those one agent is part of, and/or with a status.
    pub async fn list_swaps(
        &self,
        staff_id: Option<&str>,
        status: Option<SwapStatus>,
        limit: i64,
    ) -> Result<Vec<SwapRow>, StoreError> {
        let mut sql = Sql::new(SWAP_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(id) = staff_id {
            sql.push(" AND (w.requester_id = ")
                .bind_text(id)
                .push(" OR w.counterpart_id = ")
                .bind_text(id)
                .push(")");
        }
        if let Some(s) = status {
            sql.push(" AND w.status = ").bind_text(s.code());
        }
        sql.push(" ORDER BY w.created_at DESC, w.id DESC LIMIT ")
            .bind_int(limit);
        let rows: Vec<RawSwap> = sql.query_as().fetch_all(&self.read).await?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    /// Moves a swap request one step; an approval rewrites the shifts in the same
    /// transaction. A request that moved on meanwhile is a conflict. Audited.
    pub async fn step_swap(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        change: &SwapChange<'_>,
    ) -> Result<(), StoreError> {
        let swap = self.get_swap(id).await?;
        let mut tx = self.write.begin().await?;
        let t = to_millis(now);
        let done = if change.to == SwapStatus::Accepted {
            sqlx::query(
                "UPDATE swap_requests SET status = $1, accepted_at = $2, accepted_from = $3, \
                 accept_note = $4 WHERE id = $5 AND status = $6",
            )
            .bind(change.to.code())
            .bind(t)
            .bind(change.client)
            .bind(change.note)
            .bind(id)
            .bind(change.from.code())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE swap_requests SET status = $1, decided_by = $2, decided_at = $3, \
                 decision_note = $4 WHERE id = $5 AND status = $6",
            )
            .bind(change.to.code())
            .bind(actor.user_id.as_deref())
            .bind(t)
            .bind(change.note)
            .bind(id)
            .bind(change.from.code())
            .execute(&mut *tx)
            .await?
        };
        if done.rows_affected() == 0 {
            return Err(moved_on());
        }
        for (staff, day, shift) in change.moves {
            put_shift_in(
                &mut tx,
                self.backend(),
                &swap.roster_id,
                staff,
                day,
                shift.as_ref(),
            )
            .await?;
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::SwapStepped)
                .subject("swap", id)
                .detail(format!("{} -> {}", change.from.code(), change.to.code())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts someone on duty (a night or a holiday). Audited.
    pub async fn create_duty(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        d: &NewDuty,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO duty_assignments (id, day, kind, staff_id, phone, note, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&d.day)
        .bind(&d.kind)
        .bind(&d.staff_id)
        .bind(&d.phone)
        .bind(&d.note)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::DutySaved)
                .subject("user", d.staff_id.clone())
                .detail(format!("{} {}", d.day, d.kind)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The on-duty roster from `from` to `to` (inclusive), by day.
    pub async fn list_duty(&self, from: &str, to: &str) -> Result<Vec<DutyRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.day, d.kind, d.staff_id, u.display_name, d.phone, d.note \
             FROM duty_assignments d JOIN users u ON u.id = d.staff_id \
             WHERE d.day >= $1 AND d.day <= $2 ORDER BY d.day, d.kind, u.display_name",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn delete_duty(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM duty_assignments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::DutyDeleted).subject("duty", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
