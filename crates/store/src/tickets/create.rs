//! Opening tickets: each one's number from its day's sequence, its first promise and
//! deadlines, its queues, and the job that watches the promise — one transaction for one
//! ticket or for a batch of them, one statement per table whatever the batch size (on
//! SQLite the creates waiting for the single writer are batched, see `group_commit`).

use super::timeline::{append_events, Event};
use super::{apply_counter_sums, local_offset};
use crate::audit::{append_many_in, Actor, NewAuditEntry};
use crate::jobs::{schedule_job_in, schedule_jobs_in, NewJob};
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Arg, Backend, Db, Sql, StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::queue::{counter_deltas, QueueFacts};
use kefu_domain::ticket::{Channel, Priority, TicketNumber, TicketStatus, TicketType};
use std::collections::BTreeMap;

/// A validated ticket, ready to be written.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub ticket_type: TicketType,
    pub channel: Channel,
    pub priority: Priority,
    pub subject: String,
    pub description: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub people: Option<String>,
    pub contact_name: Option<String>,
    /// Normalized.
    pub contact_phone: Option<String>,
    pub customer_id: Option<String>,
    pub department_id: String,
    /// Who took the contact (the first owner); `None` when it arrived without an agent.
    pub owner_id: Option<String>,
    pub tags: Vec<String>,
    /// The call this ticket is opened from; attached in the same transaction.
    pub call_id: Option<String>,
}

/// The deadlines the matching SLA policy gives a new ticket, computed on its calendar.
#[derive(Debug, Clone, Default)]
pub struct TicketDeadlines {
    pub sla_policy_id: Option<String>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    /// The reply promise made when the ticket is opened (e.g. 48 hours).
    pub promise: Option<(String, DateTime<Utc>)>,
}

/// The dedupe key and payload of the job that fires when promise `seq` falls due.
fn promise_job_key(ticket_id: &str, seq: i64) -> (String, String) {
    let key = format!("promise:{ticket_id}:{seq}");
    let payload = serde_json::json!({ "ticket_id": ticket_id, "seq": seq }).to_string();
    (key, payload)
}

/// A job that fires when a promise falls due.
pub(crate) async fn schedule_promise_job(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    ticket_id: &str,
    seq: i64,
    due: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (key, payload) = promise_job_key(ticket_id, seq);
    schedule_job_in(
        tx,
        now,
        &NewJob {
            kind: super::PROMISE_DUE_JOB,
            dedupe_key: Some(&key),
            payload: &payload,
            due_at: due,
        },
    )
    .await?;
    Ok(())
}

/// One ticket to open, with who opens it and when: an item of [`Db::create_tickets`].
#[derive(Debug, Clone)]
pub struct TicketToOpen {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub ticket: NewTicket,
    pub deadlines: TicketDeadlines,
}

/// What opening one ticket gives: its id and number.
pub type Opened = Result<(String, TicketNumber), StoreError>;

fn opt_text(s: Option<&str>) -> Arg {
    s.map_or(Arg::Null, |s| Arg::Text(s.to_string()))
}

fn opt_int(i: Option<i64>) -> Arg {
    i.map_or(Arg::NullInt, Arg::Int)
}

fn status_of(t: &NewTicket) -> TicketStatus {
    if t.owner_id.is_some() {
        TicketStatus::Assigned
    } else {
        TicketStatus::New
    }
}

/// Numbers for tickets opened on `days` (one entry per ticket, in order): each day's
/// sequence moves once by its count, and its tickets take the numbers in order, so the
/// numbers of a day stay consecutive.
async fn next_numbers(
    tx: &mut Tx<'_>,
    days: &[NaiveDate],
) -> Result<Vec<TicketNumber>, StoreError> {
    let mut counts: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for d in days {
        *counts.entry(*d).or_default() += 1;
    }
    let mut next: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (day, n) in counts {
        let (last,): (i64,) = sqlx::query_as(
            "INSERT INTO ticket_sequences (day, last) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET last = ticket_sequences.last + excluded.last \
             RETURNING last",
        )
        .bind(day.format("%Y%m%d").to_string())
        .bind(n)
        .fetch_one(&mut **tx)
        .await?;
        next.insert(day, last - n + 1);
    }
    Ok(days
        .iter()
        .map(|d| {
            let seq = next.get_mut(d).expect("counted above");
            *seq += 1;
            TicketNumber::new(*d, (*seq - 1) as u32)
        })
        .collect())
}

/// Writes `items` inside the caller's transaction; returns their ids and numbers in order.
/// Any failure fails them all (the caller rolls back).
pub(crate) async fn create_tickets_in(
    tx: &mut Tx<'_>,
    backend: Backend,
    items: &[&TicketToOpen],
) -> Result<Vec<(String, TicketNumber)>, StoreError> {
    let ids: Vec<String> = items.iter().map(|_| new_id()).collect();
    let days: Vec<NaiveDate> = items
        .iter()
        .map(|i| i.now.with_timezone(&local_offset()).date_naive())
        .collect();
    let numbers = next_numbers(tx, &days).await?;

    let mut sql = Sql::for_backend(
        backend,
        "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
         subject, description, occurred_at, place, people, contact_name, contact_phone, \
         customer_id, department_id, first_owner_id, assignee_id, sla_policy_id, \
         first_response_due, resolution_due, promise_seq, promise_text, promise_due_at, \
         promise_by_id, promise_made_at, created_by, created_at, updated_at) VALUES ",
    );
    for (i, ((item, id), number)) in items.iter().zip(&ids).zip(&numbers).enumerate() {
        let (t, d) = (&item.ticket, &item.deadlines);
        let at = to_millis(item.now);
        let promise = d.promise.as_ref();
        if i > 0 {
            sql.push(", ");
        }
        let args = [
            Arg::Text(id.clone()),
            Arg::Text(number.as_str().to_string()),
            Arg::Text(t.ticket_type.code().into()),
            Arg::Text(t.channel.code().into()),
            Arg::Text(t.priority.code().into()),
            Arg::Text(status_of(t).code().into()),
            Arg::Int(1),
            Arg::Text(t.subject.clone()),
            Arg::Text(t.description.clone()),
            opt_int(t.occurred_at.map(to_millis)),
            opt_text(t.place.as_deref()),
            opt_text(t.people.as_deref()),
            opt_text(t.contact_name.as_deref()),
            opt_text(t.contact_phone.as_deref()),
            opt_text(t.customer_id.as_deref()),
            Arg::Text(t.department_id.clone()),
            opt_text(t.owner_id.as_deref()),
            opt_text(t.owner_id.as_deref()),
            opt_text(d.sla_policy_id.as_deref()),
            opt_int(d.first_response_due.map(to_millis)),
            opt_int(d.resolution_due.map(to_millis)),
            Arg::Int(i64::from(promise.is_some())),
            opt_text(promise.map(|(text, _)| text.as_str())),
            opt_int(promise.map(|(_, due)| to_millis(*due))),
            opt_text(promise.and(t.owner_id.as_deref())),
            opt_int(promise.map(|_| at)),
            opt_text(item.actor.user_id.as_deref()),
            Arg::Int(at),
            Arg::Int(at),
        ];
        sql.push_row(args);
    }
    sql.query().execute(&mut **tx).await?;

    let tags: Vec<(&String, &String)> = items
        .iter()
        .zip(&ids)
        .flat_map(|(item, id)| item.ticket.tags.iter().map(move |tag| (id, tag)))
        .collect();
    if !tags.is_empty() {
        let mut sql = Sql::for_backend(backend, "INSERT INTO ticket_tags (ticket_id, tag) VALUES ");
        for (i, (id, tag)) in tags.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_row([Arg::Text(id.clone()), Arg::Text(tag.clone())]);
        }
        sql.query().execute(&mut **tx).await?;
    }

    // The created event, then the promise event, each public; then the promise jobs.
    let details: Vec<(serde_json::Value, Option<serde_json::Value>)> = items
        .iter()
        .map(|item| {
            let t = &item.ticket;
            let created = serde_json::json!({
                "type": t.ticket_type.code(),
                "channel": t.channel.code(),
                "priority": t.priority.code(),
                "subject": t.subject,
            });
            let promise = item
                .deadlines
                .promise
                .as_ref()
                .map(|(_, due)| serde_json::json!({ "due_at": to_millis(*due), "seq": 1 }));
            (created, promise)
        })
        .collect();
    let mut events = Vec::with_capacity(items.len() * 2);
    let mut promised = Vec::with_capacity(items.len());
    for ((item, id), (created, promise)) in items.iter().zip(&ids).zip(details) {
        events.push(
            Event::new(id, &item.actor, item.now, "created")
                .detail(created)
                .public(),
        );
        if let (Some((text, due)), Some(detail)) = (&item.deadlines.promise, promise) {
            events.push(
                Event::new(id, &item.actor, item.now, "promise")
                    .body(text)
                    .detail(detail)
                    .public(),
            );
            promised.push((item.now, *due, promise_job_key(id, 1)));
        }
    }
    append_events(tx, backend, &events).await?;
    let contacts: Vec<(&str, &str)> = items
        .iter()
        .filter_map(|i| {
            Some((
                i.ticket.customer_id.as_deref()?,
                i.ticket.owner_id.as_deref()?,
            ))
        })
        .collect();
    if let Some(at) = items.iter().map(|i| i.now).max() {
        crate::contact_tasks::close_by_tickets_in(tx, backend, at, &contacts).await?;
    }
    let jobs: Vec<(DateTime<Utc>, NewJob<'_>)> = promised
        .iter()
        .map(|(now, due, (key, payload))| {
            let job = NewJob {
                kind: super::PROMISE_DUE_JOB,
                dedupe_key: Some(key),
                payload,
                due_at: *due,
            };
            (*now, job)
        })
        .collect();
    schedule_jobs_in(tx, backend, &jobs).await?;
    for (item, id) in items.iter().zip(&ids) {
        if let Some(call_id) = &item.ticket.call_id {
            crate::calls::attach_call_ticket_in(tx, &item.actor, item.now, call_id, id).await?;
        }
    }

    // The new tickets' queues follow from what was just written: no read back.
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for item in items {
        let t = &item.ticket;
        let facts = QueueFacts {
            status: status_of(t),
            department_id: t.department_id.clone(),
            assignee_id: t.owner_id.clone(),
            first_owner_id: t.owner_id.clone(),
            overdue: false,
            promise_due_day: item
                .deadlines
                .promise
                .as_ref()
                .map(|(_, due)| super::local_day(to_millis(*due))),
            task_departments: Default::default(),
        };
        for (key, delta) in counter_deltas(None, &facts) {
            *sums.entry(key).or_default() += delta;
        }
    }
    apply_counter_sums(tx, sums).await?;

    let changes: Vec<(&str, i64)> = items
        .iter()
        .zip(&ids)
        .map(|(item, id)| (id.as_str(), to_millis(item.now)))
        .collect();
    search_log::record_changes_in(tx, backend, Entity::Ticket, &changes).await?;

    let entries: Vec<(&Actor, DateTime<Utc>, NewAuditEntry)> = items
        .iter()
        .zip(ids.iter().zip(&numbers))
        .map(|(item, (id, number))| {
            let entry = NewAuditEntry::new(AuditAction::TicketCreated)
                .subject("ticket", id.clone())
                .detail(number.as_str());
            (&item.actor, item.now, entry)
        })
        .collect();
    let entries: Vec<(&Actor, DateTime<Utc>, &NewAuditEntry)> =
        entries.iter().map(|(a, at, e)| (*a, *at, e)).collect();
    append_many_in(tx, backend, &entries).await?;
    Ok(ids.into_iter().zip(numbers).collect())
}

/// Where ticket creates wait for SQLite's writer (see `group_commit`).
pub(crate) type CreateQueue = crate::group_commit::GroupCommit<TicketToOpen, Opened>;

/// The most tickets one group-committed transaction takes.
pub(crate) const CREATE_BATCH: usize = 64;

impl Db {
    /// Opens a ticket; returns its id and number. On SQLite the create joins the others
    /// waiting for the writer and commits with them (see `group_commit`); it succeeds or
    /// fails on its own either way.
    #[tracing::instrument(skip_all)]
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        t: &NewTicket,
        deadlines: &TicketDeadlines,
    ) -> Result<(String, TicketNumber), StoreError> {
        let item = TicketToOpen {
            actor: actor.clone(),
            now,
            ticket: t.clone(),
            deadlines: deadlines.clone(),
        };
        match &self.ticket_queue {
            Some(queue) => match queue.submit(item).await {
                Ok(opened) => opened,
                Err(Some(item)) => self.create_tickets(&[item]).await.remove(0),
                Err(None) => Err(StoreError::Database(sqlx::Error::WorkerCrashed)),
            },
            None => self.create_tickets(&[item]).await.remove(0),
        }
    }

    /// Opens the tickets in one transaction; one result each, in order. A ticket the
    /// database refuses (an unknown customer, say) fails alone: when the batch fails,
    /// each ticket is written again in a transaction of its own. Every day's numbers stay
    /// consecutive, as a failed attempt is rolled back whole. Meant for batches of tens
    /// (group commit passes at most 64): every ticket adds 29 bound values to one statement.
    #[tracing::instrument(skip_all, fields(n = items.len()))]
    pub async fn create_tickets(&self, items: &[TicketToOpen]) -> Vec<Opened> {
        let all: Vec<&TicketToOpen> = items.iter().collect();
        match self.write_tickets(&all).await {
            Ok(opened) => opened.into_iter().map(Ok).collect(),
            Err(e) if items.len() == 1 => vec![Err(e)],
            Err(_) => {
                let mut results = Vec::with_capacity(items.len());
                for item in items {
                    results.push(self.write_tickets(&[item]).await.map(|mut v| v.remove(0)));
                }
                results
            }
        }
    }

    async fn write_tickets(
        &self,
        items: &[&TicketToOpen],
    ) -> Result<Vec<(String, TicketNumber)>, StoreError> {
        let mut tx = self.write.begin().await?;
        let opened = create_tickets_in(&mut tx, self.backend(), items).await?;
        tx.commit().await?;
        Ok(opened)
    }
}
