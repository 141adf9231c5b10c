//! Conversations and their messages. Each message takes the conversation's next sequence
//! number in the transaction that stores it (the conversation row is the counter, so on
//! PostgreSQL two servers appending to one chat serialize on that row), and a client that
//! reconnects reads everything after the last number it saw: nothing is lost or doubled.
//! A message that arrives while the chat has a ticket or a known customer also lands on
//! that ticket's and customer's timeline, in the same transaction.

use crate::audit::Actor;
use crate::customers::append_event as append_customer_event;
use crate::tickets::timeline::{append_event as append_ticket_event, Event};
use crate::{new_id, to_millis, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::chat::{ChatState, Sender};

/// A conversation with the names the console shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub topic_id: String,
    pub topic_name: String,
    pub state: String,
    pub visitor_name: String,
    pub token_expires_at: i64,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub last_seq: i64,
    pub queued_at: i64,
    pub assigned_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
}

impl ConversationRow {
    pub fn state(&self) -> ChatState {
        ChatState::from_code(&self.state).unwrap_or(ChatState::Closed)
    }
}

/// One message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub conversation_id: String,
    pub seq: i64,
    pub sender: String,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub body: String,
    pub client_id: Option<String>,
    pub at: i64,
}

/// A visitor's new conversation. The token is hashed by the caller; kefu never stores
/// it.
#[derive(Debug, Clone)]
pub struct NewChat {
    pub topic_id: String,
    pub visitor_name: String,
    pub token_hash: String,
    pub token_expires_at: DateTime<Utc>,
}

pub(super) const CONVERSATION_SELECT: &str = "SELECT c.id, c.topic_id, t.name AS topic_name, \
    c.state, c.visitor_name, c.token_expires_at, c.customer_id, cu.name AS customer_name, \
    c.agent_id, u.display_name AS agent_name, c.ticket_id, k.number AS ticket_number, \
    c.last_seq, c.queued_at, c.assigned_at, c.closed_at, c.created_at \
    FROM chat_conversations c JOIN chat_topics t ON t.id = c.topic_id \
    LEFT JOIN customers cu ON cu.id = c.customer_id LEFT JOIN users u ON u.id = c.agent_id \
    LEFT JOIN tickets k ON k.id = c.ticket_id";

pub(super) const MESSAGE_SELECT: &str = "SELECT m.conversation_id, m.seq, m.sender, m.author_id, \
    u.display_name AS author_name, m.body, m.client_id, m.at FROM chat_messages m \
    LEFT JOIN users u ON u.id = m.author_id";

impl Db {
    /// Opens a conversation in its topic's queue. The caller routes right after.
    #[tracing::instrument(skip_all)]
    pub async fn start_chat(
        &self,
        now: DateTime<Utc>,
        c: &NewChat,
    ) -> Result<ConversationRow, StoreError> {
        let id = new_id();
        let at = to_millis(now);
        sqlx::query(
            "INSERT INTO chat_conversations (id, topic_id, state, visitor_name, token_hash, \
             token_expires_at, last_seq, queued_at, created_at) \
             VALUES ($1, $2, 'queued', $3, $4, $5, 0, $6, $6)",
        )
        .bind(&id)
        .bind(&c.topic_id)
        .bind(&c.visitor_name)
        .bind(&c.token_hash)
        .bind(to_millis(c.token_expires_at))
        .bind(at)
        .execute(&self.write)
        .await?;
        self.get_chat_in_writer(&id).await
    }

    /// Reads through the writer, so a row just written is seen (SQLite's readers may lag
    /// a commit behind on a busy WAL).
    async fn get_chat_in_writer(&self, id: &str) -> Result<ConversationRow, StoreError> {
        let sql = format!("{CONVERSATION_SELECT} WHERE c.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.write).await?)
    }

    pub async fn get_chat(&self, id: &str) -> Result<ConversationRow, StoreError> {
        let sql = format!("{CONVERSATION_SELECT} WHERE c.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// The visitor's conversation by their token's hash, while the token is valid;
    /// `NotFound` otherwise (an unknown and an expired token look the same).
    pub async fn chat_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ConversationRow, StoreError> {
        let sql =
            format!("{CONVERSATION_SELECT} WHERE c.token_hash = $1 AND c.token_expires_at > $2");
        Ok(sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(to_millis(now))
            .fetch_one(&self.read)
            .await?)
    }

    /// Replaces the visitor's token (the old one stops working at once).
    pub async fn renew_chat_token(
        &self,
        id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE chat_conversations SET token_hash = $1, token_expires_at = $2 WHERE id = $3",
        )
        .bind(token_hash)
        .bind(to_millis(expires_at))
        .bind(id)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Messages after sequence number `after`, in order, at most `limit` (walks
    /// `chat_messages_seq`). Notifications go out after the message's commit, and a read
    /// that starts after a commit sees it (WAL), so a reader serves the fan-out: the
    /// single writer only writes.
    pub async fn list_chat_messages(
        &self,
        conversation_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(after)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await?)
    }

    /// A queued conversation's place in its topic's queue (1 = next), `None` once it is
    /// not waiting.
    pub async fn chat_queue_position(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM chat_conversations q WHERE q.state = 'queued' \
             AND q.topic_id = c.topic_id AND (q.queued_at < c.queued_at \
             OR (q.queued_at = c.queued_at AND q.id <= c.id))) \
             FROM chat_conversations c WHERE c.id = $1 AND c.state = 'queued'",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|(n,)| n))
    }

    /// The queued conversations of a topic in queue order (ids only): whose position
    /// changed when the queue moved.
    pub async fn queued_chat_ids(&self, topic_id: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM chat_conversations WHERE state = 'queued' AND topic_id = $1 \
             ORDER BY queued_at, id LIMIT 1000",
        )
        .bind(topic_id)
        .fetch_all(&self.write)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The active chats an agent holds, oldest first (walks `chat_conversations_agent`).
    pub async fn list_agent_chats(
        &self,
        agent_id: &str,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        let sql = format!(
            "{CONVERSATION_SELECT} WHERE c.agent_id = $1 AND c.state = 'active' ORDER BY c.id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(agent_id)
            .fetch_all(&self.write)
            .await?)
    }

    /// Conversations newest first, optionally in one state; the cursor is the previous
    /// page's last `<created_at>:<id>` (walks `chat_conversations_created`).
    pub async fn list_chats(
        &self,
        state: Option<ChatState>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ConversationRow>, StoreError> {
        let mut sql = Sql::new(CONVERSATION_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(s) = state {
            sql.push(" AND c.state = ").bind_text(s.code());
        }
        if let Some((at, id)) = cursor.and_then(|c| c.split_once(':')) {
            if let Ok(at) = at.parse::<i64>() {
                sql.push(" AND (c.created_at < ")
                    .bind_int(at)
                    .push(" OR (c.created_at = ")
                    .bind_int(at)
                    .push(" AND c.id < ")
                    .bind_text(id)
                    .push("))");
            }
        }
        sql.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<ConversationRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |c| {
            format!("{}:{}", c.created_at, c.id)
        }))
    }
}

/// Copies one message onto the ticket's and the customer's timeline, when the chat has
/// them.
#[allow(clippy::too_many_arguments)]
pub(super) async fn mirror_message(
    tx: &mut Tx<'_>,
    ticket_id: &Option<String>,
    customer_id: &Option<String>,
    who: &Actor,
    at: DateTime<Utc>,
    conversation_id: &str,
    seq: i64,
    sender: Sender,
    body: &str,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({
        "conversation_id": conversation_id,
        "seq": seq,
        "sender": sender.code(),
    });
    if let Some(ticket_id) = ticket_id {
        let e = Event::new(ticket_id, who, at, "chat_message")
            .channel("chat")
            .body(body)
            .detail(detail.clone());
        append_ticket_event(tx, &e).await?;
    }
    if let Some(customer_id) = customer_id {
        append_customer_event(
            tx,
            customer_id,
            who,
            at,
            "chat_message",
            body,
            Some(&detail.to_string()),
        )
        .await?;
    }
    Ok(())
}
