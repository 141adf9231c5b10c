//! Logs: the day's handled tickets (what a work log is prefilled with), work and duty
//! logs written and rewritten, the intake department and the customer-visible timeline.

use crate::common::{actor_for, at, system};
use crate::tickets::{center, department, staff, ticket};
use chrono::{Duration, NaiveDate};
use kefu_domain::logs::{day_bounds, Shift};
use kefu_domain::ticket::Channel;
use kefu_domain::Permission;
use kefu_store::logs::DutyLogInput;
use kefu_store::tickets::{local_offset, TicketChange, TicketDeadlines};
use kefu_test_support::{TestBackend, TestDb};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// t0 is 2024-05-06 09:00 UTC, 17:00 in the center: its local day ends at 16:00 UTC.
pub async fn day_activity_counts_what_each_did(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let other = actor_for(&c.other_agent, "agent2");
    let none = TicketDeadlines::default();
    let (first, n1) =
        t.db.create_ticket(&agent, at(0), &ticket(&c, Some(&c.agent)), &none)
            .await
            .unwrap();
    let (second, n2) =
        t.db.create_ticket(&agent, at(30), &ticket(&c, Some(&c.agent)), &none)
            .await
            .unwrap();
    let note = |body: &str| TicketChange::Note { body: body.into() };
    for (who, minutes, id, change) in [
        (&agent, 10, &first, note("一")),
        (&agent, 40, &first, note("二")),
        (
            &other,
            20,
            &first,
            TicketChange::Reply {
                channel: Channel::Phone,
                body: "已回电".into(),
            },
        ),
        // 16:30 UTC is the next local day.
        (&agent, 7 * 60 + 30, &second, note("次日")),
    ] {
        t.db.change_ticket(who, at(minutes), id, &change)
            .await
            .unwrap();
    }
    let (start, end) = day_bounds(day("2024-05-06"), local_offset());
    let mine = t.db.day_activity(&c.agent, start, end).await.unwrap();
    assert_eq!(
        mine.iter().map(|a| a.number.as_str()).collect::<Vec<_>>(),
        [n1.as_str(), n2.as_str()],
        "first touched first"
    );
    assert_eq!(
        mine[0].kinds,
        [("created".to_string(), 1), ("note".to_string(), 2)]
    );
    assert_eq!(mine[1].kinds, [("created".to_string(), 1)]);
    assert_eq!(mine[0].subject, "快递三天未送达");
    assert_eq!(mine[0].first_at, kefu_store::to_millis(at(0)));
    let theirs = t.db.day_activity(&c.other_agent, start, end).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].kinds, [("reply".to_string(), 1)]);
    let next =
        t.db.day_activity(&c.agent, end, end + Duration::days(1))
            .await
            .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].ticket_id, second);
    assert_eq!(next[0].kinds, [("note".to_string(), 1)]);
    assert!(t
        .db
        .day_activity(&c.engineer, start, end)
        .await
        .unwrap()
        .is_empty());

    // The customer's part of the timeline: the creation and the reply, not the notes.
    let public = t.db.list_public_ticket_events(&first).await.unwrap();
    let kinds: Vec<&str> = public.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "reply"]);
    assert!(public.iter().all(|e| e.actor_name.is_none()));
    t.cleanup().await;
}

pub async fn work_and_duty_logs_round_trip(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let agent = actor_for(&c.agent, "agent1");
    let today = day("2024-05-06");
    assert!(t.db.get_work_log(&c.agent, today).await.unwrap().is_none());
    t.db.save_work_log(&agent, at(0), &c.agent, today, "初稿")
        .await
        .unwrap();
    t.db.save_work_log(&agent, at(5), &c.agent, today, "定稿")
        .await
        .unwrap();
    t.db.save_work_log(&agent, at(6), &c.agent, day("2024-05-03"), "上周五")
        .await
        .unwrap();
    let other = actor_for(&c.other_agent, "agent2");
    t.db.save_work_log(&other, at(7), &c.other_agent, today, "刘洋的")
        .await
        .unwrap();
    let log = t.db.get_work_log(&c.agent, today).await.unwrap().unwrap();
    assert_eq!(log.text, "定稿");
    assert_eq!(log.updated_at, kefu_store::to_millis(at(5)));
    assert_eq!(log.user_name, "agent1 坐席");
    let mine =
        t.db.list_work_logs(Some(&c.agent), day("2024-05-01"), today)
            .await
            .unwrap();
    assert_eq!(
        mine.iter().map(|l| l.day.as_str()).collect::<Vec<_>>(),
        ["2024-05-03", "2024-05-06"]
    );
    let everyone = t.db.list_work_logs(None, today, today).await.unwrap();
    assert_eq!(everyone.len(), 2);

    let lead = actor_for(&c.lead, "lead");
    assert!(t.db.get_duty_log(today, Shift::B).await.unwrap().is_none());
    let input = DutyLogInput {
        staffing: "全员到岗".into(),
        incidents: "无".into(),
        handover: "两张工单待回电".into(),
        text: String::new(),
    };
    t.db.save_duty_log(&lead, at(0), today, Shift::B, &c.lead, &input)
        .await
        .unwrap();
    let again = DutyLogInput {
        incidents: "线路故障 10 分钟".into(),
        ..input.clone()
    };
    t.db.save_duty_log(&lead, at(60), today, Shift::B, &c.lead, &again)
        .await
        .unwrap();
    t.db.save_duty_log(&system(), at(61), today, Shift::A, &c.lead, &input)
        .await
        .unwrap();
    let b = t.db.get_duty_log(today, Shift::B).await.unwrap().unwrap();
    assert_eq!(b.incidents, "线路故障 10 分钟");
    assert_eq!(b.handover, "两张工单待回电");
    assert_eq!(b.lead_name, "lead 坐席");
    let all = t.db.list_duty_logs(today, today).await.unwrap();
    assert_eq!(
        all.iter().map(|l| l.shift.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(t
        .db
        .list_duty_logs(day("2024-05-07"), day("2024-05-08"))
        .await
        .unwrap()
        .is_empty());
    t.cleanup().await;
}

pub async fn intake_department_by_name_or_staffed(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    assert_eq!(t.db.intake_department("业务受理组").await.unwrap(), None);
    let tech = department(&t.db, "技术部", None).await;
    staff(&t.db, "reader", &tech, &[Permission::TicketRead]).await;
    assert_eq!(
        t.db.intake_department("业务受理组").await.unwrap(),
        None,
        "nobody there may write tickets"
    );
    let desk = department(&t.db, "服务台", None).await;
    staff(&t.db, "writer", &desk, &[Permission::TicketWrite]).await;
    assert_eq!(
        t.db.intake_department("业务受理组").await.unwrap(),
        Some(desk.clone())
    );
    assert_eq!(t.db.intake_department("技术部").await.unwrap(), Some(tech));
    t.cleanup().await;
}
