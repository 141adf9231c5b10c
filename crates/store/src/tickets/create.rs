//! Opening a ticket: its number from the day's sequence, its first promise and deadlines,
//! its queues, and the job that watches the promise — one transaction.

use super::{apply_counter_deltas, local_offset};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::jobs::{schedule_job_in, NewJob};
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::ticket::{Channel, Priority, TicketNumber, TicketStatus, TicketType};

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

/// A job that fires when a promise falls due.
pub(crate) async fn schedule_promise_job(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    ticket_id: &str,
    seq: i64,
    due: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = format!("promise:{ticket_id}:{seq}");
    let payload = serde_json::json!({ "ticket_id": ticket_id, "seq": seq }).to_string();
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

impl Db {
    /// Opens a ticket; returns its id and number.
    #[tracing::instrument(skip_all)]
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        t: &NewTicket,
        deadlines: &TicketDeadlines,
    ) -> Result<(String, TicketNumber), StoreError> {
        let id = new_id();
        let day = now.with_timezone(&local_offset()).date_naive();
        let mut tx = self.write.begin().await?;
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO ticket_sequences (day, last) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last = ticket_sequences.last + 1 RETURNING last",
        )
        .bind(day.format("%Y%m%d").to_string())
        .fetch_one(&mut *tx)
        .await?;
        let number = TicketNumber::new(day, seq as u32);
        let status = if t.owner_id.is_some() {
            TicketStatus::Assigned
        } else {
            TicketStatus::New
        };
        let at = to_millis(now);
        let promise = deadlines.promise.as_ref();
        sqlx::query(
            "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
             subject, description, occurred_at, place, people, contact_name, contact_phone, \
             customer_id, department_id, first_owner_id, assignee_id, sla_policy_id, \
             first_response_due, resolution_due, promise_seq, promise_text, promise_due_at, \
             promise_by_id, promise_made_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $26)",
        )
        .bind(&id)
        .bind(number.as_str())
        .bind(t.ticket_type.code())
        .bind(t.channel.code())
        .bind(t.priority.code())
        .bind(status.code())
        .bind(&t.subject)
        .bind(&t.description)
        .bind(t.occurred_at.map(to_millis))
        .bind(t.place.as_deref())
        .bind(t.people.as_deref())
        .bind(t.contact_name.as_deref())
        .bind(t.contact_phone.as_deref())
        .bind(t.customer_id.as_deref())
        .bind(&t.department_id)
        .bind(t.owner_id.as_deref())
        .bind(deadlines.sla_policy_id.as_deref())
        .bind(deadlines.first_response_due.map(to_millis))
        .bind(deadlines.resolution_due.map(to_millis))
        .bind(if promise.is_some() { 1i64 } else { 0 })
        .bind(promise.map(|(text, _)| text.as_str()))
        .bind(promise.map(|(_, due)| to_millis(*due)))
        .bind(promise.and(t.owner_id.as_deref()))
        .bind(promise.map(|_| at))
        .bind(actor.user_id.as_deref())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        for tag in &t.tags {
            sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
                .bind(&id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "type": t.ticket_type.code(),
            "channel": t.channel.code(),
            "priority": t.priority.code(),
            "subject": t.subject,
        });
        super::timeline::append_event(
            &mut tx,
            &super::timeline::Event::new(&id, actor, now, "created")
                .detail(detail)
                .public(),
        )
        .await?;
        if let Some((text, due)) = promise {
            super::timeline::append_event(
                &mut tx,
                &super::timeline::Event::new(&id, actor, now, "promise")
                    .body(text)
                    .detail(serde_json::json!({ "due_at": to_millis(*due), "seq": 1 }))
                    .public(),
            )
            .await?;
            schedule_promise_job(&mut tx, now, &id, 1, *due).await?;
        }
        if let Some(call_id) = &t.call_id {
            crate::calls::attach_call_ticket_in(&mut tx, actor, now, call_id, &id).await?;
        }
        // The new ticket's queues follow from what was just written: no read back.
        let facts = kefu_domain::queue::QueueFacts {
            status,
            department_id: t.department_id.clone(),
            assignee_id: t.owner_id.clone(),
            first_owner_id: t.owner_id.clone(),
            overdue: false,
            promise_due_day: promise.map(|(_, due)| super::local_day(to_millis(*due))),
            task_departments: Default::default(),
        };
        apply_counter_deltas(&mut tx, None, &facts).await?;
        search_log::record_in(
            &mut tx,
            self.backend(),
            Entity::Ticket,
            std::slice::from_ref(&id),
            now,
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::TicketCreated)
            .subject("ticket", id.clone())
            .detail(number.as_str());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok((id, number))
    }
}
