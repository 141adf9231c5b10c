//! A lower bound on uncovered demand, so the user sees how far the roster can be from optimal,
//! and the demand no roster can ever cover (reported as such rather than blamed on the solver).
//!
//! Why it is a true bound. Let `useful(q, s) = min(coverage, demand)` at queue `q` and slot
//! `s`; uncovered demand is total demand minus total useful coverage, so any upper bound on
//! useful coverage gives a lower bound on uncovered demand. Two upper bounds hold at once:
//! 1. Per slot (a Hall-type cut): an agent covers at most one queue at a time, and only agents
//!    with some statically allowed shift covering `s` in a queue of `Q` can serve `Q` there, so
//!    for every set of queues `Q` useful coverage at `s` is at most
//!    `Σ_{q∉Q} demand(q, s) + |agents able to cover s in Q|`.
//! 2. Per week, by capacity: slots of week `w` are covered only by shifts starting in week `w`
//!    or on the day before it (a shift lasts at most 24 h). An agent covers at most
//!    `min(max week minutes / interval, Σ_days longest allowed shift)` intervals with shifts
//!    of week `w`, and at most one shift's worth from the day before.
//!
//! The bound is the sum over weeks of demand minus the smaller of the two.

use super::model::{Instance, QueueIx};
use super::prep::Prepared;
use serde::Serialize;

/// Demand no feasible shift can cover: at `slot` of `queue`, `missing` agents more are
/// required than there are agents who could ever be on that queue then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub queue: QueueIx,
    /// `day * intervals_per_day + interval`.
    pub slot: usize,
    pub missing: u32,
}

pub(crate) struct Bound {
    pub uncovered: u64,
    pub uncoverable: Vec<Gap>,
}

/// Queue sets the per-slot cut tries: all of them for up to six queues, else each queue alone
/// and all queues together (still a valid bound, just looser).
fn queue_sets(queues: usize) -> Vec<u64> {
    if queues <= 6 {
        (1..(1u64 << queues)).collect()
    } else {
        let all = if queues >= 64 {
            u64::MAX
        } else {
            (1u64 << queues) - 1
        };
        (0..queues.min(64))
            .map(|q| 1u64 << q)
            .chain([all])
            .collect()
    }
}

pub(crate) fn lower_bound(inst: &Instance, p: &Prepared) -> Bound {
    // Which queues each agent could serve at each slot (bit per queue, first 64 queues).
    let mut reach = vec![0u64; p.slots];
    let mut able = vec![vec![0u32; p.slots]; p.queues];
    let mut cap_week = vec![0u64; p.weeks];
    let mut cap_last_day = vec![0u64; p.weeks];
    let step = inst.interval_minutes as u64;
    let sets = queue_sets(p.queues);
    let mut agents_in_set = vec![vec![0u32; sets.len()]; p.slots];
    for (a, agent) in inst.agents.iter().enumerate() {
        reach.iter_mut().for_each(|r| *r = 0);
        let mut per_week = vec![0u64; p.weeks];
        for d in 0..p.days {
            let mut longest = 0u64;
            for o in &p.options[a][d] {
                longest = longest.max(p.tpl[o.template].offsets.len() as u64);
                let bit = if o.queue < 64 { 1u64 << o.queue } else { 0 };
                for s in p.slots_of(d, o.template) {
                    reach[s] |= bit;
                }
            }
            per_week[d / 7] += longest;
            if d % 7 == 6 && d / 7 + 1 < p.weeks {
                cap_last_day[d / 7 + 1] += longest;
            }
        }
        for (w, total) in per_week.into_iter().enumerate() {
            cap_week[w] += total.min(agent.max_week_minutes as u64 / step);
        }
        for (s, &r) in reach.iter().enumerate() {
            for (q, line) in able.iter_mut().enumerate().take(64) {
                line[s] += (r >> q & 1) as u32;
            }
        }
        for (s, &r) in reach.iter().enumerate().filter(|p| *p.1 != 0) {
            for (count, &set) in agents_in_set[s].iter_mut().zip(&sets) {
                *count += (r & set != 0) as u32;
            }
        }
    }
    let mut uncoverable = Vec::new();
    let mut demand_week = vec![0u64; p.weeks];
    let mut useful_week = vec![0u64; p.weeks];
    for s in 0..p.slots {
        let total: u64 = inst.demand.iter().map(|row| row[s] as u64).sum();
        let mut useful = total;
        for (i, &set) in sets.iter().enumerate() {
            let outside: u64 = (0..p.queues)
                .filter(|&q| q >= 64 || set >> q & 1 == 0)
                .map(|q| inst.demand[q][s] as u64)
                .sum();
            useful = useful.min(outside + agents_in_set[s][i] as u64);
        }
        let w = s / p.ipd / 7;
        demand_week[w] += total;
        useful_week[w] += useful;
        for (queue, line) in able.iter().enumerate() {
            let missing = inst.demand[queue][s].saturating_sub(line[s]);
            if missing > 0 {
                uncoverable.push(Gap {
                    queue,
                    slot: s,
                    missing,
                });
            }
        }
    }
    uncoverable.sort_by_key(|g| (g.queue, g.slot));
    let uncovered = (0..p.weeks)
        .map(|w| demand_week[w] - useful_week[w].min(cap_week[w] + cap_last_day[w]))
        .sum();
    Bound {
        uncovered,
        uncoverable,
    }
}
