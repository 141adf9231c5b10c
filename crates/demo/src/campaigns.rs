//! Demo outbound campaigns (主动拨打, document 2: 每人每天定时定量拨打未认证的用户): an
//! active campaign calling registered-but-unverified customers, started two days ago, with
//! yesterday's calls made (so the progress page and the retries have something to show
//! and today's lists are full), and a draft for the next campaign.

use chrono::{DateTime, Duration, Timelike, Utc};
use kefu_domain::calendar::{china_offset, Span};
use kefu_domain::campaign::{CallingHours, CampaignAction, Outcome, RetryRules};
use kefu_domain::customer::CustomerStatus;
use kefu_store::audit::Actor;
use kefu_store::campaigns::calls::NewCall;
use kefu_store::campaigns::{CampaignInput, TargetFilter};
use kefu_store::Db;
use std::collections::HashMap;

use crate::DemoError;

const SCRIPT: &str = "您好，请问是{客户姓名}吗？我是吉米钱包客服，工号{工号}。\
您之前注册了我们的软件，但还没有完成认证，请问是遇到什么问题了吗？我这边可以帮您解答。\n\
（完成认证后）感谢您的支持，如果日后有任何问题，欢迎随时致电客服部，我是客服{工号}，再见！";

/// Yesterday's outcomes, in list order, per agent.
const YESTERDAY: &[Outcome] = &[
    Outcome::Converted,
    Outcome::Unreachable,
    Outcome::Interested,
    Outcome::Refused,
    Outcome::Reached,
    Outcome::Unreachable,
];

fn actor(users: &HashMap<&str, String>, username: &str) -> Actor {
    Actor {
        user_id: Some(users[username].clone()),
        name: username.to_string(),
        client_addr: None,
    }
}

pub(crate) async fn load(
    db: &Db,
    now: DateTime<Utc>,
    users: &HashMap<&str, String>,
) -> Result<usize, DemoError> {
    let agents = ["agent1", "agent2", "agent3", "agent4"];
    let hours = |s: &str| {
        Span::parse(s)
            .map(CallingHours)
            .map_err(|e| DemoError::Invalid(e.to_string()))
    };
    let lead = actor(users, "lead");
    let started = now - Duration::days(2);
    let active = db
        .create_campaign(
            &lead,
            started,
            &CampaignInput {
                name: "注册未认证用户激活".into(),
                script: SCRIPT.into(),
                daily_quota: 8,
                calling_hours: hours("09:00-21:00")?,
                retry: RetryRules {
                    retry_hours: 4,
                    max_attempts: 3,
                },
                refusal_do_not_call: true,
                convert_to_status: Some(CustomerStatus::Verified),
                filter: Some(TargetFilter {
                    status: Some(CustomerStatus::Registered.code().into()),
                    ..TargetFilter::default()
                }),
                agent_ids: agents.iter().map(|a| users[a].clone()).collect(),
            },
        )
        .await
        .map_err(|e| DemoError::Invalid(e.to_string()))?;
    db.change_campaign_status(&lead, started, &active, CampaignAction::Start)
        .await
        .map_err(|e| DemoError::Invalid(e.to_string()))?;
    // Yesterday at 10:00 Beijing time, each agent worked part of the list.
    let local = (now - Duration::days(1)).with_timezone(&china_offset());
    let yesterday = (local - Duration::minutes(i64::from(local.hour() * 60 + local.minute())))
        .with_timezone(&Utc)
        + Duration::hours(10);
    for agent in agents {
        let list = db.todays_calling_list(&users[agent], yesterday).await?;
        for (entry, outcome) in list.iter().zip(YESTERDAY) {
            db.record_campaign_call(
                &actor(users, agent),
                yesterday,
                &NewCall {
                    campaign_id: &active,
                    customer_id: &entry.customer_id,
                    outcome: *outcome,
                    note: None,
                    callback_at: None,
                },
            )
            .await
            .map_err(|e| DemoError::Invalid(e.to_string()))?;
        }
    }
    db.create_campaign(
        &lead,
        now,
        &CampaignInput {
            name: "VIP 客户节前关怀".into(),
            script: "您好{客户姓名}，我是客服{工号}，节日将至，感谢您一直以来的支持……".into(),
            daily_quota: 15,
            calling_hours: hours("09:30-18:00")?,
            retry: RetryRules {
                retry_hours: 24,
                max_attempts: 2,
            },
            refusal_do_not_call: false,
            convert_to_status: None,
            filter: Some(TargetFilter {
                tier: Some("VIP".into()),
                ..TargetFilter::default()
            }),
            agent_ids: vec![users["agent1"].clone(), users["agent2"].clone()],
        },
    )
    .await
    .map_err(|e| DemoError::Invalid(e.to_string()))?;
    Ok(2)
}
