//! What clients send and get back for tickets.

use super::super::{rfc3339, short_time};
use crate::app::customers::mask_contact;
use kefu_store::tickets::{TicketDetail, TicketEventRow, TicketSummaryRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Open a ticket. `type`: consultation, inquiry, complaint, suggestion, repair,
/// return_exchange, bug, feature. `channel` (default phone): phone, web_form, chat, email,
/// sms, walk_in, api. `priority` (default normal): low, normal, high, urgent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketPayload {
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub subject: String,
    pub description: Option<String>,
    /// When it happened (RFC 3339).
    pub occurred_at: Option<String>,
    pub place: Option<String>,
    /// People involved.
    pub people: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub customer_id: Option<String>,
    /// Default: the creator's department.
    pub department_id: Option<String>,
    /// Default true: the creator took the contact and becomes its first owner (首问负责).
    pub assign_to_me: Option<bool>,
    pub tags: Option<Vec<String>>,
    /// Open the ticket from this call (its caller and customer fill in what is left
    /// empty; the call is attached in the same transaction).
    pub call_id: Option<String>,
}

/// An action on the ticket page (each has its own API route).
#[derive(Debug, Clone)]
pub enum ActionPayload {
    Claim,
    Assign {
        assignee_id: Option<String>,
    },
    Status {
        action: String,
    },
    Reply {
        channel: String,
        body: String,
    },
    Note {
        body: String,
    },
    Transfer {
        department_id: String,
        request: String,
    },
    CompleteTask {
        task_id: String,
        result: String,
    },
    Escalate {
        to: String,
        reason: String,
    },
    Promise {
        text: String,
        due_at: Option<String>,
        within_hours: Option<f64>,
    },
    OverdueNotice {
        channel: Option<String>,
        progress: String,
        apology: String,
        promise_text: String,
        due_at: Option<String>,
        within_hours: Option<f64>,
    },
    Merge {
        into: String,
    },
    Link {
        other: String,
    },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ref {
    pub id: String,
    pub name: String,
}

fn reference(id: &Option<String>, name: &Option<String>) -> Option<Ref> {
    id.as_ref().map(|id| Ref {
        id: id.clone(),
        name: name.clone().unwrap_or_default(),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromiseView {
    pub text: String,
    pub due_at: String,
    pub made_by: Option<String>,
    pub made_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    pub department: Ref,
    /// open, done or cancelled
    pub state: String,
    pub request: String,
    pub result: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    pub id: String,
    pub number: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub subject: String,
    pub description: String,
    pub occurred_at: Option<String>,
    pub place: Option<String>,
    pub people: Option<String>,
    pub contact_name: Option<String>,
    /// Masked; reveal with `POST /api/v1/tickets/{id}/reveal`.
    pub contact_phone: Option<String>,
    pub customer: Option<Ref>,
    pub department: Ref,
    pub first_owner: Option<Ref>,
    pub assignee: Option<Ref>,
    pub escalated_to: Option<Ref>,
    pub first_response_due: Option<String>,
    pub first_responded_at: Option<String>,
    pub resolution_due: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub promise: Option<PromiseView>,
    pub overdue_since: Option<String>,
    pub overdue_count: i64,
    pub renewed_count: i64,
    /// The SLA clock is paused (waiting on the customer).
    pub paused: bool,
    pub merged_into: Option<String>,
    pub tags: Vec<String>,
    pub tasks: Vec<TaskView>,
    pub links: Vec<LinkView>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn ticket_view(d: &TicketDetail) -> TicketView {
    let t = &d.ticket;
    let time = |ms: Option<i64>| ms.map(rfc3339);
    TicketView {
        id: t.id.clone(),
        number: t.number.clone(),
        ticket_type: t.ticket_type.clone(),
        channel: t.channel.clone(),
        priority: t.priority.clone(),
        status: t.status.clone(),
        subject: t.subject.clone(),
        description: t.description.clone(),
        occurred_at: time(t.occurred_at),
        place: t.place.clone(),
        people: t.people.clone(),
        contact_name: t.contact_name.clone(),
        contact_phone: t
            .contact_phone
            .as_deref()
            .map(|p| mask_contact("mobile", p)),
        customer: reference(&t.customer_id, &t.customer_name),
        department: Ref {
            id: t.department_id.clone(),
            name: t.department_name.clone(),
        },
        first_owner: reference(&t.first_owner_id, &t.first_owner_name),
        assignee: reference(&t.assignee_id, &t.assignee_name),
        escalated_to: reference(&t.escalated_to_id, &t.escalated_to_name),
        first_response_due: time(t.first_response_due),
        first_responded_at: time(t.first_responded_at),
        resolution_due: time(t.resolution_due),
        resolved_at: time(t.resolved_at),
        closed_at: time(t.closed_at),
        promise: match (&t.promise_text, t.promise_due_at) {
            (Some(text), Some(due)) => Some(PromiseView {
                text: text.clone(),
                due_at: rfc3339(due),
                made_by: t.promise_by_name.clone(),
                made_at: time(t.promise_made_at),
            }),
            _ => None,
        },
        overdue_since: time(t.overdue_since),
        overdue_count: t.overdue_count,
        renewed_count: t.renewed_count,
        paused: t.paused_at.is_some(),
        merged_into: t.merged_into_id.clone(),
        tags: d.tags.clone(),
        tasks: d
            .tasks
            .iter()
            .map(|k| TaskView {
                id: k.id.clone(),
                department: Ref {
                    id: k.department_id.clone(),
                    name: k.department_name.clone(),
                },
                state: k.state.clone(),
                request: k.request.clone(),
                result: k.result.clone(),
                created_by: k.created_by_name.clone(),
                created_at: rfc3339(k.created_at),
                done_by: k.done_by_name.clone(),
                done_at: time(k.done_at),
            })
            .collect(),
        links: d
            .links
            .iter()
            .map(|l| LinkView {
                id: l.other_id.clone(),
                number: l.number.clone(),
                subject: l.subject.clone(),
                status: l.status.clone(),
            })
            .collect(),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketSummary {
    pub id: String,
    pub number: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub subject: String,
    pub customer: Option<String>,
    pub department: String,
    pub assignee: Option<String>,
    pub first_owner: Option<String>,
    pub promise_due_at: Option<String>,
    pub overdue: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub short_created: String,
    #[serde(skip)]
    pub short_due: String,
}

pub fn summary_view(r: &TicketSummaryRow) -> TicketSummary {
    TicketSummary {
        id: r.id.clone(),
        number: r.number.clone(),
        ticket_type: r.ticket_type.clone(),
        channel: r.channel.clone(),
        priority: r.priority.clone(),
        status: r.status.clone(),
        subject: r.subject.clone(),
        customer: r.customer_name.clone(),
        department: r.department_name.clone(),
        assignee: r.assignee_name.clone(),
        first_owner: r.first_owner_name.clone(),
        promise_due_at: r.promise_due_at.map(rfc3339),
        overdue: r.overdue_since.is_some(),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        short_created: short_time(r.created_at),
        short_due: r.promise_due_at.map(short_time).unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketList {
    pub items: Vec<TicketSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuePage {
    pub queue: String,
    /// From the queue's counter: instant however many tickets there are.
    pub count: i64,
    pub items: Vec<TicketSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueCount {
    pub queue: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketEventView {
    pub id: String,
    pub at: String,
    pub actor: Option<String>,
    /// created, assigned, status, reply, note, transferred, task_done, escalated, promise,
    /// overdue, overdue_notice, merged, merged_from, linked
    pub kind: String,
    /// For replies: the channel the customer was answered on.
    pub channel: Option<String>,
    pub body: Option<String>,
    /// The event's particulars (old and new values, promise, department …).
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
    /// Not shown to the customer.
    pub internal: bool,
    #[serde(skip)]
    pub short_at: String,
}

pub fn event_view(e: &TicketEventRow) -> TicketEventView {
    TicketEventView {
        id: e.id.clone(),
        at: rfc3339(e.at),
        actor: e.actor_name.clone(),
        kind: e.kind.clone(),
        channel: e.channel.clone(),
        body: e.body.clone(),
        detail: e
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok()),
        internal: e.internal != 0,
        short_at: short_time(e.at),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
    pub number: String,
}
