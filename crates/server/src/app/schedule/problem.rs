//! From the database to the solver and back: the period's problem (requirement per
//! interval and queue, templates, agents with their leave and locked shifts, weekends and
//! holidays), the solver's roster as stored shifts, and stored shifts as a roster to check.

use super::center_midnight;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, Duration, NaiveDate};
use kefu_domain::calendar::DayKind;
use kefu_domain::schedule::{CoverageRule, LeaveStatus, ScheduleSettings};
use kefu_store::schedule::{NewShift, ScheduleAgentRow, ShiftRow, ShiftTemplateRow};
use kefu_wfm::roster::{
    Agent, Assignment, Break, Fairness, FixedShift, Instance, Roster, ShiftTemplate,
};
use std::collections::{BTreeSet, HashMap};

/// A period's problem with the records it was built from.
pub struct Built {
    pub instance: Instance,
    pub staff: Vec<ScheduleAgentRow>,
    pub dates: Vec<NaiveDate>,
}

/// The requirement of standing rules: for each queue and slot the largest `agents` of the
/// rules that apply (rules for the same queue do not add up).
pub fn rule_demand(settings: &ScheduleSettings, dates: &[NaiveDate]) -> Vec<Vec<u32>> {
    let per_day = (1440 / settings.interval_minutes) as usize;
    let mut demand = vec![vec![0u32; per_day * dates.len()]; settings.queues.len()];
    for (q, queue) in settings.queues.iter().enumerate() {
        let rules: Vec<&CoverageRule> = settings
            .coverage
            .iter()
            .filter(|r| r.queue == queue.name)
            .collect();
        for (d, date) in dates.iter().enumerate() {
            let weekday = date.weekday().number_from_monday() as u8;
            for r in rules.iter().filter(|r| r.weekdays.contains(&weekday)) {
                let from = (r.start_minute / settings.interval_minutes) as usize;
                let to = (r.end_minute / settings.interval_minutes) as usize;
                for slot in &mut demand[q][d * per_day + from..d * per_day + to] {
                    *slot = (*slot).max(r.agents);
                }
            }
        }
    }
    demand
}

/// The dates of a period.
pub fn dates_of(start: NaiveDate, days: u32) -> Vec<NaiveDate> {
    (0..days as i64)
        .map(|d| start + Duration::days(d))
        .collect()
}

/// Builds the problem for `days` days from `start`. `locked` are hand-set shifts a
/// regeneration keeps; `extra_demand` (from the forecast) raises the requirement.
pub async fn build(
    state: &AppState,
    start: NaiveDate,
    days: u32,
    locked: &[ShiftRow],
    extra_demand: Option<Vec<Vec<u32>>>,
) -> Result<Built, AppError> {
    let db = state.db();
    let settings = db.get_schedule_settings().await?;
    let templates: Vec<ShiftTemplateRow> = db
        .list_shift_templates()
        .await?
        .into_iter()
        .filter(|t| t.active)
        .collect();
    if templates.is_empty() {
        return Err(AppError::invalid(
            "schedule.no_templates",
            "define at least one active shift template first",
        ));
    }
    let staff: Vec<ScheduleAgentRow> = db
        .list_schedule_agents()
        .await?
        .into_iter()
        .filter(|a| a.active)
        .collect();
    if staff.is_empty() {
        return Err(AppError::invalid(
            "schedule.no_agents",
            "put at least one agent on the schedule first",
        ));
    }
    let dates = dates_of(start, days);
    let (first, last) = (
        day_code(dates[0]),
        day_code(*dates.last().expect("days ≥ 1")),
    );
    let leave = db
        .list_leave(
            None,
            Some(LeaveStatus::Approved),
            Some((&first, &last)),
            10_000,
        )
        .await?;
    let calendar_days = db.list_calendar_days(None).await?;
    let holidays: BTreeSet<NaiveDate> = calendar_days
        .iter()
        .filter(|l| matches!(l.kind, DayKind::Holiday))
        .map(|l| l.date)
        .collect();
    let makeup: BTreeSet<NaiveDate> = calendar_days
        .iter()
        .filter(|l| !matches!(l.kind, DayKind::Holiday))
        .map(|l| l.date)
        .collect();
    let special_days = dates
        .iter()
        .map(|d| {
            holidays.contains(d) || (d.weekday().number_from_monday() >= 6 && !makeup.contains(d))
        })
        .collect();

    let queue_ix: HashMap<&str, usize> = settings
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| (q.name.as_str(), i))
        .collect();
    let template_ix: HashMap<&str, usize> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| (t.spec.code.as_str(), i))
        .collect();
    let day_ix: HashMap<String, u32> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| (day_code(*d), i as u32))
        .collect();
    let agents = staff
        .iter()
        .map(|a| {
            let r = &a.rules;
            let mut leave_days = BTreeSet::new();
            for l in leave.iter().filter(|l| l.staff_id == a.staff_id) {
                for (code, ix) in &day_ix {
                    if *code >= l.start_date && *code <= l.end_date {
                        leave_days.insert(*ix);
                    }
                }
            }
            let fixed = locked
                .iter()
                .filter(|s| s.staff_id == a.staff_id)
                .filter_map(|s| {
                    Some(FixedShift {
                        day: *day_ix.get(&s.day)?,
                        template: Some(*template_ix.get(s.template_code.as_str())?),
                        queue: *queue_ix.get(s.queue.as_str())?,
                    })
                })
                .collect();
            Agent {
                id: a.staff_id.clone(),
                queues: r
                    .queues
                    .iter()
                    .filter_map(|q| queue_ix.get(q.as_str()).copied())
                    .collect(),
                contract_week_minutes: r.contract_week_minutes,
                max_week_minutes: r.max_week_minutes,
                max_consecutive_days: r.max_consecutive_days,
                min_rest_minutes: r.min_rest_minutes,
                on_site: r.on_site,
                on_call: r.on_call,
                allowed_templates: r
                    .templates
                    .iter()
                    .filter_map(|c| template_ix.get(c.as_str()).copied())
                    .collect(),
                leave_days: leave_days.into_iter().collect(),
                unavailable: Vec::new(),
                fixed,
            }
        })
        .collect();
    let mut demand = rule_demand(&settings, &dates);
    if let Some(extra) = extra_demand {
        for (row, more) in demand.iter_mut().zip(extra) {
            for (slot, m) in row.iter_mut().zip(more) {
                *slot = (*slot).max(m);
            }
        }
    }
    let instance = Instance {
        days,
        interval_minutes: settings.interval_minutes,
        queues: settings.queues.iter().map(|q| q.name.clone()).collect(),
        demand,
        templates: templates.iter().map(template_of).collect(),
        agents,
        special_days,
        fairness: Fairness {
            evening_after_minute: settings.evening_after_minute,
            rotation_weeks: settings.rotation_weeks,
        },
    };
    instance
        .validate()
        .map_err(|e| AppError::invalid("schedule.invalid_problem", e.to_string()))?;
    Ok(Built {
        instance,
        staff,
        dates,
    })
}

fn template_of(t: &ShiftTemplateRow) -> ShiftTemplate {
    ShiftTemplate {
        code: t.spec.code.clone(),
        start_minute: t.spec.start_minute,
        length_minutes: t.spec.length_minutes,
        breaks: t
            .spec
            .breaks
            .iter()
            .map(|b| Break {
                offset_minutes: b.offset_minutes,
                minutes: b.minutes,
            })
            .collect(),
        on_call: t.spec.on_call,
    }
}

/// `YYYY-MM-DD`.
pub fn day_code(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The stored shift for a roster cell.
pub fn shift_of(
    inst: &Instance,
    staff_id: &str,
    date: NaiveDate,
    a: Assignment,
    locked: bool,
) -> NewShift {
    let t = &inst.templates[a.template];
    let starts_at = center_midnight(date) + Duration::minutes(t.start_minute as i64);
    NewShift {
        staff_id: staff_id.to_string(),
        day: day_code(date),
        template_code: t.code.clone(),
        queue: inst.queues[a.queue].clone(),
        starts_at,
        ends_at: starts_at + Duration::minutes(t.length_minutes as i64),
        on_call: t.on_call,
        locked,
    }
}

/// Every shift of a roster, ready to store; cells fixed in the problem stay locked.
pub fn shifts_of(inst: &Instance, dates: &[NaiveDate], roster: &Roster) -> Vec<NewShift> {
    let mut out = Vec::new();
    for (a, agent) in inst.agents.iter().enumerate() {
        for (d, cell) in roster.shifts[a].iter().enumerate() {
            if let Some(x) = cell {
                let locked = agent.fixed.iter().any(|f| f.day as usize == d);
                out.push(shift_of(inst, &agent.id, dates[d], *x, locked));
            }
        }
    }
    out
}

/// Stored shifts as the solver's roster. Shifts of agents, templates or queues the
/// problem does not know (changed since) are left out and named in the second value.
pub fn roster_of(inst: &Instance, start: NaiveDate, shifts: &[ShiftRow]) -> (Roster, Vec<String>) {
    let mut roster = Roster::empty(inst.agents.len(), inst.days);
    let mut unknown = Vec::new();
    for s in shifts {
        let agent = inst.agents.iter().position(|a| a.id == s.staff_id);
        let template = inst
            .templates
            .iter()
            .position(|t| t.code == s.template_code);
        let queue = inst.queues.iter().position(|q| *q == s.queue);
        let day = NaiveDate::parse_from_str(&s.day, "%Y-%m-%d")
            .ok()
            .map(|d| (d - start).num_days())
            .filter(|d| (0..inst.days as i64).contains(d));
        match (agent, template, queue, day) {
            (Some(a), Some(template), Some(queue), Some(d)) => {
                roster.shifts[a][d as usize] = Some(Assignment { template, queue });
            }
            _ => unknown.push(format!("{} {} {}", s.display_name, s.day, s.template_code)),
        }
    }
    (roster, unknown)
}
