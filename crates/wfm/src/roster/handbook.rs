//! The handbook's own roster problem (document 10 of `seed/`): four agents, shift a 09:00–17:00
//! and b 12:00–20:00 on site, c 20:00–22:00 on call from home, one agent required every
//! interval from 09:00 to 24:00 every day, over whole weeks of the three-week cycle. The demo
//! center and the tests start from it.

use super::model::{Agent, Fairness, Instance, ShiftTemplate};

/// The handbook's case for `weeks` weeks at 30-minute intervals. Each agent is contracted for
/// 32 hours (the 126 hours a week of a, b and c shared by four), at most 40, six days in a
/// row, 11 hours' rest (c ends at 22:00, a starts at 09:00), and takes on-call duty. Saturday
/// and Sunday (days 5 and 6 of each week) are the special days.
pub fn handbook(weeks: u32) -> Instance {
    let shift = |code: &str, start_h: u32, hours: u32, on_call: bool| ShiftTemplate {
        code: code.to_string(),
        start_minute: start_h * 60,
        length_minutes: hours * 60,
        breaks: vec![],
        on_call,
    };
    let days = weeks * 7;
    let agents = (1..=4)
        .map(|i| Agent {
            id: format!("agent-{i}"),
            queues: vec![0],
            contract_week_minutes: 32 * 60,
            max_week_minutes: 40 * 60,
            max_consecutive_days: 6,
            min_rest_minutes: 11 * 60,
            on_site: true,
            on_call: true,
            allowed_templates: vec![],
            leave_days: vec![],
            unavailable: vec![],
            fixed: vec![],
        })
        .collect();
    let ipd = 48;
    let demand = (0..days as usize * ipd)
        .map(|s| u32::from(s % ipd >= 18))
        .collect();
    Instance {
        days,
        interval_minutes: 30,
        queues: vec!["咨询".to_string()],
        demand: vec![demand],
        templates: vec![
            shift("a", 9, 8, false),
            shift("b", 12, 8, false),
            shift("c", 20, 2, true),
        ],
        agents,
        special_days: (0..days).map(|d| d % 7 >= 5).collect(),
        fairness: Fairness {
            rotation_weeks: 3,
            ..Fairness::default()
        },
    }
}
