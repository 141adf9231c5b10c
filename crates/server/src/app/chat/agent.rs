//! The agent's side (`chat.answer`): taking chats or not, the chats one holds, replies
//! and typing, closing, transferring to another agent or a topic (a group), linking the
//! visitor to a known customer, and converting the chat to a ticket. A manager
//! (`chat.manage`) may act on and read any chat; reading someone else's transcript is
//! audited.

use super::visitor::{parse_client_id, ChatSendPayload};
use super::{
    conversation_view, route_and_publish, staff_message_view, ChatMessageView, ConversationView,
};
use crate::app::tickets::{opening_deadlines, parse_text, MAX_SUBJECT_CHARS};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use crate::ws::hub::Signal;
use kefu_domain::audit::AuditAction;
use kefu_domain::chat::{parse_message, Sender};
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_domain::Permission;
use kefu_store::audit::NewAuditEntry;
use kefu_store::chat::{ConversationRow, TransferTarget};
use kefu_store::tickets::{NewTicket, TicketToOpen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityPayload {
    pub available: bool,
}

/// The agent's desk: whether they take chats, their capacity and the chats they hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeskView {
    pub available: bool,
    pub capacity: i64,
    pub skills: String,
    pub chats: Vec<ConversationView>,
}

/// Transfer to exactly one of: an agent, a topic (its queue).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatTransferPayload {
    pub agent_id: Option<String>,
    pub topic_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatLinkPayload {
    pub customer_id: String,
}

/// The ticket a chat becomes. `type` defaults to consultation; the subject to the
/// visitor's first message.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertPayload {
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConvertedView {
    pub ticket_id: String,
    pub number: String,
}

fn manager(ctx: &Ctx) -> bool {
    ctx.can(Permission::ChatManage)
}

/// Sees personal numbers in messages unmasked.
fn pii(ctx: &Ctx) -> bool {
    ctx.can(Permission::CustomerPiiRead)
}

/// May read transcripts: those who answer chats (their own), managers and inspectors
/// (any). Refused with the narrowest permission named.
pub fn require_reader(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.can(Permission::ChatAnswer) || manager(ctx) || ctx.can(Permission::ChatInspect) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Permission::ChatInspect))
    }
}

/// May list every conversation: managers and inspectors.
pub fn require_inspector(ctx: &Ctx) -> Result<(), AppError> {
    if manager(ctx) || ctx.can(Permission::ChatInspect) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Permission::ChatInspect))
    }
}

pub async fn desk(state: &AppState, ctx: &Ctx) -> Result<DeskView, AppError> {
    let a = state.db().get_chat_agent(&ctx.user_id).await?;
    let chats = state.db().list_agent_chats(&ctx.user_id).await?;
    Ok(DeskView {
        available: a.is_available(),
        capacity: a.capacity,
        skills: a.skills,
        chats: chats.iter().map(conversation_view).collect(),
    })
}

pub async fn set_available(state: &AppState, ctx: &Ctx, available: bool) -> Result<(), AppError> {
    state
        .db()
        .set_chat_available(state.clock().now(), &ctx.user_id, available)
        .await?;
    route_and_publish(
        state,
        vec![Signal::Agent {
            a: ctx.user_id.clone(),
        }],
    )
    .await
}

/// Marks away the agents whose last console closed more than the grace period ago (see
/// `ws::presence`): they get no new chats; the chats they hold stay theirs. The
/// scheduler calls it every second and after every move of a simulated clock.
pub async fn mark_away(state: &AppState) -> Result<(), AppError> {
    let now = state.clock().now();
    let presence = state.chat_presence();
    presence.follow(state.chat());
    if !presence.absorb_beats(now) {
        tracing::warn!("console beats were lost; nobody is marked away this second");
        return Ok(());
    }
    for user_id in presence.gone(now) {
        if !state.db().get_chat_agent(&user_id).await?.is_available() {
            continue;
        }
        state.db().set_chat_available(now, &user_id, false).await?;
        tracing::info!(user = %user_id, "chat agent marked away: console closed");
        state
            .chat()
            .publish(state.db(), vec![Signal::Agent { a: user_id }])
            .await;
    }
    Ok(())
}

/// A chat the caller may see: their own, or any with `chat.manage` or `chat.inspect`
/// (audited then).
pub async fn conversation(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<ConversationRow, AppError> {
    let c = state.db().get_chat(id).await?;
    if c.agent_id.as_deref() == Some(ctx.user_id.as_str()) {
        return Ok(c);
    }
    if !(manager(ctx) || ctx.can(Permission::ChatInspect)) {
        return Err(AppError::NotFound("chat"));
    }
    let entry = NewAuditEntry::new(AuditAction::ChatTranscriptViewed).subject("chat", id);
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(c)
}

pub async fn messages(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    after: i64,
) -> Result<(ConversationView, Vec<ChatMessageView>), AppError> {
    let c = conversation(state, ctx, id).await?;
    let m = state
        .db()
        .list_chat_messages(id, after.max(0), super::READ_BATCH)
        .await?;
    let pii = pii(ctx);
    Ok((
        conversation_view(&c),
        m.iter().map(|m| staff_message_view(m, pii)).collect(),
    ))
}

pub async fn send(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ChatSendPayload,
) -> Result<ChatMessageView, AppError> {
    let body = parse_message(&p.body)?;
    let client_id = parse_client_id(p.client_id.as_deref())?;
    let actor = ctx.actor();
    let m = state
        .db()
        .append_chat_message(
            state.clock().now(),
            id,
            Sender::Agent,
            Some(&actor),
            &body,
            client_id.as_deref(),
        )
        .await?;
    let signals = vec![
        Signal::Message {
            c: id.to_string(),
            seq: m.seq,
        },
        Signal::Typing {
            c: id.to_string(),
            from: "agent".into(),
            on: false,
        },
    ];
    state.chat().publish(state.db(), signals).await;
    Ok(staff_message_view(&m, pii(ctx)))
}

/// Typing shows only in a chat the agent holds (others' chats stay silent).
pub async fn typing(state: &AppState, ctx: &Ctx, id: &str, on: bool) -> Result<(), AppError> {
    let c = state.db().get_chat(id).await?;
    if c.agent_id.as_deref() != Some(ctx.user_id.as_str()) {
        return Err(AppError::NotFound("chat"));
    }
    let s = Signal::Typing {
        c: id.to_string(),
        from: "agent".into(),
        on,
    };
    state.chat().publish(state.db(), vec![s]).await;
    Ok(())
}

pub async fn close(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    let c = state.db().get_chat(id).await?;
    state
        .db()
        .close_chat(Some(&ctx.actor()), state.clock().now(), id, manager(ctx))
        .await?;
    let mut signals = vec![Signal::State { c: id.to_string() }];
    if let Some(a) = c.agent_id {
        signals.push(Signal::Agent { a });
    }
    route_and_publish(state, signals).await
}

pub async fn transfer(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ChatTransferPayload,
) -> Result<(), AppError> {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let target = match (nonempty(&p.agent_id), nonempty(&p.topic_id)) {
        (Some(a), None) => TransferTarget::Agent(a),
        (None, Some(t)) => TransferTarget::Topic(t),
        _ => {
            return Err(AppError::invalid(
                "invalid_transfer",
                "give exactly one of agent_id and topic_id",
            ))
        }
    };
    let before = state.db().get_chat(id).await?;
    state
        .db()
        .transfer_chat(&ctx.actor(), state.clock().now(), id, &target, manager(ctx))
        .await?;
    let mut signals = vec![Signal::State { c: id.to_string() }];
    if let Some(a) = before.agent_id {
        signals.push(Signal::Agent { a });
    }
    match target {
        TransferTarget::Agent(a) => signals.push(Signal::Agent { a }),
        TransferTarget::Topic(t) => signals.push(Signal::Queue { t }),
    }
    route_and_publish(state, signals).await
}

pub async fn link_customer(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ChatLinkPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerRead)?;
    let customer_id = p.customer_id.trim();
    if customer_id.is_empty() {
        return Err(AppError::invalid(
            "invalid_chat",
            "customer_id must not be empty",
        ));
    }
    state
        .db()
        .link_chat_customer(
            &ctx.actor(),
            state.clock().now(),
            id,
            customer_id,
            manager(ctx),
        )
        .await?;
    state
        .chat()
        .publish(state.db(), vec![Signal::State { c: id.to_string() }])
        .await;
    Ok(())
}

/// Opens a ticket from the chat (channel chat, owned by the agent, in their first
/// department or the topic's) with the transcript on its timeline.
pub async fn convert(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ConvertPayload,
) -> Result<ConvertedView, AppError> {
    ctx.require(Permission::TicketWrite)?;
    let c = conversation(state, ctx, id).await?;
    let ticket_type = match p.ticket_type.as_deref().map(str::trim) {
        None | Some("") => TicketType::Consultation,
        Some(code) => TicketType::from_code(code)
            .ok_or_else(|| AppError::invalid("invalid_ticket", format!("unknown type {code}")))?,
    };
    let first = state.db().list_chat_messages(id, 0, 50).await?;
    let first_visitor = first
        .iter()
        .find(|m| m.sender == "visitor")
        .map(|m| m.body.chars().take(60).collect::<String>());
    let subject = match p
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => parse_text("subject", s, MAX_SUBJECT_CHARS)?,
        None => first_visitor.unwrap_or_else(|| format!("{} {}", c.topic_name, c.visitor_name)),
    };
    let topic = state.db().get_chat_topic(&c.topic_id).await?;
    let department_id = ctx
        .departments
        .first()
        .cloned()
        .or(topic.department_id)
        .ok_or_else(|| {
            AppError::invalid("invalid_ticket", "you hold no position in a department")
        })?;
    let tier = match &c.customer_id {
        Some(cid) => Some(state.db().get_customer(cid).await?.core.tier),
        None => None,
    };
    let now = state.clock().now();
    let deadlines =
        opening_deadlines(state, now, ticket_type, Priority::Normal, tier.as_deref()).await?;
    let ticket = NewTicket {
        ticket_type,
        channel: Channel::Chat,
        priority: Priority::Normal,
        subject,
        description: String::new(),
        occurred_at: None,
        place: None,
        people: None,
        contact_name: Some(c.visitor_name.clone()).filter(|n| !n.is_empty()),
        contact_phone: None,
        customer_id: c.customer_id.clone(),
        department_id,
        owner_id: Some(ctx.user_id.clone()),
        tags: Vec::new(),
        call_id: None,
    };
    let item = TicketToOpen {
        actor: ctx.actor(),
        now,
        ticket,
        deadlines,
    };
    let (ticket_id, number) = state
        .db()
        .convert_chat_to_ticket(id, &item, manager(ctx))
        .await?;
    state
        .chat()
        .publish(state.db(), vec![Signal::State { c: id.to_string() }])
        .await;
    Ok(ConvertedView {
        ticket_id,
        number: number.as_str().to_string(),
    })
}
