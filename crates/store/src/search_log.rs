//! The search change log: which searchable entities changed, in commit order on SQLite
//! and in sequence order on PostgreSQL (where a sequence number can become visible after
//! a higher one; the reader in the search crate allows for that). Writers append in the
//! same transaction as the change itself, so the log never misses a committed write.

use crate::{to_millis, Arg, Db, Sql, StoreError};
use chrono::{DateTime, Utc};

/// What kind of record an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Ticket,
    Customer,
    Article,
}

impl Entity {
    pub fn code(self) -> &'static str {
        match self {
            Entity::Ticket => "ticket",
            Entity::Customer => "customer",
            Entity::Article => "article",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "ticket" => Some(Entity::Ticket),
            "customer" => Some(Entity::Customer),
            "article" => Some(Entity::Article),
            _ => None,
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub entity: Entity,
    pub entity_id: String,
    pub at: DateTime<Utc>,
}

/// Appends one entry per id, inside the caller's transaction.
pub async fn record_in(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    entity: Entity,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = to_millis(now);
    let changes: Vec<(&str, i64)> = ids.iter().map(|id| (id.as_str(), at)).collect();
    record_changes_in(conn, backend, entity, &changes).await
}

/// Appends one entry per `(id, at)` (milliseconds), inside the caller's transaction.
pub(crate) async fn record_changes_in(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    entity: Entity,
    changes: &[(&str, i64)],
) -> Result<(), StoreError> {
    for chunk in changes.chunks(300) {
        let mut sql = Sql::for_backend(
            backend,
            "INSERT INTO search_log (entity, entity_id, at) VALUES ",
        );
        for (i, (id, at)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_row([
                Arg::Text(entity.code().to_string()),
                Arg::Text(id.to_string()),
                Arg::Int(*at),
            ]);
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

impl Db {
    /// Entries with `seq > after`, oldest first, at most `limit`.
    pub async fn search_changes_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT seq, entity, entity_id, at FROM search_log WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().filter_map(change).collect())
    }

    /// The entries among `seqs` that exist now (gaps a reader is waiting for).
    pub async fn search_changes_in(&self, seqs: &[i64]) -> Result<Vec<Change>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(500) {
            let mut sql = Sql::for_backend(
                self.backend(),
                "SELECT seq, entity, entity_id, at FROM search_log WHERE seq IN (",
            );
            for (i, s) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_int(*s);
            }
            sql.push(") ORDER BY seq");
            let rows: Vec<(i64, String, String, i64)> =
                sql.query_as().fetch_all(&self.read).await?;
            out.extend(rows.into_iter().filter_map(change));
        }
        Ok(out)
    }

    /// The highest sequence number written so far (0 for an empty log): where a freshly
    /// rebuilt index starts following the log.
    pub async fn search_log_head(&self) -> Result<i64, StoreError> {
        let (head,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM search_log")
            .fetch_one(&self.read)
            .await?;
        Ok(head.unwrap_or(0))
    }

    /// Records changes outside any other write (e.g. after a bulk load that bypassed the
    /// log, so that running indexes pick the rows up).
    pub async fn record_search_changes(
        &self,
        entity: Entity,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        record_in(&mut tx, self.backend(), entity, ids, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn change((seq, entity, entity_id, at): (i64, String, String, i64)) -> Option<Change> {
    Some(Change {
        seq,
        entity: Entity::from_code(&entity)?,
        entity_id,
        at: crate::from_millis(at),
    })
}
