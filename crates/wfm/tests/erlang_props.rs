//! Properties of Erlang C that any correct implementation has: more agents never make callers
//! wait more, and the staffing found is the smallest that meets the target.

use kefu_wfm::erlang::{
    average_speed_of_answer, occupancy, probability_of_waiting, required_agents, service_level,
    Target, Traffic,
};
use proptest::prelude::*;

fn traffic() -> impl Strategy<Value = Traffic> {
    (
        0.0..3000.0f64,
        prop::sample::select(vec![900.0, 1800.0, 3600.0]),
        30.0..900.0f64,
    )
        .prop_map(|(calls, interval_seconds, aht_seconds)| Traffic {
            calls,
            interval_seconds,
            aht_seconds,
        })
}

fn target() -> impl Strategy<Value = Target> {
    (0.5..0.99f64, 0.0..60.0f64, 0.0..0.5f64, 0.6..=1.0f64).prop_map(
        |(service_level, answer_seconds, shrinkage, max_occupancy)| Target {
            service_level,
            answer_seconds,
            shrinkage,
            max_occupancy,
        },
    )
}

proptest! {
    #[test]
    fn more_agents_serve_better(t in traffic(), extra in 0u32..200, answer in 0.0..120.0f64) {
        let a = t.erlangs();
        let n = a.floor() as u32 + 1 + extra;
        let (sl, sl_more) = (service_level(n, &t, answer), service_level(n + 1, &t, answer));
        prop_assert!(sl_more >= sl, "SL {sl} with {n} agents, {sl_more} with one more");
        let (pw, pw_more) = (probability_of_waiting(n, a), probability_of_waiting(n + 1, a));
        prop_assert!(pw_more <= pw, "P(W) {pw} with {n} agents, {pw_more} with one more");
        let (asa, asa_more) = (average_speed_of_answer(n, &t), average_speed_of_answer(n + 1, &t));
        prop_assert!(asa_more <= asa, "ASA {asa} with {n} agents, {asa_more} with one more");
        prop_assert!(occupancy(n + 1, &t) <= occupancy(n, &t));
        prop_assert!((0.0..=1.0).contains(&sl) && (0.0..=1.0).contains(&pw));
    }

    #[test]
    fn a_longer_answer_time_is_easier_to_meet(t in traffic(), extra in 0u32..50, answer in 0.0..120.0f64) {
        let n = t.erlangs().floor() as u32 + 1 + extra;
        prop_assert!(service_level(n, &t, answer + 5.0) >= service_level(n, &t, answer));
    }

    #[test]
    fn required_agents_is_the_smallest_that_meets_the_target(t in traffic(), target in target()) {
        let s = required_agents(&t, &target).unwrap();
        let a = t.erlangs();
        let n = s.agents_on_phone;
        if t.calls == 0.0 {
            prop_assert_eq!(n, 0);
            return Ok(());
        }
        prop_assert!(f64::from(n) > a);
        prop_assert!(s.service_level >= target.service_level);
        prop_assert!(s.occupancy <= target.max_occupancy);
        prop_assert_eq!(s.service_level, service_level(n, &t, target.answer_seconds));
        // One fewer fails the target, the occupancy cap or stability.
        let fewer = n - 1;
        prop_assert!(
            f64::from(fewer) <= a
                || occupancy(fewer, &t) > target.max_occupancy
                || service_level(fewer, &t, target.answer_seconds) < target.service_level
        );
        let on_phone_after_shrinkage = f64::from(s.agents_scheduled) * (1.0 - target.shrinkage);
        prop_assert!(on_phone_after_shrinkage >= f64::from(n) * (1.0 - 1e-9));
        let one_fewer_scheduled = f64::from(s.agents_scheduled - 1) * (1.0 - target.shrinkage);
        prop_assert!(one_fewer_scheduled < f64::from(n));
    }

    #[test]
    fn a_stricter_target_never_needs_fewer_agents(t in traffic(), target in target(), more in 0.0..0.09f64) {
        let strict = Target { service_level: (target.service_level + more).min(0.995), ..target };
        let easy = required_agents(&t, &target).unwrap().agents_on_phone;
        prop_assert!(required_agents(&t, &strict).unwrap().agents_on_phone >= easy);
    }
}
