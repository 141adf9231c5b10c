//! Work orders: numbering, queue counters kept by every change, the promise deadline
//! firing once, transfers and visibility, merge and link, the customer timeline.

use crate::common::{actor_for, at, create_customer, create_user, customer, system, t0};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::org::Qualifications;
use kefu_domain::queue::Queue;
use kefu_domain::ticket::{Channel, Priority, StatusAction, TicketType};
use kefu_domain::Permission;
use kefu_store::org::{DepartmentInput, PositionInput};
use kefu_store::tickets::{
    mark_promise_overdue_in, queue_counter_keys, NewTicket, QueueQuery, TicketChange,
    TicketChangeError, TicketDeadlines, TicketFilter,
};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

pub(crate) struct Center {
    pub(crate) intake: String,
    pub(crate) tech: String,
    pub(crate) agent: String,
    pub(crate) other_agent: String,
    pub(crate) lead: String,
    pub(crate) engineer: String,
}

pub(crate) async fn department(db: &Db, name: &str, parent: Option<&str>) -> String {
    db.create_department(
        &system(),
        t0(),
        &DepartmentInput {
            parent_id: parent.map(str::to_string),
            name: name.into(),
            description: None,
            sort_order: 0,
        },
    )
    .await
    .unwrap()
}

pub(crate) async fn staff(
    db: &Db,
    username: &str,
    department_id: &str,
    permissions: &[Permission],
) -> String {
    let user = create_user(db, username).await;
    let position = db
        .create_position(
            &system(),
            t0(),
            &PositionInput {
                department_id: department_id.into(),
                title: format!("{username} 岗"),
                duties: Vec::new(),
                qualifications: Qualifications::default(),
                headcount_limit: None,
                headcount_ratio: None,
                permissions: permissions.to_vec(),
                excluded_with: Vec::new(),
            },
        )
        .await
        .unwrap();
    db.assign_position(&system(), t0(), &user, &position)
        .await
        .unwrap();
    user
}

pub(crate) async fn center(db: &Db) -> Center {
    use Permission::*;
    let root = department(db, "客户服务中心", None).await;
    let intake = department(db, "业务受理组", Some(&root)).await;
    let tech = department(db, "技术部", None).await;
    Center {
        agent: staff(db, "agent1", &intake, &[TicketRead, TicketWrite]).await,
        other_agent: staff(db, "agent2", &intake, &[TicketRead, TicketWrite]).await,
        lead: staff(
            db,
            "lead",
            &root,
            &[TicketRead, TicketWrite, TicketSupervise],
        )
        .await,
        engineer: staff(db, "tech1", &tech, &[TicketRead, TicketWrite]).await,
        intake,
        tech,
    }
}

pub(crate) fn ticket(c: &Center, owner: Option<&str>) -> NewTicket {
    NewTicket {
        ticket_type: TicketType::Complaint,
        channel: Channel::Phone,
        priority: Priority::Normal,
        subject: "快递三天未送达".into(),
        description: "客户来电投诉".into(),
        occurred_at: None,
        place: Some("上海".into()),
        people: None,
        contact_name: None,
        contact_phone: Some("13800138000".into()),
        customer_id: None,
        department_id: c.intake.clone(),
        owner_id: owner.map(str::to_string),
        tags: vec!["快递".into()],
        call_id: None,
    }
}

fn promise_at(due: DateTime<Utc>) -> TicketDeadlines {
    TicketDeadlines {
        promise: Some(("48 小时内答复".into(), due)),
        ..TicketDeadlines::default()
    }
}

async fn count(
    db: &Db,
    c: &Center,
    queue: Queue,
    user: &str,
    departments: &[String],
) -> (i64, usize) {
    let q = QueueQuery {
        queue,
        user_id: user,
        departments,
        today: t0()
            .with_timezone(&kefu_store::tickets::local_offset())
            .date_naive(),
    };
    let _ = c;
    let counts = db.queue_counts(&queue_counter_keys(&q)).await.unwrap();
    let badge: i64 = counts.values().sum();
    let listed = db.list_queue(&q, None, 200).await.unwrap().items.len();
    (badge, listed)
}

pub async fn numbers_and_queue_counters(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let (id1, n1) =
        t.db.create_ticket(
            &agent,
            at(0),
            &ticket(&c, Some(&c.agent)),
            &promise_at(at(60)),
        )
        .await
        .unwrap();
    let (id2, n2) =
        t.db.create_ticket(
            &system(),
            at(1),
            &ticket(&c, None),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap();
    // 2024-05-06 09:00 UTC is 17:00 in China: the numbers follow the local day.
    assert_eq!(n1.as_str(), "GD20240506-0001");
    assert_eq!(n2.as_str(), "GD20240506-0002");
    let intake = vec![c.intake.clone()];
    let tech = vec![c.tech.clone()];
    assert_eq!(
        count(&t.db, &c, Queue::Mine, &c.agent, &intake).await,
        (1, 1)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await,
        (2, 2)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Unassigned, &c.agent, &intake).await,
        (1, 1)
    );
    assert_eq!(
        count(&t.db, &c, Queue::DueToday, &c.agent, &intake).await,
        (1, 1)
    );

    // Someone else claims the web ticket: it becomes theirs, first owner included.
    let other = actor_for(&c.other_agent, "agent2");
    t.db.change_ticket(
        &other,
        at(2),
        &id2,
        &TicketChange::Assign {
            to: Some(c.other_agent.clone()),
        },
    )
    .await
    .unwrap();
    let d2 = t.db.get_ticket(&id2).await.unwrap();
    assert_eq!(
        d2.ticket.first_owner_id.as_deref(),
        Some(c.other_agent.as_str())
    );
    assert_eq!(d2.ticket.status, "assigned");
    assert_eq!(
        count(&t.db, &c, Queue::Unassigned, &c.agent, &intake).await,
        (0, 0)
    );
    // A lead reassigns it; the first owner stays.
    let lead = actor_for(&c.lead, "lead");
    t.db.change_ticket(
        &lead,
        at(3),
        &id2,
        &TicketChange::Assign {
            to: Some(c.agent.clone()),
        },
    )
    .await
    .unwrap();
    let d2 = t.db.get_ticket(&id2).await.unwrap();
    assert_eq!(
        d2.ticket.first_owner_id.as_deref(),
        Some(c.other_agent.as_str())
    );
    assert_eq!(
        count(&t.db, &c, Queue::Mine, &c.agent, &intake).await,
        (2, 2)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Mine, &c.other_agent, &intake).await,
        (1, 1)
    );

    // Transfer to 技术部: a task there, the ticket waits on it.
    t.db.change_ticket(
        &agent,
        at(4),
        &id1,
        &TicketChange::Transfer {
            department_id: c.tech.clone(),
            request: "请排查物流接口".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        count(&t.db, &c, Queue::Transferred, &c.engineer, &tech).await,
        (1, 1)
    );
    assert_eq!(
        count(&t.db, &c, Queue::WaitingDepartment, &c.agent, &intake).await,
        (1, 1)
    );
    let again =
        t.db.change_ticket(
            &agent,
            at(5),
            &id1,
            &TicketChange::Transfer {
                department_id: c.tech.clone(),
                request: "再催".into(),
            },
        )
        .await;
    assert!(
        matches!(again, Err(TicketChangeError::TaskOpen)),
        "{again:?}"
    );
    // The engineer sees it in the list only because it was transferred there.
    let seen =
        t.db.list_tickets(&TicketFilter::default(), &c.engineer, &tech, None, 50)
            .await
            .unwrap();
    assert_eq!(
        seen.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec![id1.as_str()]
    );
    let task_id = t.db.get_ticket(&id1).await.unwrap().tasks[0].id.clone();
    let engineer = actor_for(&c.engineer, "tech1");
    t.db.change_ticket(
        &engineer,
        at(6),
        &id1,
        &TicketChange::CompleteTask {
            task_id,
            result: "接口已修复".into(),
        },
    )
    .await
    .unwrap();
    let d1 = t.db.get_ticket(&id1).await.unwrap();
    assert_eq!(d1.ticket.status, "in_progress");
    assert_eq!(d1.tasks[0].state, "done");
    assert_eq!(
        count(&t.db, &c, Queue::Transferred, &c.engineer, &tech).await,
        (0, 0)
    );
    assert_eq!(
        count(&t.db, &c, Queue::WaitingDepartment, &c.agent, &intake).await,
        (0, 0)
    );
    // The owner was told the task is done.
    let (notes, unread) = t.db.list_notifications(&c.agent, 10).await.unwrap();
    assert_eq!((notes[0].kind.as_str(), unread), ("task_done", 1));

    // Resolve and close: the ticket leaves every queue.
    for action in [StatusAction::Resolve, StatusAction::Close] {
        t.db.change_ticket(
            &agent,
            at(7),
            &id1,
            &TicketChange::Status {
                action,
                resumed: None,
            },
        )
        .await
        .unwrap();
    }
    let closed_note =
        t.db.change_ticket(
            &agent,
            at(8),
            &id1,
            &TicketChange::Reply {
                channel: Channel::Phone,
                body: "x".into(),
            },
        )
        .await;
    assert!(matches!(closed_note, Err(TicketChangeError::Closed)));
    assert_eq!(
        count(&t.db, &c, Queue::Mine, &c.agent, &intake).await,
        (1, 1)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await,
        (1, 1)
    );
    assert_eq!(
        count(&t.db, &c, Queue::DueToday, &c.agent, &intake).await,
        (0, 0)
    );
    t.cleanup().await;
}

async fn fire_due(db: &Db, now: DateTime<Utc>) -> usize {
    let mut fired = 0;
    while let Some(mut job) = db.claim_due_job(now).await.unwrap() {
        let p: serde_json::Value = serde_json::from_str(&job.job().payload).unwrap();
        let backend = db.backend();
        mark_promise_overdue_in(
            job.tx(),
            backend,
            p["ticket_id"].as_str().unwrap(),
            p["seq"].as_i64().unwrap(),
            now,
        )
        .await
        .unwrap();
        job.complete(now).await.unwrap();
        fired += 1;
    }
    fired
}

pub async fn promise_falls_due_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let due = at(60);
    let (id, _) =
        t.db.create_ticket(&agent, at(0), &ticket(&c, Some(&c.agent)), &promise_at(due))
            .await
            .unwrap();
    assert_eq!(fire_due(&t.db, due - Duration::seconds(1)).await, 0);
    assert!(t
        .db
        .get_ticket(&id)
        .await
        .unwrap()
        .ticket
        .overdue_since
        .is_none());
    assert_eq!(fire_due(&t.db, due).await, 1);
    assert_eq!(
        fire_due(&t.db, due + Duration::hours(1)).await,
        0,
        "fires once"
    );
    let d = t.db.get_ticket(&id).await.unwrap();
    assert_eq!(
        d.ticket.overdue_since,
        Some(kefu_store::to_millis(due)),
        "overdue at the promised instant"
    );
    assert_eq!(d.ticket.overdue_count, 1);
    let intake = vec![c.intake.clone()];
    assert_eq!(
        count(&t.db, &c, Queue::Overdue, &c.agent, &intake).await,
        (1, 1)
    );
    // The owner and the lead over the group are told.
    for user in [&c.agent, &c.lead] {
        let (notes, _) = t.db.list_notifications(user, 10).await.unwrap();
        assert_eq!(notes.len(), 1, "{user}");
        assert_eq!(notes[0].kind, "overdue");
    }
    assert!(t
        .db
        .list_notifications(&c.other_agent, 10)
        .await
        .unwrap()
        .0
        .is_empty());

    // A plain new promise is refused; the overdue notice renews it.
    let plain =
        t.db.change_ticket(
            &agent,
            at(70),
            &id,
            &TicketChange::Promise {
                text: "明天答复".into(),
                due: at(600),
            },
        )
        .await;
    assert!(
        matches!(plain, Err(TicketChangeError::OverdueNoticeRequired)),
        "{plain:?}"
    );
    t.db.change_ticket(
        &agent,
        at(70),
        &id,
        &TicketChange::OverdueNotice {
            channel: Channel::Phone,
            progress: "技术部正在排查".into(),
            apology: "很抱歉没能按时答复".into(),
            promise_text: "明天中午前答复".into(),
            due: at(600),
        },
    )
    .await
    .unwrap();
    let d = t.db.get_ticket(&id).await.unwrap();
    assert_eq!(
        (
            d.ticket.overdue_since,
            d.ticket.renewed_count,
            d.ticket.promise_seq
        ),
        (None, 1, 2)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Overdue, &c.agent, &intake).await,
        (0, 0)
    );
    let events = t.db.list_ticket_events(&id).await.unwrap();
    let notice = events.iter().find(|e| e.kind == "overdue_notice").unwrap();
    let detail: serde_json::Value =
        serde_json::from_str(notice.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["apology"], "很抱歉没能按时答复");
    assert_eq!(detail["promise"], "明天中午前答复");
    assert_eq!(notice.body.as_deref(), Some("技术部正在排查"));

    // A reply before the new deadline keeps the promise: nothing goes overdue.
    t.db.change_ticket(
        &agent,
        at(300),
        &id,
        &TicketChange::Reply {
            channel: Channel::Sms,
            body: "已修复".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(fire_due(&t.db, at(601)).await, 1);
    let d = t.db.get_ticket(&id).await.unwrap();
    assert_eq!(
        (d.ticket.overdue_since, d.ticket.promise_due_at),
        (None, None)
    );
    assert_eq!(
        d.ticket.first_responded_at,
        Some(kefu_store::to_millis(at(70)))
    );
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["created", "promise", "overdue", "overdue_notice"]
    );
    t.cleanup().await;
}

pub async fn merge_link_and_customer_timeline(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let customer_id = create_customer(&t.db, &customer("王芳")).await;
    let agent = actor_for(&c.agent, "agent1");
    let mut input = ticket(&c, Some(&c.agent));
    input.customer_id = Some(customer_id.clone());
    let (a, na) =
        t.db.create_ticket(&agent, at(0), &input, &TicketDeadlines::default())
            .await
            .unwrap();
    let (b, _) =
        t.db.create_ticket(&agent, at(1), &input, &TicketDeadlines::default())
            .await
            .unwrap();
    let (x, _) =
        t.db.create_ticket(&agent, at(2), &input, &TicketDeadlines::default())
            .await
            .unwrap();
    t.db.change_ticket(&agent, at(3), &x, &TicketChange::Link { other: a.clone() })
        .await
        .unwrap();
    assert_eq!(t.db.get_ticket(&a).await.unwrap().links[0].other_id, x);
    t.db.change_ticket(&agent, at(4), &b, &TicketChange::Merge { into: a.clone() })
        .await
        .unwrap();
    let merged = t.db.get_ticket(&b).await.unwrap();
    assert_eq!(
        (
            merged.ticket.status.as_str(),
            merged.ticket.merged_into_id.as_deref()
        ),
        ("closed", Some(a.as_str()))
    );
    let into_b =
        t.db.change_ticket(&agent, at(5), &a, &TicketChange::Merge { into: b.clone() })
            .await;
    assert!(
        matches!(into_b, Err(TicketChangeError::UnknownOther)),
        "cannot merge into a merged ticket"
    );
    let self_merge =
        t.db.change_ticket(&agent, at(5), &a, &TicketChange::Merge { into: a.clone() })
            .await;
    assert!(matches!(self_merge, Err(TicketChangeError::SameTicket)));
    let events = t.db.list_ticket_events(&a).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "merged_from"));
    // The customer's timeline carries the tickets' events.
    let timeline = t.db.list_customer_events(&customer_id, 100).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "ticket.created" && e.summary == na.as_str()),
        "{timeline:?}"
    );
    assert!(timeline.iter().any(|e| e.kind == "ticket.merged"));
    t.cleanup().await;
}

pub async fn existing_tickets_in_bulk(backend: TestBackend) {
    use kefu_domain::ticket::TicketStatus;
    use kefu_store::tickets::ExistingTicket;
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let row = |n: usize, status: TicketStatus, assignee: Option<&str>| ExistingTicket {
        number: format!("GD20240101-{n:04}"),
        ticket_type: TicketType::Inquiry,
        channel: Channel::Phone,
        priority: Priority::Normal,
        status,
        subject: format!("旧系统工单 {n}"),
        description: format!("订单 DD2024{n:06} 未发货"),
        contact_name: Some("王伟".into()),
        contact_phone: Some(format!("1380000{n:04}")),
        department_id: c.intake.clone(),
        first_owner_id: assignee.map(str::to_string),
        assignee_id: assignee.map(str::to_string),
        promise: Some(("48 小时内答复".into(), at(60 * 24))),
        overdue_since: None,
        task_department: (n == 3).then(|| c.tech.clone()),
        created_at: at(n as i64),
    };
    let rows: Vec<ExistingTicket> = (1..=250)
        .map(|n| match n % 5 {
            0 => row(n, TicketStatus::Closed, Some(&c.agent)),
            1 => row(n, TicketStatus::New, None),
            _ => row(n, TicketStatus::InProgress, Some(&c.agent)),
        })
        .collect();
    let written =
        t.db.insert_existing_tickets(&system(), at(0), &rows)
            .await
            .unwrap();
    assert_eq!(written, 250);
    t.db.rebuild_queue_counts().await.unwrap();
    let intake = vec![c.intake.clone()];
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await.0,
        200
    );
    assert_eq!(
        count(&t.db, &c, Queue::Unassigned, &c.agent, &intake).await,
        (50, 50)
    );
    assert_eq!(
        count(
            &t.db,
            &c,
            Queue::Transferred,
            &c.engineer,
            std::slice::from_ref(&c.tech)
        )
        .await,
        (1, 1)
    );
    // Open promises wait for the scheduler; closed ones are done.
    assert_eq!(t.db.count_jobs("pending").await.unwrap(), 200);
    assert_eq!(t.db.count_jobs("done").await.unwrap(), 50);
    let (id,) = (t
        .db
        .list_queue(
            &QueueQuery {
                queue: Queue::Unassigned,
                user_id: "",
                departments: &intake,
                today: t0().date_naive(),
            },
            None,
            1,
        )
        .await
        .unwrap()
        .items[0]
        .id
        .clone(),);
    assert_eq!(t.db.list_ticket_events(&id).await.unwrap().len(), 1);
    // The reported text and the caller reach the search index.
    let row = &t.db.ticket_search_rows(&[id]).await.unwrap()[0];
    assert!(row.description.starts_with("订单 DD2024"), "{row:?}");
    assert_eq!(row.contact_name.as_deref(), Some("王伟"));
    assert!(row
        .contact_phone
        .as_deref()
        .is_some_and(|p| p.starts_with("1380000")));
    t.cleanup().await;
}

/// What every created ticket must leave behind: its created and promise events, its
/// promise job, its audit entry (findable by the ticket), its search log entry.
async fn assert_fully_written(db: &Db, id: &str) {
    let kinds: Vec<String> = db
        .list_ticket_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["created", "promise"], "{id}");
    let filter = kefu_store::audit::AuditFilter {
        subject_id: Some(id.to_string()),
        ..Default::default()
    };
    let audit = db.list_audit(&filter, None, 10).await.unwrap().items;
    assert_eq!(audit.len(), 1, "{id}: {audit:?}");
    assert_eq!(audit[0].action, "ticket.create");
    assert_eq!(
        audit[0].detail.as_deref(),
        Some(db.get_ticket(id).await.unwrap().ticket.number.as_str())
    );
}

/// Creates arriving together (on SQLite they share the writer's transactions) still get
/// consecutive numbers of their day, one each, and everything a single create writes.
pub async fn concurrent_creates_number_consecutively(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let n = 40;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (db, agent) = (t.db.clone(), agent.clone());
        let owner = (i % 2 == 0).then(|| c.agent.clone());
        let input = ticket(&c, owner.as_deref());
        tasks.spawn(async move {
            db.create_ticket(&agent, at(i), &input, &promise_at(at(600)))
                .await
                .unwrap()
        });
    }
    let mut created = Vec::new();
    while let Some(done) = tasks.join_next().await {
        created.push(done.unwrap());
    }
    let mut numbers: Vec<String> = created
        .iter()
        .map(|(_, n)| n.as_str().to_string())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=n).map(|i| format!("GD20240506-{i:04}")).collect();
    assert_eq!(numbers, expected);
    for (id, _) in &created {
        assert_fully_written(&t.db, id).await;
    }
    let intake = vec![c.intake.clone()];
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await,
        (n, n as usize)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Mine, &c.agent, &intake).await,
        (n / 2, n as usize / 2)
    );
    assert_eq!(
        count(&t.db, &c, Queue::Unassigned, &c.agent, &intake).await,
        (n / 2, n as usize / 2)
    );
    assert_eq!(t.db.count_jobs("pending").await.unwrap(), n);
    let logged = t.db.search_changes_after(0, 1000).await.unwrap();
    for (id, _) in &created {
        assert!(logged.iter().any(|ch| &ch.entity_id == id), "{id} logged");
    }
    t.cleanup().await;
}

/// In one batch, a ticket the database refuses fails alone: the others are written,
/// and the day's numbers skip nothing.
pub async fn a_refused_ticket_fails_alone_in_a_batch(backend: TestBackend) {
    use kefu_store::tickets::TicketToOpen;
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let item = |minute: i64, customer: Option<&str>| {
        let mut input = ticket(&c, Some(&c.agent));
        input.customer_id = customer.map(str::to_string);
        TicketToOpen {
            actor: agent.clone(),
            now: at(minute),
            ticket: input,
            deadlines: promise_at(at(600)),
        }
    };
    let results =
        t.db.create_tickets(&[
            item(0, None),
            item(1, Some("no-such-customer")),
            item(2, None),
        ])
        .await;
    assert_eq!(results.len(), 3);
    assert!(
        matches!(&results[1], Err(kefu_store::StoreError::Refused(_))),
        "{:?}",
        results[1]
    );
    let ok: Vec<&(String, kefu_domain::ticket::TicketNumber)> =
        results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let numbers: Vec<&str> = ok.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(numbers, ["GD20240506-0001", "GD20240506-0002"]);
    for (id, _) in &ok {
        assert_fully_written(&t.db, id).await;
    }
    let intake = vec![c.intake.clone()];
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await,
        (2, 2)
    );
    assert_eq!(t.db.count_jobs("pending").await.unwrap(), 2);

    // A batch that is all good is written whole, numbers continuing the day.
    let results = t.db.create_tickets(&[item(3, None), item(4, None)]).await;
    let numbers: Vec<String> = results
        .into_iter()
        .map(|r| r.unwrap().1.as_str().to_string())
        .collect();
    assert_eq!(numbers, ["GD20240506-0003", "GD20240506-0004"]);
    assert_eq!(
        count(&t.db, &c, Queue::Group, &c.agent, &intake).await,
        (4, 4)
    );
    t.cleanup().await;
}
