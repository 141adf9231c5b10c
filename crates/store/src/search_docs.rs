//! What the search index needs of tickets and customers, read in batches: by id (to
//! apply change-log entries) or in id order (to rebuild the whole index). Each batch is a
//! handful of queries whatever its size — never one query per record.

use crate::{Db, Sql, StoreError};
use std::collections::HashMap;

/// A ticket's searchable text and the facts that filter and guard it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketSearchRow {
    pub id: String,
    pub number: String,
    pub ticket_type: String,
    pub status: String,
    pub subject: String,
    pub description: String,
    pub place: Option<String>,
    pub people: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub customer_name: Option<String>,
    pub customer_tier: Option<String>,
    pub department_id: String,
    pub first_owner_id: Option<String>,
    pub assignee_id: Option<String>,
    /// Departments the ticket was transferred to (they may open it).
    pub task_departments: Vec<String>,
    /// Replies, notes and task requests/answers, oldest first.
    pub texts: Vec<String>,
    pub tags: Vec<String>,
    pub created_at: i64,
}

/// A customer's searchable text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerSearchRow {
    pub id: String,
    pub name: String,
    pub company: Option<String>,
    pub status: String,
    pub tier: String,
    pub notes: Option<String>,
    /// Contact values (phones normalized, e-mails, …).
    pub contacts: Vec<String>,
    pub tags: Vec<String>,
    pub created_at: i64,
}

type TicketBase = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
);

const TICKET_SELECT: &str = "SELECT t.id, t.number, t.ticket_type, t.status, t.subject, \
     t.description, t.place, t.people, t.contact_name, t.contact_phone, c.name, c.tier, \
     t.department_id, t.first_owner_id, t.assignee_id, t.created_at \
     FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id";

const IN_CHUNK: usize = 500;

/// `head IN (ids) tail` over chunks of `ids`, its `(id, value)` rows grouped by id.
async fn children(
    db: &Db,
    ids: &[String],
    head: &str,
    tail: &str,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let mut sql = Sql::for_backend(db.backend(), head);
        sql.push(" IN (");
        crate::tickets::bind_list(&mut sql, chunk);
        sql.push(")");
        sql.push(tail);
        let rows: Vec<(String, String)> = sql.query_as().fetch_all(&db.read).await?;
        for (id, value) in rows {
            out.entry(id).or_default().push(value);
        }
    }
    Ok(out)
}

impl Db {
    /// Search rows of the tickets among `ids` that exist (deleted ones are left out).
    pub async fn ticket_search_rows(
        &self,
        ids: &[String],
    ) -> Result<Vec<TicketSearchRow>, StoreError> {
        let mut base = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let mut sql = Sql::for_backend(self.backend(), TICKET_SELECT);
            sql.push(" WHERE t.id IN (");
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(")");
            base.extend(sql.query_as::<TicketBase>().fetch_all(&self.read).await?);
        }
        self.complete_tickets(base).await
    }

    /// Up to `limit` tickets with ids after `after`, in id order (a rebuild's next batch).
    pub async fn ticket_search_chunk(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TicketSearchRow>, StoreError> {
        let mut sql = Sql::new(TICKET_SELECT);
        sql.push(" WHERE t.id > ")
            .bind_text(after.unwrap_or(""))
            .push(" ORDER BY t.id LIMIT ")
            .bind_int(limit as i64);
        let base: Vec<TicketBase> = sql.query_as().fetch_all(&self.read).await?;
        self.complete_tickets(base).await
    }

    async fn complete_tickets(
        &self,
        base: Vec<TicketBase>,
    ) -> Result<Vec<TicketSearchRow>, StoreError> {
        let ids: Vec<String> = base.iter().map(|b| b.0.clone()).collect();
        let mut texts = children(
            self,
            &ids,
            "SELECT ticket_id, body FROM ticket_events WHERE body IS NOT NULL AND body <> '' \
             AND ticket_id",
            " ORDER BY ticket_id, id",
        )
        .await?;
        let mut tasks = children(
            self,
            &ids,
            "SELECT ticket_id, department_id FROM ticket_tasks WHERE ticket_id",
            "",
        )
        .await?;
        let mut tags = children(
            self,
            &ids,
            "SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id",
            "",
        )
        .await?;
        Ok(base
            .into_iter()
            .map(|b| {
                let mut task_departments = tasks.remove(&b.0).unwrap_or_default();
                task_departments.sort();
                task_departments.dedup();
                TicketSearchRow {
                    texts: texts.remove(&b.0).unwrap_or_default(),
                    tags: tags.remove(&b.0).unwrap_or_default(),
                    task_departments,
                    id: b.0,
                    number: b.1,
                    ticket_type: b.2,
                    status: b.3,
                    subject: b.4,
                    description: b.5,
                    place: b.6,
                    people: b.7,
                    contact_name: b.8,
                    contact_phone: b.9,
                    customer_name: b.10,
                    customer_tier: b.11,
                    department_id: b.12,
                    first_owner_id: b.13,
                    assignee_id: b.14,
                    created_at: b.15,
                }
            })
            .collect())
    }

    /// Search rows of the customers among `ids` that exist.
    pub async fn customer_search_rows(
        &self,
        ids: &[String],
    ) -> Result<Vec<CustomerSearchRow>, StoreError> {
        let mut base = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let mut sql = Sql::for_backend(self.backend(), CUSTOMER_SELECT);
            sql.push(" WHERE id IN (");
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(")");
            base.extend(sql.query_as::<CustomerBase>().fetch_all(&self.read).await?);
        }
        self.complete_customers(base).await
    }

    /// Up to `limit` customers with ids after `after`, in id order.
    pub async fn customer_search_chunk(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CustomerSearchRow>, StoreError> {
        let mut sql = Sql::new(CUSTOMER_SELECT);
        sql.push(" WHERE id > ")
            .bind_text(after.unwrap_or(""))
            .push(" ORDER BY id LIMIT ")
            .bind_int(limit as i64);
        let base: Vec<CustomerBase> = sql.query_as().fetch_all(&self.read).await?;
        self.complete_customers(base).await
    }

    async fn complete_customers(
        &self,
        base: Vec<CustomerBase>,
    ) -> Result<Vec<CustomerSearchRow>, StoreError> {
        let ids: Vec<String> = base.iter().map(|b| b.0.clone()).collect();
        let mut contacts = children(
            self,
            &ids,
            "SELECT customer_id, value FROM customer_contacts WHERE customer_id",
            " ORDER BY customer_id, position",
        )
        .await?;
        let mut tags = children(
            self,
            &ids,
            "SELECT customer_id, tag FROM customer_tags WHERE customer_id",
            "",
        )
        .await?;
        Ok(base
            .into_iter()
            .map(|b| CustomerSearchRow {
                contacts: contacts.remove(&b.0).unwrap_or_default(),
                tags: tags.remove(&b.0).unwrap_or_default(),
                id: b.0,
                name: b.1,
                company: b.2,
                status: b.3,
                tier: b.4,
                notes: b.5,
                created_at: b.6,
            })
            .collect())
    }

    /// Which of `ids` the user may open: the same rule as the ticket lists (their own or
    /// assigned tickets, their departments', and those transferred to their departments).
    pub async fn visible_ticket_ids(
        &self,
        user_id: &str,
        scope: &[String],
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(100) {
            let mut sql = Sql::new("SELECT t.id FROM tickets t WHERE t.id IN (");
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(") AND (t.first_owner_id = ")
                .bind_text(user_id)
                .push(" OR t.assignee_id = ")
                .bind_text(user_id)
                .push(" OR t.department_id IN (");
            crate::tickets::bind_list(&mut sql, scope);
            sql.push(
                ") OR t.id IN (SELECT k.ticket_id FROM ticket_tasks k WHERE k.department_id IN (",
            );
            crate::tickets::bind_list(&mut sql, scope);
            sql.push(")))");
            let rows: Vec<(String,)> = sql.query_as().fetch_all(&self.read).await?;
            out.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(out)
    }
}

type CustomerBase = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    i64,
);

const CUSTOMER_SELECT: &str =
    "SELECT id, name, company, status, tier, notes, created_at FROM customers";
