//! The checks the server runs on hand edits: each hard rule reported with its agent and day,
//! coverage with breaks and shifts past midnight, the score's parts, and clear errors for a
//! malformed instance. Also: locked shifts come back from the solver as they were.

use kefu_wfm::roster::{
    coverage, evaluate, handbook, solve_with_budget, violations, Assignment, Break, FixedShift,
    InstanceError, Roster, ShiftTemplate, SolveOptions, Unavailable, Violation, SPREAD_WEIGHT,
};
use std::time::Duration;

fn shift(template: usize) -> Option<Assignment> {
    Some(Assignment { template, queue: 0 })
}

#[test]
fn each_hard_rule_is_reported_where_it_is_broken() {
    let mut inst = handbook(1);
    inst.agents[0].leave_days = vec![2];
    inst.agents[1].unavailable = vec![Unavailable {
        day: 3,
        start_minute: 16 * 60,
        end_minute: 18 * 60,
    }];
    inst.agents[2].on_call = false;
    inst.agents[3].allowed_templates = vec![0];
    let mut roster = Roster::empty(4, 7);
    roster.shifts[0][2] = shift(0); // leave
    roster.shifts[1][3] = shift(1); // b 12–20 overlaps 16–18
    roster.shifts[2][0] = shift(2); // on call, not allowed to
    roster.shifts[3][1] = shift(1); // template not allowed
    roster.shifts[1][4] = shift(2); // c ends 22:00 …
    roster.shifts[1][5] = shift(0); // … a at 09:00 next day: 11 h, fine
    roster.shifts[1][6] = Some(Assignment {
        template: 0,
        queue: 1,
    }); // unknown queue
    let found = violations(&inst, &roster);
    let expected = [
        Violation::Leave { agent: 0, day: 2 },
        Violation::Unavailable { agent: 1, day: 3 },
        Violation::OnCall { agent: 2, day: 0 },
        Violation::TemplateNotAllowed { agent: 3, day: 1 },
        Violation::UnknownQueue { agent: 1, day: 6 },
    ];
    for v in expected {
        assert!(found.contains(&v), "{v:?} missing from {found:?}");
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");
}

#[test]
fn rest_consecutive_days_and_weekly_hours_are_checked_across_days() {
    let mut inst = handbook(2);
    inst.agents[0].min_rest_minutes = 12 * 60;
    inst.agents[1].max_consecutive_days = 3;
    let mut roster = Roster::empty(4, 14);
    roster.shifts[0][0] = shift(2); // c ends 22:00
    roster.shifts[0][1] = shift(0); // a 09:00: 11 h < 12 h
    for d in 0..4 {
        roster.shifts[1][d] = shift(0); // fourth day in a row
    }
    for d in 7..13 {
        roster.shifts[2][d] = shift(0); // 6 × 8 h = 48 h > 40 h
    }
    let found = violations(&inst, &roster);
    assert!(found.contains(&Violation::Rest { agent: 0, day: 1 }));
    assert!(found.contains(&Violation::Consecutive { agent: 1, day: 3 }));
    assert!(found.contains(&Violation::WeekHours { agent: 2, week: 1 }));
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn locked_cells_and_roster_shape_are_checked() {
    let mut inst = handbook(1);
    inst.agents[0].fixed = vec![FixedShift {
        day: 1,
        template: Some(1),
        queue: 0,
    }];
    let roster = Roster::empty(4, 7);
    assert_eq!(
        violations(&inst, &roster),
        vec![Violation::Fixed { agent: 0, day: 1 }]
    );
    let short = Roster::empty(3, 7);
    assert!(violations(&inst, &short).contains(&Violation::RosterShape { agent: 3 }));
}

#[test]
fn coverage_skips_breaks_and_carries_past_midnight() {
    let mut inst = handbook(2);
    inst.templates.push(ShiftTemplate {
        code: "n".into(),
        start_minute: 22 * 60,
        length_minutes: 4 * 60,
        breaks: vec![Break {
            offset_minutes: 60,
            minutes: 30,
        }],
        on_call: false,
    });
    let mut roster = Roster::empty(4, 14);
    roster.shifts[0][0] = shift(3);
    roster.shifts[1][13] = shift(3); // the last day: the part after midnight is dropped
    let cov = &coverage(&inst, &roster)[0];
    let on: Vec<usize> = (0..cov.len()).filter(|&s| cov[s] > 0).collect();
    assert_eq!(
        on,
        [
            44,
            45,
            47,
            48,
            49,
            50,
            51,
            13 * 48 + 44,
            13 * 48 + 45,
            13 * 48 + 47
        ]
    );
}

#[test]
fn the_score_counts_uncovered_excess_and_spread() {
    let inst = handbook(1);
    let mut roster = Roster::empty(4, 7);
    roster.shifts[0][0] = shift(0);
    roster.shifts[1][0] = shift(1);
    let s = evaluate(&inst, &roster);
    // Day 0: 09–20 covered with 12–17 twice; everything else of the week uncovered.
    assert_eq!(s.excess, 10);
    assert_eq!(s.uncovered, 7 * 30 - 22);
    // Hours: agents 0 and 1 worked 8 of 32, agents 2 and 3 nothing: 24+24+32+32 hours off.
    // Evenings: agent 1 has one, others none; weekends and on-call: none for anyone.
    assert_eq!(s.unfairness, (24 + 24 + 32 + 32) * 60 + SPREAD_WEIGHT);
}

#[test]
fn malformed_instances_are_refused_with_what_to_fix() {
    let mut bad = handbook(1);
    bad.interval_minutes = 20;
    assert_eq!(bad.validate(), Err(InstanceError::IntervalLength(20)));
    let mut bad = handbook(1);
    bad.demand[0].pop();
    assert!(matches!(
        bad.validate(),
        Err(InstanceError::DemandLength { queue: 0, .. })
    ));
    let mut bad = handbook(1);
    bad.agents[2].allowed_templates = vec![7];
    assert_eq!(
        bad.validate(),
        Err(InstanceError::TemplateIndex {
            agent: 2,
            template: 7
        })
    );
    let mut bad = handbook(1);
    bad.agents[1].queues = vec![0, 3];
    assert_eq!(
        bad.validate(),
        Err(InstanceError::QueueIndex { agent: 1, queue: 3 })
    );
    let mut bad = handbook(1);
    bad.templates[0].start_minute = 9 * 60 + 10;
    assert_eq!(
        bad.validate(),
        Err(InstanceError::TemplateAlignment { template: 0 })
    );
    let mut bad = handbook(1);
    bad.agents[0].leave_days = vec![4];
    bad.agents[0].fixed = vec![FixedShift {
        day: 4,
        template: Some(0),
        queue: 0,
    }];
    let err = bad.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "agent 0: the locked shift on day 4 breaks a hard rule (leave)"
    );
}

#[test]
fn locked_shifts_are_kept() {
    let mut inst = handbook(3);
    // Agent 0 works c every Monday and is off every Sunday; agent 3 works b on day 10.
    for w in 0..3 {
        inst.agents[0].fixed.push(FixedShift {
            day: w * 7,
            template: Some(2),
            queue: 0,
        });
        inst.agents[0].fixed.push(FixedShift {
            day: w * 7 + 6,
            template: None,
            queue: 0,
        });
    }
    inst.agents[3].fixed.push(FixedShift {
        day: 10,
        template: Some(1),
        queue: 0,
    });
    let opts = SolveOptions {
        seed: 11,
        time_limit: Duration::from_secs(60),
        threads: 1,
    };
    let sol = solve_with_budget(&inst, &opts, 500_000).unwrap();
    assert!(violations(&inst, &sol.roster).is_empty());
    for w in 0..3 {
        assert_eq!(sol.roster.shifts[0][w * 7], shift(2));
        assert_eq!(sol.roster.shifts[0][w * 7 + 6], None);
    }
    assert_eq!(sol.roster.shifts[3][10], shift(1));
    assert_eq!(sol.score.uncovered, sol.lower_bound_uncovered);
}
