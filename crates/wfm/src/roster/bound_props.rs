//! The lower bounds are true bounds: on small random instances, neither the counting bound nor
//! the Lagrangian with one-day weights ever exceeds the uncovered demand of the best roster,
//! found by trying every roster that keeps the hard rules.

use super::bound::lower_bound;
use super::lagrange::lagrangian_bound;
use super::model::{Agent, Assignment, Fairness, Instance, Roster, ShiftTemplate, Unavailable};
use super::prep::Prepared;
use super::rules::violations;
use super::score::coverage;
use proptest::prelude::*;
use std::time::{Duration, Instant};

const IPD: usize = 24;

fn template(code: &str, start_h: u32, hours: u32) -> ShiftTemplate {
    ShiftTemplate {
        code: code.into(),
        start_minute: start_h * 60,
        length_minutes: hours * 60,
        breaks: vec![],
        on_call: false,
    }
}

/// Two agents, one to three days, one or two queues, demand at any hour (so that the night
/// shift's hours past midnight count), tight weekly hours, rest and consecutive-day limits.
fn instances() -> impl Strategy<Value = Instance> {
    (1usize..=2, 1u32..=3, any::<u64>()).prop_map(|(queues, days, seed)| {
        let mut next = seed | 1;
        let mut rnd = move |m: u64| {
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            next % m
        };
        let templates = vec![
            template("a", 8, 8),
            template("b", 12, 6),
            template("n", 20, 8),
        ];
        let agents = (0..2)
            .map(|i| {
                let skills: Vec<usize> = (0..queues).filter(|_| rnd(3) > 0).collect();
                Agent {
                    id: format!("p{i}"),
                    queues: if skills.is_empty() { vec![0] } else { skills },
                    contract_week_minutes: 8 * 60,
                    max_week_minutes: (6 + rnd(12) as u32) * 60,
                    max_consecutive_days: 1 + rnd(3) as u32,
                    min_rest_minutes: rnd(16) as u32 * 60,
                    on_site: true,
                    on_call: false,
                    allowed_templates: if rnd(3) == 0 { vec![0, 2] } else { vec![] },
                    leave_days: (0..rnd(2)).map(|_| rnd(days as u64) as u32).collect(),
                    unavailable: (0..rnd(2))
                        .map(|_| Unavailable {
                            day: rnd(days as u64) as u32,
                            start_minute: rnd(20) as u32 * 60,
                            end_minute: (21 + rnd(4) as u32) * 60,
                        })
                        .collect(),
                    fixed: vec![],
                }
            })
            .collect();
        Instance {
            days,
            interval_minutes: 60,
            queues: (0..queues).map(|q| format!("q{q}")).collect(),
            demand: (0..queues)
                .map(|_| (0..days as usize * IPD).map(|_| rnd(3) as u32).collect())
                .collect(),
            templates,
            agents,
            special_days: vec![false; days as usize],
            fairness: Fairness::default(),
        }
    })
}

/// The least uncovered demand of any roster that keeps every hard rule.
fn optimum(inst: &Instance) -> u64 {
    let mut choices = vec![None];
    for template in 0..inst.templates.len() {
        for queue in 0..inst.queues.len() {
            choices.push(Some(Assignment { template, queue }));
        }
    }
    let days = inst.days as usize;
    let cells = inst.agents.len() * days;
    let mut roster = Roster::empty(inst.agents.len(), inst.days);
    let mut best = u64::MAX;
    let mut pick = vec![0usize; cells];
    loop {
        for (k, &c) in pick.iter().enumerate() {
            roster.shifts[k / days][k % days] = choices[c];
        }
        if violations(inst, &roster).is_empty() {
            best = best.min(uncovered(inst, &roster));
        }
        // Next combination, as a number in base `choices.len()`.
        let Some(k) = pick.iter().position(|&c| c + 1 < choices.len()) else {
            return best;
        };
        pick[k] += 1;
        pick[..k].iter_mut().for_each(|c| *c = 0);
    }
}

fn uncovered(inst: &Instance, roster: &Roster) -> u64 {
    let cov = coverage(inst, roster);
    let pairs = inst.demand.iter().flatten().zip(cov.iter().flatten());
    pairs.map(|(&n, &g)| n.saturating_sub(g) as u64).sum()
}

/// One agent, one day, an hour of demand in the morning and one in the evening that no single
/// shift covers both of: the counting bound sees an agent for each hour, the one-day weights
/// see that the agent works one shift.
#[test]
fn the_lagrangian_sees_one_shift_a_day() {
    let mut inst = Instance {
        days: 1,
        interval_minutes: 60,
        queues: vec!["q".into()],
        demand: vec![vec![0; IPD]],
        templates: vec![template("a", 8, 8), template("n", 20, 4)],
        agents: vec![Agent {
            id: "p".into(),
            queues: vec![0],
            contract_week_minutes: 8 * 60,
            max_week_minutes: 40 * 60,
            max_consecutive_days: 5,
            min_rest_minutes: 11 * 60,
            on_site: true,
            on_call: false,
            allowed_templates: vec![],
            leave_days: vec![],
            unavailable: vec![],
            fixed: vec![],
        }],
        special_days: vec![false],
        fairness: Fairness::default(),
    };
    inst.demand[0][9] = 1;
    inst.demand[0][21] = 1;
    let p = Prepared::new(&inst);
    let deadline = Instant::now() + Duration::from_secs(60);
    assert_eq!(lower_bound(&inst, &p).uncovered, 0);
    assert_eq!(
        lagrangian_bound(&inst.demand, &p, &[40 * 60], &[0], deadline),
        1
    );
    assert_eq!(optimum(&inst), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_bound_exceeds_the_optimum(inst in instances()) {
        prop_assume!(inst.validate().is_ok());
        let p = Prepared::new(&inst);
        let best = optimum(&inst);
        let counting = lower_bound(&inst, &p).uncovered;
        let max_week: Vec<u32> = inst.agents.iter().map(|a| a.max_week_minutes).collect();
        let days: Vec<usize> = (0..p.days).collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        let lagrange = lagrangian_bound(&inst.demand, &p, &max_week, &days, deadline);
        prop_assert!(counting <= best, "counting bound {} above the optimum {}", counting, best);
        prop_assert!(lagrange <= best, "Lagrangian bound {} above the optimum {}", lagrange, best);
    }
}
