//! Work orders: who may see and change which ticket, validated creation with the SLA's
//! deadlines and opening promise, the queues, and every change on the ticket page.

mod attachments;
pub mod sla;
mod views;

pub use attachments::{attach, attachment_view, file, AttachmentView};

pub use views::*;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::customer::{parse_optional_text, parse_tags};
use kefu_domain::queue::Queue;
use kefu_domain::ticket::{
    permits, AccessFacts, Channel, Priority, Refusal, StatusAction, TicketAction, TicketNumber,
    TicketType, Viewer,
};
use kefu_domain::{Permission, PhoneNumber};
use kefu_store::tickets::{
    queue_counter_keys, QueueQuery, ResumedDeadlines, TicketChange, TicketDetail, TicketFilter,
    TicketSummaryRow,
};
use kefu_store::{from_millis, Page};
use std::collections::BTreeSet;

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;

/// The viewer's departments with every department below them.
pub async fn scope_of(state: &AppState, ctx: &Ctx) -> Result<BTreeSet<String>, AppError> {
    Ok(state.db().department_scope(&ctx.departments).await?)
}

fn viewer<'a>(ctx: &'a Ctx, scope: &'a BTreeSet<String>) -> Viewer<'a> {
    Viewer {
        user_id: &ctx.user_id,
        scope,
        can_write: ctx.can(Permission::TicketWrite),
        can_supervise: ctx.can(Permission::TicketSupervise),
    }
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotVisible => AppError::NotFound("ticket"),
        Refusal::AlreadyTaken => AppError::conflict(r.code(), r.to_string()),
        r => AppError::Refused {
            code: r.code(),
            message: r.to_string(),
        },
    }
}

/// Loads a ticket the viewer may see, and checks they may do `action` to it.
pub async fn load_checked(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: Option<TicketAction>,
) -> Result<(TicketDetail, BTreeSet<String>), AppError> {
    ctx.require(Permission::TicketRead)?;
    let detail = match state.db().get_ticket(id).await {
        Ok(d) => d,
        Err(kefu_store::StoreError::NotFound) => return Err(AppError::NotFound("ticket")),
        Err(e) => return Err(e.into()),
    };
    let scope = scope_of(state, ctx).await?;
    let depts = detail.task_departments();
    let facts = AccessFacts {
        department_id: &detail.ticket.department_id,
        first_owner_id: detail.ticket.first_owner_id.as_deref(),
        assignee_id: detail.ticket.assignee_id.as_deref(),
        task_departments: &depts,
    };
    let v = viewer(ctx, &scope);
    let standing = kefu_domain::ticket::standing(&v, &facts);
    if standing == kefu_domain::ticket::Standing::Outsider {
        return Err(AppError::NotFound("ticket"));
    }
    if let Some(action) = action {
        permits(&v, &facts, action).map_err(refused)?;
    }
    Ok((detail, scope))
}

/// A ticket found by id or by number (`GD20261128-0007`).
pub async fn resolve_ref(state: &AppState, reference: &str) -> Result<String, AppError> {
    match TicketNumber::parse(reference) {
        Some(number) => match state.db().ticket_id_by_number(&number).await {
            Ok(id) => Ok(id),
            Err(kefu_store::StoreError::NotFound) => Err(AppError::invalid(
                "unknown_ticket",
                format!("no ticket {}", number.as_str()),
            )),
            Err(e) => Err(e.into()),
        },
        None => Ok(reference.trim().to_string()),
    }
}

fn parse_code<T>(
    field: &'static str,
    raw: Option<&str>,
    default: Option<T>,
    from: fn(&str) -> Option<T>,
) -> Result<T, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => from(code)
            .ok_or_else(|| AppError::invalid("invalid_ticket", format!("unknown {field} {code}"))),
        None => default
            .ok_or_else(|| AppError::invalid("invalid_ticket", format!("{field} is required"))),
    }
}

pub(crate) fn parse_text(field: &'static str, raw: &str, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::invalid(
            "invalid_ticket",
            format!("{field} must not be empty"),
        ));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid(
            "invalid_ticket",
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(s.to_string())
}

pub(crate) fn optional(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    parse_optional_text(field, raw, max)
        .map_err(|e| AppError::invalid("invalid_ticket", e.to_string()))
}

fn parse_time(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                AppError::invalid(
                    "invalid_time",
                    format!("{field} must be RFC 3339, e.g. 2026-11-28T09:30:00+08:00"),
                )
            }),
    }
}

/// Opens a ticket. The creator takes the contact and becomes its first owner unless
/// `assign_to_me` is false.
pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &NewTicketPayload,
) -> Result<(String, TicketNumber), AppError> {
    let item = prepare(state, ctx, p).await?;
    Ok(state
        .db()
        .create_ticket(&item.actor, item.now, &item.ticket, &item.deadlines)
        .await?)
}

/// Validates a new ticket and computes its SLA deadlines, ready to be opened (alone, or
/// with the complaint registered on it).
pub(crate) async fn prepare(
    state: &AppState,
    ctx: &Ctx,
    p: &NewTicketPayload,
) -> Result<kefu_store::tickets::TicketToOpen, AppError> {
    ctx.require(Permission::TicketWrite)?;
    let now = state.clock().now();
    let ticket_type = parse_code("type", Some(&p.ticket_type), None, TicketType::from_code)?;
    let channel = parse_code(
        "channel",
        p.channel.as_deref(),
        Some(Channel::Phone),
        Channel::from_code,
    )?;
    let priority = parse_code(
        "priority",
        p.priority.as_deref(),
        Some(Priority::Normal),
        Priority::from_code,
    )?;
    let subject = parse_text("subject", &p.subject, MAX_SUBJECT_CHARS)?;
    let description =
        optional("description", p.description.as_deref(), MAX_BODY_CHARS)?.unwrap_or_default();
    // A ticket opened from a call takes the caller and the matched customer.
    let call = match p.call_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => match state.db().get_call(id).await {
            Ok(c) => Some(c),
            Err(kefu_store::StoreError::NotFound) => {
                return Err(AppError::invalid("unknown_call", format!("no call {id}")))
            }
            Err(e) => return Err(e.into()),
        },
    };
    let mut p = p.clone();
    if let Some(c) = &call {
        if p.contact_phone
            .as_deref()
            .unwrap_or_default()
            .trim()
            .is_empty()
        {
            p.contact_phone = c.caller.clone();
        }
        if p.customer_id.as_deref().unwrap_or_default().is_empty() {
            p.customer_id = c.customer_id.clone();
        }
    }
    let p = &p;
    let contact_phone = match p
        .contact_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => Some(
            PhoneNumber::parse(raw)
                .map_err(|e| AppError::invalid("invalid_phone", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    let tier = match p.customer_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => match state.db().get_customer(id).await {
            Ok(c) => Some(c.core.tier),
            Err(kefu_store::StoreError::NotFound) => {
                return Err(AppError::invalid(
                    "unknown_customer",
                    format!("no customer {id}"),
                ))
            }
            Err(e) => return Err(e.into()),
        },
    };
    let direct = &ctx.departments;
    let department_id = match p.department_id.as_deref().filter(|s| !s.is_empty()) {
        Some(d) => {
            let scope = state.db().department_scope(direct).await?;
            if !scope.contains(d) && !ctx.can(Permission::TicketSupervise) {
                return Err(AppError::invalid(
                    "department_not_yours",
                    "open tickets in your own department; transfer them to others",
                ));
            }
            d.to_string()
        }
        None => direct.first().cloned().ok_or_else(|| {
            AppError::invalid(
                "department_required",
                "you hold no position; name the department",
            )
        })?,
    };
    let ticket = kefu_store::tickets::NewTicket {
        ticket_type,
        channel,
        priority,
        subject,
        description,
        occurred_at: parse_time("occurred_at", p.occurred_at.as_deref())?,
        place: optional("place", p.place.as_deref(), 200)?,
        people: optional("people", p.people.as_deref(), 200)?,
        contact_name: optional("contact_name", p.contact_name.as_deref(), 100)?,
        contact_phone,
        customer_id: p.customer_id.clone().filter(|s| !s.is_empty()),
        department_id,
        owner_id: p.assign_to_me.unwrap_or(true).then(|| ctx.user_id.clone()),
        tags: parse_tags(p.tags.as_deref().unwrap_or_default())
            .map_err(|e| AppError::invalid("invalid_ticket", e.to_string()))?,
        call_id: call.map(|c| c.id),
    };
    let deadlines = opening_deadlines(state, now, ticket_type, priority, tier.as_deref()).await?;
    Ok(kefu_store::tickets::TicketToOpen {
        actor: ctx.actor(),
        now,
        ticket,
        deadlines,
    })
}

/// The SLA deadlines and the opening reply promise of a new ticket.
pub(crate) async fn opening_deadlines(
    state: &AppState,
    now: DateTime<Utc>,
    ticket_type: TicketType,
    priority: Priority,
    tier: Option<&str>,
) -> Result<kefu_store::tickets::TicketDeadlines, AppError> {
    let plan = sla::plan_for(state, ticket_type, priority, tier).await?;
    let hours = plan.reply_promise.num_hours().to_string();
    let promise_text = state
        .i18n()
        .tr(crate::i18n::Lang::ZhCn)
        .f("ticket.default_promise", &[("hours", &hours)]);
    Ok(plan.deadlines(now, promise_text))
}

/// When a promise or deadline is given as "within N working hours", or as an instant.
fn due_from(
    calendar: &kefu_domain::calendar::BusinessCalendar,
    now: DateTime<Utc>,
    due_at: Option<&str>,
    within_hours: Option<f64>,
) -> Result<DateTime<Utc>, AppError> {
    match (parse_time("due_at", due_at)?, within_hours) {
        (Some(t), None) => Ok(t),
        (None, Some(h)) if h > 0.0 && h <= 24.0 * 366.0 => calendar
            .add_working(now, Duration::minutes((h * 60.0).round() as i64))
            .ok_or_else(|| {
                AppError::invalid("invalid_promise", "the calendar has no working time then")
            }),
        _ => Err(AppError::invalid(
            "invalid_promise",
            "give either due_at (RFC 3339) or within_hours (working hours, > 0)",
        )),
    }
}

/// Performs one action on the ticket page.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: &ActionPayload,
) -> Result<(), AppError> {
    let (access, change) = match action {
        ActionPayload::Note { body } => (
            TicketAction::Note,
            TicketChange::Note {
                body: parse_text("body", body, MAX_BODY_CHARS)?,
            },
        ),
        ActionPayload::Claim => (
            TicketAction::Claim,
            TicketChange::Assign {
                to: Some(ctx.user_id.clone()),
            },
        ),
        ActionPayload::Assign { assignee_id } => (
            TicketAction::Assign,
            TicketChange::Assign {
                to: assignee_id.clone().filter(|s| !s.is_empty()),
            },
        ),
        ActionPayload::CompleteTask { task_id, result } => (
            TicketAction::Note,
            TicketChange::CompleteTask {
                task_id: task_id.clone(),
                result: parse_text("result", result, MAX_BODY_CHARS)?,
            },
        ),
        ActionPayload::Merge { into } => (
            TicketAction::Merge,
            TicketChange::Merge {
                into: resolve_ref(state, into).await?,
            },
        ),
        other => (
            TicketAction::Work,
            work_change(state, ctx, id, other).await?,
        ),
    };
    let (detail, scope) = load_checked(state, ctx, id, Some(access)).await?;
    if let TicketChange::CompleteTask { task_id, .. } = &change {
        // Answering a task is for the department it was transferred to (or the ticket's own).
        let task = detail.tasks.iter().find(|t| &t.id == task_id);
        if let Some(task) = task {
            if !scope.contains(&task.department_id) && !scope.contains(&detail.ticket.department_id)
            {
                return Err(AppError::Refused {
                    code: "not_your_task",
                    message: "this task belongs to another department".into(),
                });
            }
        }
    }
    if let TicketChange::Merge { into } | TicketChange::Link { other: into } = &change {
        // The other ticket must be visible too.
        load_checked(state, ctx, into, None).await.map_err(|_| {
            AppError::invalid(
                "unknown_ticket",
                "the other ticket does not exist or is not visible to you",
            )
        })?;
    }
    let mut change = change;
    if let TicketChange::Status { action, resumed } = &mut change {
        *resumed = resumed_deadlines(state, &detail, *action).await?;
    }
    state
        .db()
        .change_ticket(
            &ctx.actor(),
            state.clock().now(),
            &detail.ticket.id,
            &change,
        )
        .await?;
    Ok(())
}

async fn work_change(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: &ActionPayload,
) -> Result<TicketChange, AppError> {
    let now = state.clock().now();
    Ok(match action {
        ActionPayload::Status { action } => TicketChange::Status {
            action: parse_status_action(action)?,
            resumed: None,
        },
        ActionPayload::Reply { channel, body } => TicketChange::Reply {
            channel: parse_code("channel", Some(channel), None, Channel::from_code)?,
            body: parse_text("body", body, MAX_BODY_CHARS)?,
        },
        ActionPayload::Transfer {
            department_id,
            request,
        } => TicketChange::Transfer {
            department_id: department_id.clone(),
            request: parse_text("request", request, MAX_BODY_CHARS)?,
        },
        ActionPayload::Escalate { to, reason } => TicketChange::Escalate {
            to: to.clone(),
            reason: parse_text("reason", reason, MAX_BODY_CHARS)?,
        },
        ActionPayload::Promise {
            text,
            due_at,
            within_hours,
        } => {
            let calendar = ticket_calendar(state, ctx, id).await?;
            TicketChange::Promise {
                text: parse_text("text", text, 500)?,
                due: due_from(&calendar, now, due_at.as_deref(), *within_hours)?,
            }
        }
        ActionPayload::OverdueNotice {
            channel,
            progress,
            apology,
            promise_text,
            due_at,
            within_hours,
        } => {
            let calendar = ticket_calendar(state, ctx, id).await?;
            TicketChange::OverdueNotice {
                channel: parse_code(
                    "channel",
                    channel.as_deref(),
                    Some(Channel::Phone),
                    Channel::from_code,
                )?,
                progress: parse_text("progress", progress, MAX_BODY_CHARS)?,
                apology: parse_text("apology", apology, 2000)?,
                promise_text: parse_text("promise_text", promise_text, 500)?,
                due: due_from(&calendar, now, due_at.as_deref(), *within_hours)?,
            }
        }
        ActionPayload::Link { other } => TicketChange::Link {
            other: resolve_ref(state, other).await?,
        },
        ActionPayload::Note { .. }
        | ActionPayload::Claim
        | ActionPayload::Assign { .. }
        | ActionPayload::CompleteTask { .. }
        | ActionPayload::Merge { .. } => unreachable!("handled by act"),
    })
}

async fn ticket_calendar(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<kefu_domain::calendar::BusinessCalendar, AppError> {
    let (detail, _) = load_checked(state, ctx, id, None).await?;
    Ok(
        sla::calendar_for(state, detail.ticket.sla_policy_id.as_deref())
            .await?
            .0,
    )
}

fn parse_status_action(code: &str) -> Result<StatusAction, AppError> {
    Ok(match code {
        "start" => StatusAction::Start,
        "wait_customer" => StatusAction::WaitForCustomer,
        "wait_department" => StatusAction::WaitForDepartment,
        "resume" => StatusAction::Resume,
        "resolve" => StatusAction::Resolve,
        "close" => StatusAction::Close,
        "reopen" => StatusAction::Reopen,
        other => {
            return Err(AppError::invalid(
                "invalid_action",
                format!("unknown status action {other}; use start, wait_customer, wait_department, resume, resolve, close or reopen"),
            ))
        }
    })
}

/// Leaving a status the policy pauses in (waiting on the customer, by default) resumes
/// the SLA clock: every running deadline moves on by the working time that passed while
/// it was paused.
async fn resumed_deadlines(
    state: &AppState,
    detail: &TicketDetail,
    action: StatusAction,
) -> Result<Option<ResumedDeadlines>, AppError> {
    let t = &detail.ticket;
    let Some(paused_at) = t.paused_at else {
        return Ok(None);
    };
    let Ok(to) = kefu_domain::ticket::transition(t.status(), action) else {
        return Ok(None);
    };
    let (calendar, pauses) = sla::calendar_for(state, t.sla_policy_id.as_deref()).await?;
    if pauses.contains(&to) {
        return Ok(None);
    }
    let now = state.clock().now();
    let paused_at = from_millis(paused_at);
    let shift = |due: Option<i64>| {
        due.map(from_millis).and_then(|due| {
            let remaining = calendar.working_between(paused_at, due.max(paused_at));
            calendar.add_working(now, remaining)
        })
    };
    Ok(Some(ResumedDeadlines {
        promise_due: if t.overdue_since.is_none() {
            shift(t.promise_due_at)
        } else {
            None
        },
        first_response_due: if t.first_responded_at.is_none() {
            shift(t.first_response_due)
        } else {
            None
        },
        resolution_due: shift(t.resolution_due),
    }))
}

/// What the viewer's queues cover: their departments (with those below) and today's
/// local date (for "due today").
async fn queue_scope(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(Vec<String>, chrono::NaiveDate), AppError> {
    ctx.require(Permission::TicketRead)?;
    let scope = scope_of(state, ctx).await?.into_iter().collect();
    let today = state
        .clock()
        .now()
        .with_timezone(&kefu_store::tickets::local_offset())
        .date_naive();
    Ok((scope, today))
}

/// One page of a queue, and its count.
pub async fn queue(
    state: &AppState,
    ctx: &Ctx,
    queue: Queue,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Page<TicketSummaryRow>, i64), AppError> {
    let (scope, today) = queue_scope(state, ctx).await?;
    let q = QueueQuery {
        queue,
        user_id: &ctx.user_id,
        departments: &scope,
        today,
    };
    let page = state.db().list_queue(&q, cursor, limit).await?;
    let keys = queue_counter_keys(&q);
    let counts = state.db().queue_counts(&keys).await?;
    Ok((page, keys.iter().filter_map(|k| counts.get(k)).sum()))
}

/// Every queue's badge for the viewer: a handful of counter rows, never a count of tickets.
pub async fn queue_counts(state: &AppState, ctx: &Ctx) -> Result<Vec<(Queue, i64)>, AppError> {
    let (scope, today) = queue_scope(state, ctx).await?;
    let mut all_keys = Vec::new();
    let per_queue: Vec<(Queue, Vec<String>)> = Queue::ALL
        .iter()
        .map(|&queue| {
            let keys = queue_counter_keys(&QueueQuery {
                queue,
                user_id: &ctx.user_id,
                departments: &scope,
                today,
            });
            all_keys.extend(keys.iter().cloned());
            (queue, keys)
        })
        .collect();
    let counts = state.db().queue_counts(&all_keys).await?;
    Ok(per_queue
        .into_iter()
        .map(|(q, keys)| (q, keys.iter().filter_map(|k| counts.get(k)).sum()))
        .collect())
}

/// The ticket list's query as typed.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListParams {
    pub customer_id: Option<String>,
    pub status: Option<String>,
    /// A ticket number, e.g. GD20261128-0007.
    pub number: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

impl TicketListParams {
    pub fn filter(&self) -> TicketFilter {
        TicketFilter {
            customer_id: self.customer_id.clone(),
            status: self.status.clone(),
            number: self.number.as_ref().map(|n| n.trim().to_ascii_uppercase()),
        }
    }
}

/// Tickets by customer, number or status, visible to the viewer.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    filter: &TicketFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<TicketSummaryRow>, AppError> {
    ctx.require(Permission::TicketRead)?;
    let scope: Vec<String> = scope_of(state, ctx).await?.into_iter().collect();
    Ok(state
        .db()
        .list_tickets(filter, &ctx.user_id, &scope, cursor, limit)
        .await?)
}

/// The apology and the call script for an overdue promise, filled from the ticket.
pub fn overdue_script(tr: &crate::i18n::Tr<'_>, ctx: &Ctx, d: &TicketDetail) -> (String, String) {
    let t = &d.ticket;
    let customer = t
        .customer_name
        .clone()
        .or_else(|| t.contact_name.clone())
        .unwrap_or_default();
    let promised = t.promise_due_at.map(super::short_time).unwrap_or_default();
    let apology = tr.f("ticket.overdue_apology", &[("promised", &promised)]);
    let script = tr.f(
        "ticket.overdue_script",
        &[
            ("customer", &customer),
            ("agent", &ctx.display_name),
            ("number", &t.number),
            ("subject", &t.subject),
            ("promised", &promised),
            ("apology", &apology),
        ],
    );
    (apology, script)
}

/// The ticket's contact phone in the clear; needs `customer.pii.read` and is audited.
pub async fn reveal_phone(state: &AppState, ctx: &Ctx, id: &str) -> Result<String, AppError> {
    ctx.require(Permission::CustomerPiiRead)?;
    let (detail, _) = load_checked(state, ctx, id, None).await?;
    let phone = detail
        .ticket
        .contact_phone
        .clone()
        .ok_or(AppError::NotFound("contact phone"))?;
    let entry =
        kefu_store::audit::NewAuditEntry::new(kefu_domain::audit::AuditAction::TicketPiiRevealed)
            .subject("ticket", id)
            .detail("contact_phone");
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(phone)
}
