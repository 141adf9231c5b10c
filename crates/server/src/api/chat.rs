//! Web chat over HTTP. The visitor's endpoints (`/chat/visitor/…`, no log-in, the chat
//! token in `X-Chat-Token`) are the widget's fallback where WebSockets do not get
//! through: send, and long-poll for what happened after a sequence number. The agent's
//! (`chat.answer`) and the settings (`chat.manage`) are what the console and the
//! settings page use; the WebSockets themselves are in `crate::ws`.

use super::{Json, Path, Query};
use crate::app::chat::agent::{
    self, AvailabilityPayload, ChatLinkPayload, ChatTransferPayload, ConvertPayload, ConvertedView,
    DeskView,
};
use crate::app::chat::manage::{self, AgentPayload, ChatAgentView, TopicPayload, TopicView};
use crate::app::chat::scripts::{self, ScriptPayload, ScriptView};
use crate::app::chat::visitor::{
    self, ChatSendPayload, ChatStarted, OfflineCreated, OfflinePayload, StartPayload, TopicStatus,
    VisitorView, TOKEN_HEADER,
};
use crate::app::chat::{ChatMessageView, ConversationView};
use crate::app::page_limit;
use crate::auth::{ClientAddr, Ctx};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(topic_status))
        .routes(routes!(start))
        .routes(routes!(visitor_send))
        .routes(routes!(visitor_poll))
        .routes(routes!(visitor_typing))
        .routes(routes!(visitor_close))
        .routes(routes!(visitor_renew))
        .routes(routes!(leave_message))
        .routes(routes!(get_desk))
        .routes(routes!(set_availability))
        .routes(routes!(get_messages, agent_send))
        .routes(routes!(agent_typing))
        .routes(routes!(agent_close))
        .routes(routes!(transfer))
        .routes(routes!(link_customer))
        .routes(routes!(convert))
        .routes(routes!(list_conversations))
        .routes(routes!(list_topics, create_topic))
        .routes(routes!(update_topic))
        .routes(routes!(list_agents))
        .routes(routes!(update_agent))
        .routes(routes!(list_scripts, create_script))
        .routes(routes!(update_script, delete_script))
}

/// The visitor's token from `X-Chat-Token`; 401 `chat_token` without one.
pub struct VisitorToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for VisitorToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        parts
            .headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| VisitorToken(s.trim().to_string()))
            .ok_or(AppError::BadCredentials {
                code: "chat_token",
                message: "send the chat token in X-Chat-Token".into(),
            })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParams {
    /// zh-CN (default) or en
    pub lang: Option<String>,
}

/// Whether anyone is on duty for a topic now (else the widget shows the message form),
/// with the widget's texts.
#[utoipa::path(get, path = "/chat/visitor/topics/{code}", tag = "chat", security(()),
    params(("code" = String, Path), LangParams),
    responses((status = 200, body = TopicStatus), (status = 404)))]
async fn topic_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<LangParams>,
) -> Result<Json<TopicStatus>, AppError> {
    let lang = crate::i18n::Lang::parse(p.lang.as_deref().unwrap_or_default());
    Ok(Json(visitor::topic_status(&state, &code, lang).await?))
}

/// Start a chat: it waits in the topic's queue until an agent with the topic's skills
/// and a free place takes it. Returns the chat token (valid 2 hours, renewable) and the
/// queue position. 409 `chat_offline` outside the topic's hours; 429 `rate_limited` when
/// one address starts more than 10 chats a minute.
#[utoipa::path(post, path = "/chat/visitor/conversations", tag = "chat", security(()),
    request_body = StartPayload,
    responses((status = 201, body = ChatStarted), (status = 404), (status = 409), (status = 422), (status = 429)))]
async fn start(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(p): Json<StartPayload>,
) -> Result<(StatusCode, Json<ChatStarted>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(visitor::start(&state, addr.as_deref(), &p).await?),
    ))
}

/// The visitor writes (`X-Chat-Token`). A resend with the same `client_id` is stored once.
#[utoipa::path(post, path = "/chat/visitor/messages", tag = "chat", security(()),
    request_body = ChatSendPayload,
    responses((status = 201, body = ChatMessageView), (status = 401), (status = 409), (status = 422)))]
async fn visitor_send(
    State(state): State<AppState>,
    VisitorToken(token): VisitorToken,
    Json(p): Json<ChatSendPayload>,
) -> Result<(StatusCode, Json<ChatMessageView>), AppError> {
    let conv = visitor::authenticate(&state, &token).await?;
    Ok((
        StatusCode::CREATED,
        Json(visitor::send(&state, &conv, &p).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollParams {
    /// The last sequence number the client has.
    #[serde(default)]
    pub after: i64,
    /// Seconds to wait for something new (0–30, default 25).
    pub wait: Option<u64>,
}

/// What the long-poll answers: the visitor's view, and whether the agent is typing when
/// that is what ended the wait.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollView {
    #[serde(flatten)]
    pub view: VisitorView,
    pub agent_typing: Option<bool>,
}

/// Long-poll (`X-Chat-Token`): answers at once when there are messages after `after` or
/// the chat is closed, else when something happens (a message, the queue moving, an
/// agent taking the chat, typing) or after `wait` seconds.
#[utoipa::path(get, path = "/chat/visitor/poll", tag = "chat", security(()),
    params(PollParams), responses((status = 200, body = PollView), (status = 401)))]
async fn visitor_poll(
    State(state): State<AppState>,
    VisitorToken(token): VisitorToken,
    Query(p): Query<PollParams>,
) -> Result<Json<PollView>, AppError> {
    let conv = visitor::authenticate(&state, &token).await?;
    let wait = std::time::Duration::from_secs(p.wait.unwrap_or(25).min(30));
    let (view, agent_typing) = crate::ws::poll_visitor(&state, &conv, p.after, wait).await?;
    Ok(Json(PollView { view, agent_typing }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingPayload {
    pub on: bool,
}

/// The visitor is typing (or stopped); the agent sees it.
#[utoipa::path(post, path = "/chat/visitor/typing", tag = "chat", security(()),
    request_body = TypingPayload, responses((status = 204), (status = 401)))]
async fn visitor_typing(
    State(state): State<AppState>,
    VisitorToken(token): VisitorToken,
    Json(p): Json<TypingPayload>,
) -> Result<StatusCode, AppError> {
    let conv = visitor::authenticate(&state, &token).await?;
    visitor::typing(&state, &conv, p.on).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor leaves the chat.
#[utoipa::path(post, path = "/chat/visitor/close", tag = "chat", security(()),
    responses((status = 204), (status = 401), (status = 409)))]
async fn visitor_close(
    State(state): State<AppState>,
    VisitorToken(token): VisitorToken,
) -> Result<StatusCode, AppError> {
    let conv = visitor::authenticate(&state, &token).await?;
    visitor::close(&state, &conv).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenewedView {
    pub token: String,
    pub expires_at: String,
}

/// A new token for the same chat (the old one stops working).
#[utoipa::path(post, path = "/chat/visitor/token", tag = "chat", security(()),
    responses((status = 200, body = RenewedView), (status = 401)))]
async fn visitor_renew(
    State(state): State<AppState>,
    VisitorToken(token): VisitorToken,
) -> Result<Json<RenewedView>, AppError> {
    let conv = visitor::authenticate(&state, &token).await?;
    let (token, expires_at) = visitor::renew(&state, &conv).await?;
    Ok(Json(RenewedView { token, expires_at }))
}

/// Leave a message outside the topic's hours: it becomes a ticket (channel chat).
/// Rate-limited per address like the public web form.
#[utoipa::path(post, path = "/chat/visitor/offline", tag = "chat", security(()),
    request_body = OfflinePayload,
    responses((status = 201, body = OfflineCreated), (status = 404), (status = 422), (status = 429)))]
async fn leave_message(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(p): Json<OfflinePayload>,
) -> Result<(StatusCode, Json<OfflineCreated>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(visitor::leave_message(&state, addr.as_deref(), &p).await?),
    ))
}

/// My chat desk: available or not, capacity, skills and the chats I hold.
#[utoipa::path(get, path = "/chat/desk", tag = "chat", security(("bearer" = ["chat.answer"])),
    responses((status = 200, body = DeskView)))]
async fn get_desk(State(state): State<AppState>, ctx: Ctx) -> Result<Json<DeskView>, AppError> {
    Ok(Json(agent::desk(&state, &ctx).await?))
}

/// Start or stop taking chats. Starting routes waiting chats to me at once.
#[utoipa::path(put, path = "/chat/desk/availability", tag = "chat", security(("bearer" = ["chat.answer"])),
    request_body = AvailabilityPayload, responses((status = 204)))]
async fn set_availability(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<AvailabilityPayload>,
) -> Result<StatusCode, AppError> {
    agent::set_available(&state, &ctx, p.available).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterParams {
    #[serde(default)]
    pub after: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptView {
    pub conversation: ConversationView,
    pub messages: Vec<ChatMessageView>,
}

/// A chat and its messages after `after` (at most 200; ask again for more). Mine
/// (`chat.answer`), or any with `chat.manage` or `chat.inspect` (that read is audited).
/// Phone and ID numbers in the messages are masked without `customer.pii.read`.
#[utoipa::path(get, path = "/chat/conversations/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("id" = String, Path), AfterParams),
    responses((status = 200, body = TranscriptView), (status = 403), (status = 404)))]
async fn get_messages(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<AfterParams>,
) -> Result<Json<TranscriptView>, AppError> {
    agent::require_reader(&ctx)?;
    let (conversation, messages) = agent::messages(&state, &ctx, &id, p.after).await?;
    Ok(Json(TranscriptView {
        conversation,
        messages,
    }))
}

/// Reply in a chat I hold.
#[utoipa::path(post, path = "/chat/conversations/{id}/messages", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), request_body = ChatSendPayload,
    responses((status = 201, body = ChatMessageView), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn agent_send(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ChatSendPayload>,
) -> Result<(StatusCode, Json<ChatMessageView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(agent::send(&state, &ctx, &id, &p).await?),
    ))
}

/// I am typing (or stopped) in a chat I hold; the visitor sees it.
#[utoipa::path(post, path = "/chat/conversations/{id}/typing", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), request_body = TypingPayload,
    responses((status = 204), (status = 404)))]
async fn agent_typing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TypingPayload>,
) -> Result<StatusCode, AppError> {
    agent::typing(&state, &ctx, &id, p.on).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Close a chat I hold (any, with `chat.manage`).
#[utoipa::path(post, path = "/chat/conversations/{id}/close", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409)))]
async fn agent_close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    agent::close(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Transfer a chat I hold to another agent (who must be taking chats and have a free
/// place: else 409 `chat_agent_full`) or to a topic's queue (a group).
#[utoipa::path(post, path = "/chat/conversations/{id}/transfer", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), request_body = ChatTransferPayload,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ChatTransferPayload>,
) -> Result<StatusCode, AppError> {
    agent::transfer(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Link the visitor to a known customer (needs `customer.read` too): the transcript and
/// every later message go on the customer's timeline.
#[utoipa::path(post, path = "/chat/conversations/{id}/customer", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), request_body = ChatLinkPayload,
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
async fn link_customer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ChatLinkPayload>,
) -> Result<StatusCode, AppError> {
    agent::link_customer(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Convert a chat to a ticket (needs `ticket.write` too): channel chat, owned by me, the
/// transcript on its timeline, later messages too. Once per chat (409 `chat_has_ticket`).
#[utoipa::path(post, path = "/chat/conversations/{id}/ticket", tag = "chat", security(("bearer" = ["chat.answer"])),
    params(("id" = String, Path)), request_body = ConvertPayload,
    responses((status = 201, body = ConvertedView), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn convert(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ConvertPayload>,
) -> Result<(StatusCode, Json<ConvertedView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(agent::convert(&state, &ctx, &id, &p).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// queued, active or closed
    pub state: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

/// Conversations, newest first, for reading transcripts (`chat.manage` or
/// `chat.inspect`).
#[utoipa::path(get, path = "/chat/conversations", tag = "chat", security(("bearer" = [])),
    params(ListParams), responses((status = 200, body = ConversationList), (status = 403), (status = 422)))]
async fn list_conversations(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> Result<Json<ConversationList>, AppError> {
    agent::require_inspector(&ctx)?;
    let (items, next_cursor) = manage::conversations(
        &state,
        p.state.as_deref(),
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await?;
    Ok(Json(ConversationList { items, next_cursor }))
}

#[utoipa::path(get, path = "/chat/topics", tag = "chat", security(("bearer" = ["chat.answer"])),
    responses((status = 200, body = [TopicView])))]
async fn list_topics(State(state): State<AppState>) -> Result<Json<Vec<TopicView>>, AppError> {
    Ok(Json(manage::topics(&state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicCreated {
    pub id: String,
}

/// Create a topic (a queue the widget names by `code`).
#[utoipa::path(post, path = "/chat/topics", tag = "chat", security(("bearer" = ["chat.manage"])),
    request_body = TopicPayload,
    responses((status = 201, body = TopicCreated), (status = 409), (status = 422)))]
async fn create_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<TopicPayload>,
) -> Result<(StatusCode, Json<TopicCreated>), AppError> {
    let id = manage::save_topic(&state, &ctx, None, &p).await?;
    Ok((StatusCode::CREATED, Json(TopicCreated { id })))
}

#[utoipa::path(put, path = "/chat/topics/{id}", tag = "chat", security(("bearer" = ["chat.manage"])),
    params(("id" = String, Path)), request_body = TopicPayload,
    responses((status = 204), (status = 404), (status = 409), (status = 422)))]
async fn update_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TopicPayload>,
) -> Result<StatusCode, AppError> {
    manage::save_topic(&state, &ctx, Some(&id), &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Agents' chat desks: availability, capacity, skills, chats held now.
#[utoipa::path(get, path = "/chat/agents", tag = "chat", security(("bearer" = ["chat.manage"])),
    responses((status = 200, body = [ChatAgentView])))]
async fn list_agents(State(state): State<AppState>) -> Result<Json<Vec<ChatAgentView>>, AppError> {
    Ok(Json(manage::agents(&state).await?))
}

/// Set an agent's capacity (0–50 chats at once) and skills.
#[utoipa::path(put, path = "/chat/agents/{user_id}", tag = "chat", security(("bearer" = ["chat.manage"])),
    params(("user_id" = String, Path)), request_body = AgentPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn update_agent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(user_id): Path<String>,
    Json(p): Json<AgentPayload>,
) -> Result<StatusCode, AppError> {
    manage::save_agent(&state, &ctx, &user_id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Scripts (话术): canned replies for every topic or one, the general ones first.
#[utoipa::path(get, path = "/chat/scripts", tag = "chat", security(("bearer" = ["chat.answer"])),
    responses((status = 200, body = [ScriptView])))]
async fn list_scripts(State(state): State<AppState>) -> Result<Json<Vec<ScriptView>>, AppError> {
    Ok(Json(scripts::list(&state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptCreated {
    pub id: String,
}

/// Create a script. 422 `invalid_chat_script` naming the field (`title`, `body`,
/// `topic_id`).
#[utoipa::path(post, path = "/chat/scripts", tag = "chat", security(("bearer" = ["chat.manage"])),
    request_body = ScriptPayload,
    responses((status = 201, body = ScriptCreated), (status = 422)))]
async fn create_script(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<ScriptPayload>,
) -> Result<(StatusCode, Json<ScriptCreated>), AppError> {
    let id = scripts::save(&state, &ctx, None, &p).await?;
    Ok((StatusCode::CREATED, Json(ScriptCreated { id })))
}

#[utoipa::path(put, path = "/chat/scripts/{id}", tag = "chat", security(("bearer" = ["chat.manage"])),
    params(("id" = String, Path)), request_body = ScriptPayload,
    responses((status = 204), (status = 404), (status = 422)))]
async fn update_script(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ScriptPayload>,
) -> Result<StatusCode, AppError> {
    scripts::save(&state, &ctx, Some(&id), &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/chat/scripts/{id}", tag = "chat", security(("bearer" = ["chat.manage"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404)))]
async fn delete_script(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    scripts::delete(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
