//! The append-only audit log. There is no update or delete here, and the database's
//! triggers refuse them too.

use crate::{from_millis, to_millis, Arg, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use std::collections::HashMap;

/// Who did something, from where. Every audit entry and every write carries one.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub name: String,
    pub client_addr: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub action: AuditAction,
    pub subject_type: Option<&'static str>,
    /// The records the action touched (a handful; a large export records its filter in
    /// `detail` instead of a million ids).
    pub subject_ids: Vec<String>,
    pub detail: Option<String>,
}

impl NewAuditEntry {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            subject_type: None,
            subject_ids: Vec::new(),
            detail: None,
        }
    }

    pub fn subject(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.subject_type = Some(kind);
        self.subject_ids.push(id.into());
        self
    }

    pub fn subjects(mut self, kind: &'static str, ids: impl IntoIterator<Item = String>) -> Self {
        self.subject_type = Some(kind);
        self.subject_ids.extend(ids);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_ids: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

impl AuditRow {
    pub fn at(&self) -> DateTime<Utc> {
        from_millis(self.at)
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub subject_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only personal-data access (views, reveals, exports).
    pub personal_data_only: bool,
}

/// Appends an entry inside the caller's transaction, so the audit and the change it
/// records commit together.
pub async fn append_in(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    at: DateTime<Utc>,
    entry: &NewAuditEntry,
) -> Result<i64, StoreError> {
    let seqs = insert_entries(tx, Sql::new(INSERT_ENTRIES), &[(actor, at, entry)]).await?;
    seqs.into_iter().next().ok_or(StoreError::NotFound)
}

/// Appends several entries in one statement (and their subjects in one more); returns
/// their sequence numbers in no particular order.
pub(crate) async fn append_many_in(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    entries: &[(&Actor, DateTime<Utc>, &NewAuditEntry)],
) -> Result<Vec<i64>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    insert_entries(tx, Sql::for_backend(backend, INSERT_ENTRIES), entries).await
}

const INSERT_ENTRIES: &str = "INSERT INTO audit_log (at, actor_id, actor_name, action, \
     subject_type, subject_ids, detail, client_addr) VALUES ";

async fn insert_entries(
    tx: &mut sqlx::AnyConnection,
    mut sql: Sql,
    entries: &[(&Actor, DateTime<Utc>, &NewAuditEntry)],
) -> Result<Vec<i64>, StoreError> {
    let text = |s: Option<&str>| s.map_or(Arg::Null, |s| Arg::Text(s.to_string()));
    let mut subjects: HashMap<String, &[String]> = HashMap::new();
    for (i, (actor, at, entry)) in entries.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let subject_ids = (!entry.subject_ids.is_empty()).then(|| entry.subject_ids.join(","));
        if let Some(joined) = &subject_ids {
            subjects.insert(joined.clone(), &entry.subject_ids);
        }
        sql.push_row([
            Arg::Int(to_millis(*at)),
            text(actor.user_id.as_deref()),
            Arg::Text(actor.name.clone()),
            Arg::Text(entry.action.code().to_string()),
            text(entry.subject_type),
            text(subject_ids.as_deref()),
            text(entry.detail.as_deref()),
            text(actor.client_addr.as_deref()),
        ]);
    }
    sql.push(" RETURNING seq, subject_ids");
    let rows: Vec<(i64, Option<String>)> = sql.query_as().fetch_all(&mut *tx).await?;
    // The rows come back in no promised order: each names its subjects by the joined
    // list, which maps back to the entry's ids (entries with the same list share them).
    let mut pairs: Vec<(i64, &str)> = Vec::new();
    for (seq, joined) in &rows {
        if let Some(ids) = joined.as_ref().and_then(|j| subjects.get(j)) {
            pairs.extend(ids.iter().map(|id| (*seq, id.as_str())));
        }
    }
    for chunk in pairs.chunks(500) {
        let mut subjects = sql.like("INSERT INTO audit_subjects (seq, subject_id) VALUES ");
        for (i, (seq, id)) in chunk.iter().enumerate() {
            if i > 0 {
                subjects.push(", ");
            }
            subjects.push_row([Arg::Int(*seq), Arg::Text(id.to_string())]);
        }
        subjects.query().execute(&mut *tx).await?;
    }
    Ok(rows.into_iter().map(|(seq, _)| seq).collect())
}

impl Db {
    /// Appends one audit entry in its own transaction.
    #[tracing::instrument(skip_all, fields(action = entry.action.code()))]
    pub async fn append_audit(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        entry: &NewAuditEntry,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        let seq = append_in(&mut tx, actor, at, entry).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Newest first; `before_seq` is the cursor.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Page<AuditRow>, StoreError> {
        let mut sql = Sql::new(
            "SELECT a.seq, a.at, a.actor_id, a.actor_name, a.action, a.subject_type, \
             a.subject_ids, a.detail, a.client_addr FROM audit_log a WHERE 1 = 1",
        );
        if let Some(actor) = &filter.actor_id {
            sql.push(" AND a.actor_id = ").bind_text(actor);
        }
        if let Some(action) = &filter.action {
            sql.push(" AND a.action = ").bind_text(action);
        }
        if let Some(subject) = &filter.subject_id {
            sql.push(" AND a.seq IN (SELECT s.seq FROM audit_subjects s WHERE s.subject_id = ")
                .bind_text(subject)
                .push(")");
        }
        if let Some(from) = filter.from {
            sql.push(" AND a.at >= ").bind_int(to_millis(from));
        }
        if let Some(to) = filter.to {
            sql.push(" AND a.at < ").bind_int(to_millis(to));
        }
        if filter.personal_data_only {
            let codes: Vec<&str> = AuditAction::ALL
                .iter()
                .filter(|a| a.is_personal_data_access())
                .map(|a| a.code())
                .collect();
            sql.push(" AND a.action IN (");
            for (i, c) in codes.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(*c);
            }
            sql.push(")");
        }
        if let Some(seq) = before_seq {
            sql.push(" AND a.seq < ").bind_int(seq);
        }
        sql.push(" ORDER BY a.seq DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<AuditRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| r.seq.to_string()))
    }
}
