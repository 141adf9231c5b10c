//! The roster solver (排班). `model` is the shared contract (the server builds an [`Instance`]
//! and stores the [`Roster`]); `rules` and `score` check and score any roster, hand-edited or
//! solved; the rest is the optimizer: `prep` (static tables), `bound`, `lagrange` and
//! `simplex` (lower bounds, demand no shift can cover), `construct` (greedy start), `state`
//! (incremental score), `search` (late-acceptance local search) and `exchange` (searches side
//! by side sharing their best).

mod bound;
#[cfg(test)]
mod bound_props;
mod construct;
mod error;
mod exchange;
mod handbook;
mod lagrange;
mod model;
mod moves;
mod prep;
mod rules;
mod score;
mod search;
mod simplex;
mod solve;
mod state;

pub use bound::Gap;
pub use error::InstanceError;
pub use handbook::handbook;
pub use model::*;
pub use rules::{violations, Violation};
pub use score::{coverage, evaluate, Score, ROTATION_WEIGHT, SPREAD_WEIGHT};
pub use solve::{solve, solve_with_budget, Solution, SolveOptions};
