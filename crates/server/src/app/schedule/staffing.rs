//! Staffing: the Erlang C calculator (what-if for one interval) and the forecast — each
//! queue's volume per interval from the center's own calls and chats over the last weeks,
//! corrected by the planner's adjustments for known events, turned into agents to
//! schedule with the service-level target.

use super::problem::dates_of;
use super::{center_date, center_midnight, parse_date};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Duration, NaiveDate};
use kefu_domain::calendar::DayKind;
use kefu_domain::schedule::ScheduleSettings;
use kefu_wfm::erlang::{self, Target, Traffic};
use kefu_wfm::forecast::{self, Adjustment, DayHistory, ForecastDay, ForecastSettings};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::{IntoParams, ToSchema};

/// One interval's traffic and target.
#[derive(Debug, Clone, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CalcPayload {
    /// Contacts offered in the interval.
    pub calls: f64,
    pub interval_minutes: u32,
    pub aht_seconds: f64,
    /// e.g. 0.8
    pub service_level: f64,
    /// e.g. 15
    pub answer_seconds: f64,
    /// e.g. 0.3
    #[serde(default)]
    pub shrinkage: f64,
    /// e.g. 0.85 (1 for no cap)
    #[serde(default = "one")]
    pub max_occupancy: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhatIf {
    pub agents: u32,
    pub service_level: f64,
    pub asa_seconds: Option<f64>,
    pub occupancy: f64,
    pub probability_of_waiting: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalcView {
    pub erlangs: f64,
    pub agents_on_phone: u32,
    pub agents_scheduled: u32,
    pub service_level: f64,
    pub asa_seconds: Option<f64>,
    pub occupancy: f64,
    /// The same traffic with a few agents fewer and more.
    pub what_if: Vec<WhatIf>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Erlang C for one interval, with the neighbours of the answer.
pub fn calculate(p: &CalcPayload) -> Result<CalcView, AppError> {
    if !(1..=1440).contains(&p.interval_minutes) {
        return Err(AppError::invalid_field(
            "schedule.invalid",
            "interval_minutes",
            "1 to 1440 minutes",
        ));
    }
    let t = Traffic {
        calls: p.calls,
        interval_seconds: p.interval_minutes as f64 * 60.0,
        aht_seconds: p.aht_seconds,
    };
    let target = Target {
        service_level: p.service_level,
        answer_seconds: p.answer_seconds,
        shrinkage: p.shrinkage,
        max_occupancy: p.max_occupancy,
    };
    let s = erlang::required_agents(&t, &target)
        .map_err(|e| AppError::invalid("schedule.invalid_traffic", e.to_string()))?;
    let lo = s.agents_on_phone.saturating_sub(3).max(1);
    let what_if = (lo..=s.agents_on_phone + 3)
        .map(|n| WhatIf {
            agents: n,
            service_level: erlang::service_level(n, &t, p.answer_seconds),
            asa_seconds: finite(erlang::average_speed_of_answer(n, &t)),
            occupancy: erlang::occupancy(n, &t),
            probability_of_waiting: erlang::probability_of_waiting(n, t.erlangs()),
        })
        .collect();
    Ok(CalcView {
        erlangs: t.erlangs(),
        agents_on_phone: s.agents_on_phone,
        agents_scheduled: s.agents_scheduled,
        service_level: s.service_level,
        asa_seconds: finite(s.asa_seconds),
        occupancy: s.occupancy,
        what_if,
    })
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// The first day, `YYYY-MM-DD`.
    pub start_date: String,
    /// 1–62 days.
    pub days: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueForecast {
    pub queue: String,
    /// Expected contacts per day and interval.
    pub volume: Vec<Vec<f64>>,
    /// Agents to schedule per day and interval.
    pub required: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForecastView {
    pub start_date: String,
    pub days: u32,
    pub interval_minutes: u32,
    /// The history used: from … to (exclusive).
    pub history_from: String,
    pub history_to: String,
    pub queues: Vec<QueueForecast>,
}

/// The forecast for a period, per queue.
pub async fn forecast(
    state: &AppState,
    ctx: &Ctx,
    q: &ForecastQuery,
) -> Result<ForecastView, AppError> {
    ctx.require(kefu_domain::Permission::ScheduleManage)?;
    let start = parse_date("start_date", &q.start_date)?;
    if !(1..=62).contains(&q.days) {
        return Err(AppError::invalid_field(
            "schedule.invalid_days",
            "days",
            "a forecast covers 1 to 62 days",
        ));
    }
    let settings = state.db().get_schedule_settings().await?;
    let (from, to, queues) = queue_forecasts(state, &settings, start, q.days).await?;
    Ok(ForecastView {
        start_date: q.start_date.clone(),
        days: q.days,
        interval_minutes: settings.interval_minutes,
        history_from: from.to_string(),
        history_to: to.to_string(),
        queues,
    })
}

/// The forecast's requirement as the roster's demand grid: `[queue][day * per_day + i]`.
pub async fn forecast_demand(
    state: &AppState,
    settings: &ScheduleSettings,
    start: NaiveDate,
    days: u32,
) -> Result<Vec<Vec<u32>>, AppError> {
    let (_, _, queues) = queue_forecasts(state, settings, start, days).await?;
    Ok(queues
        .into_iter()
        .map(|q| q.required.into_iter().flatten().collect())
        .collect())
}

async fn queue_forecasts(
    state: &AppState,
    settings: &ScheduleSettings,
    start: NaiveDate,
    days: u32,
) -> Result<(NaiveDate, NaiveDate, Vec<QueueForecast>), AppError> {
    let today = center_date(state.clock().now());
    let to = start.min(today);
    let from = to - Duration::weeks(settings.forecast_weeks as i64);
    let holidays: BTreeSet<NaiveDate> = state
        .db()
        .list_calendar_days(None)
        .await?
        .into_iter()
        .filter(|l| matches!(l.kind, DayKind::Holiday))
        .map(|l| l.date)
        .collect();
    let interval_ms = settings.interval_minutes as i64 * 60_000;
    let per_day = (1440 / settings.interval_minutes) as usize;
    let target = Target {
        service_level: settings.target.service_level,
        answer_seconds: settings.target.answer_seconds as f64,
        shrinkage: settings.target.shrinkage,
        max_occupancy: settings.target.max_occupancy,
    };
    let wanted: Vec<ForecastDay> = dates_of(start, days)
        .into_iter()
        .map(|d| ForecastDay {
            date: d,
            holiday: holidays.contains(&d),
        })
        .collect();
    let mut out = Vec::new();
    for queue in &settings.queues {
        let buckets = state
            .db()
            .contact_counts(
                center_midnight(from),
                center_midnight(to),
                interval_ms,
                &queue.call_queues,
                queue.chats,
            )
            .await?;
        let mut by_day: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        for (b, n) in buckets {
            let local_ms = b * interval_ms;
            let date = epoch + Duration::days(local_ms.div_euclid(86_400_000));
            let i = (local_ms.rem_euclid(86_400_000) / interval_ms) as usize;
            by_day.entry(date).or_insert_with(|| vec![0; per_day])[i] += n as u32;
        }
        // A day without a contact from the first one on had none: it counts, as zeros.
        // (Days before the first contact are before the center used kefu.)
        if let Some(&first) = by_day.keys().next() {
            let mut d = first;
            while d < to {
                by_day.entry(d).or_insert_with(|| vec![0; per_day]);
                d += Duration::days(1);
            }
        }
        let (volume, required) = if by_day.is_empty() {
            // No history yet: nothing to add to the standing rules.
            (
                vec![vec![0.0; per_day]; days as usize],
                vec![vec![0; per_day]; days as usize],
            )
        } else {
            let history: Vec<DayHistory> = by_day
                .into_iter()
                .map(|(date, counts)| DayHistory {
                    date,
                    holiday: holidays.contains(&date),
                    counts,
                })
                .collect();
            let interval = settings.interval_minutes as usize;
            let adjustments: Vec<Adjustment> = settings
                .adjustments
                .iter()
                .filter(|a| a.applies_to(&queue.name))
                .filter_map(|a| {
                    Some(Adjustment {
                        date: a.day()?,
                        from_interval: a.start_minute as usize / interval,
                        to_interval: a.end_minute as usize / interval,
                        factor: a.factor,
                    })
                })
                .collect();
            let volume = forecast::forecast_volume(
                &history,
                &wanted,
                &adjustments,
                &ForecastSettings {
                    interval_minutes: settings.interval_minutes,
                    weeks: settings.forecast_weeks,
                },
            )
            .map_err(|e| AppError::invalid("schedule.forecast", e.to_string()))?;
            let required = forecast::required_per_interval(
                &volume,
                settings.interval_minutes,
                queue.aht_seconds as f64,
                &target,
            )
            .map_err(|e| AppError::invalid("schedule.forecast", e.to_string()))?;
            (volume, required)
        };
        out.push(QueueForecast {
            queue: queue.name.clone(),
            volume,
            required,
        });
    }
    Ok((from, to, out))
}
