//! What clients send and get back for complaints. Phone and address leave masked.

use crate::app::customers::{mask_address, mask_contact};
use crate::app::tickets::Ref;
use crate::app::{rfc3339, short_time};
use kefu_store::complaints::{
    ComplaintDetail, ComplaintStats, ComplaintSummaryRow, RoundRow, StatLine,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Register a complaint (投诉登记表, handbook document 13). `severity`: general (一般),
/// major (重大) or urgent (紧急); major and urgent are escalated to the manager at once.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPayload {
    /// Who complains (投诉人).
    pub complainant: String,
    pub company: Option<String>,
    pub address: Option<String>,
    pub phone: String,
    /// What happened, in the customer's words (投诉原因).
    pub cause: String,
    /// What the customer wants (客户诉求).
    pub desired_outcome: String,
    pub severity: String,
    /// Default: the beginning of the cause.
    pub subject: Option<String>,
    /// The agent's restatement of the problem (复述).
    pub restatement: Option<String>,
    /// The customer confirmed the restatement.
    pub restatement_confirmed: Option<bool>,
    pub customer_id: Option<String>,
    /// Default phone.
    pub channel: Option<String>,
    /// When it happened (RFC 3339).
    pub occurred_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestatementPayload {
    /// The restatement the customer confirmed.
    pub restatement: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlingPayload {
    /// The responsible department (default: your own).
    pub department_id: Option<String>,
    /// The department's analysis of the cause (原因分析).
    pub analysis: String,
    /// What was done and will be done about it (纠正措施).
    pub corrective_action: String,
    /// The root-cause category; required unless already set.
    pub cause_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackPayload {
    /// satisfied or dissatisfied
    pub outcome: String,
    /// What the customer said.
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosePayload {
    /// Required to close without a satisfied callback (`complaint.close_override`).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CausePick {
    pub cause_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackView {
    /// satisfied or dissatisfied
    pub outcome: String,
    pub notes: Option<String>,
    pub at: Option<String>,
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    /// The round's own id (a callback record points at it).
    pub id: String,
    pub round: i64,
    /// registered, dissatisfied (the previous callback) or reopened
    pub opened_because: String,
    pub opened_at: String,
    pub opened_by: Option<String>,
    pub department: Option<Ref>,
    pub analysis: Option<String>,
    pub corrective_action: Option<String>,
    pub handled_at: Option<String>,
    pub handled_by: Option<String>,
    pub callback: Option<CallbackView>,
    #[serde(skip)]
    pub short_handled_at: String,
    #[serde(skip)]
    pub short_callback_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CauseRef {
    pub id: String,
    /// Parent and name, e.g. 物流配送 / 配送延误.
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintView {
    pub ticket_id: String,
    pub number: String,
    pub subject: String,
    pub ticket_status: String,
    pub complainant: Option<String>,
    /// Masked; reveal with `POST /api/v1/tickets/{id}/reveal`.
    pub phone: Option<String>,
    pub company: Option<String>,
    /// Masked; reveal with `POST /api/v1/complaints/{id}/reveal-address`.
    pub address: Option<String>,
    pub cause: String,
    pub desired_outcome: String,
    /// general, major or urgent
    pub severity: String,
    pub serious: bool,
    /// Who recorded the form (the signature, 记录人).
    pub recorder: Ref,
    pub restatement: Option<String>,
    pub restatement_confirmed_at: Option<String>,
    pub restatement_confirmed_by: Option<String>,
    pub cause_category: Option<CauseRef>,
    /// The department that handled the latest round.
    pub responsible_department: Option<Ref>,
    /// handling, awaiting_callback or closed
    pub stage: String,
    pub round: i64,
    pub escalated_to: Option<Ref>,
    /// The manager's written reason, when closed without a satisfied callback.
    pub close_reason: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub rounds: Vec<RoundView>,
}

fn reference(id: &Option<String>, name: &Option<String>) -> Option<Ref> {
    id.as_ref().map(|id| Ref {
        id: id.clone(),
        name: name.clone().unwrap_or_default(),
    })
}

pub fn round_view(r: &RoundRow) -> RoundView {
    RoundView {
        id: r.id.clone(),
        round: r.round,
        opened_because: r.opened_because.clone(),
        opened_at: rfc3339(r.opened_at),
        opened_by: r.opened_by_name.clone(),
        department: reference(&r.department_id, &r.department_name),
        analysis: r.analysis.clone(),
        corrective_action: r.corrective_action.clone(),
        handled_at: r.handled_at.map(rfc3339),
        handled_by: r.handled_by_name.clone(),
        callback: r.callback_outcome.as_ref().map(|outcome| CallbackView {
            outcome: outcome.clone(),
            notes: r.callback_notes.clone(),
            at: r.callback_at.map(rfc3339),
            by: r.callback_by_name.clone(),
        }),
        short_handled_at: r.handled_at.map(short_time).unwrap_or_default(),
        short_callback_at: r.callback_at.map(short_time).unwrap_or_default(),
    }
}

pub fn complaint_view(d: &ComplaintDetail) -> ComplaintView {
    let c = &d.complaint;
    let serious =
        kefu_domain::complaint::Severity::from_code(&c.severity).is_some_and(|s| s.is_serious());
    ComplaintView {
        ticket_id: c.ticket_id.clone(),
        number: c.number.clone(),
        subject: c.subject.clone(),
        ticket_status: c.ticket_status.clone(),
        complainant: c.complainant.clone(),
        phone: c.phone.as_deref().map(|p| mask_contact("mobile", p)),
        company: c.company.clone(),
        address: c.address.as_deref().map(mask_address),
        cause: c.cause.clone(),
        desired_outcome: c.desired_outcome.clone(),
        severity: c.severity.clone(),
        serious,
        recorder: Ref {
            id: c.recorder_id.clone(),
            name: c.recorder_name.clone().unwrap_or_default(),
        },
        restatement: c.restatement.clone(),
        restatement_confirmed_at: c.restatement_confirmed_at.map(rfc3339),
        restatement_confirmed_by: c.restatement_confirmed_by_name.clone(),
        cause_category: c.cause_id.as_ref().map(|id| CauseRef {
            id: id.clone(),
            name: match (&c.cause_parent_name, &c.cause_name) {
                (Some(p), Some(n)) => format!("{p} / {n}"),
                (None, Some(n)) => n.clone(),
                _ => String::new(),
            },
        }),
        responsible_department: reference(&c.department_id, &c.department_name),
        stage: c.stage.clone(),
        round: c.round,
        escalated_to: reference(&c.escalated_to_id, &c.escalated_to_name),
        close_reason: c.close_reason.clone(),
        closed_by: c.closed_by_name.clone(),
        closed_at: c.closed_at.map(rfc3339),
        created_at: rfc3339(c.created_at),
        rounds: d.rounds.iter().map(round_view).collect(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintSummary {
    pub ticket_id: String,
    pub number: String,
    pub subject: String,
    pub ticket_status: String,
    pub complainant: Option<String>,
    pub company: Option<String>,
    pub severity: String,
    pub stage: String,
    pub round: i64,
    pub cause: Option<String>,
    pub responsible_department: Option<String>,
    pub recorder: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    #[serde(skip)]
    pub short_created: String,
}

pub fn summary_view(r: &ComplaintSummaryRow) -> ComplaintSummary {
    ComplaintSummary {
        ticket_id: r.ticket_id.clone(),
        number: r.number.clone(),
        subject: r.subject.clone(),
        ticket_status: r.ticket_status.clone(),
        complainant: r.complainant.clone(),
        company: r.company.clone(),
        severity: r.severity.clone(),
        stage: r.stage.clone(),
        round: r.round,
        cause: r.cause_name.clone(),
        responsible_department: r.department_name.clone(),
        recorder: r.recorder_name.clone(),
        created_at: rfc3339(r.created_at),
        closed_at: r.closed_at.map(rfc3339),
        short_created: short_time(r.created_at),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintList {
    pub items: Vec<ComplaintSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatView {
    /// The cause id, department id or severity code; null: not set yet.
    pub key: Option<String>,
    pub label: Option<String>,
    pub count: i64,
}

fn stat_views(lines: &[StatLine]) -> Vec<StatView> {
    lines
        .iter()
        .map(|l| StatView {
            key: l.key.clone(),
            label: l.label.clone(),
            count: l.count,
        })
        .collect()
}

/// Complaints registered in a month, by root cause, responsible department and severity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// `2026-11`
    pub month: String,
    pub total: i64,
    pub by_cause: Vec<StatView>,
    pub by_department: Vec<StatView>,
    pub by_severity: Vec<StatView>,
}

pub fn stats_view(month: &str, s: &ComplaintStats) -> StatsView {
    StatsView {
        month: month.to_string(),
        total: s.total,
        by_cause: stat_views(&s.by_cause),
        by_department: stat_views(&s.by_department),
        by_severity: stat_views(&s.by_severity),
    }
}
