//! The roster benchmarks B-small and B-large: generates the instances deterministically as JSON
//! (the same files `bench/wfm/cpsat.py` reads), runs kefu's solver on them, and re-scores a
//! roster written by another solver with kefu's own rules so both are judged the same way.
//!
//! ```text
//! roster_bench gen small|large|large-short|handbook FILE.json
//! roster_bench solve FILE.json [--seconds S] [--iterations N] [--seed N] [--threads N]
//!                   [--out ROSTER.json]
//! roster_bench score FILE.json ROSTER.json
//! roster_bench diagnose FILE.json ROSTER.json
//! ```
//!
//! `diagnose` explains a roster's uncovered demand: when and where it is, and for every agent
//! who could work a shift covering it, which hard rule stops a one-cell change.

use kefu_wfm::roster::{
    coverage, evaluate, handbook, solve_with_budget, violations, Agent, Assignment, Break,
    Fairness, Instance, Roster, ShiftTemplate, SolveOptions,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    match arg(0) {
        "gen" => {
            let inst = match arg(1) {
                "small" => small(),
                "large" => large(1.0),
                "large-short" => large(1.1),
                "handbook" => handbook(3),
                other => return Err(format!("unknown instance {other:?}").into()),
            };
            inst.validate()?;
            std::fs::write(arg(2), serde_json::to_string(&inst)?)?;
        }
        "solve" => {
            let inst: Instance = serde_json::from_str(&std::fs::read_to_string(arg(1))?)?;
            let opts = SolveOptions {
                seed: flag("--seed").unwrap_or("1").parse()?,
                time_limit: Duration::from_secs_f64(flag("--seconds").unwrap_or("5").parse()?),
                threads: flag("--threads").unwrap_or("1").parse()?,
            };
            // A move budget makes runs comparable whatever else loads the machine (a time
            // limit far above it leaves the budget to decide).
            let budget = match flag("--iterations") {
                Some(n) => n.parse()?,
                None => u64::MAX,
            };
            let sol = solve_with_budget(&inst, &opts, budget)?;
            let broken = violations(&inst, &sol.roster).len();
            println!(
                "{{\"solver\":\"kefu\",\"uncovered\":{},\"excess\":{},\"unfairness\":{},\
                 \"lower_bound_uncovered\":{},\"uncoverable\":{},\"seconds\":{:.2},\
                 \"iterations\":{},\"violations\":{}}}",
                sol.score.uncovered,
                sol.score.excess,
                sol.score.unfairness,
                sol.lower_bound_uncovered,
                sol.uncoverable
                    .iter()
                    .map(|g| g.missing as u64)
                    .sum::<u64>(),
                sol.elapsed.as_secs_f64(),
                sol.iterations,
                broken
            );
            if let Some(out) = flag("--out") {
                std::fs::write(out, serde_json::to_string(&sol.roster)?)?;
            }
        }
        "score" => {
            let inst: Instance = serde_json::from_str(&std::fs::read_to_string(arg(1))?)?;
            let roster: Roster = serde_json::from_str(&std::fs::read_to_string(arg(2))?)?;
            let s = evaluate(&inst, &roster);
            println!(
                "{{\"uncovered\":{},\"excess\":{},\"unfairness\":{},\"violations\":{}}}",
                s.uncovered,
                s.excess,
                s.unfairness,
                violations(&inst, &roster).len()
            );
        }
        "diagnose" => {
            let inst: Instance = serde_json::from_str(&std::fs::read_to_string(arg(1))?)?;
            let roster: Roster = serde_json::from_str(&std::fs::read_to_string(arg(2))?)?;
            diagnose(&inst, &roster);
        }
        _ => return Err("usage: roster_bench gen|solve|score|diagnose …".into()),
    }
    Ok(())
}

/// Prints where the roster leaves demand uncovered and, per uncovered agent-interval, the
/// agents who could be given a shift covering it, grouped by what stops the one-cell change:
/// a rule linking days (rest, consecutive days, weekly hours), or nothing but the coverage the
/// agent's current shift that day would lose.
fn diagnose(inst: &Instance, roster: &Roster) {
    use std::collections::BTreeMap;
    let ipd = inst.intervals_per_day();
    let step = inst.interval_minutes;
    let cov = coverage(inst, roster);
    // Each agent alone, so that one agent's rules are checked in O(days).
    let alone: Vec<Instance> = inst
        .agents
        .iter()
        .map(|a| Instance {
            agents: vec![a.clone()],
            ..inst.clone()
        })
        .collect();
    let rules_of = |a: usize, row: &Vec<Option<Assignment>>| -> Vec<&'static str> {
        let one = Roster {
            shifts: vec![row.clone()],
        };
        let mut names: Vec<&'static str> = violations(&alone[a], &one)
            .iter()
            .map(|v| v.rule_name())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    };
    let mut by_hour: BTreeMap<(usize, u32), u32> = BTreeMap::new();
    let mut by_day: BTreeMap<usize, u32> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u32;
    for (q, need) in inst.demand.iter().enumerate() {
        for (s, &n) in need.iter().enumerate() {
            let missing = n.saturating_sub(cov[q][s]);
            if missing == 0 {
                continue;
            }
            total += missing;
            let (day, i) = (s / ipd, s % ipd);
            *by_hour.entry((q, i as u32 * step / 60)).or_default() += missing;
            *by_day.entry(day).or_default() += missing;
            println!(
                "short q{q} day {day} {:02}:{:02} missing {missing}",
                i as u32 * step / 60,
                i as u32 * step % 60
            );
            // Per agent, the least-blocked one-cell change giving them a shift covering (q, s).
            for (a, agent) in inst.agents.iter().enumerate() {
                if !agent.queues.contains(&q) {
                    continue;
                }
                let mut best: Option<String> = None;
                for e in day.saturating_sub(1)..=day {
                    for (t, tpl) in inst.templates.iter().enumerate() {
                        let first = e * ipd + (tpl.start_minute / step) as usize;
                        let covers = tpl.covered_offsets(step).contains(&(s.wrapping_sub(first)));
                        if !covers || s < first {
                            continue;
                        }
                        let mut row = roster.shifts[a].clone();
                        let old = row[e];
                        row[e] = Some(Assignment {
                            template: t,
                            queue: q,
                        });
                        let broken = rules_of(a, &row);
                        let why = match (broken.is_empty(), old) {
                            (true, None) => "free: off that day, no rule broken".to_string(),
                            (true, Some(_)) => "working another shift that day".to_string(),
                            (false, _) => broken.join("+"),
                        };
                        // Least blocked first: free, then busy, then the fewest rules broken.
                        let rank = |w: &str| (w.starts_with("free"), !w.contains('+'));
                        if best.as_deref().is_none_or(|b| rank(&why) > rank(b)) {
                            best = Some(why);
                        }
                    }
                }
                if let Some(why) = best {
                    *reasons.entry(why).or_default() += missing as u64;
                }
            }
        }
    }
    println!("uncovered {total}");
    println!("by queue and hour: {by_hour:?}");
    println!("by day (uncovered, agents on leave, agents working):");
    for (day, missing) in by_day {
        let leave = inst
            .agents
            .iter()
            .filter(|a| a.leave_days.contains(&(day as u32)))
            .count();
        let working = roster
            .shifts
            .iter()
            .filter(|row| row[day].is_some())
            .count();
        println!("  day {day:>2}: {missing:>4} {leave:>4} {working:>4}");
    }
    println!("agent-options per uncovered interval, by what blocks them:");
    for (why, n) in reasons {
        println!("  {n:>7}  {why}");
    }
}

fn template(start_h: f64, hours: u32, break_at: Option<u32>, on_call: bool) -> ShiftTemplate {
    let code = format!("{}{:02}{}", if on_call { "c" } else { "s" }, start_h, hours);
    ShiftTemplate {
        code,
        start_minute: (start_h * 60.0) as u32,
        length_minutes: hours * 60,
        breaks: break_at
            .map(|h| Break {
                offset_minutes: h * 60,
                minutes: 60,
            })
            .into_iter()
            .collect(),
        on_call,
    }
}

fn agent(id: String, contract_h: u32, max_h: u32) -> Agent {
    Agent {
        id,
        queues: vec![0],
        contract_week_minutes: contract_h * 60,
        max_week_minutes: max_h * 60,
        max_consecutive_days: 6,
        min_rest_minutes: 11 * 60,
        on_site: true,
        on_call: false,
        allowed_templates: vec![],
        leave_days: vec![],
        unavailable: vec![],
        fixed: vec![],
    }
}

/// Required agents at an hour of the day: a morning ramp, a midday peak and an evening
/// shoulder, lower at weekends.
fn profile(hour: f64, weekend: bool) -> f64 {
    let bump = |c: f64, w: f64| (-((hour - c) / w).powi(2)).exp();
    let base = 0.35 + 0.9 * bump(11.0, 2.5) + 0.7 * bump(15.5, 2.5) + 0.45 * bump(20.5, 2.0);
    if weekend {
        base * 0.7
    } else {
        base
    }
}

/// B-small: one week, 30-minute intervals, demand 08:00–24:00, 25 agents, 4/6/8/9-hour shifts.
fn small() -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(20261205);
    let mut templates = Vec::new();
    for (hours, starts, brk) in [
        (4, (8..=20).step_by(2).collect::<Vec<_>>(), None),
        (6, (8..=18).step_by(2).collect(), None),
        (8, (8..=16).step_by(2).collect(), Some(4)),
        (9, (8..=15).step_by(2).collect(), Some(4)),
    ] {
        for s in starts {
            templates.push(template(s as f64, hours, brk, false));
        }
    }
    let part_time: Vec<usize> = (0..templates.len())
        .filter(|&t| templates[t].length_minutes <= 6 * 60)
        .collect();
    let agents = (0..25)
        .map(|i| {
            let mut a = if i < 20 {
                agent(format!("s{i:02}"), 40, 44)
            } else {
                let mut a = agent(format!("s{i:02}"), 20, 24);
                a.allowed_templates = part_time.clone();
                a
            };
            if i % 6 == 0 {
                a.leave_days = vec![rng.gen_range(0..7)];
            }
            a
        })
        .collect();
    let ipd = 48;
    let mut demand = vec![0u32; 7 * ipd];
    for d in 0..7 {
        for i in 16..48 {
            let level = 8.0 * profile(i as f64 / 2.0, d >= 5) + rng.gen_range(-0.5..0.5);
            demand[d * ipd + i] = level.round().max(1.0) as u32;
        }
    }
    Instance {
        days: 7,
        interval_minutes: 30,
        queues: vec!["咨询".into()],
        demand: vec![demand],
        templates,
        agents,
        special_days: (0..7).map(|d| d >= 5).collect(),
        fairness: Fairness::default(),
    }
}

/// B-large: four weeks, 15-minute intervals, 150 agents, 30 templates (two on call, one past
/// midnight), two queues, leave and unavailable evenings. At `load` 1.0 the demand is about
/// what the agents' contracts can deliver; `large-short` (1.1) is a short-staffed month.
fn large(load: f64) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(20261206);
    let mut templates = Vec::new();
    for (hours, starts, brk) in [
        (4, vec![7.0, 9.0, 12.0, 16.0, 18.0, 20.0], None),
        (6, vec![7.0, 8.0, 10.0, 13.0, 15.0, 18.0], None),
        (
            8,
            vec![7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0, 16.0],
            Some(4),
        ),
        (9, vec![7.0, 8.5, 10.0, 12.5, 15.0], Some(4)),
        (10, vec![7.0, 9.5, 13.0], Some(5)),
    ] {
        for s in starts {
            templates.push(template(s, hours, brk, false));
        }
    }
    templates.push(template(20.0, 4, None, true));
    templates.push(template(22.0, 4, None, true));
    assert_eq!(templates.len(), 30);
    let short: Vec<usize> = (0..28)
        .filter(|&t| templates[t].length_minutes <= 6 * 60)
        .collect();
    let days = 28u32;
    let agents: Vec<Agent> = (0..150)
        .map(|i| {
            let mut a = if i < 120 {
                agent(format!("a{i:03}"), 40, 48)
            } else {
                let mut a = agent(format!("a{i:03}"), 24, 30);
                a.allowed_templates = short.clone();
                a
            };
            a.min_rest_minutes = 12 * 60;
            a.queues = match i % 8 {
                0 | 1 => vec![0, 1],
                2 => vec![1],
                _ => vec![0],
            };
            a.on_call = i % 10 < 3 && i < 120;
            let mut leave: Vec<u32> = (0..3).map(|_| rng.gen_range(0..days)).collect();
            if i % 10 == 7 {
                let first = rng.gen_range(0..days - 7);
                leave.extend(first..first + 7);
            }
            leave.sort_unstable();
            leave.dedup();
            a.leave_days = leave;
            if i >= 120 && i % 2 == 0 {
                a.unavailable = (0..days)
                    .map(|day| kefu_wfm::roster::Unavailable {
                        day,
                        start_minute: 18 * 60,
                        end_minute: 24 * 60,
                    })
                    .collect();
            }
            a
        })
        .collect();
    let ipd = 96;
    let mut demand = vec![vec![0u32; days as usize * ipd]; 2];
    for d in 0..days as usize {
        let weekend = d % 7 >= 5;
        for i in 28..96 {
            let hour = i as f64 / 4.0;
            let noise = rng.gen_range(-0.5..0.5);
            demand[0][d * ipd + i] = (48.0 * load * profile(hour, weekend) + noise).round() as u32;
            if (36..84).contains(&i) {
                let level = 11.0 * load * profile(hour, weekend) + noise;
                demand[1][d * ipd + i] = level.round().max(1.0) as u32;
            }
        }
    }
    Instance {
        days,
        interval_minutes: 15,
        queues: vec!["咨询".into(), "投诉".into()],
        demand,
        templates,
        agents,
        special_days: (0..days).map(|d| d % 7 >= 5 || d == 17).collect(),
        fairness: Fairness::default(),
    }
}
