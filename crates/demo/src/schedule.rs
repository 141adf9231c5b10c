//! The demo's shift operations (handbook document 10): shifts a 09:00–17:00 and b
//! 12:00–20:00 on site, c 20:00–22:00 on call from home; the four 客服专员 on the schedule
//! with a three-week rotation; tonight's on-duty lead. The shift lead generates the roster
//! from there.

use super::{actor, DemoError};
use chrono::{DateTime, Duration, Utc};
use kefu_domain::schedule::{AgentRules, ShiftTemplateSpec};
use kefu_store::schedule::NewDuty;
use kefu_store::Db;
use std::collections::HashMap;

const TEMPLATES: &[(&str, &str, u32, u32, bool, &str)] = &[
    ("a", "早班", 9 * 60, 8 * 60, false, "#cfe2ff"),
    ("b", "中班", 12 * 60, 8 * 60, false, "#d1e7dd"),
    ("c", "晚间值守", 20 * 60, 2 * 60, true, "#fff3cd"),
];

/// The handbook's four agents.
pub(crate) const AGENTS: &[&str] = &["agent1", "agent2", "agent3", "agent4"];

pub(crate) async fn load(
    db: &Db,
    now: DateTime<Utc>,
    users: &HashMap<&'static str, String>,
) -> Result<usize, DemoError> {
    if !db.list_shift_templates().await?.is_empty() {
        return Ok(0);
    }
    let actor = actor();
    for (code, name, start, length, on_call, color) in TEMPLATES {
        let spec = ShiftTemplateSpec {
            code: code.to_string(),
            name: name.to_string(),
            start_minute: *start,
            length_minutes: *length,
            breaks: Vec::new(),
            on_call: *on_call,
            color: color.to_string(),
        };
        db.save_shift_template(&actor, now, None, &spec, true)
            .await?;
    }
    // 21 shifts a week (a, b and c every day) over four people: 5–6 days and about
    // 32 hours each.
    let rules = AgentRules {
        contract_week_minutes: 32 * 60,
        max_week_minutes: 40 * 60,
        ..AgentRules::default()
    };
    for username in AGENTS {
        db.save_schedule_agent(&actor, now, &users[username], &rules)
            .await?;
    }
    let today = (now + Duration::hours(8)).format("%Y-%m-%d").to_string();
    db.create_duty(
        &actor,
        now,
        &NewDuty {
            day: today,
            kind: "night".into(),
            staff_id: users["lead"].clone(),
            phone: "400-800-1234".into(),
            note: "夜间紧急事件先电话联系值班班长".into(),
        },
    )
    .await?;
    Ok(TEMPLATES.len())
}
