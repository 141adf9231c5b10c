//! Writing many customers at once: multi-row inserts shared by single creates and bulk
//! imports, and [`CustomerBatch`], the all-or-nothing bulk write of an import.

use super::bulk::DroppedIndexes;
use super::writer::BatchWriter;
use super::{reversed, ContactInput, CustomerInput};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::search_log::Entity;
use crate::{new_id, to_millis, Sql, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// An open bulk write: rows are inserted in multi-row statements inside one transaction
/// that commits only in [`CustomerBatch::commit`]. Dropping it rolls everything back.
///
/// A large batch on SQLite (see [`super::bulk`]) runs without the contact indexes keyed
/// by the number and rebuilds them in `commit`. On SQLite the batch also writes without
/// foreign-key enforcement (see [`crate::unchecked`]): contacts and tags refer to
/// customers the batch itself wrote, and the tiers and owners the rows name are checked
/// once, at commit, instead of once per row.
///
/// The statements run on a task of their own (see [`super::writer`]): `insert` returns
/// once they are queued, and an error in them is reported by a later call.
pub struct CustomerBatch {
    pub(super) writer: BatchWriter,
    pub(super) backend: crate::Backend,
    /// The read pool: committed customers, for [`CustomerBatch::taken_mobiles`] while the
    /// batch's own connection has no mobile index.
    pub(super) read: sqlx::AnyPool,
    /// Set in bulk-load mode: the indexes to rebuild before committing.
    pub(super) dropped: Option<DroppedIndexes>,
    pub(super) written: u64,
    /// True when the database does not check parent rows: the batch does, at commit.
    pub(super) unchecked: bool,
    /// The tiers and owners the written rows name, for the parent check at commit.
    pub(super) tiers: HashSet<String>,
    pub(super) owners: HashSet<String>,
    /// The smallest and largest id written, for the search log at commit.
    pub(super) ids: Option<(String, String)>,
}

impl CustomerBatch {
    /// Mobile numbers among `values` that are already taken: by committed customers, and
    /// — except in bulk-load mode — by rows written earlier in this batch. In bulk-load
    /// mode the re-created unique index checks the batch's own rows at commit, failing
    /// the whole batch on a duplicate; callers that want a per-row answer (the import)
    /// keep track of the numbers they have written.
    pub async fn taken_mobiles(
        &mut self,
        values: &[String],
    ) -> Result<HashMap<String, (String, String)>, StoreError> {
        if self.dropped.is_some() {
            // This batch holds the only writer, so the readers' latest snapshot is the
            // state the batch started from, with its indexes.
            let mut conn = self.read.acquire().await?;
            return existing_mobiles_in(&mut conn, self.backend, values).await;
        }
        self.writer.mobiles(values.to_vec()).await
    }

    /// True when the batch runs in SQLite's bulk-load mode (indexes rebuilt at commit).
    pub fn is_bulk_load(&self) -> bool {
        self.dropped.is_some()
    }

    pub async fn insert(
        &mut self,
        created_by: Option<&str>,
        now: DateTime<Utc>,
        rows: &[CustomerInput],
    ) -> Result<(), StoreError> {
        if self.unchecked {
            for r in rows {
                if !self.tiers.contains(&r.tier) {
                    self.tiers.insert(r.tier.clone());
                }
                if let Some(owner) = r.owner_id.as_ref().filter(|o| !self.owners.contains(*o)) {
                    self.owners.insert(owner.clone());
                }
            }
        }
        let with_ids: Vec<(String, &CustomerInput)> = rows.iter().map(|r| (new_id(), r)).collect();
        for chunk in with_ids.chunks(200) {
            let statements = customer_statements(self.backend, chunk, created_by, now);
            self.writer.write(statements).await?;
        }
        for (id, _) in &with_ids {
            match &mut self.ids {
                None => self.ids = Some((id.clone(), id.clone())),
                Some((low, high)) => {
                    if id < low {
                        low.clone_from(id);
                    }
                    if id > high {
                        high.clone_from(id);
                    }
                }
            }
        }
        self.written += rows.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits every row with one audit entry for the whole import. In bulk-load mode the
    /// indexes are rebuilt first; a mobile number written twice fails here with
    /// [`StoreError::Conflict`] and nothing is committed.
    pub async fn commit(
        mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        entry: &NewAuditEntry,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.finish().await?;
        if let Some(dropped) = self.dropped.take() {
            dropped.rebuild_in(tx.conn()).await?;
        }
        if tx.is_unchecked() {
            let tiers: Vec<String> = self.tiers.drain().collect();
            check_parents(tx.conn(), self.backend, "customer_tiers", "code", &tiers).await?;
            let owners: Vec<String> = self.owners.drain().collect();
            check_parents(tx.conn(), self.backend, "users", "id", &owners).await?;
        }
        if let Some((low, high)) = &self.ids {
            // One statement logs every written customer for the search index, instead of
            // the ids going to the database a second time, a few hundred per statement.
            // Ids are generated as the batch goes, so the range holds the batch's rows and
            // at most a few others created meanwhile; logging those again is harmless.
            let mut sql = Sql::for_backend(
                self.backend,
                "INSERT INTO search_log (entity, entity_id, at) SELECT ",
            );
            sql.bind_text(Entity::Customer.code())
                .push(", id, ")
                .bind_int(to_millis(now))
                .push(" FROM customers WHERE id >= ")
                .bind_text(low.as_str())
                .push(" AND id <= ")
                .bind_text(high.as_str())
                .push(" ORDER BY id");
            sql.query().execute(tx.conn()).await?;
        }
        append_in(tx.conn(), actor, now, entry).await?;
        tx.commit().await?;
        Ok(self.written)
    }
}

/// The foreign-key check of an unchecked batch, done once for the distinct values: fails
/// with [`StoreError::Refused`], as the database's own check would, when a value names no
/// row of `table`.
async fn check_parents(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    table: &str,
    key: &str,
    values: &[String],
) -> Result<(), StoreError> {
    for chunk in values.chunks(500) {
        let mut sql = Sql::for_backend(
            backend,
            &format!("SELECT {key} FROM {table} WHERE {key} IN ("),
        );
        crate::tickets::bind_list(&mut sql, chunk);
        sql.push(")");
        let found: HashSet<String> = sql
            .query_as::<(String,)>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(v,)| v)
            .collect();
        if let Some(gone) = chunk.iter().find(|v| !found.contains(*v)) {
            return Err(StoreError::Refused(format!(
                "FOREIGN KEY constraint failed: no {table}.{key} = {gone}"
            )));
        }
    }
    Ok(())
}

pub(super) async fn existing_mobiles_in(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    values: &[String],
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let mut found = HashMap::new();
    for chunk in values.chunks(500) {
        let mut sql = Sql::for_backend(
            backend,
            "SELECT cc.value, c.id, c.name FROM customer_contacts cc \
             JOIN customers c ON c.id = cc.customer_id WHERE cc.kind = 'mobile' AND cc.value IN (",
        );
        crate::tickets::bind_list(&mut sql, chunk);
        sql.push(")");
        let rows: Vec<(String, String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        for (value, id, name) in rows {
            found.insert(value, (id, name));
        }
    }
    Ok(found)
}

/// Inserts customers with their contacts and tags using multi-row statements.
pub(super) async fn insert_customer_rows(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    rows: &[(String, &CustomerInput)],
    created_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for sql in customer_statements(backend, rows, created_by, now) {
        sql.query().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts the contacts and tags of customers that exist.
pub(super) async fn insert_children(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    rows: &[(String, &CustomerInput)],
) -> Result<(), StoreError> {
    for sql in children_statements(backend, rows) {
        sql.query().execute(&mut *tx).await?;
    }
    Ok(())
}

/// The multi-row statements that write `rows` with their contacts and tags.
fn customer_statements(
    backend: crate::Backend,
    rows: &[(String, &CustomerInput)],
    created_by: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Sql> {
    if rows.is_empty() {
        return Vec::new();
    }
    let now = to_millis(now);
    let mut sql = Sql::for_backend(
        backend,
        "INSERT INTO customers (id, name, company, gender, tier, status, owner_id, id_number, \
         address, notes, created_by, created_at, updated_at) VALUES ",
    );
    for (i, (id, c)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind_text(id.clone()).push(", ");
        sql.bind_text(c.name.clone()).push(", ");
        sql.bind(opt(&c.company)).push(", ");
        sql.bind_text(c.gender.code()).push(", ");
        sql.bind_text(c.tier.clone()).push(", ");
        sql.bind_text(c.status.code()).push(", ");
        sql.bind(opt(&c.owner_id)).push(", ");
        sql.bind(opt(&c.id_number)).push(", ");
        sql.bind(opt(&c.address)).push(", ");
        sql.bind(opt(&c.notes)).push(", ");
        sql.bind(opt(&created_by.map(str::to_string))).push(", ");
        sql.bind_int(now).push(", ");
        sql.bind_int(now).push(")");
    }
    let mut statements = vec![sql];
    statements.extend(children_statements(backend, rows));
    statements
}

fn children_statements(backend: crate::Backend, rows: &[(String, &CustomerInput)]) -> Vec<Sql> {
    let mut statements = Vec::new();
    let contacts: Vec<(&str, usize, &ContactInput)> = rows
        .iter()
        .flat_map(|(id, c)| {
            c.contacts
                .iter()
                .enumerate()
                .map(move |(i, ct)| (id.as_str(), i, ct))
        })
        .collect();
    for chunk in contacts.chunks(300) {
        let mut sql = Sql::for_backend(
            backend,
            "INSERT INTO customer_contacts (id, customer_id, kind, value, value_rev, label, position) VALUES ",
        );
        for (i, (customer_id, pos, ct)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_text(new_id()).push(", ");
            sql.bind_text(*customer_id).push(", ");
            sql.bind_text(ct.kind.code()).push(", ");
            sql.bind_text(ct.value.clone()).push(", ");
            sql.bind_text(reversed(&ct.value)).push(", ");
            sql.bind(opt(&ct.label)).push(", ");
            sql.bind_int(*pos as i64).push(")");
        }
        statements.push(sql);
    }
    let tags: Vec<(&str, &str)> = rows
        .iter()
        .flat_map(|(id, c)| {
            let mut seen = HashSet::new();
            c.tags
                .iter()
                .filter(move |t| seen.insert(t.as_str()))
                .map(move |t| (id.as_str(), t.as_str()))
        })
        .collect();
    for chunk in tags.chunks(500) {
        let mut sql = Sql::for_backend(
            backend,
            "INSERT INTO customer_tags (customer_id, tag) VALUES ",
        );
        for (i, (customer_id, tag)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_text(*customer_id).push(", ");
            sql.bind_text(*tag).push(")");
        }
        statements.push(sql);
    }
    statements
}

fn opt(v: &Option<String>) -> crate::Arg {
    match v {
        Some(s) => crate::Arg::Text(s.clone()),
        None => crate::Arg::Null,
    }
}
