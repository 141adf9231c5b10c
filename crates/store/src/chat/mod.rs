//! Web chat (在线客服): topics and agents' chat desks (this file), conversations and their
//! append-only messages ([`conversations`]), routing waiting chats to agents under the
//! capacity rule ([`routing`]), transfers, closing, the customer link and conversion to a
//! ticket ([`handling`]), and the scripts agents insert as replies ([`scripts`]).
//! Real-time delivery is the server's; here a reconnecting client simply reads the
//! messages after the last sequence number it saw.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::chat::{join_skills, Routing};
use kefu_domain::sla::SlaCalendar;
use std::collections::BTreeSet;

mod append;
mod conversations;
mod feed;
mod handling;
mod routing;
mod scripts;

pub(crate) use append::{AppendQueue, APPEND_BATCH};
pub use conversations::{ConversationRow, MessageRow, NewChat};
pub use feed::{ChatFeed, ListenUrl, CHANNEL};
pub use handling::TransferTarget;
pub use routing::Routed;
pub use scripts::{ScriptInput, ScriptRow};

/// What a chat action can refuse besides the database.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the conversation is closed")]
    Closed,
    #[error("the conversation is not yours")]
    NotYours,
    #[error("the conversation is still waiting for an agent")]
    NotActive,
    #[error("that agent is not taking chats or has no free place")]
    AgentFull,
    #[error("the conversation already has a ticket")]
    HasTicket,
}

impl From<sqlx::Error> for ChatError {
    fn from(e: sqlx::Error) -> Self {
        ChatError::Store(e.into())
    }
}

/// A topic (a queue the visitor picks).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TopicRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub skills: String,
    pub routing: String,
    pub hours: String,
    pub department_id: Option<String>,
    pub active: i64,
    pub updated_at: i64,
}

impl TopicRow {
    pub fn routing(&self) -> Routing {
        Routing::from_code(&self.routing).unwrap_or(Routing::LeastBusy)
    }

    pub fn hours(&self) -> SlaCalendar {
        SlaCalendar::from_code(&self.hours).unwrap_or(SlaCalendar::AroundTheClock)
    }

    pub fn is_active(&self) -> bool {
        self.active != 0
    }
}

/// A topic as an admin saves it (validated by the caller).
#[derive(Debug, Clone)]
pub struct TopicInput {
    pub code: String,
    pub name: String,
    pub skills: BTreeSet<String>,
    pub routing: Routing,
    pub hours: SlaCalendar,
    pub department_id: Option<String>,
    pub active: bool,
}

/// An agent's chat desk with their load now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatAgentRow {
    pub user_id: String,
    pub display_name: String,
    pub available: i64,
    pub capacity: i64,
    pub skills: String,
    pub active_chats: i64,
}

impl ChatAgentRow {
    pub fn is_available(&self) -> bool {
        self.available != 0
    }
}

/// The capacity of a desk nobody has set up yet.
pub const DEFAULT_CAPACITY: i64 = 3;

const TOPIC_SELECT: &str = "SELECT id, code, name, skills, routing, hours, department_id, \
    active, updated_at FROM chat_topics";

const AGENT_SELECT: &str = "SELECT u.id AS user_id, u.display_name, \
    COALESCE(a.available, 0) AS available, COALESCE(a.capacity, 3) AS capacity, \
    COALESCE(a.skills, '') AS skills, \
    (SELECT COUNT(*) FROM chat_conversations c WHERE c.agent_id = u.id AND c.state = 'active') \
    AS active_chats FROM users u LEFT JOIN chat_agents a ON a.user_id = u.id";

impl Db {
    /// Every topic, by code.
    pub async fn list_chat_topics(&self) -> Result<Vec<TopicRow>, StoreError> {
        let sql = format!("{TOPIC_SELECT} ORDER BY code");
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    pub async fn get_chat_topic(&self, id: &str) -> Result<TopicRow, StoreError> {
        let sql = format!("{TOPIC_SELECT} WHERE id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// The topic the widget names by its code.
    pub async fn chat_topic_by_code(&self, code: &str) -> Result<TopicRow, StoreError> {
        let sql = format!("{TOPIC_SELECT} WHERE code = $1");
        Ok(sqlx::query_as(&sql)
            .bind(code)
            .fetch_one(&self.read)
            .await?)
    }

    /// Creates (`id` = `None`) or updates a topic; a taken code is a conflict
    /// (`chat_topics_code`). Audited.
    #[tracing::instrument(skip_all)]
    pub async fn save_chat_topic(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: Option<&str>,
        t: &TopicInput,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let at = to_millis(now);
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE chat_topics SET code = $1, name = $2, skills = $3, routing = $4, \
                     hours = $5, department_id = $6, active = $7, updated_at = $8 WHERE id = $9",
                )
                .bind(&t.code)
                .bind(&t.name)
                .bind(join_skills(&t.skills))
                .bind(t.routing.code())
                .bind(t.hours.code())
                .bind(t.department_id.as_deref())
                .bind(i64::from(t.active))
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
                    "INSERT INTO chat_topics (id, code, name, skills, routing, hours, \
                     department_id, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind(&id)
                .bind(&t.code)
                .bind(&t.name)
                .bind(join_skills(&t.skills))
                .bind(t.routing.code())
                .bind(t.hours.code())
                .bind(t.department_id.as_deref())
                .bind(i64::from(t.active))
                .bind(at)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let entry = NewAuditEntry::new(AuditAction::ChatTopicSaved)
            .subject("chat_topic", id.clone())
            .detail(t.code.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A person's chat desk (the defaults when they never set one up).
    pub async fn get_chat_agent(&self, user_id: &str) -> Result<ChatAgentRow, StoreError> {
        let sql = format!("{AGENT_SELECT} WHERE u.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_one(&self.read)
            .await?)
    }

    /// The desks that were ever set up, by name.
    pub async fn list_chat_agents(&self) -> Result<Vec<ChatAgentRow>, StoreError> {
        let sql = format!(
            "{AGENT_SELECT} WHERE u.id IN (SELECT user_id FROM chat_agents) \
             ORDER BY u.display_name, u.id"
        );
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    /// Sets how many chats an agent takes at once and their skills (`chat.manage`).
    /// Lowering the capacity never drops a chat: routing simply waits until they are
    /// under it again.
    #[tracing::instrument(skip_all)]
    pub async fn set_chat_agent(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        capacity: u32,
        skills: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO chat_agents (user_id, available, capacity, skills, updated_at) \
             VALUES ($1, 0, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
             capacity = excluded.capacity, skills = excluded.skills, \
             updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(i64::from(capacity))
        .bind(join_skills(skills))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::ChatAgentSaved)
            .subject("user", user_id.to_string())
            .detail(format!(
                "capacity={capacity} skills={}",
                join_skills(skills)
            ));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An agent starts or stops taking chats (their own switch in the console). Chats
    /// they hold stay theirs either way.
    #[tracing::instrument(skip_all)]
    pub async fn set_chat_available(
        &self,
        now: DateTime<Utc>,
        user_id: &str,
        available: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_agents (user_id, available, capacity, skills, updated_at) \
             VALUES ($1, $2, $3, '', $4) ON CONFLICT (user_id) DO UPDATE SET \
             available = excluded.available, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(i64::from(available))
        .bind(DEFAULT_CAPACITY)
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
