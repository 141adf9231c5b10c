//! Callbacks: plan generation (periodic by tier and period, holiday care, renewal) that
//! never duplicates on a rerun, the retry policy over attempts, the follow-up watch, and
//! the triggers (resolved repair tickets, handled complaints) with the complaint loop
//! driven through the callback task.

use crate::common::{actor_for, create_customer, customer, system};
use crate::complaints::{fixture, handling, register};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use kefu_domain::callback::{AfterAttempt, Attempt, CallbackKind, Outcome, Refusal};
use kefu_domain::complaint::{AfterCallback, Severity};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::ticket::{StatusAction, TicketType};
use kefu_store::callbacks::{AttemptInput, CallbackError, NewTask, Queue, TaskRow};
use kefu_store::tickets::TicketChange;
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn tasks(db: &Db, kind: CallbackKind) -> Vec<TaskRow> {
    db.list_callback_tasks(
        &Queue::Kind(kind),
        &kefu_store::callbacks::Assignee::Anyone,
        None,
        1000,
    )
    .await
    .unwrap()
    .items
}

async fn tiered(db: &Db, name: &str, tier: &str, status: CustomerStatus) -> String {
    let mut c = customer(name);
    c.tier = tier.into();
    c.status = status;
    create_customer(db, &c).await
}

pub async fn plans_generate_once_per_period(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let vip1 = tiered(db, "贵宾甲", "VIP", CustomerStatus::Active).await;
    let vip2 = tiered(db, "贵宾乙", "VIP", CustomerStatus::Active).await;
    tiered(db, "贵宾丙", "VIP", CustomerStatus::Lost).await;
    tiered(db, "甲类一", "A", CustomerStatus::Active).await;
    tiered(db, "甲类二", "A", CustomerStatus::Registered).await;
    let b = tiered(db, "乙类", "B", CustomerStatus::Active).await;
    db.set_customer_expiry(
        &system(),
        local(2026, 11, 1, 9),
        &b,
        "2026-12-20".parse().ok(),
    )
    .await
    .unwrap();

    let g = db.generate_callbacks(local(2026, 11, 10, 1)).await.unwrap();
    assert_eq!(
        (g.periodic, g.care, g.renewal),
        (4, 0, 0),
        "2 VIP (not the lost one) + 2 A"
    );
    assert_eq!(
        db.generate_callbacks(local(2026, 11, 10, 2))
            .await
            .unwrap()
            .total(),
        0
    );
    let vip = tasks(db, CallbackKind::Periodic).await;
    let nov: Vec<&TaskRow> = vip
        .iter()
        .filter(|t| t.period_key.as_deref() == Some("2026-11"))
        .collect();
    assert_eq!(nov.len(), 2);
    assert!(nov
        .iter()
        .all(|t| t.due_at == kefu_store::to_millis(local(2026, 11, 1, 9))));
    assert!(nov
        .iter()
        .any(|t| t.customer_id.as_deref() == Some(vip1.as_str())));
    assert!(nov
        .iter()
        .any(|t| t.customer_id.as_deref() == Some(vip2.as_str())));

    // The renewal falls within its 30 lead days on 20 November.
    let g = db.generate_callbacks(local(2026, 11, 20, 1)).await.unwrap();
    assert_eq!((g.periodic, g.renewal), (0, 1));
    assert_eq!(
        db.generate_callbacks(local(2026, 11, 21, 1))
            .await
            .unwrap()
            .total(),
        0
    );
    let renewal = tasks(db, CallbackKind::Renewal).await;
    assert_eq!(renewal[0].customer_id.as_deref(), Some(b.as_str()));
    assert_eq!(
        renewal[0].due_at,
        kefu_store::to_millis(local(2026, 11, 20, 9))
    );

    // December: VIP again (a new month), A not (the same quarter).
    let g = db.generate_callbacks(local(2026, 12, 1, 1)).await.unwrap();
    assert_eq!(g.periodic, 2);
    // 元旦 2027 is within the care plan's three lead days on 29 December.
    let g = db.generate_callbacks(local(2026, 12, 29, 1)).await.unwrap();
    assert_eq!(g.care, 2, "each VIP on the first day of the holiday");
    let care = tasks(db, CallbackKind::Care).await;
    assert!(care
        .iter()
        .all(|t| t.period_key.as_deref() == Some("2027-01-01")
            && t.due_at == kefu_store::to_millis(local(2027, 1, 1, 9))));
    assert_eq!(
        db.generate_callbacks(local(2026, 12, 31, 1))
            .await
            .unwrap()
            .total(),
        0
    );
    assert_eq!(db.count_all_callback_tasks().await.unwrap(), 4 + 1 + 2 + 2);
    t.cleanup().await;
}

pub async fn attempts_follow_the_retry_policy(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let agent = crate::common::create_user(db, "callback1").await;
    let me = actor_for(&agent, "callback1");
    let c = create_customer(db, &customer("回访客户")).await;
    let t0 = local(2026, 11, 2, 10);
    let task = NewTask {
        customer_id: Some(c.clone()),
        ..NewTask::new(CallbackKind::Manual, t0)
    };
    let id = db
        .create_callback_task(&me, t0, &task)
        .await
        .unwrap()
        .unwrap();
    let r = db
        .record_callback_attempt(&me, t0, &id, &AttemptInput::new(Attempt::Unreachable))
        .await
        .unwrap();
    assert_eq!(
        r.after,
        AfterAttempt::Retry {
            next_at: t0 + Duration::minutes(120)
        }
    );
    let row = db.get_callback_task(&id).await.unwrap();
    assert_eq!(
        (
            row.attempts,
            row.failed_attempts,
            row.assignee_id.as_deref()
        ),
        (1, 1, Some(agent.as_str()))
    );
    let later = t0 + Duration::hours(30);
    let e = db
        .record_callback_attempt(&me, t0, &id, &AttemptInput::new(Attempt::Later(t0)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, CallbackError::Refused(Refusal::LaterInThePast)),
        "{e}"
    );
    db.record_callback_attempt(&me, t0, &id, &AttemptInput::new(Attempt::Later(later)))
        .await
        .unwrap();
    assert_eq!(
        db.get_callback_task(&id).await.unwrap().next_at,
        kefu_store::to_millis(later)
    );
    let r = db
        .record_callback_attempt(&me, later, &id, &AttemptInput::new(Attempt::Busy))
        .await
        .unwrap();
    assert_eq!(
        r.after,
        AfterAttempt::Retry {
            next_at: later + Duration::minutes(30)
        }
    );
    let r = db
        .record_callback_attempt(&me, later, &id, &AttemptInput::new(Attempt::Unreachable))
        .await
        .unwrap();
    assert_eq!(
        r.after,
        AfterAttempt::Close(Outcome::Unreachable),
        "third failure"
    );
    let row = db.get_callback_task(&id).await.unwrap();
    assert_eq!(
        (row.status.as_str(), row.outcome.as_deref()),
        ("done", Some("unreachable"))
    );
    let e = db
        .record_callback_attempt(&me, later, &id, &AttemptInput::new(Attempt::Busy))
        .await
        .unwrap_err();
    assert!(matches!(e, CallbackError::Refused(Refusal::NotOpen)), "{e}");
    assert_eq!(db.list_callback_attempts(&id).await.unwrap().len(), 4);

    // A completed callback keeps the handbook's record.
    let id = db
        .create_callback_task(&me, t0, &task)
        .await
        .unwrap()
        .unwrap();
    let mut done = AttemptInput::new(Attempt::Done(Outcome::Satisfied));
    done.contact_name = Some("王先生".into());
    done.contact_gender = Some("male".into());
    done.opinions = Some("送货快".into());
    done.suggestions = Some("希望增加晚间配送".into());
    db.record_callback_attempt(&me, t0, &id, &done)
        .await
        .unwrap();
    let row = db.get_callback_task(&id).await.unwrap();
    assert_eq!(row.contact_name.as_deref(), Some("王先生"));
    assert_eq!(row.suggestions.as_deref(), Some("希望增加晚间配送"));
    assert_eq!(row.contacted_at, Some(kefu_store::to_millis(t0)));
    t.cleanup().await;
}

pub async fn the_watch_raises_only_stale_tasks(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let agent = crate::common::create_user(db, "callback1").await;
    let me = actor_for(&agent, "callback1");
    let c = create_customer(db, &customer("回访客户")).await;
    let t0 = local(2026, 11, 2, 10);
    let task = |_: u8| NewTask {
        customer_id: Some(c.clone()),
        assignee_id: Some(agent.clone()),
        ..NewTask::new(CallbackKind::Manual, t0)
    };
    let stale = db
        .create_callback_task(&me, t0, &task(1))
        .await
        .unwrap()
        .unwrap();
    let fresh = db
        .create_callback_task(&me, t0, &task(2))
        .await
        .unwrap()
        .unwrap();
    db.record_callback_attempt(
        &me,
        t0 + Duration::hours(10),
        &fresh,
        &AttemptInput::new(Attempt::Unreachable),
    )
    .await
    .unwrap();
    let raise = |now: DateTime<Utc>| async move {
        db.raise_stale_callbacks(now, Duration::hours(1))
            .await
            .unwrap()
    };
    assert!(raise(t0 + Duration::hours(46)).await.tasks.is_empty());
    let r = raise(t0 + Duration::hours(47)).await;
    assert_eq!(
        r.tasks,
        vec![stale.clone()],
        "48 hours without a follow-up by the next run"
    );
    assert_eq!(r.notified, vec![agent.clone()]);
    let (notes, _) = db.list_notifications(&agent, 10).await.unwrap();
    assert_eq!(
        (notes[0].kind.as_str(), notes[0].body.as_str()),
        ("callback_raised", "1")
    );
    assert!(
        raise(t0 + Duration::hours(48)).await.tasks.is_empty(),
        "raised once"
    );
    let raised = db
        .list_callback_tasks(
            &Queue::Raised,
            &kefu_store::callbacks::Assignee::User(agent.clone()),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(raised.items.len(), 1);
    db.record_callback_attempt(
        &me,
        t0 + Duration::hours(49),
        &stale,
        &AttemptInput::new(Attempt::Busy),
    )
    .await
    .unwrap();
    assert!(
        db.get_callback_task(&stale)
            .await
            .unwrap()
            .raised_at
            .is_none(),
        "the attempt clears it"
    );
    assert_eq!(
        raise(t0 + Duration::hours(58)).await.tasks,
        vec![fresh],
        "10 h + 48 h"
    );
    t.cleanup().await;
}

pub async fn triggers_and_the_complaint_loop(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = fixture(db).await;
    let agent = actor_for(&f.c.agent, "agent1");
    let t0 = local(2026, 11, 2, 10);

    // A repair ticket resolved: a repair verification 24 hours later, once.
    let mut repair = crate::tickets::ticket(&f.c, Some(&f.c.agent));
    repair.ticket_type = TicketType::Repair;
    let (id, _) = db
        .create_ticket(&agent, t0, &repair, &Default::default())
        .await
        .unwrap();
    let status = |action| TicketChange::Status {
        action,
        resumed: None,
    };
    db.change_ticket(&agent, t0, &id, &status(StatusAction::Start))
        .await
        .ok();
    db.change_ticket(&agent, t0, &id, &status(StatusAction::Resolve))
        .await
        .unwrap();
    db.change_ticket(&agent, t0, &id, &status(StatusAction::Reopen))
        .await
        .unwrap();
    db.change_ticket(&agent, t0, &id, &status(StatusAction::Resolve))
        .await
        .unwrap();
    let tasks_of = db.list_ticket_callback_tasks(&id).await.unwrap();
    assert_eq!(tasks_of.len(), 1, "resolved twice, one callback");
    assert_eq!(tasks_of[0].kind(), CallbackKind::RepairVerify);
    assert_eq!(
        tasks_of[0].due_at,
        kefu_store::to_millis(t0 + Duration::hours(24))
    );
    // Dissatisfied: the ticket is reopened.
    let mut done = AttemptInput::new(Attempt::Done(Outcome::Dissatisfied));
    done.fee_cents = Some(8550);
    done.fee_confirmed = Some(false);
    db.record_callback_attempt(&agent, t0 + Duration::hours(25), &tasks_of[0].id, &done)
        .await
        .unwrap();
    assert_eq!(
        db.get_ticket(&id).await.unwrap().ticket.status,
        "in_progress"
    );
    assert_eq!(
        db.get_callback_task(&tasks_of[0].id)
            .await
            .unwrap()
            .fee_cents,
        Some(8550)
    );

    // A complaint: handling opens its callback task; the task's outcome drives the loop.
    let (cid, _) = register(db, &f, t0, Severity::General).await;
    db.record_complaint_handling(
        &agent,
        t0 + Duration::hours(1),
        &cid,
        &handling(&f, Some("cause-logistics-late")),
    )
    .await
    .unwrap();
    let ct = db.list_ticket_callback_tasks(&cid).await.unwrap();
    assert_eq!(
        (ct.len(), ct[0].kind(), ct[0].round),
        (1, CallbackKind::Complaint, Some(1))
    );
    let e = db
        .record_callback_attempt(
            &agent,
            t0 + Duration::hours(2),
            &ct[0].id,
            &AttemptInput::new(Attempt::Done(Outcome::Declined)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, CallbackError::ComplaintOutcome), "{e}");
    let r = db
        .record_callback_attempt(
            &agent,
            t0 + Duration::hours(2),
            &ct[0].id,
            &AttemptInput::new(Attempt::Done(Outcome::Dissatisfied)),
        )
        .await
        .unwrap();
    assert!(
        matches!(r.complaint, Some(AfterCallback::NewRound(2))),
        "{r:?}"
    );
    assert_eq!(db.get_complaint(&cid).await.unwrap().complaint.round, 2);
    // Round 2 is handled, and its callback recorded on the complaint page closes the task.
    db.record_complaint_handling(&agent, t0 + Duration::hours(3), &cid, &handling(&f, None))
        .await
        .unwrap();
    let ct = db.list_ticket_callback_tasks(&cid).await.unwrap();
    assert_eq!(ct.len(), 2);
    let cb = kefu_store::complaints::Callback {
        outcome: kefu_domain::complaint::CallbackOutcome::Satisfied,
        notes: "满意".into(),
    };
    db.record_complaint_callback(&agent, t0 + Duration::hours(4), &cid, &cb)
        .await
        .unwrap();
    let second = db.get_callback_task(&ct[1].id).await.unwrap();
    assert_eq!(
        (second.status.as_str(), second.outcome.as_deref()),
        ("done", Some("satisfied"))
    );
    assert_eq!(
        db.get_complaint(&cid).await.unwrap().complaint.stage,
        "closed"
    );
    t.cleanup().await;
}
