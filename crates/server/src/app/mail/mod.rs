//! E-mail in the server: turning raw messages into tickets and replies ([`ingest`]),
//! the mailbox settings ([`mailboxes`]), the held-for-review and unreadable lists
//! ([`review`]) and one message as staff read it ([`view`]).

pub mod imap;
pub mod ingest;
pub mod mailboxes;
pub mod outbox;
pub mod review;
pub mod sms;
pub mod smtp;
pub mod trust;
pub mod view;

use crate::error::AppError;
use crate::state::{AppState, Secret};

/// The key that signs reply tokens: read from the database once (made there by the
/// first server that needed it), then kept in memory. Never logged.
pub async fn token_secret(state: &AppState) -> Result<Secret, AppError> {
    let secret = state
        .mail_secret()
        .get_or_try_init(|| async {
            let candidate = hex::encode(rand::random::<[u8; 32]>());
            state
                .db()
                .mail_token_secret(&candidate, state.clock().now())
                .await
                .map(Secret)
        })
        .await?;
    Ok(secret.clone())
}
