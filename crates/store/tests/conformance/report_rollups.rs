//! Daily report rollups on the reports' hand-made week: with every day of it rolled up,
//! every tally of every metric, grouping and filter is what the records say; the reports
//! do read the rollups; a change to a rolled-up day shows at once and is rolled up again;
//! a second server leaves them alone; a new calendar empties them.

use crate::reports::{day, event, fixture, ms, week, Fixture, I, T};
use chrono::FixedOffset;
use kefu_domain::calendar::BusinessCalendar;
use kefu_domain::report::{Grouping, Metric, Tally};
use kefu_domain::sla::SlaCalendar;
use kefu_store::reports::{calendar_fingerprint, ReportScope, RollupProgress, RollupRun};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeMap;
use std::time::Duration;

/// A cell: (metric, grouping, scope, day, key) → (n, hits, sum, promoters, detractors,
/// working seconds sorted).
type Cells =
    BTreeMap<(String, String, usize, Option<i64>, String), (i64, i64, i64, i64, i64, Vec<i64>)>;

fn scopes(f: &Fixture, calendar: &str) -> Vec<ReportScope> {
    let w = ReportScope {
        calendar: Some(calendar.to_string()),
        ..week()
    };
    vec![
        w.clone(),
        ReportScope {
            departments: Some(vec![f.a.clone(), "dA1".into()]),
            ..w.clone()
        },
        ReportScope {
            agent: Some(f.u1.clone()),
            ..w.clone()
        },
        ReportScope {
            channel: Some("phone".into()),
            ..w.clone()
        },
        ReportScope {
            ticket_type: Some("complaint".into()),
            ..w.clone()
        },
        // Two filters: always the records.
        ReportScope {
            agent: Some(f.u1.clone()),
            channel: Some("email".into()),
            ..w.clone()
        },
        // Half days at both ends: the whole days between may be rolled up.
        ReportScope {
            from: ms(1, 12, 0),
            until: ms(3, 12, 0),
            ..w
        },
    ]
}

/// Every tally of every metric and grouping under each scope, working times counted.
async fn snapshot(
    db: &Db,
    cal: &BusinessCalendar,
    scopes: &[ReportScope],
    records_only: bool,
) -> Cells {
    let mut cells = Cells::new();
    for (i, scope) in scopes.iter().enumerate() {
        let scope = ReportScope {
            records_only,
            ..scope.clone()
        };
        for grouping in Grouping::ALL {
            let r = db
                .report_tallies(&scope, *grouping, Metric::ALL)
                .await
                .unwrap();
            for (metric, t) in r {
                let mut put = |day: Option<i64>, key: &str, x: &Tally, spans: &[(i64, i64)]| {
                    let cell = cells
                        .entry((
                            metric.code().into(),
                            grouping.code().into(),
                            i,
                            day,
                            key.into(),
                        ))
                        .or_default();
                    cell.0 += x.n + spans.len() as i64;
                    cell.1 += x.hits;
                    cell.2 += x.sum;
                    cell.3 += x.promoters;
                    cell.4 += x.detractors;
                    cell.5.extend_from_slice(&x.seconds);
                    cell.5.extend(spans.iter().map(|&(a, b)| {
                        cal.working_between(kefu_store::from_millis(a), kefu_store::from_millis(b))
                            .num_seconds()
                    }));
                    cell.5.sort_unstable();
                };
                for (d, x) in &t.by_day {
                    put(Some(*d), "", x, &[]);
                }
                for (d, s) in &t.spans_by_day {
                    put(Some(*d), "", &Tally::default(), s);
                }
                for (k, x) in &t.by_key {
                    put(None, k, x, &[]);
                }
                for (k, s) in &t.spans_by_key {
                    put(None, k, &Tally::default(), s);
                }
            }
        }
    }
    cells
}

async fn refresh(db: &Db, cal: &BusinessCalendar, owner: &str) -> RollupProgress {
    db.refresh_report_rollups(&RollupRun {
        wall_ms: chrono::Utc::now().timestamp_millis(),
        first_day: day(1) - 3,
        today: day(12),
        day_offset: OFFSET_MS,
        calendar: cal,
        owner,
        budget: Duration::from_secs(120),
    })
    .await
    .unwrap()
}

const OFFSET_MS: i64 = crate::reports::OFFSET_MS;

pub async fn rollups_agree_with_the_records(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let f = fixture(&t).await;
    let db = &t.db;
    let offset = FixedOffset::east_opt(8 * 3600).unwrap();
    let cal = db
        .business_calendar(SlaCalendar::Working, offset)
        .await
        .unwrap();
    let fp = calendar_fingerprint(&cal);
    let scopes = scopes(&f, &fp);
    let expected = snapshot(db, &cal, &scopes, true).await;
    assert!(expected.len() > 100, "the fixture fills many cells");
    // Nothing rolled up yet: the records.
    assert_eq!(snapshot(db, &cal, &scopes, false).await, expected);

    // 2026-11-28 to 12-11 rolled up (12-12 is "today").
    let p = refresh(db, &cal, "A").await;
    assert_eq!(
        p,
        RollupProgress {
            days_rolled: 14,
            ..RollupProgress::default()
        }
    );
    let s = db.report_rollup_status().await.unwrap();
    assert_eq!(
        (s.days, s.first_day, s.last_day, s.notes),
        (14, Some(day(1) - 3), Some(day(11)), 0)
    );
    assert_eq!(snapshot(db, &cal, &scopes, false).await, expected);

    // The reports read the rollups: one changed behind the store's back shows.
    let rigged = "UPDATE report_rollups SET n = n + $1 \
                  WHERE metric = 'tickets_opened' AND dim = 'all' AND day = $2";
    t.exec(rigged, &[I(100), I(day(2))]).await;
    let opened = db
        .report_tallies(&scopes[0], Grouping::Period, &[Metric::TicketsOpened])
        .await
        .unwrap();
    assert_eq!(opened[&Metric::TicketsOpened].by_day[&day(2)].n, 102);
    t.exec(rigged, &[I(-100), I(day(2))]).await;

    // Nothing changed: nothing to count.
    assert_eq!(refresh(db, &cal, "A").await.days_rolled, 0);

    // A ticket moved to another agent and department, an event added, a call deleted, all
    // on rolled-up days: the reports show them at once, from the records of those days.
    t.exec(
        "UPDATE tickets SET assignee_id = $1, department_id = 'dB' WHERE id = 'T1'",
        &[T(&f.u2)],
    )
    .await;
    event(&t, "E9", "T3", "overdue", "{}", ms(3, 11, 0)).await;
    t.exec("DELETE FROM calls WHERE id = 'C2'", &[]).await;
    let changed = snapshot(db, &cal, &scopes, true).await;
    assert_ne!(changed, expected);
    assert_eq!(snapshot(db, &cal, &scopes, false).await, changed);
    assert!(db.report_rollup_status().await.unwrap().notes > 0);

    // A second server does not touch them while the first holds the lease.
    let p = refresh(db, &cal, "B").await;
    assert!(p.elsewhere && p.days_rolled == 0, "{p:?}");

    // Counted again: only the changed days, and the notes are gone.
    let p = refresh(db, &cal, "A").await;
    assert!((2..=5).contains(&p.days_rolled), "{p:?}");
    assert_eq!(db.report_rollup_status().await.unwrap().notes, 0);
    assert_eq!(snapshot(db, &cal, &scopes, false).await, changed);

    // Another calendar empties them; rolled up again, the working times of a report
    // counted on the old calendar come from the records.
    let always = || {
        vec![kefu_domain::calendar::Span {
            start: 0,
            end: 1440,
        }]
    };
    let other = BusinessCalendar::new(offset, std::array::from_fn(|_| always())).unwrap();
    let p = refresh(db, &other, "A").await;
    assert!(p.reset && p.days_rolled == 14, "{p:?}");
    assert_eq!(snapshot(db, &cal, &scopes, false).await, changed);
    t.cleanup().await;
}
