//! Outbound campaigns (主动拨打): the campaign definitions with their agents, the target
//! list (materialized from a customer filter when the campaign starts, or added from an
//! imported list), the status controls and the do-not-call flag on customers. The daily
//! lists and the calls are in [`calls`], the progress numbers in [`progress`].

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::customers::{append_event, push_filter, CustomerFilter};
use crate::{new_id, to_millis, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::calendar::Span;
use kefu_domain::campaign::{CallError, CallingHours, CampaignAction, CampaignStatus, RetryRules};
use kefu_domain::customer::CustomerStatus;
use serde::{Deserialize, Serialize};

pub mod calls;
pub mod progress;

/// Which customers a campaign calls when it starts (the customer list's filter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

impl TargetFilter {
    pub fn is_empty(&self) -> bool {
        self == &TargetFilter::default()
    }

    fn customer_filter(&self) -> CustomerFilter {
        CustomerFilter {
            tier: self.tier.clone(),
            status: self.status.clone(),
            owner_id: self.owner_id.clone(),
            tag: self.tag.clone(),
            q: None,
        }
    }
}

/// A validated campaign, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    pub name: String,
    pub script: String,
    pub daily_quota: u32,
    pub calling_hours: CallingHours,
    pub retry: RetryRules,
    pub refusal_do_not_call: bool,
    pub convert_to_status: Option<CustomerStatus>,
    /// `None`: targets come only from imported lists.
    pub filter: Option<TargetFilter>,
    pub agent_ids: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub script: String,
    pub status: String,
    pub filter: Option<String>,
    pub daily_quota: i64,
    pub call_start: i64,
    pub call_end: i64,
    pub retry_hours: i64,
    pub max_attempts: i64,
    pub refusal_do_not_call: i64,
    pub convert_to_status: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl CampaignRow {
    pub fn status(&self) -> CampaignStatus {
        CampaignStatus::from_code(&self.status).unwrap_or(CampaignStatus::Draft)
    }

    pub fn filter(&self) -> Option<TargetFilter> {
        self.filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
    }

    pub fn calling_hours(&self) -> CallingHours {
        CallingHours(Span {
            start: self.call_start as u32,
            end: self.call_end as u32,
        })
    }

    pub fn retry(&self) -> RetryRules {
        RetryRules {
            retry_hours: self.retry_hours as u32,
            max_attempts: self.max_attempts as u32,
        }
    }
}

/// A campaign on the list page with its headline numbers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignSummaryRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub daily_quota: i64,
    pub created_at: i64,
    pub agents: i64,
    pub targets: i64,
    pub done: i64,
    pub converted: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignAgentRow {
    pub id: String,
    pub display_name: String,
    pub agent_no: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown agent {0}")]
    UnknownAgent(String),
    #[error("agent {0} is deactivated")]
    InactiveAgent(String),
    #[error("a {from} campaign cannot {action}")]
    BadTransition {
        from: &'static str,
        action: &'static str,
    },
    #[error("a finished campaign cannot be changed")]
    Finished,
    #[error("the campaign is not active")]
    NotActive,
    #[error("you are not one of the campaign's agents")]
    NotCampaignAgent,
    #[error("the customer is not on your calling list today")]
    NotOnList,
    #[error("the campaign has finished with this customer")]
    TargetDone,
    #[error("the customer asked not to be called (do not call)")]
    DoNotCall,
    #[error("the customer was already called today")]
    CalledToday,
    #[error("your daily quota for this campaign is used up")]
    QuotaReached,
    #[error("outside the campaign's calling hours ({0})")]
    OutsideHours(String),
    #[error(transparent)]
    Call(#[from] CallError),
}

impl From<sqlx::Error> for CampaignError {
    fn from(e: sqlx::Error) -> Self {
        CampaignError::Store(e.into())
    }
}

const CAMPAIGN_SELECT: &str = "SELECT id, name, script, status, filter, daily_quota, call_start, \
    call_end, retry_hours, max_attempts, refusal_do_not_call, convert_to_status, created_by, \
    created_at, updated_at, started_at, finished_at FROM campaigns";

impl Db {
    #[tracing::instrument(skip_all)]
    pub async fn create_campaign(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &CampaignInput,
    ) -> Result<String, CampaignError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, name, script, status, filter, daily_quota, call_start, \
             call_end, retry_hours, max_attempts, refusal_do_not_call, convert_to_status, \
             created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        )
        .bind(&id)
        .bind(&input.name)
        .bind(&input.script)
        .bind(filter_json(input)?)
        .bind(i64::from(input.daily_quota))
        .bind(i64::from(input.calling_hours.0.start))
        .bind(i64::from(input.calling_hours.0.end))
        .bind(i64::from(input.retry.retry_hours))
        .bind(i64::from(input.retry.max_attempts))
        .bind(i64::from(input.refusal_do_not_call))
        .bind(input.convert_to_status.map(|s| s.code()))
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        write_agents(&mut tx, &id, &input.agent_ids).await?;
        let entry = NewAuditEntry::new(AuditAction::CampaignCreated)
            .subject("campaign", id.clone())
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces the definition and the agents (not while finished). The filter only
    /// matters until the campaign starts.
    #[tracing::instrument(skip_all)]
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &CampaignInput,
    ) -> Result<(), CampaignError> {
        let mut tx = self.write.begin().await?;
        let current = fetch_campaign(&mut tx, id).await?;
        if current.status() == CampaignStatus::Finished {
            return Err(CampaignError::Finished);
        }
        sqlx::query(
            "UPDATE campaigns SET name = $1, script = $2, filter = $3, daily_quota = $4, \
             call_start = $5, call_end = $6, retry_hours = $7, max_attempts = $8, \
             refusal_do_not_call = $9, convert_to_status = $10, updated_at = $11 WHERE id = $12",
        )
        .bind(&input.name)
        .bind(&input.script)
        .bind(filter_json(input)?)
        .bind(i64::from(input.daily_quota))
        .bind(i64::from(input.calling_hours.0.start))
        .bind(i64::from(input.calling_hours.0.end))
        .bind(i64::from(input.retry.retry_hours))
        .bind(i64::from(input.retry.max_attempts))
        .bind(i64::from(input.refusal_do_not_call))
        .bind(input.convert_to_status.map(|s| s.code()))
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM campaign_agents WHERE campaign_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        write_agents(&mut tx, id, &input.agent_ids).await?;
        let entry = NewAuditEntry::new(AuditAction::CampaignUpdated)
            .subject("campaign", id)
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_campaign(&self, id: &str) -> Result<CampaignRow, StoreError> {
        let sql = format!("{CAMPAIGN_SELECT} WHERE id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    pub async fn list_campaign_agents(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<CampaignAgentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.display_name, u.agent_no FROM campaign_agents a \
             JOIN users u ON u.id = a.agent_id WHERE a.campaign_id = $1 ORDER BY u.username",
        )
        .bind(campaign_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Every campaign, newest first, optionally of one status, with its headline numbers
    /// (counted over the indexes `campaign_targets_due` and `campaign_targets_outcome`).
    pub async fn list_campaigns(
        &self,
        status: Option<CampaignStatus>,
    ) -> Result<Vec<CampaignSummaryRow>, StoreError> {
        let mut sql = Sql::new(
            "SELECT k.id, k.name, k.status, k.daily_quota, k.created_at, \
             (SELECT COUNT(*) FROM campaign_agents a WHERE a.campaign_id = k.id) AS agents, \
             (SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = k.id) AS targets, \
             (SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = k.id \
              AND t.state = 'done') AS done, \
             (SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = k.id \
              AND t.last_outcome = 'converted') AS converted \
             FROM campaigns k",
        );
        if let Some(s) = status {
            sql.push(" WHERE k.status = ").bind_text(s.code());
        }
        sql.push(" ORDER BY k.created_at DESC, k.id DESC LIMIT 200");
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    /// Start, pause, resume or finish. Starting materializes the filter's customers as
    /// targets in the same transaction (one `INSERT … SELECT`). Returns the new status.
    #[tracing::instrument(skip_all)]
    pub async fn change_campaign_status(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        action: CampaignAction,
    ) -> Result<CampaignStatus, CampaignError> {
        let mut tx = self.write.begin().await?;
        crate::backend::lock_row(self.backend(), &mut tx, "campaigns", id).await?;
        let current = fetch_campaign(&mut tx, id).await?;
        let from = current.status();
        let to = from.apply(action).ok_or(CampaignError::BadTransition {
            from: from.code(),
            action: action.code(),
        })?;
        let ms = to_millis(now);
        sqlx::query(
            "UPDATE campaigns SET status = $1, updated_at = $2, \
             started_at = CASE WHEN $3 = 1 THEN $2 ELSE started_at END, \
             finished_at = CASE WHEN $4 = 1 THEN $2 ELSE finished_at END WHERE id = $5",
        )
        .bind(to.code())
        .bind(ms)
        .bind(i64::from(action == CampaignAction::Start))
        .bind(i64::from(to == CampaignStatus::Finished))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut detail = format!("{} -> {}", from.code(), to.code());
        if action == CampaignAction::Start {
            if let Some(filter) = current.filter() {
                let added = insert_filter_targets(&mut tx, id, &filter, ms).await?;
                detail.push_str(&format!(", targets={added}"));
            }
        }
        let entry = NewAuditEntry::new(AuditAction::CampaignStatusChanged)
            .subject("campaign", id)
            .detail(detail);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Adds customers (an imported list) as targets; customers already in the campaign
    /// are skipped. Returns how many were added.
    #[tracing::instrument(skip_all, fields(n = customer_ids.len()))]
    pub async fn add_campaign_targets(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        customer_ids: &[String],
    ) -> Result<u64, CampaignError> {
        let mut tx = self.write.begin().await?;
        let current = fetch_campaign(&mut tx, id).await?;
        if current.status() == CampaignStatus::Finished {
            return Err(CampaignError::Finished);
        }
        let ms = to_millis(now);
        let mut added = 0;
        for chunk in customer_ids.chunks(200) {
            let mut sql = Sql::for_backend(
                self.backend(),
                "INSERT INTO campaign_targets (campaign_id, customer_id, state, attempts, \
                 next_attempt_at, added_at) VALUES ",
            );
            for (i, customer) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind_text(id)
                    .push(", ")
                    .bind_text(customer.clone())
                    .push(", 'pending', 0, ")
                    .bind_int(ms)
                    .push(", ")
                    .bind_int(ms)
                    .push(")");
            }
            sql.push(" ON CONFLICT (campaign_id, customer_id) DO NOTHING");
            added += sql.query().execute(&mut *tx).await?.rows_affected();
        }
        let entry = NewAuditEntry::new(AuditAction::CampaignTargetsAdded)
            .subject("campaign", id)
            .detail(format!("added={added} of {}", customer_ids.len()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Customers by one of their phone numbers (normalized values): value → customer id.
    pub async fn customers_by_phones(
        &self,
        values: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(200) {
            let mut sql = Sql::for_backend(
                self.backend(),
                "SELECT value, customer_id FROM customer_contacts \
                 WHERE kind IN ('mobile', 'landline') AND value IN (",
            );
            for (i, v) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(v.clone());
            }
            sql.push(")");
            let rows: Vec<(String, String)> = sql.query_as().fetch_all(&self.read).await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Whether the customer asked not to be called.
    pub async fn customer_do_not_call(&self, customer_id: &str) -> Result<bool, StoreError> {
        let (flag,): (i64,) = sqlx::query_as("SELECT do_not_call FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(&self.read)
            .await?;
        Ok(flag != 0)
    }

    /// Sets or clears the do-not-call flag (勿扰), on the timeline and in the audit log.
    #[tracing::instrument(skip_all)]
    pub async fn set_do_not_call(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        customer_id: &str,
        on: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        set_do_not_call_in(&mut tx, actor, now, customer_id, on, None).await?;
        let entry = NewAuditEntry::new(AuditAction::CustomerDoNotCallSet)
            .subject("customer", customer_id)
            .detail(format!("do_not_call={on}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn filter_json(input: &CampaignInput) -> Result<Option<String>, StoreError> {
    Ok(match &input.filter {
        Some(f) => Some(serde_json::to_string(f)?),
        None => None,
    })
}

pub(crate) async fn fetch_campaign(tx: &mut Tx<'_>, id: &str) -> Result<CampaignRow, StoreError> {
    let sql = format!("{CAMPAIGN_SELECT} WHERE id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?)
}

async fn write_agents(
    tx: &mut Tx<'_>,
    campaign_id: &str,
    agent_ids: &[String],
) -> Result<(), CampaignError> {
    for agent in agent_ids {
        let active: Option<(i64,)> = sqlx::query_as("SELECT active FROM users WHERE id = $1")
            .bind(agent)
            .fetch_optional(&mut **tx)
            .await?;
        match active {
            None => return Err(CampaignError::UnknownAgent(agent.clone())),
            Some((0,)) => return Err(CampaignError::InactiveAgent(agent.clone())),
            Some(_) => {}
        }
        sqlx::query(
            "INSERT INTO campaign_agents (campaign_id, agent_id) VALUES ($1, $2) \
             ON CONFLICT (campaign_id, agent_id) DO NOTHING",
        )
        .bind(campaign_id)
        .bind(agent)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The filter's customers that have a phone, as pending targets, in one statement.
async fn insert_filter_targets(
    tx: &mut Tx<'_>,
    campaign_id: &str,
    filter: &TargetFilter,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO campaign_targets (campaign_id, customer_id, state, attempts, \
         next_attempt_at, added_at) SELECT ",
    );
    sql.bind_text(campaign_id)
        .push(", c.id, 'pending', 0, ")
        .bind_int(now_ms)
        .push(", ")
        .bind_int(now_ms)
        .push(
            " FROM customers c WHERE EXISTS (SELECT 1 FROM customer_contacts cc \
             WHERE cc.customer_id = c.id AND cc.kind IN ('mobile', 'landline'))",
        );
    push_filter(&mut sql, &filter.customer_filter());
    sql.push(" ON CONFLICT (campaign_id, customer_id) DO NOTHING");
    Ok(sql.query().execute(&mut **tx).await?.rows_affected())
}

/// Sets the flag inside the caller's transaction and puts it on the timeline.
pub(crate) async fn set_do_not_call_in(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    customer_id: &str,
    on: bool,
    why: Option<&str>,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE customers SET do_not_call = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(on))
        .bind(to_millis(now))
        .bind(customer_id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let kind = if on {
        "do_not_call_on"
    } else {
        "do_not_call_off"
    };
    append_event(tx, customer_id, actor, now, kind, why.unwrap_or(kind), None).await?;
    Ok(())
}
