//! Balanced assignment (document 7): preview and commit, first-contact tasks, an agent
//! who leaves, and the errors the tool must name.

use crate::common::{actor_for, at, create_user, customer, system, t0};
use chrono::Duration;
use kefu_domain::assignment::{AssignError, SkillWeight};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::StaffProfile;
use kefu_store::assignment::{AssignSource, AssignmentError};
use kefu_store::audit::AuditFilter;
use kefu_store::customers::{CustomerFilter, CustomerInput};
use kefu_store::users::UserUpdate;
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn unassigned() -> AssignSource {
    AssignSource::Unassigned {
        tier: None,
        status: None,
    }
}

async fn insert_customers(db: &Db, rows: Vec<CustomerInput>) {
    let mut batch = db.begin_customer_batch(0).await.unwrap();
    batch.insert(None, t0(), &rows).await.unwrap();
    batch
        .commit(
            &system(),
            t0(),
            &kefu_store::audit::NewAuditEntry::new(AuditAction::CustomersImported),
        )
        .await
        .unwrap();
}

async fn owned_by(db: &Db, owner: &str) -> usize {
    let filter = CustomerFilter {
        owner_id: Some(owner.into()),
        ..Default::default()
    };
    db.list_customers(&filter, None, 200)
        .await
        .unwrap()
        .items
        .len()
}

pub async fn preview_and_commit_balance_by_weight(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let a = create_user(&t.db, "a").await;
    let b = create_user(&t.db, "b").await;
    let c = create_user(&t.db, "c").await;
    t.db.set_skill_weight(&system(), t0(), &c, SkillWeight::parse(2).unwrap())
        .await
        .unwrap();
    // a already looks after 10; 30 new (25 tier B, 5 VIP) are waiting.
    let mut rows: Vec<CustomerInput> = (0..10)
        .map(|i| CustomerInput {
            owner_id: Some(a.clone()),
            ..customer(&format!("老客户{i}"))
        })
        .collect();
    rows.extend((0..25).map(|i| customer(&format!("新客户{i}"))));
    rows.extend((0..5).map(|i| CustomerInput {
        tier: "VIP".into(),
        ..customer(&format!("VIP客户{i}"))
    }));
    insert_customers(&t.db, rows).await;

    let agents = vec![a.clone(), b.clone(), c.clone()];
    // Total 40 over weight 4: level 10, so a (at 10) gets none, b 10, c 20.
    let preview =
        t.db.preview_assignment(&unassigned(), &agents)
            .await
            .unwrap();
    assert_eq!(preview.customers, 30);
    let added: Vec<u64> = preview.shares.iter().map(|(s, _)| s.added).collect();
    assert_eq!(added, [0, 10, 20]);
    assert_eq!(preview.shares[2].1, "c 坐席");
    assert_eq!(owned_by(&t.db, &b).await, 0, "a preview writes nothing");

    let manager = actor_for(&a, "经理");
    let done =
        t.db.commit_assignment(&manager, at(5), &unassigned(), &agents)
            .await
            .unwrap();
    let committed: Vec<u64> = done.plan.shares.iter().map(|(s, _)| s.added).collect();
    assert_eq!(committed, added, "the commit does what the preview showed");
    assert!(t.db.writer_has_usual_settings().await.unwrap());
    assert_eq!(done.due_at, at(5) + Duration::days(7));
    assert_eq!(
        (
            owned_by(&t.db, &a).await,
            owned_by(&t.db, &b).await,
            owned_by(&t.db, &c).await
        ),
        (10, 10, 20)
    );

    // Each new customer has a first-contact task due in 7 days, soonest first.
    let tasks = t.db.list_open_contact_tasks(&c, None, 15).await.unwrap();
    assert_eq!(tasks.items.len(), 15);
    assert!(tasks.next_cursor.is_some());
    assert!(tasks.items.iter().all(|x| x.due_at() == done.due_at));
    let rest =
        t.db.list_open_contact_tasks(&c, tasks.next_cursor.as_deref(), 15)
            .await
            .unwrap();
    assert_eq!(rest.items.len(), 5);
    assert!(rest.next_cursor.is_none());
    assert!(!tasks.items[0].is_overdue(at(5) + Duration::days(7)));
    assert!(tasks.items[0].is_overdue(at(6) + Duration::days(7)));
    assert!(t
        .db
        .list_open_contact_tasks(&a, None, 50)
        .await
        .unwrap()
        .items
        .is_empty());

    // The timeline and the audit log say who was given whom, by whom.
    let one = &tasks.items[0].customer_id;
    let events = t.db.list_customer_events(one, 10).await.unwrap();
    let assigned = events.iter().find(|e| e.kind == "assigned").expect("event");
    assert_eq!(assigned.summary, "→ c 坐席");
    assert_eq!(assigned.actor_id.as_deref(), Some(a.as_str()));
    let audit =
        t.db.list_audit(
            &AuditFilter {
                action: Some(AuditAction::CustomersAssigned.code().into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].seq, done.audit_seq);
    let detail = audit.items[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("customers=30"), "{detail}");
    assert!(detail.contains(&format!("{c}:+20")), "{detail}");

    // Nothing is left to assign.
    let again = t.db.preview_assignment(&unassigned(), &agents).await;
    assert!(matches!(
        again,
        Err(AssignmentError::Plan(AssignError::NothingToAssign))
    ));
    t.cleanup().await;
}

pub async fn filters_and_bad_choices_are_refused(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let a = create_user(&t.db, "a").await;
    let b = create_user(&t.db, "b").await;
    let mut rows: Vec<CustomerInput> = (0..4).map(|i| customer(&format!("B{i}"))).collect();
    rows.push(CustomerInput {
        tier: "VIP".into(),
        ..customer("VIP")
    });
    insert_customers(&t.db, rows).await;

    let vip = AssignSource::Unassigned {
        tier: Some("VIP".into()),
        status: None,
    };
    let p =
        t.db.preview_assignment(&vip, std::slice::from_ref(&a))
            .await
            .unwrap();
    assert_eq!(p.customers, 1, "only the VIP tier");
    t.db.commit_assignment(&system(), t0(), &vip, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(owned_by(&t.db, &a).await, 1);

    let err = t.db.preview_assignment(&unassigned(), &[]).await;
    assert!(matches!(
        err,
        Err(AssignmentError::Plan(AssignError::NoAgents))
    ));
    let err =
        t.db.commit_assignment(&system(), t0(), &unassigned(), &["nobody".into()])
            .await;
    assert!(matches!(err, Err(AssignmentError::UnknownAgent(id)) if id == "nobody"));
    t.db.update_user(
        &system(),
        t0(),
        &b,
        &UserUpdate {
            display_name: "b".into(),
            agent_no: None,
            active: false,
            profile: StaffProfile::default(),
        },
    )
    .await
    .unwrap();
    let err =
        t.db.commit_assignment(&system(), t0(), &unassigned(), &[a.clone(), b.clone()])
            .await;
    assert!(matches!(err, Err(AssignmentError::InactiveAgent(id)) if id == b));
    assert_eq!(
        owned_by(&t.db, &a).await,
        1,
        "a refused commit writes nothing"
    );
    assert!(
        t.db.writer_has_usual_settings().await.unwrap(),
        "a refused commit leaves the writer checking foreign keys"
    );
    assert!(t
        .db
        .set_skill_weight(&system(), t0(), "nobody", SkillWeight::default())
        .await
        .is_err());
    t.cleanup().await;
}

pub async fn a_leaving_agents_customers_are_redistributed(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let gone = create_user(&t.db, "gone").await;
    let a = create_user(&t.db, "a").await;
    let b = create_user(&t.db, "b").await;
    insert_customers(
        &t.db,
        (0..6).map(|i| customer(&format!("客户{i}"))).collect(),
    )
    .await;
    t.db.commit_assignment(&system(), t0(), &unassigned(), std::slice::from_ref(&gone))
        .await
        .unwrap();
    assert_eq!(
        t.db.list_open_contact_tasks(&gone, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        6
    );

    let leaving = AssignSource::Leaving {
        agent_id: gone.clone(),
    };
    let err =
        t.db.preview_assignment(&leaving, &[a.clone(), gone.clone()])
            .await;
    assert!(matches!(err, Err(AssignmentError::LeavingAgentChosen(_))));
    let err =
        t.db.preview_assignment(
            &AssignSource::Leaving {
                agent_id: "nobody".into(),
            },
            std::slice::from_ref(&a),
        )
        .await;
    assert!(matches!(err, Err(AssignmentError::UnknownAgent(_))));

    let lead = actor_for(&a, "班长");
    t.db.commit_assignment(&lead, at(60), &leaving, &[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(owned_by(&t.db, &gone).await, 0);
    assert_eq!(
        (owned_by(&t.db, &a).await, owned_by(&t.db, &b).await),
        (3, 3)
    );
    assert!(t
        .db
        .list_open_contact_tasks(&gone, None, 50)
        .await
        .unwrap()
        .items
        .is_empty());
    let tasks =
        t.db.list_open_contact_tasks(&b, None, 50)
            .await
            .unwrap()
            .items;
    assert_eq!(tasks.len(), 3);
    // The history stays: the customer's tasks show the old one closed as reassigned,
    // and the timeline says from whom to whom.
    let history =
        t.db.list_customer_contact_tasks(&tasks[0].customer_id)
            .await
            .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].closed_at, None, "the open task first");
    assert_eq!(history[1].outcome.as_deref(), Some("reassigned"));
    assert_eq!(history[1].agent_id, gone);
    let events =
        t.db.list_customer_events(&tasks[0].customer_id, 10)
            .await
            .unwrap();
    let summaries: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "assigned")
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(summaries, ["gone 坐席 → b 坐席", "→ gone 坐席"]);
    t.cleanup().await;
}

pub async fn recording_a_contact_closes_the_task(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let a = create_user(&t.db, "a").await;
    assert_eq!(t.db.contact_days().await.unwrap(), 7, "default one week");
    t.db.set_contact_days(&system(), t0(), 3).await.unwrap();
    assert_eq!(t.db.contact_days().await.unwrap(), 3);
    insert_customers(&t.db, vec![customer("甲"), customer("乙")]).await;
    let done =
        t.db.commit_assignment(&system(), t0(), &unassigned(), std::slice::from_ref(&a))
            .await
            .unwrap();
    assert_eq!(done.due_at, t0() + Duration::days(3));
    let tasks =
        t.db.list_open_contact_tasks(&a, None, 50)
            .await
            .unwrap()
            .items;
    assert_eq!(tasks.len(), 2);
    let agent = actor_for(&a, "a 坐席");
    let closed =
        t.db.record_customer_contact(
            &agent,
            at(30),
            &tasks[0].customer_id,
            Some("电话沟通，已建档"),
        )
        .await
        .unwrap();
    assert_eq!(closed, 1);
    let open =
        t.db.list_open_contact_tasks(&a, None, 50)
            .await
            .unwrap()
            .items;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].customer_id, tasks[1].customer_id);
    let history =
        t.db.list_customer_contact_tasks(&tasks[0].customer_id)
            .await
            .unwrap();
    assert_eq!(history[0].outcome.as_deref(), Some("contacted"));
    let events =
        t.db.list_customer_events(&tasks[0].customer_id, 10)
            .await
            .unwrap();
    assert_eq!(events[0].kind, "contacted");
    assert_eq!(events[0].summary, "电话沟通，已建档");
    // A second contact closes nothing more but is still on the timeline.
    assert_eq!(
        t.db.record_customer_contact(&agent, at(40), &tasks[0].customer_id, None)
            .await
            .unwrap(),
        0
    );
    assert!(t
        .db
        .record_customer_contact(&agent, at(40), "nobody", None)
        .await
        .is_err());
    t.cleanup().await;
}
