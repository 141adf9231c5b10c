//! Forecasting volume per interval from history, by small examples computed by hand, and the
//! forecast turned into agents with Erlang C.

use chrono::NaiveDate;
use kefu_wfm::erlang::{required_agents, ErlangError, Target, Traffic};
use kefu_wfm::forecast::{
    forecast_volume, required_per_interval, Adjustment, DayHistory, ForecastDay, ForecastError,
    ForecastSettings,
};

const HOURLY: usize = 24;

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// A past day of `intervals` intervals, zero except the `(interval, contacts)` pairs given.
fn past(
    month: u32,
    day: u32,
    holiday: bool,
    intervals: usize,
    busy: &[(usize, u32)],
) -> DayHistory {
    let mut counts = vec![0; intervals];
    for &(i, c) in busy {
        counts[i] = c;
    }
    DayHistory {
        date: date(month, day),
        holiday,
        counts,
    }
}

fn hourly(month: u32, day: u32, busy: &[(usize, u32)]) -> DayHistory {
    past(month, day, false, HOURLY, busy)
}

fn hourly_holiday(month: u32, day: u32, busy: &[(usize, u32)]) -> DayHistory {
    past(month, day, true, HOURLY, busy)
}

fn workday(month: u32, day: u32) -> ForecastDay {
    ForecastDay {
        date: date(month, day),
        holiday: false,
    }
}

fn settings(weeks: u32) -> ForecastSettings {
    ForecastSettings {
        interval_minutes: 60,
        weeks,
    }
}

fn one_day(history: &[DayHistory], day: ForecastDay, weeks: u32) -> Vec<f64> {
    forecast_volume(history, &[day], &[], &settings(weeks))
        .unwrap()
        .remove(0)
}

#[test]
fn a_holiday_is_left_out_of_its_weekday_mean() {
    // Mondays 16 and 23 November, and Monday 30 November a holiday; history ends Sunday 6 Dec.
    let history = [
        hourly(11, 16, &[(9, 20)]),
        hourly(11, 23, &[(9, 40)]),
        hourly_holiday(11, 30, &[(9, 500)]),
        hourly(12, 6, &[(9, 7)]),
    ];
    let monday = one_day(&history, workday(12, 7), 3);
    assert_eq!(monday[9], 30.0, "(20 + 40) / 2, the holiday's 500 left out");
    assert_eq!(monday.iter().sum::<f64>(), 30.0);
    // Two calendar weeks hold one ordinary Monday only.
    assert_eq!(one_day(&history, workday(12, 7), 2)[9], 40.0);
}

#[test]
fn missing_days_count_as_zero_only_inside_the_history() {
    // Tuesday 1 December has no record although history runs 24 Nov – 6 Dec: zero contacts.
    // Tuesday 17 November is before the first day: unknown, not counted.
    let history = [hourly(11, 24, &[(10, 30)]), hourly(12, 6, &[(10, 1)])];
    assert_eq!(
        one_day(&history, workday(12, 8), 3)[10],
        15.0,
        "(30 + 0) / 2"
    );
}

#[test]
fn the_busiest_and_quietest_days_are_trimmed_from_five_weeks() {
    // Wednesdays with (09:00, 10:00) contacts; totals 16, 0 (an outage), 20, 102 (a campaign), 18.
    let history = [
        hourly(11, 4, &[(9, 10), (10, 6)]),
        hourly(11, 11, &[]),
        hourly(11, 18, &[(9, 14), (10, 6)]),
        hourly(11, 25, &[(9, 100), (10, 2)]),
        hourly(12, 2, &[(9, 12), (10, 6)]),
    ];
    let wednesday = one_day(&history, workday(12, 9), 5);
    assert_eq!(wednesday[9], 12.0, "(10 + 14 + 12) / 3");
    assert_eq!(
        wednesday[10], 6.0,
        "whole days are dropped, not single intervals"
    );
    // Four weeks are too few to trim: the plain mean of 12, 100, 14 and 0.
    assert_eq!(one_day(&history, workday(12, 9), 4)[9], 31.5);
}

#[test]
fn a_holiday_follows_past_holidays_or_else_sundays() {
    let mut history = vec![
        hourly_holiday(11, 30, &[(9, 4)]),
        hourly_holiday(12, 1, &[(9, 6)]),
        hourly(11, 29, &[(9, 50)]),
        hourly(12, 6, &[(9, 70)]),
    ];
    let holiday = ForecastDay {
        date: date(12, 8),
        holiday: true,
    };
    assert_eq!(
        one_day(&history, holiday, 4)[9],
        5.0,
        "(4 + 6) / 2 from the past holidays"
    );
    history.retain(|d| !d.holiday);
    assert_eq!(
        one_day(&history, holiday, 4)[9],
        60.0,
        "no past holiday: Sundays (50 + 70) / 2"
    );
}

#[test]
fn adjustments_multiply_a_range_of_intervals() {
    let history = [
        hourly(11, 30, &[(9, 30), (10, 30), (11, 30)]),
        hourly(12, 6, &[]),
    ];
    let adjustments = [
        Adjustment {
            date: date(12, 7),
            from_interval: 9,
            to_interval: 11,
            factor: 1.5,
        },
        Adjustment {
            date: date(12, 7),
            from_interval: 10,
            to_interval: 12,
            factor: 2.0,
        },
        Adjustment {
            date: date(12, 14),
            from_interval: 9,
            to_interval: 10,
            factor: 0.0,
        },
        Adjustment {
            date: date(12, 25),
            from_interval: 0,
            to_interval: 24,
            factor: 9.0,
        },
    ];
    let days = [workday(12, 7), workday(12, 14)];
    let v = forecast_volume(&history, &days, &adjustments, &settings(1)).unwrap();
    assert_eq!(
        &v[0][9..13],
        &[45.0, 90.0, 60.0, 0.0],
        "1.5, 1.5 × 2, 2, and 2 × 0"
    );
    assert_eq!(
        &v[1][9..12],
        &[0.0, 30.0, 30.0],
        "closed 09:00–10:00 on the 14th only"
    );
    assert_eq!(
        v[1].iter().sum::<f64>(),
        60.0,
        "the 25th's adjustment is not forecast"
    );
}

#[test]
fn bad_history_and_settings_are_refused() {
    let history = [hourly(12, 6, &[(9, 7)])];
    let sunday = [workday(12, 13)];
    let run = |h: &[DayHistory], s: ForecastSettings, a: &[Adjustment]| {
        forecast_volume(h, &sunday, a, &s).unwrap_err()
    };
    let quarter = ForecastSettings {
        interval_minutes: 20,
        weeks: 4,
    };
    assert_eq!(
        run(&history, quarter, &[]),
        ForecastError::UnsupportedInterval(20)
    );
    assert_eq!(run(&history, settings(0), &[]), ForecastError::NoWeeks);
    assert_eq!(run(&[], settings(4), &[]), ForecastError::EmptyHistory);
    let half_hourly = ForecastSettings {
        interval_minutes: 30,
        weeks: 4,
    };
    let want = ForecastError::CountsLength {
        date: date(12, 6),
        expected: 48,
        found: 24,
    };
    assert_eq!(run(&history, half_hourly, &[]), want);
    let twice = [hourly(12, 6, &[]), hourly(12, 6, &[])];
    assert_eq!(
        run(&twice, settings(4), &[]),
        ForecastError::DuplicateDate(date(12, 6))
    );

    let backwards = Adjustment {
        date: date(12, 13),
        from_interval: 5,
        to_interval: 5,
        factor: 1.0,
    };
    assert!(matches!(
        run(&history, settings(4), &[backwards]),
        ForecastError::AdjustmentRange { .. }
    ));
    let past_midnight = Adjustment {
        to_interval: 25,
        ..backwards
    };
    assert!(matches!(
        run(&history, settings(4), &[past_midnight]),
        ForecastError::AdjustmentRange { intervals: 24, .. }
    ));
    let negative = Adjustment {
        to_interval: 6,
        factor: -1.0,
        ..backwards
    };
    assert!(matches!(
        run(&history, settings(4), &[negative]),
        ForecastError::AdjustmentFactor { .. }
    ));

    // One Sunday of history says nothing about Mondays.
    let monday = [workday(12, 14)];
    let err = forecast_volume(&history, &monday, &[], &settings(4)).unwrap_err();
    assert!(matches!(
        err,
        ForecastError::NoProfile {
            weekday: chrono::Weekday::Mon,
            ..
        }
    ));
}

const EIGHTY_TWENTY: Target = Target {
    service_level: 0.8,
    answer_seconds: 20.0,
    shrinkage: 0.3,
    max_occupancy: 0.85,
};

#[test]
fn forecast_to_agents_per_queue() {
    // Half-hourly history of 咨询: 100 contacts at 09:00 and 1,000 at 09:30 every Monday.
    let consultations: Vec<DayHistory> = [9, 16, 23, 30]
        .into_iter()
        .map(|d| past(11, d, false, 48, &[(18, 100), (19, 1000)]))
        .chain([past(12, 6, false, 48, &[])])
        .collect();
    let s = ForecastSettings {
        interval_minutes: 30,
        weeks: 4,
    };
    let volume = forecast_volume(&consultations, &[workday(12, 7)], &[], &s).unwrap();
    let agents = required_per_interval(&volume, 30, 180.0, &EIGHTY_TWENTY).unwrap();
    // 10 erlangs: 14 on the phone for 80/20 (the published example), ceil(14 / 0.7) = 20.
    assert_eq!(agents[0][18], 20);
    // 100 erlangs: the 85% cap needs 118 on the phone, ceil(118 / 0.7) = 169.
    assert_eq!(agents[0][19], 169);
    assert_eq!(
        agents[0].iter().map(|&a| u64::from(a)).sum::<u64>(),
        189,
        "no one at night"
    );

    // 投诉 is its own queue: the same history shape with longer calls and 80/15.
    let complaints = Target {
        answer_seconds: 15.0,
        ..EIGHTY_TWENTY
    };
    let agents = required_per_interval(&volume, 30, 600.0, &complaints).unwrap();
    let traffic = Traffic {
        calls: 100.0,
        interval_seconds: 1800.0,
        aht_seconds: 600.0,
    };
    assert_eq!(
        agents[0][18],
        required_agents(&traffic, &complaints)
            .unwrap()
            .agents_scheduled
    );
    assert!(
        agents[0][18] > 20,
        "three times the work needs more than 20"
    );

    let err = required_per_interval(&volume, 30, 0.0, &EIGHTY_TWENTY).unwrap_err();
    assert_eq!(err, ErlangError::InvalidHandleTime(0.0));
}
