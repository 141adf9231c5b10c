//! Writing many customers at once: multi-row inserts shared by single creates and bulk
//! imports, and [`CustomerBatch`], the all-or-nothing bulk write of an import.

use super::{reversed, ContactInput, CustomerInput};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// An open bulk write: rows are inserted in multi-row statements inside one transaction
/// that commits only in [`CustomerBatch::commit`]. Dropping it rolls everything back.
pub struct CustomerBatch<'a> {
    pub(super) tx: Tx<'a>,
    pub(super) backend: crate::Backend,
    pub(super) written: u64,
}

impl CustomerBatch<'_> {
    /// Mobile numbers among `values` that are already taken (by committed customers or by
    /// rows written earlier in this batch).
    pub async fn taken_mobiles(
        &mut self,
        values: &[String],
    ) -> Result<HashMap<String, (String, String)>, StoreError> {
        existing_mobiles_in(&mut self.tx, self.backend, values).await
    }

    pub async fn insert(
        &mut self,
        created_by: Option<&str>,
        now: DateTime<Utc>,
        rows: &[CustomerInput],
    ) -> Result<(), StoreError> {
        let with_ids: Vec<(String, &CustomerInput)> = rows.iter().map(|r| (new_id(), r)).collect();
        for chunk in with_ids.chunks(200) {
            insert_customer_rows(&mut self.tx, self.backend, chunk, created_by, now).await?;
        }
        let ids: Vec<String> = with_ids.into_iter().map(|(id, _)| id).collect();
        search_log::record_in(&mut self.tx, self.backend, Entity::Customer, &ids, now).await?;
        self.written += rows.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Commits every row with one audit entry for the whole import.
    pub async fn commit(
        mut self,
        actor: &Actor,
        now: DateTime<Utc>,
        entry: &NewAuditEntry,
    ) -> Result<u64, StoreError> {
        append_in(&mut self.tx, actor, now, entry).await?;
        self.tx.commit().await?;
        Ok(self.written)
    }
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
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(v.clone());
        }
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
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    rows: &[(String, &CustomerInput)],
    created_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
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
    sql.query().execute(&mut **tx).await?;
    insert_children(tx, backend, rows).await
}

pub(super) async fn insert_children(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    rows: &[(String, &CustomerInput)],
) -> Result<(), StoreError> {
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
        sql.query().execute(&mut **tx).await?;
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
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

fn opt(v: &Option<String>) -> crate::Arg {
    match v {
        Some(s) => crate::Arg::Text(s.clone()),
        None => crate::Arg::Null,
    }
}
