//! A Lagrangian lower bound on uncovered demand, much tighter than the counting bound of
//! `bound.rs` when the agents present on a day, or their weekly hours, are what runs short
//! (a Monday with a quarter of the team on leave).
//!
//! Why it is a true bound. For any weights `λ(q, s)` in `[0, 1]`, uncovered demand at a slot
//! is at least `demand − coverage` and at least zero, so it is at least
//! `λ · (demand − coverage)`. Summed: `uncovered ≥ Σ λ·demand − Σ λ·coverage`, and the last
//! sum is at most what each agent could contribute on their own, `Σ_agents max_row Σ λ` over
//! the slots their row covers. Taking that maximum over a *larger* set of rows than the
//! feasible ones only lowers the bound, so each agent's row is relaxed, week by week, to: at
//! most one statically allowed shift a day, worked hours (rounded down to whole hours, which
//! only admits more rows) within the weekly maximum — rest and consecutive-day rules dropped.
//! That maximum is a small knapsack per agent and week, solved exactly by dynamic
//! programming ([`bound_at`]). Any `λ` gives a bound, so how `λ` is found does not matter
//! for validity; the value is rounded up only after a safety margin for floating point.
//!
//! How `λ` is found. Shortages are local to days (a Monday with a quarter of the team on
//! leave), so each day that some roster leaves short gets the weights that are optimal for
//! the one-day relaxation — every agent works at most one allowed shift that day, weekly hours
//! dropped too — from the dual of its linear programme (`simplex.rs`). The days' weights are
//! put together and valued once, exactly, with the weekly knapsack above; that value is at
//! least the one-day programmes' summed, unless a shift running past midnight also covers
//! weighted slots of the next day. Other days keep `λ = 0`.

use super::prep::Prepared;
use super::simplex::{day_duals, Column};
use std::time::Instant;

const UNIT: u32 = 60;
/// Pivots per one-day programme (a stop before the optimum gives a weaker bound, not a wrong
/// one).
const MAX_PIVOTS: usize = 20_000;

/// The bound with weights from the one-day programmes of `days`, those solved before
/// `deadline`.
pub(crate) fn lagrangian_bound(
    demand: &[Vec<u32>],
    p: &Prepared,
    max_week_minutes: &[u32],
    days: &[usize],
    deadline: Instant,
) -> u64 {
    let need: Vec<f64> = demand.iter().flatten().map(|&d| d as f64).collect();
    let mut lambda = vec![0.0f64; need.len()];
    for &d in days {
        if Instant::now() >= deadline {
            break;
        }
        let first = d * p.ipd;
        let rows: Vec<usize> = (0..p.queues)
            .flat_map(|q| (first..first + p.ipd).map(move |s| q * p.slots + s))
            .filter(|&i| need[i] > 0.0)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut row_of = vec![None; p.queues * p.ipd];
        for (k, &i) in rows.iter().enumerate() {
            row_of[i / p.slots * p.ipd + i % p.slots - first] = Some(k);
        }
        // Agents with the same allowed shifts that day form one class.
        let mut classes: Vec<(usize, f64)> = Vec::new();
        for a in 0..max_week_minutes.len() {
            let options = &p.options[a][d];
            if options.is_empty() {
                continue;
            }
            match classes
                .iter_mut()
                .find(|(b, _)| p.options[*b][d] == *options)
            {
                Some((_, count)) => *count += 1.0,
                None => classes.push((a, 1.0)),
            }
        }
        let mut columns = Vec::new();
        for (class, &(a, _)) in classes.iter().enumerate() {
            for o in &p.options[a][d] {
                let covered: Vec<usize> = p
                    .slots_of(d, o.template)
                    .take_while(|&s| s < first + p.ipd)
                    .filter_map(|s| row_of[o.queue * p.ipd + s - first])
                    .collect();
                if !covered.is_empty() {
                    columns.push(Column {
                        class,
                        rows: covered,
                    });
                }
            }
        }
        let day_need: Vec<f64> = rows.iter().map(|&i| need[i]).collect();
        let counts: Vec<f64> = classes.iter().map(|c| c.1).collect();
        let duals = day_duals(&day_need, &counts, &columns, MAX_PIVOTS, deadline);
        for (&i, y) in rows.iter().zip(duals) {
            lambda[i] = y;
        }
    }
    bound_at(&need, p, max_week_minutes, &lambda)
}

/// The bound at fixed weights `lambda` with the weekly-hours relaxation of the module header,
/// rounded up after a safety margin for floating point.
pub(crate) fn bound_at(
    need: &[f64],
    p: &Prepared,
    max_week_minutes: &[u32],
    lambda: &[f64],
) -> u64 {
    let mut value = vec![0.0f64; p.days * p.tpl.len() * p.queues];
    shift_values(p, lambda, &mut value);
    let mut bound: f64 = lambda.iter().zip(need).map(|(l, d)| l * d).sum();
    for (a, &max) in max_week_minutes.iter().enumerate() {
        for w in 0..p.weeks {
            bound -= best_week(p, a, w, max / UNIT, &value);
        }
    }
    let total: f64 = need.iter().sum();
    let safe = bound - 1e-9 * total.max(1.0) - 1e-6;
    if safe <= 0.0 {
        0
    } else {
        safe.ceil() as u64
    }
}

/// Value of each shift on each day and queue under the weights.
fn shift_values(p: &Prepared, lambda: &[f64], value: &mut [f64]) {
    for d in 0..p.days {
        for t in 0..p.tpl.len() {
            for q in 0..p.queues {
                let line = &lambda[q * p.slots..(q + 1) * p.slots];
                value[(d * p.tpl.len() + t) * p.queues + q] =
                    p.slots_of(d, t).map(|s| line[s]).sum();
            }
        }
    }
}

/// The most value one agent can collect in one week (at most one shift a day, whole worked
/// hours within `cap`).
fn best_week(p: &Prepared, agent: usize, week: usize, cap: u32, value: &[f64]) -> f64 {
    let cap = cap as usize;
    let days = week * 7..(week * 7 + 7).min(p.days);
    // table[c]: best value of the days so far using at most c units.
    let mut table = vec![0.0f64; cap + 1];
    let mut next = table.clone();
    let mut per_template: Vec<Option<f64>> = vec![None; p.tpl.len()];
    for d in days {
        // The same hours whichever queue: keep each template's best queue.
        per_template.iter_mut().for_each(|b| *b = None);
        for o in &p.options[agent][d] {
            let v = value[(d * p.tpl.len() + o.template) * p.queues + o.queue];
            let b = &mut per_template[o.template];
            if b.is_none_or(|bv| v > bv) {
                *b = Some(v);
            }
        }
        next.copy_from_slice(&table);
        for (t, b) in per_template.iter().enumerate() {
            let units = (p.tpl[t].worked / UNIT) as usize;
            let Some(v) = b.filter(|&v| v > 0.0 && units <= cap) else {
                continue;
            };
            for c in units..=cap {
                let with = table[c - units] + v;
                if with > next[c] {
                    next[c] = with;
                }
            }
        }
        std::mem::swap(&mut table, &mut next);
    }
    table[cap]
}
