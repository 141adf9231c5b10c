//! Balanced assignment (客户分配, document 7): the agents' loads and skill weights, the
//! preview and the all-or-nothing commit that moves customers to agents and opens their
//! first-contact tasks. The plan itself is the domain's ([`kefu_domain::assignment`]);
//! the commit plans again inside its own transaction, so what it writes matches the
//! database it writes to even if customers moved since the preview.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::unchecked::UncheckedWriter;
use crate::{new_id, to_millis, Arg, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::assignment::{plan, plan_counts, AgentLoad, AgentShare, AssignError, SkillWeight};
use kefu_domain::audit::AuditAction;
use std::collections::HashMap;

/// Which customers to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignSource {
    /// Customers without an owner, optionally only of one tier and/or status.
    Unassigned {
        tier: Option<String>,
        status: Option<String>,
    },
    /// Every customer of an agent who leaves (离职, 调岗); the history stays on each
    /// customer's timeline.
    Leaving { agent_id: String },
}

/// A member of staff as the assignment tool shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentLoadRow {
    pub id: String,
    pub display_name: String,
    pub active: i64,
    pub skill_weight: i64,
    /// Customers they own now.
    pub customers: i64,
    /// Open first-contact tasks.
    pub open_tasks: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AssignmentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Plan(#[from] AssignError),
    #[error("unknown agent {0}")]
    UnknownAgent(String),
    #[error("agent {0} is deactivated and cannot take customers")]
    InactiveAgent(String),
    #[error("the leaving agent {0} cannot also receive customers")]
    LeavingAgentChosen(String),
}

impl From<sqlx::Error> for AssignmentError {
    fn from(e: sqlx::Error) -> Self {
        AssignmentError::Store(e.into())
    }
}

/// The plan for the chosen agents: one share per agent in the order chosen, with names.
#[derive(Debug, Clone)]
pub struct AssignmentPlan {
    pub customers: u64,
    pub shares: Vec<(AgentShare, String)>,
}

/// What a commit did.
#[derive(Debug, Clone)]
pub struct AssignmentOutcome {
    pub plan: AssignmentPlan,
    pub due_at: DateTime<Utc>,
    /// The audit entry that records it.
    pub audit_seq: i64,
}

const LOAD_SELECT: &str = "SELECT u.id, u.display_name, u.active, u.skill_weight, \
    (SELECT COUNT(*) FROM customers c WHERE c.owner_id = u.id) AS customers, \
    (SELECT COUNT(*) FROM contact_tasks t WHERE t.agent_id = u.id AND t.closed_at IS NULL) \
    AS open_tasks FROM users u";

impl Db {
    /// Every member of staff with their weight, customer count and open contact tasks;
    /// active people first.
    pub async fn list_agent_loads(&self) -> Result<Vec<AgentLoadRow>, StoreError> {
        let sql = format!("{LOAD_SELECT} ORDER BY u.active DESC, u.username");
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    /// Sets an agent's skill weight (audited).
    #[tracing::instrument(skip_all)]
    pub async fn set_skill_weight(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        weight: SkillWeight,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE users SET skill_weight = $1 WHERE id = $2")
            .bind(i64::from(weight.get()))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::SkillWeightSet)
            .subject("user", user_id)
            .detail(format!("skill_weight={}", weight.get()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The days within which a newly assigned customer must be contacted (default 7).
    pub async fn contact_days(&self) -> Result<i64, StoreError> {
        let (days,): (i64,) =
            sqlx::query_as("SELECT contact_days FROM assignment_settings WHERE id = 1")
                .fetch_one(&self.read)
                .await?;
        Ok(days)
    }

    /// Changes the first-contact deadline for assignments from now on (audited).
    pub async fn set_contact_days(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE assignment_settings SET contact_days = $1 WHERE id = 1")
            .bind(days)
            .execute(&mut *tx)
            .await?;
        let entry = NewAuditEntry::new(AuditAction::AssignmentSettingsSaved)
            .detail(format!("contact_days={days}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a commit would do now, without writing anything.
    #[tracing::instrument(skip_all, fields(agents = agent_ids.len()))]
    pub async fn preview_assignment(
        &self,
        source: &AssignSource,
        agent_ids: &[String],
    ) -> Result<AssignmentPlan, AssignmentError> {
        let mut conn = self.read.acquire().await?;
        let (loads, names) = chosen_agents(&mut conn, source, agent_ids).await?;
        let sql = source_query("SELECT COUNT(*) FROM customers c WHERE ", source);
        let (n,): (i64,) = sql.query_as().fetch_one(&mut *conn).await?;
        let shares = plan_counts(&loads, n.max(0) as u64)?;
        Ok(with_names(n as u64, shares, &names))
    }

    /// Plans and writes in one transaction: owners change, each customer gets a
    /// first-contact task due `contact_days` from `now` and an `assigned` entry on its
    /// timeline (from whom, to whom, by whom), a leaving agent's open contact tasks are
    /// closed as `reassigned`, and one audit entry records the whole assignment.
    #[tracing::instrument(skip_all, fields(agents = agent_ids.len()))]
    pub async fn commit_assignment(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        source: &AssignSource,
        agent_ids: &[String],
    ) -> Result<AssignmentOutcome, AssignmentError> {
        let backend = self.backend();
        let mut writer = UncheckedWriter::acquire(&self.write, backend).await?;
        let mut tx = sqlx::Connection::begin(&mut *writer.conn).await?;
        let (loads, names) = chosen_agents(&mut tx, source, agent_ids).await?;
        // The source's customers in creation (row key) order, numbered from 0: the plan
        // deals positions.
        let moves = Moves::create(&mut tx, backend).await?;
        let sql = source_query(
            "INSERT INTO assign_moves (pos, customer_id) \
             SELECT ROW_NUMBER() OVER (ORDER BY c.rk) - 1, c.id FROM customers c WHERE ",
            source,
        );
        let n = sql.query().execute(&mut *tx).await?.rows_affected();
        let p = plan(&loads, n)?;
        let (days,): (i64,) =
            sqlx::query_as("SELECT contact_days FROM assignment_settings WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let due_at = now + Duration::days(days);
        let at = to_millis(now);
        let from = match source {
            AssignSource::Leaving { agent_id } => {
                let (name,): (String,) =
                    sqlx::query_as("SELECT display_name FROM users WHERE id = $1")
                        .bind(agent_id)
                        .fetch_one(&mut *tx)
                        .await?;
                Some((agent_id.clone(), name))
            }
            AssignSource::Unassigned { .. } => None,
        };
        let agents: Vec<(String, String, String)> = loads
            .iter()
            .zip(&names)
            .map(|(to, name)| {
                let (summary, detail) = match &from {
                    Some((from_id, from_name)) => (
                        format!("{from_name} → {name}"),
                        format!("from={from_id} to={}", to.id),
                    ),
                    None => (format!("→ {name}"), format!("to={}", to.id)),
                };
                (to.id.clone(), summary, detail)
            })
            .collect();
        moves.deal(&mut tx, &p.assignment, agents).await?;

        sqlx::query(
            "UPDATE customers SET owner_id = a.agent_id, updated_at = $1 \
             FROM assign_moves m JOIN assign_deal d ON d.pos = m.pos \
             JOIN assign_agents a ON a.idx = d.agent WHERE customers.id = m.customer_id",
        )
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if let AssignSource::Leaving { agent_id } = source {
            sqlx::query(
                "UPDATE contact_tasks SET closed_at = $1, closed_by = $2, outcome = 'reassigned' \
                 WHERE agent_id = $3 AND closed_at IS NULL",
            )
            .bind(at)
            .bind(actor.user_id.as_deref())
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        }
        // Ids: a fresh time-ordered id per statement, suffixed with the position. Rows go
        // in position order, which is id order for the new rows and customer-id order for
        // their customer indexes (by agent instead, the insert took twice as long).
        let pos = moves.padded_pos();
        sqlx::query(&format!(
            "INSERT INTO contact_tasks (id, customer_id, agent_id, assigned_by, created_at, due_at) \
             SELECT $1 || {pos}, m.customer_id, a.agent_id, $2, $3, $4 \
             FROM assign_moves m JOIN assign_deal d ON d.pos = m.pos \
             JOIN assign_agents a ON a.idx = d.agent ORDER BY m.pos"
        ))
        .bind(new_id())
        .bind(actor.user_id.as_deref())
        .bind(at)
        .bind(to_millis(due_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO customer_events (id, customer_id, at, actor_id, kind, summary, detail) \
             SELECT $1 || {pos}, m.customer_id, $2, $3, 'assigned', a.summary, a.detail \
             FROM assign_moves m JOIN assign_deal d ON d.pos = m.pos \
             JOIN assign_agents a ON a.idx = d.agent ORDER BY m.pos"
        ))
        .bind(new_id())
        .bind(at)
        .bind(actor.user_id.as_deref())
        .execute(&mut *tx)
        .await?;
        moves.drop(&mut tx).await?;
        let source_detail = match source {
            AssignSource::Unassigned { tier, status } => format!(
                "source=unassigned tier={} status={}",
                tier.as_deref().unwrap_or("*"),
                status.as_deref().unwrap_or("*")
            ),
            AssignSource::Leaving { agent_id } => format!("source=leaving from={agent_id}"),
        };
        let shares: Vec<String> = p
            .shares
            .iter()
            .map(|s| format!("{}:+{}", s.id, s.added))
            .collect();
        let mut subjects: Vec<String> = loads.iter().map(|a| a.id.clone()).collect();
        if let Some((from, _)) = &from {
            subjects.push(from.clone());
        }
        let entry = NewAuditEntry::new(AuditAction::CustomersAssigned)
            .subjects("user", subjects)
            .detail(format!(
                "{source_detail} customers={n} contact_days={days} shares={}",
                shares.join(",")
            ));
        let audit_seq = append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        writer.restore().await;
        Ok(AssignmentOutcome {
            plan: with_names(n, p.shares, &names),
            due_at,
            audit_seq,
        })
    }
}

fn with_names(customers: u64, shares: Vec<AgentShare>, names: &[String]) -> AssignmentPlan {
    AssignmentPlan {
        customers,
        shares: shares.into_iter().zip(names.iter().cloned()).collect(),
    }
}

/// `prefix` followed by the condition that selects the source's customers (indexed:
/// `customers_owner`, then the tier or status filter on those rows).
fn source_query(prefix: &str, source: &AssignSource) -> Sql {
    let mut sql = Sql::new(prefix);
    match source {
        AssignSource::Unassigned { tier, status } => {
            sql.push("c.owner_id IS NULL");
            if let Some(tier) = tier {
                sql.push(" AND c.tier = ").bind_text(tier.clone());
            }
            if let Some(status) = status {
                sql.push(" AND c.status = ").bind_text(status.clone());
            }
        }
        AssignSource::Leaving { agent_id } => {
            sql.push("c.owner_id = ").bind_text(agent_id.clone());
        }
    }
    sql
}

/// Reads the chosen agents in the order chosen and checks them: each known, active, and
/// not the one who leaves. Returns the plan's input and the agents' names.
async fn chosen_agents(
    conn: &mut sqlx::AnyConnection,
    source: &AssignSource,
    agent_ids: &[String],
) -> Result<(Vec<AgentLoad>, Vec<String>), AssignmentError> {
    if agent_ids.is_empty() {
        return Err(AssignError::NoAgents.into());
    }
    if let AssignSource::Leaving { agent_id } = source {
        if agent_ids.contains(agent_id) {
            return Err(AssignmentError::LeavingAgentChosen(agent_id.clone()));
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&mut *conn)
            .await?;
        if n == 0 {
            return Err(AssignmentError::UnknownAgent(agent_id.clone()));
        }
    }
    let mut rows: HashMap<String, AgentLoadRow> = HashMap::new();
    for chunk in agent_ids.chunks(500) {
        let mut sql = Sql::new(LOAD_SELECT);
        sql.push(" WHERE u.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.clone());
        }
        sql.push(")");
        let found: Vec<AgentLoadRow> = sql.query_as().fetch_all(&mut *conn).await?;
        rows.extend(found.into_iter().map(|r| (r.id.clone(), r)));
    }
    let mut loads = Vec::with_capacity(agent_ids.len());
    let mut names = Vec::with_capacity(agent_ids.len());
    for id in agent_ids {
        let row = rows
            .get(id)
            .ok_or_else(|| AssignmentError::UnknownAgent(id.clone()))?;
        if row.active == 0 {
            return Err(AssignmentError::InactiveAgent(id.clone()));
        }
        loads.push(AgentLoad {
            id: id.clone(),
            weight: SkillWeight::parse(row.skill_weight)?,
            current: row.customers.max(0) as u64,
        });
        names.push(row.display_name.clone());
    }
    Ok((loads, names))
}

/// The commit's working set, in temporary tables so that the writes are a few set-based
/// statements instead of 100,000s of bound parameters: `assign_moves` (position → customer),
/// `assign_deal` (position → agent index, from the plan) and `assign_agents` (index → agent
/// and the timeline text). They live for the transaction.
struct Moves {
    backend: crate::Backend,
}

impl Moves {
    async fn create(tx: &mut Tx<'_>, backend: crate::Backend) -> Result<Self, StoreError> {
        let (key, suffix) = match backend {
            // INTEGER PRIMARY KEY is the row id: joins on the position are direct lookups.
            crate::Backend::Sqlite => ("INTEGER PRIMARY KEY", ""),
            crate::Backend::Postgres => ("BIGINT PRIMARY KEY", " ON COMMIT DROP"),
        };
        let moves = Moves { backend };
        moves.drop(tx).await?;
        for ddl in [
            format!(
                "CREATE TEMP TABLE assign_moves (pos {key}, customer_id TEXT NOT NULL){suffix}"
            ),
            format!("CREATE TEMP TABLE assign_deal (pos {key}, agent BIGINT NOT NULL){suffix}"),
            format!(
                "CREATE TEMP TABLE assign_agents (idx {key}, agent_id TEXT NOT NULL, \
                 summary TEXT NOT NULL, detail TEXT NOT NULL){suffix}"
            ),
        ] {
            sqlx::query(&ddl).execute(&mut **tx).await?;
        }
        Ok(moves)
    }

    /// Writes the plan: `assignment[pos]` is the index of the agent in `agents` (id,
    /// timeline summary, timeline detail) who takes the customer at `pos`. The deal goes
    /// in as one JSON array, expanded by the database.
    async fn deal(
        &self,
        tx: &mut Tx<'_>,
        assignment: &[usize],
        agents: Vec<(String, String, String)>,
    ) -> Result<(), StoreError> {
        let expand = match self.backend {
            crate::Backend::Sqlite => {
                "INSERT INTO assign_deal (pos, agent) SELECT key, value FROM json_each($1)"
            }
            crate::Backend::Postgres => {
                "INSERT INTO assign_deal (pos, agent) SELECT ord - 1, val::bigint \
                 FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(val, ord)"
            }
        };
        let json = serde_json::to_string(assignment).expect("a list of numbers serializes");
        sqlx::query(expand).bind(json).execute(&mut **tx).await?;
        for (chunk_no, chunk) in agents.chunks(200).enumerate() {
            let mut sql = Sql::for_backend(
                self.backend,
                "INSERT INTO assign_agents (idx, agent_id, summary, detail) VALUES ",
            );
            for (i, (id, summary, detail)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push_row([
                    Arg::Int((chunk_no * 200 + i) as i64),
                    Arg::Text(id.clone()),
                    Arg::Text(summary.clone()),
                    Arg::Text(detail.clone()),
                ]);
            }
            sql.query().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// SQL for `'-'` and the position zero-padded to 8 digits, so the ids a statement
    /// writes sort in position order.
    fn padded_pos(&self) -> &'static str {
        match self.backend {
            crate::Backend::Sqlite => "printf('-%08d', m.pos)",
            crate::Backend::Postgres => "'-' || lpad(m.pos::text, 8, '0')",
        }
    }

    /// Drops the tables (PostgreSQL drops them at commit anyway; SQLite keeps temporary
    /// tables for the connection's life).
    async fn drop(&self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        for table in ["assign_moves", "assign_deal", "assign_agents"] {
            sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
