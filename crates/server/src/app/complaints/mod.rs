//! Complaints (投诉闭环): registration on a new complaint ticket (first-contact ownership
//! as for every ticket; serious ones escalated to the manager), the restatement, the
//! responsible department's handling, the callback, the close rule, the archive and the
//! monthly statistics. Who may see a complaint is who may see its ticket.

pub mod causes;
mod views;

pub use views::*;

use crate::app::tickets::{self as tickets, NewTicketPayload};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use chrono::{NaiveDate, TimeZone};
use kefu_domain::complaint::{
    self as rules, optional_text, required_text, CallbackOutcome, RawForm, Severity, MAX_TEXT_CHARS,
};
use kefu_domain::ticket::{Priority, TicketAction};
use kefu_domain::Permission;
use kefu_store::complaints::{
    Callback, ComplaintDetail, ComplaintFilter, Handling, NewComplaint, Registered,
};
use kefu_store::Page;

/// Serious complaints get a high priority (urgent ones urgent) so their SLA is tighter.
fn priority_of(severity: Severity) -> Priority {
    match severity {
        Severity::General => Priority::Normal,
        Severity::Major => Priority::High,
        Severity::Urgent => Priority::Urgent,
    }
}

/// The subject when none is given: the cause's first line, shortened.
fn subject_from(cause: &str) -> String {
    let line = cause.lines().next().unwrap_or_default().trim();
    let short: String = line.chars().take(60).collect();
    if short.chars().count() < line.chars().count() {
        format!("{short}…")
    } else {
        short
    }
}

/// Registers a complaint: the form is checked, its ticket opened through the ordinary
/// ticket creation (the registering agent is the first owner), round 1 begins and a
/// serious complaint is escalated to the manager — one transaction.
pub async fn register(
    state: &AppState,
    ctx: &Ctx,
    p: &RegisterPayload,
) -> Result<Registered, AppError> {
    ctx.require(Permission::TicketWrite)?;
    let form = rules::parse_form(&RawForm {
        complainant: &p.complainant,
        company: p.company.as_deref(),
        address: p.address.as_deref(),
        phone: &p.phone,
        cause: &p.cause,
        desired_outcome: &p.desired_outcome,
        severity: &p.severity,
        restatement: p.restatement.as_deref(),
        restatement_confirmed: p.restatement_confirmed.unwrap_or(false),
    })?;
    let subject = match p
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => s.to_string(),
        None => subject_from(&form.cause),
    };
    let ticket = NewTicketPayload {
        ticket_type: "complaint".into(),
        channel: p.channel.clone(),
        priority: Some(priority_of(form.severity).code().into()),
        subject,
        description: Some(form.cause.clone()),
        occurred_at: p.occurred_at.clone(),
        contact_name: Some(form.complainant.clone()),
        contact_phone: Some(form.phone.as_str().to_string()),
        customer_id: p.customer_id.clone(),
        assign_to_me: Some(true),
        ..NewTicketPayload::default()
    };
    let item = tickets::prepare(state, ctx, &ticket).await?;
    let tr = state.i18n().tr(Lang::ZhCn);
    let escalation_reason = tr.f(
        "complaint.escalation_reason",
        &[("severity", tr.label("severity", form.severity.code()))],
    );
    let complaint = NewComplaint {
        company: form.company,
        address: form.address,
        cause: form.cause,
        desired_outcome: form.desired_outcome,
        severity: form.severity,
        restatement: form.restatement,
        restatement_confirmed: form.restatement_confirmed,
        escalation_reason,
    };
    Ok(state.db().register_complaint(&item, &complaint).await?)
}

/// The complaint on a ticket the viewer may see (by ticket id or number); checks the
/// viewer may do `action` to the ticket.
pub async fn load(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    action: Option<TicketAction>,
) -> Result<ComplaintDetail, AppError> {
    let id = tickets::resolve_ref(state, reference)
        .await
        .map_err(|_| AppError::NotFound("complaint"))?;
    tickets::load_checked(state, ctx, &id, action).await?;
    match state.db().get_complaint(&id).await {
        Ok(d) => Ok(d),
        Err(kefu_store::StoreError::NotFound) => Err(AppError::NotFound("complaint")),
        Err(e) => Err(e.into()),
    }
}

pub async fn confirm_restatement(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    p: &RestatementPayload,
) -> Result<(), AppError> {
    let d = load(state, ctx, reference, Some(TicketAction::Work)).await?;
    let text = required_text("restatement", &p.restatement, MAX_TEXT_CHARS)?;
    let now = state.clock().now();
    let id = &d.complaint.ticket_id;
    Ok(state
        .db()
        .confirm_complaint_restatement(&ctx.actor(), now, id, &text)
        .await?)
}

pub async fn set_cause(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    p: &CausePick,
) -> Result<(), AppError> {
    // The responsible department sets it too, when the ticket was transferred to it.
    let d = load(state, ctx, reference, Some(TicketAction::Note)).await?;
    let now = state.clock().now();
    let id = &d.complaint.ticket_id;
    Ok(state
        .db()
        .set_complaint_cause(&ctx.actor(), now, id, p.cause_id.trim())
        .await?)
}

/// The responsible department's analysis and corrective action for the current round.
/// A department the ticket was transferred to may record it (it answers for the cause).
pub async fn record_handling(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    p: &HandlingPayload,
) -> Result<(), AppError> {
    let d = load(state, ctx, reference, Some(TicketAction::Note)).await?;
    let department_id = match p.department_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => ctx.departments.first().cloned().ok_or_else(|| {
            AppError::invalid_field(
                "department_required",
                "department_id",
                "you hold no position; name the responsible department",
            )
        })?,
    };
    let handling = Handling {
        department_id,
        analysis: required_text("analysis", &p.analysis, MAX_TEXT_CHARS)?,
        corrective_action: required_text(
            "corrective_action",
            &p.corrective_action,
            MAX_TEXT_CHARS,
        )?,
        cause_id: p
            .cause_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    };
    let now = state.clock().now();
    let id = &d.complaint.ticket_id;
    Ok(state
        .db()
        .record_complaint_handling(&ctx.actor(), now, id, &handling)
        .await?)
}

/// The callback: satisfied closes the complaint, dissatisfied starts the next round.
pub async fn record_callback(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    p: &CallbackPayload,
) -> Result<rules::AfterCallback, AppError> {
    let d = load(state, ctx, reference, Some(TicketAction::Work)).await?;
    let outcome = CallbackOutcome::from_code(p.outcome.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_outcome",
            "outcome",
            "outcome must be satisfied or dissatisfied",
        )
    })?;
    let callback = Callback {
        outcome,
        notes: required_text("notes", &p.notes, MAX_TEXT_CHARS)?,
    };
    let now = state.clock().now();
    let id = &d.complaint.ticket_id;
    Ok(state
        .db()
        .record_complaint_callback(&ctx.actor(), now, id, &callback)
        .await?)
}

/// Closes a complaint: only after a satisfied callback, or by the manager
/// (`complaint.close_override`) with a written reason.
pub async fn close(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
    p: &ClosePayload,
) -> Result<(), AppError> {
    let d = load(state, ctx, reference, Some(TicketAction::Work)).await?;
    let reason = optional_text("reason", p.reason.as_deref(), MAX_TEXT_CHARS)?;
    let now = state.clock().now();
    let id = &d.complaint.ticket_id;
    let can_override = ctx.can(Permission::ComplaintCloseOverride);
    state
        .db()
        .close_complaint(&ctx.actor(), now, id, can_override, reason.as_deref())
        .await?;
    Ok(())
}

/// The complaint's address in the clear; needs `customer.pii.read` and is audited.
pub async fn reveal_address(
    state: &AppState,
    ctx: &Ctx,
    reference: &str,
) -> Result<String, AppError> {
    ctx.require(Permission::CustomerPiiRead)?;
    let d = load(state, ctx, reference, None).await?;
    let address = d
        .complaint
        .address
        .clone()
        .ok_or(AppError::NotFound("address"))?;
    let entry = kefu_store::audit::NewAuditEntry::new(
        kefu_domain::audit::AuditAction::ComplaintAddressRevealed,
    )
    .subject("ticket", d.complaint.ticket_id.clone())
    .detail("address");
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(address)
}

/// The archive's query as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveParams {
    /// general, major or urgent
    pub severity: Option<String>,
    /// A root-cause category (with its subcategories).
    pub cause_id: Option<String>,
    /// The responsible department.
    pub department_id: Option<String>,
    /// handling, awaiting_callback or closed
    pub stage: Option<String>,
    /// First local day registered (2026-11-01).
    pub from: Option<String>,
    /// Last local day registered (2026-11-30).
    pub to: Option<String>,
    /// Words in the number, subject, cause, company or complainant.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

pub(crate) fn day_start(day: NaiveDate) -> i64 {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    kefu_store::tickets::local_offset()
        .from_local_datetime(&start)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

pub(crate) fn parse_day(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<NaiveDate>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::invalid_field(
                    "invalid_date",
                    field,
                    format!("{s:?} is not a day like 2026-11-28"),
                )
            }),
    }
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The archive, newest first: complaints on tickets the viewer may see.
pub async fn archive(
    state: &AppState,
    ctx: &Ctx,
    p: &ArchiveParams,
) -> Result<Page<kefu_store::complaints::ComplaintSummaryRow>, AppError> {
    ctx.require(Permission::TicketRead)?;
    let severity = some(&p.severity);
    if let Some(s) = &severity {
        rules::parse_severity(s)?;
    }
    let stage = some(&p.stage);
    if stage
        .as_deref()
        .is_some_and(|s| rules::Stage::from_code(s).is_none())
    {
        return Err(AppError::invalid_field(
            "invalid_stage",
            "stage",
            "stage must be handling, awaiting_callback or closed",
        ));
    }
    let cause_ids = match some(&p.cause_id) {
        None => None,
        Some(id) => {
            let tree = causes::tree_order(&state.db().list_complaint_causes().await?);
            if !tree.iter().any(|c| c.id == id) {
                return Err(AppError::invalid_field(
                    "unknown_cause",
                    "cause_id",
                    format!("no root-cause category {id}"),
                ));
            }
            Some(causes::with_descendants(&tree, &id))
        }
    };
    let from = parse_day("from", p.from.as_deref())?;
    let to = parse_day("to", p.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::invalid_field(
                "invalid_range",
                "to",
                "to is before from",
            ));
        }
    }
    let filter = ComplaintFilter {
        severity,
        cause_ids,
        department_id: some(&p.department_id),
        stage,
        from: from.map(day_start),
        to: to.and_then(|d| d.succ_opt()).map(day_start),
        text: some(&p.q).map(|q| q.chars().take(100).collect()),
    };
    let scope: Vec<String> = tickets::scope_of(state, ctx).await?.into_iter().collect();
    Ok(state
        .db()
        .list_complaints(
            &filter,
            &ctx.user_id,
            &scope,
            p.cursor.as_deref(),
            crate::app::page_limit(p.limit),
        )
        .await?)
}

/// The monthly statistics (`2026-11`; default: this month, local time).
pub async fn stats(
    state: &AppState,
    ctx: &Ctx,
    month: Option<&str>,
) -> Result<StatsView, AppError> {
    ctx.require(Permission::TicketSupervise)?;
    let month = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => state
            .clock()
            .now()
            .with_timezone(&kefu_store::tickets::local_offset())
            .format("%Y-%m")
            .to_string(),
    };
    let (first, next) = rules::parse_month(&month).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_month",
            "month",
            format!("{month:?} is not a month like 2026-11"),
        )
    })?;
    let s = state
        .db()
        .complaint_stats(day_start(first), day_start(next))
        .await?;
    Ok(stats_view(&month, &s))
}
