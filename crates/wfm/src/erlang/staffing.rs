//! The fewest agents that meet a service-level target (人员需求测算), and the agents to schedule
//! once shrinkage (breaks, meetings, training, leave) is added on top.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{average_speed_of_answer_from, occupancy_of, service_level_from, ErlangB, Traffic};

/// What the center promises for a queue: e.g. 80% answered within 20 s, 30% shrinkage, agents
/// busy at most 85% of the time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Share of calls to answer within `answer_seconds`, strictly between 0 and 1.
    pub service_level: f64,
    /// The answer time of the target, in seconds (≥ 0).
    pub answer_seconds: f64,
    /// Share of paid time an agent is not available for contacts, in `[0, 1)`.
    pub shrinkage: f64,
    /// Highest acceptable occupancy, in `(0, 1]`; 1.0 means no cap.
    pub max_occupancy: f64,
}

/// The staffing for one interval and what it achieves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Staffing {
    /// Agents needed on the phone at every moment of the interval.
    pub agents_on_phone: u32,
    /// Agents to put on the roster so that, after shrinkage, enough are on the phone.
    pub agents_scheduled: u32,
    /// Service level achieved with `agents_on_phone` (≥ the target).
    pub service_level: f64,
    /// Average speed of answer in seconds with `agents_on_phone`.
    pub asa_seconds: f64,
    /// Occupancy with `agents_on_phone` (≤ the maximum).
    pub occupancy: f64,
    /// Probability that a caller waits at all with `agents_on_phone`.
    pub probability_of_waiting: f64,
}

/// Inputs [`required_agents`] refuses, with the value that was given so the caller can show it.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum ErlangError {
    #[error("calls must be a finite number ≥ 0, got {0}")]
    InvalidCalls(f64),
    #[error("interval length must be a finite number of seconds > 0, got {0}")]
    InvalidInterval(f64),
    #[error("average handle time must be a finite number of seconds > 0, got {0}")]
    InvalidHandleTime(f64),
    #[error("service level target must be strictly between 0 and 1, got {0}")]
    InvalidServiceLevel(f64),
    #[error("answer time must be a finite number of seconds ≥ 0, got {0}")]
    InvalidAnswerTime(f64),
    #[error("shrinkage must be in [0, 1), got {0}")]
    InvalidShrinkage(f64),
    #[error("maximum occupancy must be in (0, 1], got {0}")]
    InvalidMaxOccupancy(f64),
    #[error("{erlangs} erlangs need more agents than can be counted")]
    TooManyAgents { erlangs: f64 },
}

impl Traffic {
    fn check(&self) -> Result<(), ErlangError> {
        if !(self.calls.is_finite() && self.calls >= 0.0) {
            return Err(ErlangError::InvalidCalls(self.calls));
        }
        if !(self.interval_seconds.is_finite() && self.interval_seconds > 0.0) {
            return Err(ErlangError::InvalidInterval(self.interval_seconds));
        }
        if !(self.aht_seconds.is_finite() && self.aht_seconds > 0.0) {
            return Err(ErlangError::InvalidHandleTime(self.aht_seconds));
        }
        Ok(())
    }
}

impl Target {
    fn check(&self) -> Result<(), ErlangError> {
        if !(self.service_level > 0.0 && self.service_level < 1.0) {
            return Err(ErlangError::InvalidServiceLevel(self.service_level));
        }
        if !(self.answer_seconds.is_finite() && self.answer_seconds >= 0.0) {
            return Err(ErlangError::InvalidAnswerTime(self.answer_seconds));
        }
        if !(self.shrinkage >= 0.0 && self.shrinkage < 1.0) {
            return Err(ErlangError::InvalidShrinkage(self.shrinkage));
        }
        if !(self.max_occupancy > 0.0 && self.max_occupancy <= 1.0) {
            return Err(ErlangError::InvalidMaxOccupancy(self.max_occupancy));
        }
        Ok(())
    }
}

/// Relative slack when rounding agent counts up, so that a quotient like 14 / 0.7, which f64
/// computes as 20.000000000000004, rounds to the 20 a person would write and not to 21.
const ROUNDING_SLACK: f64 = 1e-9;

/// The smallest number of agents on the phone whose service level reaches the target and whose
/// occupancy stays at or under the maximum, and the agents to schedule,
/// `ceil(N / (1 − shrinkage))`. No calls need no agents (service level 1, ASA 0, occupancy 0).
///
/// The search starts at the larger of the first stable count (`floor(A) + 1`) and the count the
/// occupancy cap allows, where service level is at its worst, and steps up one agent at a time
/// carrying Erlang B along (service level only rises with agents), so the cost is one pass of
/// the recurrence up to about `A` plus a few steps.
pub fn required_agents(t: &Traffic, target: &Target) -> Result<Staffing, ErlangError> {
    t.check()?;
    target.check()?;
    let erlangs = t.erlangs();
    if erlangs == 0.0 {
        return Ok(Staffing {
            agents_on_phone: 0,
            agents_scheduled: 0,
            service_level: 1.0,
            asa_seconds: 0.0,
            occupancy: 0.0,
            probability_of_waiting: 0.0,
        });
    }
    let too_many = ErlangError::TooManyAgents { erlangs };
    let by_occupancy = fewest_within_occupancy(erlangs, target.max_occupancy).ok_or(too_many)?;
    let stable = erlangs.floor() + 1.0;
    let start = to_agents(stable).ok_or(too_many)?.max(by_occupancy);

    let mut b = ErlangB::at(start, erlangs);
    loop {
        let agents = b.agents();
        let waiting = b.probability_of_waiting();
        let service_level = service_level_from(
            agents,
            erlangs,
            waiting,
            t.aht_seconds,
            target.answer_seconds,
        );
        if service_level >= target.service_level {
            let scheduled = f64::from(agents) / (1.0 - target.shrinkage);
            let agents_scheduled = to_agents(round_up(scheduled)).ok_or(too_many)?;
            return Ok(Staffing {
                agents_on_phone: agents,
                agents_scheduled,
                service_level,
                asa_seconds: average_speed_of_answer_from(agents, erlangs, waiting, t.aht_seconds),
                occupancy: occupancy_of(agents, erlangs),
                probability_of_waiting: waiting,
            });
        }
        if agents == u32::MAX {
            return Err(too_many);
        }
        b.add_agent();
    }
}

/// The fewest agents with `A / N <= max_occupancy`, checked with the same division that
/// reports occupancy so the two never disagree by a rounding.
fn fewest_within_occupancy(erlangs: f64, max_occupancy: f64) -> Option<u32> {
    let mut agents = to_agents(round_up(erlangs / max_occupancy))?.max(1);
    while agents > 1 && occupancy_of(agents - 1, erlangs) <= max_occupancy {
        agents -= 1;
    }
    while occupancy_of(agents, erlangs) > max_occupancy {
        agents = agents.checked_add(1)?;
    }
    Some(agents)
}

fn round_up(x: f64) -> f64 {
    (x * (1.0 - ROUNDING_SLACK)).ceil()
}

fn to_agents(x: f64) -> Option<u32> {
    (x <= f64::from(u32::MAX)).then_some(x as u32)
}
