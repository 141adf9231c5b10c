//! The schedule's setup (`/schedule/setup`, 班长 with `schedule.manage`): the settings the
//! solver and the forecast work from, the shift templates, and who is on the schedule
//! with their rules. Queues and standing coverage are edited as lines of text, the way a
//! shift lead writes them down — `咨询 240 * chat` is a queue with 4-minute calls fed by
//! every call and the web chat; `咨询 1-7 09:00-24:00 1` asks for one agent from 09:00 to
//! midnight every day (handbook document 10). A line that does not read is refused with
//! its number, and nothing is saved.

use super::back;
use crate::app::schedule::{self, hhmm, AgentView, TemplatePayload, TemplateView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::schedule::{
    AgentRules, CoverageRule, ForecastAdjustment, QueueSetting, ScheduleSettings, ServiceTarget,
    ShiftBreak, ShiftTemplateSpec,
};
use kefu_domain::Permission;
use serde::Deserialize;

const SETUP: &str = "/schedule/setup";

pub fn routes() -> Router<crate::state::AppState> {
    Router::new()
        .route(SETUP, get(setup_page))
        .route("/schedule/setup/settings", post(save_settings))
        .route("/schedule/setup/templates", post(save_template))
        .route("/schedule/setup/agents", post(save_agent))
        .route(
            "/schedule/setup/agents/{staff_id}/remove",
            post(remove_agent),
        )
}

/// The template form's values (a template being edited, or a new one).
struct TemplateFields {
    id: String,
    code: String,
    name: String,
    start: String,
    end: String,
    breaks: String,
    on_call: bool,
    color: String,
    active: bool,
}

/// The agent form's values.
struct AgentFields {
    staff_id: String,
    name: String,
    queues: String,
    contract_hours: String,
    max_hours: String,
    max_consecutive_days: String,
    min_rest_hours: String,
    on_site: bool,
    on_call: bool,
    templates: String,
}

struct AgentRow {
    a: AgentView,
    queues: String,
    hours: String,
    rest: String,
    templates: String,
}

#[derive(Template)]
#[template(path = "schedule_setup.html")]
struct SetupPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    interval_minutes: u32,
    service_level: String,
    answer_seconds: u32,
    shrinkage: String,
    max_occupancy: String,
    use_forecast: bool,
    forecast_weeks: u32,
    rotation_weeks: u32,
    evening_after: String,
    solver_seconds: u32,
    queue_lines: String,
    coverage_lines: String,
    adjustment_lines: String,
    templates: Vec<TemplateView>,
    template: TemplateFields,
    agents: Vec<AgentRow>,
    agent: Option<AgentFields>,
    unscheduled: Vec<(String, String)>,
    new_agent: AgentFields,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
struct SetupQuery {
    /// A template to edit.
    template: Option<String>,
    /// A scheduled agent to edit.
    agent: Option<String>,
    error: Option<String>,
    done: Option<String>,
}

fn percent(x: f64) -> String {
    let p = format!("{:.2}", x * 100.0);
    p.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn hours(minutes: u32) -> String {
    let h = format!("{:.2}", minutes as f64 / 60.0);
    h.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn agent_fields(a: &AgentView) -> AgentFields {
    let r = &a.rules;
    AgentFields {
        staff_id: a.staff_id.clone(),
        name: a.name.clone(),
        queues: r.queues.join(", "),
        contract_hours: hours(r.contract_week_minutes),
        max_hours: hours(r.max_week_minutes),
        max_consecutive_days: r.max_consecutive_days.to_string(),
        min_rest_hours: hours(r.min_rest_minutes),
        on_site: r.on_site,
        on_call: r.on_call,
        templates: r.templates.join(", "),
    }
}

async fn setup_page(page: Page, Query(q): Query<SetupQuery>) -> Result<Response, UiError> {
    let s = &page.state;
    let ctx = &page.ctx;
    ctx.require(Permission::ScheduleManage)
        .map_err(|e| page.error(e))?;
    let settings = schedule::settings(s, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let templates = schedule::templates(s, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let agents = schedule::agents(s, ctx).await.map_err(|e| page.error(e))?;
    let unscheduled = schedule::unscheduled_staff(s, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let template = match templates
        .iter()
        .find(|x| Some(&x.id) == q.template.as_ref())
    {
        Some(x) => TemplateFields {
            id: x.id.clone(),
            code: x.code.clone(),
            name: x.name.clone(),
            start: hhmm(x.start_minute),
            end: hhmm((x.start_minute + x.length_minutes) % 1440),
            breaks: format_breaks(x.start_minute, &x.breaks),
            on_call: x.on_call,
            color: x.color.clone(),
            active: x.active,
        },
        None => TemplateFields {
            id: String::new(),
            code: String::new(),
            name: String::new(),
            start: "09:00".into(),
            end: "17:00".into(),
            breaks: String::new(),
            on_call: false,
            color: "#cfe8ff".into(),
            active: true,
        },
    };
    let agent = agents
        .iter()
        .find(|a| Some(&a.staff_id) == q.agent.as_ref())
        .map(agent_fields);
    let defaults = AgentRules {
        queues: settings.queues.iter().map(|q| q.name.clone()).collect(),
        ..AgentRules::default()
    };
    let new_agent = agent_fields(&AgentView {
        staff_id: String::new(),
        name: String::new(),
        agent_no: None,
        active: true,
        rules: defaults,
    });
    let t = page.t();
    let agents = agents
        .into_iter()
        .map(|a| AgentRow {
            queues: a.rules.queues.join("、"),
            hours: format!(
                "{} / {}",
                hours(a.rules.contract_week_minutes),
                hours(a.rules.max_week_minutes)
            ),
            rest: hours(a.rules.min_rest_minutes),
            templates: if a.rules.templates.is_empty() {
                t.t("schedule.setup_all_templates").to_string()
            } else {
                a.rules.templates.join(", ")
            },
            a,
        })
        .collect();
    Ok(render(&SetupPage {
        chrome: page.chrome("schedule"),
        interval_minutes: settings.interval_minutes,
        service_level: percent(settings.target.service_level),
        answer_seconds: settings.target.answer_seconds,
        shrinkage: percent(settings.target.shrinkage),
        max_occupancy: percent(settings.target.max_occupancy),
        use_forecast: settings.use_forecast,
        forecast_weeks: settings.forecast_weeks,
        rotation_weeks: settings.rotation_weeks,
        evening_after: hhmm(settings.evening_after_minute),
        solver_seconds: settings.solver_seconds,
        queue_lines: format_queues(&settings.queues),
        coverage_lines: format_coverage(&settings.coverage),
        adjustment_lines: format_adjustments(&settings.adjustments),
        templates,
        template,
        agents,
        agent,
        unscheduled,
        new_agent,
        error: q.error,
        done: q
            .done
            .map(|d| t.t(&format!("schedule.done_{d}")).to_string()),
        t,
    }))
}

/// Answers a form: back to the setup page with what happened.
fn answer(r: Result<(), AppError>, done: &str) -> Response {
    match r {
        Ok(()) => back(SETUP, &[("done", done)]),
        Err(e) => back(SETUP, &[("error", &e.to_string())]),
    }
}

fn field_error(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid_field("schedule.invalid", field, message)
}

fn number<T: std::str::FromStr>(field: &'static str, s: &str) -> Result<T, AppError> {
    s.trim()
        .parse()
        .map_err(|_| field_error(field, format!("{:?} is not a number", s.trim())))
}

/// A percentage typed as `80` (or `80%`) as a fraction.
fn fraction(field: &'static str, s: &str) -> Result<f64, AppError> {
    let p: f64 = number(field, s.trim().trim_end_matches(['%', '％']))?;
    Ok(p / 100.0)
}

/// Hours typed as `40` or `7.5`, as whole minutes.
fn minutes_of_hours(field: &'static str, s: &str) -> Result<u32, AppError> {
    let h: f64 = number(field, s)?;
    if !(0.0..=1000.0).contains(&h) {
        return Err(field_error(field, "hours out of range"));
    }
    Ok((h * 60.0).round() as u32)
}

/// `HH:MM` as a minute of the day; `24:00` is 1440.
fn clock(field: &'static str, s: &str) -> Result<u32, AppError> {
    let bad = || field_error(field, format!("{:?} is not a time like 09:30", s.trim()));
    let (h, m) = s.trim().split_once([':', '：']).ok_or_else(bad)?;
    let (h, m): (u32, u32) = (
        h.trim().parse().map_err(|_| bad())?,
        m.trim().parse().map_err(|_| bad())?,
    );
    if m >= 60 || h * 60 + m > 1440 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

/// One queue per line: `name handling-seconds [call-queues|*] [chat]`.
fn parse_queues(text: &str) -> Result<Vec<QueueSetting>, AppError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let w = words(line);
        if w.is_empty() {
            continue;
        }
        let bad = |why: &str| field_error("queues", format!("line {}: {why}", n + 1));
        if w.len() < 2 || w.len() > 4 {
            return Err(bad("write: name, handling seconds, call queues or *, chat"));
        }
        let aht = w[1]
            .parse()
            .map_err(|_| bad("the handling time is seconds, e.g. 240"))?;
        let mut call_queues = Vec::new();
        let mut chats = false;
        for extra in &w[2..] {
            match *extra {
                "chat" | "聊天" => chats = true,
                "*" => call_queues.clear(),
                names => call_queues = list(names),
            }
        }
        out.push(QueueSetting {
            name: w[0].to_string(),
            aht_seconds: aht,
            call_queues,
            chats,
        });
    }
    Ok(out)
}

fn format_queues(queues: &[QueueSetting]) -> String {
    queues
        .iter()
        .map(|q| {
            let calls = if q.call_queues.is_empty() {
                "*".to_string()
            } else {
                q.call_queues.join(",")
            };
            let chat = if q.chats { " chat" } else { "" };
            format!("{} {} {calls}{chat}", q.name, q.aht_seconds)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Weekdays as `1-5`, `6,7` or `1-5,7` (1 = Monday).
fn parse_weekdays(s: &str) -> Option<Vec<u8>> {
    let mut days = Vec::new();
    for part in s.split([',', '，']) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?),
            None => {
                let d = part.trim().parse::<u8>().ok()?;
                (d, d)
            }
        };
        if a > b {
            return None;
        }
        days.extend(a..=b);
    }
    days.sort_unstable();
    days.dedup();
    Some(days)
}

fn format_weekdays(days: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", days[i], days[j])
        } else {
            days[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// One standing requirement per line: `queue weekdays HH:MM-HH:MM agents`.
fn parse_coverage(text: &str) -> Result<Vec<CoverageRule>, AppError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let w = words(line);
        if w.is_empty() {
            continue;
        }
        let bad = |why: &str| field_error("coverage", format!("line {}: {why}", n + 1));
        if w.len() != 4 {
            return Err(bad("write: queue, weekdays, HH:MM-HH:MM, agents"));
        }
        let weekdays = parse_weekdays(w[1]).ok_or_else(|| bad("weekdays are like 1-5 or 6,7"))?;
        let (start_minute, end_minute) =
            period(w[2]).ok_or_else(|| bad("the period is like 09:00-24:00"))?;
        let agents = w[3].parse().map_err(|_| bad("agents is a number"))?;
        out.push(CoverageRule {
            queue: w[0].to_string(),
            weekdays,
            start_minute,
            end_minute,
            agents,
        });
    }
    Ok(out)
}

fn format_coverage(rules: &[CoverageRule]) -> String {
    rules
        .iter()
        .map(|r| {
            format!(
                "{} {} {}-{} {}",
                r.queue,
                format_weekdays(&r.weekdays),
                hhmm(r.start_minute),
                hhmm(r.end_minute),
                r.agents
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A period `HH:MM-HH:MM` as minutes of the day.
fn period(s: &str) -> Option<(u32, u32)> {
    let (from, to) = s.split_once(['-', '–'])?;
    Some((clock("period", from).ok()?, clock("period", to).ok()?))
}

/// One correction to the forecast per line: `YYYY-MM-DD queue|* HH:MM-HH:MM factor`.
fn parse_adjustments(text: &str) -> Result<Vec<ForecastAdjustment>, AppError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let w = words(line);
        if w.is_empty() {
            continue;
        }
        let bad = |why: &str| field_error("adjustments", format!("line {}: {why}", n + 1));
        if w.len() != 4 {
            return Err(bad("write: date, queue or *, HH:MM-HH:MM, factor"));
        }
        let (start_minute, end_minute) =
            period(w[2]).ok_or_else(|| bad("the period is like 09:00-12:00"))?;
        out.push(ForecastAdjustment {
            date: w[0].to_string(),
            queue: w[1].to_string(),
            start_minute,
            end_minute,
            factor: w[3]
                .parse()
                .map_err(|_| bad("the factor is a number, e.g. 1.5"))?,
        });
    }
    Ok(out)
}

fn format_adjustments(adjustments: &[ForecastAdjustment]) -> String {
    adjustments
        .iter()
        .map(|a| {
            format!(
                "{} {} {}-{} {}",
                a.date,
                a.queue,
                hhmm(a.start_minute),
                hhmm(a.end_minute),
                a.factor
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Breaks as `12:00+60, 15:30+15` (clock time + minutes), as offsets from the shift's
/// start (a break after midnight counts from the start too).
fn parse_breaks(start: u32, s: &str) -> Result<Vec<ShiftBreak>, AppError> {
    list(s)
        .iter()
        .map(|b| {
            let bad = || field_error("breaks", format!("{b:?}: write a break as 12:00+60"));
            let (at, minutes) = b.split_once('+').ok_or_else(bad)?;
            let at = clock("breaks", at).map_err(|_| bad())?;
            Ok(ShiftBreak {
                offset_minutes: (at + 1440 - start) % 1440,
                minutes: minutes.trim().parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

fn format_breaks(start: u32, breaks: &[ShiftBreak]) -> String {
    breaks
        .iter()
        .map(|b| format!("{}+{}", hhmm((start + b.offset_minutes) % 1440), b.minutes))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
struct SettingsForm {
    _csrf: String,
    interval_minutes: String,
    service_level: String,
    answer_seconds: String,
    shrinkage: String,
    max_occupancy: String,
    #[serde(default)]
    use_forecast: Option<String>,
    forecast_weeks: String,
    rotation_weeks: String,
    evening_after: String,
    solver_seconds: String,
    queues: String,
    coverage: String,
    #[serde(default)]
    adjustments: String,
}

impl SettingsForm {
    fn settings(&self) -> Result<ScheduleSettings, AppError> {
        Ok(ScheduleSettings {
            interval_minutes: number("interval_minutes", &self.interval_minutes)?,
            queues: parse_queues(&self.queues)?,
            target: ServiceTarget {
                service_level: fraction("service_level", &self.service_level)?,
                answer_seconds: number("answer_seconds", &self.answer_seconds)?,
                shrinkage: fraction("shrinkage", &self.shrinkage)?,
                max_occupancy: fraction("max_occupancy", &self.max_occupancy)?,
            },
            coverage: parse_coverage(&self.coverage)?,
            use_forecast: self.use_forecast.is_some(),
            forecast_weeks: number("forecast_weeks", &self.forecast_weeks)?,
            rotation_weeks: number("rotation_weeks", &self.rotation_weeks)?,
            evening_after_minute: clock("evening_after_minute", &self.evening_after)?,
            solver_seconds: number("solver_seconds", &self.solver_seconds)?,
            adjustments: parse_adjustments(&self.adjustments)?,
        })
    }
}

async fn save_settings(page: Page, Form(f): Form<SettingsForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let r = match f.settings() {
        Ok(settings) => schedule::save_settings(&page.state, &page.ctx, &settings).await,
        Err(e) => Err(e),
    };
    Ok(answer(r, "settings_saved"))
}

#[derive(Deserialize)]
struct TemplateForm {
    _csrf: String,
    #[serde(default)]
    id: String,
    code: String,
    name: String,
    start: String,
    end: String,
    #[serde(default)]
    breaks: String,
    #[serde(default)]
    on_call: Option<String>,
    color: String,
    #[serde(default)]
    active: Option<String>,
}

impl TemplateForm {
    fn payload(&self) -> Result<TemplatePayload, AppError> {
        let start = clock("start_minute", &self.start)?;
        if start >= 1440 {
            return Err(field_error("start_minute", "a shift starts before 24:00"));
        }
        let end = clock("length_minutes", &self.end)?;
        // An end at or before the start is the next day (a night shift).
        let length = if end > start {
            end - start
        } else {
            end + 1440 - start
        };
        Ok(TemplatePayload {
            spec: ShiftTemplateSpec {
                code: self.code.trim().to_string(),
                name: self.name.trim().to_string(),
                start_minute: start,
                length_minutes: length,
                breaks: parse_breaks(start, &self.breaks)?,
                on_call: self.on_call.is_some(),
                color: self.color.trim().to_string(),
            },
            active: self.active.is_some(),
        })
    }
}

async fn save_template(page: Page, Form(f): Form<TemplateForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let id = (!f.id.is_empty()).then_some(f.id.as_str());
    let r = match f.payload() {
        Ok(p) => schedule::save_template(&page.state, &page.ctx, id, &p)
            .await
            .map(drop),
        Err(e) => Err(e),
    };
    Ok(answer(r, "template_saved"))
}

#[derive(Deserialize)]
struct AgentForm {
    _csrf: String,
    staff_id: String,
    queues: String,
    contract_hours: String,
    max_hours: String,
    max_consecutive_days: String,
    min_rest_hours: String,
    #[serde(default)]
    on_site: Option<String>,
    #[serde(default)]
    on_call: Option<String>,
    #[serde(default)]
    templates: String,
}

impl AgentForm {
    fn rules(&self) -> Result<AgentRules, AppError> {
        Ok(AgentRules {
            queues: list(&self.queues),
            contract_week_minutes: minutes_of_hours("contract_week_minutes", &self.contract_hours)?,
            max_week_minutes: minutes_of_hours("max_week_minutes", &self.max_hours)?,
            max_consecutive_days: number("max_consecutive_days", &self.max_consecutive_days)?,
            min_rest_minutes: minutes_of_hours("min_rest_minutes", &self.min_rest_hours)?,
            on_site: self.on_site.is_some(),
            on_call: self.on_call.is_some(),
            templates: list(&self.templates),
        })
    }
}

async fn save_agent(page: Page, Form(f): Form<AgentForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let r = match f.rules() {
        Ok(rules) => schedule::save_agent(&page.state, &page.ctx, &f.staff_id, &rules).await,
        Err(e) => Err(e),
    };
    Ok(answer(r, "agent_saved"))
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn remove_agent(
    page: Page,
    Path(staff_id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let r = schedule::remove_agent(&page.state, &page.ctx, &staff_id).await;
    Ok(answer(r, "agent_removed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_read_back_as_written() {
        let text = "咨询 240 * chat\n\n投诉 480 投诉,售后";
        let queues = parse_queues(text).unwrap();
        assert_eq!(queues.len(), 2);
        assert!(queues[0].call_queues.is_empty() && queues[0].chats);
        assert_eq!(queues[1].call_queues, vec!["投诉", "售后"]);
        assert!(!queues[1].chats);
        assert_eq!(
            format_queues(&queues),
            "咨询 240 * chat\n投诉 480 投诉,售后"
        );
    }

    #[test]
    fn coverage_reads_weekdays_and_periods() {
        let rules = parse_coverage("咨询 1-5,7 09:00-24:00 2").unwrap();
        assert_eq!(rules[0].weekdays, vec![1, 2, 3, 4, 5, 7]);
        assert_eq!((rules[0].start_minute, rules[0].end_minute), (540, 1440));
        assert_eq!(format_coverage(&rules), "咨询 1-5,7 09:00-24:00 2");
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let e = parse_coverage("咨询 1-7 09:00-24:00 1\n咨询 每天 09:00-24:00 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse_queues("咨询 四分钟").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        assert!(parse_weekdays("5-1").is_none());
        assert!(clock("x", "24:30").is_err());
        assert!(clock("x", "9:60").is_err());
    }

    #[test]
    fn adjustments_read_back_as_written() {
        let text = "2026-12-12 咨询 09:00-12:00 1.5\n2026-12-31 * 18:00-24:00 0.6";
        let a = parse_adjustments(text).unwrap();
        assert_eq!(
            (a[0].start_minute, a[0].end_minute, a[0].factor),
            (540, 720, 1.5)
        );
        assert_eq!((a[1].queue.as_str(), a[1].end_minute), ("*", 1440));
        assert_eq!(format_adjustments(&a), text);
        let e = parse_adjustments("2026-12-12 咨询 上午 1.5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn breaks_are_offsets_from_the_start_even_past_midnight() {
        let b = parse_breaks(20 * 60, "22:00+30, 00:30+15").unwrap();
        assert_eq!(b[0].offset_minutes, 120);
        assert_eq!(b[1].offset_minutes, 270);
        assert_eq!(format_breaks(20 * 60, &b), "22:00+30, 00:30+15");
    }

    #[test]
    fn a_night_shift_ends_the_next_day() {
        let f = TemplateForm {
            _csrf: String::new(),
            id: String::new(),
            code: "n".into(),
            name: "夜班".into(),
            start: "22:00".into(),
            end: "06:00".into(),
            breaks: String::new(),
            on_call: None,
            color: "#334455".into(),
            active: Some("on".into()),
        };
        let p = f.payload().unwrap();
        assert_eq!((p.spec.start_minute, p.spec.length_minutes), (1320, 480));
        assert!(p.active && !p.spec.on_call);
    }
}
