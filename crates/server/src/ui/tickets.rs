//! The agent workspace: queues with live counts, the ticket page with its timeline and
//! every action, the new-ticket form and notifications.

use super::{render, Chrome, Page, UiError};
use crate::app::tickets::{
    self as app, event_view, summary_view, ticket_view, ActionPayload, NewTicketPayload,
    TicketEventView, TicketSummary, TicketView,
};
use crate::app::{page_limit, short_time};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::queue::Queue;
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes(state: &AppState) -> Router<AppState> {
    let limit = state.config().max_upload_bytes;
    let uploads = Router::new()
        .route("/tickets/{id}/attachments", post(upload))
        // Pages share the API's upload limit; the request is refused before it is read.
        .route_layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                crate::api::refuse_oversized(limit, req, next)
            },
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            limit as usize + 64 * 1024,
        ));
    Router::new()
        .merge(uploads)
        .route("/workspace", get(workspace))
        .route("/tickets/new", get(new_form).post(create))
        .route("/tickets/{id}", get(detail))
        .route("/tickets/{id}/act", post(act))
        .route("/tickets/{id}/email-reply", post(email_reply))
        .route("/notifications", get(notifications).post(read_all))
}

pub struct QueueTab {
    code: &'static str,
    label_key: String,
    count: i64,
    key: usize,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    tabs: Vec<QueueTab>,
    queue: &'static str,
    count: i64,
    overdue: i64,
    items: Vec<TicketSummary>,
    next_cursor: Option<String>,
    cursor: String,
    can_write: bool,
    can_take_calls: bool,
    can_campaign_call: bool,
}

#[derive(Deserialize)]
struct WorkspaceParams {
    queue: Option<String>,
    cursor: Option<String>,
}

async fn workspace(page: Page, Query(p): Query<WorkspaceParams>) -> Result<Response, UiError> {
    let queue = p
        .queue
        .as_deref()
        .and_then(Queue::from_code)
        .unwrap_or(Queue::Mine);
    let counts = app::queue_counts(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let (list, count) = app::queue(
        &page.state,
        &page.ctx,
        queue,
        p.cursor.as_deref(),
        page_limit(None),
    )
    .await
    .map_err(|e| page.error(e))?;
    let overdue = counts
        .iter()
        .find(|(q, _)| *q == Queue::Overdue)
        .map(|(_, n)| *n)
        .unwrap_or_default();
    let body = WorkspacePage {
        t: page.t(),
        chrome: page.chrome("workspace"),
        tabs: counts
            .iter()
            .enumerate()
            .map(|(i, (q, n))| QueueTab {
                code: q.code(),
                label_key: format!("queue.{}", q.code()),
                count: *n,
                key: i + 1,
            })
            .collect(),
        queue: queue.code(),
        count,
        overdue,
        items: list.items.iter().map(summary_view).collect(),
        next_cursor: list.next_cursor,
        cursor: p.cursor.unwrap_or_default(),
        can_write: page.ctx.can(Permission::TicketWrite),
        can_take_calls: page.ctx.can(Permission::CallHandle),
        can_campaign_call: page.ctx.can(Permission::CampaignCall),
    };
    Ok(render(&body))
}

#[derive(Template)]
#[template(path = "ticket_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    form: NewForm,
    types: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    customer_name: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct NewForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    ticket_type: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    call_id: String,
}

impl NewForm {
    fn payload(&self) -> NewTicketPayload {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        NewTicketPayload {
            ticket_type: self.ticket_type.clone(),
            channel: some(&self.channel),
            priority: some(&self.priority),
            subject: self.subject.clone(),
            description: some(&self.description),
            // The form's datetime-local input is China time without an offset.
            occurred_at: some(&self.occurred_at).map(|s| {
                if s.len() == 16 {
                    format!("{s}:00+08:00")
                } else {
                    s
                }
            }),
            place: some(&self.place),
            people: some(&self.people),
            contact_name: some(&self.contact_name),
            contact_phone: some(&self.contact_phone),
            customer_id: some(&self.customer_id),
            department_id: None,
            assign_to_me: Some(true),
            tags: Some(
                self.tags
                    .split([',', '，', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            call_id: some(&self.call_id),
        }
    }
}

#[derive(Deserialize)]
struct NewParams {
    customer_id: Option<String>,
    /// From the screen pop: the call the ticket is opened from, and its type.
    call_id: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
}

async fn form_page(page: &Page, form: NewForm, error: Option<String>) -> Result<Response, UiError> {
    let t = page.t();
    let customer_name = match form.customer_id.as_str() {
        "" => String::new(),
        id => page
            .state
            .db()
            .get_customer(id)
            .await
            .map(|c| c.core.name)
            .unwrap_or_default(),
    };
    let body = FormPage {
        types: t.options("ticket_type", TicketType::ALL.iter().map(|x| x.code())),
        channels: t.options("channel", Channel::ALL.iter().map(|x| x.code())),
        priorities: t.options("priority", Priority::ALL.iter().map(|x| x.code())),
        t,
        chrome: page.chrome("workspace"),
        form,
        customer_name,
        error,
    };
    Ok(render(&body))
}

async fn new_form(page: Page, Query(p): Query<NewParams>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::TicketWrite)
        .map_err(|e| page.error(e))?;
    let mut form = NewForm {
        ticket_type: p
            .ticket_type
            .filter(|t| TicketType::from_code(t).is_some())
            .unwrap_or_else(|| "consultation".into()),
        channel: "phone".into(),
        priority: "normal".into(),
        customer_id: p.customer_id.unwrap_or_default(),
        call_id: p.call_id.unwrap_or_default(),
        ..NewForm::default()
    };
    if !form.call_id.is_empty() && form.customer_id.is_empty() {
        if let Ok(call) = page.state.db().get_call(&form.call_id).await {
            form.customer_id = call.customer_id.unwrap_or_default();
        }
    }
    form_page(&page, form, None).await
}

async fn create(page: Page, Form(form): Form<NewForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::create(&page.state, &page.ctx, &form.payload()).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => form_page(&page, form, Some(e.to_string())).await,
        Err(e) => Err(page.error(e)),
    }
}

pub struct EventLine {
    e: TicketEventView,
    kind_key: String,
    /// A one-line summary of the detail (department, promise, assignee …).
    note: String,
}

#[derive(Template)]
#[template(path = "ticket_detail.html")]
struct DetailPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    v: TicketView,
    status_key: String,
    type_key: String,
    channel_key: String,
    priority_key: String,
    events: Vec<EventLine>,
    promise_due: String,
    overdue_since: String,
    people: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    supervisors: Vec<(String, String)>,
    reply_channels: Vec<(String, String)>,
    status_actions: Vec<(&'static str, String)>,
    apology: String,
    script: String,
    unassigned: bool,
    can_write: bool,
    can_note: bool,
    open: bool,
    attachments: Vec<crate::app::tickets::AttachmentView>,
    suggestions: crate::app::search::Suggestions,
    /// The complaint registered on this ticket, with its rounds and steps.
    complaint: Option<super::complaints::Panel>,
    error: Option<String>,
    draft: ActForm,
    /// The e-mail reply form, when the ticket has an address to write to.
    email_reply: Option<EmailReplyBox>,
    /// An e-mail reply was just queued.
    emailed: bool,
    /// The e-mails that came in on this ticket: (id, subject, received).
    mails: Vec<(String, String, String)>,
}

/// Where an e-mail reply from the ticket page goes, as the form shows it.
pub struct EmailReplyBox {
    /// Masked without `customer.pii.read`.
    to: String,
    from_name: String,
    from_address: String,
    signature: String,
}

/// The ticket page with an error from an action taken elsewhere (the complaint steps).
pub(super) async fn detail_with_error(
    page: &Page,
    id: &str,
    error: String,
) -> Result<Response, UiError> {
    render_detail(page, id, Some(error), ActForm::default(), false).await
}

/// The e-mail reply form of a ticket the user may answer, when an address is known.
async fn email_reply_box(
    page: &Page,
    ticket_id: &str,
    customer_id: Option<&str>,
) -> Result<Option<EmailReplyBox>, UiError> {
    let target =
        match crate::app::mail::outbox::reply_target(&page.state, ticket_id, customer_id).await {
            Ok(t) => t,
            // No mailbox to send from: no form (the mail settings page says why).
            Err(AppError::Invalid { .. }) => None,
            Err(e) => return Err(page.error(e)),
        };
    Ok(target.map(|t| EmailReplyBox {
        to: if page.ctx.can(Permission::CustomerPiiRead) {
            t.recipient
        } else {
            crate::app::customers::mask_contact("email", &t.recipient)
        },
        from_name: t.mailbox.name,
        from_address: t.mailbox.address,
        signature: t.mailbox.signature,
    }))
}

async fn render_detail(
    page: &Page,
    id: &str,
    error: Option<String>,
    draft: ActForm,
    emailed: bool,
) -> Result<Response, UiError> {
    let (detail, scope) = app::load_checked(&page.state, &page.ctx, id, None)
        .await
        .map_err(|e| page.error(e))?;
    let db = page.state.db();
    let events = db
        .list_ticket_events(&detail.ticket.id)
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = page.t();
    let v = ticket_view(&detail);
    let in_department = scope.contains(&detail.ticket.department_id)
        || detail.ticket.first_owner_id.as_deref() == Some(page.ctx.user_id.as_str())
        || detail.ticket.assignee_id.as_deref() == Some(page.ctx.user_id.as_str());
    let own_scope: Vec<String> = page
        .state
        .db()
        .department_scope(std::slice::from_ref(&detail.ticket.department_id))
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .collect();
    let people = db
        .department_staff(&own_scope)
        .await
        .map_err(|e| page.error(e.into()))?;
    let departments = db
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .filter(|d| !own_scope.contains(&d.id))
        .map(|d| (d.id, d.name))
        .collect();
    let supervisors = db
        .ticket_supervisors(&detail.ticket.department_id)
        .await
        .map_err(|e| page.error(e.into()))?;
    let status = detail.ticket.status();
    let mut status_actions: Vec<(&'static str, String)> = [
        ("start", "ticket.act_start"),
        ("wait_customer", "ticket.act_wait_customer"),
        ("resume", "ticket.act_resume"),
        ("resolve", "ticket.act_resolve"),
        ("close", "ticket.act_close"),
        ("reopen", "ticket.act_reopen"),
    ]
    .into_iter()
    .filter(|(code, _)| {
        let action = match *code {
            "start" => kefu_domain::ticket::StatusAction::Start,
            "wait_customer" => kefu_domain::ticket::StatusAction::WaitForCustomer,
            "resume" => kefu_domain::ticket::StatusAction::Resume,
            "resolve" => kefu_domain::ticket::StatusAction::Resolve,
            "close" => kefu_domain::ticket::StatusAction::Close,
            _ => kefu_domain::ticket::StatusAction::Reopen,
        };
        kefu_domain::ticket::transition(status, action).is_ok()
    })
    .map(|(code, key)| (code, t.t(key).to_string()))
    .collect();
    let (apology, script) = app::overdue_script(&t, &page.ctx, &detail);
    let attachments = db
        .list_ticket_attachments(&detail.ticket.id)
        .await
        .map_err(|e| page.error(e.into()))?
        .iter()
        .map(app::attachment_view)
        .collect();
    // Suggestions help but never block the ticket: without an index the panel is empty.
    let about = format!("{} {}", detail.ticket.subject, detail.ticket.description);
    let suggestions =
        crate::app::search::suggestions(&page.state, &page.ctx, &about, Some(&detail.ticket.id))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no suggestions for the ticket page");
                Default::default()
            });
    let complaint = super::complaints::panel(page, &detail, &scope).await?;
    let mails = db
        .list_ticket_mail(&detail.ticket.id)
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .filter(|m| m.direction == "in")
        .map(|m| {
            let at = short_time(m.received_at);
            (m.id, m.subject.unwrap_or_default(), at)
        })
        .collect();
    let can_write = page.ctx.can(Permission::TicketWrite) && in_department;
    let email_reply = if can_write && status.is_open() {
        email_reply_box(
            page,
            &detail.ticket.id,
            detail.ticket.customer_id.as_deref(),
        )
        .await?
    } else {
        None
    };
    if complaint.is_some() {
        // A complaint closes by its callback or the manager's decision, never by this.
        status_actions.retain(|(code, _)| *code != "close");
    }
    let body = DetailPage {
        complaint,
        suggestions,
        status_key: format!("ticket_status.{}", v.status),
        type_key: format!("ticket_type.{}", v.ticket_type),
        channel_key: format!("channel.{}", v.channel),
        priority_key: format!("priority.{}", v.priority),
        events: events
            .iter()
            .map(|e| {
                let view = event_view(e);
                EventLine {
                    kind_key: format!("event.ticket.{}", view.kind),
                    note: event_note(&t, &view),
                    e: view,
                }
            })
            .collect(),
        promise_due: detail
            .ticket
            .promise_due_at
            .map(short_time)
            .unwrap_or_default(),
        overdue_since: detail
            .ticket
            .overdue_since
            .map(short_time)
            .unwrap_or_default(),
        people,
        departments,
        supervisors,
        reply_channels: t.options("channel", Channel::ALL.iter().map(|x| x.code())),
        status_actions,
        apology,
        script,
        unassigned: detail.ticket.assignee_id.is_none(),
        can_write,
        can_note: page.ctx.can(Permission::TicketWrite),
        open: status.is_open(),
        attachments,
        chrome: page.chrome("workspace"),
        t,
        v,
        error,
        draft,
        email_reply,
        emailed,
        mails,
    };
    Ok(render(&body))
}

/// A short human line for an event's particulars.
fn event_note(t: &Tr<'_>, e: &TicketEventView) -> String {
    let Some(d) = &e.detail else {
        return String::new();
    };
    let s = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let due = || {
        d.get("due_at")
            .and_then(|v| v.as_i64())
            .map(short_time)
            .unwrap_or_default()
    };
    match e.kind.as_str() {
        "status" => format!(
            "{} → {}",
            t.label("ticket_status", &s("from")),
            t.label("ticket_status", &s("to"))
        ),
        "transferred" => s("department"),
        "promise" => format!("{} {}", t.t("ticket.due"), due()),
        "overdue_notice" => format!(
            "{}：{} · {}：{}（{}）",
            t.t("ticket.apology"),
            s("apology"),
            t.t("ticket.new_promise"),
            s("promise"),
            due()
        ),
        "complaint_registered" => t.label("severity", &s("severity")).to_string(),
        "complaint_handled" => s("department"),
        "complaint_cause" => s("cause"),
        "complaint_callback" => t.label("callback_outcome", &s("outcome")).to_string(),
        "complaint_round" => t.f("complaint.round_n", &[("n", &d["round"].to_string())]),
        "merged" => s("into_number"),
        "merged_from" => s("from_number"),
        "linked" => s("other_number"),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
struct DetailParams {
    emailed: Option<String>,
}

async fn detail(
    page: Page,
    Path(id): Path<String>,
    Query(p): Query<DetailParams>,
) -> Result<Response, UiError> {
    render_detail(&page, &id, None, ActForm::default(), p.emailed.is_some()).await
}

/// Queues an e-mail reply (never sent inside the request; the outbox sends it).
async fn email_reply(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let payload = crate::app::mail::outbox::EmailReplyPayload {
        body: form.body.clone(),
        lang: Some(page.lang.code().to_string()),
    };
    match crate::app::mail::outbox::reply(&page.state, &page.ctx, &id, &payload).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?emailed=1")).into_response()),
        Err(e) if super::shown_on_form(&e) && e.code() != "not_found" => {
            let draft = ActForm {
                op: "email_reply".into(),
                ..form
            };
            render_detail(&page, &id, Some(e.to_string()), draft, false).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// Every action form on the ticket page posts here with `op` naming the action.
#[derive(Debug, Default, Deserialize)]
struct ActForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    within_hours: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    apology: String,
}

impl ActForm {
    fn action(&self) -> Result<ActionPayload, AppError> {
        let hours = || -> Result<Option<f64>, AppError> {
            match self.within_hours.trim() {
                "" => Ok(None),
                h => h.parse().map(Some).map_err(|_| {
                    AppError::invalid("invalid_promise", "working hours must be a number")
                }),
            }
        };
        Ok(match self.op.as_str() {
            "claim" => ActionPayload::Claim,
            "assign" => ActionPayload::Assign {
                assignee_id: Some(self.value.clone()),
            },
            "unassign" => ActionPayload::Assign { assignee_id: None },
            "status" => ActionPayload::Status {
                action: self.value.clone(),
            },
            "reply" => ActionPayload::Reply {
                channel: self.channel.clone(),
                body: self.body.clone(),
            },
            "note" => ActionPayload::Note {
                body: self.body.clone(),
            },
            "transfer" => ActionPayload::Transfer {
                department_id: self.value.clone(),
                request: self.body.clone(),
            },
            "complete_task" => ActionPayload::CompleteTask {
                task_id: self.value.clone(),
                result: self.body.clone(),
            },
            "escalate" => ActionPayload::Escalate {
                to: self.value.clone(),
                reason: self.body.clone(),
            },
            "promise" => ActionPayload::Promise {
                text: self.text.clone(),
                due_at: None,
                within_hours: hours()?,
            },
            "overdue_notice" => ActionPayload::OverdueNotice {
                channel: Some(self.channel.clone()),
                progress: self.progress.clone(),
                apology: self.apology.clone(),
                promise_text: self.text.clone(),
                due_at: None,
                within_hours: hours()?,
            },
            "merge" => ActionPayload::Merge {
                into: self.value.clone(),
            },
            "link" => ActionPayload::Link {
                other: self.value.clone(),
            },
            other => {
                return Err(AppError::bad_request(
                    "unknown_action",
                    format!("unknown action {other}"),
                ))
            }
        })
    }
}

async fn act(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let outcome = match form.action() {
        Ok(action) => app::act(&page.state, &page.ctx, &id, &action).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        // Keep what was typed and say what is wrong.
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::Conflict { .. }
            | AppError::Refused { .. }
            | AppError::BadRequest { .. }),
        ) => render_detail(&page, &id, Some(e.to_string()), form, false).await,
        Err(e) => Err(page.error(e)),
    }
}

pub struct NoteLine {
    at: String,
    kind_key: String,
    ticket_id: Option<String>,
    ticket_number: Option<String>,
    body: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<NoteLine>,
}

async fn notifications(page: Page) -> Result<Response, UiError> {
    let (rows, _) = page
        .state
        .db()
        .list_notifications(&page.ctx.user_id, 100)
        .await
        .map_err(|e| page.error(e.into()))?;
    let body = NotificationsPage {
        t: page.t(),
        chrome: page.chrome("workspace"),
        items: rows
            .into_iter()
            .map(|n| NoteLine {
                at: short_time(n.at),
                kind_key: format!("notify.{}", n.kind),
                ticket_id: n.ticket_id,
                ticket_number: n.ticket_number,
                body: n.body,
                read: n.read_at.is_some(),
            })
            .collect(),
    };
    Ok(render(&body))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn read_all(page: Page, Form(form): Form<CsrfOnly>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    page.state
        .db()
        .mark_notifications_read(&page.ctx.user_id, page.state.clock().now())
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The page's file upload (multipart: `_csrf` first, then `file`).
async fn upload(
    page: Page,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, UiError> {
    let csrf = page.ctx.csrf().to_string();
    match app::attach(&page.state, &page.ctx, &id, &mut multipart, Some(&csrf)).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::Refused { .. }
            | AppError::TooLarge { .. }
            | AppError::BadRequest { .. }),
        ) => render_detail(&page, &id, Some(e.to_string()), ActForm::default(), false).await,
        Err(e) => Err(page.error(e)),
    }
}
