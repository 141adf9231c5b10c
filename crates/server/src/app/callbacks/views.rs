//! What clients send and get back for callbacks. Phones leave masked unless the viewer
//! holds `customer.pii.read`.

use crate::app::customers::mask_contact;
use crate::app::rfc3339;
use kefu_store::callbacks::{AttemptRow, TaskRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `today` (default: due before the end of today, backlog included), `overdue`
    /// (raised by the 48-hour follow-up watch) or a kind (`after_sale`, `complaint`,
    /// `periodic`, `care`, `renewal`, `repair_verify`, `pre_sale`, `manual`).
    pub tab: Option<String>,
    /// `me`, `unassigned`, `all` (default) or a user id.
    pub assignee: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A task in a queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskSummary {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub customer: Option<Named>,
    pub customer_tier: Option<String>,
    pub ticket_number: Option<String>,
    pub title: Option<String>,
    pub plan: Option<Named>,
    /// The period (`2026-11`, `2026-Q4`) or date of a plan task.
    pub period: Option<String>,
    pub due_at: String,
    /// When the next attempt is due (the queue's order).
    pub next_at: String,
    /// When the follow-up watch raised the task (overdue), if it did.
    pub raised_at: Option<String>,
    pub assignee: Option<Named>,
    pub attempts: i64,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueCountsView {
    pub today: i64,
    pub overdue: i64,
    /// Open tasks per kind.
    pub by_kind: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<TaskSummary>,
    pub next_cursor: Option<String>,
    pub counts: QueueCountsView,
}

/// The script to read out, filled in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptView {
    /// The knowledge article's title, when the script is one.
    pub title: Option<String>,
    pub text: String,
    pub html: String,
    /// Placeholders without a value here.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: String,
    /// `unreachable`, `busy`, `later`, `done`.
    pub result: String,
    pub later_at: Option<String>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub by: Option<String>,
    pub at: String,
}

/// The handbook's callback record (回访记录): name, gender, phone, time, opinions and
/// suggestions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordView {
    pub contact_name: Option<String>,
    pub contact_gender: Option<String>,
    /// Masked unless you may see personal data.
    pub contact_phone: Option<String>,
    pub contacted_at: Option<String>,
    pub opinions: Option<String>,
    pub suggestions: Option<String>,
}

/// A task with what its page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: TaskSummary,
    pub customer_gender: Option<String>,
    pub customer_expires_on: Option<String>,
    pub ticket_id: Option<String>,
    pub ticket_subject: Option<String>,
    pub round: Option<i64>,
    /// The number to call: masked unless you may see personal data.
    pub phone: Option<String>,
    pub phone_masked: bool,
    pub failed_attempts: i64,
    pub notes: Option<String>,
    pub record: RecordView,
    /// A repair verification's fee in yuan (`85.50`) and whether the customer confirmed it.
    pub fee: Option<String>,
    pub fee_confirmed: Option<bool>,
    pub closed_at: Option<String>,
    pub script: ScriptView,
    pub attempts_list: Vec<AttemptView>,
}

/// An attempt as recorded. `later_at` is RFC 3339 or local `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptPayload {
    /// `unreachable`, `busy`, `later` (with `later_at`) or `done` (with `outcome`).
    pub result: String,
    pub later_at: Option<String>,
    /// `satisfied`, `dissatisfied` or `declined` (a complaint callback: satisfied or
    /// dissatisfied; it closes the complaint or opens its next round).
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub contact_name: Option<String>,
    /// `male`, `female`, `unknown`.
    pub contact_gender: Option<String>,
    pub contact_phone: Option<String>,
    pub opinions: Option<String>,
    pub suggestions: Option<String>,
    /// The repair fee in yuan.
    pub fee: Option<String>,
    pub fee_confirmed: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptResultView {
    /// `open` (with `next_at`) or `done` (with `outcome`).
    pub status: String,
    pub next_at: Option<String>,
    pub outcome: Option<String>,
    /// For a complaint callback: `closed` or `new_round`.
    pub complaint: Option<String>,
}

/// A task by hand.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayload {
    /// Default `manual`; not `complaint` or `periodic` (those come from rules).
    pub kind: Option<String>,
    pub customer_id: String,
    pub ticket_id: Option<String>,
    pub title: Option<String>,
    /// A knowledge article (script) to read.
    pub article_id: Option<String>,
    /// Default: now.
    pub due_at: Option<String>,
    pub assignee_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignPayload {
    /// Empty: back to the pool.
    pub assignee_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GeneratedView {
    pub periodic: u64,
    pub care: u64,
    pub renewal: u64,
}

fn named(id: &Option<String>, name: &Option<String>) -> Option<Named> {
    id.as_ref().map(|id| Named {
        id: id.clone(),
        name: name.clone().unwrap_or_default(),
    })
}

pub fn summary_view(t: &TaskRow) -> TaskSummary {
    TaskSummary {
        id: t.id.clone(),
        kind: t.kind.clone(),
        status: t.status.clone(),
        customer: named(&t.customer_id, &t.customer_name),
        customer_tier: t.customer_tier.clone(),
        ticket_number: t.ticket_number.clone(),
        title: t.title.clone(),
        plan: named(&t.plan_id, &t.plan_name),
        period: t.period_key.clone(),
        due_at: rfc3339(t.due_at),
        next_at: rfc3339(t.next_at),
        raised_at: t.raised_at.map(rfc3339),
        assignee: named(&t.assignee_id, &t.assignee_name),
        attempts: t.attempts,
        outcome: t.outcome.clone(),
    }
}

pub fn counts_view(c: &kefu_store::callbacks::QueueCounts) -> QueueCountsView {
    QueueCountsView {
        today: c.due,
        overdue: c.raised,
        by_kind: c.by_kind.iter().cloned().collect(),
    }
}

pub fn attempt_view(a: &AttemptRow) -> AttemptView {
    AttemptView {
        id: a.id.clone(),
        result: a.result.clone(),
        later_at: a.later_at.map(rfc3339),
        outcome: a.outcome.clone(),
        notes: a.notes.clone(),
        by: a.by_name.clone(),
        at: rfc3339(a.at),
    }
}

pub fn fee_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub(super) fn detail_view(
    t: &TaskRow,
    attempts: &[AttemptRow],
    phone: Option<&str>,
    clear: bool,
    script: ScriptView,
) -> TaskDetail {
    let show = |p: &str| {
        if clear {
            p.to_string()
        } else {
            mask_contact("mobile", p)
        }
    };
    TaskDetail {
        task: summary_view(t),
        customer_gender: t.customer_gender.clone(),
        customer_expires_on: t.customer_expires_on.clone(),
        ticket_id: t.ticket_id.clone(),
        ticket_subject: t.ticket_subject.clone(),
        round: t.round,
        phone: phone.map(show),
        phone_masked: !clear,
        failed_attempts: t.failed_attempts,
        notes: t.notes.clone(),
        record: RecordView {
            contact_name: t.contact_name.clone(),
            contact_gender: t.contact_gender.clone(),
            contact_phone: t.contact_phone.as_deref().map(show),
            contacted_at: t.contacted_at.map(rfc3339),
            opinions: t.opinions.clone(),
            suggestions: t.suggestions.clone(),
        },
        fee: t.fee_cents.map(fee_text),
        fee_confirmed: t.fee_confirmed.map(|f| f != 0),
        closed_at: t.closed_at.map(rfc3339),
        script,
        attempts_list: attempts.iter().map(attempt_view).collect(),
    }
}
