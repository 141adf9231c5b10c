//! The chat hub: who must hear that a chat changed. Within one server a tokio broadcast
//! channel per key (a conversation, a topic's queue, an agent) carries [`Signal`]s to the
//! WebSocket and long-poll handlers subscribed to it; across servers on one PostgreSQL
//! database every signal also goes out through `pg_notify`, and each server's listener
//! task replays other servers' signals into its own channels. Signals carry ids only:
//! whoever receives one reads the rows, so a lost signal costs a delay, never a message.

use kefu_store::Db;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, OnceCell};

/// Something happened to a conversation, a topic's queue or an agent's set of chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
pub enum Signal {
    /// A message with sequence number `seq` was stored in conversation `c`.
    Message { c: String, seq: i64 },
    /// Conversation `c` was assigned, transferred or closed.
    State { c: String },
    /// Someone in conversation `c` started or stopped typing (`from`: visitor or agent).
    Typing { c: String, from: String, on: bool },
    /// The queue of topic `t` moved: its waiting visitors' positions changed.
    Queue { t: String },
    /// Agent `a` got or lost a chat.
    Agent { a: String },
    /// Agent `a` has a console open on the sending server (see `ws::presence`).
    Console { a: String },
}

impl Signal {
    /// The channel the signal goes out on.
    pub fn key(&self) -> String {
        match self {
            Signal::Message { c, .. } | Signal::State { c } | Signal::Typing { c, .. } => {
                conversation_key(c)
            }
            Signal::Queue { t } => topic_key(t),
            Signal::Agent { a } => agent_key(a),
            Signal::Console { .. } => PRESENCE_KEY.to_string(),
        }
    }
}

/// The channel of console beats (one for all agents; see `ws::presence`).
pub const PRESENCE_KEY: &str = "presence";

pub fn conversation_key(id: &str) -> String {
    format!("c:{id}")
}

pub fn topic_key(id: &str) -> String {
    format!("t:{id}")
}

pub fn agent_key(id: &str) -> String {
    format!("a:{id}")
}

/// What goes over `pg_notify`: the signal and the server that sent it (which skips its
/// own notifications; it delivered them locally already).
#[derive(Serialize, Deserialize)]
struct Wire {
    o: String,
    s: Signal,
}

/// Signals a slow subscriber may fall behind by before it misses some (it then rereads
/// the state, see the handlers).
const CHANNEL_DEPTH: usize = 64;

/// The presence channel carries a beat per open console every ten seconds and is read
/// once a second: deep enough for a few thousand consoles on the other servers.
const PRESENCE_DEPTH: usize = 4096;

pub struct ChatHub {
    /// This server's id in notifications.
    origin: String,
    channels: Mutex<Channels>,
    listening: OnceCell<()>,
}

#[derive(Default)]
struct Channels {
    map: HashMap<String, broadcast::Sender<Signal>>,
    /// The map's size after the last sweep of channels nobody listens to.
    swept_at: usize,
}

impl std::fmt::Debug for ChatHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatHub")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Default for ChatHub {
    fn default() -> Self {
        ChatHub {
            origin: uuid_like(),
            channels: Mutex::new(Channels::default()),
            listening: OnceCell::new(),
        }
    }
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl ChatHub {
    /// Listens to the channels of `keys` (a conversation, a topic, an agent …).
    pub fn subscribe(&self, key: &str) -> broadcast::Receiver<Signal> {
        let mut ch = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if ch.map.len() > 64 && ch.map.len() >= ch.swept_at * 2 {
            ch.map.retain(|_, tx| tx.receiver_count() > 0);
            ch.swept_at = ch.map.len().max(32);
        }
        ch.map
            .entry(key.to_string())
            .or_insert_with(|| {
                let depth = if key == PRESENCE_KEY {
                    PRESENCE_DEPTH
                } else {
                    CHANNEL_DEPTH
                };
                broadcast::channel(depth).0
            })
            .subscribe()
    }

    fn deliver(&self, signal: Signal) {
        let key = signal.key();
        let mut ch = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = ch.map.get(&key) {
            if tx.send(signal).is_err() {
                ch.map.remove(&key);
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn deliver_for_test(&self, signal: Signal) {
        self.deliver(signal)
    }

    /// Tells this server's subscribers, then the other servers. A failed notification is
    /// logged, not returned: the change is stored, and the other side catches up on its
    /// next read.
    ///
    /// A console beat goes to the other servers only: this server counts its own consoles
    /// as they open and close, and hearing its own beat — taken in by presence whenever
    /// it next looks, possibly after that console closed — would count as a console
    /// elsewhere and put off marking the agent away.
    pub async fn publish(&self, db: &Db, signals: Vec<Signal>) {
        for s in &signals {
            if !matches!(s, Signal::Console { .. }) {
                self.deliver(s.clone());
            }
        }
        if db.backend() != kefu_store::Backend::Postgres {
            return;
        }
        for s in signals {
            let wire = Wire {
                o: self.origin.clone(),
                s,
            };
            let Ok(payload) = serde_json::to_string(&wire) else {
                continue;
            };
            if let Err(e) = db.notify_chat(&payload).await {
                tracing::warn!(error = %e, "chat notification not sent");
            }
        }
    }

    /// Starts, once per server, the task that replays other servers' signals (on
    /// PostgreSQL). Called before the first subscription, so a subscriber never misses
    /// a notification sent after it subscribed.
    pub async fn ensure_listening(self: &Arc<Self>, db: &Db) {
        if db.backend() != kefu_store::Backend::Postgres {
            return;
        }
        let hub = self.clone();
        let db = db.clone();
        // A failed start is not remembered: the next connection tries again.
        let started = self
            .listening
            .get_or_try_init(move || async move {
                if let Some(feed) = db.chat_feed().await? {
                    tokio::spawn(listen(Arc::downgrade(&hub), feed));
                }
                Ok::<(), kefu_store::StoreError>(())
            })
            .await;
        if let Err(e) = started {
            tracing::error!(error = %e, "chat listener not started; other servers' changes arrive on the next read");
        }
    }
}

/// Replays notifications until the hub is gone (the server stopped).
async fn listen(hub: std::sync::Weak<ChatHub>, mut feed: kefu_store::chat::ChatFeed) {
    loop {
        let payload = match feed.recv().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "chat listener interrupted");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if hub.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        let Some(hub) = hub.upgrade() else { return };
        match serde_json::from_str::<Wire>(&payload) {
            Ok(w) if w.o != hub.origin => hub.deliver(w.s),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "unreadable chat notification"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_reach_only_their_key() {
        let hub = ChatHub::default();
        let mut a = hub.subscribe(&conversation_key("a"));
        let mut b = hub.subscribe(&conversation_key("b"));
        hub.deliver(Signal::Message {
            c: "a".into(),
            seq: 1,
        });
        assert_eq!(
            a.try_recv().ok(),
            Some(Signal::Message {
                c: "a".into(),
                seq: 1
            })
        );
        assert!(b.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_console_beat_is_not_heard_by_its_own_server() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hub.db").display());
        let db = Db::connect(&url).await.unwrap();
        let hub = ChatHub::default();
        let mut presence = hub.subscribe(PRESENCE_KEY);
        let mut chat = hub.subscribe(&conversation_key("c"));
        hub.publish(
            &db,
            vec![
                Signal::Console { a: "a".into() },
                Signal::Message {
                    c: "c".into(),
                    seq: 1,
                },
            ],
        )
        .await;
        assert!(
            presence.try_recv().is_err(),
            "own beats stay out of presence"
        );
        assert!(chat.try_recv().is_ok(), "other signals are delivered here");
    }

    #[test]
    fn wire_format_round_trips() {
        let w = Wire {
            o: "x".into(),
            s: Signal::Typing {
                c: "c1".into(),
                from: "agent".into(),
                on: true,
            },
        };
        let text = serde_json::to_string(&w).unwrap();
        let back: Wire = serde_json::from_str(&text).unwrap();
        assert_eq!(back.s, w.s);
    }
}
