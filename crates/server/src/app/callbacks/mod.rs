//! Callbacks (回访): the queue (today, raised, by kind, by assignee), a task with its
//! filled-in script and the customer facts the callback needs (phone masked unless the
//! viewer may see personal data; every read of a task audited), attempts with the
//! handbook's record, tasks by hand, and the plans and policy (in [`plans`]). Pre-sale
//! lists come in through [`import`].

pub mod import;
pub mod plans;
mod views;

pub use views::*;

use crate::app::knowledge::render::{markdown_escape, markdown_html};
use crate::app::knowledge::script::{values_for, ScriptSource};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::callback::{
    local_day, parse_text, Attempt, AttemptResult, CallbackKind, Outcome, MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
};
use kefu_domain::customer::Gender;
use kefu_domain::knowledge::{fill, ArticleState, Placeholder};
use kefu_domain::{Permission, PhoneNumber};
use kefu_store::audit::NewAuditEntry;
use kefu_store::callbacks::{
    Assignee, AttemptInput, AttemptRecorded, NewTask, Queue, QueueCounts, TaskRow,
};
use kefu_store::tickets::local_offset;
use kefu_store::{Page, StoreError};

/// Parses a time as RFC 3339, or as the local `YYYY-MM-DDTHH:MM` a browser's
/// `datetime-local` input sends.
pub fn parse_local_time(field: &'static str, raw: &str) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .and_then(|t| local_offset().from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::invalid_field(
                "invalid_time",
                field,
                format!("{field} must be a time such as 2026-11-28T09:30"),
            )
        })
}

/// The end of the local day of `now`: the "today" queue holds what is due before it.
pub fn end_of_today(now: DateTime<Utc>) -> DateTime<Utc> {
    let off = local_offset();
    kefu_domain::callback::local_at(local_day(now, off) + Duration::days(1), 0, off)
}

fn who(ctx: &Ctx, raw: Option<&str>) -> Assignee {
    match raw.map(str::trim).unwrap_or("") {
        "" | "all" => Assignee::Anyone,
        "me" => Assignee::User(ctx.user_id.clone()),
        "unassigned" => Assignee::Unassigned,
        id => Assignee::User(id.to_string()),
    }
}

/// One page of a queue: `tab` is `today` (default), `overdue` (raised by the follow-up
/// watch) or a kind code (`after_sale`, `periodic` …).
pub async fn queue(
    state: &AppState,
    ctx: &Ctx,
    p: &QueueParams,
) -> Result<(Page<TaskRow>, QueueCounts), AppError> {
    ctx.require(Permission::CallbackView)?;
    let until = end_of_today(state.clock().now());
    let q = match p.tab.as_deref().map(str::trim).unwrap_or("") {
        "" | "today" => Queue::Due { until },
        "overdue" => Queue::Raised,
        other => Queue::Kind(CallbackKind::from_code(other).ok_or_else(|| {
            AppError::invalid_field("invalid_tab", "tab", format!("unknown queue {other:?}"))
        })?),
    };
    let who = who(ctx, p.assignee.as_deref());
    let limit = super::page_limit(p.limit);
    let db = state.db();
    let page = db
        .list_callback_tasks(&q, &who, p.cursor.as_deref(), limit)
        .await?;
    let counts = db.count_callback_tasks(until, &who).await?;
    Ok((page, counts))
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("callback")(e)
}

/// A task with everything its page shows; the read is audited (it shows a customer's
/// name and phone), and the phone is in the clear only for `customer.pii.read`.
pub async fn detail(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    lang: Lang,
) -> Result<TaskDetail, AppError> {
    ctx.require(Permission::CallbackView)?;
    let db = state.db();
    let task = db.get_callback_task(id).await.map_err(not_found)?;
    let attempts = db.list_callback_attempts(id).await?;
    let phone = db.callback_phone(&task).await?;
    let clear = ctx.can(Permission::CustomerPiiRead);
    let entry = NewAuditEntry::new(AuditAction::CallbackViewed)
        .subject("callback", id)
        .detail(if clear && phone.is_some() {
            "phone_revealed"
        } else {
            "masked"
        });
    db.append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    let script = script_for(state, ctx, &task, lang).await?;
    Ok(detail_view(
        &task,
        &attempts,
        phone.as_deref(),
        clear,
        script,
    ))
}

/// The script to read: the task's knowledge article (when published), else its plan's
/// script, else the default for its kind; filled with the customer's name, the agent's
/// number (工号) and name, the ticket's number and subject. `{name}` and `{agent_no}` are
/// accepted for `{客户姓名}` and `{工号}`.
async fn script_for(
    state: &AppState,
    ctx: &Ctx,
    task: &TaskRow,
    lang: Lang,
) -> Result<ScriptView, AppError> {
    let mut source = None;
    if let Some(article) = &task.article_id {
        if let Ok(a) = state.db().get_article(article).await {
            if a.state == ArticleState::Published {
                source = Some((a.body, Some(a.title)));
            }
        }
    }
    let body = match source {
        Some(s) => s,
        None => match task.plan_script.clone().filter(|s| !s.trim().is_empty()) {
            Some(s) => (s, None),
            None => {
                let key = format!("callback_script.{}", task.kind);
                (state.i18n().tr(lang).t(&key).to_string(), None)
            }
        },
    };
    let text = body
        .0
        .replace("{name}", "{客户姓名}")
        .replace("{agent_no}", "{工号}");
    let (mut values, _) = values_for(state, ctx, &ScriptSource::default()).await?;
    values.set(
        Placeholder::CustomerName,
        task.greeting_name().unwrap_or_default(),
    );
    if let Some(n) = &task.ticket_number {
        values.set(Placeholder::TicketNumber, n.clone());
    }
    if let Some(s) = &task.ticket_subject {
        values.set(Placeholder::TicketSubject, s.clone());
    }
    let plain = fill(&text, &values, str::to_string);
    let rendered = fill(&text, &values, markdown_escape);
    Ok(ScriptView {
        title: body.1,
        text: plain.text,
        html: markdown_html(&rendered.text),
        missing: plain.missing.iter().map(|p| p.code().to_string()).collect(),
    })
}

fn field(e: kefu_domain::callback::FieldError) -> AppError {
    let code = match e.code {
        "too_long" => "too_long",
        "out_of_range" => "out_of_range",
        _ => "invalid_field",
    };
    AppError::invalid_field(code, e.field, e.to_string())
}

fn text(name: &'static str, raw: &Option<String>, max: usize) -> Result<Option<String>, AppError> {
    parse_text(name, raw.as_deref(), max).map_err(field)
}

/// Checks an attempt as sent; every bad field is named.
pub fn parse_attempt(p: &AttemptPayload) -> Result<AttemptInput, AppError> {
    let result = AttemptResult::from_code(p.result.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_result",
            "result",
            "result must be unreachable, busy, later or done",
        )
    })?;
    let attempt = match result {
        AttemptResult::Unreachable => Attempt::Unreachable,
        AttemptResult::Busy => Attempt::Busy,
        AttemptResult::Later => {
            let raw = p.later_at.as_deref().unwrap_or("").trim();
            if raw.is_empty() {
                return Err(AppError::invalid_field(
                    "later_at_required",
                    "later_at",
                    "give the time the customer asked to be called back",
                ));
            }
            Attempt::Later(parse_local_time("later_at", raw)?)
        }
        AttemptResult::Done => {
            let raw = p.outcome.as_deref().unwrap_or("").trim();
            let outcome = Outcome::from_code(raw)
                .filter(|o| *o != Outcome::Unreachable)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "invalid_outcome",
                        "outcome",
                        "outcome must be satisfied, dissatisfied or declined",
                    )
                })?;
            Attempt::Done(outcome)
        }
    };
    let gender = match p.contact_gender.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        g => Some(
            Gender::from_code(g)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "invalid_gender",
                        "contact_gender",
                        "gender must be male, female or unknown",
                    )
                })?
                .code()
                .to_string(),
        ),
    };
    let phone = match p.contact_phone.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        raw => Some(
            PhoneNumber::parse(raw)
                .map_err(|e| {
                    AppError::invalid_field("invalid_phone", "contact_phone", e.to_string())
                })?
                .as_str()
                .to_string(),
        ),
    };
    let fee_cents = match p.fee.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        raw => Some(parse_fee(raw)?),
    };
    Ok(AttemptInput {
        attempt,
        notes: text("notes", &p.notes, MAX_TEXT_CHARS)?,
        contact_name: text("contact_name", &p.contact_name, MAX_NAME_CHARS)?,
        contact_gender: gender,
        contact_phone: phone,
        opinions: text("opinions", &p.opinions, MAX_TEXT_CHARS)?,
        suggestions: text("suggestions", &p.suggestions, MAX_TEXT_CHARS)?,
        fee_cents,
        fee_confirmed: p.fee_confirmed,
    })
}

/// A fee in yuan (`120`, `85.5`, `85.50`) as cents.
pub fn parse_fee(raw: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::invalid_field(
            "invalid_fee",
            "fee",
            "the fee is an amount in yuan such as 85.50",
        )
    };
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    yuan.checked_mul(100)
        .and_then(|y| y.checked_add(cents))
        .filter(|c| *c <= 100_000_000)
        .ok_or_else(bad)
}

/// Records an attempt (`callback.work`).
pub async fn attempt(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &AttemptPayload,
) -> Result<AttemptRecorded, AppError> {
    ctx.require(Permission::CallbackWork)?;
    let input = parse_attempt(p)?;
    Ok(state
        .db()
        .record_callback_attempt(&ctx.actor(), state.clock().now(), id, &input)
        .await?)
}

/// Creates a task by hand (`callback.manage`): any kind but the rule-made complaint and
/// periodic ones.
pub async fn create(state: &AppState, ctx: &Ctx, p: &CreatePayload) -> Result<String, AppError> {
    ctx.require(Permission::CallbackManage)?;
    let kind = match p.kind.as_deref().map(str::trim).unwrap_or("") {
        "" => CallbackKind::Manual,
        k => CallbackKind::from_code(k)
            .filter(|k| !matches!(k, CallbackKind::Complaint | CallbackKind::Periodic))
            .ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_kind",
                    "kind",
                    format!("cannot create a {k:?} callback by hand"),
                )
            })?,
    };
    let customer_id = p.customer_id.trim();
    if customer_id.is_empty() {
        return Err(AppError::invalid_field(
            "customer_required",
            "customer_id",
            "choose the customer to call back",
        ));
    }
    let db = state.db();
    if let Err(e) = db.get_customer(customer_id).await {
        return Err(match e {
            StoreError::NotFound => {
                AppError::invalid_field("unknown_customer", "customer_id", "no such customer")
            }
            e => e.into(),
        });
    }
    let now = state.clock().now();
    let due_at = match p.due_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => parse_local_time("due_at", raw)?,
        None => now,
    };
    let assignee = p
        .assignee_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(a) = assignee {
        db.get_user(a).await.map_err(|_| {
            AppError::invalid_field("unknown_assignee", "assignee_id", "no such user")
        })?;
    }
    let task = NewTask {
        customer_id: Some(customer_id.to_string()),
        ticket_id: p.ticket_id.clone().filter(|s| !s.trim().is_empty()),
        title: text("title", &p.title, 200)?,
        article_id: p.article_id.clone().filter(|s| !s.trim().is_empty()),
        assignee_id: assignee.map(str::to_string),
        ..NewTask::new(kind, due_at)
    };
    let id = db
        .create_callback_task(&ctx.actor(), now, &task)
        .await?
        .ok_or_else(|| AppError::conflict("duplicate_callback", "this callback exists already"))?;
    Ok(id)
}

/// Gives a task to someone: a manager to anyone or back to the pool; an agent takes a
/// task from the pool for themselves.
pub async fn assign(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &AssignPayload,
) -> Result<(), AppError> {
    let to = p
        .assignee_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let db = state.db();
    if !ctx.can(Permission::CallbackManage) {
        ctx.require(Permission::CallbackWork)?;
        let task = db.get_callback_task(id).await.map_err(not_found)?;
        if to != Some(ctx.user_id.as_str()) || task.assignee_id.is_some() {
            return Err(AppError::Forbidden(Permission::CallbackManage));
        }
    }
    if let Some(a) = to {
        db.get_user(a).await.map_err(|_| {
            AppError::invalid_field("unknown_assignee", "assignee_id", "no such user")
        })?;
    }
    db.assign_callback_task(&ctx.actor(), state.clock().now(), id, to)
        .await
        .map_err(not_found)
}

/// Runs the plan rules now (`callback.manage`); the daily job does the same, and the
/// dedupe keys make either a no-op for what exists.
pub async fn generate(state: &AppState, ctx: &Ctx) -> Result<GeneratedView, AppError> {
    ctx.require(Permission::CallbackManage)?;
    let g = state.db().generate_callbacks(state.clock().now()).await?;
    Ok(GeneratedView {
        periodic: g.periodic,
        care: g.care,
        renewal: g.renewal,
    })
}

/// Sets (or clears) a customer's expiry date (`customer.write`).
pub async fn set_expiry(
    state: &AppState,
    ctx: &Ctx,
    customer_id: &str,
    raw: Option<&str>,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerWrite)?;
    let date = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                AppError::invalid_field("invalid_date", "expires_on", "a date such as 2027-03-31")
            })?,
        ),
    };
    state
        .db()
        .set_customer_expiry(&ctx.actor(), state.clock().now(), customer_id, date)
        .await
        .map_err(AppError::store_missing("customer"))
}
