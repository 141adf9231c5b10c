//! Leave requests, swap requests, the on-duty roster, one's own schedule and who is on
//! shift now.
//!
//! A swap (调班, handbook document 10): nobody skips a shift without a colleague who agrees
//! to take it. The requester proposes, the colleague accepts (their acceptance — when, from
//! where, in their words — is kept as the evidence both can show), the shift lead approves.
//! Approval is refused when the roster afterwards would break a hard rule for either of
//! them or would leave an interval less covered than the requirement where it was not.

use super::problem::{day_code, roster_of, shift_of};
use super::rosters::{check_rows, not_found};
use super::{center_date, parse_date};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::schedule::{LeaveStatus, SwapStatus, SwapStep, LEAVE_KINDS};
use kefu_domain::Permission;
use kefu_store::schedule::{DutyRow, LeaveRow, NewDuty, NewLeave, NewSwap, ShiftRow, SwapRow};
use kefu_store::StoreError;
use kefu_wfm::roster::{self as wfm, Instance};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavePayload {
    /// annual, sick, personal, compensatory or other
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaveView {
    pub id: String,
    pub staff_id: String,
    pub name: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub reason: String,
    pub status: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

fn leave_view(l: LeaveRow) -> LeaveView {
    LeaveView {
        id: l.id,
        staff_id: l.staff_id,
        name: l.display_name,
        kind: l.kind,
        start_date: l.start_date,
        end_date: l.end_date,
        reason: l.reason,
        status: l.status.code().to_string(),
        created_at: l.created_at.to_rfc3339(),
        decided_by: l.decided_by,
        decision_note: l.decision_note,
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionPayload {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

fn moved_on(e: StoreError, what: &'static str) -> AppError {
    match e {
        StoreError::Conflict { .. } => AppError::conflict(
            "schedule.request_moved_on",
            "this request was decided or withdrawn meanwhile",
        ),
        StoreError::NotFound => AppError::NotFound(what),
        e => e.into(),
    }
}

fn text(field: &'static str, s: &str, max: usize) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            field,
            format!("1 to {max} characters"),
        ));
    }
    Ok(s.to_string())
}

/// Asks for leave (for oneself).
pub async fn request_leave(
    state: &AppState,
    ctx: &Ctx,
    p: &LeavePayload,
) -> Result<LeaveView, AppError> {
    if !LEAVE_KINDS.contains(&p.kind.as_str()) {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "kind",
            format!("one of {}", LEAVE_KINDS.join(", ")),
        ));
    }
    let start = parse_date("start_date", &p.start_date)?;
    let end = parse_date("end_date", &p.end_date)?;
    if end < start || (end - start).num_days() > 90 {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "end_date",
            "the end is on or after the start, at most 90 days later",
        ));
    }
    let reason = text("reason", &p.reason, 500)?;
    let id = state
        .db()
        .create_leave(
            &ctx.actor(),
            state.clock().now(),
            &NewLeave {
                staff_id: ctx.user_id.clone(),
                kind: p.kind.clone(),
                start_date: day_code(start),
                end_date: day_code(end),
                reason,
            },
        )
        .await?;
    Ok(leave_view(state.db().get_leave(&id).await?))
}

/// Leave requests: one's own, or (the shift lead) everyone's, pending first when asked.
pub async fn leave_list(
    state: &AppState,
    ctx: &Ctx,
    status: Option<&str>,
) -> Result<Vec<LeaveView>, AppError> {
    let status = match status {
        Some(s) => Some(LeaveStatus::parse(s).ok_or_else(|| {
            AppError::invalid_field(
                "schedule.invalid",
                "status",
                "pending, approved, rejected or cancelled",
            )
        })?),
        None => None,
    };
    let mine = (!ctx.can(Permission::ScheduleManage)).then_some(ctx.user_id.as_str());
    Ok(state
        .db()
        .list_leave(mine, status, None, 200)
        .await?
        .into_iter()
        .map(leave_view)
        .collect())
}

/// The shift lead approves (the agent's shifts on those days come off the rosters) or
/// rejects a pending request.
pub async fn decide_leave(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &DecisionPayload,
) -> Result<LeaveView, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let leave = state
        .db()
        .get_leave(id)
        .await
        .map_err(|e| moved_on(e, "leave request"))?;
    let to = leave.status.decide(p.approve).ok_or_else(|| {
        AppError::conflict(
            "schedule.request_moved_on",
            "this request was already decided",
        )
    })?;
    state
        .db()
        .decide_leave(&ctx.actor(), state.clock().now(), id, to, p.note.trim())
        .await
        .map_err(|e| moved_on(e, "leave request"))?;
    Ok(leave_view(state.db().get_leave(id).await?))
}

/// The requester withdraws a pending request.
pub async fn cancel_leave(state: &AppState, ctx: &Ctx, id: &str) -> Result<LeaveView, AppError> {
    let leave = state
        .db()
        .get_leave(id)
        .await
        .map_err(|e| moved_on(e, "leave request"))?;
    if leave.staff_id != ctx.user_id {
        return Err(AppError::NotFound("leave request"));
    }
    state
        .db()
        .cancel_leave(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(|e| moved_on(e, "leave request"))?;
    Ok(leave_view(state.db().get_leave(id).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapPayload {
    /// The requester's shift to give away, `YYYY-MM-DD`.
    pub date: String,
    /// The colleague who takes it.
    pub counterpart_id: String,
    /// The colleague's shift the requester takes in return (none: a plain hand-over).
    #[serde(default)]
    pub counterpart_date: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SwapView {
    pub id: String,
    pub roster_id: String,
    pub requester_id: String,
    pub requester: String,
    pub requester_date: String,
    pub counterpart_id: String,
    pub counterpart: String,
    pub counterpart_date: Option<String>,
    pub reason: String,
    pub status: String,
    pub created_at: String,
    /// The evidence of the colleague's agreement.
    pub accepted_at: Option<String>,
    pub accepted_from: Option<String>,
    pub accept_note: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

fn swap_view(s: SwapRow) -> SwapView {
    SwapView {
        id: s.id,
        roster_id: s.roster_id,
        requester_id: s.requester_id,
        requester: s.requester_name,
        requester_date: s.requester_day,
        counterpart_id: s.counterpart_id,
        counterpart: s.counterpart_name,
        counterpart_date: s.counterpart_day,
        reason: s.reason,
        status: s.status.code().to_string(),
        created_at: s.created_at.to_rfc3339(),
        accepted_at: s.accepted_at.map(|t| t.to_rfc3339()),
        accepted_from: s.accepted_from,
        accept_note: s.accept_note,
        decided_by: s.decided_by,
        decision_note: s.decision_note,
    }
}

/// Proposes a swap of one's published shift.
pub async fn request_swap(
    state: &AppState,
    ctx: &Ctx,
    p: &SwapPayload,
) -> Result<SwapView, AppError> {
    let date = day_code(parse_date("date", &p.date)?);
    let other = p
        .counterpart_date
        .as_deref()
        .map(|d| parse_date("counterpart_date", d).map(day_code))
        .transpose()?;
    if p.counterpart_id == ctx.user_id {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "counterpart_id",
            "a swap is with a colleague",
        ));
    }
    let reason = text("reason", &p.reason, 500)?;
    let roster = state
        .db()
        .published_roster_on(&date)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(
                "schedule.no_shift",
                "date",
                "no published roster on this day",
            )
        })?;
    let shifts = state.db().roster_shifts(&roster.id).await?;
    let has = |who: &str, day: &str| shifts.iter().any(|s| s.staff_id == who && s.day == day);
    if !has(&ctx.user_id, &date) {
        return Err(AppError::invalid_field(
            "schedule.no_shift",
            "date",
            "you have no shift on this day",
        ));
    }
    if !roster.staff.contains(&p.counterpart_id) {
        return Err(AppError::invalid_field(
            "schedule.not_in_roster",
            "counterpart_id",
            "the colleague is not in this roster",
        ));
    }
    if let Some(d) = &other {
        if !has(&p.counterpart_id, d)
            || d.as_str() < roster.start_date.as_str()
            || d.as_str() > roster.end_date.as_str()
        {
            return Err(AppError::invalid_field(
                "schedule.no_shift",
                "counterpart_date",
                "the colleague has no shift on that day in the same roster",
            ));
        }
    }
    let id = state
        .db()
        .create_swap(
            &ctx.actor(),
            state.clock().now(),
            &NewSwap {
                roster_id: roster.id,
                requester_id: ctx.user_id.clone(),
                requester_day: date,
                counterpart_id: p.counterpart_id.clone(),
                counterpart_day: other,
                reason,
            },
        )
        .await?;
    Ok(swap_view(state.db().get_swap(&id).await?))
}

/// Swap requests: those one is part of, or (the shift lead) all.
pub async fn swap_list(state: &AppState, ctx: &Ctx) -> Result<Vec<SwapView>, AppError> {
    let mine = (!ctx.can(Permission::ScheduleManage)).then_some(ctx.user_id.as_str());
    Ok(state
        .db()
        .list_swaps(mine, None, 200)
        .await?
        .into_iter()
        .map(swap_view)
        .collect())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapStepPayload {
    /// accept or decline (the colleague), approve or reject (the shift lead), cancel (the
    /// requester).
    pub step: String,
    #[serde(default)]
    pub note: String,
}

/// Moves a swap request on; who may take which step is checked here.
pub async fn step_swap(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &SwapStepPayload,
) -> Result<SwapView, AppError> {
    let swap = state
        .db()
        .get_swap(id)
        .await
        .map_err(|e| moved_on(e, "swap request"))?;
    let involved = swap.requester_id == ctx.user_id || swap.counterpart_id == ctx.user_id;
    if !involved && !ctx.can(Permission::ScheduleManage) {
        return Err(AppError::NotFound("swap request"));
    }
    let step = match p.step.as_str() {
        "accept" => SwapStep::Accept,
        "decline" => SwapStep::Decline,
        "approve" => SwapStep::Approve,
        "reject" => SwapStep::Reject,
        "cancel" => SwapStep::Cancel,
        _ => {
            return Err(AppError::invalid_field(
                "schedule.invalid",
                "step",
                "accept, decline, approve, reject or cancel",
            ))
        }
    };
    match step {
        SwapStep::Accept | SwapStep::Decline if swap.counterpart_id != ctx.user_id => {
            return Err(AppError::Refused {
                code: "schedule.not_yours",
                message: "only the colleague asked can accept or decline".into(),
            })
        }
        SwapStep::Cancel if swap.requester_id != ctx.user_id => {
            return Err(AppError::Refused {
                code: "schedule.not_yours",
                message: "only the requester can withdraw the request".into(),
            })
        }
        SwapStep::Approve | SwapStep::Reject => ctx.require(Permission::ScheduleManage)?,
        _ => {}
    }
    let to = swap.status.after(step).ok_or_else(|| {
        AppError::conflict(
            "schedule.request_moved_on",
            format!("a {} request cannot be {}ed", swap.status.code(), p.step),
        )
    })?;
    let moves = if to == SwapStatus::Approved {
        swap_moves(state, &swap).await?
    } else {
        Vec::new()
    };
    let client = ctx.client_addr.clone();
    state
        .db()
        .step_swap(
            &ctx.actor(),
            state.clock().now(),
            id,
            &kefu_store::schedule::SwapChange {
                from: swap.status,
                to,
                note: p.note.trim(),
                client: client.as_deref(),
                moves: &moves,
            },
        )
        .await
        .map_err(|e| moved_on(e, "swap request"))?;
    Ok(swap_view(state.db().get_swap(id).await?))
}

type Move = (String, String, Option<kefu_store::schedule::NewShift>);

/// The cells an approved swap rewrites, checked: no hard rule broken for either agent,
/// no interval left less covered than required where it was not.
async fn swap_moves(state: &AppState, swap: &SwapRow) -> Result<Vec<Move>, AppError> {
    let row = state
        .db()
        .get_roster(&swap.roster_id)
        .await
        .map_err(not_found)?;
    let inst: Instance = serde_json::from_str(&row.problem)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("roster problem unreadable: {e}")))?;
    let start = parse_date("start_date", &row.start_date)?;
    let shifts: Vec<ShiftRow> = state.db().roster_shifts(&row.id).await?;
    let (before, _) = roster_of(&inst, start, &shifts);
    let ix = |who: &str| inst.agents.iter().position(|a| a.id == who);
    let (Some(a), Some(b)) = (ix(&swap.requester_id), ix(&swap.counterpart_id)) else {
        return Err(AppError::conflict(
            "schedule.swap_stale",
            "one of the two is no longer in the roster",
        ));
    };
    let day = |code: &str| -> Result<usize, AppError> {
        Ok((parse_date("date", code)? - start).num_days() as usize)
    };
    let mut after = before.clone();
    let d1 = day(&swap.requester_day)?;
    let given = before.shifts[a][d1].ok_or_else(|| {
        AppError::conflict(
            "schedule.swap_stale",
            "the requester no longer has that shift",
        )
    })?;
    // A colleague who already works that day gives up their own shift for it: the
    // coverage check below decides whether the center can spare it.
    after.shifts[a][d1] = None;
    after.shifts[b][d1] = Some(given);
    let mut moves: Vec<Move> = vec![
        (swap.requester_id.clone(), swap.requester_day.clone(), None),
        (
            swap.counterpart_id.clone(),
            swap.requester_day.clone(),
            Some(shift_of(
                &inst,
                &swap.counterpart_id,
                start + Duration::days(d1 as i64),
                given,
                true,
            )),
        ),
    ];
    if let Some(other) = &swap.counterpart_day {
        let d2 = day(other)?;
        let taken = before.shifts[b][d2].ok_or_else(|| {
            AppError::conflict(
                "schedule.swap_stale",
                "the colleague no longer has that shift",
            )
        })?;
        after.shifts[b][d2] = None;
        after.shifts[a][d2] = Some(taken);
        moves.push((swap.counterpart_id.clone(), other.clone(), None));
        moves.push((
            swap.requester_id.clone(),
            other.clone(),
            Some(shift_of(
                &inst,
                &swap.requester_id,
                start + Duration::days(d2 as i64),
                taken,
                true,
            )),
        ));
    }
    check_rows(&inst, &after, &[a, b], start, state).await?;
    let was = wfm::coverage(&inst, &before);
    let now = wfm::coverage(&inst, &after);
    for q in 0..inst.queues.len() {
        for (slot, need) in inst.demand[q].iter().enumerate() {
            if now[q][slot] < *need && now[q][slot] < was[q][slot] {
                let per_day = inst.intervals_per_day();
                let at = start + Duration::days((slot / per_day) as i64);
                let minute = (slot % per_day) as u32 * inst.interval_minutes;
                return Err(AppError::conflict(
                    "schedule.swap_uncovers",
                    format!(
                        "the swap would leave {} {} {} below the requirement ({} of {})",
                        inst.queues[q],
                        day_code(at),
                        super::hhmm(minute),
                        now[q][slot],
                        need
                    ),
                ));
            }
        }
    }
    Ok(moves)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyPayload {
    pub date: String,
    /// night or holiday
    pub kind: String,
    pub staff_id: String,
    /// The number to call.
    pub phone: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyView {
    pub id: String,
    pub date: String,
    pub kind: String,
    pub staff_id: String,
    pub name: String,
    pub phone: String,
    pub note: String,
}

fn duty_view(d: DutyRow) -> DutyView {
    DutyView {
        id: d.id,
        date: d.day,
        kind: d.kind,
        staff_id: d.staff_id,
        name: d.display_name,
        phone: d.phone,
        note: d.note,
    }
}

pub async fn add_duty(state: &AppState, ctx: &Ctx, p: &DutyPayload) -> Result<DutyView, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let date = day_code(parse_date("date", &p.date)?);
    if !["night", "holiday"].contains(&p.kind.as_str()) {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "kind",
            "night or holiday",
        ));
    }
    let phone = p.phone.trim();
    let digits = phone.chars().filter(|c| c.is_ascii_digit()).count();
    if !(3..=20).contains(&digits)
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ()".contains(c))
    {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "phone",
            "a telephone number (digits, spaces, + - and parentheses)",
        ));
    }
    let id = state
        .db()
        .create_duty(
            &ctx.actor(),
            state.clock().now(),
            &NewDuty {
                day: date.clone(),
                kind: p.kind.clone(),
                staff_id: p.staff_id.clone(),
                phone: phone.to_string(),
                note: p.note.trim().to_string(),
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                AppError::conflict("schedule.duty_taken", "this person is already on duty then")
            }
            StoreError::Refused(_) => AppError::NotFound("staff member"),
            e => e.into(),
        })?;
    state
        .db()
        .list_duty(&date, &date)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .map(duty_view)
        .ok_or(AppError::NotFound("duty"))
}

pub async fn duty_list(
    state: &AppState,
    ctx: &Ctx,
    from: &str,
    to: &str,
) -> Result<Vec<DutyView>, AppError> {
    let _ = ctx;
    let from = day_code(parse_date("from", from)?);
    let to = day_code(parse_date("to", to)?);
    Ok(state
        .db()
        .list_duty(&from, &to)
        .await?
        .into_iter()
        .map(duty_view)
        .collect())
}

pub async fn remove_duty(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ScheduleManage)?;
    state
        .db()
        .delete_duty(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(AppError::store_missing("duty"))
}

/// A published shift as one's schedule and the "on shift now" board show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub staff_id: String,
    pub name: String,
    pub date: String,
    pub template: String,
    pub queue: String,
    pub starts_at: String,
    pub ends_at: String,
    pub on_call: bool,
}

pub(crate) fn shift_view(s: ShiftRow) -> ShiftView {
    ShiftView {
        staff_id: s.staff_id,
        name: s.display_name,
        date: s.day,
        template: s.template_code,
        queue: s.queue,
        starts_at: s.starts_at.to_rfc3339(),
        ends_at: s.ends_at.to_rfc3339(),
        on_call: s.on_call,
    }
}

/// One's own published shifts for the next `days` days from `from` (default today).
pub async fn my_schedule(
    state: &AppState,
    ctx: &Ctx,
    from: Option<&str>,
    days: u32,
) -> Result<Vec<ShiftView>, AppError> {
    let start = match from {
        Some(f) => parse_date("from", f)?,
        None => center_date(state.clock().now()),
    };
    let end = start + Duration::days(days.clamp(1, 62) as i64 - 1);
    Ok(state
        .db()
        .published_shifts(Some(&ctx.user_id), &day_code(start), &day_code(end))
        .await?
        .into_iter()
        .map(shift_view)
        .collect())
}

/// Who is on shift now (on site first, then on call) and today's on-duty people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NowView {
    pub at: String,
    pub on_shift: Vec<ShiftView>,
    pub on_duty: Vec<DutyView>,
}

pub async fn now(state: &AppState, ctx: &Ctx) -> Result<NowView, AppError> {
    let _ = ctx;
    let at = state.clock().now();
    let today = day_code(center_date(at));
    Ok(NowView {
        at: at.to_rfc3339(),
        on_shift: state
            .db()
            .shifts_at(at)
            .await?
            .into_iter()
            .map(shift_view)
            .collect(),
        on_duty: state
            .db()
            .list_duty(&today, &today)
            .await?
            .into_iter()
            .map(duty_view)
            .collect(),
    })
}
