//! Performance evaluation (绩效考核) and commission (提成): the center's scheme, its
//! rewards and fines rules, the commission rate of each position, recorded commissions,
//! what the manager records against an agent (complaints, violations), and the finished
//! months' evaluations, kept once computed so a later change of the scheme leaves them
//! as they were until someone recomputes them.
//!
//! The figures an evaluation starts from are in [`figures`].

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, Page, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::performance::{Evaluation, Rule, RuleCondition, RuleKind, Scheme};
use serde::{Deserialize, Serialize};

pub mod figures;

/// The scheme as stored: the domain's scheme and the positions whose holders are
/// evaluated (none: everyone holding a position who did any work or had a shift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScheme {
    #[serde(flatten)]
    pub scheme: Scheme,
    #[serde(default)]
    pub positions: Vec<String>,
}

/// The current scheme with who changed it last.
#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub scheme: StoredScheme,
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RateRow {
    pub position_id: String,
    pub position_title: String,
    pub department_name: String,
    /// Basis points; `None` when no rate is set (no commission for the position).
    pub rate_bp: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewCommission {
    pub contract_no: String,
    pub deal_name: String,
    pub agent_id: String,
    pub position_id: String,
    pub contract_cents: i64,
    pub rent_cents: i64,
    pub tax_cents: i64,
    pub rate_bp: i64,
    pub commission_cents: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommissionRow {
    pub id: String,
    pub contract_no: String,
    pub deal_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub position_id: String,
    pub position_title: String,
    pub contract_cents: i64,
    pub rent_cents: i64,
    pub tax_cents: i64,
    pub rate_bp: i64,
    pub commission_cents: i64,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub month: String,
    /// complaint or violation.
    pub kind: String,
    pub note: String,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

/// A stored month: what it was computed with, when and by whom, and the results in rank
/// order.
#[derive(Debug, Clone)]
pub struct StoredMonth {
    pub month: String,
    pub scheme: StoredScheme,
    pub rules: Vec<Rule>,
    pub computed_at: i64,
    pub computed_by: Option<String>,
    pub results: Vec<Evaluation>,
}

/// Whether a month's results were written or were already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Stored,
    AlreadyStored,
}

fn rule_of(row: (String, String, String, i64)) -> Result<Rule, StoreError> {
    let (name, kind, condition, amount_cents) = row;
    Ok(Rule {
        name,
        kind: RuleKind::from_code(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("rule kind {kind}")))?,
        condition: RuleCondition::from_code(&condition)
            .ok_or_else(|| StoreError::Corrupt(format!("rule condition {condition}")))?,
        amount_cents,
    })
}

const COMMISSION_SELECT: &str = "SELECT c.id, c.contract_no, c.deal_name, c.agent_id, \
    a.display_name AS agent_name, c.position_id, p.title AS position_title, \
    c.contract_cents, c.rent_cents, c.tax_cents, c.rate_bp, c.commission_cents, \
    r.display_name AS recorded_by_name, c.recorded_at FROM commissions c \
    JOIN users a ON a.id = c.agent_id JOIN positions p ON p.id = c.position_id \
    JOIN users r ON r.id = c.recorded_by";

const INCIDENT_SELECT: &str = "SELECT i.id, i.agent_id, a.display_name AS agent_name, \
    i.month, i.kind, i.note, r.display_name AS recorded_by_name, i.recorded_at \
    FROM performance_incidents i JOIN users a ON a.id = i.agent_id \
    JOIN users r ON r.id = i.recorded_by";

impl Db {
    /// The current scheme; the default one (and no author) before anyone saved one.
    #[tracing::instrument(skip_all)]
    pub async fn get_performance_scheme(&self) -> Result<SchemeRow, StoreError> {
        let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT s.scheme, s.updated_at, u.display_name FROM performance_scheme s \
             LEFT JOIN users u ON u.id = s.updated_by WHERE s.id = 1",
        )
        .fetch_optional(&self.read)
        .await?;
        Ok(match row {
            Some((json, at, by)) => SchemeRow {
                scheme: serde_json::from_str(&json)?,
                updated_at: Some(at),
                updated_by: by,
            },
            None => SchemeRow {
                scheme: StoredScheme {
                    scheme: Scheme::default(),
                    positions: Vec::new(),
                },
                updated_at: None,
                updated_by: None,
            },
        })
    }

    /// Replaces the scheme (checked by the caller).
    #[tracing::instrument(skip_all)]
    pub async fn save_performance_scheme(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        scheme: &StoredScheme,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(scheme)?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO performance_scheme (id, scheme, updated_by, updated_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET scheme = excluded.scheme, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&json)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::PerformanceSchemeSaved).detail(json);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The rewards and fines rules in their order.
    #[tracing::instrument(skip_all)]
    pub async fn list_performance_rules(&self) -> Result<Vec<Rule>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT name, kind, rule_condition, amount_cents FROM performance_rules \
             ORDER BY sort_order, id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(rule_of).collect()
    }

    /// Replaces all the rules (checked by the caller).
    #[tracing::instrument(skip_all, fields(rules = rules.len()))]
    pub async fn replace_performance_rules(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        rules: &[Rule],
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM performance_rules")
            .execute(&mut *tx)
            .await?;
        for (i, r) in rules.iter().enumerate() {
            sqlx::query(
                "INSERT INTO performance_rules (id, sort_order, name, kind, rule_condition, \
                 amount_cents, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(i as i64)
            .bind(r.name.trim())
            .bind(r.kind.code())
            .bind(r.condition.code())
            .bind(r.amount_cents)
            .bind(actor.user_id.as_deref())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        }
        let entry = NewAuditEntry::new(AuditAction::PerformanceRulesSaved)
            .detail(serde_json::to_string(rules)?);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every position with its commission rate, if one is set, by department and title.
    #[tracing::instrument(skip_all)]
    pub async fn list_commission_rates(&self) -> Result<Vec<RateRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id AS position_id, p.title AS position_title, \
             d.name AS department_name, r.rate_bp FROM positions p \
             JOIN departments d ON d.id = p.department_id \
             LEFT JOIN commission_rates r ON r.position_id = p.id \
             ORDER BY d.name, p.title, p.id",
        )
        .fetch_all(&self.read)
        .await?)
    }

    /// Sets the rates of the positions named (`None` removes a rate); others stay.
    #[tracing::instrument(skip_all, fields(rates = rates.len()))]
    pub async fn set_commission_rates(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        rates: &[(String, Option<i64>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        for (position, rate) in rates {
            match rate {
                Some(bp) => {
                    sqlx::query(
                        "INSERT INTO commission_rates (position_id, rate_bp, updated_by, \
                         updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (position_id) DO \
                         UPDATE SET rate_bp = excluded.rate_bp, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    )
                    .bind(position)
                    .bind(*bp)
                    .bind(actor.user_id.as_deref())
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM commission_rates WHERE position_id = $1")
                        .bind(position)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let detail: Vec<String> = rates
            .iter()
            .map(|(p, r)| format!("{p}={}", r.map(|b| b.to_string()).unwrap_or_default()))
            .collect();
        let entry = NewAuditEntry::new(AuditAction::CommissionRatesSaved).detail(detail.join(","));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a commission calculation.
    #[tracing::instrument(skip_all)]
    pub async fn create_commission(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        c: &NewCommission,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let by = actor
            .user_id
            .as_deref()
            .ok_or_else(|| StoreError::Refused("a commission is recorded by someone".into()))?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO commissions (id, contract_no, deal_name, agent_id, position_id, \
             contract_cents, rent_cents, tax_cents, rate_bp, commission_cents, recorded_by, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&c.contract_no)
        .bind(&c.deal_name)
        .bind(&c.agent_id)
        .bind(&c.position_id)
        .bind(c.contract_cents)
        .bind(c.rent_cents)
        .bind(c.tax_cents)
        .bind(c.rate_bp)
        .bind(c.commission_cents)
        .bind(by)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::CommissionRecorded)
            .subject("commission", &id)
            .detail(format!("{} {}", c.contract_no, c.commission_cents));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_commission(&self, id: &str) -> Result<CommissionRow, StoreError> {
        Ok(
            sqlx::query_as(&format!("{COMMISSION_SELECT} WHERE c.id = $1"))
                .bind(id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Recorded commissions, newest first, optionally one agent's; the cursor is the last
    /// row's `recorded_at:id`.
    #[tracing::instrument(skip_all)]
    pub async fn list_commissions(
        &self,
        agent: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<CommissionRow>, StoreError> {
        let (at, id) = match cursor.and_then(|c| c.split_once(':')) {
            Some((a, i)) => (a.parse::<i64>().unwrap_or(i64::MAX), i.to_string()),
            None => (i64::MAX, String::new()),
        };
        let mut sql = format!(
            "{COMMISSION_SELECT} WHERE (c.recorded_at < $1 OR (c.recorded_at = $1 AND \
             ($2 = '' OR c.id < $2)))"
        );
        if agent.is_some() {
            sql.push_str(" AND c.agent_id = $4");
        }
        sql.push_str(" ORDER BY c.recorded_at DESC, c.id DESC LIMIT $3");
        let mut q = sqlx::query_as(&sql)
            .bind(at)
            .bind(id)
            .bind(limit as i64 + 1);
        if let Some(a) = agent {
            q = q.bind(a.to_string());
        }
        let rows: Vec<CommissionRow> = q.fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| {
            format!("{}:{}", r.recorded_at, r.id)
        }))
    }

    /// Records a complaint against an agent or a violation for a month.
    #[tracing::instrument(skip_all, fields(kind))]
    pub async fn create_performance_incident(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        agent_id: &str,
        month: &str,
        kind: &str,
        note: &str,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let by = actor
            .user_id
            .as_deref()
            .ok_or_else(|| StoreError::Refused("an incident is recorded by someone".into()))?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO performance_incidents (id, agent_id, month, kind, note, recorded_by, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(agent_id)
        .bind(month)
        .bind(kind)
        .bind(note)
        .bind(by)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::PerformanceIncidentRecorded)
            .subject("user", agent_id)
            .detail(format!("{month} {kind}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Withdraws an incident recorded by mistake and gives it back; the audit entry keeps
    /// what it said. `NotFound` when there is none (any more).
    #[tracing::instrument(skip_all)]
    pub async fn delete_performance_incident(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<IncidentRow, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: IncidentRow = sqlx::query_as(&format!("{INCIDENT_SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM performance_incidents WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = NewAuditEntry::new(AuditAction::PerformanceIncidentWithdrawn)
            .subject("user", &row.agent_id)
            .detail(format!("{} {} {}", row.month, row.kind, row.note));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Withdraws a commission recorded by mistake and gives it back; the audit entry keeps
    /// its contract and amount. `NotFound` when there is none (any more).
    #[tracing::instrument(skip_all)]
    pub async fn delete_commission(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<CommissionRow, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: CommissionRow = sqlx::query_as(&format!("{COMMISSION_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM commissions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = NewAuditEntry::new(AuditAction::CommissionWithdrawn)
            .subject("commission", id)
            .detail(format!("{} {}", row.contract_no, row.commission_cents));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A month's incidents, optionally one agent's, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_performance_incidents(
        &self,
        month: &str,
        agent: Option<&str>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let mut sql = format!("{INCIDENT_SELECT} WHERE i.month = $1");
        if agent.is_some() {
            sql.push_str(" AND i.agent_id = $2");
        }
        sql.push_str(" ORDER BY i.recorded_at, i.id");
        let mut q = sqlx::query_as(&sql).bind(month.to_string());
        if let Some(a) = agent {
            q = q.bind(a.to_string());
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// A month's stored evaluation, if it was kept.
    #[tracing::instrument(skip_all)]
    pub async fn get_performance_month(
        &self,
        month: &str,
    ) -> Result<Option<StoredMonth>, StoreError> {
        let head: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT m.scheme, m.rules, m.computed_at, u.display_name FROM performance_months m \
             LEFT JOIN users u ON u.id = m.computed_by WHERE m.month = $1",
        )
        .bind(month)
        .fetch_optional(&self.read)
        .await?;
        let Some((scheme, rules, computed_at, computed_by)) = head else {
            return Ok(None);
        };
        let details: Vec<(String,)> = sqlx::query_as(
            "SELECT detail FROM performance_results WHERE month = $1 ORDER BY rank, agent_id",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await?;
        let mut results = details
            .into_iter()
            .map(|(d,)| serde_json::from_str::<Evaluation>(&d))
            .collect::<Result<Vec<_>, _>>()?;
        // Within a rank, in the evaluation's own order (by name, then id).
        results.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| a.agent_name.cmp(&b.agent_name))
                .then_with(|| a.agent_id.cmp(&b.agent_id))
        });
        Ok(Some(StoredMonth {
            month: month.to_string(),
            scheme: serde_json::from_str(&scheme)?,
            rules: serde_json::from_str(&rules)?,
            computed_at,
            computed_by,
            results,
        }))
    }

    /// Keeps a month's evaluation. Without `replace`, a month already kept (by another
    /// request a moment earlier) stays as it is; with it, the old results are replaced
    /// (an explicit recompute).
    #[tracing::instrument(skip_all, fields(month, agents = results.len(), replace))]
    #[allow(clippy::too_many_arguments)] // what is kept is exactly these; a struct would only rename them
    pub async fn keep_performance_month(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        month: &str,
        scheme: &StoredScheme,
        rules: &[Rule],
        results: &[Evaluation],
        replace: bool,
    ) -> Result<Kept, StoreError> {
        let mut tx = self.write.begin().await?;
        if replace {
            sqlx::query("DELETE FROM performance_results WHERE month = $1")
                .bind(month)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM performance_months WHERE month = $1")
                .bind(month)
                .execute(&mut *tx)
                .await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO performance_months (month, scheme, rules, computed_by, computed_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (month) DO NOTHING",
        )
        .bind(month)
        .bind(serde_json::to_string(scheme)?)
        .bind(serde_json::to_string(rules)?)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Kept::AlreadyStored);
        }
        for chunk in results.chunks(100) {
            let mut sql = crate::Sql::new(
                "INSERT INTO performance_results (month, agent_id, rank, total, reward_cents, \
                 fine_cents, detail) VALUES ",
            );
            for (i, e) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push_row([
                    crate::Arg::Text(month.to_string()),
                    crate::Arg::Text(e.agent_id.clone()),
                    crate::Arg::Int(e.rank),
                    crate::Arg::Int(e.total),
                    crate::Arg::Int(e.reward_cents),
                    crate::Arg::Int(e.fine_cents),
                    crate::Arg::Text(serde_json::to_string(e)?),
                ]);
            }
            sql.query().execute(&mut *tx).await?;
        }
        let action = if replace {
            AuditAction::PerformanceRecomputed
        } else {
            AuditAction::PerformanceKept
        };
        let entry = NewAuditEntry::new(action).detail(month.to_string());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(Kept::Stored)
    }
}
