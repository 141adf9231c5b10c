//! SLA policies (服务时限) as the admin configures them, and the choice of the policy for
//! a work order. Every kefu keeps at least one active catch-all policy, so every work
//! order gets targets: the store refuses a change that would remove the last one.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::calendar::BusinessCalendar;
use kefu_domain::sla::{match_policy, SlaCalendar, SlaScope, SlaTarget};
use kefu_domain::ticket::{Priority, TicketStatus, TicketType};

/// A policy with its decoded criteria and targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicyRow {
    pub id: String,
    pub name: String,
    pub scope: SlaScope,
    pub calendar: SlaCalendar,
    pub first_response_minutes: i64,
    pub reply_promise_minutes: i64,
    pub resolution_minutes: i64,
    /// The statuses in which the policy's clocks stop (waiting on the customer).
    pub pause_statuses: Vec<TicketStatus>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SlaPolicyRow {
    /// The three targets as amounts of time on the policy's calendar.
    pub fn targets(&self) -> [(SlaTarget, Duration); 3] {
        [
            (
                SlaTarget::FirstResponse,
                Duration::minutes(self.first_response_minutes),
            ),
            (
                SlaTarget::ReplyPromise,
                Duration::minutes(self.reply_promise_minutes),
            ),
            (
                SlaTarget::Resolution,
                Duration::minutes(self.resolution_minutes),
            ),
        ]
    }
}

/// What an admin sets on a policy (validated by the caller: positive targets, known
/// codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicyInput {
    pub name: String,
    pub scope: SlaScope,
    pub calendar: SlaCalendar,
    pub first_response_minutes: i64,
    pub reply_promise_minutes: i64,
    pub resolution_minutes: i64,
    pub pause_statuses: Vec<TicketStatus>,
    pub active: bool,
}

impl From<&SlaPolicyRow> for SlaPolicyInput {
    fn from(r: &SlaPolicyRow) -> Self {
        SlaPolicyInput {
            name: r.name.clone(),
            scope: r.scope.clone(),
            calendar: r.calendar,
            first_response_minutes: r.first_response_minutes,
            reply_promise_minutes: r.reply_promise_minutes,
            resolution_minutes: r.resolution_minutes,
            pause_statuses: r.pause_statuses.clone(),
            active: r.active,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown customer tier {0}")]
    UnknownTier(String),
    #[error("kefu keeps one active policy for any type, priority and tier; add another before removing this one")]
    CatchAllRequired,
}

impl From<sqlx::Error> for SlaError {
    fn from(e: sqlx::Error) -> Self {
        SlaError::Store(e.into())
    }
}

#[derive(Debug, sqlx::FromRow)]
struct SlaDbRow {
    id: String,
    name: String,
    ticket_type: Option<String>,
    priority: Option<String>,
    tier: Option<String>,
    calendar: String,
    first_response_minutes: i64,
    reply_promise_minutes: i64,
    resolution_minutes: i64,
    pause_statuses: String,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(what: &str, code: &str) -> StoreError {
    StoreError::Corrupt(format!("sla policy {what} {code:?}"))
}

impl TryFrom<SlaDbRow> for SlaPolicyRow {
    type Error = StoreError;

    fn try_from(r: SlaDbRow) -> Result<Self, StoreError> {
        let ticket_type = r
            .ticket_type
            .map(|t| TicketType::from_code(&t).ok_or_else(|| corrupt("type", &t)))
            .transpose()?;
        let priority = r
            .priority
            .map(|p| Priority::from_code(&p).ok_or_else(|| corrupt("priority", &p)))
            .transpose()?;
        let calendar =
            SlaCalendar::from_code(&r.calendar).ok_or_else(|| corrupt("calendar", &r.calendar))?;
        let pause_statuses: Vec<String> = serde_json::from_str(&r.pause_statuses)?;
        let pause_statuses = pause_statuses
            .iter()
            .map(|s| TicketStatus::from_code(s).ok_or_else(|| corrupt("status", s)))
            .collect::<Result<_, _>>()?;
        Ok(SlaPolicyRow {
            id: r.id,
            name: r.name,
            scope: SlaScope {
                ticket_type,
                priority,
                tier: r.tier,
            },
            calendar,
            first_response_minutes: r.first_response_minutes,
            reply_promise_minutes: r.reply_promise_minutes,
            resolution_minutes: r.resolution_minutes,
            pause_statuses,
            active: r.active != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str = "SELECT id, name, ticket_type, priority, tier, calendar, \
    first_response_minutes, reply_promise_minutes, resolution_minutes, pause_statuses, \
    active, created_at, updated_at FROM sla_policies";

fn statuses_json(statuses: &[TicketStatus]) -> String {
    let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
    serde_json::to_string(&codes).expect("strings serialize")
}

/// Names an unknown tier (the foreign key alone would only say "refused").
async fn check_tier(tx: &mut Tx<'_>, input: &SlaPolicyInput) -> Result<(), SlaError> {
    if let Some(tier) = input.scope.tier.as_deref() {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT code FROM customer_tiers WHERE code = $1")
                .bind(tier)
                .fetch_optional(&mut **tx)
                .await?;
        if found.is_none() {
            return Err(SlaError::UnknownTier(tier.to_string()));
        }
    }
    Ok(())
}

/// An active catch-all must remain after the write.
async fn require_catch_all(tx: &mut Tx<'_>) -> Result<(), SlaError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sla_policies WHERE active = 1 AND ticket_type IS NULL \
         AND priority IS NULL AND tier IS NULL",
    )
    .fetch_one(&mut **tx)
    .await?;
    if n == 0 {
        return Err(SlaError::CatchAllRequired);
    }
    Ok(())
}

fn audit_detail(input: &SlaPolicyInput) -> String {
    format!(
        "{} type={} priority={} tier={} calendar={} first_response={}m reply={}m resolution={}m pause={} active={}",
        input.name,
        input.scope.ticket_type.map_or("*", |t| t.code()),
        input.scope.priority.map_or("*", |p| p.code()),
        input.scope.tier.as_deref().unwrap_or("*"),
        input.calendar.code(),
        input.first_response_minutes,
        input.reply_promise_minutes,
        input.resolution_minutes,
        statuses_json(&input.pause_statuses),
        input.active,
    )
}

impl Db {
    /// All policies, active and not, oldest first.
    pub async fn list_sla_policies(&self) -> Result<Vec<SlaPolicyRow>, StoreError> {
        let rows: Vec<SlaDbRow> = sqlx::query_as(&format!("{SELECT} ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.into_iter().map(SlaPolicyRow::try_from).collect()
    }

    pub async fn get_sla_policy(&self, id: &str) -> Result<SlaPolicyRow, StoreError> {
        let row: SlaDbRow = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.read)
            .await?;
        row.try_into()
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &SlaPolicyInput,
    ) -> Result<String, SlaError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        check_tier(&mut tx, input).await?;
        sqlx::query(
            "INSERT INTO sla_policies (id, name, ticket_type, priority, tier, calendar, \
             first_response_minutes, reply_promise_minutes, resolution_minutes, pause_statuses, \
             active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(id.as_str())
        .bind(input.name.as_str())
        .bind(input.scope.ticket_type.map(|t| t.code()))
        .bind(input.scope.priority.map(|p| p.code()))
        .bind(input.scope.tier.as_deref())
        .bind(input.calendar.code())
        .bind(input.first_response_minutes)
        .bind(input.reply_promise_minutes)
        .bind(input.resolution_minutes)
        .bind(statuses_json(&input.pause_statuses))
        .bind(i64::from(input.active))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::SlaPolicyCreated)
            .subject("sla_policy", id.clone())
            .detail(audit_detail(input));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(id)
    }

    /// Replaces a policy's settings (a partial change is merged by the caller from
    /// [`SlaPolicyInput::from`] the current row).
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update_sla_policy(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &SlaPolicyInput,
    ) -> Result<(), SlaError> {
        let mut tx = self.write.begin().await?;
        check_tier(&mut tx, input).await?;
        let done = sqlx::query(
            "UPDATE sla_policies SET name = $1, ticket_type = $2, priority = $3, tier = $4, \
             calendar = $5, first_response_minutes = $6, reply_promise_minutes = $7, \
             resolution_minutes = $8, pause_statuses = $9, active = $10, updated_at = $11 \
             WHERE id = $12",
        )
        .bind(input.name.as_str())
        .bind(input.scope.ticket_type.map(|t| t.code()))
        .bind(input.scope.priority.map(|p| p.code()))
        .bind(input.scope.tier.as_deref())
        .bind(input.calendar.code())
        .bind(input.first_response_minutes)
        .bind(input.reply_promise_minutes)
        .bind(input.resolution_minutes)
        .bind(statuses_json(&input.pause_statuses))
        .bind(i64::from(input.active))
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        require_catch_all(&mut tx).await?;
        let entry = NewAuditEntry::new(AuditAction::SlaPolicyUpdated)
            .subject("sla_policy", id)
            .detail(audit_detail(input));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(())
    }

    /// Deletes a policy. Work orders keep the deadlines they were given; only new work
    /// orders and recalculations see the change.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn delete_sla_policy(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), SlaError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM sla_policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        require_catch_all(&mut tx).await?;
        let entry = NewAuditEntry::new(AuditAction::SlaPolicyDeleted).subject("sla_policy", id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(())
    }

    /// The active policies, oldest first, as the cache loads them.
    pub(crate) async fn load_active_sla_policies(&self) -> Result<Vec<SlaPolicyRow>, StoreError> {
        let rows: Vec<SlaDbRow> = sqlx::query_as(&format!("{SELECT} WHERE active = 1 ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.into_iter().map(SlaPolicyRow::try_from).collect()
    }

    /// The active policy for a work order of this type and priority for a customer of
    /// this tier (`None`: no customer, or one without a tier): the most specific match,
    /// the older policy between equals. There always is one (the catch-all). Served from
    /// memory (see `sla_cache`).
    pub async fn match_sla_policy(
        &self,
        ticket_type: TicketType,
        priority: Priority,
        tier: Option<&str>,
    ) -> Result<SlaPolicyRow, StoreError> {
        let snapshot = self.sla_cache.snapshot(self).await?;
        match_policy(
            &snapshot.active_policies,
            |p| (&p.scope, p.id.as_str()),
            ticket_type,
            priority,
            tier,
        )
        .cloned()
        .ok_or(StoreError::NotFound)
    }

    /// The matched policy and the calendar its targets are counted on: what a new work
    /// order needs to start its clocks (`SlaClock::start(&calendar, now, target)` for
    /// each of [`SlaPolicyRow::targets`]).
    pub async fn sla_for(
        &self,
        ticket_type: TicketType,
        priority: Priority,
        tier: Option<&str>,
        offset: FixedOffset,
    ) -> Result<(SlaPolicyRow, BusinessCalendar), StoreError> {
        let policy = self.match_sla_policy(ticket_type, priority, tier).await?;
        let calendar = self.business_calendar(policy.calendar, offset).await?;
        Ok((policy, calendar))
    }
}
