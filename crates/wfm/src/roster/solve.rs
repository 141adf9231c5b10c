//! The solver's entry point: validate, bound, construct, improve, and report the best roster
//! with its score and how far it can be from optimal.

use super::bound::{lower_bound, Gap};
use super::construct::{construct, construct_plain};
use super::error::InstanceError;
use super::exchange::{Exchange, Seat};
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

/// How long to search, which random streams to follow, and on how many threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveOptions {
    /// The same seed, number of threads and number of iterations give the same roster.
    pub seed: u64,
    /// The solver is anytime: it returns the best roster found when the time is up.
    pub time_limit: Duration,
    /// Searches run side by side, each from its own start and random stream, the others taking
    /// the best roster found so far at checkpoints, and the best roster wins (ties to the
    /// lower thread). Thread 0 follows the one-thread search, so more threads never give a
    /// worse roster for the same budget. Zero counts as one.
    pub threads: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            seed: 0,
            time_limit: Duration::from_secs(5),
            threads: 1,
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
    /// Moves tried, by all threads together.
    pub iterations: u64,
    pub elapsed: Duration,
    /// The score cannot be improved: uncovered demand at the bound, no excess, no unfairness.
    pub proven_optimal: bool,
}

/// Solves under the time limit. Each thread's search follows one random stream from the seed;
/// where it stops depends on the machine's speed, so for a bit-for-bit repeatable roster use
/// [`solve_with_budget`].
pub fn solve(inst: &Instance, opts: &SolveOptions) -> Result<Solution, InstanceError> {
    solve_with_budget(inst, opts, u64::MAX)
}

/// Like [`solve`], but also stops each thread after `max_iterations` moves: with a time limit
/// that is not reached, the result depends only on the instance, the seed, the number of
/// threads and the budget.
pub fn solve_with_budget(
    inst: &Instance,
    opts: &SolveOptions,
    max_iterations: u64,
) -> Result<Solution, InstanceError> {
    let started = Instant::now();
    inst.validate()?;
    let prepared = Prepared::new(inst);
    let mut bound = lower_bound(inst, &prepared);
    let mut rng = stream(opts.seed, 0);
    let mut state = start(inst, &prepared, &mut rng);
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
    let threads = opts.threads.max(1);
    let exchange = Exchange::new(threads);
    let outcomes = std::thread::scope(|scope| {
        let (prepared, limits, exchange) = (&prepared, &limits, &exchange);
        let seat = |me| (threads > 1).then_some(Seat { exchange, me });
        let others: Vec<_> = (1..threads)
            .map(|k| {
                scope.spawn(move || {
                    let mut rng = stream(opts.seed, k as u64);
                    let mut state = start(inst, prepared, &mut rng);
                    improve(&mut state, rng, limits, seat(k))
                })
            })
            .collect();
        let mut outcomes = vec![improve(&mut state, rng, limits, seat(0))];
        for other in others {
            outcomes.push(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        outcomes
    });
    let iterations = outcomes.iter().map(|o| o.iterations).sum();
    let (score, outcome) = outcomes
        .into_iter()
        .map(|o| (super::score::evaluate(inst, &o.best), o))
        .min_by_key(|(score, _)| *score)
        .expect("at least one search ran");
    Ok(Solution {
        proven_optimal: score.uncovered <= bound.uncovered
            && score.excess == 0
            && score.unfairness == 0,
        roster: outcome.best,
        score,
        lower_bound_uncovered: bound.uncovered,
        uncoverable: bound.uncoverable,
        iterations,
        elapsed: started.elapsed(),
    })
}

/// Thread `k`'s random stream: the seed's stream `k` (`k = 0` is the one-thread search's).
fn stream(seed: u64, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(k);
    rng
}

/// The search's start: the randomised construction, or the plain day-by-day greedy where that
/// is better.
fn start<'a>(inst: &'a Instance, p: &'a Prepared, rng: &mut ChaCha8Rng) -> State<'a> {
    let mut state = State::new(inst, p);
    construct(&mut state, rng);
    let mut plain = State::new(inst, p);
    construct_plain(&mut plain);
    if plain.cost() < state.cost() {
        state = plain;
    }
    state
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
