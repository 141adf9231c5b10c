//! The visitor's WebSocket. The first frame must be `{"type":"hello","token":…,"after":N}`
//! (the token never travels in the URL); the server answers with the chat's state and
//! every message after N, then pushes what happens: messages, queue position, the agent
//! taking the chat, typing, closing. The client sends `send` (with a `client_id`, so a
//! resend after a reconnect is stored once), `typing` and `close`. When the token expires
//! (the widget did not renew it in time) the server sends the `chat_token` error and
//! closes the socket: the token is checked on every frame and every signal, and every
//! [`TOKEN_CHECK`] while the socket is idle.

use super::hub::{conversation_key, topic_key, Signal};
use super::inbox::{Delivery, Inbox};
use super::{recv_json, send_json, HELLO_TIMEOUT};
use crate::app::chat::visitor::{self, ChatSendPayload, VisitorView};
use crate::app::chat::ChatMessageView;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket};
use kefu_store::chat::ConversationRow;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Hello {
        token: String,
        #[serde(default)]
        after: i64,
    },
    Send {
        body: String,
        client_id: Option<String>,
    },
    Typing {
        on: bool,
    },
    Close,
    Ping,
}

/// How often an idle visitor socket checks that its token is still valid.
pub const TOKEN_CHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// What the connection last told the client, so it sends only what is new.
struct Sent {
    seq: i64,
    state: String,
    position: Option<i64>,
    agent: Option<String>,
}

pub async fn run(state: AppState, mut socket: WebSocket) {
    let hello = tokio::time::timeout(HELLO_TIMEOUT, recv_json::<ClientFrame>(&mut socket)).await;
    let (token, after) = match hello {
        Ok(Some(Ok(ClientFrame::Hello { token, after }))) => (token, after),
        _ => {
            let _ = send_json(
                &mut socket,
                &json!({"type": "error", "code": "hello_expected"}),
            )
            .await;
            return;
        }
    };
    let conv = match visitor::authenticate(&state, &token).await {
        Ok(c) => c,
        Err(e) => {
            let _ = send_error(&mut socket, &e).await;
            return;
        }
    };
    if let Err(e) = serve(&state, &mut socket, conv, after).await {
        let _ = send_error(&mut socket, &e).await;
        let _ = socket.send(Message::Close(None)).await;
    }
}

async fn send_error(socket: &mut WebSocket, e: &AppError) -> Result<(), axum::Error> {
    send_json(
        socket,
        &json!({"type": "error", "code": e.code(), "message": e.to_string()}),
    )
    .await
}

async fn serve(
    state: &AppState,
    socket: &mut WebSocket,
    conv: ConversationRow,
    after: i64,
) -> Result<(), AppError> {
    state.chat().ensure_listening(state.db()).await;
    let mut inbox = Inbox::default();
    inbox.add(state.chat(), conversation_key(&conv.id));
    inbox.add(state.chat(), topic_key(&conv.topic_id));
    let mut sent = Sent {
        seq: after.max(0),
        state: String::new(),
        position: None,
        agent: None,
    };
    refresh(state, socket, &conv.id, &mut sent).await?;
    let mut expires_at = conv.token_expires_at;
    let mut check = tokio::time::interval(TOKEN_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            frame = recv_json::<ClientFrame>(socket) => {
                if frame.is_some() {
                    token_still_valid(state, &conv.id, &mut expires_at).await?;
                }
                match frame {
                    None => return Ok(()),
                    Some(Err(code)) => {
                        let _ = send_json(socket, &json!({"type": "error", "code": code})).await;
                    }
                    Some(Ok(f)) => {
                        if !client_frame(state, socket, &conv, f).await? {
                            return Ok(());
                        }
                    }
                }
            }
            d = inbox.recv() => {
                let Some(first) = d else { return Ok(()) };
                token_still_valid(state, &conv.id, &mut expires_at).await?;
                // Everything that has gathered is answered by one read.
                let mut reread = false;
                let mut messages = false;
                for d in std::iter::once(first).chain(std::iter::from_fn(|| inbox.try_recv())) {
                    match d {
                        Delivery::Signal(Signal::Typing { from, on, .. }) => {
                            if from == "agent" {
                                send(socket, json!({"type": "typing", "on": on})).await?;
                            }
                        }
                        // A message changes nothing but the messages.
                        Delivery::Signal(Signal::Message { .. }) => messages = true,
                        // State, queue movement, or missed signals.
                        _ => reread = true,
                    }
                }
                if reread {
                    refresh(state, socket, &conv.id, &mut sent).await?;
                } else if messages {
                    push_messages(state, socket, &conv.id, &mut sent).await?;
                }
            }
            _ = check.tick() => token_still_valid(state, &conv.id, &mut expires_at).await?,
        }
    }
}

/// `Ok` while the token is valid; the `chat_token` error (which ends the connection)
/// once it expired. `expires_at` is what the socket last knew: only past it is the
/// conversation read again, as the widget may have renewed the token meanwhile.
async fn token_still_valid(
    state: &AppState,
    id: &str,
    expires_at: &mut i64,
) -> Result<(), AppError> {
    if kefu_store::to_millis(state.clock().now()) < *expires_at {
        return Ok(());
    }
    let c = state.db().get_chat(id).await?;
    *expires_at = c.token_expires_at;
    if kefu_store::to_millis(state.clock().now()) < *expires_at {
        return Ok(());
    }
    Err(AppError::BadCredentials {
        code: "chat_token",
        message: "the chat token expired; start a new chat".into(),
    })
}

/// Handles one frame from the client; `false` ends the connection.
async fn client_frame(
    state: &AppState,
    socket: &mut WebSocket,
    conv: &ConversationRow,
    f: ClientFrame,
) -> Result<bool, AppError> {
    match f {
        ClientFrame::Hello { .. } => {}
        ClientFrame::Ping => send(socket, json!({"type": "pong"})).await?,
        ClientFrame::Typing { on } => visitor::typing(state, conv, on).await,
        ClientFrame::Close => {
            match visitor::close(state, conv).await {
                Ok(()) | Err(AppError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            send(socket, json!({"type": "state", "state": "closed"})).await?;
            return Ok(false);
        }
        ClientFrame::Send { body, client_id } => {
            let p = ChatSendPayload { body, client_id };
            match visitor::send(state, conv, &p).await {
                Ok(m) => {
                    send(
                        socket,
                        json!({"type": "sent", "client_id": m.client_id, "seq": m.seq}),
                    )
                    .await?
                }
                // A refused message is the client's to fix; the connection stays.
                Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
                    send(
                        socket,
                        json!({"type": "error", "code": e.code(), "message": e.to_string()}),
                    )
                    .await?
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(true)
}

async fn send(socket: &mut WebSocket, v: serde_json::Value) -> Result<(), AppError> {
    send_json(socket, &v)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("websocket: {e}")))
}

/// Sends the state when it changed and every message after the last one sent.
async fn refresh(
    state: &AppState,
    socket: &mut WebSocket,
    id: &str,
    sent: &mut Sent,
) -> Result<(), AppError> {
    let v: VisitorView = visitor::view(state, id, sent.seq).await?;
    if v.state != sent.state || v.position != sent.position || v.agent_name != sent.agent {
        send(
            socket,
            json!({"type": "state", "state": v.state, "position": v.position,
                   "agent_name": v.agent_name, "last_seq": v.last_seq}),
        )
        .await?;
        sent.state = v.state.clone();
        sent.position = v.position;
        sent.agent = v.agent_name.clone();
    }
    if send_messages(socket, v.messages, sent).await? {
        push_messages(state, socket, id, sent).await?;
    }
    Ok(())
}

/// Sends every message after the last one sent (one read per batch of messages).
async fn push_messages(
    state: &AppState,
    socket: &mut WebSocket,
    id: &str,
    sent: &mut Sent,
) -> Result<(), AppError> {
    loop {
        let messages = visitor::messages_after(state, id, sent.seq).await?;
        if !send_messages(socket, messages, sent).await? {
            return Ok(());
        }
    }
}

/// Sends `messages`; `true` when they were a full batch (there may be more).
async fn send_messages(
    socket: &mut WebSocket,
    messages: Vec<ChatMessageView>,
    sent: &mut Sent,
) -> Result<bool, AppError> {
    let full = messages.len() >= crate::app::chat::READ_BATCH;
    for m in messages {
        sent.seq = sent.seq.max(m.seq);
        let mut frame = serde_json::to_value(&m).unwrap_or_default();
        frame["type"] = json!("message");
        send(socket, frame).await?;
    }
    Ok(full)
}

/// The long-poll's wait (see `api::chat::visitor_poll`): the view after `after`,
/// answered at once when there is something new, else when a signal arrives or `wait`
/// passes; with the agent's typing when that is what ended the wait.
pub async fn poll(
    state: &AppState,
    conv: &ConversationRow,
    after: i64,
    wait: std::time::Duration,
) -> Result<(VisitorView, Option<bool>), AppError> {
    state.chat().ensure_listening(state.db()).await;
    let mut inbox = Inbox::default();
    inbox.add(state.chat(), conversation_key(&conv.id));
    inbox.add(state.chat(), topic_key(&conv.topic_id));
    let v = visitor::view(state, &conv.id, after).await?;
    if !v.messages.is_empty() || v.state == "closed" || wait.is_zero() {
        return Ok((v, None));
    }
    let typing = match tokio::time::timeout(wait, inbox.recv()).await {
        Ok(Some(Delivery::Signal(Signal::Typing { from, on, .. }))) if from == "agent" => Some(on),
        _ => None,
    };
    let v = visitor::view(state, &conv.id, after).await?;
    Ok((v, typing))
}
