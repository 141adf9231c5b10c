//! Forecasting contacts per interval (话务预测) from the center's own history of calls and chats,
//! and turning the forecast into agents to schedule with Erlang C.
//!
//! The caller (the server) reads history per queue (e.g. 咨询 and 投诉 separately) and marks
//! holidays from the business calendar; this module only does the arithmetic, so one queue is
//! forecast per call. The rules, chosen to be explainable to a shift lead:
//!
//! - A weekday's profile is the trimmed mean, interval by interval, of the same weekday over the
//!   last `weeks` calendar weeks ending on the latest day of history. Holidays are left out
//!   (they are not a normal Monday). With five or more days the busiest and the quietest day
//!   (by daily total) are dropped first, so one outage or one campaign does not move the plan.
//! - A day missing from the history counts as a day of zero contacts when it lies between the
//!   first and the last day of history (the center was closed or nobody called); before the
//!   first day nothing is known and the day is simply not counted.
//! - A holiday in the forecast uses the holidays seen anywhere in the history (holidays are
//!   rare, so the window is not applied), with the same trimmed mean; when the history has no
//!   holiday, the Sunday profile stands in.
//! - Manual adjustments are multiplicative factors on a range of intervals of one day
//!   (1.3 = 30% more for a product launch, 0 = closed); several on the same interval multiply.

mod profile;

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::erlang::{required_agents, ErlangError, Target, Traffic};
use profile::Profiles;

/// Contacts handled on one past day, per interval from 00:00 (`1440 / interval_minutes` values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHistory {
    pub date: NaiveDate,
    /// A holiday on the business calendar: kept out of the weekday profiles.
    pub holiday: bool,
    pub counts: Vec<u32>,
}

/// A day to forecast; `holiday` comes from the business calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastDay {
    pub date: NaiveDate,
    pub holiday: bool,
}

/// A planner's correction (人工调整): contacts in intervals `from_interval..to_interval` (end
/// excluded) of `date` are multiplied by `factor`. Adjustments for dates not being forecast are
/// ignored, so the server may pass all it has stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Adjustment {
    pub date: NaiveDate,
    pub from_interval: usize,
    pub to_interval: usize,
    pub factor: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastSettings {
    /// 15, 30 or 60.
    pub interval_minutes: u32,
    /// How many past weeks make a weekday's profile (≥ 1).
    pub weeks: u32,
}

impl ForecastSettings {
    fn intervals_per_day(&self) -> Result<usize, ForecastError> {
        match self.interval_minutes {
            15 | 30 | 60 => Ok((24 * 60 / self.interval_minutes) as usize),
            other => Err(ForecastError::UnsupportedInterval(other)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ForecastError {
    #[error("intervals must be 15, 30 or 60 minutes long, got {0}")]
    UnsupportedInterval(u32),
    #[error("the forecast needs at least one week of history (weeks = 0)")]
    NoWeeks,
    #[error("there is no history to forecast from")]
    EmptyHistory,
    #[error("history for {date} has {found} intervals, expected {expected}")]
    CountsLength {
        date: NaiveDate,
        expected: usize,
        found: usize,
    },
    #[error("history has {0} more than once")]
    DuplicateDate(NaiveDate),
    #[error(
        "no {weekday} outside holidays in the last {weeks} weeks of history to forecast {date}"
    )]
    NoProfile {
        date: NaiveDate,
        weekday: Weekday,
        weeks: u32,
    },
    #[error(
        "adjustment for {date}: intervals {from_interval}..{to_interval} must be a non-empty \
         range within 0..{intervals}"
    )]
    AdjustmentRange {
        date: NaiveDate,
        from_interval: usize,
        to_interval: usize,
        intervals: usize,
    },
    #[error("adjustment for {date}: the factor must be a finite number ≥ 0, got {factor}")]
    AdjustmentFactor { date: NaiveDate, factor: f64 },
}

/// Expected contacts `[day][interval]` for `days`, from `history` (any order) by the rules in
/// the module documentation.
pub fn forecast_volume(
    history: &[DayHistory],
    days: &[ForecastDay],
    adjustments: &[Adjustment],
    s: &ForecastSettings,
) -> Result<Vec<Vec<f64>>, ForecastError> {
    let intervals = s.intervals_per_day()?;
    if s.weeks == 0 {
        return Err(ForecastError::NoWeeks);
    }
    for a in adjustments {
        check_adjustment(a, intervals)?;
    }
    let mut profiles = Profiles::new(history, intervals, s.weeks)?;
    days.iter()
        .map(|day| {
            let mut volume = profiles.for_day(day)?.to_vec();
            for a in adjustments.iter().filter(|a| a.date == day.date) {
                for v in &mut volume[a.from_interval..a.to_interval] {
                    *v *= a.factor;
                }
            }
            Ok(volume)
        })
        .collect()
}

fn check_adjustment(a: &Adjustment, intervals: usize) -> Result<(), ForecastError> {
    if a.from_interval >= a.to_interval || a.to_interval > intervals {
        return Err(ForecastError::AdjustmentRange {
            date: a.date,
            from_interval: a.from_interval,
            to_interval: a.to_interval,
            intervals,
        });
    }
    if !(a.factor.is_finite() && a.factor >= 0.0) {
        return Err(ForecastError::AdjustmentFactor {
            date: a.date,
            factor: a.factor,
        });
    }
    Ok(())
}

/// Agents to schedule `[day][interval]` (after shrinkage) for a forecast of one queue, with that
/// queue's average handle time and target: e.g. 咨询 at 180 s for 80/20 and 投诉 at 600 s for
/// 80/15 are two calls.
pub fn required_per_interval(
    volume: &[Vec<f64>],
    interval_minutes: u32,
    aht_seconds: f64,
    target: &Target,
) -> Result<Vec<Vec<u32>>, ErlangError> {
    let interval_seconds = f64::from(interval_minutes) * 60.0;
    volume
        .iter()
        .map(|day| {
            day.iter()
                .map(|&calls| {
                    let traffic = Traffic {
                        calls,
                        interval_seconds,
                        aht_seconds,
                    };
                    Ok(required_agents(&traffic, target)?.agents_scheduled)
                })
                .collect()
        })
        .collect()
}
