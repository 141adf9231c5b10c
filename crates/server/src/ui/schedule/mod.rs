//! Shift operation pages: the schedule grid (agents × days, colored by shift; generate,
//! edit a cell, publish, export), the coverage heat map (required vs scheduled per
//! interval, gaps highlighted), my schedule with who is on shift now, and the Erlang C
//! staffing calculator. The requests inbox (leave, swaps, on-duty) is in [`requests`];
//! settings, shift templates and the agents' rules in [`setup`].

mod requests;
mod setup;

use crate::app::schedule::requests as reqs;
use crate::app::schedule::rosters::{self, GeneratePayload, RosterDetail, RosterSummary};
use crate::app::schedule::staffing::{self, CalcPayload, CalcView};
use crate::app::schedule::{self, TemplateView};
use crate::i18n::Tr;
use crate::ui::{render, Chrome, Page, UiError};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::Duration;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<crate::state::AppState> {
    Router::new()
        .route("/schedule", get(grid_page))
        .route("/schedule/generate", post(generate))
        .route("/schedule/rosters/{id}/cell", post(set_cell))
        .route("/schedule/rosters/{id}/publish", post(publish))
        .route("/schedule/rosters/{id}/delete", post(delete))
        .route("/schedule/coverage", get(coverage_page))
        .route("/schedule/mine", get(mine_page))
        .route("/schedule/staffing", get(staffing_page))
        .merge(requests::routes())
        .merge(setup::routes())
}

/// Where a form goes back to, with what happened.
pub(crate) fn back(path: &str, pairs: &[(&str, &str)]) -> Response {
    let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Redirect::to(&format!("{path}?{q}")).into_response()
}

#[derive(Deserialize, Default)]
struct GridQuery {
    roster: Option<String>,
    error: Option<String>,
    done: Option<String>,
}

/// A grid cell as drawn.
struct CellView {
    code: String,
    style: String,
    title: String,
    locked: bool,
}

struct RowView {
    staff_id: String,
    name: String,
    hours: String,
    shifts: u32,
    cells: Vec<CellView>,
}

struct DayView {
    date: String,
    label: String,
    special: bool,
}

#[derive(Template)]
#[template(path = "schedule_grid.html")]
struct GridPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    rosters: Vec<RosterSummary>,
    roster: Option<RosterDetail>,
    days: Vec<DayView>,
    rows: Vec<RowView>,
    templates: Vec<TemplateView>,
    can_manage: bool,
    /// "12.5 %": how far the uncovered demand is from the lower bound.
    gap_note: String,
    uncoverable: String,
    default_start: String,
    error: Option<String>,
    done: Option<String>,
}

fn weekday_label(t: &Tr<'_>, n: u32) -> String {
    t.t(&format!("schedule.wd{n}")).to_string()
}

fn days_of(t: &Tr<'_>, r: &RosterDetail) -> Vec<DayView> {
    r.dates
        .iter()
        .map(|d| DayView {
            label: format!("{} {}", &d.date[5..], weekday_label(t, d.weekday)),
            date: d.date.clone(),
            special: d.special,
        })
        .collect()
}

async fn grid_page(page: Page, Query(q): Query<GridQuery>) -> Result<Response, UiError> {
    let s = &page.state;
    let list = rosters::list(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let today = rosters::today(s);
    // The roster asked for, else the published one running today, else the newest.
    let chosen = q.roster.clone().or_else(|| {
        let code = today.format("%Y-%m-%d").to_string();
        list.iter()
            .find(|r| r.status == "published" && r.start_date <= code && r.end_date >= code)
            .or(list.first())
            .map(|r| r.id.clone())
    });
    let roster = match chosen {
        Some(id) => Some(
            rosters::detail(s, &page.ctx, &id)
                .await
                .map_err(|e| page.error(e))?,
        ),
        None => None,
    };
    let t = page.t();
    let (days, rows, gap_note, uncoverable) = match &roster {
        Some(r) => {
            let rows = r
                .grid
                .iter()
                .map(|g| RowView {
                    staff_id: g.staff_id.clone(),
                    name: g.name.clone(),
                    hours: format!("{:.1}", g.worked_minutes as f64 / 60.0),
                    shifts: g.shifts,
                    cells: g
                        .cells
                        .iter()
                        .map(|c| CellView {
                            code: c.code.clone().unwrap_or_default(),
                            style: c
                                .color
                                .as_ref()
                                .map(|col| format!("background:{col}"))
                                .unwrap_or_default(),
                            title: match (&c.code, &c.queue) {
                                (Some(code), Some(queue)) => format!("{} {code} · {queue}", c.date),
                                _ => format!("{} {}", c.date, t.t("schedule.off")),
                            },
                            locked: c.locked,
                        })
                        .collect(),
                })
                .collect();
            let lb = r.summary.report.lower_bound_uncovered;
            let note = if r.score.uncovered == lb {
                t.t("schedule.at_bound").to_string()
            } else {
                format!(
                    "{} {} ({} {})",
                    t.t("schedule.above_bound"),
                    r.score.uncovered - lb.min(r.score.uncovered),
                    t.t("schedule.lower_bound"),
                    lb
                )
            };
            let mut times: Vec<String> = r
                .summary
                .report
                .uncoverable
                .iter()
                .map(|g| format!("{} {}", g.queue, g.time))
                .collect();
            times.sort();
            times.dedup();
            (days_of(&t, r), rows, note, times.join(", "))
        }
        None => (Vec::new(), Vec::new(), String::new(), String::new()),
    };
    let templates = schedule::templates(s, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|x| x.active)
        .collect();
    let next_monday = schedule::monday_of(today) + Duration::days(7);
    Ok(render(&GridPage {
        chrome: page.chrome("schedule"),
        can_manage: page.ctx.can(Permission::ScheduleManage),
        rosters: list,
        roster,
        days,
        rows,
        templates,
        gap_note,
        uncoverable,
        default_start: next_monday.format("%Y-%m-%d").to_string(),
        error: q.error,
        done: q
            .done
            .map(|d| t.t(&format!("schedule.done_{d}")).to_string()),
        t,
    }))
}

#[derive(Deserialize)]
struct GenerateForm {
    _csrf: String,
    start_date: String,
    days: String,
    #[serde(default)]
    seed: String,
}

async fn generate(page: Page, Form(f): Form<GenerateForm>) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let days = f.days.trim().parse().unwrap_or(0);
    let p = GeneratePayload {
        start_date: f.start_date,
        days,
        name: None,
        seed: f.seed.trim().parse().ok(),
    };
    Ok(
        match rosters::generate(&page.state, &page.ctx, None, &p).await {
            Ok(r) => back("/schedule", &[("roster", &r.id), ("done", "generated")]),
            Err(e) => back("/schedule", &[("error", &e.to_string())]),
        },
    )
}

#[derive(Deserialize)]
struct CellForm {
    _csrf: String,
    staff_id: String,
    date: String,
    template: String,
}

async fn set_cell(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CellForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    let p = rosters::CellPayload {
        staff_id: f.staff_id,
        date: f.date,
        template: (!f.template.is_empty()).then_some(f.template),
        queue: None,
    };
    Ok(
        match rosters::set_cell(&page.state, &page.ctx, &id, &p).await {
            Ok(_) => back("/schedule", &[("roster", &id), ("done", "edited")]),
            Err(e) => back("/schedule", &[("roster", &id), ("error", &e.to_string())]),
        },
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn publish(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    Ok(match rosters::publish(&page.state, &page.ctx, &id).await {
        Ok(_) => back("/schedule", &[("roster", &id), ("done", "published")]),
        Err(e) => back("/schedule", &[("roster", &id), ("error", &e.to_string())]),
    })
}

async fn delete(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f._csrf)?;
    Ok(match rosters::delete(&page.state, &page.ctx, &id).await {
        Ok(_) => back("/schedule", &[("done", "deleted")]),
        Err(e) => back("/schedule", &[("roster", &id), ("error", &e.to_string())]),
    })
}

struct HeatCell {
    text: String,
    class: &'static str,
}

struct HeatRow {
    time: String,
    cells: Vec<HeatCell>,
}

struct HeatQueue {
    queue: String,
    rows: Vec<HeatRow>,
    gaps: u32,
}

#[derive(Template)]
#[template(path = "schedule_coverage.html")]
struct CoveragePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    roster: RosterDetail,
    days: Vec<DayView>,
    queues: Vec<HeatQueue>,
}

/// The coverage heat map of a roster.
async fn coverage_page(page: Page, Query(q): Query<GridQuery>) -> Result<Response, UiError> {
    let Some(id) = q.roster else {
        return Ok(Redirect::to("/schedule").into_response());
    };
    let r = rosters::detail(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let queues = r
        .coverage
        .iter()
        .map(|c| {
            let mut gaps = 0;
            let rows = c
                .rows
                .iter()
                .map(|row| HeatRow {
                    time: row.time.clone(),
                    cells: row
                        .required
                        .iter()
                        .zip(&row.scheduled)
                        .map(|(&need, &have)| {
                            let class = if have < need {
                                gaps += 1;
                                "gap"
                            } else if have > need {
                                "over"
                            } else if need > 0 {
                                "met"
                            } else {
                                ""
                            };
                            HeatCell {
                                text: format!("{have}/{need}"),
                                class,
                            }
                        })
                        .collect(),
                })
                .collect();
            HeatQueue {
                queue: c.queue.clone(),
                rows,
                gaps,
            }
        })
        .collect();
    Ok(render(&CoveragePage {
        chrome: page.chrome("schedule"),
        days: days_of(&t, &r),
        roster: r,
        queues,
        t,
    }))
}

struct MineRow {
    date: String,
    label: String,
    hours: String,
    queue: String,
    on_call: bool,
}

#[derive(Template)]
#[template(path = "schedule_mine.html")]
struct MinePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    shifts: Vec<MineRow>,
    now: reqs::NowView,
    now_rows: Vec<(String, String, String, bool)>,
}

fn local_hhmm(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&schedule::center_offset())
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// One's own shifts for the next two weeks, who is on shift now, who is on duty.
async fn mine_page(page: Page) -> Result<Response, UiError> {
    let s = &page.state;
    let mine = reqs::my_schedule(s, &page.ctx, None, 14)
        .await
        .map_err(|e| page.error(e))?;
    let now = reqs::now(s, &page.ctx).await.map_err(|e| page.error(e))?;
    let t = page.t();
    let shifts = mine
        .into_iter()
        .map(|x| MineRow {
            label: x.template.clone(),
            hours: format!("{}–{}", local_hhmm(&x.starts_at), local_hhmm(&x.ends_at)),
            date: x.date,
            queue: x.queue,
            on_call: x.on_call,
        })
        .collect();
    let now_rows = now
        .on_shift
        .iter()
        .map(|x| {
            (
                x.name.clone(),
                x.template.clone(),
                format!("{}–{}", local_hhmm(&x.starts_at), local_hhmm(&x.ends_at)),
                x.on_call,
            )
        })
        .collect();
    Ok(render(&MinePage {
        chrome: page.chrome("schedule"),
        shifts,
        now,
        now_rows,
        t,
    }))
}

#[derive(Deserialize, Default)]
struct CalcQuery {
    calls: Option<String>,
    interval_minutes: Option<String>,
    aht_seconds: Option<String>,
    service_level: Option<String>,
    answer_seconds: Option<String>,
    shrinkage: Option<String>,
    max_occupancy: Option<String>,
}

#[derive(Template)]
#[template(path = "schedule_staffing.html")]
struct StaffingPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    calls: String,
    interval_minutes: String,
    aht_seconds: String,
    service_level: String,
    answer_seconds: String,
    shrinkage: String,
    max_occupancy: String,
    result: Option<CalcView>,
    rows: Vec<(u32, String, String, String, bool)>,
    error: Option<String>,
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// The Erlang C what-if: agents for a target, and the service level around it. Service
/// level, shrinkage and occupancy are typed in percent.
async fn staffing_page(page: Page, Query(q): Query<CalcQuery>) -> Result<Response, UiError> {
    let or = |v: &Option<String>, d: &str| v.clone().unwrap_or_else(|| d.to_string());
    let calls = or(&q.calls, "");
    let interval_minutes = or(&q.interval_minutes, "30");
    let aht_seconds = or(&q.aht_seconds, "240");
    let service_level = or(&q.service_level, "80");
    let answer_seconds = or(&q.answer_seconds, "15");
    let shrinkage = or(&q.shrinkage, "30");
    let max_occupancy = or(&q.max_occupancy, "85");
    let num = |s: &str| s.trim().parse::<f64>().unwrap_or(f64::NAN);
    let (result, error) = if calls.trim().is_empty() {
        (None, None)
    } else {
        let p = CalcPayload {
            calls: num(&calls),
            interval_minutes: interval_minutes.trim().parse().unwrap_or(0),
            aht_seconds: num(&aht_seconds),
            service_level: num(&service_level) / 100.0,
            answer_seconds: num(&answer_seconds),
            shrinkage: num(&shrinkage) / 100.0,
            max_occupancy: num(&max_occupancy) / 100.0,
        };
        match staffing::calculate(&p) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let rows = result
        .as_ref()
        .map(|r| {
            r.what_if
                .iter()
                .map(|w| {
                    (
                        w.agents,
                        pct(w.service_level),
                        w.asa_seconds
                            .map(|a| format!("{a:.1} s"))
                            .unwrap_or_else(|| "∞".into()),
                        pct(w.occupancy),
                        w.agents == r.agents_on_phone,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(render(&StaffingPage {
        chrome: page.chrome("schedule"),
        t: page.t(),
        calls,
        interval_minutes,
        aht_seconds,
        service_level,
        answer_seconds,
        shrinkage,
        max_occupancy,
        result,
        rows,
        error,
    }))
}
