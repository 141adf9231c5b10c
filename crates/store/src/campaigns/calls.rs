//! The agent's calling list of the day and the calls themselves.
//!
//! A list is filled when the agent opens it: per active campaign the agent works, up to
//! the daily quota less the calls already made today and the customers already listed
//! and waiting ([`list_allowance`]). Targets are claimed with a conditional `UPDATE`, so
//! two agents never get the same target on one day. A call claims the customer's day in
//! `customer_call_days` (primary key customer + day) in its own transaction: a customer
//! is called at most once a day, whichever campaign calls.

use super::{fetch_campaign, set_do_not_call_in, CampaignError};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::customers::append_event;
use crate::{new_id, to_millis, Backend, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::campaign::{
    call_day, list_allowance, next_step, CampaignStatus, NextStep, Outcome, TargetState,
};

/// One customer on an agent's list today.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListEntryRow {
    pub campaign_id: String,
    pub campaign_name: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_status: String,
    pub primary_phone: Option<String>,
    pub attempts: i64,
    pub last_outcome: Option<String>,
    pub last_called_at: Option<i64>,
    /// The day of the last call (`YYYY-MM-DD`, China): today means done for today.
    pub last_call_day: Option<String>,
    pub next_attempt_at: i64,
    pub state: String,
}

/// What a recorded call did to its target.
#[derive(Debug, Clone)]
pub struct CallRecorded {
    pub call_id: String,
    pub state: TargetState,
    pub attempts: u32,
    /// When the customer is due again, if they are.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The customer status a conversion set.
    pub converted_to: Option<String>,
    pub do_not_call_set: bool,
}

/// A call as the agent records it.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub campaign_id: &'a str,
    pub customer_id: &'a str,
    pub outcome: Outcome,
    pub note: Option<&'a str>,
    pub callback_at: Option<DateTime<Utc>>,
}

/// Customers that may be called today: not flagged do-not-call, not yet called today by
/// any campaign (`t` is the target, `$2` the day).
const CALLABLE: &str = "EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id \
    AND c.do_not_call = 0) AND NOT EXISTS (SELECT 1 FROM customer_call_days d \
    WHERE d.customer_id = t.customer_id AND d.day = $2)";

const ENTRY_SELECT: &str = "SELECT t.campaign_id, k.name AS campaign_name, t.customer_id, \
    c.name AS customer_name, c.status AS customer_status, \
    (SELECT cc.value FROM customer_contacts cc WHERE cc.customer_id = c.id \
     AND cc.kind IN ('mobile', 'landline') ORDER BY cc.position LIMIT 1) AS primary_phone, \
    t.attempts, t.last_outcome, t.last_called_at, t.last_call_day, t.next_attempt_at, t.state \
    FROM campaign_targets t JOIN campaigns k ON k.id = t.campaign_id \
    JOIN customers c ON c.id = t.customer_id";

impl Db {
    /// The agent's list for today over every active campaign they work: first tops it up
    /// to the quota, then returns it — the customers still to call (callbacks and retries
    /// first) and those already called today with their outcome.
    #[tracing::instrument(skip_all)]
    pub async fn todays_calling_list(
        &self,
        agent_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<ListEntryRow>, StoreError> {
        let day = call_day(now).to_string();
        let campaigns: Vec<(String, i64)> = sqlx::query_as(
            "SELECT k.id, k.daily_quota FROM campaign_agents a JOIN campaigns k \
             ON k.id = a.campaign_id WHERE a.agent_id = $1 AND k.status = 'active' \
             ORDER BY k.created_at, k.id",
        )
        .bind(agent_id)
        .fetch_all(&self.read)
        .await?;
        for (campaign_id, quota) in &campaigns {
            let mut tx = self.write.begin().await?;
            lock_agent(self.backend(), &mut tx, campaign_id, agent_id).await?;
            fill_list(
                self.backend(),
                &mut tx,
                campaign_id,
                agent_id,
                *quota,
                &day,
                now,
            )
            .await?;
            tx.commit().await?;
        }
        let sql = format!(
            "{ENTRY_SELECT} WHERE t.agent_id = $1 AND t.list_day = $2 AND k.status = 'active' \
             AND EXISTS (SELECT 1 FROM campaign_agents a WHERE a.campaign_id = t.campaign_id \
             AND a.agent_id = $1) \
             AND (t.last_call_day = $2 OR (t.state = 'pending' AND {CALLABLE})) \
             ORDER BY CASE WHEN t.last_call_day = $2 THEN 1 ELSE 0 END, k.created_at, \
             CASE WHEN t.attempts > 0 THEN 0 ELSE 1 END, t.next_attempt_at, t.customer_id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(agent_id)
            .bind(&day)
            .fetch_all(&self.read)
            .await?)
    }

    /// Records a call from the agent's list: refused outside calling hours, for a
    /// do-not-call customer, one not on the agent's list today, one already called today
    /// (by any campaign) and beyond the quota. The target moves on by the retry rules; a
    /// conversion sets the customer's status, a refusal may set do-not-call — all in one
    /// transaction with the timeline and the audit entry.
    #[tracing::instrument(skip_all, fields(outcome = call.outcome.code()))]
    pub async fn record_campaign_call(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        call: &NewCall<'_>,
    ) -> Result<CallRecorded, CampaignError> {
        let agent_id = actor.user_id.clone().unwrap_or_default();
        let day = call_day(now).to_string();
        let ms = to_millis(now);
        let mut tx = self.write.begin().await?;
        let campaign = fetch_campaign(&mut tx, call.campaign_id).await?;
        if campaign.status() != CampaignStatus::Active {
            return Err(CampaignError::NotActive);
        }
        let member: Option<(String,)> = sqlx::query_as(
            "SELECT agent_id FROM campaign_agents WHERE campaign_id = $1 AND agent_id = $2",
        )
        .bind(call.campaign_id)
        .bind(&agent_id)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_none() {
            return Err(CampaignError::NotCampaignAgent);
        }
        let hours = campaign.calling_hours();
        if !hours.contains(now) {
            return Err(CampaignError::OutsideHours(hours.0.to_string()));
        }
        lock_agent(self.backend(), &mut tx, call.campaign_id, &agent_id).await?;
        type Target = (
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        );
        let target: Option<Target> = sqlx::query_as(
            "SELECT t.state, t.attempts, t.agent_id, t.list_day, t.last_call_day, c.do_not_call \
             FROM campaign_targets t JOIN customers c ON c.id = t.customer_id \
             WHERE t.campaign_id = $1 AND t.customer_id = $2",
        )
        .bind(call.campaign_id)
        .bind(call.customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((state, attempts, listed_for, list_day, last_call_day, dnc)) = target else {
            return Err(StoreError::NotFound.into());
        };
        if state != TargetState::Pending.code() {
            return Err(CampaignError::TargetDone);
        }
        if dnc != 0 {
            return Err(CampaignError::DoNotCall);
        }
        if last_call_day.as_deref() == Some(day.as_str()) {
            return Err(CampaignError::CalledToday);
        }
        if listed_for.as_deref() != Some(agent_id.as_str()) || list_day.as_deref() != Some(&day) {
            return Err(CampaignError::NotOnList);
        }
        let called = calls_today(&mut tx, call.campaign_id, &agent_id, &day).await?;
        if called >= campaign.daily_quota {
            return Err(CampaignError::QuotaReached);
        }
        let claimed = sqlx::query(
            "INSERT INTO customer_call_days (customer_id, day, campaign_id) VALUES ($1, $2, $3) \
             ON CONFLICT (customer_id, day) DO NOTHING",
        )
        .bind(call.customer_id)
        .bind(&day)
        .bind(call.campaign_id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Err(CampaignError::CalledToday);
        }
        let attempts = attempts as u32 + 1;
        let step = next_step(
            call.outcome,
            attempts,
            now,
            call.callback_at,
            campaign.retry(),
        )?;
        let call_id = new_id();
        sqlx::query(
            "INSERT INTO campaign_calls (id, campaign_id, customer_id, agent_id, outcome, note, \
             callback_at, called_at, call_day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&call_id)
        .bind(call.campaign_id)
        .bind(call.customer_id)
        .bind(&agent_id)
        .bind(call.outcome.code())
        .bind(call.note)
        .bind(call.callback_at.map(to_millis))
        .bind(ms)
        .bind(&day)
        .execute(&mut *tx)
        .await?;
        let (state, next_at) = match step {
            NextStep::Retry { at } => (TargetState::Pending, Some(at)),
            NextStep::Done { .. } => (TargetState::Done, None),
        };
        let converted = call.outcome == Outcome::Converted;
        sqlx::query(
            "UPDATE campaign_targets SET state = $1, attempts = $2, last_outcome = $3, \
             last_called_at = $4, last_call_day = $5, next_attempt_at = $6, \
             converted_at = CASE WHEN $7 = 1 THEN $4 ELSE converted_at END \
             WHERE campaign_id = $8 AND customer_id = $9",
        )
        .bind(state.code())
        .bind(i64::from(attempts))
        .bind(call.outcome.code())
        .bind(ms)
        .bind(&day)
        .bind(next_at.map(to_millis).unwrap_or(ms))
        .bind(i64::from(converted))
        .bind(call.campaign_id)
        .bind(call.customer_id)
        .execute(&mut *tx)
        .await?;
        let kind = format!("campaign.{}", call.outcome.code());
        let summary = match call.note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(note) => format!("{}: {note}", campaign.name),
            None => campaign.name.clone(),
        };
        append_event(&mut tx, call.customer_id, actor, now, &kind, &summary, None).await?;
        let mut converted_to = None;
        if converted {
            if let Some(status) = &campaign.convert_to_status {
                sqlx::query("UPDATE customers SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(status)
                    .bind(ms)
                    .bind(call.customer_id)
                    .execute(&mut *tx)
                    .await?;
                append_event(
                    &mut tx,
                    call.customer_id,
                    actor,
                    now,
                    "updated",
                    "status",
                    Some(status),
                )
                .await?;
                crate::search_log::record_in(
                    &mut tx,
                    self.backend(),
                    crate::search_log::Entity::Customer,
                    &[call.customer_id.to_string()],
                    now,
                )
                .await?;
                converted_to = Some(status.clone());
            }
        }
        let do_not_call_set = call.outcome == Outcome::Refused && campaign.refusal_do_not_call != 0;
        if do_not_call_set {
            set_do_not_call_in(
                &mut tx,
                actor,
                now,
                call.customer_id,
                true,
                Some(&campaign.name),
            )
            .await?;
        }
        let entry = NewAuditEntry::new(AuditAction::CampaignCalled)
            .subject("customer", call.customer_id)
            .detail(format!(
                "campaign={} outcome={}",
                call.campaign_id,
                call.outcome.code()
            ));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(CallRecorded {
            call_id,
            state,
            attempts,
            next_attempt_at: next_at,
            converted_to,
            do_not_call_set,
        })
    }
}

/// Serializes list fills and calls of one agent in one campaign on PostgreSQL (SQLite's
/// single writer already does).
async fn lock_agent(
    backend: Backend,
    tx: &mut Tx<'_>,
    campaign_id: &str,
    agent_id: &str,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query(
            "SELECT agent_id FROM campaign_agents WHERE campaign_id = $1 AND agent_id = $2 \
             FOR UPDATE",
        )
        .bind(campaign_id)
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn calls_today(
    tx: &mut Tx<'_>,
    campaign_id: &str,
    agent_id: &str,
    day: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM campaign_calls WHERE campaign_id = $1 AND call_day = $2 \
         AND agent_id = $3",
    )
    .bind(campaign_id)
    .bind(day)
    .bind(agent_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}

/// Tops the agent's list of `day` up to the quota with due targets nobody has listed
/// today: callbacks and retries first, then fresh ones; customers on another campaign's
/// list today are left for that campaign.
async fn fill_list(
    backend: Backend,
    tx: &mut Tx<'_>,
    campaign_id: &str,
    agent_id: &str,
    quota: i64,
    day: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let called = calls_today(tx, campaign_id, agent_id, day).await?;
    let waiting_sql = format!(
        "SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = $1 AND t.agent_id = $3 \
         AND t.list_day = $2 AND t.state = 'pending' \
         AND (t.last_call_day IS NULL OR t.last_call_day <> $2) AND {CALLABLE}"
    );
    let (waiting,): (i64,) = sqlx::query_as(&waiting_sql)
        .bind(campaign_id)
        .bind(day)
        .bind(agent_id)
        .fetch_one(&mut **tx)
        .await?;
    let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    let allowance = list_allowance(clamp(quota), clamp(called), clamp(waiting));
    if allowance == 0 {
        return Ok(());
    }
    // PostgreSQL: agents filling at the same moment pass over each other's picks instead
    // of waiting and then claiming nothing (SQLite's single writer never races).
    let skip_locked = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // The picks are a materialized CTE: PostgreSQL would otherwise re-run a locking
    // `IN (SELECT … LIMIT n)` subquery and claim more than n.
    let claim = format!(
        "WITH picked AS MATERIALIZED (\
         SELECT t.customer_id FROM campaign_targets t WHERE t.campaign_id = $1 \
         AND t.state = 'pending' AND t.next_attempt_at <= $4 \
         AND (t.list_day IS NULL OR t.list_day < $2) AND {CALLABLE} \
         AND NOT EXISTS (SELECT 1 FROM campaign_targets o WHERE o.customer_id = t.customer_id \
         AND o.campaign_id <> t.campaign_id AND o.list_day = $2 AND o.state = 'pending') \
         ORDER BY CASE WHEN t.attempts > 0 THEN 0 ELSE 1 END, t.next_attempt_at, t.customer_id \
         LIMIT $5{skip_locked}) \
         UPDATE campaign_targets SET agent_id = $3, list_day = $2 \
         WHERE campaign_id = $1 AND (list_day IS NULL OR list_day < $2) \
         AND customer_id IN (SELECT customer_id FROM picked)"
    );
    sqlx::query(&claim)
        .bind(campaign_id)
        .bind(day)
        .bind(agent_id)
        .bind(to_millis(now))
        .bind(i64::from(allowance))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
