//! Writing tickets that already exist elsewhere — a migration from another help desk, or
//! benchmark data — many rows per statement. Each gets one `created` event and, when it
//! carries a promise, its deadline job (pending while open, done once closed). Queue
//! counters are not touched row by row: call [`Db::rebuild_queue_counts`] afterwards.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Db, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::ticket::{Channel, Priority, TicketStatus, TicketType};

/// A ticket as it stands.
#[derive(Debug, Clone)]
pub struct ExistingTicket {
    pub number: String,
    pub ticket_type: TicketType,
    pub channel: Channel,
    pub priority: Priority,
    pub status: TicketStatus,
    pub subject: String,
    /// What the customer reported (empty for none).
    pub description: String,
    /// The caller's name and phone as taken on the ticket.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub department_id: String,
    pub first_owner_id: Option<String>,
    pub assignee_id: Option<String>,
    pub promise: Option<(String, DateTime<Utc>)>,
    pub overdue_since: Option<DateTime<Utc>>,
    /// An open task for this department (the ticket waits on it).
    pub task_department: Option<String>,
    pub created_at: DateTime<Utc>,
}

const CHUNK: usize = 100;

impl Db {
    /// Writes the tickets in one transaction with one audit entry; returns how many.
    pub async fn insert_existing_tickets(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        rows: &[ExistingTicket],
    ) -> Result<u64, StoreError> {
        let backend = self.backend();
        let mut tx = self.write.begin().await?;
        let ids: Vec<String> = rows.iter().map(|_| new_id()).collect();
        for (chunk, ids) in rows.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
            let mut sql = Sql::for_backend(
                backend,
                "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
                 subject, description, contact_name, contact_phone, department_id, first_owner_id, assignee_id, promise_seq, promise_text, \
                 promise_due_at, overdue_since, overdue_count, resolved_at, closed_at, created_at, \
                 updated_at) VALUES ",
            );
            for (i, (t, id)) in chunk.iter().zip(ids).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let at = to_millis(t.created_at);
                let opt_text = |s: &Option<String>| match s {
                    Some(v) => crate::Arg::Text(v.clone()),
                    None => crate::Arg::Null,
                };
                let opt_int = |v: Option<i64>| match v {
                    Some(v) => crate::Arg::Int(v),
                    None => crate::Arg::NullInt,
                };
                let done = (!t.status.is_open()).then_some(at + 3_600_000);
                sql.push("(")
                    .bind_text(id.clone())
                    .push(", ")
                    .bind_text(t.number.clone())
                    .push(", ")
                    .bind_text(t.ticket_type.code())
                    .push(", ")
                    .bind_text(t.channel.code())
                    .push(", ")
                    .bind_text(t.priority.code())
                    .push(", ")
                    .bind_text(t.status.code())
                    .push(", ")
                    .bind_int(t.status.is_open() as i64)
                    .push(", ")
                    .bind_text(t.subject.clone())
                    .push(", ")
                    .bind_text(t.description.clone())
                    .push(", ")
                    .bind(opt_text(&t.contact_name))
                    .push(", ")
                    .bind(opt_text(&t.contact_phone))
                    .push(", ")
                    .bind_text(t.department_id.clone())
                    .push(", ")
                    .bind(opt_text(&t.first_owner_id))
                    .push(", ")
                    .bind(opt_text(&t.assignee_id))
                    .push(", ")
                    .bind_int(t.promise.is_some() as i64)
                    .push(", ")
                    .bind(opt_text(&t.promise.as_ref().map(|p| p.0.clone())))
                    .push(", ")
                    .bind(opt_int(t.promise.as_ref().map(|p| to_millis(p.1))))
                    .push(", ")
                    .bind(opt_int(t.overdue_since.map(to_millis)))
                    .push(", ")
                    .bind_int(t.overdue_since.is_some() as i64)
                    .push(", ")
                    .bind(opt_int(done))
                    .push(", ")
                    .bind(opt_int(done.filter(|_| t.status == TicketStatus::Closed)))
                    .push(", ")
                    .bind_int(at)
                    .push(", ")
                    .bind_int(done.unwrap_or(at))
                    .push(")");
            }
            sql.query().execute(&mut *tx).await?;

            let mut events = Sql::for_backend(
                backend,
                "INSERT INTO ticket_events (id, ticket_id, at, actor_id, kind, internal) VALUES ",
            );
            for (i, (t, id)) in chunk.iter().zip(ids).enumerate() {
                if i > 0 {
                    events.push(", ");
                }
                events
                    .push("(")
                    .bind_text(new_id())
                    .push(", ")
                    .bind_text(id.clone())
                    .push(", ")
                    .bind_int(to_millis(t.created_at))
                    .push(", ")
                    .bind(match &t.first_owner_id {
                        Some(u) => crate::Arg::Text(u.clone()),
                        None => crate::Arg::Null,
                    })
                    .push(", 'created', 0)");
            }
            events.query().execute(&mut *tx).await?;

            let promised: Vec<(&ExistingTicket, &String)> = chunk
                .iter()
                .zip(ids)
                .filter(|(t, _)| t.promise.is_some())
                .collect();
            if !promised.is_empty() {
                let mut jobs = Sql::for_backend(
                    backend,
                    "INSERT INTO jobs (id, kind, dedupe_key, payload, due_at, status, attempts, created_at, done_at) VALUES ",
                );
                for (i, (t, id)) in promised.iter().enumerate() {
                    if i > 0 {
                        jobs.push(", ");
                    }
                    let due = to_millis(t.promise.as_ref().map(|p| p.1).unwrap_or(t.created_at));
                    // A closed ticket's job has long fired; an overdue one fired at its due.
                    let fired = !t.status.is_open() || t.overdue_since.is_some();
                    jobs.push("(")
                        .bind_text(new_id())
                        .push(", ")
                        .bind_text(super::PROMISE_DUE_JOB)
                        .push(", ")
                        .bind_text(format!("promise:{id}:1"))
                        .push(", ")
                        .bind_text(serde_json::json!({ "ticket_id": id, "seq": 1 }).to_string())
                        .push(", ")
                        .bind_int(due)
                        .push(", ")
                        .bind_text(if fired { "done" } else { "pending" })
                        .push(", ")
                        .bind_int(fired as i64)
                        .push(", ")
                        .bind_int(to_millis(t.created_at))
                        .push(", ")
                        .bind(if fired {
                            crate::Arg::Int(due)
                        } else {
                            crate::Arg::NullInt
                        })
                        .push(")");
                }
                jobs.query().execute(&mut *tx).await?;
            }

            for (t, id) in chunk.iter().zip(ids) {
                if let Some(dept) = &t.task_department {
                    sqlx::query(
                        "INSERT INTO ticket_tasks (id, ticket_id, department_id, state, request, created_at) \
                         VALUES ($1, $2, $3, 'open', '', $4)",
                    )
                    .bind(new_id())
                    .bind(id)
                    .bind(dept)
                    .bind(to_millis(t.created_at))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        search_log::record_in(&mut tx, backend, Entity::Ticket, &ids, now).await?;
        let entry = NewAuditEntry::new(AuditAction::TicketCreated)
            .detail(format!("{} existing tickets written", rows.len()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(rows.len() as u64)
    }
}
