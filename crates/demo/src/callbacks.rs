//! Demo callbacks (回访): the plan tasks of today (VIP monthly, A quarterly, holiday care,
//! renewal reminders for a few customers whose contracts expire within the month), a
//! pre-sale call by hand, and attempts on some of them — one unreachable and retried, one
//! completed with the handbook's record — so the queue and the task page show real work.

use chrono::{DateTime, Duration, Utc};
use kefu_domain::callback::{Attempt, CallbackKind, Outcome};
use kefu_store::audit::Actor;
use kefu_store::callbacks::{Assignee, AttemptInput, NewTask, Queue};
use kefu_store::customers::CustomerFilter;
use kefu_store::Db;

use crate::DemoError;

fn actor(id: &str, name: &str) -> Actor {
    Actor {
        user_id: Some(id.to_string()),
        name: name.to_string(),
        client_addr: None,
    }
}

fn store(e: kefu_store::callbacks::CallbackError) -> DemoError {
    DemoError::Invalid(format!("demo callback refused: {e}"))
}

/// Loads the demo callbacks; returns how many tasks exist afterwards.
pub async fn load(db: &Db, now: DateTime<Utc>) -> Result<i64, DemoError> {
    let customers = db
        .list_customers(&CustomerFilter::default(), None, 40)
        .await?
        .items;
    let system = Actor {
        user_id: None,
        name: "demo".into(),
        client_addr: None,
    };
    // Five contracts expire within the renewal plan's 30 days.
    for (i, c) in customers
        .iter()
        .filter(|c| c.status != "lost")
        .take(5)
        .enumerate()
    {
        let day = (now + Duration::days(7 + 5 * i as i64)).date_naive();
        db.set_customer_expiry(&system, now, &c.id, Some(day))
            .await?;
    }
    db.generate_callbacks(now).await?;
    let cb1 = db.get_user_by_username("callback1").await?;
    let cb2 = db.get_user_by_username("callback2").await?;
    let lead = db.get_user_by_username("lead").await?;
    if let Some(c) = customers.get(10) {
        let task = NewTask {
            customer_id: Some(c.id.clone()),
            title: Some("销售部转来：咨询企业版报价".into()),
            assignee_id: Some(cb2.id.clone()),
            ..NewTask::new(CallbackKind::PreSale, now + Duration::hours(2))
        };
        db.create_callback_task(&actor(&lead.id, &lead.display_name), now, &task)
            .await?;
    }
    let due = db
        .list_callback_tasks(
            &Queue::Kind(CallbackKind::Periodic),
            &Assignee::Anyone,
            None,
            2,
        )
        .await?
        .items;
    let me = actor(&cb1.id, &cb1.display_name);
    if let Some(t) = due.first() {
        let mut a = AttemptInput::new(Attempt::Unreachable);
        a.notes = Some("无人接听".into());
        db.record_callback_attempt(&me, now - Duration::hours(1), &t.id, &a)
            .await
            .map_err(store)?;
    }
    if let Some(t) = due.get(1) {
        let mut a = AttemptInput::new(Attempt::Done(Outcome::Satisfied));
        a.contact_name = t.customer_name.clone();
        a.notes = Some("产品使用正常，对服务满意".into());
        a.opinions = Some("客服响应及时".into());
        a.suggestions = Some("希望增加周末上门服务".into());
        db.record_callback_attempt(&me, now - Duration::minutes(30), &t.id, &a)
            .await
            .map_err(store)?;
    }
    Ok(db.count_all_callback_tasks().await?)
}
