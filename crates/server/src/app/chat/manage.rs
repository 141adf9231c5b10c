//! Chat settings (`chat.manage`): the topics (queues with skills, routing rule, hours and
//! the department their tickets go to) and each agent's capacity and skills; and the
//! list of conversations for reading transcripts (quality inspection).

use super::{conversation_view, route_and_publish, ConversationView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use crate::ws::hub::Signal;
use kefu_domain::chat::{parse_capacity, parse_skills, ChatState, Routing};
use kefu_domain::sla::SlaCalendar;
use kefu_store::chat::{ChatAgentRow, TopicInput, TopicRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub skills: Vec<String>,
    /// round_robin or least_busy
    pub routing: String,
    /// The calendar of its hours: 24x7, working or on_duty.
    pub hours: String,
    pub department_id: Option<String>,
    pub active: bool,
}

pub fn topic_view(t: &TopicRow) -> TopicView {
    TopicView {
        id: t.id.clone(),
        code: t.code.clone(),
        name: t.name.clone(),
        skills: parse_skills(&t.skills)
            .unwrap_or_default()
            .into_iter()
            .collect(),
        routing: t.routing.clone(),
        hours: t.hours.clone(),
        department_id: t.department_id.clone(),
        active: t.is_active(),
    }
}

/// A topic. `code` is what the widget's `data-topic` names (letters, digits, - and _).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicPayload {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub skills: Vec<String>,
    pub routing: String,
    pub hours: String,
    pub department_id: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatAgentView {
    pub user_id: String,
    pub name: String,
    pub available: bool,
    pub capacity: i64,
    pub skills: Vec<String>,
    pub active_chats: i64,
}

pub fn agent_view(a: &ChatAgentRow) -> ChatAgentView {
    ChatAgentView {
        user_id: a.user_id.clone(),
        name: a.display_name.clone(),
        available: a.is_available(),
        capacity: a.capacity,
        skills: parse_skills(&a.skills)
            .unwrap_or_default()
            .into_iter()
            .collect(),
        active_chats: a.active_chats,
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPayload {
    pub capacity: i64,
    #[serde(default)]
    pub skills: Vec<String>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::invalid("invalid_chat_topic", message)
}

fn topic_input(p: &TopicPayload) -> Result<TopicInput, AppError> {
    let code = p.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid("code: 1–40 letters, digits, - or _"));
    }
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name: 1–100 characters"));
    }
    let routing = Routing::from_code(p.routing.trim())
        .ok_or_else(|| invalid("routing: round_robin or least_busy"))?;
    let hours = SlaCalendar::from_code(p.hours.trim())
        .ok_or_else(|| invalid("hours: 24x7, working or on_duty"))?;
    Ok(TopicInput {
        code: code.to_string(),
        name: name.to_string(),
        skills: parse_skills(&p.skills.join(","))?,
        routing,
        hours,
        department_id: p
            .department_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        active: p.active,
    })
}

pub async fn topics(state: &AppState) -> Result<Vec<TopicView>, AppError> {
    Ok(state
        .db()
        .list_chat_topics()
        .await?
        .iter()
        .map(topic_view)
        .collect())
}

/// Creates (`id` = `None`) or updates a topic; a taken code is 409.
pub async fn save_topic(
    state: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    p: &TopicPayload,
) -> Result<String, AppError> {
    let input = topic_input(p)?;
    let id = state
        .db()
        .save_chat_topic(&ctx.actor(), state.clock().now(), id, &input)
        .await
        .map_err(|e| match e {
            kefu_store::StoreError::Conflict { .. } => {
                AppError::conflict("chat_topic_exists", format!("topic {} exists", input.code))
            }
            other => other.into(),
        })?;
    // New skills or a new routing rule may let waiting chats through.
    route_and_publish(state, vec![]).await?;
    Ok(id)
}

pub async fn agents(state: &AppState) -> Result<Vec<ChatAgentView>, AppError> {
    Ok(state
        .db()
        .list_chat_agents()
        .await?
        .iter()
        .map(agent_view)
        .collect())
}

pub async fn save_agent(
    state: &AppState,
    ctx: &Ctx,
    user_id: &str,
    p: &AgentPayload,
) -> Result<(), AppError> {
    let capacity = parse_capacity(p.capacity)?;
    let skills = parse_skills(&p.skills.join(","))?;
    state.db().get_chat_agent(user_id).await?;
    state
        .db()
        .set_chat_agent(
            &ctx.actor(),
            state.clock().now(),
            user_id,
            capacity,
            &skills,
        )
        .await?;
    route_and_publish(
        state,
        vec![Signal::Agent {
            a: user_id.to_string(),
        }],
    )
    .await
}

/// Conversations newest first, for reading transcripts.
pub async fn conversations(
    state: &AppState,
    state_filter: Option<&str>,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Vec<ConversationView>, Option<String>), AppError> {
    let filter =
        match state_filter.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(code) => Some(ChatState::from_code(code).ok_or_else(|| {
                AppError::invalid("invalid_chat", "state: queued, active or closed")
            })?),
        };
    let page = state.db().list_chats(filter, cursor, limit).await?;
    Ok((
        page.items.iter().map(conversation_view).collect(),
        page.next_cursor,
    ))
}
