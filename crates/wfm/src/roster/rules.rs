//! The hard rules (never broken by the solver) and the geometry of a shift in the grid. The
//! server calls [`violations`] on every hand edit and swap, so it is one pass over the roster.

use super::model::{AgentIx, Assignment, Instance, Roster, ShiftTemplate};
use serde::Serialize;

/// Minutes in a day.
pub(crate) const DAY: u32 = 24 * 60;

/// A hard rule broken by a roster, with the agent and the day (or week) it happens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Violation {
    /// A shift on a day of approved leave.
    Leave { agent: AgentIx, day: u32 },
    /// A shift overlapping a period the agent is unavailable.
    Unavailable { agent: AgentIx, day: u32 },
    /// Too little rest before the shift on `day` (overlapping shifts included).
    Rest { agent: AgentIx, day: u32 },
    /// `day` makes the run of working days longer than allowed.
    Consecutive { agent: AgentIx, day: u32 },
    /// Worked minutes above the agent's weekly maximum in 7-day week `week`.
    WeekHours { agent: AgentIx, week: u32 },
    /// A template the agent is not allowed to work.
    TemplateNotAllowed { agent: AgentIx, day: u32 },
    /// A queue the agent is not skilled for.
    Skill { agent: AgentIx, day: u32 },
    /// An on-site shift for an agent who works on call only.
    OnSite { agent: AgentIx, day: u32 },
    /// An on-call shift for an agent who does not take on-call duty.
    OnCall { agent: AgentIx, day: u32 },
    /// A locked cell that was changed.
    Fixed { agent: AgentIx, day: u32 },
    /// A template index that does not exist.
    UnknownTemplate { agent: AgentIx, day: u32 },
    /// A queue index that does not exist.
    UnknownQueue { agent: AgentIx, day: u32 },
    /// The roster does not have one row per agent and one cell per day (`agent` is the first
    /// row that is wrong or missing).
    RosterShape { agent: AgentIx },
}

impl Violation {
    /// The agent and the day (the first day of the week for [`Violation::WeekHours`]).
    pub fn agent_day(&self) -> (AgentIx, u32) {
        use Violation::*;
        match *self {
            Leave { agent, day }
            | Unavailable { agent, day }
            | Rest { agent, day }
            | Consecutive { agent, day }
            | TemplateNotAllowed { agent, day }
            | Skill { agent, day }
            | OnSite { agent, day }
            | OnCall { agent, day }
            | Fixed { agent, day }
            | UnknownTemplate { agent, day }
            | UnknownQueue { agent, day } => (agent, day),
            WeekHours { agent, week } => (agent, week * 7),
            RosterShape { agent } => (agent, 0),
        }
    }

    /// The rule's stable name (the serialized tag).
    pub fn rule_name(&self) -> &'static str {
        use Violation::*;
        match self {
            Leave { .. } => "leave",
            Unavailable { .. } => "unavailable",
            Rest { .. } => "rest",
            Consecutive { .. } => "consecutive",
            WeekHours { .. } => "week_hours",
            TemplateNotAllowed { .. } => "template_not_allowed",
            Skill { .. } => "skill",
            OnSite { .. } => "on_site",
            OnCall { .. } => "on_call",
            Fixed { .. } => "fixed",
            UnknownTemplate { .. } => "unknown_template",
            UnknownQueue { .. } => "unknown_queue",
            RosterShape { .. } => "roster_shape",
        }
    }
}

/// Minutes actually worked in a shift: its length less its unpaid breaks.
pub(crate) fn worked_minutes(t: &ShiftTemplate) -> u32 {
    let breaks: u32 = t.breaks.iter().map(|b| b.minutes).sum();
    t.length_minutes.saturating_sub(breaks)
}

/// The intervals a shift covers on the instance's grid (see
/// [`ShiftTemplate::covered_offsets`]).
pub(crate) fn covered_offsets(inst: &Instance, t: &ShiftTemplate) -> Vec<usize> {
    t.covered_offsets(inst.interval_minutes)
}

/// The roster holding only the locked shifts.
pub(crate) fn fixed_roster(inst: &Instance) -> Roster {
    let mut roster = Roster::empty(inst.agents.len(), inst.days);
    for (a, agent) in inst.agents.iter().enumerate() {
        for f in &agent.fixed {
            if let Some(template) = f.template {
                roster.shifts[a][f.day as usize] = Some(Assignment {
                    template,
                    queue: f.queue,
                });
            }
        }
    }
    roster
}

/// Every hard rule the roster breaks; empty means the roster may be published. One pass over
/// the cells (plus the agents' leave, unavailable periods and locked cells).
pub fn violations(inst: &Instance, roster: &Roster) -> Vec<Violation> {
    let mut out = Vec::new();
    let days = inst.days as usize;
    for (agent, a) in inst.agents.iter().enumerate() {
        let Some(row) = roster.shifts.get(agent).filter(|r| r.len() == days) else {
            out.push(Violation::RosterShape { agent });
            return out;
        };
        let mut run = 0u32;
        let mut week_minutes = 0u32;
        let mut last_end: Option<u32> = None;
        for (d, cell) in row.iter().enumerate() {
            let day = d as u32;
            match cell.map(|c| (c, inst.templates.get(c.template))) {
                None => run = 0,
                Some((_, None)) => {
                    out.push(Violation::UnknownTemplate { agent, day });
                    run = 0;
                }
                Some((c, Some(t))) => {
                    check_cell(inst, agent, day, c, t, &mut out);
                    run += 1;
                    if run == a.max_consecutive_days + 1 {
                        out.push(Violation::Consecutive { agent, day });
                    }
                    let start = day * DAY + t.start_minute;
                    if last_end.is_some_and(|end| start < end + a.min_rest_minutes) {
                        out.push(Violation::Rest { agent, day });
                    }
                    last_end = Some(start + t.length_minutes);
                    week_minutes += worked_minutes(t);
                }
            }
            if d % 7 == 6 || d + 1 == days {
                if week_minutes > a.max_week_minutes {
                    out.push(Violation::WeekHours {
                        agent,
                        week: day / 7,
                    });
                }
                week_minutes = 0;
            }
        }
        for f in &a.fixed {
            let want = f.template.map(|template| Assignment {
                template,
                queue: f.queue,
            });
            if row.get(f.day as usize).copied() != Some(want) {
                out.push(Violation::Fixed { agent, day: f.day });
            }
        }
    }
    if roster.shifts.len() > inst.agents.len() {
        out.push(Violation::RosterShape {
            agent: inst.agents.len(),
        });
    }
    out
}

/// The rules that depend on one cell only.
fn check_cell(
    inst: &Instance,
    agent: AgentIx,
    day: u32,
    c: Assignment,
    t: &ShiftTemplate,
    out: &mut Vec<Violation>,
) {
    let a = &inst.agents[agent];
    if c.queue >= inst.queues.len() {
        out.push(Violation::UnknownQueue { agent, day });
    } else if !a.queues.contains(&c.queue) {
        out.push(Violation::Skill { agent, day });
    }
    if !a.allowed_templates.is_empty() && !a.allowed_templates.contains(&c.template) {
        out.push(Violation::TemplateNotAllowed { agent, day });
    }
    if t.on_call && !a.on_call {
        out.push(Violation::OnCall { agent, day });
    }
    if !t.on_call && !a.on_site {
        out.push(Violation::OnSite { agent, day });
    }
    if a.leave_days.contains(&day) {
        out.push(Violation::Leave { agent, day });
    }
    let start = day * DAY + t.start_minute;
    let end = start + t.length_minutes;
    if a.unavailable.iter().any(|u| {
        let (us, ue) = (u.day * DAY + u.start_minute, u.day * DAY + u.end_minute);
        start < ue && us < end
    }) {
        out.push(Violation::Unavailable { agent, day });
    }
}
