//! Local search from the constructive start: late-acceptance hill climbing (a move is kept when
//! it is no worse than the current roster or than the roster `HISTORY` moves ago), so the
//! search can cross plateaus and small ridges without a temperature to tune. Every move keeps
//! every hard rule; its cost is read from the incrementally kept [`State`].
//!
//! Moves: change one cell; swap two agents' cells on a day; move an agent's shift to another
//! day of the same week (hours kept); and a targeted move that picks an uncovered slot and puts
//! on a shift covering it, dropping another of that agent's shifts in the week if the weekly
//! hours would otherwise be exceeded.

use super::model::{Assignment, Roster};
use super::state::{Cost, State, STRICT};
use rand::Rng;
use std::time::Instant;

const HISTORY: usize = 2_000;
/// Iterations per phase of the oscillation (two strict phases, then a relaxed one).
const PHASE: u64 = 1 << 18;
/// In relaxed phases an uncovered interval weighs this many excess intervals.
const RELAXED: i128 = 3;

/// Why and when the search stops.
pub(crate) struct Limits {
    pub deadline: Instant,
    pub max_iterations: u64,
    /// Uncovered demand no roster can go below; reaching it with no excess and no unfairness
    /// proves the roster optimal.
    pub lower_bound: u64,
}

pub(crate) struct Outcome {
    pub best: Roster,
    pub iterations: u64,
}

struct Search<'s, 'a, R> {
    state: &'s mut State<'a>,
    rng: R,
    /// Templates covering in-day interval `i` when started on the same day (`i < ipd`) or on
    /// the day before (`i - ipd`).
    covering: Vec<Vec<usize>>,
    short: Vec<(usize, usize)>,
    undo: Vec<(usize, usize, Option<Assignment>)>,
    /// Weight of uncovered demand in the current phase (see `run`).
    weight: i128,
    picked: Vec<usize>,
}

pub(crate) fn improve<R: Rng>(state: &mut State<'_>, rng: R, limits: &Limits) -> Outcome {
    let p = state.p;
    let mut covering = vec![Vec::new(); 2 * p.ipd];
    for (ti, t) in p.tpl.iter().enumerate() {
        for &k in &t.offsets {
            if t.first + k < 2 * p.ipd {
                covering[t.first + k].push(ti);
            }
        }
    }
    let mut search = Search {
        state,
        rng,
        covering,
        short: Vec::new(),
        undo: Vec::new(),
        weight: STRICT,
        picked: Vec::new(),
    };
    search.run(limits)
}

impl<R: Rng> Search<'_, '_, R> {
    fn run(&mut self, limits: &Limits) -> Outcome {
        let mut best_cost: Cost = self.state.cost();
        let mut best = self.state.roster();
        let mut at_best = true;
        let mut current = self.state.cost_weighted(self.weight);
        let mut history = vec![current; HISTORY];
        let mut iterations = 0u64;
        let agents = self.state.cells.len();
        while iterations < limits.max_iterations && agents > 0 {
            if iterations.is_multiple_of(256) {
                if Instant::now() >= limits.deadline || self.proven(limits) {
                    break;
                }
                if iterations.is_multiple_of(4096) {
                    self.refresh_short();
                }
                if iterations.is_multiple_of(PHASE) && iterations > 0 {
                    // Oscillate: a relaxed phase may trade a little uncovered demand for less
                    // excess, the strict phase that follows repairs it; a strict phase that
                    // ends worse than the best goes back to the best.
                    let relaxed = (iterations / PHASE) % 3 == 1;
                    if !relaxed
                        && self.weight != STRICT
                        && !at_best
                        && self.state.cost() > best_cost
                    {
                        self.restore(&best);
                        at_best = true;
                    }
                    self.weight = if relaxed { RELAXED } else { STRICT };
                    current = self.state.cost_weighted(self.weight);
                    history.iter_mut().for_each(|h| *h = current);
                }
            }
            iterations += 1;
            self.undo.clear();
            if !self.propose() {
                continue;
            }
            let cost = self.state.cost_weighted(self.weight);
            let slot = (iterations as usize) % history.len();
            if cost <= current || cost < history[slot] {
                let strict = self.state.cost();
                if strict > best_cost && at_best {
                    // Leaving the best roster: keep a copy of it first.
                    self.revert();
                    best = self.state.roster();
                    at_best = false;
                    self.redo();
                }
                current = cost;
                if strict < best_cost {
                    best_cost = strict;
                    at_best = true;
                }
            } else {
                self.revert();
            }
            history[slot] = current;
        }
        if at_best {
            best = self.state.roster();
        }
        Outcome { best, iterations }
    }

    fn restore(&mut self, roster: &Roster) {
        for (a, row) in roster.shifts.iter().enumerate() {
            for (d, &cell) in row.iter().enumerate() {
                self.state.set(a, d, cell);
            }
        }
    }

    fn proven(&self, limits: &Limits) -> bool {
        let s = self.state.score();
        s.uncovered <= limits.lower_bound && s.excess == 0 && s.unfairness == 0
    }

    fn refresh_short(&mut self) {
        self.short.clear();
        for q in 0..self.state.p.queues {
            for s in 0..self.state.p.slots {
                if self.state.deficit(q, s) > 0 {
                    self.short.push((q, s));
                }
            }
        }
    }

    /// Applies a random feasible move, recording how to undo it; false when none was made.
    fn propose(&mut self) -> bool {
        let roll = self.rng.gen_range(0..100);
        let targeted = !self.short.is_empty();
        let cycle = self.state.inst.fairness.rotation_weeks as usize * 7;
        if cycle > 0 && cycle < self.state.p.days && roll % 10 == 0 {
            return self.follow_rotation(cycle);
        }
        match roll {
            0..=29 if targeted => self.cover_short(),
            r if r < 45 => self.ruin_day(),
            r if r < 75 => self.change_cell(),
            r if r < 88 => self.swap_agents(),
            _ => self.move_day(),
        }
    }

    /// Sets a cell after checking every rule; records the old value.
    fn try_set(&mut self, agent: usize, day: usize, new: Option<Assignment>) -> bool {
        let p = self.state.p;
        if new.is_some_and(|n| !p.permits(agent, day, n)) || !self.state.allows(agent, day, new) {
            return false;
        }
        self.undo.push((agent, day, self.state.cells[agent][day]));
        self.state.set(agent, day, new);
        true
    }

    fn revert(&mut self) {
        for i in (0..self.undo.len()).rev() {
            let (a, d, old) = self.undo[i];
            let now = self.state.cells[a][d];
            self.state.set(a, d, old);
            self.undo[i].2 = now;
        }
    }

    fn redo(&mut self) {
        for i in 0..self.undo.len() {
            let (a, d, new) = self.undo[i];
            let was = self.state.cells[a][d];
            self.state.set(a, d, new);
            self.undo[i].2 = was;
        }
    }

    fn random_cell(&mut self) -> (usize, usize) {
        let a = self.rng.gen_range(0..self.state.cells.len());
        let d = self.rng.gen_range(0..self.state.p.days);
        (a, d)
    }

    fn random_option(&mut self, a: usize, d: usize) -> Option<Assignment> {
        let options = &self.state.p.options[a][d];
        let k = self.rng.gen_range(0..=options.len());
        options.get(k).copied()
    }

    fn change_cell(&mut self) -> bool {
        let (a, d) = self.random_cell();
        let new = self.random_option(a, d);
        new != self.state.cells[a][d] && self.try_set(a, d, new)
    }

    fn swap_agents(&mut self) -> bool {
        let (a, d) = self.random_cell();
        let b = self.rng.gen_range(0..self.state.cells.len());
        let (x, y) = (self.state.cells[a][d], self.state.cells[b][d]);
        if a == b || x == y {
            return false;
        }
        if !self.try_set(a, d, y) {
            return false;
        }
        if !self.try_set(b, d, x) {
            self.revert();
            self.undo.clear();
            return false;
        }
        true
    }

    fn move_day(&mut self) -> bool {
        let (a, d) = self.random_cell();
        let Some(shift) = self.state.cells[a][d] else {
            return false;
        };
        let first = d / 7 * 7;
        let last = (first + 7).min(self.state.p.days);
        let e = self.rng.gen_range(first..last);
        if e == d || self.state.cells[a][e].is_some() || !self.try_set(a, d, None) {
            return false;
        }
        let new = if self.rng.gen_bool(0.5) {
            Some(shift)
        } else {
            self.random_option(a, e)
        };
        if new.is_none() || !self.try_set(a, e, new) {
            self.revert();
            self.undo.clear();
            return false;
        }
        true
    }

    /// Ruin and recreate: clears a few agents' cells on one day, then refills them one by one
    /// with each cell's best option given the rest of the roster.
    fn ruin_day(&mut self) -> bool {
        let p = self.state.p;
        let agents = self.state.cells.len();
        let d = self.rng.gen_range(0..p.days);
        let k = self.rng.gen_range(2..=4usize);
        self.picked.clear();
        for _ in 0..3 * k {
            let a = self.rng.gen_range(0..agents);
            if !p.locked[a][d] && !self.picked.contains(&a) {
                self.picked.push(a);
                if self.picked.len() == k {
                    break;
                }
            }
        }
        if self.picked.is_empty() {
            return false;
        }
        for i in 0..self.picked.len() {
            let a = self.picked[i];
            self.try_set(a, d, None);
        }
        for i in 0..self.picked.len() {
            let a = self.picked[i];
            let mut best = (self.state.cost_weighted(self.weight), None);
            for &o in &p.options[a][d] {
                if self.state.allows(a, d, Some(o)) {
                    self.state.set(a, d, Some(o));
                    let c = self.state.cost_weighted(self.weight);
                    if c < best.0 {
                        best = (c, Some(o));
                    }
                    self.state.set(a, d, None);
                }
            }
            if best.1.is_some() {
                self.try_set(a, d, best.1);
            }
        }
        true
    }

    /// Copies into one agent's week what the next agent worked one cycle earlier, so that the
    /// rotation can be adopted a whole week at a time (cells the rules refuse stay as they are).
    fn follow_rotation(&mut self, cycle: usize) -> bool {
        let p = self.state.p;
        let n = self.state.cells.len();
        // One agent's week, or the whole team's (coverage then repeats the earlier week's).
        let team = self.rng.gen_bool(0.5);
        let one = self.rng.gen_range(0..n);
        let agents = if team { 0..n } else { one..one + 1 };
        let first = (self.rng.gen_range(cycle..p.days) / 7 * 7).max(cycle);
        let last = (first + 7).min(p.days);
        for a in agents.clone() {
            for d in first..last {
                self.try_set(a, d, None);
            }
        }
        for (a, d) in agents.flat_map(|a| (first..last).map(move |d| (a, d))) {
            let Some(w) = self.state.cells[(a + 1) % n][d - cycle] else {
                continue;
            };
            let options = &p.options[a][d];
            let same_template = options.iter().filter(|o| o.template == w.template);
            let want = same_template.clone().find(|o| o.queue == w.queue);
            if let Some(&o) = want.or_else(|| same_template.clone().next()) {
                self.try_set(a, d, Some(o));
            }
        }
        !self.undo.is_empty()
    }

    fn cover_short(&mut self) -> bool {
        let p = self.state.p;
        let (q, s) = self.short[self.rng.gen_range(0..self.short.len())];
        if self.state.deficit(q, s) == 0 {
            return false;
        }
        let (day, i) = (s / p.ipd, s % p.ipd);
        let (d, i) = if day > 0 && self.rng.gen_bool(0.3) {
            (day - 1, i + p.ipd)
        } else {
            (day, i)
        };
        if self.covering[i].is_empty() {
            return false;
        }
        let template = self.covering[i][self.rng.gen_range(0..self.covering[i].len())];
        let wanted = Assignment { template, queue: q };
        let shift = Some(wanted);
        // A few agents at random, keeping the first whom the static rules allow this shift; the
        // agent then gets whichever shift covering the slot suits best.
        let agents = self.state.cells.len();
        let Some(a) = (0..8)
            .map(|_| self.rng.gen_range(0..agents))
            .find(|&a| p.permits(a, d, wanted) && self.state.cells[a][d] != shift)
        else {
            return false;
        };
        if let Some(best) = self.best_covering(a, d, i, q) {
            return self.try_set(a, d, Some(best));
        }
        // Make room in the agent's week: drop one other shift and retry.
        let first = d / 7 * 7;
        let last = (first + 7).min(p.days);
        let e = self.rng.gen_range(first..last);
        if e == d || self.state.cells[a][e].is_none() || !self.try_set(a, e, None) {
            return false;
        }
        if let Some(best) = self.best_covering(a, d, i, q) {
            return self.try_set(a, d, Some(best));
        }
        self.revert();
        self.undo.clear();
        false
    }

    /// The agent's best shift on day `d` in queue `q` among those covering in-day interval
    /// `i` (see `covering`), under the current weights.
    fn best_covering(&mut self, a: usize, d: usize, i: usize, q: usize) -> Option<Assignment> {
        let p = self.state.p;
        let old = self.state.cells[a][d];
        let mut best: Option<(Cost, Assignment)> = None;
        for k in 0..self.covering[i].len() {
            let o = Assignment {
                template: self.covering[i][k],
                queue: q,
            };
            if Some(o) == old || !p.permits(a, d, o) || !self.state.allows(a, d, Some(o)) {
                continue;
            }
            self.state.set(a, d, Some(o));
            let c = self.state.cost_weighted(self.weight);
            self.state.set(a, d, old);
            if best.is_none_or(|(bc, _)| c < bc) {
                best = Some((c, o));
            }
        }
        best.map(|(_, o)| o)
    }
}
