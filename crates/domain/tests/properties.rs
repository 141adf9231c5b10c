//! Property tests of the domain's rules.

use kefu_domain::org::{
    check_assignment, HeadcountRatio, HeldPosition, PositionFacts, Qualifications, Rounding,
    StaffProfile,
};
use kefu_domain::phone::mask_phone;
use kefu_domain::{PhoneNumber, PositionId};
use proptest::prelude::*;

fn mobile() -> impl Strategy<Value = String> {
    (3u8..=9, 0u64..1_000_000_000).prop_map(|(second, rest)| format!("1{second}{rest:09}"))
}

proptest! {
    /// However a mobile number is written, it normalizes to the same 11 digits.
    #[test]
    fn mobile_spellings_normalize_alike(m in mobile(), style in 0usize..5) {
        let written = match style {
            0 => m.clone(),
            1 => format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]),
            2 => format!("0086-{m}"),
            3 => format!("86{m}"),
            _ => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        };
        let parsed = PhoneNumber::parse(&written).unwrap();
        prop_assert_eq!(parsed.as_str(), m.as_str());
    }

    /// A masked mobile number shows only the first three and last four digits.
    #[test]
    fn masks_hide_the_middle(m in mobile()) {
        let masked = mask_phone(&m);
        prop_assert_eq!(&masked[..3], &m[..3]);
        prop_assert_eq!(&masked[3..7], "****");
        prop_assert_eq!(&masked[7..], &m[7..]);
    }

    /// Parsing never panics on arbitrary input.
    #[test]
    fn parsing_is_total(s in ".{0,40}") {
        let _ = PhoneNumber::parse(&s);
    }

    /// A full position never takes another holder, whatever else is true.
    #[test]
    fn headcount_is_never_exceeded(limit in 0u32..5, holders in 0u32..8, years in 0u32..10) {
        let position = PositionFacts {
            id: PositionId("p".into()),
            title: "班长".into(),
            headcount_limit: Some(limit),
            current_holders: holders,
            qualifications: Qualifications::default(),
            ratio: None,
        };
        let staff = StaffProfile { education: None, years_experience: years, certificates: vec![] };
        let held: Vec<HeldPosition> = vec![];
        let ok = check_assignment(&position, &held, &[], &staff).is_ok();
        prop_assert_eq!(ok, holders < limit);
    }

    /// A ratio position (1 per 50 vehicles, at least 1) takes a holder exactly while
    /// fewer than ceil(vehicles / 50) — and at least one — hold it.
    #[test]
    fn headcount_ratio_is_never_exceeded(vehicles in 0u64..1000, holders in 0u32..30) {
        let ratio = HeadcountRatio::new(1, 50, "营运车辆", Rounding::Ceil, 1).unwrap();
        let position = PositionFacts {
            id: PositionId("p".into()),
            title: "车辆技术管理员".into(),
            headcount_limit: None,
            current_holders: holders,
            qualifications: Qualifications::default(),
            ratio: Some((ratio, Some(vehicles))),
        };
        let ok = check_assignment(&position, &[], &[], &StaffProfile::default()).is_ok();
        let allowed = vehicles.div_ceil(50).max(1);
        prop_assert_eq!(ok, u64::from(holders) < allowed);
    }
}

mod calendar {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use kefu_domain::calendar::{BusinessCalendar, CHINA_2026};
    use proptest::prelude::*;

    fn calendar() -> BusinessCalendar {
        let mut c = BusinessCalendar::china_office_hours();
        c.load_holidays(CHINA_2026).unwrap();
        c
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // Any minute of 2026.
        (0i64..365 * 24 * 60).prop_map(|m| {
            Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap() + Duration::minutes(m)
        })
    }

    proptest! {
        /// A deadline is exactly the promised amount of working time after its start,
        /// and lies in working time (or at the close of a working period).
        #[test]
        fn deadlines_add_exactly_the_working_time(start in instant(), minutes in 1i64..(200 * 60)) {
            let c = calendar();
            let work = Duration::minutes(minutes);
            let due = c.add_working(start, work).unwrap();
            prop_assert!(due > start);
            prop_assert_eq!(c.working_between(start, due), work);
            prop_assert!(c.is_working(due - Duration::seconds(1)), "the last second before the deadline is working time");
        }

        /// Pausing and resuming an SLA clock neither loses nor gains working time.
        #[test]
        fn working_time_is_additive(a in instant(), d1 in 0i64..100_000, d2 in 0i64..100_000) {
            let c = calendar();
            let b = a + Duration::minutes(d1);
            let e = b + Duration::minutes(d2);
            prop_assert_eq!(c.working_between(a, b) + c.working_between(b, e), c.working_between(a, e));
        }

        /// The meter that reports count many working times with gives what the walk over
        /// the days gives, to the millisecond, also for instants outside its range.
        #[test]
        fn the_meter_counts_what_the_walk_counts(
            a in instant(),
            ms in -86_400_000i64..30 * 86_400_000,
            range in (-10i64..40, 0i64..60),
        ) {
            let c = calendar();
            let b = a + Duration::milliseconds(ms);
            let from = a.timestamp_millis() + range.0 * 86_400_000;
            let meter = c.meter(from, from + range.1 * 86_400_000);
            prop_assert_eq!(
                meter.working_ms(a.timestamp_millis(), b.timestamp_millis()),
                c.working_between(a, b).num_milliseconds()
            );
        }
    }
}

mod sla {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use kefu_domain::calendar::{china_offset, BusinessCalendar, Span, CHINA_2026, CHINA_2027};
    use kefu_domain::sla::{match_policy, SlaClock, SlaScope};
    use kefu_domain::ticket::{Priority, TicketType};
    use proptest::prelude::*;

    /// Any valid week: per weekday up to three ordered periods (split shifts), at least
    /// one working period somewhere, with the 2026 and 2027 holidays.
    fn calendar() -> impl Strategy<Value = BusinessCalendar> {
        let day = prop::collection::btree_set(0u32..=48, 0..=6).prop_map(|cuts| {
            let cuts: Vec<u32> = cuts.into_iter().map(|c| c * 30).collect();
            cuts.chunks_exact(2)
                .map(|w| Span {
                    start: w[0],
                    end: w[1],
                })
                .collect::<Vec<_>>()
        });
        (prop::array::uniform7(day), any::<bool>()).prop_filter_map(
            "some working time",
            |(week, holidays)| {
                let mut c = BusinessCalendar::new(china_offset(), week).ok()?;
                if holidays {
                    c.load_holidays(CHINA_2026).ok()?;
                    c.load_holidays(CHINA_2027).ok()?;
                }
                Some(c)
            },
        )
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // Any minute of 2026 and 2027.
        (0i64..730 * 24 * 60).prop_map(|m| {
            Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap() + Duration::minutes(m)
        })
    }

    fn scope() -> impl Strategy<Value = SlaScope> {
        (
            prop::option::of(prop::sample::select(TicketType::ALL)),
            prop::option::of(prop::sample::select(Priority::ALL)),
            prop::option::of(prop::sample::select(vec!["VIP", "A", "B"])),
        )
            .prop_map(|(ticket_type, priority, tier)| SlaScope {
                ticket_type,
                priority,
                tier: tier.map(str::to_string),
            })
    }

    proptest! {
        /// Pausing and resuming an SLA clock never loses or gains working time, and the
        /// deadline after the resume lies in working time, on any week and holidays.
        #[test]
        fn pause_and_resume_keep_the_working_time(
            c in calendar(),
            start in instant(),
            target in 1i64..(80 * 60),
            run in 0u32..1000,
            wait in 0i64..(30 * 24 * 60),
        ) {
            let target = Duration::minutes(target);
            let clock = SlaClock::start(&c, start, target).unwrap();
            let due = clock.due().unwrap();
            // Pause somewhere before the deadline, resume after any wait.
            let paused_at = start + (due - start) * i32::try_from(run).unwrap() / 1000;
            let resumed_at = paused_at + Duration::minutes(wait);
            let paused = clock.pause(&c, paused_at);
            prop_assert_eq!(paused.due(), None);
            let resumed = paused.resume(&c, resumed_at).unwrap();
            let new_due = resumed.due().unwrap();
            prop_assert_eq!(
                c.working_between(start, paused_at) + c.working_between(resumed_at, new_due),
                target
            );
            prop_assert!(new_due > resumed_at);
            // The instant just before: a pause mid-second leaves a remainder with a
            // fraction of a second, so a deadline may fall 0.9 s into a working period.
            prop_assert!(c.is_working(new_due - Duration::nanoseconds(1)), "the instant before the deadline is working time");
        }

        /// The policy chosen matches the work order, no matching policy is more specific,
        /// and the order the policies come in does not change the choice.
        #[test]
        fn the_match_is_the_most_specific_and_order_free(
            scopes in prop::collection::vec(scope(), 0..12),
            ticket_type in prop::sample::select(TicketType::ALL),
            priority in prop::sample::select(Priority::ALL),
            tier in prop::option::of(prop::sample::select(vec!["VIP", "A", "C"])),
        ) {
            let policies: Vec<(SlaScope, String)> = scopes
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, format!("{i:03}")))
                .collect();
            fn key(p: &(SlaScope, String)) -> (&SlaScope, &str) {
                (&p.0, p.1.as_str())
            }
            let chosen = match_policy(&policies, key, ticket_type, priority, tier);
            let matching: Vec<_> = policies
                .iter()
                .filter(|p| p.0.matches(ticket_type, priority, tier))
                .collect();
            match chosen {
                None => prop_assert!(matching.is_empty()),
                Some(chosen) => {
                    prop_assert!(chosen.0.matches(ticket_type, priority, tier));
                    for m in &matching {
                        prop_assert!(m.0.specificity() <= chosen.0.specificity());
                    }
                    let mut reversed = policies.clone();
                    reversed.reverse();
                    let again = match_policy(&reversed, key, ticket_type, priority, tier).unwrap();
                    prop_assert_eq!(&again.1, &chosen.1);
                }
            }
        }
    }
}

mod tickets {
    use kefu_domain::ticket::{transition, Ownership, StatusAction, TicketStatus};
    use kefu_domain::UserId;
    use proptest::prelude::*;

    fn action() -> impl Strategy<Value = StatusAction> {
        prop_oneof![
            Just(StatusAction::Assign),
            Just(StatusAction::Start),
            Just(StatusAction::WaitForCustomer),
            Just(StatusAction::WaitForDepartment),
            Just(StatusAction::Resume),
            Just(StatusAction::Resolve),
            Just(StatusAction::Close),
            Just(StatusAction::Reopen),
        ]
    }

    proptest! {
        /// Whatever happens to a work order, its first owner never changes, and it is
        /// closed only straight after being resolved.
        #[test]
        fn first_owner_never_changes(steps in prop::collection::vec((action(), 0u8..6), 0..60)) {
            let mut status = TicketStatus::New;
            let mut owner = Ownership::new(UserId("first".into()));
            for (action, who) in steps {
                owner = owner.reassign((who > 0).then(|| UserId(format!("agent{who}"))));
                if let Ok(next) = transition(status, action) {
                    if next == TicketStatus::Closed {
                        prop_assert_eq!(status, TicketStatus::Resolved);
                    }
                    status = next;
                }
                prop_assert_eq!(owner.first_owner().map(|u| u.as_str()), Some("first"));
            }
        }
    }
}

mod queues {
    use chrono::NaiveDate;
    use kefu_domain::queue::{counter_deltas, counter_keys, QueueFacts};
    use kefu_domain::ticket::TicketStatus;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn facts() -> impl Strategy<Value = QueueFacts> {
        let status = prop::sample::select(TicketStatus::ALL.to_vec());
        let who = prop::option::of(prop::sample::select(vec!["u1", "u2", "u3"]));
        let dept = prop::sample::select(vec!["intake", "callback", "tech"]);
        (
            status,
            dept,
            who.clone(),
            who,
            any::<bool>(),
            prop::option::of(0u32..3),
            prop::collection::btree_set(prop::sample::select(vec!["tech", "rd"]), 0..2),
        )
            .prop_map(
                |(status, dept, assignee, owner, overdue, day, tasks)| QueueFacts {
                    status,
                    department_id: dept.into(),
                    assignee_id: assignee.map(Into::into),
                    first_owner_id: owner.map(Into::into),
                    overdue,
                    promise_due_day: day
                        .map(|d| NaiveDate::from_ymd_opt(2026, 11, 28 + d).unwrap()),
                    task_departments: tasks.into_iter().map(String::from).collect::<BTreeSet<_>>(),
                },
            )
    }

    proptest! {
        /// Counters kept up to date by applying deltas on every change always equal a
        /// full recount of the tickets' current queues.
        #[test]
        fn counters_kept_by_deltas_equal_a_recount(
            changes in prop::collection::vec((0usize..5, facts()), 1..80)
        ) {
            let mut tickets: BTreeMap<usize, QueueFacts> = BTreeMap::new();
            let mut counters: BTreeMap<String, i64> = BTreeMap::new();
            for (ticket, after) in changes {
                for (key, d) in counter_deltas(tickets.get(&ticket), &after) {
                    *counters.entry(key).or_default() += d;
                }
                tickets.insert(ticket, after);
            }
            let mut recount: BTreeMap<String, i64> = BTreeMap::new();
            for f in tickets.values() {
                for k in counter_keys(f) {
                    *recount.entry(k).or_default() += 1;
                }
            }
            counters.retain(|_, n| *n != 0);
            prop_assert_eq!(counters, recount);
        }
    }
}

mod calls {
    use chrono::{TimeZone, Utc};
    use kefu_domain::call::{merge_events, CallEvent, CallEventKind, CallState, HangupSide};
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = CallEvent> {
        (
            prop::sample::select(CallEventKind::ALL.to_vec()),
            0i64..600,
            prop::option::of(prop::sample::select(vec!["13812345678", "010-62345678"])),
            prop::option::of(prop::sample::select(vec!["consultation", "complaint"])),
            prop::option::of(prop::sample::select(vec!["A001", "agent2"])),
            prop::option::of(0i64..900),
            prop::option::of(prop::sample::select(HangupSide::ALL.to_vec())),
        )
            .prop_map(
                |(kind, at, caller, queue, agent, duration_s, hangup_side)| CallEvent {
                    kind,
                    at: Utc.timestamp_opt(1_700_000_000 + at, 0).unwrap(),
                    caller: caller.map(str::to_string),
                    ivr_key: None,
                    queue: queue.map(str::to_string),
                    agent: agent.map(str::to_string),
                    duration_s,
                    hangup_side,
                },
            )
    }

    proptest! {
        /// However the webhooks of one call are reordered or repeated, the call record
        /// comes out the same.
        #[test]
        fn any_order_of_a_calls_events_gives_the_same_record(
            events in prop::collection::vec(event(), 1..8),
            shuffled in Just(()).prop_perturb(|_, mut rng| rng.next_u64()),
            repeat in any::<prop::sample::Index>(),
        ) {
            let expected = merge_events(&events).unwrap();
            let mut other = events.clone();
            // A deterministic shuffle from the seed, plus one repeated (retried) event.
            let mut seed = shuffled;
            for i in (1..other.len()).rev() {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                other.swap(i, (seed >> 33) as usize % (i + 1));
            }
            other.push(repeat.get(&events).clone());
            prop_assert_eq!(merge_events(&other).unwrap(), expected.clone());
            // The state is the furthest any event got.
            let furthest = if events.iter().any(|e| e.kind == CallEventKind::Ended) {
                CallState::Ended
            } else if events.iter().any(|e| e.kind == CallEventKind::Answered) {
                CallState::Answered
            } else {
                CallState::Offered
            };
            prop_assert_eq!(expected.state, furthest);
            prop_assert_eq!(expected.offered_at.is_some(),
                events.iter().any(|e| e.kind == CallEventKind::Offered));
        }
    }
}

mod knowledge {
    use kefu_domain::knowledge::{fill, placeholders_in, Placeholder, ScriptValues};
    use proptest::prelude::*;

    fn values() -> ScriptValues {
        let mut v = ScriptValues::new();
        v.set(Placeholder::CustomerName, "王芳")
            .set(Placeholder::TicketNumber, "GD20261128-0007");
        v
    }

    proptest! {
        /// Text without a known placeholder comes back unchanged; whatever is unknown
        /// is reported, never silently dropped.
        #[test]
        fn filling_without_values_changes_nothing(text in "[a-z{}客户姓名工号 ]{0,60}") {
            let f = fill(&text, &ScriptValues::new(), str::to_string);
            prop_assert_eq!(&f.text, &text);
            let named = placeholders_in(&text);
            prop_assert_eq!(named.len(), f.missing.len() + f.unknown.len());
        }

        /// After filling, no filled placeholder is left and every other one still is.
        #[test]
        fn filled_placeholders_are_gone_and_others_stay(
            parts in prop::collection::vec(
                prop_oneof![Just("{客户姓名}"), Just("{工单号}"), Just("{工号}"), Just("{未知}"), Just("，您好 ")],
                0..12,
            )
        ) {
            let text: String = parts.concat();
            let f = fill(&text, &values(), str::to_string);
            let gone = !f.text.contains("{客户姓名}") && !f.text.contains("{工单号}");
            prop_assert!(gone, "filled placeholders remain: {}", f.text);
            prop_assert_eq!(f.text.contains("{工号}"), text.contains("{工号}"));
            prop_assert_eq!(f.text.contains("{未知}"), text.contains("{未知}"));
            prop_assert_eq!(f.unknown.is_empty(), !text.contains("{未知}"));
        }
    }
}
