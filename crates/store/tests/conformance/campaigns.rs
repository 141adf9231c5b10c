//! Outbound campaigns (主动拨打): targets from a filter, daily lists within the quota,
//! retries, conversion, once a day across campaigns, do-not-call and calling hours.

use crate::common::{actor_for, create_customer, create_user, customer, mobile, system, t0};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::calendar::Span;
use kefu_domain::campaign::{CallingHours, CampaignAction, Outcome, RetryRules, TargetState};
use kefu_domain::customer::CustomerStatus;
use kefu_store::campaigns::calls::NewCall;
use kefu_store::campaigns::{CampaignError, CampaignInput, TargetFilter};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn campaign(name: &str, quota: u32, hours: &str, agents: &[&String]) -> CampaignInput {
    CampaignInput {
        name: name.into(),
        script: "您好{客户姓名}，我是客服{工号}".into(),
        daily_quota: quota,
        calling_hours: CallingHours(Span::parse(hours).unwrap()),
        retry: RetryRules {
            retry_hours: 4,
            max_attempts: 2,
        },
        refusal_do_not_call: true,
        convert_to_status: Some(CustomerStatus::Verified),
        filter: Some(TargetFilter {
            status: Some("registered".into()),
            ..TargetFilter::default()
        }),
        agent_ids: agents.iter().map(|a| a.to_string()).collect(),
    }
}

static PHONES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// `n` registered customers with distinct mobiles.
async fn registered(db: &Db, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut c = customer(&format!("{prefix}{i}"));
        c.status = CustomerStatus::Registered;
        let n = PHONES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        c.contacts = vec![mobile(&format!("1391234{n:04}"))];
        ids.push(create_customer(db, &c).await);
    }
    ids
}

async fn list(db: &Db, agent: &str, now: DateTime<Utc>) -> Vec<(String, String, bool)> {
    let day = kefu_domain::campaign::call_day(now).to_string();
    db.todays_calling_list(agent, now)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let called = e.last_call_day.as_deref() == Some(day.as_str());
            (e.campaign_id, e.customer_id, called)
        })
        .collect()
}

async fn call(
    db: &Db,
    agent: &str,
    now: DateTime<Utc>,
    campaign_id: &str,
    customer_id: &str,
    outcome: Outcome,
) -> Result<TargetState, CampaignError> {
    db.record_campaign_call(
        &actor_for(agent, "坐席"),
        now,
        &NewCall {
            campaign_id,
            customer_id,
            outcome,
            note: Some("测试"),
            callback_at: None,
        },
    )
    .await
    .map(|r| r.state)
}

pub async fn lists_respect_the_quota_and_retries_come_back(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let a = create_user(db, "a").await;
    let b = create_user(db, "b").await;
    let customers = registered(db, "注册", 5).await;
    let mut verified = customer("已认证");
    verified.status = CustomerStatus::Verified;
    verified.contacts = vec![mobile("13700000001")];
    create_customer(db, &verified).await;
    let mut no_phone = customer("无电话");
    no_phone.status = CustomerStatus::Registered;
    create_customer(db, &no_phone).await;

    let id = db
        .create_campaign(
            &system(),
            t0(),
            &campaign("激活", 2, "00:00-24:00", &[&a, &b]),
        )
        .await
        .unwrap();
    assert!(list(db, &a, t0()).await.is_empty(), "a draft has no lists");
    db.change_campaign_status(&system(), t0(), &id, CampaignAction::Start)
        .await
        .unwrap();
    let p = db.campaign_progress(&id, t0()).await.unwrap();
    assert_eq!(p.targets, 5, "registered customers with a phone");

    let now = t0() + Duration::minutes(5);
    let la = list(db, &a, now).await;
    let lb = list(db, &b, now).await;
    assert_eq!((la.len(), lb.len()), (2, 2));
    assert!(
        la.iter().all(|x| !lb.iter().any(|y| y.1 == x.1)),
        "disjoint"
    );
    assert_eq!(list(db, &a, now).await, la, "opening again adds nothing");

    // Not on a's list: refused.
    let other = customers
        .iter()
        .find(|c| !la.iter().any(|x| &x.1 == *c))
        .unwrap();
    assert!(matches!(
        call(db, &a, now, &id, other, Outcome::Reached).await,
        Err(CampaignError::NotOnList)
    ));
    assert_eq!(
        call(db, &a, now, &id, &la[0].1, Outcome::Unreachable)
            .await
            .unwrap(),
        TargetState::Pending
    );
    assert!(matches!(
        call(db, &a, now, &id, &la[0].1, Outcome::Unreachable).await,
        Err(CampaignError::CalledToday)
    ));
    assert_eq!(
        call(db, &a, now, &id, &la[1].1, Outcome::Converted)
            .await
            .unwrap(),
        TargetState::Done
    );
    let converted = db.get_customer(&la[1].1).await.unwrap();
    assert_eq!(converted.core.status, "verified");
    // Quota used: the list shows the two calls and takes nobody new today.
    let after = list(db, &a, now + Duration::hours(5)).await;
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|x| x.2));

    // Next day: the unreachable one is due again and comes first, then a fresh one
    // (yesterday's claims lapse).
    let day2 = now + Duration::days(1);
    let la2 = list(db, &a, day2).await;
    assert_eq!(la2.len(), 2);
    assert_eq!(la2[0].1, la[0].1, "the retry first");
    assert_eq!(
        call(db, &a, day2, &id, &la[0].1, Outcome::Unreachable)
            .await
            .unwrap(),
        TargetState::Done,
        "second unreachable of two attempts gives up"
    );
    let p = db.campaign_progress(&id, day2).await.unwrap();
    assert_eq!((p.done, p.calls_total, p.calls_today), (2, 3, 1));
    assert_eq!(p.outcome("converted"), 1);
    let pa = p.agents.iter().find(|x| x.agent_id == a).unwrap();
    assert_eq!((pa.calls_total, pa.calls_today, pa.converted), (3, 1, 1));
    t.cleanup().await;
}

pub async fn once_a_day_do_not_call_and_calling_hours(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let x = create_user(db, "x").await;
    let y = create_user(db, "y").await;
    let customers = registered(db, "重叠", 2).await;
    let first = db
        .create_campaign(&system(), t0(), &campaign("甲", 5, "00:00-24:00", &[&x]))
        .await
        .unwrap();
    let second = db
        .create_campaign(&system(), t0(), &campaign("乙", 5, "00:00-24:00", &[&y]))
        .await
        .unwrap();
    for id in [&first, &second] {
        db.change_campaign_status(&system(), t0(), id, CampaignAction::Start)
            .await
            .unwrap();
    }
    let now = t0() + Duration::minutes(1);
    // Both customers are in both campaigns; x lists them first, so y gets nobody today.
    assert_eq!(list(db, &x, now).await.len(), 2);
    assert!(list(db, &y, now).await.is_empty());
    call(db, &x, now, &first, &customers[0], Outcome::Unreachable)
        .await
        .unwrap();
    // Do-not-call after listing: the call is refused and the customer leaves the list.
    db.set_do_not_call(&system(), now, &customers[1], true)
        .await
        .unwrap();
    assert!(db.customer_do_not_call(&customers[1]).await.unwrap());
    assert!(matches!(
        call(db, &x, now, &first, &customers[1], Outcome::Reached).await,
        Err(CampaignError::DoNotCall)
    ));
    let lx = list(db, &x, now).await;
    assert_eq!(lx.len(), 1, "only the one called today remains: {lx:?}");
    // Next day y's campaign may have the first customer (x's retry is not due yet before
    // 4 hours, but it is a day later) — whoever lists first; never the flagged one.
    let day2 = now + Duration::days(1);
    let ly = list(db, &y, day2).await;
    assert_eq!(ly.len(), 1);
    assert_eq!(ly[0].1, customers[0]);
    assert!(list(db, &x, day2).await.is_empty(), "on y's list today");
    call(db, &y, day2, &second, &customers[0], Outcome::Refused)
        .await
        .unwrap();
    assert!(
        db.customer_do_not_call(&customers[0]).await.unwrap(),
        "a refusal flags do-not-call in this campaign"
    );
    assert!(list(db, &x, day2 + Duration::days(1)).await.is_empty());

    // Calling hours: 09:00-12:00 China time; t0 is 17:00 in Beijing.
    let z = create_user(db, "z").await;
    let fresh = registered(db, "时段", 1).await;
    let mut c = campaign("上午", 5, "09:00-12:00", &[&z]);
    c.filter = None;
    let morning = db.create_campaign(&system(), t0(), &c).await.unwrap();
    let added = db
        .add_campaign_targets(&system(), t0(), &morning, &fresh)
        .await
        .unwrap();
    assert_eq!(added, 1);
    db.change_campaign_status(&system(), t0(), &morning, CampaignAction::Start)
        .await
        .unwrap();
    assert_eq!(list(db, &z, now).await.len(), 1);
    assert!(matches!(
        call(db, &z, now, &morning, &fresh[0], Outcome::Reached).await,
        Err(CampaignError::OutsideHours(_))
    ));
    // 10:00 the next morning (02:00 UTC).
    let ten = t0() + Duration::hours(17);
    assert_eq!(list(db, &z, ten).await.len(), 1);
    call(db, &z, ten, &morning, &fresh[0], Outcome::Reached)
        .await
        .unwrap();
    t.cleanup().await;
}

/// Four agents open their lists at the same moment: every target lands on one list only,
/// and no list exceeds the quota.
pub async fn racing_agents_never_share_a_customer(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mut agents = Vec::new();
    for name in ["r1", "r2", "r3", "r4"] {
        agents.push(create_user(db, name).await);
    }
    registered(db, "并发", 10).await;
    let refs: Vec<&String> = agents.iter().collect();
    let id = db
        .create_campaign(&system(), t0(), &campaign("并发", 3, "00:00-24:00", &refs))
        .await
        .unwrap();
    db.change_campaign_status(&system(), t0(), &id, CampaignAction::Start)
        .await
        .unwrap();
    let now = t0() + Duration::minutes(1);
    let lists = futures::future::join_all(agents.iter().map(|a| list(db, a, now))).await;
    let mut seen = std::collections::HashSet::new();
    for l in &lists {
        assert!(l.len() <= 3, "{l:?}");
        for (_, customer, _) in l {
            assert!(seen.insert(customer.clone()), "{customer} on two lists");
        }
    }
    assert_eq!(seen.len(), 10, "four lists of at most three take all ten");
    t.cleanup().await;
}
