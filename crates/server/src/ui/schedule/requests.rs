//! The requests inbox (`/schedule/requests`): ask for leave, propose a swap, accept or
//! decline a colleague's proposal, withdraw one's own; the shift lead approves or rejects
//! and keeps the on-duty roster (nights and holidays, with the number to call).

use super::back;
use crate::app::schedule::requests::{
    self as reqs, DecisionPayload, DutyPayload, DutyView, LeavePayload, LeaveView, SwapPayload,
    SwapStepPayload, SwapView,
};
use crate::app::schedule::{self, center_date};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::Duration;
use kefu_domain::schedule::LEAVE_KINDS;
use kefu_domain::Permission;
use serde::Deserialize;

const INBOX: &str = "/schedule/requests";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(INBOX, get(inbox))
        .route("/schedule/leave", post(leave))
        .route("/schedule/leave/{id}/decide", post(decide_leave))
        .route("/schedule/leave/{id}/cancel", post(cancel_leave))
        .route("/schedule/swaps", post(swap))
        .route("/schedule/swaps/{id}/step", post(step_swap))
        .route("/schedule/duty", post(duty))
        .route("/schedule/duty/{id}/delete", post(delete_duty))
}

/// A swap as listed, with the steps the viewer may take.
struct SwapRow {
    v: SwapView,
    can_answer: bool,
    can_cancel: bool,
    can_decide: bool,
}

#[derive(Template)]
#[template(path = "schedule_requests.html")]
struct InboxPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    me: String,
    can_manage: bool,
    leave: Vec<LeaveView>,
    swaps: Vec<SwapRow>,
    duty: Vec<DutyView>,
    colleagues: Vec<(String, String)>,
    /// Everyone on the schedule (for the on-duty form).
    everyone: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    today: String,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    error: Option<String>,
    done: Option<String>,
}

async fn inbox(page: Page, Query(q): Query<InboxQuery>) -> Result<Response, UiError> {
    let s = &page.state;
    let ctx = &page.ctx;
    let leave = reqs::leave_list(s, ctx, None)
        .await
        .map_err(|e| page.error(e))?;
    let can_manage = ctx.can(Permission::ScheduleManage);
    let swaps = reqs::swap_list(s, ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .map(|v| SwapRow {
            can_answer: v.status == "proposed" && v.counterpart_id == ctx.user_id,
            can_cancel: matches!(v.status.as_str(), "proposed" | "accepted")
                && v.requester_id == ctx.user_id,
            can_decide: v.status == "accepted" && can_manage,
            v,
        })
        .collect();
    let today = center_date(s.clock().now());
    let duty = reqs::duty_list(
        s,
        ctx,
        &today.format("%Y-%m-%d").to_string(),
        &(today + Duration::days(31)).format("%Y-%m-%d").to_string(),
    )
    .await
    .map_err(|e| page.error(e))?;
    let everyone: Vec<(String, String)> = schedule::agents(s, ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|a| a.active)
        .map(|a| (a.staff_id, a.name))
        .collect();
    let colleagues = everyone
        .iter()
        .filter(|(id, _)| *id != ctx.user_id)
        .cloned()
        .collect();
    let t = page.t();
    Ok(render(&InboxPage {
        chrome: page.chrome("schedule"),
        me: ctx.user_id.clone(),
        can_manage,
        leave,
        swaps,
        duty,
        colleagues,
        everyone,
        kinds: LEAVE_KINDS.to_vec(),
        today: today.format("%Y-%m-%d").to_string(),
        error: q.error,
        done: q
            .done
            .map(|d| t.t(&format!("schedule.done_{d}")).to_string()),
        t,
    }))
}

/// Answers a form: back to the inbox with what happened.
fn answer<T>(r: Result<T, crate::error::AppError>, done: &str) -> Response {
    match r {
        Ok(_) => back(INBOX, &[("done", done)]),
        Err(e) => back(INBOX, &[("error", &e.to_string())]),
    }
}

#[derive(Deserialize)]
struct LeaveForm {
    _csrf: String,
    kind: String,
    start_date: String,
    end_date: String,
    reason: String,
}

async fn leave(page: Page, Form(f): Form<LeaveForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = LeavePayload {
        kind: f.kind,
        start_date: f.start_date,
        end_date: f.end_date,
        reason: f.reason,
    };
    Ok(answer(
        reqs::request_leave(&page.state, &page.ctx, &p).await,
        "leave_requested",
    ))
}

#[derive(Deserialize)]
struct DecideForm {
    _csrf: String,
    approve: String,
    #[serde(default)]
    note: String,
}

async fn decide_leave(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = DecisionPayload {
        approve: f.approve == "yes",
        note: f.note,
    };
    Ok(answer(
        reqs::decide_leave(&page.state, &page.ctx, &id, &p).await,
        "decided",
    ))
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn cancel_leave(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    Ok(answer(
        reqs::cancel_leave(&page.state, &page.ctx, &id).await,
        "cancelled",
    ))
}

#[derive(Deserialize)]
struct SwapForm {
    _csrf: String,
    date: String,
    counterpart_id: String,
    #[serde(default)]
    counterpart_date: String,
    reason: String,
}

async fn swap(page: Page, Form(f): Form<SwapForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = SwapPayload {
        date: f.date,
        counterpart_id: f.counterpart_id,
        counterpart_date: (!f.counterpart_date.trim().is_empty()).then_some(f.counterpart_date),
        reason: f.reason,
    };
    Ok(answer(
        reqs::request_swap(&page.state, &page.ctx, &p).await,
        "swap_requested",
    ))
}

#[derive(Deserialize)]
struct StepForm {
    _csrf: String,
    step: String,
    #[serde(default)]
    note: String,
}

async fn step_swap(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = SwapStepPayload {
        step: f.step,
        note: f.note,
    };
    Ok(answer(
        reqs::step_swap(&page.state, &page.ctx, &id, &p).await,
        "swap_stepped",
    ))
}

#[derive(Deserialize)]
struct DutyForm {
    _csrf: String,
    date: String,
    kind: String,
    staff_id: String,
    phone: String,
    #[serde(default)]
    note: String,
}

async fn duty(page: Page, Form(f): Form<DutyForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = DutyPayload {
        date: f.date,
        kind: f.kind,
        staff_id: f.staff_id,
        phone: f.phone,
        note: f.note,
    };
    Ok(answer(
        reqs::add_duty(&page.state, &page.ctx, &p).await,
        "duty_saved",
    ))
}

async fn delete_duty(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    Ok(answer(
        reqs::remove_duty(&page.state, &page.ctx, &id).await,
        "duty_deleted",
    ))
}
