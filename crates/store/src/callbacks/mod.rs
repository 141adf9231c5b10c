//! Callbacks (回访): the task queue (today, raised, by kind, by assignee), one task with its
//! attempts, the rules that create tasks ([`generate`]: tier plans, care dates, renewals;
//! [`work`]: resolved tickets, handled complaints, by hand, imported lists), the attempts
//! and their retry policy, the 48-hour follow-up watch ([`watch`]) and the plans and
//! policy an admin edits ([`plans`]). Every rule writes through a dedupe key, so reruns and
//! restarts never create a task twice.

use crate::tickets::TicketChangeError;
use crate::{from_millis, Db, Page, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::callback::{CallbackKind, FieldError, Refusal};
use kefu_domain::complaint::Refusal as ComplaintRefusal;

mod generate;
mod plans;
mod watch;
mod work;

pub use generate::{generate_callbacks_in, Generated};
pub use plans::{CallbackSettings, PlanInput, PlanRow};
pub use watch::{raise_stale_callbacks_in, Raised};
pub(crate) use work::{complaint_called_back_in, complaint_handled_in, ticket_resolved_in};
pub use work::{AttemptInput, AttemptRecorded, NewTask, PreSaleRow};

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Complaint(#[from] ComplaintRefusal),
    #[error(transparent)]
    Ticket(#[from] TicketChangeError),
    #[error("a complaint callback ends satisfied or dissatisfied")]
    ComplaintOutcome,
}

impl From<sqlx::Error> for CallbackError {
    fn from(e: sqlx::Error) -> Self {
        CallbackError::Store(e.into())
    }
}

/// One task with the names a page shows. Phones are not here: [`Db::callback_phone`]
/// reads the number to call, for the server to mask or reveal (and audit).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub kind: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub customer_tier: Option<String>,
    pub customer_gender: Option<String>,
    pub customer_expires_on: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub ticket_subject: Option<String>,
    pub ticket_contact_name: Option<String>,
    pub round: Option<i64>,
    pub plan_id: Option<String>,
    pub plan_name: Option<String>,
    pub plan_script: Option<String>,
    pub period_key: Option<String>,
    pub title: Option<String>,
    pub article_id: Option<String>,
    pub due_at: i64,
    pub next_at: i64,
    pub watch_from: i64,
    pub raised_at: Option<i64>,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub failed_attempts: i64,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub contact_name: Option<String>,
    pub contact_gender: Option<String>,
    pub contact_phone: Option<String>,
    pub contacted_at: Option<i64>,
    pub opinions: Option<String>,
    pub suggestions: Option<String>,
    pub fee_cents: Option<i64>,
    pub fee_confirmed: Option<i64>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl TaskRow {
    pub fn kind(&self) -> CallbackKind {
        CallbackKind::from_code(&self.kind).unwrap_or(CallbackKind::Manual)
    }

    pub fn next_at(&self) -> DateTime<Utc> {
        from_millis(self.next_at)
    }

    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    /// The name to greet: the customer's, else the ticket's contact.
    pub fn greeting_name(&self) -> Option<&str> {
        self.customer_name
            .as_deref()
            .or(self.ticket_contact_name.as_deref())
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.kind, t.customer_id, c.name AS customer_name, \
    c.tier AS customer_tier, c.gender AS customer_gender, c.expires_on AS customer_expires_on, \
    t.ticket_id, k.number AS ticket_number, k.subject AS ticket_subject, \
    k.contact_name AS ticket_contact_name, t.round, t.plan_id, p.name AS plan_name, \
    p.script AS plan_script, t.period_key, t.title, t.article_id, t.due_at, t.next_at, \
    t.watch_from, t.raised_at, t.assignee_id, u.display_name AS assignee_name, t.status, \
    t.attempts, t.failed_attempts, t.outcome, t.notes, t.contact_name, t.contact_gender, \
    t.contact_phone, t.contacted_at, t.opinions, t.suggestions, t.fee_cents, t.fee_confirmed, \
    t.created_at, t.closed_at \
    FROM callback_tasks t LEFT JOIN customers c ON c.id = t.customer_id \
    LEFT JOIN tickets k ON k.id = t.ticket_id LEFT JOIN callback_plans p ON p.id = t.plan_id \
    LEFT JOIN users u ON u.id = t.assignee_id";

/// One recorded attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: String,
    pub result: String,
    pub later_at: Option<i64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub by_name: Option<String>,
    pub at: i64,
}

/// Which tasks a queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queue {
    /// Open tasks whose next attempt is due before `until` (the end of today), soonest
    /// first — including the backlog.
    Due { until: DateTime<Utc> },
    /// Open tasks the follow-up watch raised, earliest raised first.
    Raised,
    /// Open tasks of one kind, soonest first.
    Kind(CallbackKind),
}

/// Whose tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Anyone,
    User(String),
    Unassigned,
}

/// The counts on the queue's tabs.
#[derive(Debug, Clone, Default)]
pub struct QueueCounts {
    pub due: i64,
    pub raised: i64,
    /// Open tasks per kind code.
    pub by_kind: Vec<(String, i64)>,
}

fn push_assignee(sql: &mut Sql, who: &Assignee) {
    match who {
        Assignee::Anyone => {}
        Assignee::User(id) => {
            sql.push(" AND t.assignee_id = ").bind_text(id.clone());
        }
        Assignee::Unassigned => {
            sql.push(" AND t.assignee_id IS NULL");
        }
    }
}

fn parse_cursor(cursor: Option<&str>) -> Option<(i64, String)> {
    let (at, id) = cursor?.split_once(':')?;
    Some((at.parse().ok()?, id.to_string()))
}

impl Db {
    /// One page of a queue; the cursor is `<next_at or raised_at>:<id>` of the previous
    /// page's last task. Each queue walks one index (`callback_tasks_queue`, `_assignee`,
    /// `_kind`, `_raised`).
    #[tracing::instrument(skip_all)]
    pub async fn list_callback_tasks(
        &self,
        queue: &Queue,
        who: &Assignee,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<TaskRow>, StoreError> {
        let mut sql = Sql::new(TASK_SELECT);
        sql.push(" WHERE t.status = 'open'");
        let order_col = match queue {
            Queue::Due { until } => {
                sql.push(" AND t.next_at < ")
                    .bind_int(crate::to_millis(*until));
                "t.next_at"
            }
            Queue::Raised => {
                sql.push(" AND t.raised_at IS NOT NULL");
                "t.raised_at"
            }
            Queue::Kind(kind) => {
                sql.push(" AND t.kind = ").bind_text(kind.code());
                "t.next_at"
            }
        };
        push_assignee(&mut sql, who);
        if let Some((at, id)) = parse_cursor(cursor) {
            sql.push(&format!(" AND ({order_col} > "))
                .bind_int(at)
                .push(&format!(" OR ({order_col} = "))
                .bind_int(at)
                .push(" AND t.id > ")
                .bind_text(id)
                .push("))");
        }
        sql.push(&format!(" ORDER BY {order_col}, t.id LIMIT "))
            .bind_int(limit as i64 + 1);
        let rows: Vec<TaskRow> = sql.query_as().fetch_all(&self.read).await?;
        let raised = matches!(queue, Queue::Raised);
        Ok(Page::from_overfetch(rows, limit, |r| {
            let at = if raised {
                r.raised_at.unwrap_or_default()
            } else {
                r.next_at
            };
            format!("{at}:{}", r.id)
        }))
    }

    /// The numbers on the queue's tabs for `who`.
    pub async fn count_callback_tasks(
        &self,
        until: DateTime<Utc>,
        who: &Assignee,
    ) -> Result<QueueCounts, StoreError> {
        let mut due = Sql::new(
            "SELECT COUNT(*) FROM callback_tasks t WHERE t.status = 'open' AND t.next_at < ",
        );
        due.bind_int(crate::to_millis(until));
        push_assignee(&mut due, who);
        let (due,): (i64,) = due.query_as().fetch_one(&self.read).await?;
        let mut raised = Sql::new(
            "SELECT COUNT(*) FROM callback_tasks t WHERE t.raised_at IS NOT NULL AND t.status = 'open'",
        );
        push_assignee(&mut raised, who);
        let (raised,): (i64,) = raised.query_as().fetch_one(&self.read).await?;
        let mut by_kind = Vec::new();
        for kind in CallbackKind::ALL {
            let mut sql = Sql::new("SELECT COUNT(*) FROM callback_tasks t WHERE t.kind = ");
            sql.bind_text(kind.code()).push(" AND t.status = 'open'");
            push_assignee(&mut sql, who);
            let (n,): (i64,) = sql.query_as().fetch_one(&self.read).await?;
            by_kind.push((kind.code().to_string(), n));
        }
        Ok(QueueCounts {
            due,
            raised,
            by_kind,
        })
    }

    pub async fn get_callback_task(&self, id: &str) -> Result<TaskRow, StoreError> {
        let sql = format!("{TASK_SELECT} WHERE t.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// The tasks of a ticket (its after-sale, repair or complaint callbacks), oldest first.
    pub async fn list_ticket_callback_tasks(
        &self,
        ticket_id: &str,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let sql = format!("{TASK_SELECT} WHERE t.ticket_id = $1 ORDER BY t.created_at, t.id");
        Ok(sqlx::query_as(&sql)
            .bind(ticket_id)
            .fetch_all(&self.read)
            .await?)
    }

    /// A task's attempts, oldest first.
    pub async fn list_callback_attempts(
        &self,
        task_id: &str,
    ) -> Result<Vec<AttemptRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.result, a.later_at, a.outcome, a.notes, u.display_name AS by_name, a.at \
             FROM callback_attempts a LEFT JOIN users u ON u.id = a.by_id \
             WHERE a.task_id = $1 ORDER BY a.at, a.id",
        )
        .bind(task_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// The number to call, in the clear: the customer's first phone contact, else the
    /// ticket's contact phone. The caller masks it unless the viewer may see it.
    pub async fn callback_phone(&self, task: &TaskRow) -> Result<Option<String>, StoreError> {
        if let Some(customer) = &task.customer_id {
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT value FROM customer_contacts WHERE customer_id = $1 \
                 AND kind IN ('mobile', 'landline') ORDER BY position, id LIMIT 1",
            )
            .bind(customer)
            .fetch_optional(&self.read)
            .await?;
            if let Some((phone,)) = row {
                return Ok(Some(phone));
            }
        }
        if let Some(ticket) = &task.ticket_id {
            let row: Option<(Option<String>,)> =
                sqlx::query_as("SELECT contact_phone FROM tickets WHERE id = $1")
                    .bind(ticket)
                    .fetch_optional(&self.read)
                    .await?;
            return Ok(row.and_then(|(p,)| p));
        }
        Ok(None)
    }

    /// How many tasks exist (all states), for tests and the benchmark.
    pub async fn count_all_callback_tasks(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM callback_tasks")
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }
}
