use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn period_windows_and_keys() {
    assert_eq!(
        Period::Month.window(d(2026, 11, 29)),
        (d(2026, 11, 1), d(2026, 12, 1))
    );
    assert_eq!(Period::Month.key(d(2026, 11, 29)), "2026-11");
    assert_eq!(
        Period::Quarter.window(d(2026, 12, 31)),
        (d(2026, 10, 1), d(2027, 1, 1))
    );
    assert_eq!(Period::Quarter.key(d(2026, 2, 1)), "2026-Q1");
    assert_eq!(Period::HalfYear.key(d(2026, 7, 1)), "2026-H2");
    assert_eq!(
        Period::Year.window(d(2026, 5, 5)),
        (d(2026, 1, 1), d(2027, 1, 1))
    );
    assert_eq!(Period::Year.key(d(2026, 5, 5)), "2026");
}

proptest! {
    #[test]
    fn a_day_lies_in_its_window_and_shares_the_key_with_it(
        days in 0i64..3000, p in prop::sample::select(Period::ALL.to_vec())
    ) {
        let day = d(2024, 1, 1) + Duration::days(days);
        let (start, end) = p.window(day);
        prop_assert!(start <= day && day < end);
        prop_assert_eq!(p.key(start), p.key(day));
        prop_assert_eq!(p.key(end.pred_opt().unwrap()), p.key(day));
        prop_assert_ne!(p.key(end), p.key(day));
    }

    #[test]
    fn retries_never_exceed_the_maximum(max in 1i64..6, results in prop::collection::vec(any::<bool>(), 1..12)) {
        let policy = RetryPolicy { unreachable_minutes: 60, busy_minutes: 10, max_attempts: max };
        let now = t("2026-11-29T02:00:00Z");
        let mut failed = 0;
        for busy in results {
            let a = if busy { Attempt::Busy } else { Attempt::Unreachable };
            match policy.after(failed, a, now).unwrap() {
                AfterAttempt::Retry { next_at } => {
                    prop_assert!(next_at > now);
                    failed += 1;
                    prop_assert!(failed < max);
                }
                AfterAttempt::Close(o) => {
                    prop_assert_eq!(o, Outcome::Unreachable);
                    prop_assert_eq!(failed + 1, max);
                    break;
                }
            }
        }
    }
}

#[test]
fn retry_policy_spaces_attempts_and_gives_up() {
    let p = RetryPolicy::default();
    let now = t("2026-11-29T02:00:00Z");
    assert_eq!(
        p.after(0, Attempt::Unreachable, now),
        Ok(AfterAttempt::Retry {
            next_at: now + Duration::minutes(120)
        })
    );
    assert_eq!(
        p.after(1, Attempt::Busy, now),
        Ok(AfterAttempt::Retry {
            next_at: now + Duration::minutes(30)
        })
    );
    assert_eq!(
        p.after(2, Attempt::Busy, now),
        Ok(AfterAttempt::Close(Outcome::Unreachable))
    );
    let later = now + Duration::hours(30);
    assert_eq!(
        p.after(2, Attempt::Later(later), now),
        Ok(AfterAttempt::Retry { next_at: later })
    );
    assert_eq!(
        p.after(0, Attempt::Later(now), now),
        Err(Refusal::LaterInThePast)
    );
    assert_eq!(
        p.after(0, Attempt::Done(Outcome::Unreachable), now),
        Err(Refusal::OutcomeNotRecordable)
    );
    assert_eq!(
        p.after(0, Attempt::Done(Outcome::Satisfied), now),
        Ok(AfterAttempt::Close(Outcome::Satisfied))
    );
}

#[test]
fn holidays_fall_due_on_their_first_day() {
    let days = vec![
        (d(2026, 10, 2), "国庆节".to_string()),
        (d(2026, 10, 1), "国庆节".to_string()),
        (d(2026, 10, 3), "国庆节".to_string()),
        (d(2026, 1, 1), "元旦".to_string()),
        (d(2026, 1, 2), "元旦".to_string()),
        (d(2026, 9, 25), "中秋节".to_string()),
    ];
    let first: Vec<NaiveDate> = holiday_first_days(&days).into_iter().map(|x| x.0).collect();
    assert_eq!(first, vec![d(2026, 1, 1), d(2026, 9, 25), d(2026, 10, 1)]);
    let special = parse_special_dates("12-25, 09-28").unwrap();
    assert_eq!(
        care_dates(d(2026, 9, 20), d(2026, 12, 31), &days, &special),
        vec![
            d(2026, 9, 25),
            d(2026, 9, 28),
            d(2026, 10, 1),
            d(2026, 12, 25)
        ]
    );
    assert_eq!(parse_special_dates("13-01"), Err("13-01".to_string()));
    assert_eq!(MonthDay::parse("02-29").unwrap().in_year(2026), None);
}

#[test]
fn local_times_and_follow_up_cutoff() {
    let off = crate::calendar::china_offset();
    assert_eq!(
        local_at(d(2026, 10, 1), DUE_HOUR, off),
        t("2026-10-01T01:00:00Z")
    );
    assert_eq!(local_day(t("2026-09-30T16:30:00Z"), off), d(2026, 10, 1));
    let now = t("2026-11-29T12:00:00Z");
    assert_eq!(
        follow_up_cutoff(now, 48, Duration::hours(1)),
        t("2026-11-27T13:00:00Z")
    );
}

#[test]
fn text_fields_are_trimmed_and_bounded() {
    assert_eq!(parse_text("notes", Some("  "), 10), Ok(None));
    assert_eq!(parse_text("notes", Some(" ok "), 10), Ok(Some("ok".into())));
    assert_eq!(
        parse_text("notes", Some("12345678901"), 10),
        Err(FieldError {
            field: "notes",
            code: "too_long"
        })
    );
    assert!(check_range("follow_up_hours", 0, 1, 720).is_err());
}
