//! What customers do without logging in: open a ticket through the public web form, and
//! follow it on the status page by ticket number plus phone. Nothing here has a [`Ctx`]:
//! the caller is known only by address, which the rate limits count.
//!
//! [`Ctx`]: crate::auth::Ctx

pub mod limit;

use super::rfc3339;
use super::tickets::{opening_deadlines, optional, parse_text, MAX_BODY_CHARS, MAX_SUBJECT_CHARS};
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::customer::{ContactKind, ContactValue};
use kefu_domain::ticket::{Channel, Priority, TicketNumber, TicketType};
use kefu_domain::PhoneNumber;
use kefu_store::audit::Actor;
use kefu_store::tickets::{NewTicket, TicketEventRow};
use limit::Kind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The ticket types a customer may choose on the form (bugs and feature requests are
/// classified by staff).
pub const PUBLIC_TYPES: [TicketType; 6] = [
    TicketType::Consultation,
    TicketType::Inquiry,
    TicketType::Complaint,
    TicketType::Suggestion,
    TicketType::Repair,
    TicketType::ReturnExchange,
];

/// A ticket from the public web form. `type`: consultation, inquiry, complaint,
/// suggestion, repair, return_exchange.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicTicketPayload {
    pub name: String,
    /// Mobile or landline; the status page asks for it again.
    pub phone: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub subject: String,
    pub description: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCreated {
    pub number: String,
    /// The status page for this ticket (it asks for the phone number).
    pub status_url: String,
}

/// What the customer sees of a ticket: no staff names, no internal notes, no other
/// personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTicketView {
    pub number: String,
    pub status: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub created_at: String,
    pub promise: Option<PublicPromise>,
    pub timeline: Vec<PublicEvent>,
    #[serde(skip)]
    pub short_created: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPromise {
    pub text: String,
    pub due_at: String,
    #[serde(skip)]
    pub short_due: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicEvent {
    pub at: String,
    /// created, status, reply, promise, overdue_notice
    pub kind: String,
    /// Done by the service staff (shown as 客服, never by name).
    pub by_staff: bool,
    /// For status changes: the new status.
    pub status: Option<String>,
    /// What the customer was told: a reply, a promise, the progress of an overdue notice.
    pub body: Option<String>,
    /// An overdue notice's apology.
    pub apology: Option<String>,
    /// A promise's or an overdue notice's new deadline.
    pub due_at: Option<String>,
    #[serde(skip)]
    pub short_at: String,
    #[serde(skip)]
    pub short_due: String,
}

fn public_event(e: &TicketEventRow) -> PublicEvent {
    let detail: serde_json::Value = e
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let text = |key: &str| detail[key].as_str().map(str::to_string);
    let due = detail["due_at"].as_i64();
    let (status, body, apology, due) = match e.kind.as_str() {
        "status" => (text("to"), None, None, None),
        "reply" | "promise" => (None, e.body.clone(), None, due),
        "overdue_notice" => (None, e.body.clone(), text("apology"), due),
        _ => (None, None, None, None),
    };
    PublicEvent {
        at: rfc3339(e.at),
        kind: e.kind.clone(),
        by_staff: e.actor_id.is_some(),
        status,
        body,
        apology,
        due_at: due.map(rfc3339),
        short_at: super::short_time(e.at),
        short_due: due.map(super::short_time).unwrap_or_default(),
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::invalid("invalid_ticket", message)
}

fn parse_phone(raw: &str) -> Result<PhoneNumber, AppError> {
    PhoneNumber::parse(raw.trim()).map_err(|e| AppError::invalid("invalid_phone", e.to_string()))
}

/// The rate-limit key of a caller: their address, or one shared bucket when the
/// server cannot see it (then everyone without an address shares the limit).
fn client_key(addr: Option<&str>) -> &str {
    addr.unwrap_or("unknown")
}

/// Opens a ticket from the web form: channel web_form, no owner (it waits in the intake
/// department's unassigned queue; whoever claims it first becomes its first owner), the
/// customer matched by phone when exactly one customer has it.
pub async fn submit(
    state: &AppState,
    addr: Option<&str>,
    p: &PublicTicketPayload,
) -> Result<PublicCreated, AppError> {
    let now = state.clock().now();
    let ticket_type = TicketType::from_code(p.ticket_type.trim())
        .filter(|t| PUBLIC_TYPES.contains(t))
        .ok_or_else(|| invalid(format!("unknown type {}", p.ticket_type.trim())))?;
    let name = parse_text("name", &p.name, 100)?;
    let phone = parse_phone(&p.phone)?;
    let subject = parse_text("subject", &p.subject, MAX_SUBJECT_CHARS)?;
    let mut description =
        optional("description", p.description.as_deref(), MAX_BODY_CHARS)?.unwrap_or_default();
    if let Some(raw) = p.email.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let email = ContactValue::parse(ContactKind::Email, raw)
            .map_err(|e| AppError::invalid("invalid_email", e.to_string()))?;
        // Tickets have no e-mail field; the address goes where the agent reads first.
        let line = format!("E-mail: {}", email.value);
        description = if description.is_empty() {
            line
        } else {
            format!("{description}\n\n{line}")
        };
    }
    // Counted after validation, so a customer correcting a typo is not locked out.
    state
        .public_limiter()
        .check(Kind::NewTicket, client_key(addr), now)?;
    let intake = &state.config().public_intake_department;
    let department_id = state.db().intake_department(intake).await?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "no intake department: create {intake:?} or give someone ticket.write"
        ))
    })?;
    let matches = state.db().find_customers_by_contact(phone.as_str()).await?;
    let (customer_id, tier) = match matches.as_slice() {
        [one] => (Some(one.id.clone()), Some(one.tier.clone())),
        _ => (None, None),
    };
    let ticket = NewTicket {
        ticket_type,
        channel: Channel::WebForm,
        priority: Priority::Normal,
        subject,
        description,
        occurred_at: None,
        place: None,
        people: None,
        contact_name: Some(name),
        contact_phone: Some(phone.as_str().to_string()),
        customer_id,
        department_id,
        owner_id: None,
        tags: Vec::new(),
        call_id: None,
    };
    let deadlines =
        opening_deadlines(state, now, ticket_type, Priority::Normal, tier.as_deref()).await?;
    let actor = Actor {
        user_id: None,
        name: "web form".into(),
        client_addr: addr.map(str::to_string),
    };
    let (_, number) = state
        .db()
        .create_ticket(&actor, now, &ticket, &deadlines)
        .await?;
    Ok(PublicCreated {
        status_url: format!("/public/status?number={}", number.as_str()),
        number: number.as_str().to_string(),
    })
}

/// A ticket as its customer sees it. The phone must be the ticket's contact phone;
/// an unknown number and a wrong phone get the same `not_found`, so the page cannot
/// be used to find out which numbers exist.
pub async fn status(
    state: &AppState,
    addr: Option<&str>,
    number: &str,
    phone: &str,
) -> Result<PublicTicketView, AppError> {
    let now = state.clock().now();
    state
        .public_limiter()
        .check(Kind::Lookup, client_key(addr), now)?;
    let not_found = || AppError::NotFound("ticket");
    let number = TicketNumber::parse(number.trim()).ok_or_else(not_found)?;
    let phone = PhoneNumber::parse(phone.trim()).map_err(|_| not_found())?;
    let id = match state.db().ticket_id_by_number(&number).await {
        Ok(id) => id,
        Err(kefu_store::StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let detail = state.db().get_ticket(&id).await?;
    let t = &detail.ticket;
    if t.contact_phone.as_deref() != Some(phone.as_str()) {
        return Err(not_found());
    }
    let events = state.db().list_public_ticket_events(&id).await?;
    Ok(PublicTicketView {
        number: t.number.clone(),
        status: t.status.clone(),
        ticket_type: t.ticket_type.clone(),
        created_at: rfc3339(t.created_at),
        short_created: super::short_time(t.created_at),
        promise: match (&t.promise_text, t.promise_due_at) {
            (Some(text), Some(due)) => Some(PublicPromise {
                text: text.clone(),
                due_at: rfc3339(due),
                short_due: super::short_time(due),
            }),
            _ => None,
        },
        timeline: events.iter().map(public_event).collect(),
    })
}
