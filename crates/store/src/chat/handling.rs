//! What agents do to a conversation besides writing: close it, transfer it to another
//! agent or back to a topic's queue (a group), link it to a known customer, and convert
//! it to a ticket. Linking and converting copy the transcript so far onto the customer's
//! and the ticket's timeline; later messages follow as they arrive (see
//! `conversations::mirror_message`).

use super::conversations::{mirror_message, MessageRow};
use super::ChatError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::backend::lock_row;
use crate::tickets::{create_tickets_in, TicketToOpen};
use crate::{from_millis, new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::chat::{ChatState, Sender};
use kefu_domain::ticket::TicketNumber;

/// Where a transfer sends a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// Straight to this agent, who must be taking chats and have a free place.
    Agent(String),
    /// Back to the queue of this topic (a group), keeping its place by first arrival.
    Topic(String),
}

#[derive(sqlx::FromRow)]
struct Facts {
    state: String,
    agent_id: Option<String>,
    customer_id: Option<String>,
    ticket_id: Option<String>,
}

async fn facts_locked(db: &Db, tx: &mut Tx<'_>, id: &str) -> Result<Facts, ChatError> {
    lock_row(db.backend(), tx, "chat_conversations", id).await?;
    let f: Option<Facts> = sqlx::query_as(
        "SELECT state, agent_id, customer_id, ticket_id FROM chat_conversations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    f.ok_or(ChatError::Store(StoreError::NotFound))
}

/// Only the agent holding an active chat (or a manager, `any_agent`) acts on it.
fn check_holder(f: &Facts, actor: &Actor, any_agent: bool) -> Result<(), ChatError> {
    if f.state == ChatState::Closed.code() {
        return Err(ChatError::Closed);
    }
    if !any_agent && (f.agent_id.is_none() || f.agent_id != actor.user_id) {
        return Err(ChatError::NotYours);
    }
    Ok(())
}

async fn all_messages(tx: &mut Tx<'_>, id: &str) -> Result<Vec<MessageRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT m.conversation_id, m.seq, m.sender, m.author_id, NULL AS author_name, m.body, \
         m.client_id, m.at FROM chat_messages m WHERE m.conversation_id = $1 ORDER BY m.seq",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?)
}

impl Db {
    /// Closes a chat: by the visitor (`actor` = `None`), by its agent, or by anyone
    /// holding `chat.manage` (`any_agent`). Closing twice is refused.
    #[tracing::instrument(skip_all)]
    pub async fn close_chat(
        &self,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
        id: &str,
        any_agent: bool,
    ) -> Result<(), ChatError> {
        let mut tx = self.write.begin().await?;
        let f = facts_locked(self, &mut tx, id).await?;
        match actor {
            Some(a) => check_holder(&f, a, any_agent)?,
            None if f.state == ChatState::Closed.code() => return Err(ChatError::Closed),
            None => {}
        }
        sqlx::query("UPDATE chat_conversations SET state = 'closed', closed_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(a) = actor {
            let entry = NewAuditEntry::new(AuditAction::ChatClosed).subject("chat", id.to_string());
            append_in(&mut tx, a, now, &entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Transfers an active chat. To an agent: they must be available and under capacity
    /// (checked under the routing lock, like routing itself). To a topic: the chat waits
    /// in that topic's queue again and routing picks an agent.
    #[tracing::instrument(skip_all)]
    pub async fn transfer_chat(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        to: &TransferTarget,
        any_agent: bool,
    ) -> Result<(), ChatError> {
        let mut tx = self.write.begin().await?;
        lock_row(self.backend(), &mut tx, "chat_routing", "default").await?;
        let f = facts_locked(self, &mut tx, id).await?;
        check_holder(&f, actor, any_agent)?;
        let at = to_millis(now);
        let (to_agent, to_topic) = match to {
            TransferTarget::Agent(agent) => {
                let room: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT a.capacity, (SELECT COUNT(*) FROM chat_conversations c \
                     WHERE c.agent_id = a.user_id AND c.state = 'active') \
                     FROM chat_agents a JOIN users u ON u.id = a.user_id \
                     WHERE a.user_id = $1 AND a.available = 1 AND u.active = 1",
                )
                .bind(agent)
                .fetch_optional(&mut *tx)
                .await?;
                match room {
                    Some((cap, active)) if active < cap && Some(agent) != f.agent_id.as_ref() => {}
                    _ => return Err(ChatError::AgentFull),
                }
                sqlx::query(
                    "UPDATE chat_conversations SET state = 'active', agent_id = $1, \
                     assigned_at = $2 WHERE id = $3",
                )
                .bind(agent)
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (Some(agent.as_str()), None)
            }
            TransferTarget::Topic(topic) => {
                let done = sqlx::query(
                    "UPDATE chat_conversations SET state = 'queued', agent_id = NULL, \
                     assigned_at = NULL, topic_id = $1, passed_by = agent_id WHERE id = $2 \
                     AND EXISTS (SELECT 1 FROM chat_topics t WHERE t.id = $1 AND t.active = 1)",
                )
                .bind(topic)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound.into());
                }
                (None, Some(topic.as_str()))
            }
        };
        sqlx::query(
            "INSERT INTO chat_transfers (id, conversation_id, from_agent_id, to_agent_id, \
             to_topic_id, by_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(id)
        .bind(f.agent_id.as_deref())
        .bind(to_agent)
        .bind(to_topic)
        .bind(actor.user_id.as_deref())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::ChatTransferred)
            .subject("chat", id.to_string())
            .detail(match to {
                TransferTarget::Agent(a) => format!("agent={a}"),
                TransferTarget::Topic(t) => format!("topic={t}"),
            });
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links a chat to the customer the agent recognized; the transcript so far goes on
    /// the customer's timeline, and so does every later message.
    #[tracing::instrument(skip_all)]
    pub async fn link_chat_customer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        customer_id: &str,
        any_agent: bool,
    ) -> Result<(), ChatError> {
        let mut tx = self.write.begin().await?;
        let f = facts_locked(self, &mut tx, id).await?;
        if !any_agent && (f.agent_id.is_none() || f.agent_id != actor.user_id) {
            return Err(ChatError::NotYours);
        }
        if f.customer_id.as_deref() == Some(customer_id) {
            return Ok(());
        }
        sqlx::query("UPDATE chat_conversations SET customer_id = $1 WHERE id = $2")
            .bind(customer_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let customer = Some(customer_id.to_string());
        for m in all_messages(&mut tx, id).await? {
            let sender = Sender::from_code(&m.sender).unwrap_or(Sender::System);
            mirror_message(
                &mut tx,
                &None,
                &customer,
                actor,
                from_millis(m.at),
                id,
                m.seq,
                sender,
                &m.body,
            )
            .await?;
        }
        let entry = NewAuditEntry::new(AuditAction::ChatCustomerLinked)
            .subject("chat", id.to_string())
            .detail(format!("customer={customer_id}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a ticket from a chat (the caller builds it: channel chat, the chat's
    /// customer, deadlines) and puts the transcript on its timeline, in one transaction.
    /// A chat is converted once.
    #[tracing::instrument(skip_all)]
    pub async fn convert_chat_to_ticket(
        &self,
        id: &str,
        item: &TicketToOpen,
        any_agent: bool,
    ) -> Result<(String, TicketNumber), ChatError> {
        let mut tx = self.write.begin().await?;
        let f = facts_locked(self, &mut tx, id).await?;
        if !any_agent && (f.agent_id.is_none() || f.agent_id != item.actor.user_id) {
            return Err(ChatError::NotYours);
        }
        if f.ticket_id.is_some() {
            return Err(ChatError::HasTicket);
        }
        let (ticket_id, number) = create_tickets_in(&mut tx, self.backend(), &[item])
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE chat_conversations SET ticket_id = $1 WHERE id = $2")
            .bind(&ticket_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let ticket = Some(ticket_id.clone());
        for m in all_messages(&mut tx, id).await? {
            let sender = Sender::from_code(&m.sender).unwrap_or(Sender::System);
            mirror_message(
                &mut tx,
                &ticket,
                &None,
                &item.actor,
                from_millis(m.at),
                id,
                m.seq,
                sender,
                &m.body,
            )
            .await?;
        }
        let entry = NewAuditEntry::new(AuditAction::ChatConverted)
            .subject("chat", id.to_string())
            .detail(format!("ticket={}", number.as_str()));
        append_in(&mut tx, &item.actor, item.now, &entry).await?;
        tx.commit().await?;
        Ok((ticket_id, number))
    }
}
