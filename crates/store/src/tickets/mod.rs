//! Work orders: creation with the daily number, reads for the ticket page and the queues,
//! and (in [`changes`]) every change, each in one transaction with its timeline event,
//! queue counters, deadline jobs and audit entry.

use crate::{from_millis, to_millis, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kefu_domain::ticket::{TicketNumber, TicketStatus};
use std::collections::BTreeSet;

mod attachments;
mod bulk;
mod changes;
mod create;
pub(crate) use create::{CreateQueue, CREATE_BATCH};
mod overdue;
mod queues;
pub(crate) mod timeline;

pub(crate) use queues::{apply_counter_deltas, apply_counter_sums, queue_facts_in};
pub use queues::{queue_counter_keys, QueueQuery};

pub use attachments::AttachmentRow;

pub use bulk::ExistingTicket;

pub(crate) use changes::change_in;
pub use changes::{ResumedDeadlines, TicketChange, TicketChangeError, PROMISE_DUE_JOB};
pub(crate) use create::create_tickets_in;
pub use create::{NewTicket, Opened, TicketDeadlines, TicketToOpen};
pub use overdue::{mark_promise_overdue_in, OverdueOutcome};

/// Everything the ticket page shows about the ticket itself.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub ticket_type: String,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub subject: String,
    pub description: String,
    pub occurred_at: Option<i64>,
    pub place: Option<String>,
    pub people: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub department_id: String,
    pub department_name: String,
    pub first_owner_id: Option<String>,
    pub first_owner_name: Option<String>,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub escalated_to_id: Option<String>,
    pub escalated_to_name: Option<String>,
    pub sla_policy_id: Option<String>,
    pub first_response_due: Option<i64>,
    pub first_responded_at: Option<i64>,
    pub resolution_due: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub promise_seq: i64,
    pub promise_text: Option<String>,
    pub promise_due_at: Option<i64>,
    pub promise_by_id: Option<String>,
    pub promise_by_name: Option<String>,
    pub promise_made_at: Option<i64>,
    pub overdue_since: Option<i64>,
    pub overdue_count: i64,
    pub renewed_count: i64,
    pub paused_at: Option<i64>,
    pub merged_into_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TicketRow {
    pub fn status(&self) -> TicketStatus {
        TicketStatus::from_code(&self.status).unwrap_or(TicketStatus::New)
    }
}

/// A transfer to another department.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub department_id: String,
    pub department_name: String,
    pub state: String,
    pub request: String,
    pub result: Option<String>,
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub done_by_name: Option<String>,
    pub done_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub other_id: String,
    pub number: String,
    pub subject: String,
    pub status: String,
    pub kind: String,
}

/// The ticket with what hangs off it.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: TicketRow,
    pub tags: Vec<String>,
    pub tasks: Vec<TaskRow>,
    pub links: Vec<LinkRow>,
}

impl TicketDetail {
    /// Every department the ticket was ever transferred to (for the access rule).
    pub fn task_departments(&self) -> Vec<&str> {
        self.tasks
            .iter()
            .map(|t| t.department_id.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketEventRow {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub channel: Option<String>,
    pub body: Option<String>,
    pub detail: Option<String>,
    pub internal: i64,
}

impl TicketEventRow {
    pub fn at(&self) -> DateTime<Utc> {
        from_millis(self.at)
    }
}

/// One line of a queue or ticket list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketSummaryRow {
    pub id: String,
    pub number: String,
    pub ticket_type: String,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub subject: String,
    pub customer_name: Option<String>,
    pub department_name: String,
    pub assignee_name: Option<String>,
    pub first_owner_name: Option<String>,
    pub promise_due_at: Option<i64>,
    pub overdue_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub body: String,
    pub read_at: Option<i64>,
}

/// Other ways to find tickets (by customer, number, status).
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub customer_id: Option<String>,
    pub status: Option<String>,
    pub number: Option<String>,
}

const DETAIL_SELECT: &str = "SELECT t.id, t.number, t.ticket_type, t.channel, t.priority, \
    t.status, t.subject, t.description, t.occurred_at, t.place, t.people, t.contact_name, \
    t.contact_phone, t.customer_id, c.name AS customer_name, t.department_id, \
    d.name AS department_name, t.first_owner_id, fo.display_name AS first_owner_name, \
    t.assignee_id, a.display_name AS assignee_name, t.escalated_to_id, \
    e.display_name AS escalated_to_name, t.sla_policy_id, t.first_response_due, \
    t.first_responded_at, t.resolution_due, t.resolved_at, t.closed_at, t.promise_seq, \
    t.promise_text, t.promise_due_at, t.promise_by_id, pb.display_name AS promise_by_name, \
    t.promise_made_at, t.overdue_since, t.overdue_count, t.renewed_count, t.paused_at, \
    t.merged_into_id, t.created_by, t.created_at, t.updated_at \
    FROM tickets t JOIN departments d ON d.id = t.department_id \
    LEFT JOIN customers c ON c.id = t.customer_id \
    LEFT JOIN users fo ON fo.id = t.first_owner_id \
    LEFT JOIN users a ON a.id = t.assignee_id \
    LEFT JOIN users e ON e.id = t.escalated_to_id \
    LEFT JOIN users pb ON pb.id = t.promise_by_id";

const SUMMARY_SELECT: &str = "SELECT t.id, t.number, t.ticket_type, t.channel, t.priority, \
    t.status, t.subject, c.name AS customer_name, d.name AS department_name, \
    a.display_name AS assignee_name, fo.display_name AS first_owner_name, t.promise_due_at, \
    t.overdue_since, t.created_at, t.updated_at \
    FROM tickets t JOIN departments d ON d.id = t.department_id \
    LEFT JOIN customers c ON c.id = t.customer_id \
    LEFT JOIN users a ON a.id = t.assignee_id \
    LEFT JOIN users fo ON fo.id = t.first_owner_id";

/// The center's local time: ticket numbers and "due today" follow it.
pub fn local_offset() -> FixedOffset {
    kefu_domain::calendar::china_offset()
}

pub(crate) fn local_day(ms: i64) -> NaiveDate {
    from_millis(ms).with_timezone(&local_offset()).date_naive()
}

pub(crate) fn push_in_list(sql: &mut Sql, column: &str, values: &[String]) {
    sql.push(" AND ").push(column).push(" IN (");
    bind_list(sql, values);
    sql.push(")");
}

/// `a, b, c` as placeholders (`NULL` for none, which matches nothing).
pub(crate) fn bind_list(sql: &mut Sql, values: &[String]) {
    if values.is_empty() {
        sql.push("NULL");
    }
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_text(v.clone());
    }
}

impl Db {
    /// The ticket and what hangs off it, or `NotFound`.
    pub async fn get_ticket(&self, id: &str) -> Result<TicketDetail, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("{DETAIL_SELECT} WHERE t.id = $1");
        let ticket: TicketRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
        let tags: Vec<(String,)> =
            sqlx::query_as("SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        let tasks: Vec<TaskRow> = sqlx::query_as(
            "SELECT k.id, k.department_id, d.name AS department_name, k.state, k.request, \
             k.result, cu.display_name AS created_by_name, k.created_at, \
             du.display_name AS done_by_name, k.done_at \
             FROM ticket_tasks k JOIN departments d ON d.id = k.department_id \
             LEFT JOIN users cu ON cu.id = k.created_by LEFT JOIN users du ON du.id = k.done_by \
             WHERE k.ticket_id = $1 ORDER BY k.id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let links: Vec<LinkRow> = sqlx::query_as(
            "SELECT l.other_id, t.number, t.subject, t.status, l.kind FROM ticket_links l \
             JOIN tickets t ON t.id = l.other_id WHERE l.ticket_id = $1 ORDER BY t.number",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(TicketDetail {
            ticket,
            tags: tags.into_iter().map(|(t,)| t).collect(),
            tasks,
            links,
        })
    }

    /// The id of the ticket with this number.
    pub async fn ticket_id_by_number(&self, number: &TicketNumber) -> Result<String, StoreError> {
        let (id,): (String,) = sqlx::query_as("SELECT id FROM tickets WHERE number = $1")
            .bind(number.as_str())
            .fetch_one(&self.read)
            .await?;
        Ok(id)
    }

    /// The ticket's timeline, oldest first (it is append-only).
    pub async fn list_ticket_events(
        &self,
        ticket_id: &str,
    ) -> Result<Vec<TicketEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.channel, \
             e.body, e.detail, e.internal FROM ticket_events e \
             LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = $1 ORDER BY e.id",
        )
        .bind(ticket_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Tickets by customer, number or status, newest first.
    /// Only tickets `user_id` may see: of the departments in `scope`, transferred to
    /// them, or owned by or assigned to the user.
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
        user_id: &str,
        scope: &[String],
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<TicketSummaryRow>, StoreError> {
        let mut sql = Sql::new(SUMMARY_SELECT);
        sql.push(" WHERE (t.first_owner_id = ")
            .bind_text(user_id)
            .push(" OR t.assignee_id = ")
            .bind_text(user_id);
        sql.push(" OR t.department_id IN (");
        bind_list(&mut sql, scope);
        sql.push(") OR t.id IN (SELECT k.ticket_id FROM ticket_tasks k WHERE k.department_id IN (");
        bind_list(&mut sql, scope);
        sql.push(")))");
        if let Some(c) = &filter.customer_id {
            sql.push(" AND t.customer_id = ").bind_text(c.clone());
        }
        if let Some(s) = &filter.status {
            sql.push(" AND t.status = ").bind_text(s.clone());
        }
        if let Some(n) = &filter.number {
            sql.push(" AND t.number = ").bind_text(n.clone());
        }
        if let Some(c) = cursor {
            sql.push(" AND t.id < ").bind_text(c);
        }
        sql.push(" ORDER BY t.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r: &TicketSummaryRow| {
            r.id.clone()
        }))
    }

    /// Open tickets of a customer (for the screen pop and duplicate hints), newest first.
    pub async fn open_tickets_of_customer(
        &self,
        customer_id: &str,
        limit: usize,
    ) -> Result<Vec<TicketSummaryRow>, StoreError> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE t.customer_id = $1 AND t.is_open = 1 ORDER BY t.id DESC LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(customer_id)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await?)
    }

    /// A person's notifications, newest first, and how many are unread.
    pub async fn list_notifications(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<(Vec<NotificationRow>, i64), StoreError> {
        let rows = sqlx::query_as(
            "SELECT n.id, n.at, n.kind, n.ticket_id, t.number AS ticket_number, n.body, n.read_at \
             FROM notifications n LEFT JOIN tickets t ON t.id = n.ticket_id \
             WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        let (unread,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.read)
        .await?;
        Ok((rows, unread))
    }

    /// Marks all of a person's notifications read.
    pub async fn mark_notifications_read(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(to_millis(now))
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Departments with every department below them, for the access rule and queues.
    pub async fn department_scope(&self, roots: &[String]) -> Result<BTreeSet<String>, StoreError> {
        let all: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, parent_id FROM departments")
                .fetch_all(&self.read)
                .await?;
        let mut scope: BTreeSet<String> = roots.iter().cloned().collect();
        loop {
            let before = scope.len();
            for (id, parent) in &all {
                if parent.as_ref().is_some_and(|p| scope.contains(p)) {
                    scope.insert(id.clone());
                }
            }
            if scope.len() == before {
                return Ok(scope);
            }
        }
    }

    /// The departments a person holds positions in.
    pub async fn user_departments(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT p.department_id FROM staff_positions sp \
             JOIN positions p ON p.id = sp.position_id WHERE sp.user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }
}

impl Db {
    /// The shift leads and managers over a department: `(id, name)`.
    pub async fn ticket_supervisors(
        &self,
        department_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut tx = self.read.begin().await?;
        let ids = timeline::supervisors_in(&mut tx, department_id).await?;
        let mut sql = Sql::new("SELECT id, display_name FROM users WHERE 1 = 1");
        push_in_list(&mut sql, "id", &ids);
        sql.push(" ORDER BY display_name");
        let rows = sql.query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

impl Db {
    /// Active people holding a position in any of the departments: `(id, name)`, for
    /// the assign list.
    pub async fn department_staff(
        &self,
        departments: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut sql = Sql::new(
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN staff_positions sp ON sp.user_id = u.id \
             JOIN positions p ON p.id = sp.position_id WHERE u.active = 1",
        );
        push_in_list(&mut sql, "p.department_id", departments);
        sql.push(" ORDER BY u.display_name");
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }
}

/// Records on the ticket's timeline that a call was attached to it.
pub(crate) async fn append_call_event(
    tx: &mut Tx<'_>,
    actor: &crate::audit::Actor,
    at: DateTime<Utc>,
    ticket_id: &str,
    call_id: &str,
) -> Result<(), StoreError> {
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    timeline::append_event(
        tx,
        &timeline::Event::new(ticket_id, actor, at, "call")
            .detail(serde_json::json!({ "call_id": call_id })),
    )
    .await
}

impl Db {
    /// The department a ticket from outside (the public web form) lands in: the one
    /// named `name`, else the first department (by sort order, then age) where someone holds a
    /// position with `ticket.write`. `None` when neither exists.
    pub async fn intake_department(&self, name: &str) -> Result<Option<String>, StoreError> {
        let named: Option<(String,)> =
            sqlx::query_as("SELECT id FROM departments WHERE name = $1 ORDER BY id LIMIT 1")
                .bind(name)
                .fetch_optional(&self.read)
                .await?;
        if let Some((id,)) = named {
            return Ok(Some(id));
        }
        let staffed: Option<(String,)> = sqlx::query_as(
            "SELECT d.id FROM departments d WHERE d.id IN (SELECT p.department_id \
             FROM positions p JOIN staff_positions sp ON sp.position_id = p.id \
             JOIN users u ON u.id = sp.user_id \
             WHERE u.active = 1 AND p.permissions LIKE '%\"ticket.write\"%') \
             ORDER BY d.sort_order, d.id LIMIT 1",
        )
        .fetch_optional(&self.read)
        .await?;
        Ok(staffed.map(|(id,)| id))
    }

    /// The part of the timeline the customer may see (`internal = 0`), oldest first.
    pub async fn list_public_ticket_events(
        &self,
        ticket_id: &str,
    ) -> Result<Vec<TicketEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.at, e.actor_id, CAST(NULL AS TEXT) AS actor_name, e.kind, e.channel, e.body, \
             e.detail, e.internal FROM ticket_events e \
             WHERE e.ticket_id = $1 AND e.internal = 0 ORDER BY e.id",
        )
        .bind(ticket_id)
        .fetch_all(&self.read)
        .await?)
    }
}
