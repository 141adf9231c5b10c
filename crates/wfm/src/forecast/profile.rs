//! Day profiles (expected contacts per interval) built from history: one per weekday over the
//! recent weeks and one for holidays, computed once and reused for every day forecast.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{DayHistory, ForecastDay, ForecastError};

/// With this many days or more, the busiest and the quietest are dropped before averaging.
const TRIM_FROM: usize = 5;

pub(super) struct Profiles<'a> {
    by_date: BTreeMap<NaiveDate, &'a DayHistory>,
    first: NaiveDate,
    last: NaiveDate,
    weeks: u32,
    /// A day with no record inside the history range: zero contacts all day.
    closed: Vec<u32>,
    weekdays: [Option<Vec<f64>>; 7],
    holiday: Option<Vec<f64>>,
}

impl<'a> Profiles<'a> {
    pub(super) fn new(
        history: &'a [DayHistory],
        intervals: usize,
        weeks: u32,
    ) -> Result<Self, ForecastError> {
        let mut by_date = BTreeMap::new();
        for day in history {
            if day.counts.len() != intervals {
                return Err(ForecastError::CountsLength {
                    date: day.date,
                    expected: intervals,
                    found: day.counts.len(),
                });
            }
            if by_date.insert(day.date, day).is_some() {
                return Err(ForecastError::DuplicateDate(day.date));
            }
        }
        let (Some(&first), Some(&last)) = (by_date.keys().next(), by_date.keys().next_back())
        else {
            return Err(ForecastError::EmptyHistory);
        };
        Ok(Profiles {
            by_date,
            first,
            last,
            weeks,
            closed: vec![0; intervals],
            weekdays: Default::default(),
            holiday: None,
        })
    }

    /// The profile a forecast day follows: its weekday's, or the holiday one.
    pub(super) fn for_day(&mut self, day: &ForecastDay) -> Result<&[f64], ForecastError> {
        if day.holiday {
            if self.holiday.is_none() {
                let holidays: Vec<&[u32]> = self
                    .by_date
                    .values()
                    .filter(|d| d.holiday)
                    .map(|d| d.counts.as_slice())
                    .collect();
                if holidays.is_empty() {
                    return self.weekday(Weekday::Sun, day.date);
                }
                self.holiday = Some(trimmed_mean(holidays, self.closed.len()));
            }
            return Ok(self.holiday.as_deref().unwrap_or_default());
        }
        self.weekday(day.date.weekday(), day.date)
    }

    fn weekday(&mut self, weekday: Weekday, date: NaiveDate) -> Result<&[f64], ForecastError> {
        let slot = weekday.num_days_from_monday() as usize;
        if self.weekdays[slot].is_none() {
            let samples = self.weekday_samples(weekday);
            if samples.is_empty() {
                return Err(ForecastError::NoProfile {
                    date,
                    weekday,
                    weeks: self.weeks,
                });
            }
            self.weekdays[slot] = Some(trimmed_mean(samples, self.closed.len()));
        }
        Ok(self.weekdays[slot].as_deref().unwrap_or_default())
    }

    /// The non-holiday days with this weekday in the last `weeks` weeks of history, newest first.
    fn weekday_samples(&self, weekday: Weekday) -> Vec<&[u32]> {
        let back =
            (7 + self.last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        let mut samples = Vec::new();
        let Some(mut date) = self.last.checked_sub_days(Days::new(u64::from(back))) else {
            return samples;
        };
        for _ in 0..self.weeks {
            if date < self.first {
                break;
            }
            match self.by_date.get(&date) {
                Some(day) if day.holiday => {}
                Some(day) => samples.push(day.counts.as_slice()),
                None => samples.push(self.closed.as_slice()),
            }
            match date.checked_sub_days(Days::new(7)) {
                Some(earlier) => date = earlier,
                None => break,
            }
        }
        samples
    }
}

/// Mean per interval, after dropping the busiest and the quietest day when there are at least
/// [`TRIM_FROM`] days. Whole days are dropped (not single intervals) so that the profile keeps
/// the shape of real days. Days come in date order and the sort is stable, so ties are broken
/// by date and the order the history was given in does not matter.
fn trimmed_mean(mut days: Vec<&[u32]>, intervals: usize) -> Vec<f64> {
    if days.len() >= TRIM_FROM {
        days.sort_by_key(|d| d.iter().map(|&c| u64::from(c)).sum::<u64>());
        days.pop();
        days.remove(0);
    }
    let mut mean = vec![0.0; intervals];
    for day in &days {
        for (m, &c) in mean.iter_mut().zip(day.iter()) {
            *m += f64::from(c);
        }
    }
    let n = days.len() as f64;
    for m in &mut mean {
        *m /= n;
    }
    mean
}
