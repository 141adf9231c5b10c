//! The roster solver. `model` is the shared contract (the server builds an [`Instance`] and
//! stores the [`Roster`]); the solver itself is filled in by the solver work.

mod model;

pub use model::*;
