//! One connection's inbox: the signals of a changing set of hub keys (an agent gains and
//! loses chats) merged into one queue. Each key is forwarded by a small task, aborted
//! when the key is dropped or the inbox goes away.

use super::hub::{ChatHub, Signal};
use std::collections::HashMap;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// What the inbox yields: a signal, or word that signals were missed (the connection
/// then rereads its state instead of trusting what it has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Signal(Signal),
    Missed,
}

pub struct Inbox {
    tx: mpsc::Sender<Delivery>,
    rx: mpsc::Receiver<Delivery>,
    subs: HashMap<String, JoinHandle<()>>,
}

impl Default for Inbox {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(256);
        Inbox {
            tx,
            rx,
            subs: HashMap::new(),
        }
    }
}

impl Inbox {
    /// Starts receiving `key`'s signals (no-op when already subscribed).
    pub fn add(&mut self, hub: &ChatHub, key: String) {
        if self.subs.contains_key(&key) {
            return;
        }
        let mut rx = hub.subscribe(&key);
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            loop {
                let d = match rx.recv().await {
                    Ok(s) => Delivery::Signal(s),
                    Err(broadcast::error::RecvError::Lagged(_)) => Delivery::Missed,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if tx.send(d).await.is_err() {
                    return;
                }
            }
        });
        self.subs.insert(key, task);
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(task) = self.subs.remove(key) {
            task.abort();
        }
    }

    /// Keeps exactly `keys` (plus nothing else).
    pub fn retain(&mut self, hub: &ChatHub, keys: &[String]) {
        let gone: Vec<String> = self
            .subs
            .keys()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect();
        for k in gone {
            self.remove(&k);
        }
        for k in keys {
            self.add(hub, k.clone());
        }
    }

    pub async fn recv(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// The next delivery if one is already waiting.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        for (_, task) in self.subs.drain() {
            task.abort();
        }
    }
}
