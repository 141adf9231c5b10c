//! Demo complaints (投诉闭环): one closed after two rounds (a dissatisfied callback, then
//! a satisfied one), one handled by 技术部 and waiting for its callback, and a major one
//! just registered and escalated to the manager — so the archive, the rounds on the
//! ticket page and the month's statistics have something to show.

use chrono::{DateTime, Duration, Utc};
use kefu_domain::complaint::{CallbackOutcome, Severity};
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_store::audit::Actor;
use kefu_store::complaints::{Callback, Handling, NewComplaint};
use kefu_store::tickets::{NewTicket, TicketDeadlines, TicketToOpen};
use kefu_store::Db;
use std::collections::HashMap;

use crate::DemoError;

struct Spec {
    agent: &'static str,
    severity: Severity,
    complainant: &'static str,
    company: Option<&'static str>,
    phone: &'static str,
    subject: &'static str,
    cause: &'static str,
    desired: &'static str,
    /// (responsible department, root cause, analysis, corrective action, callback) per round.
    rounds: &'static [Round],
}

type Round = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<(CallbackOutcome, &'static str)>,
);

const SPECS: &[Spec] = &[
    Spec {
        agent: "agent1",
        severity: Severity::General,
        complainant: "陈静",
        company: Some("杭州云帆贸易有限公司"),
        phone: "13905710001",
        subject: "退款十天未到账",
        cause: "客户退货已签收十天，退款仍未到账，多次来电无人答复。",
        desired: "三天内退款到账并说明原因",
        rounds: &[
            (
                crate::org::INTAKE,
                "cause-price-refund",
                "财务退款批次漏单",
                "补录退款并加急处理",
                Some((CallbackOutcome::Dissatisfied, "退款仍未到账，客户很不满")),
            ),
            (
                crate::org::INTAKE,
                "cause-price-refund",
                "补录的退款被银行退回：账户信息有误",
                "与客户核对账户后重新退款，财务每日核对退款批次",
                Some((CallbackOutcome::Satisfied, "退款已到账，客户表示满意")),
            ),
        ],
    },
    Spec {
        agent: "agent2",
        severity: Severity::General,
        complainant: "赵磊",
        company: None,
        phone: "13812340002",
        subject: "维修后空调仍不制冷",
        cause: "上门维修后第二天空调又不制冷，客户要求更换。",
        desired: "更换新机",
        rounds: &[(
            "技术部",
            "cause-repair-again",
            "冷媒泄漏点未找到，仅补充了冷媒",
            "安排资深工程师复检并更换蒸发器",
            None,
        )],
    },
    Spec {
        agent: "agent3",
        severity: Severity::Major,
        complainant: "孙悦",
        company: Some("宁波海岚电子有限公司"),
        phone: "13605740003",
        subject: "批量订单错发型号，影响客户生产",
        cause: "客户订购的 200 台路由器全部错发为旧型号，产线停工等待。",
        desired: "24 小时内换货并赔偿停工损失",
        rounds: &[],
    },
];

/// Registers the demo complaints and takes each through its rounds; returns how many.
pub(crate) async fn load(
    db: &Db,
    now: DateTime<Utc>,
    users: &HashMap<&str, String>,
    departments: &HashMap<&str, String>,
) -> Result<usize, DemoError> {
    let refused = |e: kefu_store::complaints::ComplaintError| DemoError::Ticket(e.to_string());
    for (i, spec) in SPECS.iter().enumerate() {
        let agent = Actor {
            user_id: Some(users[spec.agent].clone()),
            name: spec.agent.into(),
            client_addr: None,
        };
        // Registered over the last days, oldest first; each step a few hours later.
        let opened = now - Duration::hours(30 * (SPECS.len() - i) as i64);
        let at = |step: i64| opened + Duration::hours(3 * step);
        let ticket = NewTicket {
            ticket_type: TicketType::Complaint,
            channel: Channel::Phone,
            priority: if spec.severity.is_serious() {
                Priority::High
            } else {
                Priority::Normal
            },
            subject: spec.subject.into(),
            description: spec.cause.into(),
            occurred_at: None,
            place: None,
            people: None,
            contact_name: Some(spec.complainant.into()),
            contact_phone: Some(spec.phone.into()),
            customer_id: None,
            department_id: departments[crate::org::INTAKE].clone(),
            owner_id: agent.user_id.clone(),
            tags: Vec::new(),
            call_id: None,
        };
        let item = TicketToOpen {
            actor: agent.clone(),
            now: opened,
            ticket,
            deadlines: TicketDeadlines::default(),
        };
        let complaint = NewComplaint {
            company: spec.company.map(str::to_string),
            address: None,
            cause: spec.cause.into(),
            desired_outcome: spec.desired.into(),
            severity: spec.severity,
            restatement: Some(format!(
                "您反映的是：{}，希望{}，对吗？",
                spec.subject, spec.desired
            )),
            restatement_confirmed: true,
            escalation_reason: "重大投诉：按规定自动升级至经理，请跟进处理并及时答复客户。".into(),
        };
        let id = db
            .register_complaint(&item, &complaint)
            .await
            .map_err(refused)?
            .ticket_id;
        for (n, (department, cause, analysis, action, callback)) in spec.rounds.iter().enumerate() {
            let step = 2 * n as i64 + 1;
            let handling = Handling {
                department_id: departments[department].clone(),
                analysis: (*analysis).into(),
                corrective_action: (*action).into(),
                cause_id: Some((*cause).into()),
            };
            db.record_complaint_handling(&agent, at(step), &id, &handling)
                .await
                .map_err(refused)?;
            if let Some((outcome, notes)) = callback {
                let cb = Callback {
                    outcome: *outcome,
                    notes: (*notes).into(),
                };
                db.record_complaint_callback(&agent, at(step + 1), &id, &cb)
                    .await
                    .map_err(refused)?;
            }
        }
    }
    Ok(SPECS.len())
}
