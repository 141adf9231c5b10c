//! Amounts typed by people (yuan with up to two decimals, percents) held as integer
//! hundredths, and the month an evaluation is for.

use chrono::{Datelike, NaiveDate};

/// Why a typed amount or month was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an amount like 1000000 or 6500.50 (at most two decimals)")]
    NotAnAmount(String),
    #[error("{0:?} is not a month like 2026-11")]
    NotAMonth(String),
}

/// The largest amount accepted: one hundred billion yuan (in hundredths).
const MAX: i64 = 10_000_000_000_000;

/// `"6500.5"` → 650050: a non-negative decimal with at most two decimals, as hundredths
/// (分 for yuan, basis points for a percent). Thousands separators (`,`) are allowed.
pub fn parse_hundredths(text: &str) -> Result<i64, MoneyError> {
    let bad = || MoneyError::NotAnAmount(text.to_string());
    let s: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 15
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        let v: i64 = frac.parse().map_err(|_| bad())?;
        if frac.len() == 1 {
            v * 10
        } else {
            v
        }
    };
    let v = w
        .checked_mul(100)
        .and_then(|x| x.checked_add(f))
        .ok_or_else(bad)?;
    if v > MAX {
        return Err(bad());
    }
    Ok(v)
}

/// 650050 → `"6500.50"` (negative with a leading `-`).
pub fn format_hundredths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// A calendar month (the center's local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// `2026-11`.
    pub fn parse(text: &str) -> Result<Month, MoneyError> {
        let bad = || MoneyError::NotAMonth(text.to_string());
        let t = text.trim();
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
