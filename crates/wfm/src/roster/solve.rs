//! The solver's entry point: validate, bound, construct, improve, and report the best roster
//! with its score and how far it can be from optimal.

use super::bound::{lower_bound, Gap};
use super::construct::{construct, construct_plain};
use super::error::InstanceError;
use super::lagrange::lagrangian_bound;
use super::model::{Instance, Roster};
use super::prep::Prepared;
use super::score::Score;
use super::search::{improve, Limits};
use super::state::State;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How long to search and which random stream to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveOptions {
    /// The same seed and the same number of iterations give the same roster.
    pub seed: u64,
    /// The solver is anytime: it returns the best roster found when the time is up.
    pub time_limit: Duration,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            seed: 0,
            time_limit: Duration::from_secs(5),
        }
    }
}

/// A roster that keeps every hard rule, how good it is, and how good it could at best be.
#[derive(Debug, Clone, Serialize)]
pub struct Solution {
    pub roster: Roster,
    pub score: Score,
    /// No roster leaves less demand uncovered than this (see `bound.rs` and `lagrange.rs` for
    /// why).
    pub lower_bound_uncovered: u64,
    /// Demand no feasible shift can cover, to be shown to the user as such.
    pub uncoverable: Vec<Gap>,
    pub iterations: u64,
    pub elapsed: Duration,
    /// The score cannot be improved: uncovered demand at the bound, no excess, no unfairness.
    pub proven_optimal: bool,
}

/// Solves under the time limit. The search follows one random stream from the seed; where it
/// stops depends on the machine's speed, so for a bit-for-bit repeatable roster use
/// [`solve_with_budget`].
pub fn solve(inst: &Instance, opts: &SolveOptions) -> Result<Solution, InstanceError> {
    solve_with_budget(inst, opts, u64::MAX)
}

/// Like [`solve`], but also stops after `max_iterations` moves: with a time limit that is not
/// reached, the result depends only on the instance, the seed and the budget.
pub fn solve_with_budget(
    inst: &Instance,
    opts: &SolveOptions,
    max_iterations: u64,
) -> Result<Solution, InstanceError> {
    let started = Instant::now();
    inst.validate()?;
    let prepared = Prepared::new(inst);
    let mut bound = lower_bound(inst, &prepared);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut state = State::new(inst, &prepared);
    construct(&mut state, &mut rng);
    let mut plain = State::new(inst, &prepared);
    construct_plain(&mut plain);
    if plain.cost() < state.cost() {
        state = plain;
    }
    if (state.uncovered as u64) > bound.uncovered {
        // A tenth of the time at most goes to tightening the bound on the days the constructed
        // roster leaves short.
        let max_week: Vec<u32> = inst.agents.iter().map(|a| a.max_week_minutes).collect();
        let deadline = started + opts.time_limit / 10;
        let upper = state.uncovered as u64;
        let short = short_days(inst, &prepared, &state);
        let tighter = lagrangian_bound(&inst.demand, &prepared, &max_week, &short, deadline);
        bound.uncovered = bound.uncovered.max(tighter.min(upper));
    }
    let limits = Limits {
        deadline: started + opts.time_limit,
        max_iterations,
        lower_bound: bound.uncovered,
    };
    let outcome = improve(&mut state, rng, &limits);
    let score = super::score::evaluate(inst, &outcome.best);
    Ok(Solution {
        proven_optimal: score.uncovered <= bound.uncovered
            && score.excess == 0
            && score.unfairness == 0,
        roster: outcome.best,
        score,
        lower_bound_uncovered: bound.uncovered,
        uncoverable: bound.uncoverable,
        iterations: outcome.iterations,
        elapsed: started.elapsed(),
    })
}

/// Days on which the roster leaves some demand uncovered, most uncovered first: only there
/// can the one-day programmes of `lagrange.rs` prove anything, and the deadline may cut the
/// list short.
fn short_days(inst: &Instance, p: &Prepared, state: &State<'_>) -> Vec<usize> {
    let mut uncovered = vec![0u64; p.days];
    for q in 0..inst.queues.len() {
        for s in 0..p.slots {
            uncovered[s / p.ipd] += state.deficit(q, s) as u64;
        }
    }
    let mut days: Vec<usize> = (0..p.days).filter(|&d| uncovered[d] > 0).collect();
    days.sort_by_key(|&d| (std::cmp::Reverse(uncovered[d]), d));
    days
}
