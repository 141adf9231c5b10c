//! Routing waiting chats to agents. One pass reads the queue and the available agents'
//! loads, asks the domain's [`route`] who takes what, and writes the assignments — all in
//! one transaction that first locks the `chat_routing` row, so two servers on one
//! PostgreSQL database never route at the same time and never push an agent over
//! capacity between them (SQLite has one writer anyway).

use crate::backend::lock_row;
use crate::{to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::chat::{parse_skills, route, AgentLoad, Routing, Waiting};

/// A chat a pass gave to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub conversation_id: String,
    pub topic_id: String,
    pub agent_id: String,
}

/// The most waiting chats one pass looks at; the rest wait for the next pass, which
/// every start, close, transfer and availability change runs.
const PASS_SIZE: i64 = 500;

impl Db {
    /// Routes what can be routed now; returns the assignments made.
    #[tracing::instrument(skip_all)]
    pub async fn route_chats(&self, now: DateTime<Utc>) -> Result<Vec<Routed>, StoreError> {
        let mut tx = self.write.begin().await?;
        lock_row(self.backend(), &mut tx, "chat_routing", "default").await?;
        let queue: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT c.id, c.topic_id, t.routing, t.skills, c.passed_by FROM chat_conversations c \
             JOIN chat_topics t ON t.id = c.topic_id WHERE c.state = 'queued' \
             ORDER BY c.queued_at, c.id LIMIT $1",
        )
        .bind(PASS_SIZE)
        .fetch_all(&mut *tx)
        .await?;
        if queue.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let agents: Vec<(String, i64, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT a.user_id, a.capacity, a.skills, a.last_assigned_at, \
             (SELECT COUNT(*) FROM chat_conversations c WHERE c.agent_id = a.user_id \
              AND c.state = 'active') FROM chat_agents a JOIN users u ON u.id = a.user_id \
             WHERE a.available = 1 AND u.active = 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        let loads: Vec<AgentLoad> = agents
            .into_iter()
            .map(|(user_id, capacity, skills, last, active)| AgentLoad {
                user_id,
                skills: parse_skills(&skills).unwrap_or_default(),
                active: u32::try_from(active).unwrap_or(u32::MAX),
                capacity: u32::try_from(capacity).unwrap_or(0),
                last_assigned_at: last,
            })
            .collect();
        let waiting: Vec<Waiting> = queue
            .iter()
            .map(|(id, _, routing, skills, passed_by)| Waiting {
                conversation_id: id.clone(),
                routing: Routing::from_code(routing).unwrap_or(Routing::LeastBusy),
                skills: parse_skills(skills).unwrap_or_default(),
                not_agent: passed_by.clone(),
            })
            .collect();
        let at = to_millis(now);
        let plan = route(&waiting, &loads, at);
        let mut out = Vec::with_capacity(plan.len());
        for (i, (conversation_id, agent_id)) in plan.into_iter().enumerate() {
            sqlx::query(
                "UPDATE chat_conversations SET state = 'active', agent_id = $1, assigned_at = $2 \
                 WHERE id = $3 AND state = 'queued'",
            )
            .bind(&agent_id)
            .bind(at)
            .bind(&conversation_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE chat_agents SET last_assigned_at = $1 WHERE user_id = $2")
                .bind(at.saturating_add(i as i64))
                .bind(&agent_id)
                .execute(&mut *tx)
                .await?;
            let topic_id = queue
                .iter()
                .find(|(id, ..)| *id == conversation_id)
                .map(|(_, t, ..)| t.clone())
                .unwrap_or_default();
            out.push(Routed {
                conversation_id,
                topic_id,
                agent_id,
            });
        }
        sqlx::query("UPDATE chat_routing SET routed_at = $1 WHERE id = 'default'")
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(out)
    }
}
