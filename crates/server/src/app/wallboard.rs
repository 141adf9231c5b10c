//! The shift lead's wallboard (监控大屏, issue 9): calls and chats waiting now and for how
//! long, today's service level against the scheduling target, tickets late or promised
//! for today, today's callbacks, overdue duty tasks, and who is on shift doing what. The
//! page polls it every few seconds; every figure is an index range or a counter (see
//! `kefu_store::wallboard`).

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Duration, Utc};
use kefu_domain::schedule::ServiceTarget;
use kefu_domain::Permission;
use kefu_store::wallboard::{BoardDay, Today, Waiting};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueNow {
    /// The call queue or the chat topic.
    pub queue: String,
    pub waiting: i64,
    /// How long the longest-waiting one has waited, in seconds.
    pub longest_wait_s: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TodaySoFar {
    pub offered: i64,
    pub answered: i64,
    pub answered_in_target: i64,
    pub abandoned: i64,
    /// Answered within the target's seconds ÷ offered (0–1); absent before the first.
    pub service_level: Option<f64>,
    /// Whether the service level meets the target; absent before the first.
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelNow {
    pub waiting: i64,
    pub longest_wait_s: i64,
    pub queues: Vec<QueueNow>,
    pub today: TodaySoFar,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketsNow {
    /// Open tickets past their promise.
    pub overdue: i64,
    pub unassigned: i64,
    /// Open tickets promised for today.
    pub due_today: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbacksNow {
    /// Open callbacks due before the day ends …
    pub due_today: i64,
    /// … of which already late.
    pub late: i64,
    pub attempts_today: i64,
    /// Attempts today that reached the customer.
    pub reached_today: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutiesNow {
    /// Open duty tasks past their due time (see /duties/overdue).
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnShift {
    pub user_id: String,
    pub name: String,
    /// The shift template's code (a, b, c …).
    pub shift: String,
    pub queue: String,
    pub starts_at: String,
    pub ends_at: String,
    /// An on-call (值班) shift rather than a working one.
    pub on_call: bool,
    /// Calls they are on now.
    pub calls: i64,
    /// Chats they are answering now.
    pub chats: i64,
    pub chat_available: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Wallboard {
    pub at: String,
    /// The service target from the scheduling settings: the share (0–1) …
    pub target_service_level: f64,
    /// … answered within this many seconds.
    pub target_answer_seconds: u32,
    pub calls: ChannelNow,
    pub chats: ChannelNow,
    pub tickets: TicketsNow,
    pub callbacks: CallbacksNow,
    pub duties: DutiesNow,
    pub on_shift: Vec<OnShift>,
}

fn channel(waiting: Vec<Waiting>, today: Today, target: &ServiceTarget, now: i64) -> ChannelNow {
    let wait_s = |oldest: i64| (now - oldest).max(0) / 1000;
    let queues: Vec<QueueNow> = waiting
        .into_iter()
        .map(|w| QueueNow {
            longest_wait_s: wait_s(w.oldest_at),
            queue: w.queue,
            waiting: w.waiting,
        })
        .collect();
    let level = ServiceTarget::reached(today.answered_in_target, today.offered);
    ChannelNow {
        waiting: queues.iter().map(|q| q.waiting).sum(),
        longest_wait_s: queues.iter().map(|q| q.longest_wait_s).max().unwrap_or(0),
        queues,
        today: TodaySoFar {
            offered: today.offered,
            answered: today.answered,
            answered_in_target: today.answered_in_target,
            abandoned: today.abandoned,
            service_level: level,
            target_met: level.map(|l| target.met_by(l)),
        },
    }
}

/// The wallboard now.
pub async fn board(state: &AppState, ctx: &Ctx) -> Result<Wallboard, AppError> {
    ctx.require(Permission::ReportView)?;
    let db = state.db();
    let now = state.clock().now();
    let target = db.get_schedule_settings().await?.target;
    let today = now
        .with_timezone(&super::schedule::center_offset())
        .date_naive();
    let start = super::schedule::center_midnight(today);
    let day = BoardDay {
        now,
        start,
        end: start + Duration::days(1),
        today,
        answer_seconds: i64::from(target.answer_seconds),
    };
    let b = db.wallboard(&day).await?;
    let shifts = db.shifts_at(now).await?;
    let ids: Vec<String> = shifts.iter().map(|s| s.staff_id.clone()).collect();
    let doing = db.agents_now(&ids).await?;
    let ms = kefu_store::to_millis(now);
    let at = |t: chrono::DateTime<Utc>| super::rfc3339(kefu_store::to_millis(t));
    Ok(Wallboard {
        at: super::rfc3339(ms),
        target_service_level: target.service_level,
        target_answer_seconds: target.answer_seconds,
        calls: channel(b.calls_waiting, b.calls_today, &target, ms),
        chats: channel(b.chats_waiting, b.chats_today, &target, ms),
        tickets: TicketsNow {
            overdue: b.tickets_overdue,
            unassigned: b.tickets_unassigned,
            due_today: b.tickets_due_today,
        },
        callbacks: CallbacksNow {
            due_today: b.callbacks.due,
            late: b.callbacks.late,
            attempts_today: b.callbacks.attempts,
            reached_today: b.callbacks.reached,
        },
        duties: DutiesNow {
            overdue: b.duties_overdue,
        },
        on_shift: shifts
            .into_iter()
            .map(|s| {
                let d = doing.get(&s.staff_id).cloned().unwrap_or_default();
                OnShift {
                    starts_at: at(s.starts_at),
                    ends_at: at(s.ends_at),
                    user_id: s.staff_id,
                    name: s.display_name,
                    shift: s.template_code,
                    queue: s.queue,
                    on_call: s.on_call,
                    calls: d.calls,
                    chats: d.chats,
                    chat_available: d.chat_available,
                }
            })
            .collect(),
    })
}
