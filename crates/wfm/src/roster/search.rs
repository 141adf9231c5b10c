//! Local search from the constructive start: late-acceptance hill climbing (a move is kept when
//! it is no worse than the current roster or than the roster a fixed number of moves ago), so the
//! search can cross plateaus and small ridges without a temperature to tune. Every move keeps
//! every hard rule; its cost is read from the incrementally kept [`State`].
//!
//! Two stages. In the first, only uncovered demand counts: excess and unfairness are free, so
//! the search walks the wide plateaus of rosters that cover alike, where a later move can turn
//! a redundant shift into a covering one. It ends after most of the time ([`COVER_SHARE`]), or
//! at once when uncovered demand reaches the lower bound; small rosters skip it. The
//! second stage restarts from the best roster and orders by the whole score. Its phases
//! oscillate: a strict one (the score's order), then a relaxed one in which an uncovered
//! interval weighs only a few excess intervals, so the search can reshape coverage through
//! rosters that are briefly short; the best roster is always judged strictly and each strict
//! phase restarts from it. A second stage that finds no better roster for a long while is
//! kicked (one day cleared and refilled). The moves are in `moves.rs`. Searches side by side
//! on several threads share their best rosters at checkpoints (`exchange.rs`).

use super::exchange::Seat;
use super::model::{Assignment, Roster};
use super::state::{Cost, State, COVER_ONLY, STRICT};
use rand::Rng;
use std::sync::Arc;
use std::time::Instant;

/// Late-acceptance history lengths, and whether there is a first stage. Measured on B-small
/// (175 agent-days, 5 s) and B-large (4,200 agent-days, 60 s): a small roster explores better
/// with a long history, a large one converges too slowly with it within a minute; a small
/// roster reaches full coverage at once, and starting its second stage from the first stage's
/// roster (free excess) left 2 more excess on 6 of 8 B-small seeds where 1 of 8 did without.
const HISTORY_SMALL: usize = 30_000;
const HISTORY_LARGE: usize = 2_000;
const SMALL_CELLS: usize = 1_000;
/// Iterations per phase of the oscillation (strict and relaxed in turn).
const PHASE: u64 = 1 << 16;
/// In relaxed phases an uncovered interval weighs this many excess intervals.
const RELAXED: i128 = 3;
/// Iterations between checkpoints at which searches side by side share their best rosters: a
/// sixteenth of a move budget, at most this many (about a second). On B-large at 20 M moves a
/// thread (seeds 1–4, two threads) every 2^20 moves left 83, 89, 82, 84 uncovered and every 2^21
/// 83, 89, 84, 84, against 83, 88, 87, 88 for two searches that never share and 83, 89, 89, 88
/// for one; when the first search also takes the team's best (no longer the one-thread path),
/// 86, 86, 84, 84.
const SHARE_EVERY: u64 = 1 << 20;
/// Iterations without a new best roster before the search is kicked.
const STALL: u64 = 1 << 20;
/// Share of the time (and of a move budget) spent in the first stage, where only uncovered
/// demand counts. Measured on B-large at a budget of 20 M moves (seeds 1 and 2), before the
/// first stage also cleared days of a working run (`moves.rs`): a share of 0.5 left 110 / 100
/// uncovered and 0.85 106 / 99 with kicks, 0.85 105 / 97 and 0.95 105 / 96 without, against
/// 107 / 115 with no first stage; with that move 0.7 reaches 90 / 94 and 0.85 90 / 93. The
/// second stage then trims excess (about 4 % more is left than without a first stage).
const COVER_SHARE: f64 = 0.85;

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

pub(super) struct Search<'s, 'a, R> {
    pub(super) state: &'s mut State<'a>,
    pub(super) rng: R,
    /// Templates covering in-day interval `i` when started on the same day (`i < ipd`) or on
    /// the day before (`i - ipd`).
    pub(super) covering: Vec<Vec<usize>>,
    pub(super) short: Vec<(usize, usize)>,
    /// Slots (queue, slot) with more agents than required, refreshed with `short`.
    pub(super) surplus: Vec<(usize, usize)>,
    /// `covers[template][i]`: the template covers in-day interval `i` (as in `covering`).
    pub(super) covers: Vec<Vec<bool>>,
    pub(super) undo: Vec<(usize, usize, Option<Assignment>)>,
    /// Weight of uncovered demand in the current phase (see `run`).
    pub(super) weight: i128,
    pub(super) picked: Vec<usize>,
}

/// Improves the roster in `state`; with a `seat`, alongside other searches (see `exchange.rs`).
pub(crate) fn improve<R: Rng>(
    state: &mut State<'_>,
    rng: R,
    limits: &Limits,
    seat: Option<Seat<'_>>,
) -> Outcome {
    let p = state.p;
    let mut covering = vec![Vec::new(); 2 * p.ipd];
    for (ti, t) in p.tpl.iter().enumerate() {
        for &k in &t.offsets {
            if t.first + k < 2 * p.ipd {
                covering[t.first + k].push(ti);
            }
        }
    }
    let mut covers = vec![vec![false; 2 * p.ipd]; p.tpl.len()];
    for (i, list) in covering.iter().enumerate() {
        for &t in list {
            covers[t][i] = true;
        }
    }
    let mut search = Search {
        state,
        rng,
        covering,
        covers,
        short: Vec::new(),
        surplus: Vec::new(),
        undo: Vec::new(),
        weight: STRICT,
        picked: Vec::new(),
    };
    search.run(limits, seat.as_ref())
}

impl<R: Rng> Search<'_, '_, R> {
    fn run(&mut self, limits: &Limits, seat: Option<&Seat<'_>>) -> Outcome {
        let mut best_cost: Cost = self.state.cost();
        let mut best = self.state.roster();
        let mut at_best = true;
        let started = Instant::now();
        let first_until = started
            + limits
                .deadline
                .saturating_duration_since(started)
                .mul_f64(COVER_SHARE);
        let first_budget = (limits.max_iterations as f64 * COVER_SHARE) as u64;
        let cells = self.state.cells.len() * self.state.p.days;
        let small = cells <= SMALL_CELLS;
        let mut first_stage = !small;
        self.weight = if first_stage { COVER_ONLY } else { STRICT };
        let mut current = self.state.cost_weighted(self.weight);
        let length = if small { HISTORY_SMALL } else { HISTORY_LARGE };
        let mut history = vec![current; length];
        let mut iterations = 0u64;
        let mut last_best = 0u64;
        // A multiple of 256, where the checks below run.
        let share_every = (limits.max_iterations / 16 / 256 * 256).clamp(1 << 12, SHARE_EVERY);
        // The roster last posted and its cost: while the best cost stays the same it is posted
        // again (a roster as good as the best, if the search has since moved to another).
        let mut posted: Option<(Cost, Arc<Roster>)> = None;
        let agents = self.state.cells.len();
        while iterations < limits.max_iterations && agents > 0 {
            if iterations.is_multiple_of(256) {
                let now = Instant::now();
                if now >= limits.deadline || self.proven(limits) {
                    break;
                }
                if first_stage
                    && (iterations >= first_budget
                        || now >= first_until
                        || self.state.uncovered as u64 <= limits.lower_bound)
                {
                    // Second stage: from the best roster, ordered by the whole score.
                    first_stage = false;
                    if !at_best {
                        self.restore(&best);
                        at_best = true;
                    }
                    self.weight = STRICT;
                    last_best = iterations;
                    current = self.state.cost_weighted(self.weight);
                    history.iter_mut().for_each(|h| *h = current);
                }
                if let Some(seat) =
                    seat.filter(|_| iterations.is_multiple_of(share_every) && iterations > 0)
                {
                    let mine = match &posted {
                        Some((cost, roster)) if *cost == best_cost => Arc::clone(roster),
                        _ if at_best => Arc::new(self.state.roster()),
                        _ => Arc::new(best.clone()),
                    };
                    posted = Some((best_cost, Arc::clone(&mine)));
                    seat.exchange.post(seat.me, best_cost, mine);
                    let checkpoint = (iterations / share_every - 1) as usize;
                    let theirs = (seat.me > 0)
                        .then(|| seat.exchange.best_at(seat.me, checkpoint))
                        .flatten();
                    if let Some((cost, roster)) = theirs.filter(|(c, _)| *c < best_cost) {
                        // A helper takes the team's best and searches on from it.
                        self.restore(&roster);
                        best = Roster::clone(&roster);
                        best_cost = cost;
                        posted = Some((cost, roster));
                        at_best = true;
                        last_best = iterations;
                        current = self.state.cost_weighted(self.weight);
                        history.iter_mut().for_each(|h| *h = current);
                    }
                }
                if iterations.is_multiple_of(4096) {
                    self.refresh_short();
                }
                if iterations.is_multiple_of(PHASE) && iterations > 0 && !first_stage {
                    // Oscillate: a relaxed phase wanders through rosters that trade a little
                    // uncovered demand for less excess (every roster it passes is still judged
                    // strictly for the best); the strict phase after it starts again from the
                    // best roster unless the relaxed phase ended at one at least as good.
                    let relaxed = (iterations / PHASE) % 2 == 1;
                    if !relaxed && !at_best && self.state.cost() > best_cost {
                        self.restore(&best);
                        at_best = true;
                    }
                    self.weight = if relaxed { RELAXED } else { STRICT };
                    current = self.state.cost_weighted(self.weight);
                    history.iter_mut().for_each(|h| *h = current);
                }
            }
            if iterations - last_best > STALL && !first_stage {
                // Stalled: go back to the best roster and kick it out of its basin.
                if !at_best {
                    self.restore(&best);
                } else {
                    best = self.state.roster();
                }
                self.undo.clear();
                self.kick();
                at_best = false;
                last_best = iterations;
                current = self.state.cost_weighted(self.weight);
                history.iter_mut().for_each(|h| *h = current);
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
                    last_best = iterations;
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
        self.surplus.clear();
        for q in 0..self.state.p.queues {
            for s in 0..self.state.p.slots {
                if self.state.deficit(q, s) > 0 {
                    self.short.push((q, s));
                } else if self.state.surplus(q, s) > 0 {
                    self.surplus.push((q, s));
                }
            }
        }
    }

    /// Whether the search is in its first stage, where only uncovered demand counts.
    pub(super) fn in_first_stage(&self) -> bool {
        self.weight == COVER_ONLY
    }

    /// Sets a cell after checking every rule; records the old value.
    pub(super) fn try_set(&mut self, agent: usize, day: usize, new: Option<Assignment>) -> bool {
        let p = self.state.p;
        if new.is_some_and(|n| !p.permits(agent, day, n)) || !self.state.allows(agent, day, new) {
            return false;
        }
        self.undo.push((agent, day, self.state.cells[agent][day]));
        self.state.set(agent, day, new);
        true
    }

    pub(super) fn revert(&mut self) {
        for i in (0..self.undo.len()).rev() {
            let (a, d, old) = self.undo[i];
            let now = self.state.cells[a][d];
            self.state.set(a, d, old);
            self.undo[i].2 = now;
        }
    }

    pub(super) fn redo(&mut self) {
        for i in 0..self.undo.len() {
            let (a, d, new) = self.undo[i];
            let was = self.state.cells[a][d];
            self.state.set(a, d, new);
            self.undo[i].2 = was;
        }
    }
}
