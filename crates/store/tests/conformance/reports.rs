//! Reports on a hand-made week (2026-12-01 to 12-07, the center's time): every count
//! checked against what the fixture says, by day, by agent and by complaint cause, under
//! each filter; and every cell's drill-down list as long as the cell's count.

use chrono::NaiveDate;
use kefu_domain::report::{Grouping, Metric, Tally};
use kefu_store::reports::{applies, CellRef, ReportScope};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

use crate::common::create_user;

pub(crate) const OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Epoch ms of `2026-12-dd hh:mm` in the center's time (+08:00).
pub(crate) fn ms(day: u32, h: u32, m: u32) -> i64 {
    let (month, day) = if day == 0 { (11, 30) } else { (12, day) };
    kefu_test_support::center_time(2026, month, day, h, m).timestamp_millis()
}

/// The local day number of 2026-12-dd.
pub(crate) fn day(d: u32) -> i64 {
    (NaiveDate::from_ymd_opt(2026, 12, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days()
}

pub(crate) use kefu_test_support::Bind::{self, I, N, T};

fn opt(v: Option<i64>) -> Bind<'static> {
    v.map(I).unwrap_or(N)
}

struct Ticket<'a> {
    id: &'a str,
    dept: &'a str,
    channel: &'a str,
    ticket_type: &'a str,
    owner: &'a str,
    created: i64,
    first_due: Option<i64>,
    first_at: Option<i64>,
    resolution_due: Option<i64>,
    resolved: Option<i64>,
    overdue_count: i64,
}

async fn ticket(t: &TestDb, k: Ticket<'_>) {
    t.exec(
        "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
         subject, department_id, first_owner_id, assignee_id, first_response_due, \
         first_responded_at, resolution_due, resolved_at, overdue_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'normal', 'in_progress', 1, $5, $6, $7, $7, $8, $9, $10, $11, \
         $12, $13, $13)",
        &[
            T(k.id),
            T(&format!("N-{}", k.id)),
            T(k.ticket_type),
            T(k.channel),
            T(&format!("工单 {}", k.id)),
            T(k.dept),
            T(k.owner),
            opt(k.first_due),
            opt(k.first_at),
            opt(k.resolution_due),
            opt(k.resolved),
            I(k.overdue_count),
            I(k.created),
        ],
    )
    .await;
}

pub(crate) async fn event(t: &TestDb, id: &str, ticket: &str, kind: &str, detail: &str, at: i64) {
    t.exec(
        "INSERT INTO ticket_events (id, ticket_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
        &[T(id), T(ticket), I(at), T(kind), T(detail)],
    )
    .await;
}

async fn call(
    t: &TestDb,
    id: &str,
    agent: Option<&str>,
    started: i64,
    offered: bool,
    answered: bool,
) {
    t.exec(
        "INSERT INTO calls (id, external_id, state, agent_id, offered_at, answered_at, \
         started_at, updated_at) VALUES ($1, $1, 'ended', $2, $3, $4, $5, $5)",
        &[
            T(id),
            agent.map(T).unwrap_or(Bind::N),
            opt(offered.then_some(started)),
            opt(answered.then_some(started + 5_000)),
            I(started),
        ],
    )
    .await;
}

pub(crate) struct Fixture {
    pub a: String,
    pub b: String,
    pub u1: String,
    pub u2: String,
}

/// Departments A (with its group A1) and B; u1 holds a position in A1, u2 one in B.
pub(crate) async fn fixture(t: &TestDb) -> Fixture {
    let db = &t.db;
    let u1 = create_user(db, "report_u1").await;
    let u2 = create_user(db, "report_u2").await;
    let created = ms(0, 9, 0);
    for (id, parent, name) in [
        ("dA", None, "中心"),
        ("dA1", Some("dA"), "受理组"),
        ("dB", None, "技术部"),
    ] {
        t.exec(
            "INSERT INTO departments (id, parent_id, name, created_at) VALUES ($1, $2, $3, $4)",
            &[T(id), parent.map(T).unwrap_or(N), T(name), I(created)],
        )
        .await;
    }
    for (pos, dept, user) in [("pA1", "dA1", &u1), ("pB", "dB", &u2)] {
        t.exec(
            "INSERT INTO positions (id, department_id, title, created_at) VALUES ($1, $2, $1, $3)",
            &[T(pos), T(dept), I(created)],
        )
        .await;
        t.exec(
            "INSERT INTO staff_positions (user_id, position_id, assigned_at) VALUES ($1, $2, $3)",
            &[T(user), T(pos), I(created)],
        )
        .await;
    }
    let (d1, d2, d3) = (1, 2, 3);
    ticket(
        t,
        Ticket {
            id: "T1",
            dept: "dA1",
            channel: "phone",
            ticket_type: "consultation",
            owner: &u1,
            created: ms(d1, 10, 0),
            first_due: Some(ms(d1, 11, 0)),
            first_at: Some(ms(d1, 10, 30)),
            resolution_due: Some(ms(d2, 9, 0)),
            resolved: Some(ms(d2, 10, 0)),
            overdue_count: 0,
        },
    )
    .await;
    ticket(
        t,
        Ticket {
            id: "T2",
            dept: "dA",
            channel: "chat",
            ticket_type: "complaint",
            owner: &u1,
            created: ms(d2, 9, 0),
            first_due: Some(ms(d2, 12, 0)),
            first_at: Some(ms(d3, 9, 0)),
            resolution_due: None,
            resolved: None,
            overdue_count: 1,
        },
    )
    .await;
    ticket(
        t,
        Ticket {
            id: "T3",
            dept: "dB",
            channel: "phone",
            ticket_type: "consultation",
            owner: &u2,
            created: ms(d2, 15, 0),
            first_due: None,
            first_at: None,
            resolution_due: None,
            resolved: Some(ms(d2, 16, 0)),
            overdue_count: 0,
        },
    )
    .await;
    // Opened before the week, resolved in it, on time.
    ticket(
        t,
        Ticket {
            id: "T4",
            dept: "dA1",
            channel: "email",
            ticket_type: "inquiry",
            owner: &u1,
            created: ms(0, 15, 0),
            first_due: None,
            first_at: None,
            resolution_due: Some(ms(5, 18, 0)),
            resolved: Some(ms(d1, 9, 0)),
            overdue_count: 0,
        },
    )
    .await;
    event(
        t,
        "E1",
        "T1",
        "status",
        r#"{"from":"resolved","to":"in_progress"}"#,
        ms(d3, 10, 0),
    )
    .await;
    event(
        t,
        "E2",
        "T1",
        "status",
        r#"{"from":"new","to":"assigned"}"#,
        ms(d1, 10, 5),
    )
    .await;
    event(
        t,
        "E3",
        "T2",
        "reply",
        r#"{"first_response":true,"promise_kept":1}"#,
        ms(d3, 9, 0),
    )
    .await;
    event(
        t,
        "E4",
        "T1",
        "reply",
        r#"{"first_response":true,"promise_kept":null}"#,
        ms(d1, 10, 30),
    )
    .await;
    event(t, "E5", "T2", "overdue", "{}", ms(d2, 18, 0)).await;
    event(t, "E6", "T2", "overdue_notice", "{}", ms(d2, 19, 0)).await;
    event(t, "E7", "T3", "overdue", "{}", ms(d2, 17, 0)).await;
    call(t, "C1", Some(&u1), ms(d1, 10, 0), true, true).await;
    call(t, "C2", Some(&u1), ms(d1, 11, 0), true, false).await;
    call(t, "C3", Some(&u2), ms(d2, 10, 0), true, true).await;
    call(t, "C4", None, ms(d2, 10, 0), false, false).await;
    t.exec("INSERT INTO complaint_causes (id, name, created_at, updated_at) VALUES ('cX', '报表测试原因', $1, $1)", &[I(created)])
    .await;
    t.exec(
        "INSERT INTO complaints (ticket_id, cause, desired_outcome, severity, recorder_id, \
         cause_id, department_id, stage, round, created_at, updated_at) \
         VALUES ('T2', '态度差', '道歉', 'major', $1, 'cX', 'dB', 'handling', 1, $2, $2)",
        &[T(&u1), I(ms(d2, 9, 5))],
    )
    .await;
    for (id, status, due) in [
        ("CB1", "open", ms(d2, 10, 0)),
        ("CB2", "cancelled", ms(d2, 11, 0)),
        ("CB3", "open", ms(10, 10, 0)),
    ] {
        t.exec(
            "INSERT INTO callback_tasks (id, kind, ticket_id, due_at, next_at, watch_from, \
             assignee_id, status, created_at, updated_at) \
             VALUES ($1, 'after_sale', 'T1', $2, $2, $2, $3, $4, $2, $2)",
            &[T(id), I(due), T(&u1), T(status)],
        )
        .await;
    }
    for (id, result, at) in [
        ("A1", "unreachable", ms(d2, 10, 0)),
        ("A2", "done", ms(d2, 14, 0)),
    ] {
        t.exec("INSERT INTO callback_attempts (id, task_id, result, by_id, at) VALUES ($1, 'CB1', $2, $3, $4)", &[T(id), T(result), T(&u1), I(at)])
        .await;
    }
    Fixture {
        a: "dA".into(),
        b: "dB".into(),
        u1,
        u2,
    }
}

pub(crate) fn week() -> ReportScope {
    ReportScope {
        from: ms(1, 0, 0),
        until: ms(8, 0, 0),
        day_offset: OFFSET_MS,
        ..ReportScope::default()
    }
}

/// The count of `metric` on each day with records, and in all.
async fn by_day(db: &Db, scope: &ReportScope, metric: Metric) -> (Vec<(i64, i64)>, i64) {
    let r = db
        .report_tallies(scope, Grouping::Period, &[metric])
        .await
        .unwrap();
    let t = &r[&metric];
    let days: Vec<(i64, i64)> = t.by_day.iter().map(|(d, t)| (*d, t.n)).collect();
    let total = days.iter().map(|(_, n)| n).sum();
    (days, total)
}

async fn total(db: &Db, scope: &ReportScope, metric: Metric) -> Tally {
    let r = db
        .report_tallies(scope, Grouping::Period, &[metric])
        .await
        .unwrap();
    let mut out = Tally::default();
    if let Some(t) = r.get(&metric) {
        for x in t.by_day.values() {
            out.add(x);
        }
        for spans in t.spans_by_day.values() {
            out.n += spans.len() as i64;
        }
    }
    out
}

pub async fn counts_follow_the_fixture(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let f = fixture(&t).await;
    let db = &t.db;
    let w = week();
    use Metric::*;
    assert_eq!(
        by_day(db, &w, TicketsOpened).await,
        (vec![(day(1), 1), (day(2), 2)], 3)
    );
    assert_eq!(by_day(db, &w, TicketsOverdue).await, (vec![(day(2), 1)], 1));
    assert_eq!(
        by_day(db, &w, TicketsResolved).await,
        (vec![(day(1), 1), (day(2), 2)], 3)
    );
    assert_eq!(
        by_day(db, &w, TicketsReopened).await,
        (vec![(day(3), 1)], 1)
    );
    assert_eq!(by_day(db, &w, PromisesKept).await, (vec![(day(3), 1)], 1));
    assert_eq!(
        by_day(db, &w, PromisesRenewed).await,
        (vec![(day(2), 1)], 1)
    );
    assert_eq!(by_day(db, &w, PromisesBroken).await, (vec![(day(2), 2)], 2));
    assert_eq!(
        by_day(db, &w, CallsOffered).await,
        (vec![(day(1), 2), (day(2), 1)], 3)
    );
    assert_eq!(
        by_day(db, &w, CallsAnswered).await,
        (vec![(day(1), 1), (day(2), 1)], 2)
    );
    assert_eq!(by_day(db, &w, Complaints).await, (vec![(day(2), 1)], 1));
    assert_eq!(
        by_day(db, &w, CallbacksPlanned).await,
        (vec![(day(2), 1)], 1)
    );
    assert_eq!(by_day(db, &w, CallbacksDone).await.1, 1);
    assert_eq!(by_day(db, &w, CallbacksReached).await.1, 1);
    assert_eq!(by_day(db, &w, CallbacksUnreachable).await.1, 1);
    // Rates: of the resolutions with a deadline (T1 late, T4 on time), one on time; of the
    // first responses with one (T1 on time, T2 late), one.
    let sla = total(db, &w, SlaResolution).await;
    assert_eq!((sla.n, sla.hits), (2, 1));
    let sla = total(db, &w, SlaFirstResponse).await;
    assert_eq!((sla.n, sla.hits), (2, 1));
    // Times come back as the moments they are counted between.
    let r = db
        .report_tallies(&w, Grouping::Period, &[FirstResponseMedian])
        .await
        .unwrap();
    let spans: Vec<(i64, i64)> = r[&FirstResponseMedian]
        .spans_by_day
        .values()
        .flatten()
        .copied()
        .collect();
    assert_eq!(
        spans,
        vec![(ms(1, 10, 0), ms(1, 10, 30)), (ms(2, 9, 0), ms(3, 9, 0))]
    );

    // A department takes in its groups; calls follow the agents' positions; a complaint
    // belongs to the department responsible for it.
    let in_a = ReportScope {
        departments: Some(vec![f.a.clone(), "dA1".into()]),
        ..week()
    };
    assert_eq!(by_day(db, &in_a, TicketsOpened).await.1, 2);
    assert_eq!(by_day(db, &in_a, CallsOffered).await.1, 2);
    assert_eq!(by_day(db, &in_a, Complaints).await.1, 0);
    assert_eq!(by_day(db, &in_a, PromisesBroken).await.1, 1);
    let in_b = ReportScope {
        departments: Some(vec![f.b.clone()]),
        ..week()
    };
    assert_eq!(by_day(db, &in_b, Complaints).await.1, 1);
    assert_eq!(by_day(db, &in_b, CallsAnswered).await.1, 1);
    let of_u2 = ReportScope {
        agent: Some(f.u2.clone()),
        ..week()
    };
    assert_eq!(by_day(db, &of_u2, TicketsOpened).await.1, 1);
    assert_eq!(by_day(db, &of_u2, CallsOffered).await.1, 1);
    let phone = ReportScope {
        channel: Some("phone".into()),
        ..week()
    };
    assert_eq!(by_day(db, &phone, TicketsOpened).await.1, 2);
    assert_eq!(by_day(db, &phone, CallsOffered).await.1, 3);
    assert!(!applies(CallbacksPlanned, &phone, Grouping::Period));
    let complaint = ReportScope {
        ticket_type: Some("complaint".into()),
        ..week()
    };
    assert_eq!(by_day(db, &complaint, TicketsOpened).await.1, 1);
    assert_eq!(by_day(db, &complaint, CallsOffered).await.1, 0);

    // By agent and by cause.
    let r = db
        .report_tallies(&w, Grouping::Agent, &[TicketsOpened, CallsOffered])
        .await
        .unwrap();
    let opened: Vec<(String, i64)> = r[&TicketsOpened]
        .by_key
        .iter()
        .map(|(k, t)| (k.clone(), t.n))
        .collect();
    let mut expected = vec![(f.u1.clone(), 2), (f.u2.clone(), 1)];
    expected.sort();
    assert_eq!(opened, expected);
    assert!(
        !r[&CallsOffered].by_key.contains_key(""),
        "C4 never reached a queue"
    );
    let r = db
        .report_tallies(&w, Grouping::Cause, &[Complaints, TicketsOpened])
        .await
        .unwrap();
    assert_eq!(r[&Complaints].by_key["cX"].n, 1);
    assert!(
        !r.contains_key(&TicketsOpened),
        "tickets have no complaint cause"
    );

    // Drill-down: the records of 12-02's opened tickets, oldest first.
    let d2 = ReportScope {
        from: ms(2, 0, 0),
        until: ms(3, 0, 0),
        ..week()
    };
    let cell = CellRef {
        metric: TicketsOpened,
        grouping: Grouping::Period,
        key: None,
    };
    let (rows, n) = db.report_drill(&d2, &cell, 10, 0).await.unwrap();
    assert_eq!(n, 2);
    let ids: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.kind.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(ids, vec![("ticket", "T2"), ("ticket", "T3")]);
    assert_eq!(rows[0].label, "N-T2 工单 T2");
    let (page, n) = db.report_drill(&d2, &cell, 1, 1).await.unwrap();
    assert_eq!((page.len(), n, page[0].id.as_str()), (1, 2, "T3"));
    let rate = CellRef {
        metric: SlaResolution,
        grouping: Grouping::Period,
        key: None,
    };
    let (rows, _) = db.report_drill(&w, &rate, 10, 0).await.unwrap();
    let flags: Vec<(&str, Option<i64>)> = rows.iter().map(|r| (r.id.as_str(), r.value)).collect();
    assert_eq!(flags, vec![("T4", Some(1)), ("T1", Some(0))]);

    every_cell_drills_to_its_count(db, &f).await;
    t.cleanup().await;
}

/// For every metric, grouping and filter of the fixture: each group's count equals the
/// length of its drill-down list.
async fn every_cell_drills_to_its_count(db: &Db, f: &Fixture) {
    let scopes = [
        week(),
        ReportScope {
            departments: Some(vec![f.a.clone(), "dA1".into()]),
            ..week()
        },
        ReportScope {
            agent: Some(f.u1.clone()),
            ..week()
        },
        ReportScope {
            channel: Some("phone".into()),
            ..week()
        },
    ];
    for scope in &scopes {
        for grouping in Grouping::ALL {
            let r = db
                .report_tallies(scope, *grouping, Metric::ALL)
                .await
                .unwrap();
            for (metric, t) in &r {
                let mut cells: Vec<(Option<String>, Option<i64>, i64)> = Vec::new();
                for (k, x) in &t.by_key {
                    cells.push((Some(k.clone()), None, x.n));
                }
                for (k, s) in &t.spans_by_key {
                    cells.push((Some(k.clone()), None, s.len() as i64));
                }
                for (d, x) in &t.by_day {
                    cells.push((None, Some(*d), x.n));
                }
                for (d, s) in &t.spans_by_day {
                    cells.push((None, Some(*d), s.len() as i64));
                }
                for (key, d, n) in cells {
                    let mut s = scope.clone();
                    if let Some(d) = d {
                        s.from = d * 86_400_000 - OFFSET_MS;
                        s.until = s.from + 86_400_000;
                    }
                    let cell = CellRef {
                        metric: *metric,
                        grouping: *grouping,
                        key,
                    };
                    let (rows, total) = db.report_drill(&s, &cell, 500, 0).await.unwrap();
                    assert_eq!(
                        (total, rows.len() as i64),
                        (n, n),
                        "{metric:?} by {grouping:?} {cell:?}"
                    );
                }
            }
        }
    }
}
