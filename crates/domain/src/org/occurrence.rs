//! When a recurring duty (周期性职责) falls due: the occurrences of a [`Cadence`] in a range
//! of days, in the center's local time, each with a period key that names it for good —
//! the duty scheduler stores one task per position, duty, holder and period key, so
//! running it again (the next day, after a restart, on a second server) adds nothing.
//!
//! - daily (值班日志): due at the end of the day; key `2026-12-22`;
//! - weekly: due at the end of the weekday; key the ISO week, `2026-W49`;
//! - monthly: due at the end of the day (the month's last day when it lacks that day);
//!   key the month, `2026-12`, so moving the due day does not make a second task;
//! - before a shift: due when the shift starts; after a shift: an hour after it ends
//!   ([`AFTER_SHIFT_GRACE`]); key the shift's day, `2026-12-22` (one published shift
//!   per person a day).

use super::{Cadence, DayOfMonth, Duty};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// Time to write the handover after a shift ends before the duty counts as overdue.
pub const AFTER_SHIFT_GRACE: Duration = Duration::hours(1);

/// One dated instance of a recurring duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub period_key: String,
    pub due_at: DateTime<Utc>,
}

/// A published shift of the person who holds the position: its day (center date) and
/// when it starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftSpan {
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The key that names a duty of a position across edits of the position: the first 16
/// hex digits of the SHA-256 of its text. Reordering the duties or changing a cadence
/// keeps the key (so no task is made twice); a new text is a new duty.
pub fn duty_key(duty: &Duty) -> String {
    let digest = Sha256::digest(duty.text.trim().as_bytes());
    hex::encode(&digest[..8])
}

/// The last moment of `day` in local time (23:59:59): "due by the 22nd" means this.
pub fn end_of_day(day: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    let t = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    offset
        .from_local_datetime(&t)
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

/// The day a monthly duty falls due in the month of `year`/`month`: its day, or the
/// month's last day when the month is shorter.
pub fn monthly_due_day(year: i32, month: u32, day: DayOfMonth) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("in range");
    let last = next.pred_opt().expect("in range").day();
    first
        .with_day(u32::from(day.get()).min(last))
        .expect("day within the month")
}

/// The ISO week key of `day` (`2026-W49`; the ISO year, so 2027-01-01 is `2026-W53`).
pub fn week_key(day: NaiveDate) -> String {
    let w = day.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The calendar occurrences (daily, weekly, monthly) whose due day lies in `[from, to]`;
/// none for the shift cadences, which follow [`shift_occurrence`].
pub fn calendar_occurrences(
    cadence: Cadence,
    from: NaiveDate,
    to: NaiveDate,
    offset: FixedOffset,
) -> Vec<Occurrence> {
    let mut out = Vec::new();
    match cadence {
        Cadence::Daily => {
            for day in from.iter_days().take_while(|d| *d <= to) {
                out.push(Occurrence {
                    period_key: day.format("%Y-%m-%d").to_string(),
                    due_at: end_of_day(day, offset),
                });
            }
        }
        Cadence::Weekly { weekday } => {
            for day in from.iter_days().take_while(|d| *d <= to) {
                if day.weekday().num_days_from_monday() == weekday_index(weekday) {
                    out.push(Occurrence {
                        period_key: week_key(day),
                        due_at: end_of_day(day, offset),
                    });
                }
            }
        }
        Cadence::Monthly { day } => {
            let (mut year, mut month) = (from.year(), from.month());
            while (year, month) <= (to.year(), to.month()) {
                let due = monthly_due_day(year, month, day);
                if due >= from && due <= to {
                    out.push(Occurrence {
                        period_key: format!("{year}-{month:02}"),
                        due_at: end_of_day(due, offset),
                    });
                }
                (year, month) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
            }
        }
        Cadence::BeforeShift | Cadence::AfterShift => {}
    }
    out
}

/// The occurrence of a shift cadence for one shift; none for the calendar cadences.
pub fn shift_occurrence(cadence: Cadence, shift: &ShiftSpan) -> Option<Occurrence> {
    let due_at = match cadence {
        Cadence::BeforeShift => shift.starts_at,
        Cadence::AfterShift => shift.ends_at + AFTER_SHIFT_GRACE,
        _ => return None,
    };
    Some(Occurrence {
        period_key: shift.day.format("%Y-%m-%d").to_string(),
        due_at,
    })
}

/// Every occurrence of `cadence` in `[from, to]`: the calendar ones by their due day, the
/// shift ones for each of `shifts` whose day lies in the range.
pub fn occurrences(
    cadence: Cadence,
    from: NaiveDate,
    to: NaiveDate,
    offset: FixedOffset,
    shifts: &[ShiftSpan],
) -> Vec<Occurrence> {
    match cadence {
        Cadence::BeforeShift | Cadence::AfterShift => shifts
            .iter()
            .filter(|s| s.day >= from && s.day <= to)
            .filter_map(|s| shift_occurrence(cadence, s))
            .collect(),
        _ => calendar_occurrences(cadence, from, to, offset),
    }
}

fn weekday_index(w: super::Weekday) -> u32 {
    super::Weekday::ALL
        .iter()
        .position(|d| *d == w)
        .expect("every weekday is in ALL") as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Weekday;

    fn off() -> FixedOffset {
        crate::calendar::china_offset()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn local(s: &str) -> DateTime<Utc> {
        off()
            .from_local_datetime(
                &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap(),
            )
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn keys(o: &[Occurrence]) -> Vec<&str> {
        o.iter().map(|o| o.period_key.as_str()).collect()
    }

    fn monthly(day: u8) -> Cadence {
        Cadence::Monthly {
            day: DayOfMonth::try_from(day).unwrap(),
        }
    }

    #[test]
    fn daily_is_due_at_the_end_of_each_local_day() {
        let o = calendar_occurrences(Cadence::Daily, d("2026-12-30"), d("2027-01-02"), off());
        assert_eq!(
            keys(&o),
            ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]
        );
        assert_eq!(o[1].due_at, local("2026-12-31 23:59:59"));
        // 23:59:59 in Beijing is 15:59:59 UTC the same day.
        assert_eq!(o[0].due_at.to_rfc3339(), "2026-12-30T15:59:59+00:00");
        assert!(
            calendar_occurrences(Cadence::Daily, d("2027-01-02"), d("2027-01-01"), off())
                .is_empty()
        );
    }

    #[test]
    fn weekly_falls_on_the_weekday_with_the_iso_week_as_key() {
        let fri = Cadence::Weekly {
            weekday: Weekday::Fri,
        };
        let o = calendar_occurrences(fri, d("2026-12-21"), d("2027-01-10"), off());
        assert_eq!(keys(&o), ["2026-W52", "2026-W53", "2027-W01"]);
        assert_eq!(o[1].due_at, local("2027-01-01 23:59:59"));
        let mon = Cadence::Weekly {
            weekday: Weekday::Mon,
        };
        let o = calendar_occurrences(mon, d("2026-12-29"), d("2027-01-04"), off());
        assert_eq!(keys(&o), ["2027-W01"]);
        assert_eq!(o[0].due_at, local("2027-01-04 23:59:59"));
    }

    #[test]
    fn monthly_on_the_22nd_over_a_year_boundary() {
        let o = calendar_occurrences(monthly(22), d("2026-12-01"), d("2027-03-31"), off());
        assert_eq!(keys(&o), ["2026-12", "2027-01", "2027-02", "2027-03"]);
        assert_eq!(o[1].due_at, local("2027-01-22 23:59:59"));
        // A range that starts after the day has no occurrence for that month.
        let o = calendar_occurrences(monthly(22), d("2027-01-23"), d("2027-02-21"), off());
        assert!(o.is_empty(), "{o:?}");
        let o = calendar_occurrences(monthly(22), d("2027-01-22"), d("2027-01-22"), off());
        assert_eq!(keys(&o), ["2027-01"]);
    }

    #[test]
    fn monthly_on_a_day_the_month_lacks_falls_on_its_last_day() {
        let o = calendar_occurrences(monthly(31), d("2027-01-01"), d("2027-05-31"), off());
        let due: Vec<String> = o
            .iter()
            .map(|o| o.due_at.with_timezone(&off()).date_naive().to_string())
            .collect();
        assert_eq!(
            due,
            [
                "2027-01-31",
                "2027-02-28",
                "2027-03-31",
                "2027-04-30",
                "2027-05-31"
            ]
        );
        assert_eq!(
            monthly_due_day(2028, 2, DayOfMonth::try_from(30).unwrap()),
            d("2028-02-29")
        );
        assert_eq!(
            monthly_due_day(2027, 2, DayOfMonth::try_from(29).unwrap()),
            d("2027-02-28")
        );
        assert_eq!(
            monthly_due_day(2027, 12, DayOfMonth::try_from(31).unwrap()),
            d("2027-12-31")
        );
    }

    #[test]
    fn shift_duties_follow_the_shifts() {
        let shift = ShiftSpan {
            day: d("2027-01-05"),
            starts_at: local("2027-01-05 20:00:00"),
            ends_at: local("2027-01-05 22:00:00"),
        };
        let other = ShiftSpan {
            day: d("2027-01-09"),
            starts_at: local("2027-01-09 09:00:00"),
            ends_at: local("2027-01-09 17:00:00"),
        };
        let shifts = [shift, other];
        let before = occurrences(
            Cadence::BeforeShift,
            d("2027-01-01"),
            d("2027-01-07"),
            off(),
            &shifts,
        );
        assert_eq!(
            before,
            [Occurrence {
                period_key: "2027-01-05".into(),
                due_at: local("2027-01-05 20:00:00"),
            }]
        );
        let after = occurrences(
            Cadence::AfterShift,
            d("2027-01-01"),
            d("2027-01-09"),
            off(),
            &shifts,
        );
        assert_eq!(keys(&after), ["2027-01-05", "2027-01-09"]);
        assert_eq!(after[0].due_at, local("2027-01-05 23:00:00"));
        assert!(occurrences(
            Cadence::Daily,
            d("2027-01-05"),
            d("2027-01-05"),
            off(),
            &shifts
        )
        .iter()
        .all(|o| o.due_at == local("2027-01-05 23:59:59")));
        assert_eq!(shift_occurrence(Cadence::Daily, &shift), None);
    }

    #[test]
    fn the_duty_key_follows_the_text_only() {
        let a = Duty::new("值班日志", Some(Cadence::Daily)).unwrap();
        let b = Duty::new(" 值班日志 ", Some(monthly(3))).unwrap();
        let c = Duty::new("质检周汇总", Some(Cadence::Daily)).unwrap();
        assert_eq!(duty_key(&a), duty_key(&b));
        assert_ne!(duty_key(&a), duty_key(&c));
        assert_eq!(duty_key(&a).len(), 16);
    }

    proptest::proptest! {
        /// Over any range, each period key occurs once and every due day is in range.
        #[test]
        fn keys_are_unique_and_in_range(start in 0i64..3000, len in 0i64..400, day in 1u8..=31, wd in 0usize..7) {
            let from = d("2024-01-01") + Duration::days(start);
            let to = from + Duration::days(len);
            for c in [Cadence::Daily, Cadence::Weekly { weekday: Weekday::ALL[wd] }, monthly(day)] {
                let o = calendar_occurrences(c, from, to, off());
                let mut seen = std::collections::HashSet::new();
                for x in &o {
                    proptest::prop_assert!(seen.insert(x.period_key.clone()), "{c:?} {x:?}");
                    let due = x.due_at.with_timezone(&off()).date_naive();
                    proptest::prop_assert!(due >= from && due <= to);
                }
            }
        }
    }
}
