//! The agent's WebSocket (the console; signed in, `chat.answer`). On connect the server
//! sends the desk (`{"type":"desk",…}`: availability and the chats held); the client asks
//! for each chat's messages after what it has (`sync`), and the server then pushes new
//! messages, typing, and a fresh desk whenever a chat is assigned, transferred, linked or
//! closed. The client sends `send` (with `client_id`), `typing` and `sync`. While the
//! socket is open the agent counts as present (see `ws::presence`), on this server and,
//! through a beat every few seconds, on the others.

use super::hub::{agent_key, conversation_key, Signal};
use super::inbox::{Delivery, Inbox};
use super::{recv_json, send_json};
use crate::app::chat::agent;
use crate::app::chat::visitor::ChatSendPayload;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::WebSocket;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Sync {
        conversation_id: String,
        #[serde(default)]
        after: i64,
    },
    Send {
        conversation_id: String,
        body: String,
        client_id: Option<String>,
    },
    Typing {
        conversation_id: String,
        on: bool,
    },
    Ping,
}

pub async fn run(state: AppState, ctx: Ctx, mut socket: WebSocket) {
    // Counted before the desk is sent: a console that shows its desk is known to be open.
    state.chat_presence().opened(&ctx.user_id);
    let served = serve(&state, &ctx, &mut socket).await;
    state
        .chat_presence()
        .closed(&ctx.user_id, state.clock().now());
    if let Err(e) = served {
        let _ = send_json(
            &mut socket,
            &json!({"type": "error", "code": e.code(), "message": e.to_string()}),
        )
        .await;
    }
}

async fn send(socket: &mut WebSocket, v: serde_json::Value) -> Result<(), AppError> {
    send_json(socket, &v)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("websocket: {e}")))
}

/// The chats held and the last sequence number sent per chat (`None` until the client
/// synced it: nothing is pushed for a chat the client has not asked about yet).
struct Session {
    sent: HashMap<String, Option<i64>>,
}

async fn serve(state: &AppState, ctx: &Ctx, socket: &mut WebSocket) -> Result<(), AppError> {
    state.chat().ensure_listening(state.db()).await;
    let mut inbox = Inbox::default();
    let mut session = Session {
        sent: HashMap::new(),
    };
    desk(state, ctx, socket, &mut inbox, &mut session).await?;
    // The first tick is immediate: the other servers hear of the console at once.
    let mut beat = tokio::time::interval(state.config().console_beat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = beat.tick() => {
                let a = ctx.user_id.clone();
                state.chat().publish(state.db(), vec![Signal::Console { a }]).await;
            }
            frame = recv_json::<ClientFrame>(socket) => {
                match frame {
                    None => return Ok(()),
                    Some(Err(code)) => send(socket, json!({"type": "error", "code": code})).await?,
                    Some(Ok(f)) => client_frame(state, ctx, socket, &mut session, f).await?,
                }
            }
            d = inbox.recv() => {
                let Some(first) = d else { return Ok(()) };
                // Everything that has gathered is answered together: one desk read at
                // most, one message read per chat.
                let mut reread_desk = false;
                let mut missed = false;
                let mut chats: Vec<String> = Vec::new();
                for d in std::iter::once(first).chain(std::iter::from_fn(|| inbox.try_recv())) {
                    match d {
                        Delivery::Signal(Signal::Message { c, .. }) => {
                            if !chats.contains(&c) {
                                chats.push(c);
                            }
                        }
                        Delivery::Signal(Signal::Typing { c, from, on }) => {
                            if from == "visitor" {
                                send(socket, json!({"type": "typing", "conversation_id": c, "on": on})).await?;
                            }
                        }
                        Delivery::Missed => missed = true,
                        Delivery::Signal(_) => reread_desk = true,
                    }
                }
                if missed || reread_desk {
                    desk(state, ctx, socket, &mut inbox, &mut session).await?;
                }
                if missed {
                    chats = session.sent.keys().cloned().collect();
                }
                for c in chats {
                    push_messages(state, ctx, socket, &mut session, &c).await?;
                }
            }
        }
    }
}

/// Sends the desk and follows exactly the chats on it.
async fn desk(
    state: &AppState,
    ctx: &Ctx,
    socket: &mut WebSocket,
    inbox: &mut Inbox,
    session: &mut Session,
) -> Result<(), AppError> {
    // Subscribe before reading, so nothing between the read and the subscription is lost.
    inbox.add(state.chat(), agent_key(&ctx.user_id));
    let d = agent::desk(state, ctx).await?;
    let mut keys = vec![agent_key(&ctx.user_id)];
    keys.extend(d.chats.iter().map(|c| conversation_key(&c.id)));
    inbox.retain(state.chat(), &keys);
    session
        .sent
        .retain(|id, _| d.chats.iter().any(|c| &c.id == id));
    for c in &d.chats {
        session.sent.entry(c.id.clone()).or_insert(None);
    }
    let mut frame = serde_json::to_value(&d).unwrap_or_default();
    frame["type"] = json!("desk");
    send(socket, frame).await
}

async fn push_messages(
    state: &AppState,
    ctx: &Ctx,
    socket: &mut WebSocket,
    session: &mut Session,
    id: &str,
) -> Result<(), AppError> {
    let Some(Some(after)) = session.sent.get(id).cloned() else {
        return Ok(());
    };
    let mut after = after;
    loop {
        let (_, messages) = match agent::messages(state, ctx, id, after).await {
            Ok(r) => r,
            // Transferred or closed meanwhile: the desk signal follows.
            Err(AppError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let full = messages.len() >= crate::app::chat::READ_BATCH;
        for m in messages {
            after = after.max(m.seq);
            let mut frame = serde_json::to_value(&m).unwrap_or_default();
            frame["type"] = json!("message");
            frame["conversation_id"] = json!(id);
            send(socket, frame).await?;
        }
        session.sent.insert(id.to_string(), Some(after));
        if !full {
            return Ok(());
        }
    }
}

async fn client_frame(
    state: &AppState,
    ctx: &Ctx,
    socket: &mut WebSocket,
    session: &mut Session,
    f: ClientFrame,
) -> Result<(), AppError> {
    let refused =
        |e: &AppError| json!({"type": "error", "code": e.code(), "message": e.to_string()});
    match f {
        ClientFrame::Ping => send(socket, json!({"type": "pong"})).await,
        ClientFrame::Sync {
            conversation_id,
            after,
        } => {
            if !session.sent.contains_key(&conversation_id) {
                return send(socket, refused(&AppError::NotFound("chat"))).await;
            }
            session
                .sent
                .insert(conversation_id.clone(), Some(after.max(0)));
            push_messages(state, ctx, socket, session, &conversation_id).await
        }
        ClientFrame::Typing {
            conversation_id,
            on,
        } => match agent::typing(state, ctx, &conversation_id, on).await {
            Ok(()) => Ok(()),
            Err(e) => send(socket, refused(&e)).await,
        },
        ClientFrame::Send {
            conversation_id,
            body,
            client_id,
        } => {
            let p = ChatSendPayload { body, client_id };
            match agent::send(state, ctx, &conversation_id, &p).await {
                Ok(m) => {
                    send(
                        socket,
                        json!({"type": "sent", "conversation_id": conversation_id,
                               "client_id": m.client_id, "seq": m.seq}),
                    )
                    .await
                }
                Err(e @ (AppError::Internal(_) | AppError::Unauthenticated)) => Err(e),
                Err(e) => send(socket, refused(&e)).await,
            }
        }
    }
}
