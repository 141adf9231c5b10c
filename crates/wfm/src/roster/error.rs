//! Checking an [`Instance`] before anything is computed from it, so that the solver, coverage
//! and the rule checks can index demand, templates and queues without guarding every access,
//! and so that the user learns which field to fix rather than getting a wrong roster.

use super::model::{AgentIx, Instance, QueueIx, TemplateIx};
use thiserror::Error;

/// Why an instance cannot be solved as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InstanceError {
    #[error("interval length must be 15, 30 or 60 minutes, not {0}")]
    IntervalLength(u32),
    #[error("the horizon has no days")]
    NoDays,
    #[error("there must be at least one queue")]
    NoQueues,
    #[error("demand has {found} queue rows but there are {expected} queues")]
    DemandQueues { expected: usize, found: usize },
    #[error("demand for queue {queue} has {found} intervals, expected {expected} (days × intervals per day)")]
    DemandLength {
        queue: QueueIx,
        expected: usize,
        found: usize,
    },
    #[error("special_days has {found} entries, expected one per day ({expected})")]
    SpecialDays { expected: usize, found: usize },
    #[error("template {template}: length must be between one interval and 24 hours")]
    TemplateLength { template: TemplateIx },
    #[error("template {template}: start, length and breaks must fall on interval boundaries")]
    TemplateAlignment { template: TemplateIx },
    #[error("template {template}: start must be within the day (0–1439 minutes)")]
    TemplateStart { template: TemplateIx },
    #[error("template {template}: a break lies outside the shift")]
    BreakOutsideShift { template: TemplateIx },
    #[error("agent {agent}: is skilled for no queue")]
    NoSkill { agent: AgentIx },
    #[error("agent {agent}: queue index {queue} does not exist")]
    QueueIndex { agent: AgentIx, queue: QueueIx },
    #[error("agent {agent}: template index {template} does not exist")]
    TemplateIndex {
        agent: AgentIx,
        template: TemplateIx,
    },
    #[error("agent {agent}: day {day} is outside the horizon")]
    DayOutsideHorizon { agent: AgentIx, day: u32 },
    #[error("agent {agent}: contract ({contract} min) exceeds the weekly maximum ({max} min)")]
    ContractAboveMax {
        agent: AgentIx,
        contract: u32,
        max: u32,
    },
    #[error("agent {agent}: an unavailable period ends before it starts")]
    UnavailablePeriod { agent: AgentIx },
    #[error("agent {agent}: two locked shifts on day {day}")]
    FixedTwice { agent: AgentIx, day: u32 },
    #[error("agent {agent}: the locked shift on day {day} breaks a hard rule ({rule})")]
    FixedBreaksRule {
        agent: AgentIx,
        day: u32,
        rule: String,
    },
}

impl Instance {
    /// Checks shapes, indexes and alignment, and that the locked shifts alone keep every hard
    /// rule. Adding shifts never repairs a broken rule, so when the locked shifts pass, the
    /// roster holding only them is feasible and the solver always has a roster to start from.
    pub fn validate(&self) -> Result<(), InstanceError> {
        if ![15, 30, 60].contains(&self.interval_minutes) {
            return Err(InstanceError::IntervalLength(self.interval_minutes));
        }
        if self.days == 0 {
            return Err(InstanceError::NoDays);
        }
        if self.queues.is_empty() {
            return Err(InstanceError::NoQueues);
        }
        if self.demand.len() != self.queues.len() {
            return Err(InstanceError::DemandQueues {
                expected: self.queues.len(),
                found: self.demand.len(),
            });
        }
        let slots = self.days as usize * self.intervals_per_day();
        for (queue, row) in self.demand.iter().enumerate() {
            if row.len() != slots {
                return Err(InstanceError::DemandLength {
                    queue,
                    expected: slots,
                    found: row.len(),
                });
            }
        }
        if self.special_days.len() != self.days as usize {
            return Err(InstanceError::SpecialDays {
                expected: self.days as usize,
                found: self.special_days.len(),
            });
        }
        self.validate_templates()?;
        self.validate_agents()?;
        self.validate_fixed()
    }

    fn validate_templates(&self) -> Result<(), InstanceError> {
        let step = self.interval_minutes;
        for (template, t) in self.templates.iter().enumerate() {
            if t.length_minutes < step || t.length_minutes > 24 * 60 {
                return Err(InstanceError::TemplateLength { template });
            }
            if t.start_minute >= 24 * 60 {
                return Err(InstanceError::TemplateStart { template });
            }
            let aligned = t.start_minute % step == 0
                && t.length_minutes % step == 0
                && t.breaks
                    .iter()
                    .all(|b| b.offset_minutes % step == 0 && b.minutes % step == 0);
            if !aligned {
                return Err(InstanceError::TemplateAlignment { template });
            }
            if t.breaks
                .iter()
                .any(|b| b.offset_minutes + b.minutes > t.length_minutes)
            {
                return Err(InstanceError::BreakOutsideShift { template });
            }
        }
        Ok(())
    }

    fn validate_agents(&self) -> Result<(), InstanceError> {
        for (agent, a) in self.agents.iter().enumerate() {
            if a.queues.is_empty() {
                return Err(InstanceError::NoSkill { agent });
            }
            let queue_ok = |queue: QueueIx| {
                if queue < self.queues.len() {
                    Ok(())
                } else {
                    Err(InstanceError::QueueIndex { agent, queue })
                }
            };
            let template_ok = |template: TemplateIx| {
                if template < self.templates.len() {
                    Ok(())
                } else {
                    Err(InstanceError::TemplateIndex { agent, template })
                }
            };
            let day_ok = |day: u32| {
                if day < self.days {
                    Ok(())
                } else {
                    Err(InstanceError::DayOutsideHorizon { agent, day })
                }
            };
            a.queues.iter().try_for_each(|&q| queue_ok(q))?;
            a.allowed_templates
                .iter()
                .try_for_each(|&t| template_ok(t))?;
            a.leave_days.iter().try_for_each(|&d| day_ok(d))?;
            if a.contract_week_minutes > a.max_week_minutes {
                return Err(InstanceError::ContractAboveMax {
                    agent,
                    contract: a.contract_week_minutes,
                    max: a.max_week_minutes,
                });
            }
            for u in &a.unavailable {
                day_ok(u.day)?;
                if u.end_minute < u.start_minute {
                    return Err(InstanceError::UnavailablePeriod { agent });
                }
            }
            let mut seen = vec![false; self.days as usize];
            for f in &a.fixed {
                day_ok(f.day)?;
                queue_ok(f.queue)?;
                if let Some(t) = f.template {
                    template_ok(t)?;
                }
                if std::mem::replace(&mut seen[f.day as usize], true) {
                    return Err(InstanceError::FixedTwice { agent, day: f.day });
                }
            }
        }
        Ok(())
    }

    fn validate_fixed(&self) -> Result<(), InstanceError> {
        let roster = super::rules::fixed_roster(self);
        match super::rules::violations(self, &roster).first() {
            None => Ok(()),
            Some(v) => {
                let (agent, day) = v.agent_day();
                Err(InstanceError::FixedBreaksRule {
                    agent,
                    day,
                    rule: v.rule_name().to_string(),
                })
            }
        }
    }
}
