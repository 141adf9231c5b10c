//! Duty tasks in the store: a generation makes one task per position, duty, holder and
//! period on the right dates (shift duties from published shifts only), a rerun or a
//! concurrent one makes nothing twice, edits to the organization withdraw the open tasks
//! not yet due, and completion is the holder's, once, with its deliverable.

use crate::common::{actor_for, create_user, system, t0};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use kefu_domain::org::{Deliverable, Duty, Qualifications};
use kefu_store::duties::{CompleteError, DutyStatus, DutyTaskRow};
use kefu_store::org::{DepartmentInput, PositionInput};
use kefu_store::schedule::{NewRoster, NewShift};
use kefu_store::{to_millis, Db};
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeMap;

fn local(day: u32, hour: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn dec(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
}

fn duties(lines: &[&str]) -> Vec<Duty> {
    lines.iter().map(|l| Duty::parse_line(l).unwrap()).collect()
}

struct Center {
    position: String,
    input: PositionInput,
    lead1: String,
    lead2: String,
}

/// A 班长 position with a daily, a weekly, a monthly (31st), an after-shift and a plain
/// duty, held by two leads; lead1 works published shifts on 2 and 5 December.
async fn center(db: &Db) -> Center {
    let sys = system();
    let dept = db
        .create_department(
            &sys,
            t0(),
            &DepartmentInput {
                parent_id: None,
                name: "业务受理组".into(),
                description: None,
                sort_order: 0,
            },
        )
        .await
        .unwrap();
    let input = PositionInput {
        department_id: dept,
        title: "班长".into(),
        duties: duties(&[
            "接听来电",
            "认真填写值班日志 | daily",
            "质检周汇总 | weekly fri",
            "月度质量报告 | monthly 31",
            "交接记录 | after_shift",
        ]),
        qualifications: Qualifications::default(),
        headcount_limit: None,
        headcount_ratio: None,
        permissions: Vec::new(),
        excluded_with: Vec::new(),
    };
    let position = db.create_position(&sys, t0(), &input).await.unwrap();
    let lead1 = create_user(db, "lead1").await;
    let lead2 = create_user(db, "lead2").await;
    for u in [&lead1, &lead2] {
        db.assign_position(&sys, t0(), u, &position).await.unwrap();
    }
    let shift = |day: u32, start: u32, hours: i64| NewShift {
        staff_id: lead1.clone(),
        day: format!("2026-12-{day:02}"),
        template_code: "a".into(),
        queue: "咨询".into(),
        starts_at: local(day, start),
        ends_at: local(day, start) + Duration::hours(hours),
        on_call: false,
        locked: false,
    };
    let roster = NewRoster {
        name: "12-01".into(),
        start_date: "2026-12-01".into(),
        end_date: "2026-12-07".into(),
        days: 7,
        problem: "{}".into(),
        report: "{}".into(),
        staff: vec![lead1.clone()],
        shifts: vec![shift(2, 9, 8), shift(5, 20, 2)],
    };
    let id = db.create_roster(&sys, t0(), &roster).await.unwrap();
    db.publish_roster(&sys, t0(), &id).await.unwrap();
    // A draft's shift makes no task.
    let draft = NewRoster {
        name: "12-08".into(),
        start_date: "2026-12-08".into(),
        end_date: "2026-12-09".into(),
        days: 2,
        shifts: vec![shift(8, 9, 8)],
        ..roster
    };
    db.create_roster(&sys, t0(), &draft).await.unwrap();
    Center {
        position,
        input,
        lead1,
        lead2,
    }
}

async fn all(db: &Db, user: Option<&str>, status: DutyStatus) -> Vec<DutyTaskRow> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = db
            .list_duty_tasks(user, status, 4, cursor.as_deref())
            .await
            .unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// `(duty text, period key) → due` of one person's open tasks.
fn by_duty(rows: &[DutyTaskRow]) -> BTreeMap<(String, String), i64> {
    rows.iter()
        .map(|r| ((r.duty_text.clone(), r.period_key.clone()), r.due_at))
        .collect()
}

pub async fn generation_makes_each_task_once_on_its_date(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    let now = local(1, 0);
    let made = db.generate_duty_tasks(now, dec(1), dec(9)).await.unwrap();
    // Each lead: 9 daily, Friday 4 December; lead1 also after each published shift.
    assert_eq!(made.created, 2 * (9 + 1) + 2);
    assert_eq!(made.withdrawn, 0);
    let again = db.generate_duty_tasks(now, dec(1), dec(9)).await.unwrap();
    assert_eq!(
        (again.created, again.withdrawn),
        (0, 0),
        "a rerun adds nothing"
    );

    let mine = all(db, Some(&c.lead1), DutyStatus::Open).await;
    assert_eq!(mine.len(), 12);
    assert!(
        mine.windows(2).all(|w| w[0].due_at <= w[1].due_at),
        "by due"
    );
    let tasks = by_duty(&mine);
    let eod = |day: u32| to_millis(local(day, 23) + Duration::seconds(59 * 60 + 59));
    assert_eq!(
        tasks[&("认真填写值班日志".into(), "2026-12-01".into())],
        eod(1)
    );
    assert_eq!(tasks[&("质检周汇总".into(), "2026-W49".into())], eod(4));
    assert_eq!(
        tasks[&("交接记录".into(), "2026-12-02".into())],
        to_millis(local(2, 18)),
        "an hour after the shift ends"
    );
    assert_eq!(
        tasks[&("交接记录".into(), "2026-12-05".into())],
        to_millis(local(5, 23))
    );
    assert!(
        !tasks.contains_key(&("交接记录".into(), "2026-12-08".into())),
        "draft"
    );
    assert!(mine.iter().all(|r| r.duty_text != "接听来电"));
    assert!(mine
        .iter()
        .all(|r| r.position_title == "班长" && r.user_name == "lead1 坐席"));
    assert_eq!(mine[0].cadence, "daily");
    // The month's report falls due on 31 December, past the range: not made yet.
    let later = db.generate_duty_tasks(now, dec(31), dec(31)).await.unwrap();
    assert_eq!(later.created, 2 * 2, "daily and monthly, each lead");
    let report = all(db, Some(&c.lead2), DutyStatus::Open)
        .await
        .into_iter()
        .find(|r| r.duty_text == "月度质量报告")
        .unwrap();
    assert_eq!(
        (report.period_key.as_str(), report.due_at),
        ("2026-12", eod(31))
    );

    // Overdue at 10:00 on 3 December: both leads' daily tasks of the 1st and 2nd and
    // lead1's handover of the 2nd.
    let at = local(3, 10);
    let overdue = all(db, None, DutyStatus::Overdue(at)).await;
    assert_eq!(overdue.len(), 5);
    assert!(overdue.iter().all(|r| r.due_at < to_millis(at)));
    assert_eq!(db.count_overdue_duty_tasks(at).await.unwrap(), 5);
    assert_eq!(
        all(db, Some(&c.lead2), DutyStatus::Overdue(at)).await.len(),
        2
    );
    t.cleanup().await;
}

pub async fn completion_is_the_holders_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    db.generate_duty_tasks(local(1, 0), dec(1), dec(2))
        .await
        .unwrap();
    let task = all(db, Some(&c.lead1), DutyStatus::Open).await[0].clone();
    let log = Deliverable::parse("log", "duty-log/2026-12-01/a").unwrap();
    let lead1 = actor_for(&c.lead1, "lead1");
    let lead2 = actor_for(&c.lead2, "lead2");
    let done_at = local(1, 21);
    assert!(matches!(
        db.complete_duty_task(&lead2, done_at, &task.id, &c.lead2, None, None)
            .await,
        Err(CompleteError::NotYours)
    ));
    assert!(matches!(
        db.complete_duty_task(&lead1, done_at, "missing", &c.lead1, None, None)
            .await,
        Err(CompleteError::Unknown)
    ));
    db.complete_duty_task(
        &lead1,
        done_at,
        &task.id,
        &c.lead1,
        Some(&log),
        Some("已交接"),
    )
    .await
    .unwrap();
    assert!(matches!(
        db.complete_duty_task(&lead1, done_at, &task.id, &c.lead1, None, None)
            .await,
        Err(CompleteError::AlreadyDone)
    ));
    let row = db.get_duty_task(&task.id).await.unwrap();
    assert_eq!(row.status, "done");
    assert_eq!(row.done_at, Some(to_millis(done_at)));
    assert_eq!(row.done_by.as_deref(), Some(c.lead1.as_str()));
    assert_eq!(row.deliverable_kind.as_deref(), Some("log"));
    assert_eq!(
        row.deliverable_ref.as_deref(),
        Some("duty-log/2026-12-01/a")
    );
    assert_eq!(row.note.as_deref(), Some("已交接"));
    let done = all(db, Some(&c.lead1), DutyStatus::Done).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].id, task.id);
    assert!(all(db, Some(&c.lead1), DutyStatus::Open)
        .await
        .iter()
        .all(|r| r.id != task.id));
    // Not overdue once done: of the five tasks (each lead's two days, lead1's handover),
    // four are.
    assert_eq!(db.count_overdue_duty_tasks(local(3, 0)).await.unwrap(), 4);
    // A rerun leaves the done task alone.
    let again = db
        .generate_duty_tasks(local(1, 22), dec(1), dec(2))
        .await
        .unwrap();
    assert_eq!((again.created, again.withdrawn), (0, 0));
    assert_eq!(db.get_duty_task(&task.id).await.unwrap().status, "done");
    t.cleanup().await;
}

pub async fn edits_withdraw_open_tasks_not_yet_due(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    db.generate_duty_tasks(local(1, 0), dec(1), dec(7))
        .await
        .unwrap();
    let sys = system();
    // The daily duty is reworded and moved to the end; lead2 leaves the position.
    let mut input = c.input.clone();
    input.duties = duties(&[
        "接听来电",
        "质检周汇总 | weekly fri",
        "月度质量报告 | monthly 31",
        "交接记录 | after_shift",
        "填写值班日志（含交接） | daily",
    ]);
    db.update_position(&sys, t0(), &c.position, &input)
        .await
        .unwrap();
    db.unassign_position(&sys, t0(), &c.lead2, &c.position)
        .await
        .unwrap();
    let now = local(3, 10);
    let made = db.generate_duty_tasks(now, dec(3), dec(7)).await.unwrap();
    // New wording 3–7 December; withdrawn: lead1's old wording 3–7, lead2's daily 3–7
    // and Friday's summary. The weekly, monthly and shift duties kept their keys.
    assert_eq!(made.created, 5);
    assert_eq!(made.withdrawn, 5 + 5 + 1);
    let lead1 = by_duty(&all(db, Some(&c.lead1), DutyStatus::Open).await);
    assert!(
        lead1.contains_key(&("认真填写值班日志".into(), "2026-12-02".into())),
        "owed"
    );
    assert!(!lead1.contains_key(&("认真填写值班日志".into(), "2026-12-03".into())));
    assert!(lead1.contains_key(&("填写值班日志（含交接）".into(), "2026-12-03".into())));
    assert!(lead1.contains_key(&("质检周汇总".into(), "2026-W49".into())));
    assert!(lead1.contains_key(&("交接记录".into(), "2026-12-05".into())));
    let lead2 = all(db, Some(&c.lead2), DutyStatus::Open).await;
    assert_eq!(lead2.len(), 2, "only what was already overdue stays");
    assert!(lead2.iter().all(|r| r.due_at < to_millis(now)));
    t.cleanup().await;
}

pub async fn concurrent_generations_make_each_task_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    let now = local(1, 0);
    let (a, b) = tokio::join!(
        db.generate_duty_tasks(now, dec(1), dec(9)),
        db.generate_duty_tasks(now, dec(1), dec(9)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.created + b.created, 22, "{a:?} {b:?}");
    let total = all(db, Some(&c.lead1), DutyStatus::Open).await.len()
        + all(db, Some(&c.lead2), DutyStatus::Open).await.len();
    assert_eq!(total, 22);
    t.cleanup().await;
}
