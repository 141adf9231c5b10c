//! Performance evaluation in the store: the scheme, rules and rates round-trip; commissions
//! page newest first; a month's figures on a hand-made November (workload and SLA from the
//! reports engine, complaints and violations as recorded, attendance from published shifts
//! with leave and on-call shifts left out); a kept month is kept once and replaced only on
//! recompute.

use crate::common::{actor_for, create_user, system, t0};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::performance::{evaluate, handbook_rules, Agent, Ratio, Scheme};
use kefu_store::org::{DepartmentInput, PositionInput};
use kefu_store::performance::figures::MonthRange;
use kefu_store::performance::{Kept, NewCommission, StoredScheme};
use kefu_store::schedule::{NewRoster, NewShift};
use kefu_test_support::Bind::{I, T};
use kefu_test_support::{center_time, TestBackend, TestDb};

/// 2026-11-dd hh:00 in the center's time (+08:00).
fn nov(day: u32, h: u32) -> DateTime<Utc> {
    center_time(2026, 11, day, h, 0)
}

fn ms(day: u32, h: u32) -> i64 {
    nov(day, h).timestamp_millis()
}

fn november(now: i64) -> MonthRange {
    MonthRange {
        from: ms(1, 0),
        until: center_time(2026, 12, 1, 0, 0).timestamp_millis(),
        from_day: "2026-11-01".into(),
        until_day: "2026-12-01".into(),
        day_offset: 8 * 3600 * 1000,
        month: "2026-11".into(),
        now,
    }
}

async fn department(t: &TestDb) -> String {
    t.db.create_department(
        &system(),
        t0(),
        &DepartmentInput {
            parent_id: None,
            name: "业务受理组".into(),
            description: None,
            sort_order: 0,
        },
    )
    .await
    .unwrap()
}

async fn position(t: &TestDb, dept: &str, title: &str) -> String {
    t.db.create_position(
        &system(),
        t0(),
        &PositionInput {
            department_id: dept.into(),
            title: title.into(),
            duties: Vec::new(),
            qualifications: Default::default(),
            headcount_limit: None,
            headcount_ratio: None,
            permissions: Vec::new(),
            excluded_with: Vec::new(),
        },
    )
    .await
    .unwrap()
}

pub async fn settings_rates_and_commissions_round_trip(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let dept = department(&t).await;
    let agent_pos = position(&t, &dept, "客服专员").await;
    let assistant = position(&t, &dept, "总经理助理").await;
    let manager = create_user(db, "perf_manager").await;
    let me = actor_for(&manager, "经理");

    let fresh = db.get_performance_scheme().await.unwrap();
    assert_eq!(fresh.scheme.scheme, Scheme::default());
    assert!(fresh.updated_at.is_none());
    let mut scheme = StoredScheme {
        scheme: Scheme::default(),
        positions: vec![agent_pos.clone()],
    };
    scheme.scheme.weights.qa = 30;
    scheme.scheme.weights.csat = 10;
    db.save_performance_scheme(&me, t0(), &scheme)
        .await
        .unwrap();
    let got = db.get_performance_scheme().await.unwrap();
    assert_eq!(got.scheme, scheme);
    assert_eq!(got.updated_by.as_deref(), Some("perf_manager 坐席"));

    db.replace_performance_rules(&me, t0(), &handbook_rules())
        .await
        .unwrap();
    assert_eq!(db.list_performance_rules().await.unwrap(), handbook_rules());
    db.replace_performance_rules(&me, t0(), &handbook_rules()[1..])
        .await
        .unwrap();
    assert_eq!(db.list_performance_rules().await.unwrap().len(), 1);

    db.set_commission_rates(
        &me,
        t0(),
        &[
            (agent_pos.clone(), Some(100)),
            (assistant.clone(), Some(200)),
        ],
    )
    .await
    .unwrap();
    db.set_commission_rates(&me, t0(), &[(assistant.clone(), None)])
        .await
        .unwrap();
    let mut rates: Vec<(String, Option<i64>)> = db
        .list_commission_rates()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.position_title, r.rate_bp))
        .collect();
    rates.sort();
    assert_eq!(
        rates,
        vec![("客服专员".into(), Some(100)), ("总经理助理".into(), None)]
    );

    let agent = create_user(db, "perf_agent").await;
    for i in 0..3 {
        db.create_commission(
            &me,
            t0() + Duration::minutes(i),
            &NewCommission {
                contract_no: format!("HT-{i}"),
                deal_name: "展会".into(),
                agent_id: agent.clone(),
                position_id: agent_pos.clone(),
                contract_cents: 100_000_000,
                rent_cents: 60_000_000,
                tax_cents: 10_000_000,
                rate_bp: 100,
                commission_cents: 650_000,
            },
        )
        .await
        .unwrap();
    }
    let first = db.list_commissions(None, 2, None).await.unwrap();
    let numbers: Vec<&str> = first.items.iter().map(|c| c.contract_no.as_str()).collect();
    assert_eq!(numbers, vec!["HT-2", "HT-1"], "newest first");
    let rest = db
        .list_commissions(Some(&agent), 2, first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].contract_no, "HT-0");
    assert!(rest.next_cursor.is_none());
    assert_eq!(rest.items[0].agent_name, "perf_agent 坐席");
    assert!(db
        .list_commissions(Some(&manager), 10, None)
        .await
        .unwrap()
        .items
        .is_empty());
    t.cleanup().await;
}

pub async fn figures_follow_the_month(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let dept = department(&t).await;
    let u1 = create_user(db, "perf_u1").await;
    let u2 = create_user(db, "perf_u2").await;
    let me = actor_for(&u1, "u1");
    // u1 resolves two tickets: T1 in time (and first answered in time), T2 late.
    for (id, first_due, first_at, due, resolved) in [
        ("T1", Some(ms(2, 12)), Some(ms(2, 10)), ms(4, 0), ms(3, 10)),
        ("T2", None, None, ms(4, 0), ms(5, 10)),
    ] {
        let mut conn_sql = String::from(
            "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
             subject, department_id, first_owner_id, assignee_id, first_response_due, \
             first_responded_at, resolution_due, resolved_at, overdue_count, created_at, \
             updated_at) VALUES ($1, $2, 'consultation', 'phone', 'normal', 'resolved', 0, \
             '咨询', $3, $4, $4, ",
        );
        conn_sql.push_str(&match (first_due, first_at) {
            (Some(d), Some(a)) => format!("{d}, {a}, "),
            _ => "NULL, NULL, ".into(),
        });
        conn_sql.push_str("$5, $6, 0, $7, $7)");
        t.exec(
            &conn_sql,
            &[
                T(id),
                T(&format!("N-{id}")),
                T(&dept),
                T(&u1),
                I(due),
                I(resolved),
                I(ms(2, 9)),
            ],
        )
        .await;
    }
    // u1 works during the shift of the 3rd (a ticket event), not during that of the 6th.
    t.exec("INSERT INTO ticket_events (id, ticket_id, at, actor_id, kind) VALUES ('E1', 'T1', $2, $1, 'note')", &[T(&u1), I(ms(3, 10))])
    .await;
    // u2 answers a call on the 10th, during their shift.
    t.exec(
        "INSERT INTO calls (id, external_id, state, agent_id, offered_at, answered_at, \
         started_at, updated_at) VALUES ('C1', 'C1', 'ended', $1, $2, $3, $2, $2)",
        &[T(&u2), I(ms(10, 10)), I(ms(10, 10) + 5_000)],
    )
    .await;
    // u1 is on approved leave on the 9th.
    t.exec("INSERT INTO leave_requests (id, staff_id, kind, start_date, end_date, reason, status, \
         created_at) VALUES ('L1', $1, 'annual', '2026-11-09', '2026-11-09', '年假', 'approved', $2)", &[T(&u1), I(ms(1, 9))])
    .await;
    let shift = |staff: &str, day: u32, on_call: bool| NewShift {
        staff_id: staff.into(),
        day: format!("2026-11-{day:02}"),
        template_code: "a".into(),
        queue: "咨询".into(),
        starts_at: nov(day, 9),
        ends_at: nov(day, 17),
        on_call,
        locked: false,
    };
    let roster = NewRoster {
        name: "11月".into(),
        start_date: "2026-11-01".into(),
        end_date: "2026-11-30".into(),
        days: 30,
        problem: "{}".into(),
        report: "{}".into(),
        staff: vec![u1.clone(), u2.clone()],
        shifts: vec![
            shift(&u1, 3, false),
            shift(&u1, 6, false),
            shift(&u1, 9, false),
            shift(&u1, 12, true),
            shift(&u2, 10, false),
            // Not over yet at `now` (the 20th).
            shift(&u2, 25, false),
        ],
    };
    let id = db.create_roster(&system(), t0(), &roster).await.unwrap();
    db.publish_roster(&system(), t0(), &id).await.unwrap();
    // A draft's shift does not count.
    let draft = NewRoster {
        name: "草稿".into(),
        shifts: vec![shift(&u2, 11, false)],
        ..roster
    };
    db.create_roster(&system(), t0(), &draft).await.unwrap();
    for (agent, kind, month) in [
        (&u2, "complaint", "2026-11"),
        (&u1, "violation", "2026-11"),
        (&u1, "violation", "2026-10"),
    ] {
        db.create_performance_incident(&me, t0(), agent, month, kind, "")
            .await
            .unwrap();
    }

    let figures = db.performance_figures(&november(ms(20, 0))).await.unwrap();
    let f1 = &figures[&u1];
    assert_eq!(f1.workload, 2, "two tickets resolved");
    assert_eq!(
        f1.sla,
        Ratio { part: 2, n: 3 },
        "first response met, one of two resolutions"
    );
    assert_eq!((f1.complaints, f1.violations), (0, 1));
    assert_eq!(
        f1.shifts,
        Ratio { part: 1, n: 2 },
        "leave and on-call left out"
    );
    assert_eq!(f1.csat, Ratio::default());
    let f2 = &figures[&u2];
    assert_eq!(f2.workload, 1, "one call answered");
    assert_eq!(f2.sla, Ratio::default());
    assert_eq!((f2.complaints, f2.violations), (1, 0));
    assert_eq!(f2.shifts, Ratio { part: 1, n: 1 });
    // Later, the 25th's shift is over and was not worked.
    let later = db.performance_figures(&november(ms(30, 23))).await.unwrap();
    assert_eq!(later[&u2].shifts, Ratio { part: 1, n: 2 });

    // Everyone holding a named position, or (none named) everyone holding any.
    let dept_pos = position(&t, &dept, "客服专员").await;
    db.assign_position(&system(), t0(), &u1, &dept_pos)
        .await
        .unwrap();
    let named = db
        .performance_agents(std::slice::from_ref(&dept_pos))
        .await
        .unwrap();
    assert_eq!(named, vec![(u1.clone(), "perf_u1 坐席".to_string())]);

    // Kept once; a second keep leaves it; a recompute replaces it.
    let scheme = StoredScheme {
        scheme: Scheme::default(),
        positions: vec![],
    };
    let agents = |f: &std::collections::HashMap<String, kefu_domain::performance::Figures>| {
        vec![
            Agent {
                id: u1.clone(),
                name: "u1".into(),
                figures: f[&u1].clone(),
            },
            Agent {
                id: u2.clone(),
                name: "u2".into(),
                figures: f[&u2].clone(),
            },
        ]
    };
    let results = evaluate(&scheme.scheme, &handbook_rules(), agents(&figures));
    let kept = db
        .keep_performance_month(
            &me,
            t0(),
            "2026-11",
            &scheme,
            &handbook_rules(),
            &results,
            false,
        )
        .await
        .unwrap();
    assert_eq!(kept, Kept::Stored);
    let again = db
        .keep_performance_month(&me, t0(), "2026-11", &scheme, &[], &[], false)
        .await
        .unwrap();
    assert_eq!(again, Kept::AlreadyStored);
    let stored = db.get_performance_month("2026-11").await.unwrap().unwrap();
    assert_eq!(stored.results, results);
    assert_eq!(stored.rules, handbook_rules());
    let replaced = evaluate(&scheme.scheme, &[], agents(&later));
    db.keep_performance_month(&me, t0(), "2026-11", &scheme, &[], &replaced, true)
        .await
        .unwrap();
    let stored = db.get_performance_month("2026-11").await.unwrap().unwrap();
    assert_eq!(stored.results, replaced);
    assert!(stored.rules.is_empty());
    assert!(db.get_performance_month("2026-10").await.unwrap().is_none());
    let incidents = db
        .list_performance_incidents("2026-11", Some(&u1))
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, "violation");
    t.cleanup().await;
}
