//! The moves of the local search. Each applies a change that keeps every hard rule (or
//! nothing) and records how to undo it in `Search::undo`; `Search::run` judges the result.
//!
//! - change one cell to a random allowed shift or a day off;
//! - swap two agents' cells on a day (coverage kept when the queues match);
//! - move an agent's shift to another day of the same week (weekly hours kept);
//! - ruin and recreate: clear a few agents' cells on a day, refill each with its best shift;
//! - cover a short slot: give an agent the best shift covering it, first clearing one of
//!   their other days — a neighbouring one (rest), one of the same week (weekly hours,
//!   consecutive days) or, in the first stage, one of the run of working days around it —
//!   when the rules would otherwise refuse it (in the first stage the cleared day then gets
//!   the agent's best remaining shift);
//! - follow the rotation: copy a week from the next agent one cycle earlier.

use super::model::Assignment;
use super::search::Search;
use super::state::Cost;
use rand::Rng;

impl<R: Rng> Search<'_, '_, R> {
    /// Applies a random feasible move, recording how to undo it; false when none was made.
    pub(super) fn propose(&mut self) -> bool {
        let roll = self.rng.gen_range(0..100);
        let targeted = !self.short.is_empty();
        let cycle = self.state.inst.fairness.rotation_weeks as usize * 7;
        if cycle > 0 && cycle < self.state.p.days && roll % 10 == 0 {
            return self.follow_rotation(cycle);
        }
        match roll {
            0..=29 if targeted => self.cover_short(),
            r if r < 45 && r % 3 == 0 && !self.surplus.is_empty() => self.trim_surplus(),
            r if r < 45 => self.ruin_day(),
            r if r < 75 => self.change_cell(),
            r if r < 88 => self.swap_agents(),
            _ => self.move_day(),
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
        self.recreate(d)
    }

    /// A strong kick for a stalled search: every free cell of one day cleared and refilled in
    /// random order, each with its best shift.
    pub(super) fn kick(&mut self) -> bool {
        let p = self.state.p;
        let d = self.rng.gen_range(0..p.days);
        self.picked.clear();
        self.picked
            .extend((0..self.state.cells.len()).filter(|&a| !p.locked[a][d]));
        for i in (1..self.picked.len()).rev() {
            let j = self.rng.gen_range(0..=i);
            self.picked.swap(i, j);
        }
        self.recreate(d)
    }

    /// Clears the picked agents' cells on day `d`, then gives each in turn its best shift.
    fn recreate(&mut self, d: usize) -> bool {
        if self.picked.is_empty() {
            return false;
        }
        for i in 0..self.picked.len() {
            let a = self.picked[i];
            self.try_set(a, d, None);
        }
        for i in 0..self.picked.len() {
            self.fill_best(self.picked[i], d);
        }
        true
    }

    /// Gives agent `a`, off on day `d`, the shift that lowers the cost most under the current
    /// weights, if any does.
    fn fill_best(&mut self, a: usize, d: usize) {
        debug_assert!(
            self.state.cells[a][d].is_none(),
            "fill_best on a worked day"
        );
        let p = self.state.p;
        let options = &p.options[a][d];
        let n = options.len();
        let from = self.tie_start(n);
        if self.in_first_stage() {
            // Only uncovered demand counts: the same choice, read without setting each shift.
            let mut best = (0, None);
            for k in 0..n {
                let o = options[(from + k) % n];
                let gain = self.state.gain(d, o);
                if gain > best.0 && self.state.allows(a, d, Some(o)) {
                    best = (gain, Some(o));
                }
            }
            if best.1.is_some() {
                self.try_set(a, d, best.1);
            }
            return;
        }
        let mut best = (self.state.cost_weighted(self.weight), None);
        for k in 0..n {
            let o = options[(from + k) % n];
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

    /// Picks a slot with excess and re-chooses, for one agent working then, the best shift
    /// (or day off) on that day.
    fn trim_surplus(&mut self) -> bool {
        let p = self.state.p;
        let (q, s) = self.surplus[self.rng.gen_range(0..self.surplus.len())];
        let (day, i) = (s / p.ipd, s % p.ipd);
        let agents = self.state.cells.len();
        let offset = self.rng.gen_range(0..agents);
        let on_shift = (0..agents).map(|k| (k + offset) % agents).find_map(|a| {
            let here = self.state.cells[a][day]
                .filter(|c| c.queue == q && self.covers[c.template][i])
                .map(|_| (a, day));
            let before = day.checked_sub(1).and_then(|d| {
                self.state.cells[a][d]
                    .filter(|c| c.queue == q && self.covers[c.template][i + p.ipd])
                    .map(|_| (a, d))
            });
            here.or(before)
        });
        let Some((a, d)) = on_shift else { return false };
        if p.locked[a][d] {
            return false;
        }
        let old = self.state.cells[a][d];
        let mut best: Option<(Cost, Option<Assignment>)> = None;
        for k in 0..=p.options[a][d].len() {
            let o = p.options[a][d].get(k).copied();
            if o == old || !self.state.allows(a, d, o) {
                continue;
            }
            self.state.set(a, d, o);
            let c = self.state.cost_weighted(self.weight);
            self.state.set(a, d, old);
            if best.is_none_or(|(bc, _)| c < bc) {
                best = Some((c, o));
            }
        }
        best.is_some_and(|(_, o)| self.try_set(a, d, o))
    }

    fn cover_short(&mut self) -> bool {
        let p = self.state.p;
        let (q, s) = self.short[self.rng.gen_range(0..self.short.len())];
        if self.state.deficit(q, s) == 0 {
            return false;
        }
        let (day, i) = (s / p.ipd, s % p.ipd);
        let overnight = day > 0 && !self.covering[i + p.ipd].is_empty();
        let (d, i) = if overnight && self.rng.gen_bool(0.3) {
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
        // Make room in the agent's row: clear a neighbouring day (a shift there can leave too
        // little rest) or another day of the week (weekly hours, consecutive days), and retry.
        // In the first stage a third of the time it clears a day of the run of working days
        // around `d` instead (consecutive days; the run may reach into the week before or
        // after): on B-large that took the first stage from 105 / 97 to 90 / 93 uncovered
        // (seeds 1, 2), while under the whole score it changed nothing there and left 2 more
        // excess on more B-small seeds. In the first stage the cleared day then gets the
        // agent's best remaining shift if one covers more: the freed day is often worth a
        // shorter or later shift (B-large at 20 M moves, seeds 1–4: 90, 89, 95, 93 → 83, 89,
        // 89, 88). Under the whole score it added excess on B-small (BENCHMARKS.md, workforce
        // management).
        let run = if self.in_first_stage() && self.rng.gen_ratio(1, 3) {
            self.day_of_run(a, d)
        } else {
            None
        };
        let e = if let Some(e) = run {
            e
        } else if self.rng.gen_bool(0.5) {
            if d > 0 && (d + 1 == p.days || self.rng.gen_bool(0.5)) {
                d - 1
            } else {
                d + 1
            }
        } else {
            let first = d / 7 * 7;
            self.rng.gen_range(first..(first + 7).min(p.days))
        };
        if e == d || e >= p.days || self.state.cells[a][e].is_none() || !self.try_set(a, e, None) {
            return false;
        }
        if let Some(best) = self.best_covering(a, d, i, q) {
            if self.try_set(a, d, Some(best)) {
                if self.in_first_stage() {
                    self.fill_best(a, e);
                }
                return true;
            }
        }
        self.revert();
        self.undo.clear();
        false
    }

    /// A random day of the run of working days that a shift on day `d` (now off) would join;
    /// none when `d` is worked or both its neighbours are off.
    fn day_of_run(&mut self, a: usize, d: usize) -> Option<usize> {
        let row = &self.state.cells[a];
        if row[d].is_some() {
            return None;
        }
        let before = (0..d).rev().take_while(|&x| row[x].is_some()).count();
        let after = (d + 1..row.len()).take_while(|&x| row[x].is_some()).count();
        if before + after == 0 {
            return None;
        }
        let k = self.rng.gen_range(1..=before + after);
        Some(if k <= before { d - k } else { d + k - before })
    }

    /// Where a scan for the best of `n` choices starts: at random in the first stage, where
    /// only uncovered demand counts and many choices tie, so that ties do not always go to the
    /// same template; at the first otherwise (on B-small, random starts there left 2 more
    /// excess on more seeds).
    fn tie_start(&mut self, n: usize) -> usize {
        if self.in_first_stage() && n > 1 {
            self.rng.gen_range(0..n)
        } else {
            0
        }
    }

    /// The agent's best shift on day `d` in queue `q` among those covering in-day interval
    /// `i` (see `covering`), under the current weights.
    fn best_covering(&mut self, a: usize, d: usize, i: usize, q: usize) -> Option<Assignment> {
        let p = self.state.p;
        let old = self.state.cells[a][d];
        let n = self.covering[i].len();
        let from = self.tie_start(n);
        if self.in_first_stage() {
            // Only uncovered demand counts: with the old shift taken off once, each candidate's
            // cost is read without setting it (the same choice as below, for less work). With
            // the cell empty, `allows` answers as it would with the old shift there.
            self.state.set(a, d, None);
            let mut best: Option<(i64, Assignment)> = None;
            for k in 0..n {
                let o = Assignment {
                    template: self.covering[i][(from + k) % n],
                    queue: q,
                };
                if Some(o) == old || !p.permits(a, d, o) {
                    continue;
                }
                let gain = self.state.gain(d, o);
                if best.is_none_or(|(bg, _)| gain > bg) && self.state.allows(a, d, Some(o)) {
                    best = Some((gain, o));
                }
            }
            self.state.set(a, d, old);
            return best.map(|(_, o)| o);
        }
        let mut best: Option<(Cost, Assignment)> = None;
        for k in 0..n {
            let o = Assignment {
                template: self.covering[i][(from + k) % n],
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
