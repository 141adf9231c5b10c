//! SLA policies (服务时限): targets for first response, the reply promise and resolution
//! by work-order type, priority and customer tier. Reading needs `ticket.read`; every
//! change needs `service.configure`.

use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kefu_domain::calendar::china_offset;
use kefu_domain::sla::{
    SlaCalendar, SlaClock, SlaScope, DEFAULT_REPLY_PROMISE_MINUTES, MAX_TARGET_MINUTES,
};
use kefu_domain::ticket::{Priority, TicketStatus, TicketType};
use kefu_domain::Permission;
use kefu_store::sla::{SlaError, SlaPolicyInput, SlaPolicyRow};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPolicyView {
    pub id: String,
    pub name: String,
    /// `null`: any type.
    pub ticket_type: Option<String>,
    /// `null`: any priority.
    pub priority: Option<String>,
    /// `null`: any customer tier.
    pub tier: Option<String>,
    /// `24x7`, `working` or `on_duty`.
    pub calendar: String,
    pub first_response_minutes: i64,
    pub reply_promise_minutes: i64,
    pub resolution_minutes: i64,
    pub pause_statuses: Vec<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A new policy. Criteria left out (or `""`) match anything.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyPayload {
    pub name: String,
    pub ticket_type: Option<String>,
    pub priority: Option<String>,
    pub tier: Option<String>,
    /// `24x7`, `working` (default) or `on_duty`.
    pub calendar: Option<String>,
    pub first_response_minutes: i64,
    /// Default 2880 (48 hours, the handbook's promise).
    pub reply_promise_minutes: Option<i64>,
    pub resolution_minutes: i64,
    /// Statuses in which the clocks stop; default `["waiting_customer"]`.
    pub pause_statuses: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A change: absent fields stay, `""` makes a criterion match anything again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyPatch {
    pub name: Option<String>,
    pub ticket_type: Option<String>,
    pub priority: Option<String>,
    pub tier: Option<String>,
    pub calendar: Option<String>,
    pub first_response_minutes: Option<i64>,
    pub reply_promise_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub pause_statuses: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// Work-order type, e.g. `complaint`.
    #[serde(rename = "type")]
    pub ticket_type: String,
    /// `low`, `normal` (default), `high` or `urgent`.
    pub priority: Option<String>,
    /// Customer tier code; absent: a customer without a tier.
    pub tier: Option<String>,
    /// When the clocks start (RFC 3339); default now.
    pub from: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaDue {
    pub first_response: String,
    pub reply_promise: String,
    pub resolution: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPreview {
    pub policy: SlaPolicyView,
    pub from: String,
    /// When each target falls due, counted on the policy's calendar.
    pub due: SlaDue,
}

pub fn policy_view(p: &SlaPolicyRow) -> SlaPolicyView {
    SlaPolicyView {
        id: p.id.clone(),
        name: p.name.clone(),
        ticket_type: p.scope.ticket_type.map(|t| t.code().to_string()),
        priority: p.scope.priority.map(|x| x.code().to_string()),
        tier: p.scope.tier.clone(),
        calendar: p.calendar.code().to_string(),
        first_response_minutes: p.first_response_minutes,
        reply_promise_minutes: p.reply_promise_minutes,
        resolution_minutes: p.resolution_minutes,
        pause_statuses: p
            .pause_statuses
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        active: p.active,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

impl From<SlaError> for AppError {
    fn from(e: SlaError) -> Self {
        match e {
            SlaError::Store(StoreError::NotFound) => AppError::NotFound("SLA policy"),
            SlaError::Store(s) => s.into(),
            e @ SlaError::UnknownTier(_) => AppError::invalid("unknown_tier", e.to_string()),
            e @ SlaError::CatchAllRequired => {
                AppError::conflict("catch_all_required", e.to_string())
            }
        }
    }
}

/// `None` and `""` mean any.
fn criterion<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    code: &'static str,
    what: &str,
) -> Result<Option<T>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| AppError::invalid(code, format!("unknown {what} {v:?}"))),
    }
}

fn ticket_type(v: Option<&str>) -> Result<Option<TicketType>, AppError> {
    criterion(
        v,
        TicketType::from_code,
        "unknown_ticket_type",
        "work-order type",
    )
}

fn priority(v: Option<&str>) -> Result<Option<Priority>, AppError> {
    criterion(v, Priority::from_code, "unknown_priority", "priority")
}

fn calendar(v: &str) -> Result<SlaCalendar, AppError> {
    SlaCalendar::from_code(v.trim()).ok_or_else(|| {
        AppError::invalid(
            "unknown_calendar",
            format!("calendar is 24x7, working or on_duty, not {v:?}"),
        )
    })
}

fn statuses(v: &[String]) -> Result<Vec<TicketStatus>, AppError> {
    let mut out = Vec::new();
    for s in v {
        let status = TicketStatus::from_code(s.trim())
            .ok_or_else(|| AppError::invalid("unknown_status", format!("unknown status {s:?}")))?;
        if !status.is_open() {
            return Err(AppError::invalid(
                "unknown_status",
                format!("{s} is not an open status; a resolved work order has no running clock"),
            ));
        }
        if !out.contains(&status) {
            out.push(status);
        }
    }
    Ok(out)
}

/// Checks a whole policy: a name, known codes, targets between a minute and a year.
fn validated(input: SlaPolicyInput) -> Result<SlaPolicyInput, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::invalid(
            "invalid_name",
            "a policy name is 1 to 50 characters",
        ));
    }
    for (what, m) in [
        ("first_response_minutes", input.first_response_minutes),
        ("reply_promise_minutes", input.reply_promise_minutes),
        ("resolution_minutes", input.resolution_minutes),
    ] {
        if !(1..=MAX_TARGET_MINUTES).contains(&m) {
            return Err(AppError::invalid(
                "invalid_target",
                format!("{what} must be 1 to {MAX_TARGET_MINUTES} minutes"),
            ));
        }
    }
    Ok(SlaPolicyInput {
        name: name.to_string(),
        ..input
    })
}

fn tier(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_uppercase)
}

pub fn input_of(p: &SlaPolicyPayload) -> Result<SlaPolicyInput, AppError> {
    validated(SlaPolicyInput {
        name: p.name.clone(),
        scope: SlaScope {
            ticket_type: ticket_type(p.ticket_type.as_deref())?,
            priority: priority(p.priority.as_deref())?,
            tier: tier(p.tier.as_deref()),
        },
        calendar: calendar(p.calendar.as_deref().unwrap_or("working"))?,
        first_response_minutes: p.first_response_minutes,
        reply_promise_minutes: p
            .reply_promise_minutes
            .unwrap_or(DEFAULT_REPLY_PROMISE_MINUTES),
        resolution_minutes: p.resolution_minutes,
        pause_statuses: match &p.pause_statuses {
            Some(list) => statuses(list)?,
            None => vec![TicketStatus::WaitingCustomer],
        },
        active: p.active.unwrap_or(true),
    })
}

fn patched(current: &SlaPolicyRow, p: &SlaPolicyPatch) -> Result<SlaPolicyInput, AppError> {
    let mut input = SlaPolicyInput::from(current);
    if let Some(name) = &p.name {
        input.name = name.clone();
    }
    if p.ticket_type.is_some() {
        input.scope.ticket_type = ticket_type(p.ticket_type.as_deref())?;
    }
    if p.priority.is_some() {
        input.scope.priority = priority(p.priority.as_deref())?;
    }
    if p.tier.is_some() {
        input.scope.tier = tier(p.tier.as_deref());
    }
    if let Some(c) = &p.calendar {
        input.calendar = calendar(c)?;
    }
    input.first_response_minutes = p
        .first_response_minutes
        .unwrap_or(input.first_response_minutes);
    input.reply_promise_minutes = p
        .reply_promise_minutes
        .unwrap_or(input.reply_promise_minutes);
    input.resolution_minutes = p.resolution_minutes.unwrap_or(input.resolution_minutes);
    if let Some(list) = &p.pause_statuses {
        input.pause_statuses = statuses(list)?;
    }
    input.active = p.active.unwrap_or(input.active);
    validated(input)
}

pub async fn policies(state: &AppState, ctx: &Ctx) -> Result<Vec<SlaPolicyView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(state
        .db()
        .list_sla_policies()
        .await?
        .iter()
        .map(policy_view)
        .collect())
}

async fn get(state: &AppState, id: &str) -> Result<SlaPolicyRow, AppError> {
    state
        .db()
        .get_sla_policy(id)
        .await
        .map_err(|e| SlaError::Store(e).into())
}

pub async fn policy(state: &AppState, ctx: &Ctx, id: &str) -> Result<SlaPolicyView, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(policy_view(&get(state, id).await?))
}

pub async fn create(state: &AppState, ctx: &Ctx, p: &SlaPolicyPayload) -> Result<String, AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let input = input_of(p)?;
    Ok(state
        .db()
        .create_sla_policy(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

/// Replaces a whole policy (what the settings form sends).
pub async fn replace(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &SlaPolicyPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let input = input_of(p)?;
    Ok(state
        .db()
        .update_sla_policy(&ctx.actor(), state.clock().now(), id, &input)
        .await?)
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &SlaPolicyPatch,
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let input = patched(&get(state, id).await?, p)?;
    Ok(state
        .db()
        .update_sla_policy(&ctx.actor(), state.clock().now(), id, &input)
        .await?)
}

pub async fn delete(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    Ok(state
        .db()
        .delete_sla_policy(&ctx.actor(), state.clock().now(), id)
        .await?)
}

/// The policy a work order would get and when its targets would fall due.
pub async fn preview(
    state: &AppState,
    ctx: &Ctx,
    p: &PreviewParams,
) -> Result<SlaPreview, AppError> {
    ctx.require(Permission::TicketRead)?;
    let ticket_type = ticket_type(Some(&p.ticket_type))?.ok_or_else(|| {
        AppError::invalid("unknown_ticket_type", "type is required, e.g. complaint")
    })?;
    let priority = priority(p.priority.as_deref())?.unwrap_or(Priority::Normal);
    let from: DateTime<Utc> = match p.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => state.clock().now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| {
                AppError::invalid(
                    "invalid_date",
                    format!("from must be RFC 3339, e.g. 2027-02-04T17:00:00+08:00 (got {s:?})"),
                )
            })?
            .with_timezone(&Utc),
    };
    let tier = tier(p.tier.as_deref());
    let (policy, calendar) = state
        .db()
        .sla_for(ticket_type, priority, tier.as_deref(), china_offset())
        .await?;
    let mut due = Vec::with_capacity(3);
    for (target, amount) in policy.targets() {
        let at = SlaClock::start(&calendar, from, amount)
            .and_then(|c| c.due())
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "no {} deadline: the calendar has no working time",
                    target.code()
                ))
            })?;
        due.push(rfc3339(at.timestamp_millis()));
    }
    let [first_response, reply_promise, resolution]: [String; 3] =
        due.try_into().expect("three targets");
    Ok(SlaPreview {
        policy: policy_view(&policy),
        from: rfc3339(from.timestamp_millis()),
        due: SlaDue {
            first_response,
            reply_promise,
            resolution,
        },
    })
}
