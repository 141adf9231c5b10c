//! The roster problem as the solver sees it: a horizon of days cut into equal intervals, the
//! agents required per interval and queue, shift templates, agents with their hard rules, and
//! the roster (one shift or a day off per agent per day) that comes out.
//!
//! Minutes are counted from 00:00 of the day a shift starts; a shift may run past midnight
//! (start 22:00, length 8 h) and then covers the first intervals of the next day.

use serde::{Deserialize, Serialize};

/// Index of an agent in [`Instance::agents`].
pub type AgentIx = usize;
/// Index of a template in [`Instance::templates`].
pub type TemplateIx = usize;
/// Index of a queue in [`Instance::queues`].
pub type QueueIx = usize;

/// Everything the solver needs. Built by the server from the database; validated by
/// [`Instance::validate`] before solving.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    /// Number of days in the horizon (day 0 is the first).
    pub days: u32,
    /// Interval length in minutes: 15, 30 or 60.
    pub interval_minutes: u32,
    /// Queue names, e.g. `["咨询", "投诉"]`. At least one.
    pub queues: Vec<String>,
    /// Required agents: `demand[queue][day * intervals_per_day() + interval]`, the grid covering
    /// every interval of every day from 00:00.
    pub demand: Vec<Vec<u32>>,
    pub templates: Vec<ShiftTemplate>,
    pub agents: Vec<Agent>,
    /// Days that count as weekend or holiday for fairness (`len == days`).
    pub special_days: Vec<bool>,
    pub fairness: Fairness,
}

impl Instance {
    pub fn intervals_per_day(&self) -> usize {
        (24 * 60 / self.interval_minutes.max(1)) as usize
    }
}

/// A shift template: 班次 a 09:00–17:00, b 12:00–20:00, c 20:00–22:00 on call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShiftTemplate {
    /// Short code shown in the grid ("a", "b", "c").
    pub code: String,
    /// Minutes from 00:00 of the day the shift starts.
    pub start_minute: u32,
    /// Length in minutes including breaks.
    pub length_minutes: u32,
    /// Unpaid breaks inside the shift; intervals inside a break do not count as coverage.
    pub breaks: Vec<Break>,
    /// Worked on call from home (the handbook's shift c) rather than on site.
    pub on_call: bool,
}

impl ShiftTemplate {
    /// The intervals of `step` minutes the shift covers, as offsets from the interval it
    /// starts in; intervals inside a break are left out. Assumes an aligned template.
    pub fn covered_offsets(&self, step: u32) -> Vec<usize> {
        let step = step.max(1);
        (0..self.length_minutes / step)
            .filter(|k| {
                let m = k * step;
                !self
                    .breaks
                    .iter()
                    .any(|b| m >= b.offset_minutes && m < b.offset_minutes + b.minutes)
            })
            .map(|k| k as usize)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Break {
    /// Minutes from the start of the shift.
    pub offset_minutes: u32,
    pub minutes: u32,
}

/// An agent with the hard rules the solver never breaks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agent {
    /// Stable identifier (the staff id in the server); only echoed back.
    pub id: String,
    /// Queues the agent is skilled for (indexes into [`Instance::queues`]). At least one.
    pub queues: Vec<QueueIx>,
    /// Worked minutes (shift length minus breaks) per 7-day week of the horizon: never above
    /// `max_week_minutes`; the solver aims at `contract_week_minutes`.
    pub contract_week_minutes: u32,
    pub max_week_minutes: u32,
    /// Longest run of consecutive working days (the horizon is taken as starting rested).
    pub max_consecutive_days: u32,
    /// Minimum minutes between the end of one shift and the start of the next.
    pub min_rest_minutes: u32,
    /// May work on-site shifts / on-call shifts.
    pub on_site: bool,
    pub on_call: bool,
    /// Templates the agent may work; empty means every template.
    pub allowed_templates: Vec<TemplateIx>,
    /// Days the agent cannot work at all (approved leave, days off requested).
    pub leave_days: Vec<u32>,
    /// Periods the agent is unavailable: a shift overlapping one is not allowed.
    pub unavailable: Vec<Unavailable>,
    /// Shifts fixed in advance (edited by hand and locked); the solver keeps them as they are.
    pub fixed: Vec<FixedShift>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Unavailable {
    pub day: u32,
    /// Minutes from 00:00 of `day`; `end_minute` may exceed 1440.
    pub start_minute: u32,
    pub end_minute: u32,
}

/// A locked cell of the roster: `template == None` is a locked day off.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FixedShift {
    pub day: u32,
    pub template: Option<TemplateIx>,
    pub queue: QueueIx,
}

/// Soft rules: spread evenings, on-call, weekends and holidays evenly, and follow a rotation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fairness {
    /// A shift ending after this minute of its day counts as an evening shift.
    pub evening_after_minute: u32,
    /// Rotation cycle in weeks (the handbook's three-week cycle); 0 means no rotation. With a
    /// rotation the solver prefers each agent's week `w` to repeat week `w - cycle` shifted by
    /// one agent, so the burden moves round the team.
    pub rotation_weeks: u32,
}

impl Default for Fairness {
    fn default() -> Self {
        Fairness {
            evening_after_minute: 19 * 60,
            rotation_weeks: 0,
        }
    }
}

/// One cell of the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub template: TemplateIx,
    /// The queue the agent serves during this shift.
    pub queue: QueueIx,
}

/// The roster: `shifts[agent][day]`, `None` is a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub shifts: Vec<Vec<Option<Assignment>>>,
}

impl Roster {
    pub fn empty(agents: usize, days: u32) -> Roster {
        Roster {
            shifts: vec![vec![None; days as usize]; agents],
        }
    }
}
