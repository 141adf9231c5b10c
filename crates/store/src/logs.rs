//! Logs (日志): agents' work logs per day (工作日志), shift leads' duty logs per shift
//! (值班日志), and the day's activity a work log is prefilled with.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{to_millis, Db, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::logs::Shift;

/// Rows a log list returns at most (a supervisor's month of a team is well below it).
pub const MAX_LOG_ROWS: i64 = 1_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkLogRow {
    pub user_id: String,
    pub user_name: String,
    pub day: String,
    pub text: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DutyLogRow {
    pub day: String,
    pub shift: String,
    pub lead_id: String,
    pub lead_name: String,
    /// Who was on duty, who was missing.
    pub staffing: String,
    pub incidents: String,
    /// What the next shift must follow up.
    pub handover: String,
    pub text: String,
    pub updated_at: i64,
}

/// What a shift lead writes into a duty log.
#[derive(Debug, Clone, Default)]
pub struct DutyLogInput {
    pub staffing: String,
    pub incidents: String,
    pub handover: String,
    pub text: String,
}

/// One ticket someone worked on during a day: what they did, as counts by event kind.
#[derive(Debug, Clone)]
pub struct TicketActivity {
    pub ticket_id: String,
    pub number: String,
    pub subject: String,
    pub status: String,
    /// When they first touched it that day.
    pub first_at: i64,
    /// `(event kind, count)`, in the order first done.
    pub kinds: Vec<(String, i64)>,
}

const WORK_SELECT: &str = "SELECT w.user_id, u.display_name AS user_name, w.day, w.text, \
    w.updated_at FROM work_logs w JOIN users u ON u.id = w.user_id";

const DUTY_SELECT: &str = "SELECT d.day, d.shift, d.lead_id, u.display_name AS lead_name, \
    d.staffing, d.incidents, d.handover, d.text, d.updated_at \
    FROM duty_logs d JOIN users u ON u.id = d.lead_id";

fn day_code(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

impl Db {
    /// The tickets `user_id` handled in `[start, end)`: distinct tickets with timeline
    /// events by them, oldest first, with what they did (read through the
    /// `ticket_events_actor (actor_id, at)` index).
    #[tracing::instrument(skip_all)]
    pub async fn day_activity(
        &self,
        user_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<TicketActivity>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            ticket_id: String,
            number: String,
            subject: String,
            status: String,
            kind: String,
            n: i64,
            first_at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.ticket_id, t.number, t.subject, t.status, e.kind, COUNT(*) AS n, \
             MIN(e.at) AS first_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE e.actor_id = $1 AND e.at >= $2 AND e.at < $3 \
             GROUP BY e.ticket_id, t.number, t.subject, t.status, e.kind \
             ORDER BY first_at, e.ticket_id",
        )
        .bind(user_id)
        .bind(to_millis(start))
        .bind(to_millis(end))
        .fetch_all(&self.read)
        .await?;
        let mut out: Vec<TicketActivity> = Vec::new();
        for r in rows {
            match out.iter_mut().find(|a| a.ticket_id == r.ticket_id) {
                Some(a) => a.kinds.push((r.kind, r.n)),
                None => out.push(TicketActivity {
                    ticket_id: r.ticket_id,
                    number: r.number,
                    subject: r.subject,
                    status: r.status,
                    first_at: r.first_at,
                    kinds: vec![(r.kind, r.n)],
                }),
            }
        }
        Ok(out)
    }

    /// A person's work log for a day, if they wrote one.
    pub async fn get_work_log(
        &self,
        user_id: &str,
        day: NaiveDate,
    ) -> Result<Option<WorkLogRow>, StoreError> {
        let sql = format!("{WORK_SELECT} WHERE w.user_id = $1 AND w.day = $2");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(day_code(day))
            .fetch_optional(&self.read)
            .await?)
    }

    /// Writes (or rewrites) a person's work log for a day.
    #[tracing::instrument(skip_all)]
    pub async fn save_work_log(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        day: NaiveDate,
        text: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO work_logs (user_id, day, text, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, day) DO UPDATE SET text = excluded.text, \
             updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(day_code(day))
        .bind(text)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::WorkLogSaved)
            .subject("user", user_id)
            .detail(day_code(day));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Work logs in `[from, to]` (days), of one person or everyone, by day then name.
    pub async fn list_work_logs(
        &self,
        user_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<WorkLogRow>, StoreError> {
        let sql = format!(
            "{WORK_SELECT} WHERE w.day >= $1 AND w.day <= $2 \
             AND ($3 = '' OR w.user_id = $3) ORDER BY w.day, u.display_name LIMIT $4"
        );
        Ok(sqlx::query_as(&sql)
            .bind(day_code(from))
            .bind(day_code(to))
            .bind(user_id.unwrap_or_default())
            .bind(MAX_LOG_ROWS)
            .fetch_all(&self.read)
            .await?)
    }

    /// The duty log of a shift, if its lead wrote one.
    pub async fn get_duty_log(
        &self,
        day: NaiveDate,
        shift: Shift,
    ) -> Result<Option<DutyLogRow>, StoreError> {
        let sql = format!("{DUTY_SELECT} WHERE d.day = $1 AND d.shift = $2");
        Ok(sqlx::query_as(&sql)
            .bind(day_code(day))
            .bind(shift.code())
            .fetch_optional(&self.read)
            .await?)
    }

    /// Writes (or rewrites) a shift's duty log; whoever writes it is its lead.
    #[tracing::instrument(skip_all, fields(shift = shift.code()))]
    pub async fn save_duty_log(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        day: NaiveDate,
        shift: Shift,
        lead_id: &str,
        log: &DutyLogInput,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO duty_logs (day, shift, lead_id, staffing, incidents, handover, text, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (day, shift) DO UPDATE SET lead_id = excluded.lead_id, \
             staffing = excluded.staffing, incidents = excluded.incidents, \
             handover = excluded.handover, text = excluded.text, \
             updated_at = excluded.updated_at",
        )
        .bind(day_code(day))
        .bind(shift.code())
        .bind(lead_id)
        .bind(&log.staffing)
        .bind(&log.incidents)
        .bind(&log.handover)
        .bind(&log.text)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::DutyLogSaved)
            .subject("duty_log", format!("{}/{}", day_code(day), shift.code()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Duty logs in `[from, to]` (days), by day then shift.
    pub async fn list_duty_logs(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DutyLogRow>, StoreError> {
        let sql = format!(
            "{DUTY_SELECT} WHERE d.day >= $1 AND d.day <= $2 ORDER BY d.day, d.shift LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(day_code(from))
            .bind(day_code(to))
            .bind(MAX_LOG_ROWS)
            .fetch_all(&self.read)
            .await?)
    }
}
