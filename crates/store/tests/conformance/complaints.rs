//! Complaints: the closed loop round by round with its timeline and audit, the close rule
//! on the ordinary ticket path, the manager's close with a reason, reopening as a new
//! round, the archive's filters and paging, the monthly statistics and the cause tree.

use crate::common::{actor_for, at, system, t0};
use crate::tickets::{center, staff, ticket, Center};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::complaint::{
    AfterCallback, CallbackOutcome, CauseTreeError, Closing, Refusal, Severity,
};
use kefu_domain::ticket::StatusAction;
use kefu_domain::Permission;
use kefu_store::audit::AuditFilter;
use kefu_store::complaints::{
    Callback, CauseInput, ComplaintError, ComplaintFilter, Handling, NewComplaint,
};
use kefu_store::tickets::{TicketChange, TicketChangeError, TicketDeadlines, TicketToOpen};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

pub(crate) struct Fixture {
    pub(crate) c: Center,
    pub(crate) manager: String,
}

pub(crate) async fn fixture(db: &Db) -> Fixture {
    use Permission::*;
    let c = center(db).await;
    // The manager sits over the center (the parent of 业务受理组), as in the handbook.
    let root = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "客户服务中心")
        .unwrap()
        .id;
    let manager = staff(
        db,
        "manager",
        &root,
        &[
            TicketRead,
            TicketWrite,
            TicketSupervise,
            ComplaintCloseOverride,
        ],
    )
    .await;
    Fixture { c, manager }
}

fn complaint(severity: Severity) -> NewComplaint {
    NewComplaint {
        company: Some("上海某贸易有限公司".into()),
        address: Some("上海市浦东新区世纪大道 100 号".into()),
        cause: "快递三天未送达，包装破损".into(),
        desired_outcome: "退款并道歉".into(),
        severity,
        restatement: Some("您反映订单三天未送达且包装破损，希望退款，对吗？".into()),
        restatement_confirmed: true,
        escalation_reason: "重大投诉：自动升级至经理".into(),
    }
}

pub(crate) async fn register(
    db: &Db,
    f: &Fixture,
    now: DateTime<Utc>,
    severity: Severity,
) -> (String, Option<String>) {
    let item = TicketToOpen {
        actor: actor_for(&f.c.agent, "agent1"),
        now,
        ticket: ticket(&f.c, Some(&f.c.agent)),
        deadlines: TicketDeadlines::default(),
    };
    let r = db
        .register_complaint(&item, &complaint(severity))
        .await
        .expect("registered");
    assert!(r.number.as_str().starts_with("GD"));
    (r.ticket_id, r.escalated_to)
}

pub(crate) fn handling(f: &Fixture, cause: Option<&str>) -> Handling {
    Handling {
        department_id: f.c.tech.clone(),
        analysis: "快递站点分拣错误".into(),
        corrective_action: "补发并赔偿运费，约谈快递公司".into(),
        cause_id: cause.map(str::to_string),
    }
}

fn callback(outcome: CallbackOutcome) -> Callback {
    Callback {
        outcome,
        notes: "客户表示……".into(),
    }
}

async fn kinds(db: &Db, id: &str) -> Vec<String> {
    db.list_ticket_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

pub async fn closed_loop_round_by_round(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = fixture(db).await;
    let agent = actor_for(&f.c.agent, "agent1");
    let (id, escalated) = register(db, &f, t0(), Severity::Major).await;
    assert_eq!(
        escalated.as_deref(),
        Some(f.manager.as_str()),
        "to the manager"
    );
    let detail = db.get_ticket(&id).await.unwrap();
    assert_eq!(detail.ticket.ticket_type, "complaint");
    assert_eq!(
        detail.ticket.first_owner_id.as_deref(),
        Some(f.c.agent.as_str())
    );
    assert_eq!(
        detail.ticket.escalated_to_id.as_deref(),
        Some(f.manager.as_str())
    );
    let (notes, _) = db.list_notifications(&f.manager, 10).await.unwrap();
    assert_eq!(notes[0].kind, "escalated");
    let c = db.get_complaint(&id).await.unwrap();
    assert_eq!(
        (
            c.complaint.stage.as_str(),
            c.complaint.round,
            c.rounds.len()
        ),
        ("handling", 1, 1)
    );
    assert_eq!(c.complaint.recorder_id, f.c.agent);
    assert!(c.complaint.restatement_confirmed_at.is_some());

    // Handling needs a root cause; an unknown one is refused.
    let e = db
        .record_complaint_handling(&agent, at(10), &id, &handling(&f, None))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Refused(Refusal::CauseRequired)),
        "{e}"
    );
    let e = db
        .record_complaint_handling(&agent, at(10), &id, &handling(&f, Some("nope")))
        .await
        .unwrap_err();
    assert!(matches!(e, ComplaintError::UnknownCause(_)), "{e}");
    let e = db
        .record_complaint_callback(&agent, at(10), &id, &callback(CallbackOutcome::Satisfied))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Refused(Refusal::NotHandled)),
        "{e}"
    );
    db.record_complaint_handling(
        &agent,
        at(20),
        &id,
        &handling(&f, Some("cause-logistics-late")),
    )
    .await
    .unwrap();
    assert_eq!(db.get_ticket(&id).await.unwrap().ticket.status, "resolved");
    // The ordinary close is refused until a callback finds the customer satisfied.
    let close = TicketChange::Status {
        action: StatusAction::Close,
        resumed: None,
    };
    let e = db
        .change_ticket(&agent, at(25), &id, &close)
        .await
        .unwrap_err();
    assert!(matches!(e, TicketChangeError::ComplaintNotSatisfied), "{e}");

    let next = db
        .record_complaint_callback(
            &agent,
            at(30),
            &id,
            &callback(CallbackOutcome::Dissatisfied),
        )
        .await
        .unwrap();
    assert_eq!(next, AfterCallback::NewRound(2));
    assert_eq!(
        db.get_ticket(&id).await.unwrap().ticket.status,
        "in_progress"
    );
    let c = db.get_complaint(&id).await.unwrap();
    assert_eq!(
        (c.complaint.stage.as_str(), c.complaint.round),
        ("handling", 2)
    );
    assert_eq!(c.rounds[1].opened_because, "dissatisfied");
    let e = db
        .change_ticket(&agent, at(31), &id, &close)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            TicketChangeError::Transition(_) | TicketChangeError::ComplaintNotSatisfied
        ),
        "{e}"
    );

    db.record_complaint_handling(&agent, at(40), &id, &handling(&f, None))
        .await
        .expect("the cause stays set for round 2");
    let next = db
        .record_complaint_callback(&agent, at(50), &id, &callback(CallbackOutcome::Satisfied))
        .await
        .unwrap();
    assert_eq!(next, AfterCallback::Close);
    assert_eq!(db.get_ticket(&id).await.unwrap().ticket.status, "closed");
    let c = db.get_complaint(&id).await.unwrap();
    assert_eq!(c.complaint.stage, "closed");
    assert_eq!(c.complaint.close_reason, None);
    let outcomes: Vec<Option<String>> = c
        .rounds
        .iter()
        .map(|r| r.callback_outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            Some("dissatisfied".to_string()),
            Some("satisfied".to_string())
        ]
    );
    assert_eq!(c.rounds[0].department_name.as_deref(), Some("技术部"));
    assert_eq!(c.complaint.cause_name.as_deref(), Some("配送延误"));
    assert_eq!(c.complaint.cause_parent_name.as_deref(), Some("物流配送"));
    let e = db
        .record_complaint_handling(&agent, at(60), &id, &handling(&f, None))
        .await
        .unwrap_err();
    assert!(matches!(e, ComplaintError::Refused(Refusal::Closed)), "{e}");

    let k = kinds(db, &id).await;
    let complaint_kinds: Vec<&str> = k
        .iter()
        .map(String::as_str)
        .filter(|k| k.starts_with("complaint_") || *k == "escalated")
        .collect();
    assert_eq!(
        complaint_kinds,
        [
            "complaint_registered",
            "escalated",
            "complaint_handled",
            "complaint_callback",
            "complaint_round",
            "complaint_handled",
            "complaint_callback",
            "complaint_closed",
        ]
    );
    let audit = db
        .list_audit(
            &AuditFilter {
                subject_id: Some(id.clone()),
                ..AuditFilter::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"complaint.register"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "complaint.change").count(),
        5,
        "two handlings, two callbacks, one new round: {actions:?}"
    );
    t.cleanup().await;
}

pub async fn close_by_decision_and_reopen(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = fixture(db).await;
    let (id, escalated) = register(db, &f, t0(), Severity::General).await;
    assert_eq!(escalated, None, "general complaints are not escalated");
    assert_eq!(
        db.get_ticket(&id).await.unwrap().ticket.escalated_to_id,
        None
    );
    let agent = actor_for(&f.c.agent, "agent1");
    let manager = actor_for(&f.manager, "manager");
    let e = db
        .close_complaint(&agent, at(5), &id, false, Some("客户不再联系"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Refused(Refusal::NotSatisfied)),
        "{e}"
    );
    let e = db
        .close_complaint(&manager, at(5), &id, true, Some("  "))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Refused(Refusal::ReasonRequired)),
        "{e}"
    );
    assert_eq!(
        db.get_complaint(&id).await.unwrap().complaint.stage,
        "handling"
    );
    let closing = db
        .close_complaint(
            &manager,
            at(6),
            &id,
            true,
            Some("客户拒绝继续沟通，经理决定结案"),
        )
        .await
        .unwrap();
    assert!(matches!(closing, Closing::Override { .. }));
    let c = db.get_complaint(&id).await.unwrap();
    assert_eq!(c.complaint.stage, "closed");
    assert_eq!(
        c.complaint.close_reason.as_deref(),
        Some("客户拒绝继续沟通，经理决定结案")
    );
    assert_eq!(db.get_ticket(&id).await.unwrap().ticket.status, "closed");

    // The customer comes back: reopening starts a new round, and the decision is gone.
    let reopen = TicketChange::Status {
        action: StatusAction::Reopen,
        resumed: None,
    };
    db.change_ticket(&agent, at(60), &id, &reopen)
        .await
        .unwrap();
    let c = db.get_complaint(&id).await.unwrap();
    assert_eq!(
        (c.complaint.stage.as_str(), c.complaint.round),
        ("handling", 2)
    );
    assert_eq!(c.rounds[1].opened_because, "reopened");
    assert_eq!(c.complaint.close_reason, None);
    db.change_ticket(
        &agent,
        at(61),
        &id,
        &TicketChange::Status {
            action: StatusAction::Resolve,
            resumed: None,
        },
    )
    .await
    .unwrap();
    let close = TicketChange::Status {
        action: StatusAction::Close,
        resumed: None,
    };
    let e = db
        .change_ticket(&agent, at(62), &id, &close)
        .await
        .unwrap_err();
    assert!(matches!(e, TicketChangeError::ComplaintNotSatisfied), "{e}");

    // A ticket of type complaint without the complaint form closes as before.
    let plain = db
        .create_ticket(
            &agent,
            t0(),
            &ticket(&f.c, Some(&f.c.agent)),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap()
        .0;
    for action in [StatusAction::Resolve, StatusAction::Close] {
        let change = TicketChange::Status {
            action,
            resumed: None,
        };
        db.change_ticket(&agent, at(63), &plain, &change)
            .await
            .unwrap();
    }
    t.cleanup().await;
}

pub async fn archive_filters_paging_and_monthly_stats(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = fixture(db).await;
    let agent = actor_for(&f.c.agent, "agent1");
    // t0 is 2024-05-06; one complaint in April, three in May.
    let april = t0() - Duration::days(10);
    let (old, _) = register(db, &f, april, Severity::Urgent).await;
    let (a, _) = register(db, &f, at(1), Severity::Major).await;
    let (b, _) = register(db, &f, at(2), Severity::General).await;
    let (c, _) = register(db, &f, at(3), Severity::General).await;
    let mut h = handling(&f, Some("cause-logistics-late"));
    db.record_complaint_handling(&agent, at(10), &a, &h)
        .await
        .unwrap();
    h.department_id = f.c.intake.clone();
    h.cause_id = Some("cause-service-attitude".into());
    db.record_complaint_handling(&agent, at(11), &b, &h)
        .await
        .unwrap();
    db.set_complaint_cause(&agent, at(12), &old, "cause-logistics-lost")
        .await
        .unwrap();

    let scope = vec![f.c.intake.clone()];
    let list = |filter: ComplaintFilter| {
        let scope = scope.clone();
        let me = f.c.agent.clone();
        async move {
            db.list_complaints(&filter, &me, &scope, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| r.ticket_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(ComplaintFilter::default()).await,
        [c.clone(), b.clone(), a.clone(), old.clone()],
        "newest first"
    );
    let general = ComplaintFilter {
        severity: Some("general".into()),
        ..Default::default()
    };
    assert_eq!(list(general).await, [c.clone(), b.clone()]);
    let logistics = ComplaintFilter {
        cause_ids: Some(vec![
            "cause-logistics".into(),
            "cause-logistics-late".into(),
            "cause-logistics-lost".into(),
        ]),
        ..Default::default()
    };
    assert_eq!(list(logistics).await, [a.clone(), old.clone()]);
    let tech = ComplaintFilter {
        department_id: Some(f.c.tech.clone()),
        ..Default::default()
    };
    assert_eq!(list(tech).await, std::slice::from_ref(&a));
    let waiting = ComplaintFilter {
        stage: Some("awaiting_callback".into()),
        ..Default::default()
    };
    assert_eq!(list(waiting).await, [b.clone(), a.clone()]);
    let may = ComplaintFilter {
        from: Some(kefu_store::to_millis(t0())),
        to: Some(kefu_store::to_millis(at(3))),
        ..Default::default()
    };
    assert_eq!(list(may).await, [b.clone(), a.clone()], "to is exclusive");
    let text = ComplaintFilter {
        text: Some("包装破损".into()),
        ..Default::default()
    };
    assert_eq!(list(text).await.len(), 4);
    let nothing = ComplaintFilter {
        text: Some("100%_".into()),
        ..Default::default()
    };
    assert!(
        list(nothing).await.is_empty(),
        "LIKE metacharacters are text"
    );
    // Another department sees none of them.
    let other = db
        .list_complaints(
            &ComplaintFilter::default(),
            &f.c.engineer,
            std::slice::from_ref(&f.c.tech),
            None,
            50,
        )
        .await
        .unwrap();
    assert!(other.items.is_empty());

    // Keyset pages of one walk the whole archive once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = db
            .list_complaints(
                &ComplaintFilter::default(),
                &f.c.agent,
                &scope,
                cursor.as_deref(),
                1,
            )
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|r| r.ticket_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, [c.clone(), b.clone(), a.clone(), old.clone()]);

    // May 2024 in China time: a, b, c.
    let month = |y, m| {
        chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(kefu_store::tickets::local_offset())
            .unwrap()
            .timestamp_millis()
    };
    let s = db
        .complaint_stats(month(2024, 5), month(2024, 6))
        .await
        .unwrap();
    assert_eq!(s.total, 3);
    let count = |lines: &[kefu_store::complaints::StatLine], key: Option<&str>| {
        lines
            .iter()
            .find(|l| l.key.as_deref() == key)
            .map_or(0, |l| l.count)
    };
    assert_eq!(count(&s.by_severity, Some("general")), 2);
    assert_eq!(count(&s.by_severity, Some("major")), 1);
    assert_eq!(count(&s.by_severity, Some("urgent")), 0);
    assert_eq!(count(&s.by_cause, Some("cause-logistics-late")), 1);
    assert_eq!(count(&s.by_cause, Some("cause-service-attitude")), 1);
    assert_eq!(count(&s.by_cause, None), 1, "c has no cause yet");
    let late = s
        .by_cause
        .iter()
        .find(|l| l.key.as_deref() == Some("cause-logistics-late"))
        .unwrap();
    assert_eq!(late.label.as_deref(), Some("物流配送 / 配送延误"));
    assert_eq!(count(&s.by_department, Some(&f.c.tech)), 1);
    assert_eq!(count(&s.by_department, Some(&f.c.intake)), 1);
    assert_eq!(count(&s.by_department, None), 1);
    let s = db
        .complaint_stats(month(2024, 4), month(2024, 5))
        .await
        .unwrap();
    assert_eq!(s.total, 1);
    assert_eq!(count(&s.by_severity, Some("urgent")), 1);
    t.cleanup().await;
}

pub async fn cause_tree_rules(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = fixture(db).await;
    let seeded = db.list_complaint_causes().await.unwrap();
    let roots: Vec<&str> = seeded
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        roots,
        [
            "产品质量",
            "服务态度",
            "物流配送",
            "价格/收费",
            "售后维修",
            "其他"
        ]
    );
    let input = |name: &str, parent: Option<&str>| CauseInput {
        parent_id: parent.map(str::to_string),
        name: name.into(),
        position: 9,
        active: true,
    };
    let freeze = db
        .create_complaint_cause(&system(), t0(), &input("死机", Some("cause-quality-fault")))
        .await
        .unwrap();
    let e = db
        .create_complaint_cause(&system(), t0(), &input("蓝屏", Some(&freeze)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Tree(CauseTreeError::TooDeep)),
        "{e}"
    );
    let e = db
        .update_complaint_cause(
            &system(),
            t0(),
            "cause-quality",
            &input("产品质量", Some(&freeze)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::Tree(CauseTreeError::Cycle)),
        "{e}"
    );
    let e = db
        .create_complaint_cause(&system(), t0(), &input("配送延误", Some("cause-logistics")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ComplaintError::Store(kefu_store::StoreError::Conflict { .. })
        ),
        "sibling names are unique: {e}"
    );
    let e = db
        .create_complaint_cause(&system(), t0(), &input("x", Some("nope")))
        .await
        .unwrap_err();
    assert!(matches!(e, ComplaintError::UnknownCause(_)), "{e}");

    // In use: not deleted, but deactivated, and then no longer chosen.
    let (id, _) = register(db, &f, t0(), Severity::General).await;
    let agent = actor_for(&f.c.agent, "agent1");
    db.set_complaint_cause(&agent, at(1), &id, &freeze)
        .await
        .unwrap();
    let e = db
        .delete_complaint_cause(&system(), t0(), &freeze)
        .await
        .unwrap_err();
    assert!(matches!(e, ComplaintError::CauseInUse), "{e}");
    let e = db
        .delete_complaint_cause(&system(), t0(), "cause-quality")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ComplaintError::CauseInUse),
        "it has subcategories: {e}"
    );
    let mut off = input("死机", Some("cause-quality-fault"));
    off.active = false;
    db.update_complaint_cause(&system(), t0(), &freeze, &off)
        .await
        .unwrap();
    let e = db
        .set_complaint_cause(&agent, at(2), &id, &freeze)
        .await
        .unwrap_err();
    assert!(matches!(e, ComplaintError::UnknownCause(_)), "{e}");
    let row = db
        .list_complaint_causes()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == freeze)
        .unwrap();
    assert_eq!((row.active, row.complaints), (0, 1));
    let unused = db
        .create_complaint_cause(&system(), t0(), &input("其他原因", Some("cause-other")))
        .await
        .unwrap();
    db.delete_complaint_cause(&system(), t0(), &unused)
        .await
        .unwrap();
    t.cleanup().await;
}
