//! The queues: which counters a ticket adds to (kept by every write, rebuilt on demand)
//! and the pages of each queue, walked in index order to the page size.

use super::{local_day, local_offset, push_in_list, TicketSummaryRow, SUMMARY_SELECT};
use crate::{to_millis, Arg, Db, Page, Sql, StoreError, Tx};
use chrono::{NaiveDate, Utc};
use kefu_domain::queue::{counter_deltas, counter_key, Queue, QueueFacts};
use kefu_domain::ticket::TicketStatus;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Which tickets a queue holds, for whom.
#[derive(Debug, Clone)]
pub struct QueueQuery<'a> {
    pub queue: Queue,
    pub user_id: &'a str,
    /// The viewer's departments, with every department below them.
    pub departments: &'a [String],
    /// Today, in the center's local time (for "due today").
    pub today: NaiveDate,
}

/// The queue facts of a ticket as stored, read inside a write transaction.
pub(crate) async fn queue_facts_in(tx: &mut Tx<'_>, id: &str) -> Result<QueueFacts, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Facts {
        status: String,
        department_id: String,
        assignee_id: Option<String>,
        first_owner_id: Option<String>,
        overdue_since: Option<i64>,
        promise_due_at: Option<i64>,
    }
    let f: Facts = sqlx::query_as(
        "SELECT status, department_id, assignee_id, first_owner_id, overdue_since, \
         promise_due_at FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let tasks: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT department_id FROM ticket_tasks WHERE ticket_id = $1 AND state = 'open'",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(QueueFacts {
        status: TicketStatus::from_code(&f.status)
            .ok_or_else(|| StoreError::Corrupt(format!("ticket status {}", f.status)))?,
        department_id: f.department_id,
        assignee_id: f.assignee_id,
        first_owner_id: f.first_owner_id,
        overdue: f.overdue_since.is_some(),
        promise_due_day: f.promise_due_at.map(local_day),
        task_departments: tasks.into_iter().map(|(d,)| d).collect(),
    })
}

/// Applies the counter changes of one ticket going from `before` to `after`.
pub(crate) async fn apply_counter_deltas(
    tx: &mut Tx<'_>,
    before: Option<&QueueFacts>,
    after: &QueueFacts,
) -> Result<(), StoreError> {
    apply_counter_sums(tx, counter_deltas(before, after).into_iter().collect()).await
}

/// Adds each amount to its counter, in one statement (the keys are distinct, as
/// PostgreSQL's upsert requires).
pub(crate) async fn apply_counter_sums(
    tx: &mut Tx<'_>,
    sums: BTreeMap<String, i64>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("INSERT INTO queue_counts (key, n) VALUES ");
    let mut any = false;
    for (key, delta) in sums.into_iter().filter(|(_, d)| *d != 0) {
        if any {
            sql.push(", ");
        }
        any = true;
        sql.push_row([Arg::Text(key), Arg::Int(delta)]);
    }
    if !any {
        return Ok(());
    }
    sql.push(" ON CONFLICT (key) DO UPDATE SET n = queue_counts.n + excluded.n");
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// The counter keys a queue's badge adds up for a viewer.
pub fn queue_counter_keys(q: &QueueQuery<'_>) -> Vec<String> {
    match q.queue {
        Queue::Mine => vec![counter_key(Queue::Mine, q.user_id, None)],
        Queue::DueToday => q
            .departments
            .iter()
            .map(|d| counter_key(Queue::DueToday, d, Some(q.today)))
            .collect(),
        queue => q
            .departments
            .iter()
            .map(|d| counter_key(queue, d, None))
            .collect(),
    }
}

impl Db {
    /// One page of a queue. Id-ordered queues page by id, newest first (unassigned:
    /// oldest first, first come first served); overdue and due-today by deadline.
    #[tracing::instrument(skip_all, fields(queue = q.queue.code()))]
    pub async fn list_queue(
        &self,
        q: &QueueQuery<'_>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<TicketSummaryRow>, StoreError> {
        let mut sql = Sql::new(SUMMARY_SELECT);
        sql.push(" WHERE t.is_open = 1");
        enum Order {
            IdDesc,
            IdAsc,
            By(&'static str),
        }
        let order = match q.queue {
            Queue::Mine => {
                // Two index walks (assignee, first owner), each cut at the page size,
                // instead of an OR the planner might answer with a scan.
                sql.push(" AND t.id IN (");
                for (i, column) in ["assignee_id", "first_owner_id"].into_iter().enumerate() {
                    if i > 0 {
                        sql.push(" UNION ");
                    }
                    sql.push(&format!(
                        "SELECT id FROM (SELECT id FROM tickets WHERE {column} = "
                    ))
                    .bind_text(q.user_id)
                    .push(" AND is_open = 1");
                    if let Some(c) = cursor {
                        sql.push(" AND id < ").bind_text(c);
                    }
                    sql.push(" ORDER BY id DESC LIMIT ")
                        .bind_int(limit as i64 + 1)
                        .push(&format!(") m{i}"));
                }
                sql.push(")");
                Order::IdDesc
            }
            Queue::Group => {
                push_in_list(&mut sql, "t.department_id", q.departments);
                Order::IdDesc
            }
            Queue::Unassigned => {
                push_in_list(&mut sql, "t.department_id", q.departments);
                sql.push(" AND t.assignee_id IS NULL");
                Order::IdAsc
            }
            Queue::Overdue => {
                push_in_list(&mut sql, "t.department_id", q.departments);
                sql.push(" AND t.overdue_since IS NOT NULL");
                Order::By("t.overdue_since")
            }
            Queue::DueToday => {
                push_in_list(&mut sql, "t.department_id", q.departments);
                let start = q
                    .today
                    .and_hms_opt(0, 0, 0)
                    .and_then(|d| d.and_local_timezone(local_offset()).single())
                    .map(|d| to_millis(d.with_timezone(&Utc)))
                    .unwrap_or_default();
                sql.push(" AND t.promise_due_at >= ")
                    .bind_int(start)
                    .push(" AND t.promise_due_at < ")
                    .bind_int(start + 86_400_000);
                Order::By("t.promise_due_at")
            }
            Queue::WaitingDepartment => {
                push_in_list(&mut sql, "t.department_id", q.departments);
                sql.push(" AND t.status = 'waiting_department'");
                Order::IdDesc
            }
            Queue::Transferred => {
                sql.push(
                    " AND t.id IN (SELECT k.ticket_id FROM ticket_tasks k WHERE k.state = 'open'",
                );
                push_in_list(&mut sql, "k.department_id", q.departments);
                sql.push(")");
                Order::IdDesc
            }
        };
        let rows: Vec<TicketSummaryRow> = match order {
            Order::IdDesc | Order::IdAsc => {
                let desc = matches!(order, Order::IdDesc);
                if let Some(c) = cursor {
                    sql.push(if desc { " AND t.id < " } else { " AND t.id > " })
                        .bind_text(c);
                }
                sql.push(if desc {
                    " ORDER BY t.id DESC LIMIT "
                } else {
                    " ORDER BY t.id LIMIT "
                })
                .bind_int(limit as i64 + 1);
                let rows = sql.query_as().fetch_all(&self.read).await?;
                return Ok(Page::from_overfetch(rows, limit, |r: &TicketSummaryRow| {
                    r.id.clone()
                }));
            }
            Order::By(column) => {
                if let Some((at, id)) = cursor.and_then(|c| c.split_once(':')) {
                    let at: i64 = at.parse().unwrap_or_default();
                    sql.push(&format!(" AND ({column} > "))
                        .bind_int(at)
                        .push(&format!(" OR ({column} = "))
                        .bind_int(at)
                        .push(" AND t.id > ")
                        .bind_text(id)
                        .push("))");
                }
                sql.push(&format!(" ORDER BY {column}, t.id LIMIT "))
                    .bind_int(limit as i64 + 1);
                sql.query_as().fetch_all(&self.read).await?
            }
        };
        let key = q.queue;
        Ok(Page::from_overfetch(rows, limit, move |r| {
            let at = match key {
                Queue::Overdue => r.overdue_since,
                _ => r.promise_due_at,
            };
            format!("{}:{}", at.unwrap_or_default(), r.id)
        }))
    }

    /// The badge numbers of the given counter keys (absent keys are 0).
    pub async fn queue_counts(&self, keys: &[String]) -> Result<HashMap<String, i64>, StoreError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new("SELECT key, n FROM queue_counts WHERE 1 = 1");
        push_in_list(&mut sql, "key", keys);
        let rows: Vec<(String, i64)> = sql.query_as().fetch_all(&self.read).await?;
        Ok(rows.into_iter().collect())
    }
}

impl Db {
    /// Recounts every queue counter from the open tickets, with the same rule the writes
    /// use (for repairs, and after bulk loads that bypass the per-ticket path). Returns
    /// how many counters are non-zero.
    pub async fn rebuild_queue_counts(&self) -> Result<usize, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Open {
            id: String,
            status: String,
            department_id: String,
            assignee_id: Option<String>,
            first_owner_id: Option<String>,
            overdue_since: Option<i64>,
            promise_due_at: Option<i64>,
        }
        let mut tx = self.write.begin().await?;
        let mut counts: HashMap<String, i64> = HashMap::new();
        let mut after = String::new();
        loop {
            let rows: Vec<Open> = sqlx::query_as(
                "SELECT id, status, department_id, assignee_id, first_owner_id, overdue_since, \
                 promise_due_at FROM tickets WHERE is_open = 1 AND id > $1 ORDER BY id LIMIT 5000",
            )
            .bind(&after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let mut sql =
                Sql::new("SELECT ticket_id, department_id FROM ticket_tasks WHERE state = 'open'");
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            push_in_list(&mut sql, "ticket_id", &ids);
            let tasks: Vec<(String, String)> = sql.query_as().fetch_all(&mut *tx).await?;
            let mut by_ticket: HashMap<String, BTreeSet<String>> = HashMap::new();
            for (ticket, dept) in tasks {
                by_ticket.entry(ticket).or_default().insert(dept);
            }
            for r in rows {
                let facts = QueueFacts {
                    status: TicketStatus::from_code(&r.status).ok_or_else(|| {
                        StoreError::Corrupt(format!("ticket status {}", r.status))
                    })?,
                    task_departments: by_ticket.remove(&r.id).unwrap_or_default(),
                    department_id: r.department_id,
                    assignee_id: r.assignee_id,
                    first_owner_id: r.first_owner_id,
                    overdue: r.overdue_since.is_some(),
                    promise_due_day: r.promise_due_at.map(local_day),
                };
                for key in kefu_domain::queue::counter_keys(&facts) {
                    *counts.entry(key).or_default() += 1;
                }
            }
        }
        sqlx::query("DELETE FROM queue_counts")
            .execute(&mut *tx)
            .await?;
        for (key, n) in &counts {
            sqlx::query("INSERT INTO queue_counts (key, n) VALUES ($1, $2)")
                .bind(key)
                .bind(n)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counts.len())
    }

    /// Every non-zero counter (for checks and repairs).
    pub async fn all_queue_counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT key, n FROM queue_counts WHERE n <> 0")
                .fetch_all(&self.read)
                .await?;
        Ok(rows.into_iter().collect())
    }
}
