//! Demo satisfaction surveys (满意度调查): two templates (after-sale, after a complaint)
//! and a week of answers — some through SMS links, some recorded by the 回访专员 on the
//! phone — two of them dissatisfied, each with its follow-up work order in the customer
//! owner's group, so the results page and the follow-up queue have something to show.

use chrono::{DateTime, Duration, Utc};
use kefu_domain::survey::{parse_answers, parse_template, RawQuestion, SurveyChannel, Thresholds};
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_store::audit::Actor;
use kefu_store::surveys::{NewInvitation, NewResponse, TemplateInput};
use kefu_store::tickets::{NewTicket, TicketDeadlines, TicketToOpen};
use kefu_store::{new_id, Db};
use std::collections::{BTreeMap, HashMap};

use crate::DemoError;

fn q<'a>(kind: &'a str, text: &'a str, options: &[&'a str], required: bool) -> RawQuestion<'a> {
    RawQuestion {
        kind,
        text,
        options: options.to_vec(),
        required,
    }
}

fn invalid(e: impl std::fmt::Display) -> DemoError {
    DemoError::Invalid(e.to_string())
}

/// (hours ago, template index, by link?, csat, nps, choice, comment)
type Answer = (
    i64,
    usize,
    bool,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ANSWERS: &[Answer] = &[
    (150, 0, true, "5", "10", "已解决", "安装师傅很专业"),
    (130, 0, false, "4", "9", "已解决", ""),
    (
        100,
        1,
        false,
        "2",
        "",
        "未解决",
        "退款还没到账，希望尽快处理",
    ),
    (76, 0, true, "3", "7", "部分解决", "送货比承诺晚了一天"),
    (
        50,
        0,
        true,
        "1",
        "3",
        "未解决",
        "维修后还是漏水，已经第二次了",
    ),
    (26, 1, false, "4", "", "已解决", "处理及时，谢谢"),
    (5, 0, false, "5", "9", "已解决", ""),
];

/// Loads the templates and answers; returns how many answers were recorded.
pub(crate) async fn load(
    db: &Db,
    now: DateTime<Utc>,
    users: &HashMap<&str, String>,
    intake: &str,
    customer_ids: &[String],
) -> Result<usize, DemoError> {
    let manager = Actor {
        user_id: Some(users["manager"].clone()),
        name: "经理".into(),
        client_addr: None,
    };
    let templates = [
        parse_template(
            "售后服务满意度回访",
            &[
                q("csat", "您对本次售后服务的整体满意度如何？", &[], true),
                q("nps", "您有多大可能把我们推荐给亲友？", &[], false),
                q(
                    "single",
                    "您反映的问题解决了吗？",
                    &["已解决", "部分解决", "未解决"],
                    true,
                ),
                q(
                    "multiple",
                    "您认为哪些方面需要改进？",
                    &["响应速度", "服务态度", "专业水平", "上门准时"],
                    false,
                ),
                q("text", "其他意见和建议", &[], false),
            ],
        ),
        parse_template(
            "投诉处理回访",
            &[
                q("csat", "您对投诉处理结果满意吗？", &[], true),
                q(
                    "single",
                    "问题是否已经解决？",
                    &["已解决", "部分解决", "未解决"],
                    true,
                ),
                q("text", "您还有什么需要我们改进的？", &[], false),
            ],
        ),
    ];
    let mut rows = Vec::new();
    for t in templates {
        let (name, questions) = t.map_err(invalid)?;
        let input = TemplateInput {
            name: name.clone(),
            description: Some(
                "回访专员按回访标准话术逐题询问，或通过短信链接由客户自行填写。".into(),
            ),
            questions: questions.clone(),
            active: true,
        };
        let id = db
            .create_survey_template(&manager, now - Duration::days(10), &input)
            .await
            .map_err(invalid)?;
        rows.push((id, name, questions));
    }
    let agents = ["callback1", "callback2"];
    for (i, (hours, t, by_link, csat, nps, choice, comment)) in ANSWERS.iter().enumerate() {
        let (template_id, name, questions) = &rows[*t];
        let customer_id = &customer_ids[(i * 7) % customer_ids.len()];
        let at = now - Duration::hours(*hours);
        let agent = agents[i % agents.len()];
        let staff = Actor {
            user_id: Some(users[agent].clone()),
            name: agent.into(),
            client_addr: None,
        };
        let mut raw: BTreeMap<String, Vec<String>> = BTreeMap::new();
        raw.insert("q1".into(), vec![csat.to_string()]);
        let (choice_q, text_q) = if *t == 0 { ("q3", "q5") } else { ("q2", "q3") };
        if *t == 0 && !nps.is_empty() {
            raw.insert("q2".into(), vec![nps.to_string()]);
        }
        raw.insert(choice_q.into(), vec![choice.to_string()]);
        if !comment.is_empty() {
            raw.insert(text_q.into(), vec![comment.to_string()]);
        }
        let answers = parse_answers(questions, &raw).map_err(invalid)?;
        let dissatisfied = Thresholds::default().is_dissatisfied(answers.csat, answers.nps);
        let invitation_id = if *by_link {
            let id = new_id();
            let inv = NewInvitation {
                id: id.clone(),
                template_id: template_id.clone(),
                customer_id: customer_id.clone(),
                ticket_id: None,
                channel: SurveyChannel::Sms,
                recipient: format!("1390000{:04}", 100 + i),
                expires_at: at + Duration::days(7),
                message: format!("【客服中心】诚邀您评价本次服务（演示数据 {name}）"),
            };
            db.create_survey_invitation(&staff, at - Duration::hours(2), &inv, name)
                .await?;
            Some(id)
        } else {
            None
        };
        let response_id = new_id();
        let followup = dissatisfied.then(|| TicketToOpen {
            actor: staff.clone(),
            now: at,
            ticket: NewTicket {
                ticket_type: TicketType::Inquiry,
                channel: if *by_link { Channel::Sms } else { Channel::Phone },
                priority: Priority::High,
                subject: format!("满意度回访不满意跟进：{name}（CSAT {csat}）"),
                description: format!(
                    "客户在满意度调查“{name}”中表示不满意（答卷编号 {response_id}），请联系客户了解原因并改进。\n{comment}"
                ),
                occurred_at: None,
                place: None,
                people: None,
                contact_name: None,
                contact_phone: None,
                customer_id: Some(customer_id.clone()),
                department_id: intake.to_string(),
                owner_id: None,
                tags: vec!["满意度跟进".into()],
                call_id: None,
            },
            deadlines: TicketDeadlines::default(),
        });
        let response = NewResponse {
            id: response_id,
            invitation_id,
            template_id: template_id.clone(),
            customer_id: customer_id.clone(),
            ticket_id: None,
            callback_id: None,
            channel: if *by_link {
                SurveyChannel::Sms
            } else {
                SurveyChannel::Callback
            },
            answers,
            dissatisfied,
        };
        let (actor, answered_by) = if *by_link {
            let link = Actor {
                user_id: None,
                name: "survey link".into(),
                client_addr: None,
            };
            (link, None)
        } else {
            (staff.clone(), Some(users[agent].as_str()))
        };
        db.record_survey_response(&actor, answered_by, at, &response, name, followup.as_ref())
            .await
            .map_err(invalid)?;
    }
    Ok(ANSWERS.len())
}
