//! The append-only audit log. There is no update or delete here, and the database's
//! triggers refuse them too.

use crate::{from_millis, to_millis, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

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
    tx: &mut Tx<'_>,
    actor: &Actor,
    at: DateTime<Utc>,
    entry: &NewAuditEntry,
) -> Result<i64, StoreError> {
    let subject_ids = (!entry.subject_ids.is_empty()).then(|| entry.subject_ids.join(","));
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, subject_type, subject_ids, \
         detail, client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
    )
    .bind(to_millis(at))
    .bind(actor.user_id.as_deref())
    .bind(actor.name.as_str())
    .bind(entry.action.code())
    .bind(entry.subject_type)
    .bind(subject_ids)
    .bind(entry.detail.as_deref())
    .bind(actor.client_addr.as_deref())
    .fetch_one(&mut **tx)
    .await?;
    for id in &entry.subject_ids {
        sqlx::query("INSERT INTO audit_subjects (seq, subject_id) VALUES ($1, $2)")
            .bind(seq)
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(seq)
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
