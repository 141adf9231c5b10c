//! A Lagrangian lower bound on uncovered demand, much tighter than the counting bound of
//! `bound.rs` when agents' weekly hours, not their number, are what runs short.
//!
//! Why it is a true bound. For any weights `λ(q, s)` in `[0, 1]`, uncovered demand at a slot
//! is at least `demand − coverage` and at least zero, so it is at least
//! `λ · (demand − coverage)`. Summed: `uncovered ≥ Σ λ·demand − Σ λ·coverage`, and the last
//! sum is at most what each agent could contribute on their own, `Σ_agents max_row Σ λ` over
//! the slots their row covers. Taking that maximum over a *larger* set of rows than the
//! feasible ones only lowers the bound, so each agent's week is relaxed to: at most one
//! statically allowed shift a day, worked hours (rounded down to whole hours, which only
//! admits more rows) within the weekly maximum — rest and consecutive-day rules dropped.
//! That maximum is a small knapsack per agent and week, solved exactly by dynamic
//! programming. The weights are improved by subgradient steps; every step's value is a bound,
//! the best one is kept, and it is rounded up only after a safety margin for floating point.

use super::prep::Prepared;
use std::time::Instant;

const UNIT: u32 = 60;

/// The best bound found before `deadline` or after `max_rounds` subgradient steps. `upper` is
/// the uncovered demand of some feasible roster (it guides the step length).
pub(crate) fn lagrangian_bound(
    demand: &[Vec<u32>],
    p: &Prepared,
    max_week_minutes: &[u32],
    upper: u64,
    deadline: Instant,
    max_rounds: u32,
) -> u64 {
    let n = p.queues * p.slots;
    let need: Vec<f64> = demand.iter().flatten().map(|&d| d as f64).collect();
    if need.iter().all(|&d| d == 0.0) {
        return 0;
    }
    let total: f64 = need.iter().sum();
    let mut lambda: Vec<f64> = need
        .iter()
        .map(|&d| if d > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let mut value = vec![0.0f64; p.days * p.tpl.len() * p.queues];
    let mut cover = vec![0.0f64; n];
    let mut best = 0.0f64;
    let mut theta = 1.0;
    let mut stale = 0;
    for _ in 0..max_rounds {
        if Instant::now() >= deadline {
            break;
        }
        // Value of each shift on each day and queue under the current weights.
        for d in 0..p.days {
            for t in 0..p.tpl.len() {
                for q in 0..p.queues {
                    let line = &lambda[q * p.slots..(q + 1) * p.slots];
                    value[(d * p.tpl.len() + t) * p.queues + q] =
                        p.slots_of(d, t).map(|s| line[s]).sum();
                }
            }
        }
        cover.iter_mut().for_each(|c| *c = 0.0);
        let mut bound: f64 = lambda.iter().zip(&need).map(|(l, d)| l * d).sum();
        for (a, &max) in max_week_minutes.iter().enumerate() {
            for w in 0..p.weeks {
                bound -= best_week(p, a, w, max / UNIT, &value, &mut cover);
            }
        }
        if bound > best + 1e-9 {
            best = bound;
            stale = 0;
        } else {
            stale += 1;
            if stale >= 5 {
                theta /= 2.0;
                stale = 0;
            }
        }
        let gap = upper as f64 - bound;
        let norm: f64 = need.iter().zip(&cover).map(|(d, c)| (d - c).powi(2)).sum();
        if gap <= 0.5 || norm == 0.0 || theta < 1e-3 {
            break;
        }
        let step = theta * gap / norm;
        for ((l, d), c) in lambda.iter_mut().zip(&need).zip(&cover) {
            *l = (*l + step * (d - c)).clamp(0.0, 1.0);
        }
    }
    let safe = best - 1e-9 * total.max(1.0) - 1e-6;
    if safe <= 0.0 {
        0
    } else {
        safe.ceil() as u64
    }
}

/// The most value one agent can collect in one week (at most one shift a day, whole worked
/// hours within `cap`), adding the chosen shifts' coverage to `cover`.
fn best_week(
    p: &Prepared,
    agent: usize,
    week: usize,
    cap: u32,
    value: &[f64],
    cover: &mut [f64],
) -> f64 {
    let cap = cap as usize;
    let days: Vec<usize> = (week * 7..(week * 7 + 7).min(p.days)).collect();
    // Per day, the best queue for each template (the same hours whichever queue).
    let mut choices: Vec<Vec<(usize, usize, usize, f64)>> = Vec::with_capacity(days.len());
    for &d in &days {
        let mut best: Vec<Option<(usize, f64)>> = vec![None; p.tpl.len()];
        for o in &p.options[agent][d] {
            let v = value[(d * p.tpl.len() + o.template) * p.queues + o.queue];
            if best[o.template].is_none_or(|(_, bv)| v > bv) {
                best[o.template] = Some((o.queue, v));
            }
        }
        let row = best
            .iter()
            .enumerate()
            .filter_map(|(t, b)| b.map(|(q, v)| (t, q, (p.tpl[t].worked / UNIT) as usize, v)))
            .filter(|c| c.3 > 0.0 && c.2 <= cap)
            .collect();
        choices.push(row);
    }
    // table[i][c]: best value of the first i days using at most c units.
    let mut table = vec![vec![0.0f64; cap + 1]; days.len() + 1];
    for (i, row) in choices.iter().enumerate() {
        let (done, rest) = table.split_at_mut(i + 1);
        let (prev, next) = (&done[i], &mut rest[0]);
        next.copy_from_slice(prev);
        for &(_, _, units, v) in row {
            for c in units..=cap {
                let with = prev[c - units] + v;
                if with > next[c] {
                    next[c] = with;
                }
            }
        }
    }
    let best = table[days.len()][cap];
    // Walk back to find the shifts chosen, for the subgradient.
    let mut c = cap;
    for i in (0..days.len()).rev() {
        if table[i + 1][c] == table[i][c] {
            continue;
        }
        let found = choices[i]
            .iter()
            .find(|&&(_, _, units, v)| units <= c && table[i][c - units] + v == table[i + 1][c]);
        if let Some(&(t, q, units, _)) = found {
            for s in p.slots_of(days[i], t) {
                cover[q * p.slots + s] += 1.0;
            }
            c -= units;
        }
    }
    best
}
