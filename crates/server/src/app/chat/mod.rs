//! Web chat (在线客服), independent of transport: the visitor's side ([`visitor`]: start a
//! chat with a short-lived token, write, read after a sequence number, leave a message
//! when nobody is on duty), the agent's side ([`agent`]: availability, replies, transfer,
//! the customer link, conversion to a ticket, going away when the console closes), the
//! settings ([`manage`]: topics, capacity, skills) and the scripts agents insert as
//! replies ([`scripts`]). Every change routes the queue and tells the hub, which reaches the
//! WebSocket and long-poll clients on this server and the others.

pub mod agent;
pub mod manage;
pub mod scripts;
pub mod visitor;

use super::rfc3339;
use crate::error::AppError;
use crate::state::AppState;
use crate::ws::hub::Signal;
use kefu_domain::id_number::mask_personal_numbers_in_text;
use kefu_store::chat::{ChatError, ConversationRow, MessageRow};
use serde::Serialize;
use utoipa::ToSchema;

impl From<ChatError> for AppError {
    fn from(e: ChatError) -> Self {
        let message = e.to_string();
        match e {
            ChatError::Store(s) => s.into(),
            ChatError::Closed => AppError::conflict("chat_closed", message),
            ChatError::NotYours => AppError::Refused {
                code: "chat_not_yours",
                message,
            },
            ChatError::NotActive => AppError::conflict("chat_not_active", message),
            ChatError::AgentFull => AppError::conflict("chat_agent_full", message),
            ChatError::HasTicket => AppError::conflict("chat_has_ticket", message),
        }
    }
}

impl From<kefu_domain::chat::ChatInputError> for AppError {
    fn from(e: kefu_domain::chat::ChatInputError) -> Self {
        AppError::invalid("invalid_chat", e.to_string())
    }
}

/// One message as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatMessageView {
    pub seq: i64,
    /// visitor, agent or system
    pub sender: String,
    /// The agent's display name (agents' messages only).
    pub author: Option<String>,
    pub body: String,
    /// The sender's own id for the message, echoed so it can match its pending copy.
    pub client_id: Option<String>,
    pub at: String,
}

pub fn message_view(m: &MessageRow) -> ChatMessageView {
    ChatMessageView {
        seq: m.seq,
        sender: m.sender.clone(),
        author: if m.sender == "agent" {
            m.author_name.clone()
        } else {
            None
        },
        body: m.body.clone(),
        client_id: m.client_id.clone(),
        at: rfc3339(m.at),
    }
}

/// A message as staff see it: phone and ID numbers in the text masked (`138****5678`)
/// unless `pii` (`customer.pii.read`). The stored text, and the visitor's own view of
/// it, stay as written.
pub fn staff_message_view(m: &MessageRow, pii: bool) -> ChatMessageView {
    let mut v = message_view(m);
    if !pii {
        v.body = mask_personal_numbers_in_text(&v.body);
    }
    v
}

/// A conversation as the console shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    pub topic_id: String,
    pub topic: String,
    /// queued, active or closed
    pub state: String,
    pub visitor_name: String,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub last_seq: i64,
    pub created_at: String,
    pub closed_at: Option<String>,
}

pub fn conversation_view(c: &ConversationRow) -> ConversationView {
    ConversationView {
        id: c.id.clone(),
        topic_id: c.topic_id.clone(),
        topic: c.topic_name.clone(),
        state: c.state.clone(),
        visitor_name: c.visitor_name.clone(),
        agent_id: c.agent_id.clone(),
        agent_name: c.agent_name.clone(),
        customer_id: c.customer_id.clone(),
        customer_name: c.customer_name.clone(),
        ticket_id: c.ticket_id.clone(),
        ticket_number: c.ticket_number.clone(),
        last_seq: c.last_seq,
        created_at: rfc3339(c.created_at),
        closed_at: c.closed_at.map(rfc3339),
    }
}

/// Messages a client reads at once after a sequence number; it asks again for more.
pub const READ_BATCH: usize = 200;

/// Routes the queue after a change and tells everyone concerned: the chats that got an
/// agent, those agents, and the visitors whose place in a queue moved. `extra` are the
/// change's own signals.
pub async fn route_and_publish(state: &AppState, mut extra: Vec<Signal>) -> Result<(), AppError> {
    let routed = state.db().route_chats(state.clock().now()).await?;
    for r in routed {
        extra.push(Signal::State {
            c: r.conversation_id,
        });
        extra.push(Signal::Agent { a: r.agent_id });
        let q = Signal::Queue { t: r.topic_id };
        if !extra.contains(&q) {
            extra.push(q);
        }
    }
    state.chat().publish(state.db(), extra).await;
    Ok(())
}
