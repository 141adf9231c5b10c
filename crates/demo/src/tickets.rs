//! Demo work orders: a morning's mix of consultations, complaints, repairs and bugs in
//! every state — unclaimed web-form tickets, work in progress, tickets waiting on 技术部
//! and 研发部, resolved and closed ones, and two whose promise has already run out (the
//! scheduler marks them overdue on its first tick).

use chrono::{DateTime, Duration, Utc};
use kefu_domain::calendar::{BusinessCalendar, CHINA_2026};
use kefu_domain::ticket::{Channel, Priority, StatusAction, TicketType};
use kefu_store::audit::Actor;
use kefu_store::tickets::{NewTicket, TicketChange, TicketDeadlines};
use kefu_store::Db;
use std::collections::HashMap;

use crate::DemoError;

/// What happens to a demo ticket after it is opened.
#[derive(Clone, Copy)]
enum Story {
    /// Arrived through the web form; nobody has taken it.
    Unclaimed,
    /// Taken and being worked on, with a first reply.
    Working,
    /// Transferred to a department, which has not answered yet.
    Transferred(&'static str),
    /// The promise ran out before anyone called back.
    Overdue,
    Resolved,
    Closed,
}

struct Spec {
    ticket_type: TicketType,
    priority: Priority,
    subject: &'static str,
    description: &'static str,
    story: Story,
}

const SPECS: &[Spec] = &[
    Spec {
        ticket_type: TicketType::Complaint,
        priority: Priority::High,
        subject: "快递三天未送达，要求赔偿",
        description: "客户来电：订单 DD20261125031 显示已发货三天，物流信息停在中转站。",
        story: Story::Overdue,
    },
    Spec {
        ticket_type: TicketType::Consultation,
        priority: Priority::Normal,
        subject: "咨询新款路由器的保修政策",
        description: "客户想了解整机保修年限以及是否支持上门更换。",
        story: Story::Resolved,
    },
    Spec {
        ticket_type: TicketType::Repair,
        priority: Priority::High,
        subject: "空调不制冷，预约上门维修",
        description: "客户家中空调开机后不制冷，已按说明书重启无效。",
        story: Story::Transferred("技术部"),
    },
    Spec {
        ticket_type: TicketType::Inquiry,
        priority: Priority::Normal,
        subject: "查询订单 DD20261127008 发货进度",
        description: "客户询问下单两天仍未发货的原因。",
        story: Story::Working,
    },
    Spec {
        ticket_type: TicketType::Bug,
        priority: Priority::Urgent,
        subject: "手机 App 登录后闪退",
        description: "客户反映升级到 5.2 版后，登录成功即闪退，安卓 14。",
        story: Story::Transferred("研发部"),
    },
    Spec {
        ticket_type: TicketType::Suggestion,
        priority: Priority::Low,
        subject: "建议增加夜间人工客服",
        description: "客户建议晚上十点后也能转人工。",
        story: Story::Closed,
    },
    Spec {
        ticket_type: TicketType::ReturnExchange,
        priority: Priority::Normal,
        subject: "电饭煲内胆有划痕，申请换货",
        description: "收货当天发现内胆涂层有明显划痕，包装完好。",
        story: Story::Unclaimed,
    },
    Spec {
        ticket_type: TicketType::Complaint,
        priority: Priority::Urgent,
        subject: "安装师傅迟到两小时且态度差",
        description: "客户投诉安装人员未按约定时间上门，解释时语气生硬。",
        story: Story::Working,
    },
    Spec {
        ticket_type: TicketType::Feature,
        priority: Priority::Low,
        subject: "希望发票能在 App 内下载",
        description: "企业客户需要每月批量下载电子发票。",
        story: Story::Transferred("研发部"),
    },
    Spec {
        ticket_type: TicketType::Consultation,
        priority: Priority::Normal,
        subject: "会员积分如何兑换",
        description: "客户询问积分兑换规则和有效期。",
        story: Story::Unclaimed,
    },
    Spec {
        ticket_type: TicketType::Inquiry,
        priority: Priority::Normal,
        subject: "退款到账时间查询",
        description: "客户 11 月 20 日申请退款，询问何时到账。",
        story: Story::Overdue,
    },
    Spec {
        ticket_type: TicketType::Repair,
        priority: Priority::Normal,
        subject: "洗衣机排水异响",
        description: "脱水时有明显异响，怀疑排水泵故障。",
        story: Story::Resolved,
    },
];

/// The reply promise the demo makes: 48 working hours on office hours with the holidays.
fn calendar() -> BusinessCalendar {
    let mut c = BusinessCalendar::china_office_hours();
    // The shipped data is valid; a demo without holidays is still a demo.
    let _ = c.load_holidays(CHINA_2026);
    c
}

pub(crate) async fn load(
    db: &Db,
    now: DateTime<Utc>,
    users: &HashMap<&str, String>,
    departments: &HashMap<&str, String>,
    customers: &[String],
) -> Result<usize, DemoError> {
    let cal = calendar();
    let agents = ["agent1", "agent2", "agent3", "agent4"];
    let intake = &departments[crate::org::INTAKE];
    let web = Actor {
        user_id: None,
        name: "web form".into(),
        client_addr: None,
    };
    for (i, spec) in SPECS.iter().enumerate() {
        let agent_name = agents[i % agents.len()];
        let agent_id = users[agent_name].clone();
        let agent = Actor {
            user_id: Some(agent_id.clone()),
            name: agent_name.into(),
            client_addr: None,
        };
        // Opened over the last few days, oldest first.
        let opened = now - Duration::hours(6 * (SPECS.len() - i) as i64);
        let unclaimed = matches!(spec.story, Story::Unclaimed);
        let ticket = NewTicket {
            ticket_type: spec.ticket_type,
            channel: if unclaimed {
                Channel::WebForm
            } else {
                Channel::Phone
            },
            priority: spec.priority,
            subject: spec.subject.into(),
            description: spec.description.into(),
            occurred_at: Some(opened - Duration::hours(2)),
            place: None,
            people: None,
            contact_name: None,
            contact_phone: None,
            customer_id: customers.get(i * 7 % customers.len().max(1)).cloned(),
            department_id: intake.clone(),
            owner_id: (!unclaimed).then(|| agent_id.clone()),
            tags: Vec::new(),
            call_id: None,
        };
        // An overdue story promised a call back within two hours, hours ago; the others
        // got the handbook's 48 working hours.
        let promise = if matches!(spec.story, Story::Overdue) {
            Some((
                "我们将在 2 小时内回电".to_string(),
                opened + Duration::hours(2),
            ))
        } else {
            cal.add_working(opened, Duration::hours(48))
                .map(|due| ("我们将在 48 个工作小时内答复您".to_string(), due))
        };
        let deadlines = TicketDeadlines {
            sla_policy_id: None,
            first_response_due: cal.add_working(opened, Duration::hours(4)),
            resolution_due: cal.add_working(opened, Duration::hours(120)),
            promise,
        };
        let actor = if unclaimed { &web } else { &agent };
        let (id, _) = db.create_ticket(actor, opened, &ticket, &deadlines).await?;
        let at = |minutes: i64| opened + Duration::minutes(minutes);
        let mut changes: Vec<TicketChange> = Vec::new();
        match spec.story {
            Story::Unclaimed | Story::Overdue => {}
            Story::Working => {
                changes.push(TicketChange::Status {
                    action: StatusAction::Start,
                    resumed: None,
                });
                changes.push(TicketChange::Reply {
                    channel: Channel::Phone,
                    body: "已记录您的问题，正在核实，会尽快回电。".into(),
                });
            }
            Story::Transferred(dept) => {
                changes.push(TicketChange::Status {
                    action: StatusAction::Start,
                    resumed: None,
                });
                changes.push(TicketChange::Transfer {
                    department_id: departments[dept].clone(),
                    request: format!("请{dept}协助处理：{}", spec.subject),
                });
            }
            Story::Resolved | Story::Closed => {
                changes.push(TicketChange::Status {
                    action: StatusAction::Start,
                    resumed: None,
                });
                changes.push(TicketChange::Reply {
                    channel: Channel::Phone,
                    body: "已为您处理完毕，如有问题请随时联系我们。".into(),
                });
                changes.push(TicketChange::Status {
                    action: StatusAction::Resolve,
                    resumed: None,
                });
                if matches!(spec.story, Story::Closed) {
                    changes.push(TicketChange::Status {
                        action: StatusAction::Close,
                        resumed: None,
                    });
                }
            }
        }
        for (n, change) in changes.iter().enumerate() {
            db.change_ticket(&agent, at(10 * (n as i64 + 1)), &id, change)
                .await
                .map_err(|e| DemoError::Ticket(e.to_string()))?;
        }
    }
    Ok(SPECS.len())
}
