//! Chat pages: the agent's console (several chats at once; the page is a shell the
//! console script fills over the WebSocket; the scripts beside the reply box), the
//! transcripts a manager or inspector reads (`chat.manage` or `chat.inspect`; each read
//! of someone else's chat audited), and a test page that embeds the widget the way a
//! customer's website would.

use super::{lang_of, render, Chrome, Page, UiError};
use crate::app::chat::agent;
use crate::app::chat::scripts::{self, ScriptView};
use crate::app::chat::{manage, ChatMessageView, ConversationView};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use kefu_domain::ticket::TicketType;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat/console", get(console))
        .route("/chat/transcripts", get(transcripts))
        .route("/chat/transcripts/{id}", get(transcript))
        .route("/chat/demo", get(demo))
        .route(
            "/static/chat-console.js",
            get(|| async {
                super::static_file(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/chat-console.js"),
                )
            }),
        )
}

#[derive(Template)]
#[template(path = "chat_console.html")]
struct ConsolePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    available: bool,
    capacity: i64,
    /// Transfer targets: (user id, name) of the other agents with a chat desk …
    agents: Vec<(String, String)>,
    /// … and (topic id, name) of the active topics (groups).
    topics: Vec<(String, String)>,
    ticket_types: Vec<(String, String)>,
    /// The scripts (话术); the console shows those of the open chat's topic and the
    /// general ones.
    scripts: Vec<ScriptView>,
    /// Links the transcripts (`chat.manage` or `chat.inspect`) …
    can_inspect: bool,
    /// … and the settings (`chat.manage`).
    can_manage: bool,
}

async fn console(page: Page) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::ChatAnswer)
        .map_err(|e| page.error(e))?;
    let st = &page.state;
    let desk = agent::desk(st, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let agents = manage::agents(st)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|a| a.user_id != page.ctx.user_id)
        .map(|a| (a.user_id, a.name))
        .collect();
    let topics = manage::topics(st)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| (t.id, t.name))
        .collect();
    let scripts = scripts::list(st).await.map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&ConsolePage {
        available: desk.available,
        capacity: desk.capacity,
        agents,
        topics,
        ticket_types: t.options("ticket_type", TicketType::ALL.iter().map(|x| x.code())),
        scripts,
        can_inspect: agent::require_inspector(&page.ctx).is_ok(),
        can_manage: page.ctx.can(Permission::ChatManage),
        chrome: page.chrome("chat"),
        t,
    }))
}

#[derive(Template)]
#[template(path = "chat_transcripts.html")]
struct TranscriptsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<ConversationView>,
    state: String,
    states: Vec<(String, String)>,
    next_cursor: Option<String>,
    /// Links the console (`chat.answer`).
    can_answer: bool,
    /// The list's filter, for its export.
    export_query: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: String,
    cursor: Option<String>,
}

async fn transcripts(page: Page, Query(q): Query<ListQuery>) -> Result<Response, UiError> {
    agent::require_inspector(&page.ctx).map_err(|e| page.error(e))?;
    let (items, next_cursor) =
        manage::conversations(&page.state, Some(q.state.as_str()), q.cursor.as_deref(), 50)
            .await
            .map_err(|e| page.error(e))?;
    let t = page.t();
    Ok(render(&TranscriptsPage {
        states: t.options(
            "chat_state",
            kefu_domain::chat::ChatState::ALL.iter().map(|s| s.code()),
        ),
        items,
        export_query: super::query_string(&[("state", &q.state)]),
        state: q.state,
        next_cursor,
        can_answer: page.ctx.can(Permission::ChatAnswer),
        chrome: page.chrome("chat"),
        t,
    }))
}

#[derive(Template)]
#[template(path = "chat_transcript.html")]
struct TranscriptPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    c: ConversationView,
    messages: Vec<ChatMessageView>,
}

async fn transcript(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    agent::require_reader(&page.ctx).map_err(|e| page.error(e))?;
    let mut messages = Vec::new();
    let mut after = 0;
    let conversation = loop {
        let (c, batch) = agent::messages(&page.state, &page.ctx, &id, after)
            .await
            .map_err(|e| page.error(e))?;
        let full = batch.len() >= crate::app::chat::READ_BATCH;
        after = batch.last().map_or(after, |m| m.seq);
        messages.extend(batch);
        if !full {
            break c;
        }
    };
    let t = page.t();
    Ok(render(&TranscriptPage {
        c: conversation,
        messages,
        chrome: page.chrome("chat"),
        t,
    }))
}

#[derive(Template)]
#[template(path = "chat_demo.html")]
struct DemoPage {
    lang: String,
    title: String,
    intro: String,
    origin: String,
    topic: String,
}

#[derive(Deserialize, Default)]
struct DemoQuery {
    topic: Option<String>,
}

/// A page like a customer's website with the widget embedded (no log-in).
async fn demo(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<DemoQuery>,
) -> Response {
    let lang = lang_of(&jar);
    let t = state.i18n().tr(lang);
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let topic: String = q
        .topic
        .unwrap_or_else(|| "general".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    render(&DemoPage {
        lang: lang.code().to_string(),
        title: t.t("chat.demo_title").to_string(),
        intro: t.t("chat.demo_intro").to_string(),
        origin: format!("http://{host}"),
        topic,
    })
}
