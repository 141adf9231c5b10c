//! The visitor's side. A visitor has no account: starting a chat returns a random token,
//! valid for [`TOKEN_HOURS`] and renewable, that names exactly one conversation. Only its
//! SHA-256 is stored, it travels in a header or the first WebSocket message (never in a
//! URL, so it does not end up in logs or browser history), and every read and write is
//! scoped to the conversation it names: a visitor can only ever see their own chat.

use super::{conversation_view, message_view, route_and_publish, ChatMessageView, READ_BATCH};
use crate::app::public::limit::Kind;
use crate::app::tickets::{opening_deadlines, parse_text, MAX_BODY_CHARS};
use crate::auth::{hash_secret, new_secret};
use crate::error::AppError;
use crate::state::AppState;
use crate::ws::hub::Signal;
use chrono::Duration;
use kefu_domain::calendar::china_offset;
use kefu_domain::chat::{parse_message, parse_visitor_name, ChatState, Sender};
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_domain::PhoneNumber;
use kefu_store::audit::Actor;
use kefu_store::chat::{ConversationRow, NewChat, TopicRow};
use kefu_store::tickets::NewTicket;
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a visitor token is valid; the widget renews it while the chat is open.
pub const TOKEN_HOURS: i64 = 2;

/// The header the token travels in (HTTP); WebSockets send it in their first message.
pub const TOKEN_HEADER: &str = "x-chat-token";

/// What the widget needs before it shows anything: is anyone on duty now?
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicStatus {
    pub code: String,
    pub name: String,
    /// `false` outside the topic's hours: the widget shows the message form instead.
    pub online: bool,
    /// The widget's texts in the language asked for (Chinese by default).
    pub strings: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPayload {
    /// The topic's code (the widget's `data-topic`).
    pub topic: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatStarted {
    /// Send it as `X-Chat-Token` or in the WebSocket's first message; never in a URL.
    pub token: String,
    pub expires_at: String,
    pub conversation: VisitorView,
}

/// What the visitor sees of their conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitorView {
    /// queued, active or closed
    pub state: String,
    /// Place in the queue (1 = next) while queued.
    pub position: Option<i64>,
    /// The agent's name once one took the chat.
    pub agent_name: Option<String>,
    pub last_seq: i64,
    /// Messages after the `after` the client asked for.
    pub messages: Vec<ChatMessageView>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSendPayload {
    pub body: String,
    /// The client's own id for the message (up to 64 characters): a resend after a
    /// reconnect with the same id is stored once.
    pub client_id: Option<String>,
}

/// A message left outside the topic's hours; it becomes a ticket (channel chat).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflinePayload {
    pub topic: String,
    pub name: String,
    pub phone: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfflineCreated {
    pub number: String,
}

pub(crate) fn parse_client_id(raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.len() <= 64 && s.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(s.to_string()))
        }
        Some(_) => Err(AppError::invalid(
            "invalid_chat",
            "client_id: up to 64 printable ASCII characters",
        )),
    }
}

async fn active_topic(state: &AppState, code: &str) -> Result<TopicRow, AppError> {
    match state.db().chat_topic_by_code(code.trim()).await {
        Ok(t) if t.is_active() => Ok(t),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound("chat topic")),
        Err(e) => Err(e.into()),
    }
}

async fn is_online(state: &AppState, topic: &TopicRow) -> Result<bool, AppError> {
    let cal = state
        .db()
        .business_calendar(topic.hours(), china_offset())
        .await?;
    Ok(cal.is_working(state.clock().now()))
}

/// The prefix of the widget's keys in the locale files (`chat.toml`).
const WIDGET_KEYS: &str = "chat_widget.";

pub async fn topic_status(
    state: &AppState,
    code: &str,
    lang: crate::i18n::Lang,
) -> Result<TopicStatus, AppError> {
    let topic = active_topic(state, code).await?;
    let tr = state.i18n().tr(lang);
    let strings = state
        .i18n()
        .keys(lang)
        .into_iter()
        .filter_map(|k| {
            k.strip_prefix(WIDGET_KEYS)
                .map(|short| (short.to_string(), tr.t(k).to_string()))
        })
        .collect();
    Ok(TopicStatus {
        online: is_online(state, &topic).await?,
        code: topic.code,
        name: topic.name,
        strings,
    })
}

/// Starts a chat in the topic's queue (409 `chat_offline` outside its hours) and routes.
/// Rate-limited per client address `addr` (429 `rate_limited` over the limit); the
/// address is the TCP peer's, `None` only for in-process calls.
pub async fn start(
    state: &AppState,
    addr: Option<&str>,
    p: &StartPayload,
) -> Result<ChatStarted, AppError> {
    let topic = active_topic(state, &p.topic).await?;
    let name = parse_visitor_name(p.name.as_deref())?.unwrap_or_default();
    if !is_online(state, &topic).await? {
        return Err(AppError::conflict(
            "chat_offline",
            "nobody is on duty for this topic now; leave a message instead",
        ));
    }
    let now = state.clock().now();
    state
        .public_limiter()
        .check(Kind::NewChat, addr.unwrap_or("unknown"), now)?;
    let token = new_secret("kc_");
    let expires = now + Duration::hours(TOKEN_HOURS);
    let conv = state
        .db()
        .start_chat(
            now,
            &NewChat {
                topic_id: topic.id.clone(),
                visitor_name: name,
                token_hash: hash_secret(&token),
                token_expires_at: expires,
            },
        )
        .await?;
    // A chat joining the back of the queue moves nobody else's place: only routing (in
    // `route_and_publish`) tells the topic's waiting visitors. Telling all of them about
    // every arrival made each start cost a reread per waiting visitor.
    route_and_publish(state, vec![]).await?;
    Ok(ChatStarted {
        token,
        expires_at: super::rfc3339(kefu_store::to_millis(expires)),
        conversation: view(state, &conv.id, 0).await?,
    })
}

/// The conversation a token names; 401 `chat_token` when it is unknown or expired.
pub async fn authenticate(state: &AppState, token: &str) -> Result<ConversationRow, AppError> {
    let bad = || AppError::BadCredentials {
        code: "chat_token",
        message: "the chat token is unknown or expired; start a new chat".into(),
    };
    if token.is_empty() || token.len() > 200 {
        return Err(bad());
    }
    match state
        .db()
        .chat_by_token(&hash_secret(token), state.clock().now())
        .await
    {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound) => Err(bad()),
        Err(e) => Err(e.into()),
    }
}

/// The visitor's view: state, queue position, agent, and the messages after `after`.
/// The messages after `after` (at most [`READ_BATCH`]): what a new message signal asks
/// the visitor's connection to read.
pub async fn messages_after(
    state: &AppState,
    id: &str,
    after: i64,
) -> Result<Vec<ChatMessageView>, AppError> {
    let messages = state
        .db()
        .list_chat_messages(id, after.max(0), READ_BATCH)
        .await?;
    Ok(messages.iter().map(message_view).collect())
}

pub async fn view(state: &AppState, id: &str, after: i64) -> Result<VisitorView, AppError> {
    let c = state.db().get_chat(id).await?;
    let position = if c.state() == ChatState::Queued {
        state.db().chat_queue_position(id).await?
    } else {
        None
    };
    let messages = state
        .db()
        .list_chat_messages(id, after.max(0), READ_BATCH)
        .await?;
    let cv = conversation_view(&c);
    Ok(VisitorView {
        state: cv.state,
        position,
        agent_name: cv.agent_name,
        last_seq: c.last_seq,
        messages: messages.iter().map(message_view).collect(),
    })
}

pub async fn send(
    state: &AppState,
    conv: &ConversationRow,
    p: &ChatSendPayload,
) -> Result<ChatMessageView, AppError> {
    let body = parse_message(&p.body)?;
    let client_id = parse_client_id(p.client_id.as_deref())?;
    let m = state
        .db()
        .append_chat_message(
            state.clock().now(),
            &conv.id,
            Sender::Visitor,
            None,
            &body,
            client_id.as_deref(),
        )
        .await?;
    let signals = vec![
        Signal::Message {
            c: conv.id.clone(),
            seq: m.seq,
        },
        Signal::Typing {
            c: conv.id.clone(),
            from: "visitor".into(),
            on: false,
        },
    ];
    state.chat().publish(state.db(), signals).await;
    Ok(message_view(&m))
}

pub async fn typing(state: &AppState, conv: &ConversationRow, on: bool) {
    let s = Signal::Typing {
        c: conv.id.clone(),
        from: "visitor".into(),
        on,
    };
    state.chat().publish(state.db(), vec![s]).await;
}

/// The visitor leaves; the agent's place frees up for the next chat in the queue.
pub async fn close(state: &AppState, conv: &ConversationRow) -> Result<(), AppError> {
    state
        .db()
        .close_chat(None, state.clock().now(), &conv.id, false)
        .await?;
    let mut signals = vec![
        Signal::State { c: conv.id.clone() },
        Signal::Queue {
            t: conv.topic_id.clone(),
        },
    ];
    if let Some(a) = &conv.agent_id {
        signals.push(Signal::Agent { a: a.clone() });
    }
    route_and_publish(state, signals).await
}

/// A fresh token for the same conversation; the old one stops working.
pub async fn renew(state: &AppState, conv: &ConversationRow) -> Result<(String, String), AppError> {
    let token = new_secret("kc_");
    let expires = state.clock().now() + Duration::hours(TOKEN_HOURS);
    state
        .db()
        .renew_chat_token(&conv.id, &hash_secret(&token), expires)
        .await?;
    Ok((token, super::rfc3339(kefu_store::to_millis(expires))))
}

/// Outside the topic's hours: the message becomes a ticket (channel chat) in the
/// topic's department, or the public intake department. Rate-limited like the web form.
pub async fn leave_message(
    state: &AppState,
    addr: Option<&str>,
    p: &OfflinePayload,
) -> Result<OfflineCreated, AppError> {
    let topic = active_topic(state, &p.topic).await?;
    let name = parse_text("name", &p.name, 100)?;
    let phone = PhoneNumber::parse(p.phone.trim())
        .map_err(|e| AppError::invalid("invalid_phone", e.to_string()))?;
    let message = parse_text("message", &p.message, MAX_BODY_CHARS)?;
    let now = state.clock().now();
    state
        .public_limiter()
        .check(Kind::NewTicket, addr.unwrap_or("unknown"), now)?;
    let department_id = match &topic.department_id {
        Some(d) => d.clone(),
        None => {
            let intake = &state.config().public_intake_department;
            state.db().intake_department(intake).await?.ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("no intake department for chat messages"))
            })?
        }
    };
    let matches = state.db().find_customers_by_contact(phone.as_str()).await?;
    let (customer_id, tier) = match matches.as_slice() {
        [one] => (Some(one.id.clone()), Some(one.tier.clone())),
        _ => (None, None),
    };
    let subject: String = message.chars().take(40).collect();
    let ticket = NewTicket {
        ticket_type: TicketType::Consultation,
        channel: Channel::Chat,
        priority: Priority::Normal,
        subject: format!("[{}] {subject}", topic.name),
        description: message,
        occurred_at: None,
        place: None,
        people: None,
        contact_name: Some(name),
        contact_phone: Some(phone.as_str().to_string()),
        customer_id,
        department_id,
        owner_id: None,
        tags: Vec::new(),
        call_id: None,
    };
    let deadlines = opening_deadlines(
        state,
        now,
        TicketType::Consultation,
        Priority::Normal,
        tier.as_deref(),
    )
    .await?;
    let actor = Actor {
        user_id: None,
        name: "web chat".into(),
        client_addr: addr.map(str::to_string),
    };
    let (_, number) = state
        .db()
        .create_ticket(&actor, now, &ticket, &deadlines)
        .await?;
    Ok(OfflineCreated {
        number: number.as_str().to_string(),
    })
}
