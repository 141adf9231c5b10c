//! The roster being searched, with everything the score needs kept up to date cell by cell, so
//! that a move costs the length of the shifts it touches rather than a full evaluation.

use super::model::{Assignment, Instance, Roster};
use super::prep::Prepared;
use super::rules::DAY;
use super::score::{Score, ROTATION_WEIGHT, SPREAD_WEIGHT};

/// Search cost: the score as one number whose order is the score's lexicographic order, with a
/// guide (sum of squared fairness counts) below it that breaks plateaus of max − min spreads.
pub(crate) type Cost = i128;

/// Weight of uncovered demand that keeps it strictly above any amount of excess.
pub(crate) const STRICT: i128 = 1 << 40;

/// Weight of uncovered demand that makes it the only thing counted: excess and unfairness are
/// free (the search's first stage, see `search.rs`).
pub(crate) const COVER_ONLY: i128 = 0;

/// One fairness count (evenings, on-call, weekends/holidays) spread among eligible agents,
/// with a histogram so max − min follows each change in O(1).
#[derive(Debug, Clone)]
struct Spread {
    count: Vec<u32>,
    eligible: Vec<bool>,
    hist: Vec<u32>,
    lo: usize,
    hi: usize,
    any: bool,
}

impl Spread {
    fn new(eligible: Vec<bool>, days: usize) -> Spread {
        let mut hist = vec![0; days + 2];
        hist[0] = eligible.iter().filter(|e| **e).count() as u32;
        Spread {
            count: vec![0; eligible.len()],
            any: hist[0] > 0,
            eligible,
            hist,
            lo: 0,
            hi: 0,
        }
    }

    fn width(&self) -> i64 {
        if self.any {
            (self.hi - self.lo) as i64
        } else {
            0
        }
    }

    /// Adds `up` (±1) to an agent's count; returns the change in the sum of squares.
    fn bump(&mut self, agent: usize, up: bool) -> i64 {
        let old = self.count[agent] as usize;
        let new = if up { old + 1 } else { old - 1 };
        self.count[agent] = new as u32;
        if !self.eligible[agent] {
            return 0;
        }
        self.hist[old] -= 1;
        self.hist[new] += 1;
        if new < self.lo {
            self.lo = new;
        }
        while self.hist[self.lo] == 0 {
            self.lo += 1;
        }
        if new > self.hi {
            self.hi = new;
        }
        while self.hist[self.hi] == 0 {
            self.hi -= 1;
        }
        (new * new) as i64 - (old * old) as i64
    }
}

#[derive(Debug, Clone)]
pub(crate) struct State<'a> {
    pub inst: &'a Instance,
    pub p: &'a Prepared,
    pub cells: Vec<Vec<Option<Assignment>>>,
    cov: Vec<Vec<u32>>,
    pub uncovered: i64,
    pub excess: i64,
    week_min: Vec<Vec<u32>>,
    hours_dev: i64,
    spreads: [Spread; 3],
    squares: i64,
    rotation: i64,
    cycle: usize,
}

impl<'a> State<'a> {
    /// The empty roster (locked cells still to be set by the caller).
    pub fn new(inst: &'a Instance, p: &'a Prepared) -> State<'a> {
        let n = inst.agents.len();
        let hours_dev = p.basis.target.iter().flatten().map(|&t| t as i64).sum();
        let e = &p.basis.eligible;
        State {
            inst,
            p,
            cells: vec![vec![None; p.days]; n],
            cov: vec![vec![0; p.slots]; p.queues],
            uncovered: inst.demand.iter().flatten().map(|&d| d as i64).sum(),
            excess: 0,
            week_min: vec![vec![0; p.weeks]; n],
            hours_dev,
            spreads: [
                Spread::new(e[0].clone(), p.days),
                Spread::new(e[1].clone(), p.days),
                Spread::new(e[2].clone(), p.days),
            ],
            squares: 0,
            // Every cell off: off against off matches the rotation.
            rotation: 0,
            cycle: inst.fairness.rotation_weeks as usize * 7,
        }
    }

    pub fn unfairness(&self) -> i64 {
        let spread: i64 = self.spreads.iter().map(Spread::width).sum();
        self.hours_dev + SPREAD_WEIGHT as i64 * spread + ROTATION_WEIGHT as i64 * self.rotation
    }

    pub fn score(&self) -> Score {
        Score {
            uncovered: self.uncovered as u64,
            excess: self.excess as u64,
            unfairness: self.unfairness() as u64,
        }
    }

    pub fn cost(&self) -> Cost {
        self.cost_weighted(STRICT)
    }

    /// The cost with uncovered demand weighted `uncovered_weight` (in units of excess); with
    /// [`STRICT`] the order is the score's, with [`COVER_ONLY`] only uncovered demand counts.
    pub fn cost_weighted(&self, uncovered_weight: i128) -> Cost {
        if uncovered_weight == COVER_ONLY {
            return (self.uncovered as i128) << 44;
        }
        ((self.uncovered as i128 * uncovered_weight) << 44)
            + ((self.excess as i128) << 44)
            + ((self.unfairness() as i128) << 12)
            + self.squares as i128
    }

    pub fn roster(&self) -> Roster {
        Roster {
            shifts: self.cells.clone(),
        }
    }

    /// Unmet demand at a slot of a queue.
    pub fn deficit(&self, queue: usize, slot: usize) -> u32 {
        self.inst.demand[queue][slot].saturating_sub(self.cov[queue][slot])
    }

    /// Agents above demand at a slot of a queue.
    pub fn surplus(&self, queue: usize, slot: usize) -> u32 {
        self.cov[queue][slot].saturating_sub(self.inst.demand[queue][slot])
    }

    pub fn week_minutes(&self, agent: usize, week: usize) -> u32 {
        self.week_min[agent][week]
    }

    pub fn count(&self, kind: usize, agent: usize) -> u32 {
        self.spreads[kind].count[agent]
    }

    /// Whether the rules linking days (weekly hours, rest, consecutive days) allow `new` in the
    /// cell given every other cell; static rules are the caller's (`Prepared::options`).
    pub fn allows(&self, agent: usize, day: usize, new: Option<Assignment>) -> bool {
        let old = self.cells[agent][day];
        if old == new {
            return true;
        }
        if self.p.locked[agent][day] {
            return false;
        }
        let Some(n) = new else { return true };
        let a = &self.inst.agents[agent];
        let t = &self.p.tpl[n.template];
        let old_worked = old.map_or(0, |o| self.p.tpl[o.template].worked);
        if self.week_min[agent][day / 7] - old_worked + t.worked > a.max_week_minutes {
            return false;
        }
        let row = &self.cells[agent];
        let start = day as u32 * DAY + t.start;
        let end = day as u32 * DAY + t.end;
        let rest = a.min_rest_minutes;
        for p in (0..day).rev() {
            if let Some(c) = row[p] {
                if p as u32 * DAY + self.p.tpl[c.template].end + rest > start {
                    return false;
                }
                break;
            }
            if (p as u32 + 2) * DAY + rest <= start {
                break;
            }
        }
        for (q, cell) in row.iter().enumerate().skip(day + 1) {
            if let Some(c) = cell {
                if end + rest > q as u32 * DAY + self.p.tpl[c.template].start {
                    return false;
                }
                break;
            }
            if end + rest <= q as u32 * DAY {
                break;
            }
        }
        if old.is_none() {
            let max = a.max_consecutive_days as usize;
            let left = (0..day)
                .rev()
                .take_while(|&p| row[p].is_some())
                .take(max + 1);
            let right = (day + 1..self.p.days)
                .take_while(|&q| row[q].is_some())
                .take(max + 1);
            if left.count() + 1 + right.count() > max {
                return false;
            }
        }
        true
    }

    /// Sets a cell (no rule checks) and keeps every total up to date.
    pub fn set(&mut self, agent: usize, day: usize, new: Option<Assignment>) {
        let old = self.cells[agent][day];
        if old == new {
            return;
        }
        let rot_before = self.rotation_around(agent, day);
        if let Some(o) = old {
            self.apply(agent, day, o, false);
        }
        self.cells[agent][day] = new;
        if let Some(n) = new {
            self.apply(agent, day, n, true);
        }
        self.rotation += self.rotation_around(agent, day) - rot_before;
    }

    /// Uncovered demand a shift would cover if added on `day` (read only; the cost of adding
    /// it when only uncovered demand counts).
    pub fn gain(&self, day: usize, c: Assignment) -> i64 {
        let (base, end) = self.p.span(day, c.template);
        if base >= end {
            return 0;
        }
        let t = &self.p.tpl[c.template];
        let line = &self.cov[c.queue][base..end];
        let need = &self.inst.demand[c.queue][base..end];
        t.offsets
            .iter()
            .take_while(|&&k| k < end - base)
            .map(|&k| (line[k] < need[k]) as i64)
            .sum()
    }

    fn apply(&mut self, agent: usize, day: usize, c: Assignment, add: bool) {
        let p = self.p;
        // The hottest loop of the search: counted without branches, over slices of the
        // shift's span.
        let t = &p.tpl[c.template];
        let (base, end) = p.span(day, c.template);
        if base < end {
            let line = &mut self.cov[c.queue][base..end];
            let need = &self.inst.demand[c.queue][base..end];
            let span = end - base;
            let (mut short, mut count) = (0i64, 0i64);
            for &k in t.offsets.iter().take_while(|&&k| k < span) {
                if add {
                    short += (line[k] < need[k]) as i64;
                    line[k] += 1;
                } else {
                    line[k] -= 1;
                    short += (line[k] < need[k]) as i64;
                }
                count += 1;
            }
            if add {
                self.uncovered -= short;
                self.excess += count - short;
            } else {
                self.uncovered += short;
                self.excess -= count - short;
            }
        }
        let w = day / 7;
        let target = p.basis.target[agent][w] as i64;
        let before = (self.week_min[agent][w] as i64 - target).abs();
        if add {
            self.week_min[agent][w] += t.worked;
        } else {
            self.week_min[agent][w] -= t.worked;
        }
        self.hours_dev += (self.week_min[agent][w] as i64 - target).abs() - before;
        let kinds = [t.evening, t.on_call, self.inst.special_days[day]];
        for (kind, hit) in kinds.into_iter().enumerate() {
            if hit {
                self.squares += self.spreads[kind].bump(agent, add);
            }
        }
    }

    /// Rotation mismatches of the two pairs a cell takes part in.
    fn rotation_around(&self, agent: usize, day: usize) -> i64 {
        let (c, n) = (self.cycle, self.cells.len());
        if c == 0 || c >= self.p.days {
            return 0;
        }
        let tpl = |a: usize, d: usize| self.cells[a][d].map(|x| x.template);
        let mut m = 0;
        if day >= c {
            m += (tpl(agent, day) != tpl((agent + 1) % n, day - c)) as i64;
        }
        if day + c < self.p.days {
            m += (tpl((agent + n - 1) % n, day + c) != tpl(agent, day)) as i64;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::handbook;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// `gain` is what setting the shift would take off uncovered demand, on rosters of every
    /// density (the first stage chooses shifts by it without setting them).
    #[test]
    fn gain_is_the_fall_in_uncovered_demand() {
        let mut inst = handbook(3);
        // Two agents required from 18:00, so that coverage of 1 still leaves a shortage.
        for (s, need) in inst.demand[0].iter_mut().enumerate() {
            if s % 48 >= 36 && *need > 0 {
                *need = 2;
            }
        }
        let p = Prepared::new(&inst);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut checked = 0;
        for density in [0.2, 0.5, 0.8] {
            let mut state = State::new(&inst, &p);
            for a in 0..inst.agents.len() {
                for d in 0..p.days {
                    if rng.gen_bool(density) {
                        let options = &p.options[a][d];
                        state.set(a, d, Some(options[rng.gen_range(0..options.len())]));
                    }
                }
            }
            for a in 0..inst.agents.len() {
                for d in 0..p.days {
                    if state.cells[a][d].is_some() {
                        continue;
                    }
                    for &o in &p.options[a][d] {
                        let before = state.uncovered;
                        state.set(a, d, Some(o));
                        let fall = before - state.uncovered;
                        state.set(a, d, None);
                        assert_eq!(state.gain(d, o), fall, "agent {a}, day {d}, {o:?}");
                        checked += (fall > 0) as usize;
                    }
                }
            }
        }
        assert!(
            checked > 50,
            "only {checked} shifts with a gain were checked"
        );
    }
}
