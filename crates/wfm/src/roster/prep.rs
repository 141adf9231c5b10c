//! The instance turned into the tables the solver reads in its inner loop: each template's
//! covered intervals, and for every agent and day the shifts the static rules allow (leave,
//! unavailability, skills, allowed templates, on-site/on-call, locked cells). The rules that
//! depend on other days (rest, consecutive days, weekly hours) are checked by the search state.

use super::model::{Assignment, Instance};
use super::rules::{covered_offsets, worked_minutes, DAY};
use super::score::FairBasis;

/// A template in grid terms.
#[derive(Debug, Clone)]
pub(crate) struct Tpl {
    /// Interval of the day the shift starts in.
    pub first: usize,
    /// Covered intervals as offsets from `first` (breaks left out).
    pub offsets: Vec<usize>,
    pub worked: u32,
    /// Start and end in minutes from 00:00 of the shift's day.
    pub start: u32,
    pub end: u32,
    pub on_call: bool,
    pub evening: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub ipd: usize,
    pub slots: usize,
    pub days: usize,
    pub weeks: usize,
    pub queues: usize,
    pub tpl: Vec<Tpl>,
    /// `options[agent][day]`: the shifts the static rules allow (for a locked cell, only the
    /// locked shift).
    pub options: Vec<Vec<Vec<Assignment>>>,
    /// `locked[agent][day]`: the solver must not change the cell.
    pub locked: Vec<Vec<bool>>,
    /// The same options as a bitset per agent and day (bit `template * queues + queue`), for
    /// constant-time membership.
    permit: Vec<u64>,
    words: usize,
    pub basis: FairBasis,
}

impl Prepared {
    /// Assumes `inst.validate()` passed.
    pub fn new(inst: &Instance) -> Prepared {
        let ipd = inst.intervals_per_day();
        let days = inst.days as usize;
        let basis = FairBasis::new(inst);
        let tpl: Vec<Tpl> = inst
            .templates
            .iter()
            .enumerate()
            .map(|(i, t)| Tpl {
                first: (t.start_minute / inst.interval_minutes) as usize,
                offsets: covered_offsets(inst, t),
                worked: worked_minutes(t),
                start: t.start_minute,
                end: t.start_minute + t.length_minutes,
                on_call: t.on_call,
                evening: basis.evening[i],
            })
            .collect();
        let mut options = Vec::with_capacity(inst.agents.len());
        let mut locked = Vec::with_capacity(inst.agents.len());
        for a in &inst.agents {
            let mut rows = vec![Vec::new(); days];
            let mut lock = vec![false; days];
            for (d, row) in rows.iter_mut().enumerate() {
                if let Some(f) = a.fixed.iter().find(|f| f.day as usize == d) {
                    lock[d] = true;
                    if let Some(template) = f.template {
                        row.push(Assignment {
                            template,
                            queue: f.queue,
                        });
                    }
                    continue;
                }
                if a.leave_days.contains(&(d as u32)) {
                    continue;
                }
                for (ti, t) in tpl.iter().enumerate() {
                    let allowed = (a.allowed_templates.is_empty()
                        || a.allowed_templates.contains(&ti))
                        && if t.on_call { a.on_call } else { a.on_site }
                        && t.worked <= a.max_week_minutes;
                    let start = d as u32 * DAY + t.start;
                    let end = d as u32 * DAY + t.end;
                    let free = !a.unavailable.iter().any(|u| {
                        start < u.day * DAY + u.end_minute && u.day * DAY + u.start_minute < end
                    });
                    if allowed && free {
                        let mut queues = a.queues.clone();
                        queues.sort_unstable();
                        queues.dedup();
                        for queue in queues {
                            row.push(Assignment {
                                template: ti,
                                queue,
                            });
                        }
                    }
                }
            }
            options.push(rows);
            locked.push(lock);
        }
        let queues = inst.queues.len();
        let words = (inst.templates.len() * queues).div_ceil(64).max(1);
        let mut permit = vec![0u64; inst.agents.len() * days * words];
        for (a, rows) in options.iter().enumerate() {
            for (d, row) in rows.iter().enumerate() {
                for o in row {
                    let bit = o.template * queues + o.queue;
                    permit[(a * days + d) * words + bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        Prepared {
            ipd,
            slots: days * ipd,
            days,
            weeks: days.div_ceil(7),
            queues,
            tpl,
            options,
            locked,
            permit,
            words,
            basis,
        }
    }

    /// Whether the static rules allow this shift in this cell.
    pub fn permits(&self, agent: usize, day: usize, o: Assignment) -> bool {
        let bit = o.template * self.queues + o.queue;
        self.permit[(agent * self.days + day) * self.words + bit / 64] >> (bit % 64) & 1 == 1
    }

    /// The slots a shift on `day` covers, clipped to the horizon.
    pub fn slots_of(&self, day: usize, template: usize) -> impl Iterator<Item = usize> + '_ {
        let (base, end) = self.span(day, template);
        self.tpl[template]
            .offsets
            .iter()
            .map(move |&k| base + k)
            .take_while(move |&s| s < end)
    }

    /// A shift on `day` covers `base + offset` for the template's offsets below `end`
    /// (`end` clipped to the horizon: a shift may run past the last day's end).
    pub fn span(&self, day: usize, template: usize) -> (usize, usize) {
        let t = &self.tpl[template];
        let base = day * self.ipd + t.first;
        let end = self.slots.min(base + t.offsets.last().map_or(0, |k| k + 1));
        (base, end)
    }
}
