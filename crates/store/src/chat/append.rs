//! Appending messages. A visitor writes to their own chat while it is open; an agent
//! only to an active chat they hold; a resend with the same `client_id` returns the
//! stored message instead of a second copy. On SQLite every conversation's appends
//! queue for the single writer and commit together (see `group_commit`): a batch takes
//! each message's number with one conditional update and stores all of them with one
//! insert. PostgreSQL writes each message in a transaction of its own.

use super::conversations::{mirror_message, MessageRow, MESSAGE_SELECT};
use super::ChatError;
use crate::audit::Actor;
use crate::{new_id, to_millis, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::chat::{ChatState, Sender};
use std::collections::HashMap;

/// Where messages wait for SQLite's writer.
pub(crate) type AppendQueue =
    crate::group_commit::GroupCommit<NewMessage, Result<MessageRow, ChatError>>;

/// The most messages one group-committed transaction takes (8 bound values each in the
/// batch's insert).
pub(crate) const APPEND_BATCH: usize = 64;

/// One message to append.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    at: DateTime<Utc>,
    conversation_id: String,
    sender: Sender,
    author: Option<Actor>,
    body: String,
    client_id: Option<String>,
}

/// What taking a message's number tells about its conversation.
#[derive(sqlx::FromRow)]
struct Numbered {
    last_seq: i64,
    customer_id: Option<String>,
    ticket_id: Option<String>,
}

impl Db {
    /// Appends a message (see the module documentation for who may write where).
    #[tracing::instrument(skip_all)]
    pub async fn append_chat_message(
        &self,
        now: DateTime<Utc>,
        conversation_id: &str,
        sender: Sender,
        author: Option<&Actor>,
        body: &str,
        client_id: Option<&str>,
    ) -> Result<MessageRow, ChatError> {
        let item = NewMessage {
            at: now,
            conversation_id: conversation_id.to_string(),
            sender,
            author: author.cloned(),
            body: body.to_string(),
            client_id: client_id.map(str::to_string),
        };
        match &self.chat_queue {
            Some(queue) => match queue.submit(item).await {
                Ok(done) => done,
                Err(Some(item)) => self.append_chat_messages(&[item]).await.remove(0),
                Err(None) => Err(StoreError::Database(sqlx::Error::WorkerCrashed).into()),
            },
            None => self.append_chat_messages(&[item]).await.remove(0),
        }
    }

    /// Appends the messages in one transaction; one result each, in order. A message
    /// refused for its conversation's state fails alone inside the batch; when the
    /// database refuses the batch, each message is written again on its own.
    pub(crate) async fn append_chat_messages(
        &self,
        items: &[NewMessage],
    ) -> Vec<Result<MessageRow, ChatError>> {
        match self.write_messages(items).await {
            Ok(done) => done,
            Err(e) if items.len() > 1 => {
                tracing::debug!(error = %e, n = items.len(), "chat batch refused; writing one by one");
                let mut done = Vec::with_capacity(items.len());
                for item in items {
                    done.push(self.append_one(item).await);
                }
                done
            }
            Err(_) => vec![self.append_one(&items[0]).await],
        }
    }

    async fn append_one(&self, item: &NewMessage) -> Result<MessageRow, ChatError> {
        match self.write_messages(std::slice::from_ref(item)).await {
            Ok(mut done) => done.remove(0),
            // The same message raced in on another connection (another server): the
            // first copy stands.
            Err(StoreError::Conflict { .. }) if item.client_id.is_some() => {
                let key = (
                    item.conversation_id.clone(),
                    item.client_id.clone().unwrap_or_default(),
                );
                let mut conn = self.write.acquire().await.map_err(StoreError::from)?;
                let mut found =
                    resent_in(&mut conn, self.backend(), std::slice::from_ref(item)).await?;
                found
                    .remove(&key)
                    .ok_or(ChatError::Store(StoreError::NotFound))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn write_messages(
        &self,
        items: &[NewMessage],
    ) -> Result<Vec<Result<MessageRow, ChatError>>, StoreError> {
        let mut tx = self.write.begin().await?;
        let resent = resent_in(&mut tx, self.backend(), items).await?;
        let mut done = Vec::with_capacity(items.len());
        // Messages stored by this batch under their client ids, for a resend within it.
        let mut stored: HashMap<(String, String), MessageRow> = HashMap::new();
        let mut new_rows = Vec::new();
        for item in items {
            let key = item
                .client_id
                .as_ref()
                .map(|cid| (item.conversation_id.clone(), cid.clone()));
            if let Some(m) = key.as_ref().and_then(|k| resent.get(k).or(stored.get(k))) {
                done.push(Ok(m.clone()));
                continue;
            }
            let numbered = match take_number(&mut tx, item).await? {
                Ok(n) => n,
                Err(refused) => {
                    done.push(Err(refused));
                    continue;
                }
            };
            let visitor = Actor {
                user_id: None,
                name: "visitor".into(),
                client_addr: None,
            };
            let who = item.author.as_ref().unwrap_or(&visitor);
            mirror_message(
                &mut tx,
                &numbered.ticket_id,
                &numbered.customer_id,
                who,
                item.at,
                &item.conversation_id,
                numbered.last_seq,
                item.sender,
                &item.body,
            )
            .await?;
            let row = MessageRow {
                conversation_id: item.conversation_id.clone(),
                seq: numbered.last_seq,
                sender: item.sender.code().to_string(),
                author_id: item.author.as_ref().and_then(|a| a.user_id.clone()),
                author_name: item.author.as_ref().map(|a| a.name.clone()),
                body: item.body.clone(),
                client_id: item.client_id.clone(),
                at: to_millis(item.at),
            };
            new_rows.push(row.clone());
            if let Some(k) = key {
                stored.insert(k, row.clone());
            }
            done.push(Ok(row));
        }
        insert_rows(&mut tx, self.backend(), &new_rows).await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// The messages among `items` already stored under their client ids, by (conversation,
/// client id): one query for the whole batch.
async fn resent_in(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    items: &[NewMessage],
) -> Result<HashMap<(String, String), MessageRow>, StoreError> {
    let mut sql = Sql::for_backend(backend, MESSAGE_SELECT);
    sql.push(" WHERE ");
    let mut any = false;
    for item in items {
        let Some(cid) = &item.client_id else { continue };
        sql.push(if any { " OR (" } else { "(" });
        sql.push("m.conversation_id = ")
            .bind_text(item.conversation_id.clone())
            .push(" AND m.client_id = ")
            .bind_text(cid.clone())
            .push(")");
        any = true;
    }
    if !any {
        return Ok(HashMap::new());
    }
    let rows: Vec<MessageRow> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            (
                (
                    m.conversation_id.clone(),
                    m.client_id.clone().unwrap_or_default(),
                ),
                m,
            )
        })
        .collect())
}

/// Takes the conversation's next number if `item`'s sender may write there now (one
/// conditional update, which on PostgreSQL also locks the row); otherwise says why not.
async fn take_number(
    tx: &mut Tx<'_>,
    item: &NewMessage,
) -> Result<Result<Numbered, ChatError>, StoreError> {
    let author_id = item.author.as_ref().and_then(|a| a.user_id.as_deref());
    let numbered: Option<Numbered> = if item.sender == Sender::Agent {
        sqlx::query_as(
            "UPDATE chat_conversations SET last_seq = last_seq + 1 \
             WHERE id = $1 AND state = 'active' AND agent_id = $2 \
             RETURNING last_seq, customer_id, ticket_id",
        )
        .bind(&item.conversation_id)
        .bind(author_id)
        .fetch_optional(&mut **tx)
        .await?
    } else {
        sqlx::query_as(
            "UPDATE chat_conversations SET last_seq = last_seq + 1 \
             WHERE id = $1 AND state <> 'closed' RETURNING last_seq, customer_id, ticket_id",
        )
        .bind(&item.conversation_id)
        .fetch_optional(&mut **tx)
        .await?
    };
    if let Some(n) = numbered {
        return Ok(Ok(n));
    }
    // Refused: say why.
    let facts: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT state, agent_id FROM chat_conversations WHERE id = $1")
            .bind(&item.conversation_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(Err(match facts {
        None => ChatError::Store(StoreError::NotFound),
        Some((state, _)) if state == ChatState::Closed.code() => ChatError::Closed,
        Some((state, _)) if state != ChatState::Active.code() => ChatError::NotActive,
        Some(_) => ChatError::NotYours,
    }))
}

/// Stores the batch's messages with one multi-row insert.
async fn insert_rows(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    rows: &[MessageRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::for_backend(
        backend,
        "INSERT INTO chat_messages (id, conversation_id, seq, sender, author_id, body, \
         client_id, at) VALUES ",
    );
    for (i, m) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_row([
            crate::Arg::Text(new_id()),
            crate::Arg::Text(m.conversation_id.clone()),
            crate::Arg::Int(m.seq),
            crate::Arg::Text(m.sender.clone()),
            opt(&m.author_id),
            crate::Arg::Text(m.body.clone()),
            opt(&m.client_id),
            crate::Arg::Int(m.at),
        ]);
    }
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

fn opt(v: &Option<String>) -> crate::Arg {
    match v {
        Some(s) => crate::Arg::Text(s.clone()),
        None => crate::Arg::Null,
    }
}
