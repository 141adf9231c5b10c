//! First-contact tasks (一周内与客户进行沟通): opened for each customer an assignment
//! gives an agent, closed when the contact is recorded or the customer moves on.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::customers::append_event;
use crate::{from_millis, to_millis, Db, Page, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

/// One contact task with its customer's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactTaskRow {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub created_at: i64,
    pub due_at: i64,
    pub closed_at: Option<i64>,
    pub outcome: Option<String>,
}

impl ContactTaskRow {
    pub fn due_at(&self) -> DateTime<Utc> {
        from_millis(self.due_at)
    }

    /// Open and past its deadline at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && self.due_at < to_millis(now)
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.customer_id, c.name AS customer_name, t.agent_id, \
    u.display_name AS agent_name, t.created_at, t.due_at, t.closed_at, t.outcome \
    FROM contact_tasks t JOIN customers c ON c.id = t.customer_id \
    JOIN users u ON u.id = t.agent_id";

impl Db {
    /// An agent's open contact tasks, soonest due first (index `contact_tasks_agent_open`);
    /// the cursor is `<due_at>:<id>` of the previous page's last task.
    #[tracing::instrument(skip_all)]
    pub async fn list_open_contact_tasks(
        &self,
        agent_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ContactTaskRow>, StoreError> {
        let after = cursor.and_then(|c| {
            let (due, id) = c.split_once(':')?;
            Some((due.parse::<i64>().ok()?, id.to_string()))
        });
        let mut sql = crate::Sql::new(TASK_SELECT);
        sql.push(" WHERE t.agent_id = ")
            .bind_text(agent_id)
            .push(" AND t.closed_at IS NULL");
        if let Some((due, id)) = after {
            sql.push(" AND (t.due_at > ")
                .bind_int(due)
                .push(" OR (t.due_at = ")
                .bind_int(due)
                .push(" AND t.id > ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY t.due_at, t.id LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<ContactTaskRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| {
            format!("{}:{}", r.due_at, r.id)
        }))
    }

    /// The customer's contact tasks, open ones first, newest first (index
    /// `contact_tasks_customer`).
    pub async fn list_customer_contact_tasks(
        &self,
        customer_id: &str,
    ) -> Result<Vec<ContactTaskRow>, StoreError> {
        let sql = format!(
            "{TASK_SELECT} WHERE t.customer_id = $1 \
             ORDER BY CASE WHEN t.closed_at IS NULL THEN 0 ELSE 1 END, t.created_at DESC, t.id DESC \
             LIMIT 20"
        );
        Ok(sqlx::query_as(&sql)
            .bind(customer_id)
            .fetch_all(&self.read)
            .await?)
    }

    /// Records that the actor contacted the customer: every open contact task of the
    /// customer is closed as `contacted`, the timeline gets a `contacted` entry (with the
    /// note, if any) and the audit log an entry. Returns how many tasks were closed.
    #[tracing::instrument(skip_all)]
    pub async fn record_customer_contact(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        customer_id: &str,
        note: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write.begin().await?;
        let (exists,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound);
        }
        let closed = sqlx::query(
            "UPDATE contact_tasks SET closed_at = $1, closed_by = $2, outcome = 'contacted' \
             WHERE customer_id = $3 AND closed_at IS NULL",
        )
        .bind(to_millis(now))
        .bind(actor.user_id.as_deref())
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let summary = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("contacted");
        append_event(&mut tx, customer_id, actor, now, "contacted", summary, None).await?;
        let entry = NewAuditEntry::new(AuditAction::CustomerContacted)
            .subject("customer", customer_id)
            .detail(format!("closed_tasks={closed}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(closed)
    }
}

/// A work order an agent opens for a customer is a contact: it closes that agent's open
/// first-contact task for the customer, in the ticket's own transaction (one statement
/// for a whole group-committed batch). `pairs` are (customer, agent).
pub(crate) async fn close_by_tickets_in(
    tx: &mut crate::Tx<'_>,
    backend: crate::Backend,
    at: DateTime<Utc>,
    pairs: &[(&str, &str)],
) -> Result<(), StoreError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let mut sql = crate::Sql::for_backend(backend, "UPDATE contact_tasks SET closed_at = ");
    sql.bind_int(to_millis(at))
        .push(", closed_by = agent_id, outcome = 'contacted' WHERE closed_at IS NULL AND (");
    for (i, (customer, agent)) in pairs.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(customer_id = ")
            .bind_text(*customer)
            .push(" AND agent_id = ")
            .bind_text(*agent)
            .push(")");
    }
    sql.push(")");
    sql.query().execute(&mut **tx).await?;
    Ok(())
}
