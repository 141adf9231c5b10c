//! What an admin edits: the callback plans (periodic by tier, care dates, renewal
//! reminders) and the policy (follow-up hours, retry policy, after-sale ticket types).

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::callback::RetryPolicy;
use kefu_domain::ticket::TicketType;

#[derive(Debug, Clone, sqlx::FromRow)]
struct PlanDbRow {
    id: String,
    kind: String,
    name: String,
    tier: Option<String>,
    period: Option<String>,
    holidays: i64,
    special_dates: String,
    lead_days: i64,
    script: Option<String>,
    active: i64,
    updated_at: i64,
}

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub tier: Option<String>,
    pub period: Option<String>,
    pub holidays: bool,
    pub special_dates: String,
    pub lead_days: i64,
    pub script: Option<String>,
    pub active: bool,
    pub updated_at: i64,
}

impl From<PlanDbRow> for PlanRow {
    fn from(r: PlanDbRow) -> Self {
        PlanRow {
            id: r.id,
            kind: r.kind,
            name: r.name,
            tier: r.tier,
            period: r.period,
            holidays: r.holidays != 0,
            special_dates: r.special_dates,
            lead_days: r.lead_days,
            script: r.script,
            active: r.active != 0,
            updated_at: r.updated_at,
        }
    }
}

/// A plan as an admin writes it (validated by the server).
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub kind: String,
    pub name: String,
    pub tier: Option<String>,
    pub period: Option<String>,
    pub holidays: bool,
    pub special_dates: String,
    pub lead_days: i64,
    pub script: Option<String>,
    pub active: bool,
}

const PLAN_SELECT: &str = "SELECT id, kind, name, tier, period, holidays, special_dates, \
    lead_days, script, active, updated_at FROM callback_plans";

pub(crate) async fn active_plans_in(tx: &mut Tx<'_>) -> Result<Vec<PlanRow>, StoreError> {
    let sql = format!("{PLAN_SELECT} WHERE active = 1 ORDER BY id");
    let rows: Vec<PlanDbRow> = sqlx::query_as(&sql).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(PlanRow::from).collect())
}

pub(crate) async fn plan_in(tx: &mut Tx<'_>, id: &str) -> Result<PlanRow, StoreError> {
    let sql = format!("{PLAN_SELECT} WHERE id = $1");
    let row: PlanDbRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?;
    Ok(row.into())
}

/// The policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSettings {
    /// An open task is raised when it would go this long without a follow-up.
    pub follow_up_hours: i64,
    pub retry: RetryPolicy,
    /// Resolved tickets of these types get a callback (repair: a repair verification).
    pub after_sale_types: Vec<TicketType>,
    /// Hours after the resolution at which that callback falls due.
    pub after_sale_delay_hours: i64,
}

#[derive(sqlx::FromRow)]
struct SettingsDbRow {
    follow_up_hours: i64,
    unreachable_minutes: i64,
    busy_minutes: i64,
    max_attempts: i64,
    after_sale_types: String,
    after_sale_delay_hours: i64,
}

pub(crate) async fn settings_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<CallbackSettings, StoreError> {
    let r: SettingsDbRow = sqlx::query_as(
        "SELECT follow_up_hours, unreachable_minutes, busy_minutes, max_attempts, \
         after_sale_types, after_sale_delay_hours FROM callback_settings WHERE id = 'default'",
    )
    .fetch_one(conn)
    .await?;
    Ok(CallbackSettings {
        follow_up_hours: r.follow_up_hours,
        retry: RetryPolicy {
            unreachable_minutes: r.unreachable_minutes,
            busy_minutes: r.busy_minutes,
            max_attempts: r.max_attempts,
        },
        after_sale_types: r
            .after_sale_types
            .split(',')
            .filter_map(|t| TicketType::from_code(t.trim()))
            .collect(),
        after_sale_delay_hours: r.after_sale_delay_hours,
    })
}

impl Db {
    pub async fn callback_settings(&self) -> Result<CallbackSettings, StoreError> {
        let mut conn = self.read.acquire().await?;
        settings_in(&mut conn).await
    }

    /// Saves the policy (validated by the caller).
    pub async fn update_callback_settings(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        s: &CallbackSettings,
    ) -> Result<(), StoreError> {
        let types: Vec<&str> = s.after_sale_types.iter().map(|t| t.code()).collect();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE callback_settings SET follow_up_hours = $1, unreachable_minutes = $2, \
             busy_minutes = $3, max_attempts = $4, after_sale_types = $5, \
             after_sale_delay_hours = $6, updated_at = $7 WHERE id = 'default'",
        )
        .bind(s.follow_up_hours)
        .bind(s.retry.unreachable_minutes)
        .bind(s.retry.busy_minutes)
        .bind(s.retry.max_attempts)
        .bind(types.join(","))
        .bind(s.after_sale_delay_hours)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::CallbackPlanSaved).detail("settings");
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_callback_plans(&self) -> Result<Vec<PlanRow>, StoreError> {
        let sql = format!("{PLAN_SELECT} ORDER BY kind, name, id");
        let rows: Vec<PlanDbRow> = sqlx::query_as(&sql).fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(PlanRow::from).collect())
    }

    pub async fn get_callback_plan(&self, id: &str) -> Result<PlanRow, StoreError> {
        let sql = format!("{PLAN_SELECT} WHERE id = $1");
        let row: PlanDbRow = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        Ok(row.into())
    }

    /// Creates a plan (`id` None) or replaces one; returns its id.
    pub async fn save_callback_plan(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: Option<&str>,
        p: &PlanInput,
    ) -> Result<String, StoreError> {
        let at = to_millis(now);
        let mut tx = self.write.begin().await?;
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE callback_plans SET kind = $1, name = $2, tier = $3, period = $4, \
                     holidays = $5, special_dates = $6, lead_days = $7, script = $8, active = $9, \
                     updated_at = $10 WHERE id = $11",
                )
                .bind(&p.kind)
                .bind(&p.name)
                .bind(p.tier.as_deref())
                .bind(p.period.as_deref())
                .bind(i64::from(p.holidays))
                .bind(&p.special_dates)
                .bind(p.lead_days)
                .bind(p.script.as_deref())
                .bind(i64::from(p.active))
                .bind(at)
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
                    "INSERT INTO callback_plans (id, kind, name, tier, period, holidays, \
                     special_dates, lead_days, script, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(&id)
                .bind(&p.kind)
                .bind(&p.name)
                .bind(p.tier.as_deref())
                .bind(p.period.as_deref())
                .bind(i64::from(p.holidays))
                .bind(&p.special_dates)
                .bind(p.lead_days)
                .bind(p.script.as_deref())
                .bind(i64::from(p.active))
                .bind(at)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let entry =
            NewAuditEntry::new(AuditAction::CallbackPlanSaved).subject("callback_plan", &id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }
}

impl Db {
    /// Sets (or clears) the date a customer's contract expires (renewal reminders).
    pub async fn set_customer_expiry(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        customer_id: &str,
        expires_on: Option<chrono::NaiveDate>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done =
            sqlx::query("UPDATE customers SET expires_on = $1, updated_at = $2 WHERE id = $3")
                .bind(expires_on.map(|d| d.to_string()))
                .bind(to_millis(now))
                .bind(customer_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::CallbackChanged)
            .subject("customer", customer_id)
            .detail("expires_on");
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
