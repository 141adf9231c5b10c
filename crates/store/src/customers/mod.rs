//! Customer records: the customer itself, its contacts, tags and timeline.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::search_log::{self, Entity};
use crate::{
    from_millis, like_escape, new_id, prefix_upper_bound, to_millis, Db, Page, Sql, StoreError, Tx,
};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::customer::{ContactKind, CustomerStatus, Gender};
use kefu_domain::PhoneNumber;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInput {
    pub kind: ContactKind,
    /// Already normalized by [`kefu_domain::customer::ContactValue::parse`].
    pub value: String,
    pub label: Option<String>,
}

/// A validated customer, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInput {
    pub name: String,
    pub company: Option<String>,
    pub gender: Gender,
    pub tier: String,
    pub status: CustomerStatus,
    pub owner_id: Option<String>,
    pub id_number: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub contacts: Vec<ContactInput>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: String,
    pub customer_id: String,
    pub kind: String,
    pub value: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerCore {
    pub id: String,
    pub name: String,
    pub company: Option<String>,
    pub gender: String,
    pub tier: String,
    pub status: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub id_number: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A whole customer record.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub core: CustomerCore,
    pub contacts: Vec<ContactRow>,
    pub tags: Vec<String>,
}

/// One line of the customer list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerSummaryRow {
    pub id: String,
    pub name: String,
    pub company: Option<String>,
    pub tier: String,
    pub status: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub primary_phone: Option<String>,
    pub created_at: i64,
    #[sqlx(skip)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerEventRow {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub summary: String,
    pub detail: Option<String>,
}

impl CustomerEventRow {
    pub fn at(&self) -> DateTime<Utc> {
        from_millis(self.at)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub tier: Option<String>,
    pub status: Option<String>,
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    /// A name, company, full phone number or the last digits of one.
    pub q: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TierRow {
    pub code: String,
    pub name: String,
    pub sort_order: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CustomerWriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the mobile number {phone} already belongs to customer {customer_name} ({customer_id})"
    )]
    DuplicatePhone {
        phone: String,
        customer_id: String,
        customer_name: String,
    },
    #[error("unknown tier {0}")]
    UnknownTier(String),
    #[error("unknown owner {0}")]
    UnknownOwner(String),
}

impl From<sqlx::Error> for CustomerWriteError {
    fn from(e: sqlx::Error) -> Self {
        CustomerWriteError::Store(e.into())
    }
}

const CORE_SELECT: &str = "SELECT c.id, c.name, c.company, c.gender, c.tier, c.status, \
    c.owner_id, u.display_name AS owner_name, c.id_number, c.address, c.notes, c.created_at, \
    c.updated_at FROM customers c LEFT JOIN users u ON u.id = c.owner_id";

const SUMMARY_SELECT: &str = "SELECT c.id, c.name, c.company, c.tier, c.status, c.owner_id, \
    u.display_name AS owner_name, \
    (SELECT cc.value FROM customer_contacts cc WHERE cc.customer_id = c.id \
     AND cc.kind IN ('mobile', 'landline') ORDER BY cc.position LIMIT 1) AS primary_phone, \
    c.created_at FROM customers c LEFT JOIN users u ON u.id = c.owner_id";

/// Reverses a contact value so that "ends with" becomes an indexed prefix range.
pub(crate) fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

mod batch;
mod bulk;
mod writer;

pub use batch::CustomerBatch;
use batch::{existing_mobiles_in, insert_children, insert_customer_rows};
pub use bulk::BULK_ROWS;

impl Db {
    pub async fn list_tiers(&self) -> Result<Vec<TierRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT code, name, sort_order FROM customer_tiers ORDER BY sort_order")
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// Adds a tier or renames an existing one (codes are what customers reference).
    pub async fn save_tier(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        tier: &TierRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO customer_tiers (code, name, sort_order) VALUES ($1, $2, $3) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, sort_order = excluded.sort_order",
        )
        .bind(&tier.code)
        .bind(&tier.name)
        .bind(tier.sort_order)
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::TierSaved)
            .subject("tier", tier.code.clone())
            .detail(tier.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_customer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &CustomerInput,
    ) -> Result<String, CustomerWriteError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        check_references(&mut tx, input).await?;
        check_mobiles_free(&mut tx, self.backend(), None, &input.contacts).await?;
        insert_customer_rows(
            &mut tx,
            self.backend(),
            &[(id.clone(), input)],
            actor.user_id.as_deref(),
            now,
        )
        .await?;
        append_event(&mut tx, &id, actor, now, "created", "created", None).await?;
        search_log::record_in(
            &mut tx,
            self.backend(),
            Entity::Customer,
            std::slice::from_ref(&id),
            now,
        )
        .await?;
        let entry =
            NewAuditEntry::new(AuditAction::CustomerCreated).subject("customer", id.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces the customer's fields, contacts and tags; the timeline records which
    /// fields changed.
    #[tracing::instrument(skip_all)]
    pub async fn update_customer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &CustomerInput,
    ) -> Result<(), CustomerWriteError> {
        let mut tx = self.write.begin().await?;
        let before = fetch_customer(&mut tx, id).await?;
        let before_contacts: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT kind, value, label FROM customer_contacts WHERE customer_id = $1 \
             ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let before_tags: Vec<(String,)> =
            sqlx::query_as("SELECT tag FROM customer_tags WHERE customer_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        check_references(&mut tx, input).await?;
        check_mobiles_free(&mut tx, self.backend(), Some(id), &input.contacts).await?;
        sqlx::query(
            "UPDATE customers SET name = $1, company = $2, gender = $3, tier = $4, status = $5, \
             owner_id = $6, id_number = $7, address = $8, notes = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(&input.name)
        .bind(input.company.as_deref())
        .bind(input.gender.code())
        .bind(&input.tier)
        .bind(input.status.code())
        .bind(input.owner_id.as_deref())
        .bind(input.id_number.as_deref())
        .bind(input.address.as_deref())
        .bind(input.notes.as_deref())
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM customer_contacts WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_children(&mut tx, self.backend(), &[(id.to_string(), input)]).await?;
        let mut changed = changed_fields(&before, input);
        let after_contacts: Vec<(String, String, Option<String>)> = input
            .contacts
            .iter()
            .map(|c| (c.kind.code().to_string(), c.value.clone(), c.label.clone()))
            .collect();
        if before_contacts != after_contacts {
            changed.push("contacts");
        }
        let before_tags: HashSet<&str> = before_tags.iter().map(|(t,)| t.as_str()).collect();
        if before_tags != input.tags.iter().map(String::as_str).collect() {
            changed.push("tags");
        }
        let summary = if changed.is_empty() {
            "updated".to_string()
        } else {
            changed.join(",")
        };
        append_event(&mut tx, id, actor, now, "updated", &summary, None).await?;
        search_log::record_in(
            &mut tx,
            self.backend(),
            Entity::Customer,
            &[id.to_string()],
            now,
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::CustomerUpdated)
            .subject("customer", id)
            .detail(summary);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_customer(&self, id: &str) -> Result<CustomerRow, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("{CORE_SELECT} WHERE c.id = $1");
        let core: CustomerCore = sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
        let contacts: Vec<ContactRow> = sqlx::query_as(
            "SELECT id, customer_id, kind, value, label FROM customer_contacts \
             WHERE customer_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let tags: Vec<(String,)> =
            sqlx::query_as("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        Ok(CustomerRow {
            core,
            contacts,
            tags: tags.into_iter().map(|(t,)| t).collect(),
        })
    }

    /// Newest first (by row key, which is creation order); `cursor` is the last id of
    /// the previous page.
    #[tracing::instrument(skip_all)]
    pub async fn list_customers(
        &self,
        filter: &CustomerFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CustomerSummaryRow>, StoreError> {
        let mut sql = Sql::new(SUMMARY_SELECT);
        sql.push(" WHERE 1 = 1");
        push_filter(&mut sql, filter);
        if let Some(cursor) = cursor {
            sql.push(" AND c.rk < (SELECT rk FROM customers WHERE id = ")
                .bind_text(cursor)
                .push(")");
        }
        sql.push(" ORDER BY c.rk DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let mut rows: Vec<CustomerSummaryRow> = sql.query_as().fetch_all(&self.read).await?;
        self.fill_tags(&mut rows).await?;
        Ok(Page::from_overfetch(rows, limit, |r| r.id.clone()))
    }

    /// Customers that have exactly this contact value (a normalized phone, an e-mail).
    pub async fn find_customers_by_contact(
        &self,
        value: &str,
    ) -> Result<Vec<CustomerSummaryRow>, StoreError> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE c.id IN (SELECT customer_id FROM customer_contacts \
             WHERE value_rev = $1) ORDER BY c.rk DESC LIMIT 20"
        );
        let mut rows: Vec<CustomerSummaryRow> = sqlx::query_as(&sql)
            .bind(reversed(value))
            .fetch_all(&self.read)
            .await?;
        self.fill_tags(&mut rows).await?;
        Ok(rows)
    }

    async fn fill_tags(&self, rows: &mut [CustomerSummaryRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut sql = Sql::new("SELECT customer_id, tag FROM customer_tags WHERE customer_id IN (");
        crate::tickets::bind_list(&mut sql, &ids);
        sql.push(") ORDER BY tag");
        let tags: Vec<(String, String)> = sql.query_as().fetch_all(&self.read).await?;
        let mut by_customer: HashMap<String, Vec<String>> = HashMap::new();
        for (customer, tag) in tags {
            by_customer.entry(customer).or_default().push(tag);
        }
        for r in rows {
            r.tags = by_customer.remove(&r.id).unwrap_or_default();
        }
        Ok(())
    }

    /// The customer's timeline, newest first, with the events of the customer's tickets
    /// (kind `ticket.<event>`, summary the ticket number). Customers written by an import have no
    /// per-row "created" event (a million extra rows); their record's own creation time
    /// stands in for it as an `imported` entry.
    pub async fn list_customer_events(
        &self,
        customer_id: &str,
        limit: usize,
    ) -> Result<Vec<CustomerEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM (\
             SELECT e.id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.summary, e.detail \
             FROM customer_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.customer_id = $1 \
             UNION ALL \
             SELECT c.id, c.created_at, c.created_by, u.display_name, 'imported', 'imported', NULL \
             FROM customers c LEFT JOIN users u ON u.id = c.created_by WHERE c.id = $1 \
             AND NOT EXISTS (SELECT 1 FROM customer_events x WHERE x.customer_id = $1 AND x.kind = 'created') \
             UNION ALL \
             SELECT e.id, e.at, e.actor_id, u.display_name, 'ticket.' || e.kind, k.number, e.body \
             FROM tickets k JOIN ticket_events e ON e.ticket_id = k.id \
             LEFT JOIN users u ON u.id = e.actor_id WHERE k.customer_id = $1\
             ) t ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?)
    }

    /// How many customers match `filter`: what a background export of them will write.
    pub async fn count_customers(&self, filter: &CustomerFilter) -> Result<i64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM customers c WHERE 1 = 1");
        push_filter(&mut sql, filter);
        let (n,): (i64,) = sql.query_as().fetch_one(&self.read).await?;
        Ok(n)
    }

    /// Full records in creation (row key) order, `limit` at a time after `after_id`, for
    /// streaming exports.
    pub async fn export_customers_chunk(
        &self,
        filter: &CustomerFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let mut sql = Sql::new(CORE_SELECT);
        sql.push(" WHERE 1 = 1");
        push_filter(&mut sql, filter);
        if let Some(after) = after_id {
            sql.push(" AND c.rk > (SELECT rk FROM customers WHERE id = ")
                .bind_text(after)
                .push(")");
        }
        sql.push(" ORDER BY c.rk LIMIT ").bind_int(limit as i64);
        let mut conn = self.read.acquire().await?;
        let cores: Vec<CustomerCore> = sql.query_as().fetch_all(&mut *conn).await?;
        if cores.is_empty() {
            return Ok(Vec::new());
        }
        // One query per chunk for contacts and tags instead of one per customer.
        let ids: Vec<String> = cores.iter().map(|c| c.id.clone()).collect();
        let mut contacts = Vec::with_capacity(ids.len());
        let mut tags = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "SELECT id, customer_id, kind, value, label FROM customer_contacts \
                 WHERE customer_id IN (",
            );
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(") ORDER BY customer_id, position");
            contacts.extend(sql.query_as::<ContactRow>().fetch_all(&mut *conn).await?);
            let mut sql =
                Sql::new("SELECT customer_id, tag FROM customer_tags WHERE customer_id IN (");
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(") ORDER BY customer_id, tag");
            tags.extend(
                sql.query_as::<(String, String)>()
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        let mut contacts_by: HashMap<String, Vec<ContactRow>> = HashMap::new();
        for c in contacts {
            contacts_by
                .entry(c.customer_id.clone())
                .or_default()
                .push(c);
        }
        let mut tags_by: HashMap<String, Vec<String>> = HashMap::new();
        for (c, t) in tags {
            tags_by.entry(c).or_default().push(t);
        }
        Ok(cores
            .into_iter()
            .map(|core| CustomerRow {
                contacts: contacts_by.remove(&core.id).unwrap_or_default(),
                tags: tags_by.remove(&core.id).unwrap_or_default(),
                core,
            })
            .collect())
    }

    /// Which of these mobile numbers already belong to a customer, and to whom.
    pub async fn existing_mobiles(
        &self,
        values: &[String],
    ) -> Result<HashMap<String, (String, String)>, StoreError> {
        let mut conn = self.read.acquire().await?;
        existing_mobiles_in(&mut conn, self.backend(), values).await
    }

    /// Starts an all-or-nothing bulk write of customers (an import commit).
    /// `expected_rows` (e.g. the preview's valid rows) picks the strategy: from
    /// [`BULK_ROWS`] on, SQLite loads without the customer tables' secondary indexes and
    /// rebuilds them at commit (see the `bulk` module).
    pub async fn begin_customer_batch(
        &self,
        expected_rows: u64,
    ) -> Result<CustomerBatch, StoreError> {
        let bulk = self.backend() == crate::Backend::Sqlite && expected_rows >= BULK_ROWS;
        let mut tx = crate::unchecked::OwnedTx::begin(&self.write, self.backend(), bulk).await?;
        let dropped = if bulk {
            Some(bulk::DroppedIndexes::drop_in(tx.conn()).await?)
        } else {
            None
        };
        Ok(CustomerBatch {
            unchecked: tx.is_unchecked(),
            writer: writer::BatchWriter::spawn(tx, self.backend()),
            backend: self.backend(),
            read: self.read.clone(),
            dropped,
            written: 0,
            tiers: HashSet::new(),
            owners: HashSet::new(),
            ids: None,
        })
    }
}

pub(crate) fn push_filter(sql: &mut Sql, filter: &CustomerFilter) {
    if let Some(tier) = &filter.tier {
        sql.push(" AND c.tier = ").bind_text(tier);
    }
    if let Some(status) = &filter.status {
        sql.push(" AND c.status = ").bind_text(status);
    }
    if let Some(owner) = &filter.owner_id {
        sql.push(" AND c.owner_id = ").bind_text(owner);
    }
    if let Some(tag) = &filter.tag {
        sql.push(" AND c.id IN (SELECT t.customer_id FROM customer_tags t WHERE t.tag = ")
            .bind_text(tag)
            .push(")");
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let digits_only = q.chars().all(|c| c.is_ascii_digit());
        if let Ok(phone) = PhoneNumber::parse(q) {
            if !digits_only || q.len() >= 7 {
                sql.push(" AND c.id IN (SELECT cc.customer_id FROM customer_contacts cc WHERE cc.value_rev = ")
                    .bind_text(reversed(phone.as_str()))
                    .push(")");
                return;
            }
        }
        if digits_only && (3..=11).contains(&q.len()) {
            // The last digits of a phone number: an indexed range on the reversed value.
            let rev = reversed(q);
            sql.push(" AND c.id IN (SELECT cc.customer_id FROM customer_contacts cc WHERE cc.value_rev >= ")
                .bind_text(rev.clone())
                .push(" AND cc.value_rev < ")
                .bind_text(prefix_upper_bound(&rev))
                .push(")");
            return;
        }
        let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
        sql.push(" AND (lower(c.name) LIKE ")
            .bind_text(pattern.clone())
            .push(" ESCAPE '\\' OR lower(c.company) LIKE ")
            .bind_text(pattern)
            .push(" ESCAPE '\\')");
    }
}

async fn fetch_customer(tx: &mut Tx<'_>, id: &str) -> Result<CustomerCore, StoreError> {
    let sql = format!("{CORE_SELECT} WHERE c.id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?)
}

async fn check_references(
    tx: &mut Tx<'_>,
    input: &CustomerInput,
) -> Result<(), CustomerWriteError> {
    let (tier,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customer_tiers WHERE code = $1")
        .bind(&input.tier)
        .fetch_one(&mut **tx)
        .await?;
    if tier == 0 {
        return Err(CustomerWriteError::UnknownTier(input.tier.clone()));
    }
    if let Some(owner) = &input.owner_id {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE id = $1")
            .bind(owner)
            .fetch_one(&mut **tx)
            .await?;
        if n == 0 {
            return Err(CustomerWriteError::UnknownOwner(owner.clone()));
        }
    }
    Ok(())
}

async fn check_mobiles_free(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    own_id: Option<&str>,
    contacts: &[ContactInput],
) -> Result<(), CustomerWriteError> {
    let mobiles: Vec<String> = contacts
        .iter()
        .filter(|c| c.kind == ContactKind::Mobile)
        .map(|c| c.value.clone())
        .collect();
    let taken = existing_mobiles_in(tx, backend, &mobiles).await?;
    for phone in mobiles {
        if let Some((customer_id, customer_name)) = taken.get(&phone) {
            if Some(customer_id.as_str()) != own_id {
                return Err(CustomerWriteError::DuplicatePhone {
                    phone,
                    customer_id: customer_id.clone(),
                    customer_name: customer_name.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Creates a customer inside the caller's transaction, for intake that opens customers
/// as it goes (an e-mail from an unknown address). No mobile uniqueness check: callers
/// pass contacts that are not mobiles.
pub(crate) async fn create_customer_in(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    input: &CustomerInput,
) -> Result<String, StoreError> {
    let id = new_id();
    insert_customer_rows(
        tx,
        backend,
        &[(id.clone(), input)],
        actor.user_id.as_deref(),
        now,
    )
    .await?;
    append_event(tx, &id, actor, now, "created", "created", None).await?;
    search_log::record_in(
        tx,
        backend,
        Entity::Customer,
        std::slice::from_ref(&id),
        now,
    )
    .await?;
    let entry = NewAuditEntry::new(AuditAction::CustomerCreated).subject("customer", id.clone());
    append_in(tx, actor, now, &entry).await?;
    Ok(id)
}

/// Appends to a customer's timeline inside the caller's transaction.
pub async fn append_event(
    tx: &mut Tx<'_>,
    customer_id: &str,
    actor: &Actor,
    at: DateTime<Utc>,
    kind: &str,
    summary: &str,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_events (id, customer_id, at, actor_id, kind, summary, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(customer_id)
    .bind(to_millis(at))
    .bind(actor.user_id.as_deref())
    .bind(kind)
    .bind(summary)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The names of the scalar fields an update changes (the caller compares contacts and
/// tags whole).
fn changed_fields(before: &CustomerCore, after: &CustomerInput) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let pairs: [(&'static str, Option<&str>, Option<&str>); 9] = [
        (
            "name",
            Some(before.name.as_str()),
            Some(after.name.as_str()),
        ),
        (
            "company",
            before.company.as_deref(),
            after.company.as_deref(),
        ),
        (
            "gender",
            Some(before.gender.as_str()),
            Some(after.gender.code()),
        ),
        (
            "tier",
            Some(before.tier.as_str()),
            Some(after.tier.as_str()),
        ),
        (
            "status",
            Some(before.status.as_str()),
            Some(after.status.code()),
        ),
        (
            "owner",
            before.owner_id.as_deref(),
            after.owner_id.as_deref(),
        ),
        (
            "id_number",
            before.id_number.as_deref(),
            after.id_number.as_deref(),
        ),
        (
            "address",
            before.address.as_deref(),
            after.address.as_deref(),
        ),
        ("notes", before.notes.as_deref(), after.notes.as_deref()),
    ];
    for (name, a, b) in pairs {
        if a != b {
            changed.push(name);
        }
    }
    changed
}
