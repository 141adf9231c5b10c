//! How good a roster is: coverage against demand, and the [`Score`] the solver minimizes.
//!
//! Unfairness is counted in minute-equivalents so that one number mixes its parts in a way a
//! shift lead can read:
//! - every minute an agent's week is off their contract (prorated for a short last week and
//!   for days of leave, which count as worked),
//! - [`SPREAD_WEIGHT`] for every shift of difference between the agent with the most and the
//!   agent with the fewest evening, on-call, and weekend/holiday shifts (each counted among the
//!   agents who could work such a shift at all),
//! - [`ROTATION_WEIGHT`] for every day that breaks the rotation: with `rotation_weeks = c`,
//!   agent `a`'s day in week `w ≥ c` should repeat agent `a + 1`'s day in week `w − c` (same
//!   template, or both off), so the burden moves round the team.

use super::model::{Instance, Roster};
use super::rules::{covered_offsets, worked_minutes};
use serde::Serialize;

/// Unfairness for one shift of spread between agents (two hours' worth).
pub const SPREAD_WEIGHT: u64 = 120;
/// Unfairness for one day that breaks the rotation (an hour's worth).
pub const ROTATION_WEIGHT: u64 = 60;

/// The solver's objective, compared lexicographically: uncovered demand first, then excess
/// coverage, then unfairness. Uncovered and excess are in agent-intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Score {
    pub uncovered: u64,
    pub excess: u64,
    pub unfairness: u64,
}

/// Agents per queue per slot that the roster provides (same shape as `Instance::demand`).
/// Cells with unknown template or queue indexes are skipped; coverage past the horizon's end
/// is dropped.
pub fn coverage(inst: &Instance, roster: &Roster) -> Vec<Vec<u32>> {
    let ipd = inst.intervals_per_day();
    let slots = inst.days as usize * ipd;
    let step = inst.interval_minutes.max(1);
    let offsets: Vec<Vec<usize>> = inst
        .templates
        .iter()
        .map(|t| covered_offsets(inst, t))
        .collect();
    let mut cov = vec![vec![0u32; slots]; inst.queues.len()];
    for row in &roster.shifts {
        for (d, cell) in row.iter().enumerate() {
            let Some(c) = cell else { continue };
            let (Some(t), Some(line)) = (inst.templates.get(c.template), cov.get_mut(c.queue))
            else {
                continue;
            };
            let first = d * ipd + (t.start_minute / step) as usize;
            for &k in &offsets[c.template] {
                if let Some(x) = line.get_mut(first + k) {
                    *x += 1;
                }
            }
        }
    }
    cov
}

/// The score of a roster (whether or not it keeps the hard rules; see
/// [`super::violations`]).
pub fn evaluate(inst: &Instance, roster: &Roster) -> Score {
    let cov = coverage(inst, roster);
    let mut score = Score::default();
    for (need, got) in inst.demand.iter().zip(&cov) {
        for (&n, &g) in need.iter().zip(got) {
            score.uncovered += n.saturating_sub(g) as u64;
            score.excess += g.saturating_sub(n) as u64;
        }
    }
    score.unfairness = unfairness(inst, roster);
    score
}

/// Which agents each fairness count is spread among, and each agent's weekly targets.
#[derive(Debug, Clone)]
pub(crate) struct FairBasis {
    /// Per template: ends after the evening minute.
    pub evening: Vec<bool>,
    /// `eligible[kind][agent]` for kinds evening, on-call, special day.
    pub eligible: [Vec<bool>; 3],
    /// `target[agent][week]` in worked minutes.
    pub target: Vec<Vec<u32>>,
}

impl FairBasis {
    pub fn new(inst: &Instance) -> FairBasis {
        let evening: Vec<bool> = inst
            .templates
            .iter()
            .map(|t| t.start_minute + t.length_minutes > inst.fairness.evening_after_minute)
            .collect();
        let weeks = inst.days.div_ceil(7) as usize;
        let mut eligible = [vec![], vec![], vec![]];
        let mut target = Vec::with_capacity(inst.agents.len());
        for a in &inst.agents {
            let allowed = |t: usize| {
                let tpl = &inst.templates[t];
                (a.allowed_templates.is_empty() || a.allowed_templates.contains(&t))
                    && if tpl.on_call { a.on_call } else { a.on_site }
            };
            let n = inst.templates.len();
            eligible[0].push((0..n).any(|t| allowed(t) && evening[t]));
            eligible[1].push((0..n).any(|t| allowed(t) && inst.templates[t].on_call));
            eligible[2].push((0..n).any(allowed));
            let row = (0..weeks)
                .map(|w| {
                    let first = w as u32 * 7;
                    let present = (first..(first + 7).min(inst.days))
                        .filter(|d| !a.leave_days.contains(d))
                        .count() as u64;
                    (a.contract_week_minutes as u64 * present / 7) as u32
                })
                .collect();
            target.push(row);
        }
        FairBasis {
            evening,
            eligible,
            target,
        }
    }
}

/// The unfairness of a roster as defined in the module header.
pub(crate) fn unfairness(inst: &Instance, roster: &Roster) -> u64 {
    let basis = FairBasis::new(inst);
    let weeks = inst.days.div_ceil(7) as usize;
    let n = inst.agents.len();
    let mut counts = [vec![0u32; n], vec![0u32; n], vec![0u32; n]];
    let mut total = 0u64;
    for (a, row) in roster.shifts.iter().enumerate().take(n) {
        let mut worked = vec![0u32; weeks];
        for (d, cell) in row.iter().enumerate() {
            let Some(t) = cell.and_then(|c| inst.templates.get(c.template).map(|t| (c, t))) else {
                continue;
            };
            worked[d / 7] += worked_minutes(t.1);
            counts[0][a] += basis.evening[t.0.template] as u32;
            counts[1][a] += t.1.on_call as u32;
            counts[2][a] += inst.special_days.get(d).copied().unwrap_or(false) as u32;
        }
        for (w, &m) in worked.iter().enumerate() {
            total += m.abs_diff(basis.target[a][w]) as u64;
        }
    }
    for (kind, count) in counts.iter().enumerate() {
        let eligible = count.iter().zip(&basis.eligible[kind]).filter(|p| *p.1);
        let (lo, hi) = eligible.fold((u32::MAX, 0), |(lo, hi), (&c, _)| (lo.min(c), hi.max(c)));
        total += SPREAD_WEIGHT * hi.saturating_sub(lo) as u64;
    }
    total + ROTATION_WEIGHT * rotation_mismatches(inst, roster)
}

/// Days that break the rotation (see the module header).
pub(crate) fn rotation_mismatches(inst: &Instance, roster: &Roster) -> u64 {
    let cycle_days = inst.fairness.rotation_weeks as usize * 7;
    let n = roster.shifts.len().min(inst.agents.len());
    if cycle_days == 0 || n == 0 {
        return 0;
    }
    let mut mismatches = 0;
    for a in 0..n {
        let next = &roster.shifts[(a + 1) % n];
        for d in cycle_days..inst.days as usize {
            let mine = roster.shifts[a].get(d).map(|c| c.map(|c| c.template));
            let theirs = next.get(d - cycle_days).map(|c| c.map(|c| c.template));
            mismatches += (mine != theirs) as u64;
        }
    }
    mismatches
}
