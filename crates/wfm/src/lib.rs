//! Workforce management for kefu: pure algorithms with no I/O.
//!
//! - [`erlang`]: Erlang C staffing (probability of waiting, service level, speed of answer,
//!   occupancy, minimum agents for a target).
//! - [`forecast`]: volume per interval from the center's own history, turned into required
//!   agents per interval and queue.
//! - [`roster`]: the roster solver (who works which shift on which day) and coverage.

pub mod erlang;
pub mod forecast;
pub mod roster;
