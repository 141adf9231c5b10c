//! Erlang C staffing (话务量与坐席测算): how long callers wait for a given number of agents on
//! the phone, and the fewest agents that meet a service-level target.
//!
//! The model is M/M/N with an unlimited queue and no abandonment: calls arrive at random
//! (Poisson), handling times are exponential, and a caller who finds every agent busy waits.
//! Offered traffic `A` (in erlangs) is calls × average handle time / interval length.
//!
//! Everything is computed from Erlang B by its recurrence `B(k) = A·B(k−1) / (k + A·B(k−1))`,
//! which only ever multiplies and divides numbers in `[0, 1]` and `[0, A]`: no factorial, no
//! power of `A`, so it neither overflows nor loses precision from 1 to thousands of agents and
//! tens of thousands of erlangs. Erlang C follows as `C = N·B / (N − A·(1 − B))`.
//!
//! The functions here take inputs as they come and return `NaN` for nonsense (negative or NaN
//! traffic); [`required_agents`] is the checked entry point that says what is wrong.

mod staffing;

use serde::{Deserialize, Serialize};

pub use staffing::{required_agents, ErlangError, Staffing, Target};

/// The contacts offered to one queue in one interval (e.g. 咨询 between 09:00 and 09:30).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// Contacts expected in the interval; fractional because it comes from a forecast.
    pub calls: f64,
    /// Length of the interval in seconds (900, 1800 or 3600 in practice).
    pub interval_seconds: f64,
    /// Average handle time in seconds: talk, hold and after-call work together.
    pub aht_seconds: f64,
}

impl Traffic {
    /// Offered load in erlangs: the number of agents that would be busy all interval long if
    /// the work could be spread perfectly. Staffing below it means the queue never empties.
    pub fn erlangs(&self) -> f64 {
        self.calls * self.aht_seconds / self.interval_seconds
    }
}

/// Erlang B by its recurrence, carried along so that a search over agent counts can step from
/// `N` to `N + 1` in one multiplication and one division instead of starting again from zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErlangB {
    agents: u32,
    erlangs: f64,
    blocking: f64,
}

impl ErlangB {
    /// Erlang B for `agents` servers: the recurrence from `B(0) = 1`. Once the value has
    /// underflowed to zero it stays zero, so the loop stops early for tiny loads on many agents.
    pub(crate) fn at(agents: u32, erlangs: f64) -> Self {
        let mut b = ErlangB {
            agents: 0,
            erlangs,
            blocking: 1.0,
        };
        while b.agents < agents {
            if b.blocking == 0.0 {
                b.agents = agents;
                break;
            }
            b.add_agent();
        }
        b
    }

    pub(crate) fn add_agent(&mut self) {
        let ab = self.erlangs * self.blocking;
        self.agents += 1;
        self.blocking = ab / (f64::from(self.agents) + ab);
    }

    pub(crate) fn agents(&self) -> u32 {
        self.agents
    }

    /// Erlang C from Erlang B: the probability that a caller has to wait.
    pub(crate) fn probability_of_waiting(&self) -> f64 {
        let n = f64::from(self.agents);
        let a = self.erlangs;
        if a == 0.0 {
            return 0.0;
        }
        if n <= a {
            return 1.0;
        }
        let b = self.blocking;
        // N − A·(1 − B) written as (N − A) + A·B: both terms positive, no cancellation.
        n * b / ((n - a) + a * b)
    }
}

/// Probability that a caller waits at all (Erlang C, P(W > 0)) with `agents` on the phone and
/// `erlangs` offered. It is 1.0 when `agents <= erlangs`: the queue then grows without bound.
/// Zero traffic never waits, whatever the number of agents. `NaN` for negative or NaN traffic.
pub fn probability_of_waiting(agents: u32, erlangs: f64) -> f64 {
    if erlangs.is_nan() || erlangs < 0.0 {
        return f64::NAN;
    }
    if erlangs > 0.0 && f64::from(agents) <= erlangs {
        return 1.0;
    }
    ErlangB::at(agents, erlangs).probability_of_waiting()
}

/// Share of calls answered within `answer_seconds` (the "80" of an 80/20 target):
/// `1 − C·exp(−(N − A)·t / AHT)`. 0.0 when the queue is unstable (`agents <= A`), 1.0 when no
/// calls are offered.
pub fn service_level(agents: u32, t: &Traffic, answer_seconds: f64) -> f64 {
    let a = t.erlangs();
    let waiting = probability_of_waiting(agents, a);
    service_level_from(agents, a, waiting, t.aht_seconds, answer_seconds)
}

/// Service level once the probability of waiting is known (shared with the staffing search).
pub(crate) fn service_level_from(
    agents: u32,
    erlangs: f64,
    waiting: f64,
    aht_seconds: f64,
    answer_seconds: f64,
) -> f64 {
    if waiting == 0.0 {
        return 1.0;
    }
    let spare = f64::from(agents) - erlangs;
    if spare <= 0.0 {
        return 0.0;
    }
    1.0 - waiting * (-spare * answer_seconds / aht_seconds).exp()
}

/// Average speed of answer in seconds over all calls, those answered at once included:
/// `C·AHT / (N − A)`. `f64::INFINITY` when the queue is unstable, 0.0 when no calls are offered.
pub fn average_speed_of_answer(agents: u32, t: &Traffic) -> f64 {
    let a = t.erlangs();
    let waiting = probability_of_waiting(agents, a);
    average_speed_of_answer_from(agents, a, waiting, t.aht_seconds)
}

pub(crate) fn average_speed_of_answer_from(
    agents: u32,
    erlangs: f64,
    waiting: f64,
    aht_seconds: f64,
) -> f64 {
    if waiting == 0.0 {
        return 0.0;
    }
    let spare = f64::from(agents) - erlangs;
    if spare <= 0.0 {
        return f64::INFINITY;
    }
    waiting * aht_seconds / spare
}

/// Share of the agents' time spent handling contacts, `min(A / N, 1)`: above about 85% agents
/// burn out, which is why [`Target::max_occupancy`] caps it. 0.0 with no traffic (even with no
/// agents), 1.0 with traffic and no agents.
pub fn occupancy(agents: u32, t: &Traffic) -> f64 {
    occupancy_of(agents, t.erlangs())
}

pub(crate) fn occupancy_of(agents: u32, erlangs: f64) -> f64 {
    if erlangs == 0.0 {
        return 0.0;
    }
    if agents == 0 {
        return 1.0;
    }
    (erlangs / f64::from(agents)).min(1.0)
}
