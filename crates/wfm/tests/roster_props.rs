//! Property tests of the solver on random instances: every roster it returns keeps the hard
//! rules (no agent double-booked, rest, leave and unavailability respected, locked cells kept),
//! covers at least as much as a plain greedy roster, is the same for the same seed, and is no
//! worse with more threads. Small instances are searched under the whole score from the start;
//! large ones (over 1,000 agent-days, short of people) go through the search's first stage,
//! where only uncovered demand counts, too.

use kefu_wfm::roster::{
    evaluate, solve_with_budget, violations, Agent, Assignment, Fairness, FixedShift, Instance,
    Roster, ShiftTemplate, Solution, SolveOptions, Unavailable,
};
use proptest::prelude::*;
use std::time::Duration;

const IPD: usize = 24;

fn template(code: &str, start_h: u32, hours: u32, on_call: bool) -> ShiftTemplate {
    ShiftTemplate {
        code: code.into(),
        start_minute: start_h * 60,
        length_minutes: hours * 60,
        breaks: vec![],
        on_call,
    }
}

/// Random instances: 1–2 queues, 3–8 agents, 1–2 weeks at hourly intervals, a shift that runs
/// past midnight, leave, unavailable periods and a locked cell or two.
fn instances() -> impl Strategy<Value = Instance> {
    instances_of(3..=8, 1..=2, 3)
}

/// Like [`instances`], with 75–90 agents over two weeks (over 1,000 agent-days) and up to
/// 59 agents wanted an hour, more than they can cover.
fn large_instances() -> impl Strategy<Value = Instance> {
    instances_of(75..=90, 2..=2, 60)
}

/// `peak` bounds the agents wanted in a queue in an hour (exclusive).
fn instances_of(
    agents: std::ops::RangeInclusive<usize>,
    weeks: std::ops::RangeInclusive<u32>,
    peak: u64,
) -> impl Strategy<Value = Instance> {
    (1usize..=2, agents, weeks, any::<u64>()).prop_map(move |(queues, n, weeks, seed)| {
        let mut next = seed | 1;
        let mut rnd = move |m: u64| {
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            next % m
        };
        let days = weeks * 7;
        let templates = vec![
            template("a", 9, 8, false),
            template("b", 12, 8, false),
            template("c", 20, 2, true),
            template("n", 22, 8, false),
            template("s", 8, 4, false),
        ];
        let agents = (0..n)
            .map(|i| {
                let skills: Vec<usize> = (0..queues).filter(|_| rnd(3) > 0).collect();
                let leave: Vec<u32> = (0..rnd(3)).map(|_| rnd(days as u64) as u32).collect();
                let unavailable = (0..rnd(3))
                    .map(|_| {
                        let start = rnd(20) as u32 * 60;
                        Unavailable {
                            day: rnd(days as u64) as u32,
                            start_minute: start,
                            end_minute: start + 120 + rnd(600) as u32,
                        }
                    })
                    .collect();
                Agent {
                    id: format!("p{i}"),
                    queues: if skills.is_empty() { vec![0] } else { skills },
                    contract_week_minutes: 24 * 60 + rnd(3) as u32 * 8 * 60,
                    max_week_minutes: 40 * 60,
                    max_consecutive_days: 3 + rnd(4) as u32,
                    min_rest_minutes: (8 + rnd(6) as u32) * 60,
                    on_site: rnd(8) > 0,
                    on_call: rnd(2) == 0,
                    allowed_templates: if rnd(3) == 0 { vec![0, 2, 4] } else { vec![] },
                    leave_days: leave,
                    unavailable,
                    fixed: vec![],
                }
            })
            .collect();
        let demand = (0..queues)
            .map(|_| {
                (0..days as usize * IPD)
                    .map(|s| if s % IPD >= 8 { rnd(peak) as u32 } else { 0 })
                    .collect()
            })
            .collect();
        let mut inst = Instance {
            days,
            interval_minutes: 60,
            queues: (0..queues).map(|q| format!("q{q}")).collect(),
            demand,
            templates,
            agents,
            special_days: (0..days).map(|d| d % 7 >= 5).collect(),
            fairness: Fairness {
                rotation_weeks: rnd(2) as u32,
                ..Fairness::default()
            },
        };
        lock_some_cells(&mut inst, &mut rnd);
        inst
    })
}

/// Locks a day off and, where the rules allow it alone, a shift.
fn lock_some_cells(inst: &mut Instance, rnd: &mut impl FnMut(u64) -> u64) {
    let a = rnd(inst.agents.len() as u64) as usize;
    let day = rnd(inst.days as u64) as u32;
    let queue = inst.agents[a].queues[0];
    inst.agents[a].fixed.push(FixedShift {
        day,
        template: None,
        queue,
    });
    let b = (a + 1) % inst.agents.len();
    let day = (day + 1) % inst.days;
    let queue = inst.agents[b].queues[0];
    inst.agents[b].fixed.push(FixedShift {
        day,
        template: Some(0),
        queue,
    });
    if inst.validate().is_err() {
        inst.agents[b].fixed.pop();
    }
}

/// The plain greedy: day by day, agent by agent, the shift that removes the most uncovered
/// demand while every rule still holds.
fn greedy(inst: &Instance) -> Roster {
    let mut roster = Roster::empty(inst.agents.len(), inst.days);
    for (a, agent) in inst.agents.iter().enumerate() {
        for f in &agent.fixed {
            roster.shifts[a][f.day as usize] = f.template.map(|template| Assignment {
                template,
                queue: f.queue,
            });
        }
    }
    let locked = |a: usize, d: usize| inst.agents[a].fixed.iter().any(|f| f.day as usize == d);
    for d in 0..inst.days as usize {
        for a in 0..inst.agents.len() {
            if locked(a, d) {
                continue;
            }
            let base = evaluate(inst, &roster).uncovered;
            let mut best = (base, None);
            for template in 0..inst.templates.len() {
                for &queue in &inst.agents[a].queues {
                    roster.shifts[a][d] = Some(Assignment { template, queue });
                    let u = evaluate(inst, &roster).uncovered;
                    if u < best.0 && violations(inst, &roster).is_empty() {
                        best = (u, roster.shifts[a][d]);
                    }
                }
            }
            roster.shifts[a][d] = best.1;
        }
    }
    roster
}

fn opts(seed: u64) -> SolveOptions {
    threaded(seed, 1)
}

fn threaded(seed: u64, threads: usize) -> SolveOptions {
    SolveOptions {
        seed,
        time_limit: Duration::from_secs(30),
        threads,
    }
}

/// Every property a solved roster must have: the hard rules, a score that matches the roster,
/// coverage at least the greedy roster's and a bound below it.
fn check_solved(inst: &Instance, sol: &Solution) -> Result<(), TestCaseError> {
    prop_assert_eq!(violations(inst, &sol.roster), vec![]);
    prop_assert_eq!(evaluate(inst, &sol.roster), sol.score);
    // Nobody double-booked: each shift ends before the agent's next one starts.
    for (a, row) in sol.roster.shifts.iter().enumerate() {
        let mut last_end = 0;
        for (d, cell) in row.iter().enumerate() {
            let Some(c) = cell else { continue };
            let t = &inst.templates[c.template];
            let start = d as u32 * 1440 + t.start_minute;
            prop_assert!(start >= last_end, "agent {} overlaps on day {}", a, d);
            let agent = &inst.agents[a];
            prop_assert!(start >= last_end + agent.min_rest_minutes || last_end == 0);
            prop_assert!(!agent.leave_days.contains(&(d as u32)));
            let end = start + t.length_minutes;
            for u in &agent.unavailable {
                let (us, ue) = (u.day * 1440 + u.start_minute, u.day * 1440 + u.end_minute);
                prop_assert!(end <= us || ue <= start, "agent {} unavailable", a);
            }
            last_end = end;
        }
        for f in &inst.agents[a].fixed {
            let kept = row[f.day as usize].map(|c| c.template) == f.template;
            prop_assert!(kept, "locked cell of agent {} day {} changed", a, f.day);
        }
    }
    let baseline = evaluate(inst, &greedy(inst));
    prop_assert!(
        sol.score.uncovered <= baseline.uncovered,
        "solver {:?} greedy {:?}",
        sol.score,
        baseline
    );
    prop_assert!(sol.lower_bound_uncovered <= sol.score.uncovered);
    let uncoverable: u64 = sol.uncoverable.iter().map(|g| g.missing as u64).sum();
    prop_assert!(uncoverable <= sol.lower_bound_uncovered);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn solved_rosters_keep_every_rule_and_beat_the_greedy(inst in instances(), seed in 0u64..4) {
        prop_assume!(inst.validate().is_ok());
        let sol = solve_with_budget(&inst, &opts(seed), 60_000).unwrap();
        check_solved(&inst, &sol)?;
    }

    #[test]
    fn the_same_seed_gives_the_same_roster(inst in instances(), seed in any::<u64>()) {
        prop_assume!(inst.validate().is_ok());
        let first = solve_with_budget(&inst, &opts(seed), 20_000).unwrap();
        let second = solve_with_budget(&inst, &opts(seed), 20_000).unwrap();
        prop_assert_eq!(first.roster, second.roster);
        prop_assert_eq!(first.iterations, second.iterations);
    }

    #[test]
    fn more_threads_never_give_a_worse_roster(inst in instances(), seed in any::<u64>()) {
        prop_assume!(inst.validate().is_ok());
        let one = solve_with_budget(&inst, &threaded(seed, 1), 20_000).unwrap();
        let three = solve_with_budget(&inst, &threaded(seed, 3), 20_000).unwrap();
        check_solved(&inst, &three)?;
        prop_assert!(
            three.score <= one.score,
            "3 threads {:?}, 1 thread {:?}",
            three.score,
            one.score
        );
        let again = solve_with_budget(&inst, &threaded(seed, 3), 20_000).unwrap();
        prop_assert_eq!(three.roster, again.roster);
        prop_assert_eq!(three.iterations, again.iterations);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn large_short_rosters_keep_every_rule_through_both_stages(
        inst in large_instances(),
        seed in 0u64..4,
    ) {
        prop_assume!(inst.validate().is_ok());
        let sol = solve_with_budget(&inst, &opts(seed), 60_000).unwrap();
        check_solved(&inst, &sol)?;
        let again = solve_with_budget(&inst, &opts(seed), 60_000).unwrap();
        prop_assert_eq!(sol.roster, again.roster);
    }
}
