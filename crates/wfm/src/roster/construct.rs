//! The constructive start: repeatedly place the shift that covers the most unmet demand (less
//! the excess it adds) anywhere in the horizon, given to the agent furthest below their
//! contract and with the fewest evening, on-call or weekend shifts of that kind. Each day keeps
//! its best candidate; a placement only invalidates the days whose coverage it touched, and a
//! cached candidate whose agent is no longer free is recomputed when it comes up.

use super::model::Assignment;
use super::state::State;
use rand::seq::SliceRandom;
use rand::Rng;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    key: i64,
    agent: usize,
    shift: Assignment,
}

/// Sets the locked cells, then fills the roster greedily while some shift still covers unmet
/// demand without breaking a rule.
pub(crate) fn construct(state: &mut State<'_>, rng: &mut impl Rng) {
    let p = state.p;
    for a in 0..state.cells.len() {
        for d in 0..p.days {
            if p.locked[a][d] {
                state.set(a, d, p.options[a][d].first().copied());
            }
        }
    }
    let mut order: Vec<usize> = (0..state.cells.len()).collect();
    order.shuffle(rng);
    let mut cache: Vec<Option<Option<Candidate>>> = vec![None; p.days];
    loop {
        for (d, slot) in cache.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = Some(best_for_day(state, d, &order));
            }
        }
        let best = (0..p.days)
            .filter_map(|d| cache[d].flatten().map(|c| (d, c)))
            .max_by_key(|(d, c)| (c.key, std::cmp::Reverse(*d)));
        let Some((day, c)) = best else { break };
        if state.cells[c.agent][day].is_some() || !state.allows(c.agent, day, Some(c.shift)) {
            cache[day] = None;
            continue;
        }
        state.set(c.agent, day, Some(c.shift));
        let touched = day.saturating_sub(1)..(day + 2).min(p.days);
        cache[touched].iter_mut().for_each(|slot| *slot = None);
    }
}

/// The plain greedy: day by day, agent by agent, the allowed shift that covers the most
/// unmet demand. It knows nothing of contracts or fairness and is usually the weaker start,
/// but now and then the horizon-wide start above leaves more uncovered; the solver starts
/// from whichever is better, so it never ends worse than this trivially feasible roster.
pub(crate) fn construct_plain(state: &mut State<'_>) {
    let p = state.p;
    for a in 0..state.cells.len() {
        for d in 0..p.days {
            if p.locked[a][d] {
                state.set(a, d, p.options[a][d].first().copied());
            }
        }
    }
    for d in 0..p.days {
        for a in 0..state.cells.len() {
            if p.locked[a][d] {
                continue;
            }
            let mut best: Option<(usize, Assignment)> = None;
            for &shift in &p.options[a][d] {
                if !state.allows(a, d, Some(shift)) {
                    continue;
                }
                let gain = p
                    .slots_of(d, shift.template)
                    .filter(|&s| state.deficit(shift.queue, s) > 0)
                    .count();
                if gain > best.map_or(0, |b| b.0) {
                    best = Some((gain, shift));
                }
            }
            if let Some((_, shift)) = best {
                state.set(a, d, Some(shift));
            }
        }
    }
}

/// The best shift to add on `day` and who should work it, if any shift covers unmet demand.
fn best_for_day(state: &State<'_>, day: usize, order: &[usize]) -> Option<Candidate> {
    let p = state.p;
    let mut shifts = Vec::new();
    for template in 0..p.tpl.len() {
        for queue in 0..p.queues {
            let (mut gain, mut waste) = (0i64, 0i64);
            for s in p.slots_of(day, template) {
                if state.deficit(queue, s) > 0 {
                    gain += 1;
                } else {
                    waste += 1;
                }
            }
            if gain > 0 {
                // Net intervals per hour of shift: long shifts that mostly add excess lose to
                // shorter ones that fit the demand.
                let len = (gain + waste).max(1);
                shifts.push((
                    (gain - waste) * 1000 / len + gain,
                    Assignment { template, queue },
                ));
            }
        }
    }
    shifts.sort_by_key(|&(key, s)| (std::cmp::Reverse(key), s.template, s.queue));
    let special = state.inst.special_days[day];
    for (key, shift) in shifts {
        let t = &p.tpl[shift.template];
        let kinds = [t.evening, t.on_call, special];
        let best = order
            .iter()
            .copied()
            .filter(|&a| {
                state.cells[a][day].is_none()
                    && p.permits(a, day, shift)
                    && state.allows(a, day, Some(shift))
            })
            .max_by_key(|&a| {
                let w = day / 7;
                let room = p.basis.target[a][w] as i64 - state.week_minutes(a, w) as i64;
                let burden: u32 = (0..3)
                    .filter(|&k| kinds[k])
                    .map(|k| state.count(k, a))
                    .sum();
                (room > 0, -(burden as i64), room)
            });
        if let Some(agent) = best {
            return Some(Candidate { key, agent, shift });
        }
    }
    None
}
