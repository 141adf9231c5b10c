//! Shift operations (排班): the scheduling settings, shift templates and the scheduled
//! agents' rules (here), rosters with their shifts ([`rosters`]), and leave, swap and
//! on-duty records ([`requests`]). The rules live in `kefu_domain::schedule` and the solver
//! in `kefu_wfm`; this stores what they decide.

mod requests;
mod rosters;

pub use requests::{DutyRow, LeaveRow, NewDuty, NewLeave, NewSwap, SwapChange, SwapRow};
pub use rosters::{NewRoster, NewShift, RosterRow, ShiftRow};

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::schedule::{AgentRules, ScheduleSettings, ShiftBreak, ShiftTemplateSpec};

/// A stored shift template.
#[derive(Debug, Clone)]
pub struct ShiftTemplateRow {
    pub id: String,
    pub spec: ShiftTemplateSpec,
    pub active: bool,
}

#[derive(sqlx::FromRow)]
struct RawTemplate {
    id: String,
    code: String,
    name: String,
    start_minute: i64,
    length_minutes: i64,
    breaks: String,
    on_call: i64,
    color: String,
    active: i64,
}

impl TryFrom<RawTemplate> for ShiftTemplateRow {
    type Error = StoreError;
    fn try_from(r: RawTemplate) -> Result<Self, StoreError> {
        let breaks: Vec<ShiftBreak> = serde_json::from_str(&r.breaks)?;
        Ok(ShiftTemplateRow {
            id: r.id,
            spec: ShiftTemplateSpec {
                code: r.code,
                name: r.name,
                start_minute: r.start_minute as u32,
                length_minutes: r.length_minutes as u32,
                breaks,
                on_call: r.on_call != 0,
                color: r.color,
            },
            active: r.active != 0,
        })
    }
}

/// A scheduled agent: who, and their hard rules.
#[derive(Debug, Clone)]
pub struct ScheduleAgentRow {
    pub staff_id: String,
    pub display_name: String,
    pub agent_no: Option<String>,
    pub active: bool,
    pub rules: AgentRules,
}

#[derive(sqlx::FromRow)]
struct RawAgent {
    staff_id: String,
    display_name: String,
    agent_no: Option<String>,
    active: i64,
    settings: String,
}

impl Db {
    /// The scheduling settings; the handbook's defaults until someone saves them.
    pub async fn get_schedule_settings(&self) -> Result<ScheduleSettings, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT settings FROM schedule_settings WHERE id = 1")
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some((s,)) => serde_json::from_str(&s)?,
            None => ScheduleSettings::default(),
        })
    }

    /// Saves checked settings. Audited.
    pub async fn save_schedule_settings(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        s: &ScheduleSettings,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO schedule_settings (id, settings, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(s)?)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "interval={} queues={} rules={}",
            s.interval_minutes,
            s.queues.len(),
            s.coverage.len()
        );
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::ScheduleSettingsSaved).detail(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every shift template, by start time.
    pub async fn list_shift_templates(&self) -> Result<Vec<ShiftTemplateRow>, StoreError> {
        let rows: Vec<RawTemplate> = sqlx::query_as(
            "SELECT id, code, name, start_minute, length_minutes, breaks, on_call, color, \
             active FROM shift_templates ORDER BY start_minute, code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    /// Creates (`id == None`) or replaces a checked template. A code in use by another
    /// template is a conflict (`shift_templates_code`). Audited.
    pub async fn save_shift_template(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: Option<&str>,
        spec: &ShiftTemplateSpec,
        active: bool,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let breaks = serde_json::to_string(&spec.breaks)?;
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE shift_templates SET code = $1, name = $2, start_minute = $3, \
                     length_minutes = $4, breaks = $5, on_call = $6, color = $7, active = $8, \
                     updated_at = $9 WHERE id = $10",
                )
                .bind(&spec.code)
                .bind(&spec.name)
                .bind(spec.start_minute as i64)
                .bind(spec.length_minutes as i64)
                .bind(&breaks)
                .bind(spec.on_call as i64)
                .bind(&spec.color)
                .bind(active as i64)
                .bind(to_millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                id.to_string()
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO shift_templates (id, code, name, start_minute, length_minutes, \
                     breaks, on_call, color, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&id)
                .bind(&spec.code)
                .bind(&spec.name)
                .bind(spec.start_minute as i64)
                .bind(spec.length_minutes as i64)
                .bind(&breaks)
                .bind(spec.on_call as i64)
                .bind(&spec.color)
                .bind(active as i64)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::ShiftTemplateSaved)
                .subject("shift_template", id.clone())
                .detail(format!("code={} active={active}", spec.code)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The scheduled agents (active and not), by agent number and name.
    pub async fn list_schedule_agents(&self) -> Result<Vec<ScheduleAgentRow>, StoreError> {
        let rows: Vec<RawAgent> = sqlx::query_as(
            "SELECT a.staff_id, u.display_name, u.agent_no, u.active, a.settings \
             FROM schedule_agents a JOIN users u ON u.id = a.staff_id \
             ORDER BY u.agent_no, u.display_name, a.staff_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ScheduleAgentRow {
                    rules: serde_json::from_str(&r.settings)?,
                    staff_id: r.staff_id,
                    display_name: r.display_name,
                    agent_no: r.agent_no,
                    active: r.active != 0,
                })
            })
            .collect()
    }

    /// Puts a staff member on the schedule with checked rules (or changes their rules).
    /// An unknown staff id is refused by the foreign key. Audited.
    pub async fn save_schedule_agent(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        staff_id: &str,
        rules: &AgentRules,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO schedule_agents (staff_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (staff_id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(staff_id)
        .bind(serde_json::to_string(rules)?)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::ScheduleAgentSaved).subject("user", staff_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a staff member off the schedule (their past shifts stay). Audited.
    pub async fn remove_schedule_agent(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        staff_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM schedule_agents WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::ScheduleAgentSaved)
                .subject("user", staff_id)
                .detail("removed"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Contacts per interval of center time from `from` to `to`: calls (of the named CTI
    /// queues, all when empty) and, with `chats`, web chats. Returns (bucket, count) with
    /// bucket = (ms since the epoch + 8 h) / `interval_ms`, counted in the database over
    /// the `calls_started` / `chat_conversations_created` ranges.
    pub async fn contact_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        interval_ms: i64,
        call_queues: &[String],
        chats: bool,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut sql = Sql::new("SELECT (started_at + 28800000) / ");
        sql.bind_int(interval_ms)
            .push(" AS b, COUNT(*) AS n FROM calls WHERE started_at >= ")
            .bind_int(to_millis(from))
            .push(" AND started_at < ")
            .bind_int(to_millis(to));
        if !call_queues.is_empty() {
            sql.push(" AND queue IN (");
            for (i, q) in call_queues.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(q.clone());
            }
            sql.push(")");
        }
        sql.push(" GROUP BY b");
        let mut rows: Vec<(i64, i64)> = sql.query_as().fetch_all(&self.read).await?;
        if chats {
            let mut c = Sql::new("SELECT (created_at + 28800000) / ");
            c.bind_int(interval_ms)
                .push(" AS b, COUNT(*) AS n FROM chat_conversations WHERE created_at >= ")
                .bind_int(to_millis(from))
                .push(" AND created_at < ")
                .bind_int(to_millis(to))
                .push(" GROUP BY b");
            rows.extend(c.query_as::<(i64, i64)>().fetch_all(&self.read).await?);
        }
        Ok(rows)
    }
}
