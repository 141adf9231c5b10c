//! Telling the other kefu servers on one PostgreSQL database that a chat changed:
//! `pg_notify` on the `kefu_chat` channel, received through a `LISTEN` connection of
//! each server's own. A notification carries ids only; the receiver reads the rows. On
//! SQLite there is one server and nothing to tell.

use crate::{Backend, Db, StoreError};
use std::sync::Arc;

/// The channel every server listens on.
pub const CHANNEL: &str = "kefu_chat";

/// PostgreSQL's limit on a payload is 8000 bytes; ours are ids, far below it.
const MAX_PAYLOAD: usize = 7900;

/// The database URL a listener connects with; never printed (it may hold a password).
#[derive(Clone)]
pub struct ListenUrl(pub Arc<str>);

impl std::fmt::Debug for ListenUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::backend::redact_url(&self.0))
    }
}

/// A server's `LISTEN` connection. It reconnects by itself after a dropped connection
/// (what was sent meanwhile is lost; clients catch up by sequence number).
pub struct ChatFeed(sqlx::postgres::PgListener);

impl ChatFeed {
    /// The next payload.
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let n = self.0.recv().await?;
        Ok(n.payload().to_string())
    }
}

impl Db {
    /// Sends `payload` to every listening server (PostgreSQL; a no-op on SQLite).
    pub async fn notify_chat(&self, payload: &str) -> Result<(), StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::Refused("chat notification too large".into()));
        }
        // Wrapped so the row has an integer column (the `Any` driver cannot read `void`).
        sqlx::query("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS n")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// A listener for other servers' notifications; `None` on SQLite.
    pub async fn chat_feed(&self) -> Result<Option<ChatFeed>, StoreError> {
        let Some(url) = &self.listen_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(&url.0).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(ChatFeed(listener)))
    }
}
