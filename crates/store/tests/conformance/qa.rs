//! Quality inspection in the store: the handbook's scorecard made once, revisions that
//! leave earlier ones readable, the month's items refreshed in place from the work
//! orders, findings replaced, one sample per month, and inspections that move only from
//! the state the caller checked (score a draft, publish a scored draft, appeal once,
//! decide an appeal), with every step on the record; the weekly summary.

use crate::common::{actor_for, at, system, t0};
use crate::tickets::{center, ticket};
use chrono::{Datelike, FixedOffset, TimeZone};
use kefu_domain::call::{CallEvent, CallEventKind};
use kefu_domain::qa::{Criterion, Scorecard};
use kefu_store::calls::TranscriptLine;
use kefu_store::qa::{
    AppealDecision, FindingRow, InspectionFilter, NewInspection, QaMonth, Scored, SummaryPoint,
};
use kefu_store::tickets::TicketDeadlines;
use kefu_store::StoreError;
use kefu_test_support::Bind::T;
use kefu_test_support::{TestBackend, TestDb};

/// The month of [`t0`] in the center's time: the local time, the month's code and where it
/// begins.
fn this_month() -> (
    chrono::DateTime<FixedOffset>,
    String,
    chrono::DateTime<chrono::Utc>,
) {
    let cst = FixedOffset::east_opt(8 * 3600).unwrap();
    let local = t0().with_timezone(&cst);
    let start = cst
        .with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    (local, local.format("%Y-%m").to_string(), start)
}

fn scored(total_tenths: i64) -> Scored {
    Scored {
        answers: "[]".into(),
        result: "{}".into(),
        total_tenths,
        critical_failure: None,
        summary: "规范".into(),
    }
}

pub async fn scorecards_items_sample_and_inspection_states(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    let inspector = actor_for(&c.lead, "lead");

    // The handbook's scorecard appears once, however often the list is read.
    let cards = db.list_qa_scorecards(t0()).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(db.list_qa_scorecards(t0()).await.unwrap().len(), 1);
    let card = cards[0].clone();
    assert_eq!((card.revision, card.criteria.len()), (1, 5));
    // Saving the same criteria keeps the revision; changed criteria make a new one.
    let same = Scorecard::parse(card.criteria.clone()).unwrap();
    db.save_qa_scorecard(&system(), at(1), Some(&card.id), &card.name, true, &same)
        .await
        .unwrap();
    assert_eq!(db.get_qa_scorecard(&card.id).await.unwrap().revision, 1);
    let mut changed: Vec<Criterion> = card.criteria.clone();
    changed[0].weight = 40;
    let changed = Scorecard::parse(changed).unwrap();
    db.save_qa_scorecard(&system(), at(2), Some(&card.id), &card.name, true, &changed)
        .await
        .unwrap();
    assert_eq!(db.get_qa_scorecard(&card.id).await.unwrap().revision, 2);
    let first = db.qa_scorecard_revision(&card.id, 1).await.unwrap();
    assert_eq!(
        first.criteria()[0].weight,
        20,
        "revision 1 is kept as it was"
    );

    // The month's items: the agent's work orders, refreshed in place.
    let (id, _) = db
        .create_ticket(
            &actor_for(&c.agent, "agent1"),
            at(10),
            &ticket(&c, Some(&c.agent)),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap();
    let (local, month, start) = this_month();
    let end = start + chrono::Duration::days(40);
    let whole = QaMonth {
        code: &month,
        start,
        end,
    };
    db.refresh_qa_month(&whole, at(11)).await.unwrap();
    assert_eq!(db.count_qa_items(&month).await.unwrap(), 1);
    db.refresh_qa_month(&whole, at(11)).await.unwrap();
    assert_eq!(db.count_qa_items(&month).await.unwrap(), 1, "in place");
    // A row that changed at the source is written again (here: changed behind the
    // store's back, put right by the next refresh).
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&t.url).await.unwrap();
        sqlx::query("UPDATE qa_items SET title = 'stale', complaint = 1")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    db.refresh_qa_month(&whole, at(12)).await.unwrap();
    let item = db.get_qa_item(&format!("ticket:{id}")).await.unwrap();
    assert_eq!((item.title.as_str(), item.complaint), ("快递三天未送达", 0));
    assert_eq!(
        (item.agent_id.as_str(), item.kind.as_str()),
        (c.agent.as_str(), "ticket")
    );
    assert_eq!(item.day, i64::from(local.day()));
    let candidates = db.qa_candidates(&month).await.unwrap();
    assert_eq!(candidates.items.len(), 1);
    let read = &candidates.items[0];
    assert_eq!(
        (
            read.id.as_str(),
            read.kind,
            candidates.agents[read.agent as usize].as_str(),
            read.day,
            read.duration_s,
            read.complaint,
            read.satisfaction,
            read.flags
        ),
        (
            item.id.as_str(),
            "ticket",
            c.agent.as_str(),
            item.day,
            None,
            0,
            None,
            0
        )
    );

    // Findings are replaced, and counted on the item.
    let found = |rule: &str| FindingRow {
        rule: rule.into(),
        message_index: Some(0),
        detail: "不知道".into(),
    };
    db.save_qa_findings(
        at(11),
        &item.id,
        &[found("forbidden_phrase"), found("unresolved")],
    )
    .await
    .unwrap();
    db.save_qa_findings(at(12), &item.id, &[found("forbidden_phrase")])
        .await
        .unwrap();
    assert_eq!(
        db.qa_findings(&item.id).await.unwrap(),
        vec![found("forbidden_phrase")]
    );
    assert_eq!(db.get_qa_item(&item.id).await.unwrap().flags, 1);

    // One sample per month; the item's inspection starts as a draft.
    let chosen = NewInspection {
        item_id: item.id.clone(),
        agent_id: c.agent.clone(),
        inspector_id: c.lead.clone(),
        month: month.clone(),
        week: 1,
        reasons: r#"[{"reason":"complaint"}]"#.into(),
        scorecard_id: card.id.clone(),
        revision: 2,
    };
    let (_, created) = db
        .create_qa_sample(
            &inspector,
            at(20),
            &month,
            "{}",
            "{}",
            std::slice::from_ref(&chosen),
        )
        .await
        .unwrap();
    assert_eq!(created, 1);
    let again = db
        .create_qa_sample(&inspector, at(21), &month, "{}", "{}", &[])
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let taken = db.add_qa_inspection(&inspector, at(22), &chosen).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { .. })),
        "{taken:?}"
    );
    let f = InspectionFilter {
        month: Some(month.clone()),
        ..Default::default()
    };
    let list = db.list_qa_inspections(&f).await.unwrap();
    assert_eq!(list.len(), 1);
    let iid = list[0].id.clone();
    assert_eq!(list[0].state, "draft");

    // Each step only from the state it expects.
    let agent = actor_for(&c.agent, "agent1");
    let lead = actor_for(&c.other_agent, "agent2");
    let decision = AppealDecision {
        state: "rejected".into(),
        note: "维持".into(),
        rescored: None,
    };
    assert!(
        matches!(
            db.publish_qa_inspection(&inspector, at(30), &iid).await,
            Err(StoreError::NotFound)
        ),
        "not scored"
    );
    assert!(
        matches!(
            db.appeal_qa_inspection(&agent, at(30), &iid, "x").await,
            Err(StoreError::NotFound)
        ),
        "a draft"
    );
    db.score_qa_inspection(&inspector, at(31), &iid, &scored(820))
        .await
        .unwrap();
    db.publish_qa_inspection(&inspector, at(32), &iid)
        .await
        .unwrap();
    assert!(
        matches!(
            db.score_qa_inspection(&inspector, at(33), &iid, &scored(100))
                .await,
            Err(StoreError::NotFound)
        ),
        "published"
    );
    assert!(
        matches!(
            db.decide_qa_appeal(&lead, at(33), &iid, &decision).await,
            Err(StoreError::NotFound)
        ),
        "no appeal"
    );
    db.appeal_qa_inspection(&agent, at(34), &iid, "已按流程处理")
        .await
        .unwrap();
    assert!(
        matches!(
            db.appeal_qa_inspection(&agent, at(35), &iid, "再次").await,
            Err(StoreError::NotFound)
        ),
        "once"
    );
    db.decide_qa_appeal(&lead, at(36), &iid, &decision)
        .await
        .unwrap();
    let done = db.get_qa_inspection(&iid).await.unwrap();
    assert_eq!(
        (done.state.as_str(), done.total_tenths),
        ("rejected", Some(820))
    );
    assert_eq!(done.appeal_reason.as_deref(), Some("已按流程处理"));
    let steps: Vec<String> = db
        .list_qa_events(&iid)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        steps,
        ["sampled", "scored", "published", "appealed", "rejected"]
    );

    // The weekly summary round-trips.
    let point = SummaryPoint {
        text: "开场未报工号".into(),
        evidence: vec![iid.clone()],
    };
    db.save_qa_summary(
        &inspector,
        at(40),
        "2026-11-23",
        std::slice::from_ref(&point),
        &[],
    )
    .await
    .unwrap();
    let s = db
        .get_qa_summary("2026-11-23")
        .await
        .unwrap()
        .expect("saved");
    assert_eq!(s.problems, vec![point]);
    assert!(db.get_qa_summary("2026-11-30").await.unwrap().is_none());
    t.cleanup().await;
}

fn call_event(kind: CallEventKind, minutes: i64, agent: Option<&str>) -> CallEvent {
    CallEvent {
        kind,
        at: at(minutes),
        caller: None,
        ivr_key: None,
        queue: Some("咨询".into()),
        agent: agent.map(Into::into),
        duration_s: None,
        hangup_side: None,
    }
}

/// The automatic checks' work list: a month's answered calls wait in it only once they
/// have a transcript (the refresh writes the others as read, with no findings; attaching
/// a transcript puts a call back), and the findings of many items are stored at once.
pub async fn calls_wait_for_the_checks_only_with_a_transcript(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    // The staff the calls are answered by.
    center(db).await;
    for (i, cti) in ["cti-qa-1", "cti-qa-2", "cti-qa-3"].iter().enumerate() {
        let m = 10 * i as i64;
        for e in [
            call_event(CallEventKind::Offered, m, None),
            call_event(CallEventKind::Answered, m + 1, Some("agent1")),
            call_event(CallEventKind::Ended, m + 4, None),
        ] {
            db.apply_call_event(cti, &e, "{}", at(m + 5)).await.unwrap();
        }
    }
    let call = |cti: &'static str| async move { db.get_call_by_external_id(cti).await.unwrap().id };
    let (first, second, third) = (
        call("cti-qa-1").await,
        call("cti-qa-2").await,
        call("cti-qa-3").await,
    );
    let line = |speaker: &str, text: &str| TranscriptLine {
        speaker: speaker.into(),
        at_ms: 1_000,
        text: text.into(),
    };
    // A transcript that came before the refresh: the item is written unread.
    db.set_call_transcript(
        &second,
        &[line("agent", "您好，请问有什么可以帮您？")],
        at(30),
    )
    .await
    .unwrap();
    let (_, month, start) = this_month();
    let end = start + chrono::Duration::days(40);
    let whole = QaMonth {
        code: &month,
        start,
        end,
    };
    db.refresh_qa_month(&whole, at(30)).await.unwrap();
    assert_eq!(db.count_qa_items(&month).await.unwrap(), 3);
    let waiting = |items: Vec<kefu_store::qa::TextItem>| -> Vec<String> {
        items.into_iter().map(|i| i.source_id).collect()
    };
    assert_eq!(
        waiting(db.unchecked_qa_items(10).await.unwrap()),
        vec![second.clone()]
    );
    let item = db.get_qa_item(&format!("call:{first}")).await.unwrap();
    assert_eq!((item.flags, item.checked_at.is_some()), (0, true));

    // A transcript that came after: the call waits again, oldest first.
    db.set_call_transcript(&first, &[line("customer", "我要投诉")], at(31))
        .await
        .unwrap();
    db.refresh_qa_month(&whole, at(31)).await.unwrap();
    assert_eq!(
        waiting(db.unchecked_qa_items(10).await.unwrap()),
        vec![first.clone(), second.clone()]
    );
    let read = db
        .qa_conversations("call", &[first.clone(), second.clone(), third.clone()])
        .await
        .unwrap();
    assert_eq!(read.len(), 2, "the call without a transcript has no lines");
    assert_eq!(read[&first][0].text, "我要投诉");
    assert_eq!(read[&second][0].from, "agent");

    // Findings for both in one go: counted on each item, and the list is empty.
    let found = |rule: &str| FindingRow {
        rule: rule.into(),
        message_index: None,
        detail: String::new(),
    };
    db.save_qa_findings_many(
        at(32),
        &[
            (
                format!("call:{first}"),
                vec![found("greeting_missing"), found("unresolved")],
            ),
            (format!("call:{second}"), Vec::new()),
        ],
    )
    .await
    .unwrap();
    assert!(db.unchecked_qa_items(10).await.unwrap().is_empty());
    let first_item = db.get_qa_item(&format!("call:{first}")).await.unwrap();
    assert_eq!(first_item.flags, 2);
    assert_eq!(
        db.qa_findings(&first_item.id).await.unwrap(),
        vec![found("greeting_missing"), found("unresolved")]
    );
    assert_eq!(
        db.get_qa_item(&format!("call:{second}"))
            .await
            .unwrap()
            .flags,
        0
    );

    // What the draw reads: every call of the month with its facts, in id order.
    let candidates = db.qa_candidates(&month).await.unwrap();
    let mut ids = vec![
        format!("call:{first}"),
        format!("call:{second}"),
        format!("call:{third}"),
    ];
    ids.sort();
    assert_eq!(
        candidates
            .items
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        ids
    );
    for c in &candidates.items {
        assert_eq!((c.kind, c.duration_s), ("call", Some(180)));
        let flags = if c.id == format!("call:{first}") {
            2
        } else {
            0
        };
        assert_eq!((c.flags, c.complaint, c.satisfaction), (flags, 0, None));
    }
    t.cleanup().await;
}

/// Rows changed behind the store's back, through raw SQL: the triggers note them all the
/// same.
async fn noted_changes(t: &TestDb) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&t.url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM qa_changes")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    n
}

/// A maintained month's items follow what changed without recomputing the month: a new
/// ticket, a subject changed by anyone, a complaint that came later about a call (through
/// the call's ticket), a complaint withdrawn. The scheduler's draining turn forgets the
/// noted changes and every month it did not bring up to date, which must then be
/// refreshed whole again.
pub async fn items_follow_the_noted_changes(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let f = crate::complaints::fixture(db).await;
    let c = &f.c;
    let open = |minutes: i64| async move {
        db.create_ticket(
            &actor_for(&c.agent, "agent1"),
            at(minutes),
            &ticket(c, Some(&c.agent)),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap()
        .0
    };
    let first = open(10).await;
    for e in [
        call_event(CallEventKind::Offered, 11, None),
        call_event(CallEventKind::Answered, 12, Some("agent1")),
        call_event(CallEventKind::Ended, 15, None),
    ] {
        db.apply_call_event("cti-late", &e, "{}", at(16))
            .await
            .unwrap();
    }
    let call = db.get_call_by_external_id("cti-late").await.unwrap().id;
    let (_, month, start) = this_month();
    let this = QaMonth {
        code: &month,
        start,
        end: start + chrono::Duration::days(40),
    };
    assert!(!db.qa_month_maintained(&month).await.unwrap());
    db.refresh_qa_month(&this, at(20)).await.unwrap();
    assert!(db.qa_month_maintained(&month).await.unwrap());
    assert_eq!(db.count_qa_items(&month).await.unwrap(), 2);

    // Changes only: a subject changed by raw SQL, and a new ticket.
    t.exec(
        "UPDATE tickets SET subject = '改过的主题' WHERE id = $1",
        &[T(&first)],
    )
    .await;
    let second = open(21).await;
    db.refresh_qa_changes(&[this], false, at(22)).await.unwrap();
    assert_eq!(db.count_qa_items(&month).await.unwrap(), 3);
    let item = db.get_qa_item(&format!("ticket:{first}")).await.unwrap();
    assert_eq!(item.title, "改过的主题");
    db.get_qa_item(&format!("ticket:{second}")).await.unwrap();
    assert!(
        noted_changes(&t).await > 0,
        "a draw leaves them for the scheduler"
    );

    // A complaint that came later about the call: the call is linked to the complaint's
    // ticket, and then the complaint is withdrawn (deleted) behind the store's back.
    let (complaint, _) =
        crate::complaints::register(db, &f, at(23), kefu_domain::complaint::Severity::General)
            .await;
    t.exec(
        "UPDATE calls SET ticket_id = $1 WHERE id = $2",
        &[T(&complaint), T(&call)],
    )
    .await;
    db.refresh_qa_changes(&[this], true, at(24)).await.unwrap();
    assert_eq!(noted_changes(&t).await, 0, "drained");
    let call_item = || async { db.get_qa_item(&format!("call:{call}")).await.unwrap() };
    assert_eq!(call_item().await.complaint, 1);
    assert_eq!(
        db.get_qa_item(&format!("ticket:{complaint}"))
            .await
            .unwrap()
            .complaint,
        1
    );
    t.exec(
        "DELETE FROM complaint_rounds WHERE ticket_id = $1",
        &[T(&complaint)],
    )
    .await;
    t.exec(
        "DELETE FROM complaints WHERE ticket_id = $1",
        &[T(&complaint)],
    )
    .await;
    assert!(noted_changes(&t).await > 0);
    db.refresh_qa_changes(&[this], true, at(25)).await.unwrap();
    assert_eq!(call_item().await.complaint, 0, "through the ticket's note");

    // A draining turn that does not bring the month up to date forgets it: its next read
    // refreshes it whole.
    db.refresh_qa_changes(&[], true, at(26)).await.unwrap();
    assert!(!db.qa_month_maintained(&month).await.unwrap());
    t.cleanup().await;
}
