//! Work orders over HTTP: create, read, the queues, and one route per action on a ticket.

use super::{Json, Path, Query};
use crate::app::page_limit;
use crate::app::tickets::{
    self as app, event_view, summary_view, ticket_view, ActionPayload, Created, NewTicketPayload,
    QueueCount, QueuePage, Ref, TicketEventView, TicketList, TicketListParams, TicketView,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_domain::queue::Queue;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let limit = state.config().max_upload_bytes;
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_attachments, upload_attachment))
        .layer(axum::extract::DefaultBodyLimit::max(
            limit as usize + 64 * 1024,
        ))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                super::refuse_oversized(limit, req, next)
            },
        ));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(download_attachment))
        .routes(routes!(list_tickets, create_ticket))
        .routes(routes!(get_ticket))
        .routes(routes!(timeline))
        .routes(routes!(claim))
        .routes(routes!(assign))
        .routes(routes!(change_status))
        .routes(routes!(reply))
        .routes(routes!(note))
        .routes(routes!(transfer))
        .routes(routes!(complete_task))
        .routes(routes!(escalate))
        .routes(routes!(escalation_targets))
        .routes(routes!(promise))
        .routes(routes!(overdue_notice))
        .routes(routes!(overdue_script))
        .routes(routes!(merge))
        .routes(routes!(link))
        .routes(routes!(reveal))
        .routes(routes!(queue_counts))
        .routes(routes!(queue))
        .routes(routes!(notifications))
        .routes(routes!(read_notifications))
}

/// Tickets visible to you, newest first, by customer, status or number.
#[utoipa::path(get, path = "/tickets", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(TicketListParams), responses((status = 200, body = TicketList)))]
async fn list_tickets(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<TicketListParams>,
) -> Result<Json<TicketList>, AppError> {
    let filter = p.filter();
    let page = app::list(
        &state,
        &ctx,
        &filter,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await?;
    Ok(Json(TicketList {
        items: page.items.iter().map(summary_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Open a ticket. Its number, SLA deadlines and opening reply promise (48 working hours
/// by default) are set from the matching policy.
#[utoipa::path(post, path = "/tickets", tag = "tickets", security(("bearer" = ["ticket.write"])),
    request_body = NewTicketPayload, responses((status = 201, body = Created), (status = 422)))]
async fn create_ticket(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<NewTicketPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let (id, number) = app::create(&state, &ctx, &p).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id,
            number: number.as_str().to_string(),
        }),
    ))
}

/// One ticket (by id or number), contact phone masked.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path, description = "id or number")), responses((status = 200, body = TicketView), (status = 404)))]
async fn get_ticket(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<TicketView>, AppError> {
    let id = app::resolve_ref(&state, &id)
        .await
        .map_err(|_| AppError::NotFound("ticket"))?;
    let (detail, _) = app::load_checked(&state, &ctx, &id, None).await?;
    Ok(Json(ticket_view(&detail)))
}

/// The ticket's append-only timeline, oldest first.
#[utoipa::path(get, path = "/tickets/{id}/timeline", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<TicketEventView>), (status = 404)))]
async fn timeline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<TicketEventView>>, AppError> {
    app::load_checked(&state, &ctx, &id, None).await?;
    let events = state.db().list_ticket_events(&id).await?;
    Ok(Json(events.iter().map(event_view).collect()))
}

async fn act(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    a: ActionPayload,
) -> Result<StatusCode, AppError> {
    app::act(state, ctx, id, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take the ticket (an unassigned one, or one's own). The first person ever to take it
/// becomes its first owner.
#[utoipa::path(post, path = "/tickets/{id}/claim", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn claim(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    act(&state, &ctx, &id, ActionPayload::Claim).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignPayload {
    /// Who takes it; null puts it back into the group's unassigned queue.
    pub assignee_id: Option<String>,
}

/// Give the ticket to someone (supervisors, or the person holding it). The first owner
/// does not change.
#[utoipa::path(post, path = "/tickets/{id}/assign", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = AssignPayload, responses((status = 204), (status = 403), (status = 422)))]
async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<AssignPayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Assign {
            assignee_id: p.assignee_id,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPayload {
    /// start, wait_customer, wait_department, resume, resolve, close or reopen
    pub action: String,
}

/// Move the ticket along new → assigned → in progress → waiting → resolved → closed.
/// Waiting on the customer pauses the SLA clock; leaving it moves the deadlines on.
#[utoipa::path(post, path = "/tickets/{id}/status", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = StatusPayload, responses((status = 204), (status = 409), (status = 422)))]
async fn change_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<StatusPayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Status { action: p.action },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyPayload {
    /// The channel the customer was answered on (phone, sms, email, chat …).
    pub channel: String,
    pub body: String,
}

/// Record a reply to the customer. It keeps the current promise.
#[utoipa::path(post, path = "/tickets/{id}/replies", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = ReplyPayload, responses((status = 204), (status = 422)))]
async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<ReplyPayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Reply {
            channel: p.channel,
            body: p.body,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePayload {
    pub body: String,
}

/// Add an internal note (also allowed to departments the ticket was transferred to).
#[utoipa::path(post, path = "/tickets/{id}/notes", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = NotePayload, responses((status = 204), (status = 422)))]
async fn note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<NotePayload>,
) -> Result<StatusCode, AppError> {
    act(&state, &ctx, &id, ActionPayload::Note { body: p.body }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferPayload {
    pub department_id: String,
    /// What the department is asked to do.
    pub request: String,
}

/// Transfer work to another department (研发部, 技术部 …): it gets a task on the ticket,
/// the ticket waits on it, and the first owner keeps following it.
#[utoipa::path(post, path = "/tickets/{id}/transfers", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = TransferPayload, responses((status = 204), (status = 409), (status = 422)))]
async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<TransferPayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Transfer {
            department_id: p.department_id,
            request: p.request,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskResultPayload {
    pub result: String,
}

/// The department answers its task; when no task is left open the ticket resumes.
#[utoipa::path(post, path = "/tickets/{id}/tasks/{task_id}/complete", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path), ("task_id" = String, Path)), request_body = TaskResultPayload,
    responses((status = 204), (status = 403), (status = 422)))]
async fn complete_task(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, task_id)): Path<(String, String)>,
    Json(p): Json<TaskResultPayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::CompleteTask {
            task_id,
            result: p.result,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalatePayload {
    /// A shift lead or manager over the ticket's department (see escalation-targets).
    pub to: String,
    pub reason: String,
}

/// Escalate to a shift lead or the manager; they are notified.
#[utoipa::path(post, path = "/tickets/{id}/escalations", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = EscalatePayload, responses((status = 204), (status = 422)))]
async fn escalate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<EscalatePayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Escalate {
            to: p.to,
            reason: p.reason,
        },
    )
    .await
}

/// The shift leads and managers a ticket can be escalated to.
#[utoipa::path(get, path = "/tickets/{id}/escalation-targets", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<Ref>)))]
async fn escalation_targets(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<Ref>>, AppError> {
    let (detail, _) = app::load_checked(&state, &ctx, &id, None).await?;
    let people = state
        .db()
        .ticket_supervisors(&detail.ticket.department_id)
        .await?;
    Ok(Json(
        people
            .into_iter()
            .map(|(id, name)| Ref { id, name })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromisePayload {
    /// What was promised, in the customer's words.
    pub text: String,
    /// By when (RFC 3339) …
    pub due_at: Option<String>,
    /// … or within so many working hours on the ticket's calendar.
    pub within_hours: Option<f64>,
}

/// Make a new promise. Refused while overdue: use the overdue notice.
#[utoipa::path(post, path = "/tickets/{id}/promises", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = PromisePayload, responses((status = 204), (status = 409), (status = 422)))]
async fn promise(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<PromisePayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::Promise {
            text: p.text,
            due_at: p.due_at,
            within_hours: p.within_hours,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverdueNoticePayload {
    /// How the customer was told (default phone).
    pub channel: Option<String>,
    /// The progress told to the customer.
    pub progress: String,
    /// The apology made.
    pub apology: String,
    /// The new promise.
    pub promise_text: String,
    pub due_at: Option<String>,
    pub within_hours: Option<f64>,
}

/// The overdue protocol: progress told, apology made and a new promise — one event.
#[utoipa::path(post, path = "/tickets/{id}/overdue-notices", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = OverdueNoticePayload, responses((status = 204), (status = 409), (status = 422)))]
async fn overdue_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<OverdueNoticePayload>,
) -> Result<StatusCode, AppError> {
    act(
        &state,
        &ctx,
        &id,
        ActionPayload::OverdueNotice {
            channel: p.channel,
            progress: p.progress,
            apology: p.apology,
            promise_text: p.promise_text,
            due_at: p.due_at,
            within_hours: p.within_hours,
        },
    )
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueScript {
    pub apology: String,
    /// The whole call script with the ticket's facts filled in.
    pub script: String,
}

/// A ready script for the overdue call.
#[utoipa::path(get, path = "/tickets/{id}/overdue-script", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path)), responses((status = 200, body = OverdueScript)))]
async fn overdue_script(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<OverdueScript>, AppError> {
    let (detail, _) = app::load_checked(&state, &ctx, &id, None).await?;
    let tr = state.i18n().tr(crate::i18n::Lang::ZhCn);
    let (apology, script) = app::overdue_script(&tr, &ctx, &detail);
    Ok(Json(OverdueScript { apology, script }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergePayload {
    /// The ticket (id or number) this duplicate is merged into.
    pub into: String,
}

/// Merge a duplicate into another ticket: it is closed and points at the other.
#[utoipa::path(post, path = "/tickets/{id}/merge", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = MergePayload, responses((status = 204), (status = 403), (status = 422)))]
async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<MergePayload>,
) -> Result<StatusCode, AppError> {
    act(&state, &ctx, &id, ActionPayload::Merge { into: p.into }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkPayload {
    /// The related ticket (id or number).
    pub other: String,
}

/// Link a related ticket (both ways).
#[utoipa::path(post, path = "/tickets/{id}/links", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body = LinkPayload, responses((status = 204), (status = 422)))]
async fn link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<LinkPayload>,
) -> Result<StatusCode, AppError> {
    act(&state, &ctx, &id, ActionPayload::Link { other: p.other }).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedPhone {
    pub contact_phone: String,
}

/// Show the ticket's contact phone in the clear. Audited.
#[utoipa::path(post, path = "/tickets/{id}/reveal", tag = "tickets", security(("bearer" = ["customer.pii.read"])),
    params(("id" = String, Path)), responses((status = 200, body = RevealedPhone), (status = 404)))]
async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<RevealedPhone>, AppError> {
    Ok(Json(RevealedPhone {
        contact_phone: app::reveal_phone(&state, &ctx, &id).await?,
    }))
}

/// Every queue's count for you: mine, group, unassigned, overdue, due_today,
/// waiting_department, transferred.
#[utoipa::path(get, path = "/queues", tag = "tickets", security(("bearer" = ["ticket.read"])),
    responses((status = 200, body = Vec<QueueCount>)))]
async fn queue_counts(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<QueueCount>>, AppError> {
    let counts = app::queue_counts(&state, &ctx).await?;
    Ok(Json(
        counts
            .into_iter()
            .map(|(q, count)| QueueCount {
                queue: q.code().to_string(),
                count,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// One page of a queue with its count.
#[utoipa::path(get, path = "/queues/{queue}", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("queue" = String, Path), PageParams), responses((status = 200, body = QueuePage), (status = 404)))]
async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(queue): Path<String>,
    Query(p): Query<PageParams>,
) -> Result<Json<QueuePage>, AppError> {
    let q = Queue::from_code(&queue).ok_or(AppError::NotFound("queue"))?;
    let (page, count) =
        app::queue(&state, &ctx, q, p.cursor.as_deref(), page_limit(p.limit)).await?;
    Ok(Json(QueuePage {
        queue: q.code().to_string(),
        count,
        items: page.items.iter().map(summary_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub at: String,
    /// overdue, escalated, task_done
    pub kind: String,
    pub ticket_id: Option<String>,
    pub ticket_number: Option<String>,
    pub body: String,
    pub read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notifications {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

/// Your notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Notifications)))]
async fn notifications(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Notifications>, AppError> {
    let (rows, unread) = state.db().list_notifications(&ctx.user_id, 50).await?;
    Ok(Json(Notifications {
        unread,
        items: rows
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                at: crate::app::rfc3339(n.at),
                kind: n.kind,
                ticket_id: n.ticket_id,
                ticket_number: n.ticket_number,
                body: n.body,
                read: n.read_at.is_some(),
            })
            .collect(),
    }))
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/notifications/read", tag = "tickets", security(("bearer" = [])),
    responses((status = 204)))]
async fn read_notifications(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<StatusCode, AppError> {
    state
        .db()
        .mark_notifications_read(&ctx.user_id, state.clock().now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The files attached to a ticket.
#[utoipa::path(get, path = "/tickets/{id}/attachments", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<crate::app::tickets::AttachmentView>)))]
async fn list_attachments(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::app::tickets::AttachmentView>>, AppError> {
    let (detail, _) = app::load_checked(&state, &ctx, &id, None).await?;
    let rows = state
        .db()
        .list_ticket_attachments(&detail.ticket.id)
        .await?;
    Ok(Json(rows.iter().map(app::attachment_view).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentCreated {
    pub id: String,
}

/// Attach a file (multipart field `file`; at most the upload limit, 413 beyond it). It is
/// stored once by content and always downloaded as an attachment.
#[utoipa::path(post, path = "/tickets/{id}/attachments", tag = "tickets", security(("bearer" = ["ticket.write"])),
    params(("id" = String, Path)), request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = AttachmentCreated), (status = 413), (status = 422)))]
async fn upload_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<AttachmentCreated>), AppError> {
    let id = app::attach(&state, &ctx, &id, &mut multipart, None).await?;
    Ok((StatusCode::CREATED, Json(AttachmentCreated { id })))
}

/// Download one attached file (as an attachment, never inline).
#[utoipa::path(get, path = "/tickets/{id}/attachments/{attachment_id}", tag = "tickets", security(("bearer" = ["ticket.read"])),
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404)))]
async fn download_attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<axum::response::Response, AppError> {
    let (path, row) = app::file(&state, &ctx, &id, &attachment_id).await?;
    super::download(&path, &row.filename, &row.content_type).await
}
