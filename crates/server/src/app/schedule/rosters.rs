//! Rosters: generate one for a period with the solver, look at it (grid, coverage against
//! the requirement, broken rules, how far from the lower bound), edit cells by hand with the
//! same checks, publish, delete a draft.

use super::problem::{self, day_code, roster_of, shift_of, shifts_of};
use super::{center_date, hhmm, parse_date};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, Duration, NaiveDate};
use kefu_domain::Permission;
use kefu_store::schedule::{NewRoster, RosterRow, ShiftRow};
use kefu_store::StoreError;
use kefu_wfm::roster::{self as wfm, Assignment, Instance, Roster, SolveOptions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What generation is asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratePayload {
    /// The first day, `YYYY-MM-DD`.
    pub start_date: String,
    /// 1–62 days (the handbook's rotation: 21).
    pub days: u32,
    #[serde(default)]
    pub name: Option<String>,
    /// The solver's seed (default 1). Another seed tries another search; the same seed repeats
    /// it on as many threads, up to where the time limit cuts it.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// What the solver reported when the roster was generated (stored with it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SolverReport {
    pub seed: u64,
    /// Searches run side by side (rosters generated before there were several: one).
    #[serde(default = "one")]
    pub threads: usize,
    /// No roster can leave fewer agent-intervals uncovered than this.
    pub lower_bound_uncovered: u64,
    /// Required agent-intervals no shift template can ever cover (e.g. 22:00–24:00 when
    /// the last shift ends at 22:00), per queue and slot.
    pub uncoverable: Vec<GapView>,
    pub iterations: u64,
    pub elapsed_ms: u64,
    pub proven_optimal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GapView {
    pub queue: String,
    pub day: String,
    /// `22:00`.
    pub time: String,
    pub missing: u32,
}

/// How good a roster is, in the solver's order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreView {
    /// Required agent-intervals nobody covers.
    pub uncovered: u64,
    /// Agent-intervals beyond the requirement.
    pub excess: u64,
    pub unfairness: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterSummary {
    pub id: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub days: i64,
    /// draft or published
    pub status: String,
    pub report: SolverReport,
    pub created_at: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayHead {
    pub date: String,
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// A weekend day or a holiday.
    pub special: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cell {
    pub date: String,
    pub code: Option<String>,
    pub queue: Option<String>,
    pub color: Option<String>,
    pub on_call: bool,
    pub locked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridRow {
    pub staff_id: String,
    pub name: String,
    pub cells: Vec<Cell>,
    /// Shifts and worked hours over the period.
    pub shifts: u32,
    pub worked_minutes: u32,
}

/// One interval of the coverage heat map: required and scheduled per day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageRow {
    pub time: String,
    pub required: Vec<u32>,
    pub scheduled: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueCoverage {
    pub queue: String,
    pub rows: Vec<CoverageRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterDetail {
    #[serde(flatten)]
    pub summary: RosterSummary,
    /// The score of the roster as it is now (after hand edits and swaps).
    pub score: ScoreView,
    pub dates: Vec<DayHead>,
    pub grid: Vec<GridRow>,
    pub coverage: Vec<QueueCoverage>,
    /// Hard rules the roster breaks (only possible when the data changed since).
    pub violations: Vec<String>,
    /// Stored shifts the problem no longer knows (a template or agent removed since).
    pub unknown: Vec<String>,
}

/// One cell to set by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellPayload {
    pub staff_id: String,
    pub date: String,
    /// A template code, or null for a day off.
    pub template: Option<String>,
    /// The queue served; the agent's first skilled queue when absent.
    #[serde(default)]
    pub queue: Option<String>,
}

pub(crate) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("roster"),
        StoreError::Conflict { constraint } if constraint == "rosters_published_overlap" => {
            AppError::conflict(
                "schedule.overlap",
                "a published roster already covers part of this period",
            )
        }
        StoreError::Conflict { .. } => AppError::conflict(
            "schedule.not_draft",
            "only a draft roster can change this way",
        ),
        e => e.into(),
    }
}

fn summary(r: &RosterRow) -> RosterSummary {
    RosterSummary {
        id: r.id.clone(),
        name: r.name.clone(),
        start_date: r.start_date.clone(),
        end_date: r.end_date.clone(),
        days: r.days,
        status: r.status.clone(),
        report: serde_json::from_str(&r.report).unwrap_or_default(),
        created_at: r.created_at.to_rfc3339(),
        published_at: r.published_at.map(|t| t.to_rfc3339()),
    }
}

/// Describes a broken hard rule: "rest: 张三 2026-12-08".
pub(crate) fn describe(
    inst: &Instance,
    names: &[String],
    v: &wfm::Violation,
    start: NaiveDate,
) -> String {
    let rule = serde_json::to_value(v)
        .ok()
        .and_then(|j| j.get("rule")?.as_str().map(str::to_string))
        .unwrap_or_default();
    let (agent, day) = v.agent_day();
    let who = names
        .get(agent)
        .cloned()
        .or_else(|| inst.agents.get(agent).map(|a| a.id.clone()))
        .unwrap_or_default();
    let when = day_code(start + Duration::days(day as i64));
    format!("{rule}: {who} {when}")
}

/// The hard rules a roster in the server is held to: the solver's, except that a cell
/// locked at generation may be changed by hand (the lead set the lock).
pub(crate) fn broken(inst: &Instance, roster: &Roster) -> Vec<wfm::Violation> {
    wfm::violations(inst, roster)
        .into_iter()
        .filter(|v| !matches!(v, wfm::Violation::Fixed { .. }))
        .collect()
}

struct Loaded {
    row: RosterRow,
    inst: Instance,
    start: NaiveDate,
    shifts: Vec<ShiftRow>,
    roster: Roster,
    unknown: Vec<String>,
}

async fn load(state: &AppState, id: &str) -> Result<Loaded, AppError> {
    let row = state.db().get_roster(id).await.map_err(not_found)?;
    let inst: Instance = serde_json::from_str(&row.problem)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("roster problem unreadable: {e}")))?;
    let start = parse_date("start_date", &row.start_date)?;
    let shifts = state.db().roster_shifts(id).await?;
    let (roster, unknown) = roster_of(&inst, start, &shifts);
    Ok(Loaded {
        row,
        inst,
        start,
        shifts,
        roster,
        unknown,
    })
}

fn names_of(
    inst: &Instance,
    shifts: &[ShiftRow],
    agents: &[kefu_store::schedule::ScheduleAgentRow],
) -> Vec<String> {
    inst.agents
        .iter()
        .map(|a| {
            agents
                .iter()
                .find(|x| x.staff_id == a.id)
                .map(|x| x.display_name.clone())
                .or_else(|| {
                    shifts
                        .iter()
                        .find(|s| s.staff_id == a.id)
                        .map(|s| s.display_name.clone())
                })
                .unwrap_or_else(|| a.id.clone())
        })
        .collect()
}

/// Generates a draft roster for a period (or regenerates a draft, keeping its locked
/// shifts) and stores it. The solver runs on blocking threads (see `solver_threads`) for at
/// most the configured time.
pub async fn generate(
    state: &AppState,
    ctx: &Ctx,
    regenerate: Option<&str>,
    p: &GeneratePayload,
) -> Result<RosterSummary, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let start = parse_date("start_date", &p.start_date)?;
    if !(1..=62).contains(&p.days) {
        return Err(AppError::invalid_field(
            "schedule.invalid_days",
            "days",
            "a roster covers 1 to 62 days",
        ));
    }
    let locked: Vec<ShiftRow> = match regenerate {
        Some(id) => state
            .db()
            .roster_shifts(id)
            .await?
            .into_iter()
            .filter(|s| s.locked)
            .collect(),
        None => Vec::new(),
    };
    let settings = state.db().get_schedule_settings().await?;
    let extra = if settings.use_forecast {
        Some(super::staffing::forecast_demand(state, &settings, start, p.days).await?)
    } else {
        None
    };
    let built = problem::build(state, start, p.days, &locked, extra).await?;
    let seed = p.seed.unwrap_or(1);
    let opts = SolveOptions {
        seed,
        time_limit: std::time::Duration::from_secs(settings.solver_seconds as u64),
        threads: solver_threads(),
    };
    let inst = built.instance.clone();
    let solution = tokio::task::spawn_blocking(move || wfm::solve(&inst, &opts))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("solver stopped: {e}")))?
        .map_err(|e| AppError::invalid("schedule.invalid_problem", e.to_string()))?;
    let per_day = built.instance.intervals_per_day();
    let report = SolverReport {
        seed,
        threads: opts.threads,
        lower_bound_uncovered: solution.lower_bound_uncovered,
        uncoverable: solution
            .uncoverable
            .iter()
            .map(|g| GapView {
                queue: built.instance.queues[g.queue].clone(),
                day: day_code(built.dates[g.slot / per_day]),
                time: hhmm(((g.slot % per_day) as u32) * built.instance.interval_minutes),
                missing: g.missing,
            })
            .collect(),
        iterations: solution.iterations,
        elapsed_ms: solution.elapsed.as_millis() as u64,
        proven_optimal: solution.proven_optimal,
    };
    let end = *built.dates.last().expect("days ≥ 1");
    let new = NewRoster {
        name: p
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("{} – {}", day_code(start), day_code(end))),
        start_date: day_code(start),
        end_date: day_code(end),
        days: p.days as i64,
        problem: serde_json::to_string(&built.instance)
            .map_err(|e| AppError::Internal(e.into()))?,
        report: serde_json::to_string(&report).map_err(|e| AppError::Internal(e.into()))?,
        staff: built.staff.iter().map(|a| a.staff_id.clone()).collect(),
        shifts: shifts_of(&built.instance, &built.dates, &solution.roster),
    };
    let now = state.clock().now();
    let id = match regenerate {
        Some(id) => {
            state
                .db()
                .replace_roster(&ctx.actor(), now, id, &new)
                .await
                .map_err(not_found)?;
            id.to_string()
        }
        None => state.db().create_roster(&ctx.actor(), now, &new).await?,
    };
    Ok(summary(&state.db().get_roster(&id).await?))
}

pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<RosterSummary>, AppError> {
    let rows = state.db().list_rosters(100).await?;
    Ok(rows
        .iter()
        .filter(|r| r.status == "published" || ctx.can(Permission::ScheduleManage))
        .map(summary)
        .collect())
}

/// The whole roster: grid, coverage heat map, score now, broken rules. A draft is for
/// `schedule.manage` only.
pub async fn detail(state: &AppState, ctx: &Ctx, id: &str) -> Result<RosterDetail, AppError> {
    let l = load(state, id).await?;
    if l.row.status != "published" {
        ctx.require(Permission::ScheduleManage)?;
    }
    let agents = state.db().list_schedule_agents().await?;
    let templates = state.db().list_shift_templates().await?;
    let names = names_of(&l.inst, &l.shifts, &agents);
    let score = wfm::evaluate(&l.inst, &l.roster);
    let violations = broken(&l.inst, &l.roster)
        .iter()
        .map(|v| describe(&l.inst, &names, v, l.start))
        .collect();
    let dates: Vec<NaiveDate> = problem::dates_of(l.start, l.inst.days);
    let heads = dates
        .iter()
        .enumerate()
        .map(|(i, d)| DayHead {
            date: day_code(*d),
            weekday: d.weekday().number_from_monday(),
            special: l.inst.special_days.get(i).copied().unwrap_or(false),
        })
        .collect();
    let grid = l
        .inst
        .agents
        .iter()
        .enumerate()
        .map(|(a, agent)| {
            let mut worked = 0;
            let mut count = 0;
            let cells = dates
                .iter()
                .enumerate()
                .map(|(d, date)| {
                    let code = day_code(*date);
                    let stored = l
                        .shifts
                        .iter()
                        .find(|s| s.staff_id == agent.id && s.day == code);
                    if let Some(Assignment { template, .. }) = l.roster.shifts[a][d] {
                        let t = &l.inst.templates[template];
                        count += 1;
                        worked +=
                            t.length_minutes - t.breaks.iter().map(|b| b.minutes).sum::<u32>();
                    }
                    Cell {
                        date: code,
                        code: stored.map(|s| s.template_code.clone()),
                        queue: stored.map(|s| s.queue.clone()),
                        color: stored.and_then(|s| {
                            templates
                                .iter()
                                .find(|t| t.spec.code == s.template_code)
                                .map(|t| t.spec.color.clone())
                        }),
                        on_call: stored.is_some_and(|s| s.on_call),
                        locked: stored.is_some_and(|s| s.locked),
                    }
                })
                .collect();
            GridRow {
                staff_id: agent.id.clone(),
                name: names[a].clone(),
                cells,
                shifts: count,
                worked_minutes: worked,
            }
        })
        .collect();
    Ok(RosterDetail {
        summary: summary(&l.row),
        score: ScoreView {
            uncovered: score.uncovered,
            excess: score.excess,
            unfairness: score.unfairness,
        },
        dates: heads,
        grid,
        coverage: coverage_view(&l.inst, &l.roster),
        violations,
        unknown: l.unknown,
    })
}

/// The heat map: every interval that is required or scheduled on some day.
pub(crate) fn coverage_view(inst: &Instance, roster: &Roster) -> Vec<QueueCoverage> {
    let covered = wfm::coverage(inst, roster);
    let per_day = inst.intervals_per_day();
    let days = inst.days as usize;
    inst.queues
        .iter()
        .enumerate()
        .map(|(q, name)| {
            let rows = (0..per_day)
                .filter_map(|i| {
                    let required: Vec<u32> =
                        (0..days).map(|d| inst.demand[q][d * per_day + i]).collect();
                    let scheduled: Vec<u32> =
                        (0..days).map(|d| covered[q][d * per_day + i]).collect();
                    (required.iter().chain(&scheduled).any(|&x| x > 0)).then(|| CoverageRow {
                        time: hhmm(i as u32 * inst.interval_minutes),
                        required,
                        scheduled,
                    })
                })
                .collect();
            QueueCoverage {
                queue: name.clone(),
                rows,
            }
        })
        .collect()
}

/// Sets one cell by hand. Refused (422, naming the rule) when the agent's row would break
/// a hard rule; coverage changes are shown, not refused. The cell is locked so a
/// regeneration keeps it.
pub async fn set_cell(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CellPayload,
) -> Result<RosterDetail, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    let l = load(state, id).await?;
    let date = parse_date("date", &p.date)?;
    let d = (date - l.start).num_days();
    if !(0..l.inst.days as i64).contains(&d) {
        return Err(AppError::invalid_field(
            "schedule.outside_period",
            "date",
            format!(
                "the roster runs from {} to {}",
                l.row.start_date, l.row.end_date
            ),
        ));
    }
    let a = l
        .inst
        .agents
        .iter()
        .position(|x| x.id == p.staff_id)
        .ok_or_else(|| {
            AppError::invalid_field(
                "schedule.not_in_roster",
                "staff_id",
                "this person is not in the roster",
            )
        })?;
    let cell = match &p.template {
        None => None,
        Some(code) => {
            let template = l
                .inst
                .templates
                .iter()
                .position(|t| &t.code == code)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "schedule.unknown_template",
                        "template",
                        format!("no shift template {code} in this roster"),
                    )
                })?;
            let queue = match &p.queue {
                Some(q) => l.inst.queues.iter().position(|x| x == q).ok_or_else(|| {
                    AppError::invalid_field(
                        "schedule.unknown_queue",
                        "queue",
                        format!("no queue {q}"),
                    )
                })?,
                None => *l.inst.agents[a].queues.first().unwrap_or(&0),
            };
            Some(Assignment { template, queue })
        }
    };
    let mut roster = l.roster.clone();
    roster.shifts[a][d as usize] = cell;
    check_rows(&l.inst, &roster, &[a], l.start, state).await?;
    let shift = cell.map(|x| shift_of(&l.inst, &p.staff_id, date, x, true));
    state
        .db()
        .set_roster_shift(
            &ctx.actor(),
            state.clock().now(),
            id,
            &p.staff_id,
            &day_code(date),
            shift.as_ref(),
        )
        .await?;
    detail(state, ctx, id).await
}

/// Refuses a roster whose rows for `agents` break a hard rule.
pub(crate) async fn check_rows(
    inst: &Instance,
    roster: &Roster,
    agents: &[usize],
    start: NaiveDate,
    state: &AppState,
) -> Result<(), AppError> {
    let broken: Vec<wfm::Violation> = broken(inst, roster)
        .into_iter()
        .filter(|v| agents.contains(&v.agent_day().0))
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    let all = state.db().list_schedule_agents().await?;
    let names = names_of(inst, &[], &all);
    let text: Vec<String> = broken
        .iter()
        .map(|v| describe(inst, &names, v, start))
        .collect();
    Err(AppError::invalid(
        "schedule.rule_broken",
        format!("this breaks a rule of the schedule: {}", text.join("; ")),
    ))
}

pub async fn publish(state: &AppState, ctx: &Ctx, id: &str) -> Result<RosterSummary, AppError> {
    ctx.require(Permission::ScheduleManage)?;
    state
        .db()
        .publish_roster(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(not_found)?;
    Ok(summary(&state.db().get_roster(id).await?))
}

pub async fn delete(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ScheduleManage)?;
    state
        .db()
        .delete_roster(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(not_found)
}

/// Today's date in the center, for pages that start at today.
pub fn today(state: &AppState) -> NaiveDate {
    center_date(state.clock().now())
}

fn one() -> usize {
    1
}

/// Threads for one roster solve: half the machine's cores, at least one, so that the searches
/// side by side find a better roster in the same time while requests are still served.
fn solver_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_stored_before_threads_reads_as_one_thread() {
        // A report that does not read falls back to the default (bound 0) where it is loaded.
        let stored = r#"{"seed":7,"lower_bound_uncovered":84,"uncoverable":[],
            "iterations":3000000,"elapsed_ms":900,"proven_optimal":false}"#;
        let report: SolverReport = serde_json::from_str(stored).expect("an earlier report reads");
        assert_eq!(report.threads, 1);
        assert_eq!(report.lower_bound_uncovered, 84);
    }
}
