//! Erlang C against published values, closed forms and independent references: a naive f64
//! sum of the textbook terms for small agent counts and a log-space sum for large ones.

use kefu_wfm::erlang::{
    average_speed_of_answer, occupancy, probability_of_waiting, required_agents, service_level,
    ErlangError, Target, Traffic,
};

fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= rel,
        "{what}: got {got}, want {want}, relative error {err:e}"
    );
}

/// 100 calls in 30 minutes at 180 s: the worked example published with pyworkforce's and the
/// R ErlangC package's documentation (10 erlangs, 14 agents for 80/20, 20 with 30% shrinkage).
fn published_example() -> Traffic {
    Traffic {
        calls: 100.0,
        interval_seconds: 1800.0,
        aht_seconds: 180.0,
    }
}

const EIGHTY_TWENTY: Target = Target {
    service_level: 0.8,
    answer_seconds: 20.0,
    shrinkage: 0.3,
    max_occupancy: 0.85,
};

/// The published table for 10 erlangs at 80/20: agents, P(W), service level, ASA (s) and
/// occupancy, each with the relative precision it was published to.
const PUBLISHED: [(u32, f64, f64, Option<f64>, f64); 2] = [
    (11, 0.6821182, 0.3896138, None, 1e-6),
    (
        14,
        0.1741319335950498,
        0.8883500191794669,
        Some(7.83593701177724),
        1e-9,
    ),
];

#[test]
fn published_values_for_ten_erlangs() {
    let t = published_example();
    assert_eq!(t.erlangs(), 10.0);
    for (agents, waiting, sl, asa, rel) in PUBLISHED {
        let what = format!("{agents} agents");
        assert_close(probability_of_waiting(agents, 10.0), waiting, rel, &what);
        assert_close(service_level(agents, &t, 20.0), sl, rel, &what);
        if let Some(asa) = asa {
            assert_close(average_speed_of_answer(agents, &t), asa, rel, &what);
        }
        assert_close(
            occupancy(agents, &t),
            10.0 / f64::from(agents),
            1e-15,
            &what,
        );
    }
    assert_close(
        occupancy(14, &t),
        0.7142857142857143,
        1e-15,
        "published occupancy",
    );
}

#[test]
fn published_staffing_for_ten_erlangs() {
    let s = required_agents(&published_example(), &EIGHTY_TWENTY).unwrap();
    assert_eq!(s.agents_on_phone, 14);
    assert_eq!(
        s.agents_scheduled, 20,
        "ceil(14 / 0.7) must not round 20.000000000000004 up"
    );
    assert_close(s.service_level, 0.8883500191794669, 1e-9, "SL");
    assert_close(s.probability_of_waiting, 0.1741319335950498, 1e-9, "P(W)");
    assert_close(s.asa_seconds, 7.83593701177724, 1e-9, "ASA");
    // 13 agents fall short: the answer is the smallest.
    assert!(service_level(13, &published_example(), 20.0) < 0.8);
}

/// M/M/1 waits with probability ρ = A and M/M/2 with A² / (2 + A), for any load.
#[test]
fn closed_forms_for_one_and_two_agents() {
    for a in [0.01, 0.1, 0.37, 0.5, 0.9, 0.999] {
        assert_close(probability_of_waiting(1, a), a, 1e-14, "M/M/1");
    }
    for a in [0.01, 0.5, 1.0, 1.5, 1.99] {
        assert_close(
            probability_of_waiting(2, a),
            a * a / (2.0 + a),
            1e-14,
            "M/M/2",
        );
    }
    assert_close(
        probability_of_waiting(3, 2.0),
        4.0 / 9.0,
        1e-14,
        "3 agents, 2 erlangs",
    );
}

/// The textbook formula term by term in f64: fine for N ≤ 30 where N! and A^N still fit.
fn naive_erlang_c(n: u32, a: f64) -> f64 {
    let mut factorial = 1.0;
    let mut below = 0.0;
    for k in 0..n {
        if k > 0 {
            factorial *= f64::from(k);
        }
        below += a.powi(k as i32) / factorial;
    }
    factorial *= f64::from(n);
    let top = a.powi(n as i32) / factorial * f64::from(n) / (f64::from(n) - a);
    top / (below + top)
}

#[test]
fn agrees_with_the_naive_formula_up_to_thirty_agents() {
    for n in 1..=30u32 {
        for step in 1..=40 {
            let a = f64::from(n) * f64::from(step) / 41.0;
            let want = naive_erlang_c(n, a);
            assert_close(
                probability_of_waiting(n, a),
                want,
                1e-9,
                &format!("N={n}, A={a}"),
            );
        }
    }
}

/// Erlang C from log-space terms `k·ln A − ln k!` with a log-sum-exp: an independent way that
/// also never overflows, to check thousands of agents.
fn log_space_erlang_c(n: u32, a: f64) -> f64 {
    let mut ln_terms = Vec::with_capacity(n as usize + 1);
    let mut ln_factorial = 0.0;
    for k in 0..=n {
        if k > 0 {
            ln_factorial += f64::from(k).ln();
        }
        ln_terms.push(f64::from(k) * a.ln() - ln_factorial);
    }
    let n_f = f64::from(n);
    let ln_top = ln_terms[n as usize] + (n_f / (n_f - a)).ln();
    let max = ln_terms.iter().copied().fold(ln_top, f64::max);
    let below: f64 = ln_terms[..n as usize].iter().map(|t| (t - max).exp()).sum();
    let top = (ln_top - max).exp();
    top / (below + top)
}

#[test]
fn stable_up_to_five_thousand_agents() {
    for n in [31u32, 100, 500, 1000, 2500, 5000] {
        for occupancy in [0.5, 0.8, 0.9, 0.97, 0.995] {
            let a = f64::from(n) * occupancy;
            let got = probability_of_waiting(n, a);
            let want = log_space_erlang_c(n, a);
            if want < 1e-280 {
                // Half-loaded thousands of agents: e^-966 for N = 5000, below any f64.
                assert!(got < 1e-280, "N={n}, A={a}: {got}, want {want:e}");
            } else {
                assert_close(got, want, 1e-9, &format!("N={n}, A={a}"));
            }
        }
    }
}

#[test]
fn a_hundred_thousand_calls_in_an_interval() {
    let t = Traffic {
        calls: 100_000.0,
        interval_seconds: 900.0,
        aht_seconds: 600.0,
    };
    let a = t.erlangs();
    let capped = Target {
        service_level: 0.8,
        answer_seconds: 15.0,
        ..EIGHTY_TWENTY
    };
    let s = required_agents(&t, &capped).unwrap();
    assert_eq!(
        s.agents_on_phone,
        (a / 0.85).ceil() as u32,
        "the occupancy cap decides"
    );
    // Without the cap, Erlang C decides a few agents above A, where waiting is likely.
    let uncapped = Target {
        max_occupancy: 1.0,
        ..capped
    };
    let s = required_agents(&t, &uncapped).unwrap();
    let n = s.agents_on_phone;
    assert!(
        f64::from(n) > a && f64::from(n) < a + 100.0,
        "{n} agents for {a} erlangs"
    );
    assert!(s.service_level >= 0.8 && s.service_level < 0.81);
    assert!(service_level(n - 1, &t, 15.0) < 0.8);
    assert_close(
        s.probability_of_waiting,
        log_space_erlang_c(n, a),
        1e-9,
        "P(W) at 66,667 E",
    );
}

#[test]
fn unstable_and_empty_queues() {
    let t = published_example();
    assert_eq!(probability_of_waiting(10, 10.0), 1.0);
    assert_eq!(probability_of_waiting(3, 10.0), 1.0);
    assert_eq!(service_level(10, &t, 20.0), 0.0);
    assert_eq!(average_speed_of_answer(9, &t), f64::INFINITY);
    assert_eq!(occupancy(5, &t), 1.0);
    assert_eq!(probability_of_waiting(0, 0.0), 0.0);
    assert_eq!(
        probability_of_waiting(5000, 1e-3),
        0.0,
        "underflows to exactly zero"
    );
    assert!(probability_of_waiting(5, -1.0).is_nan());

    let quiet = Traffic { calls: 0.0, ..t };
    let s = required_agents(&quiet, &EIGHTY_TWENTY).unwrap();
    assert_eq!((s.agents_on_phone, s.agents_scheduled), (0, 0));
    assert_eq!(
        (s.service_level, s.asa_seconds, s.occupancy),
        (1.0, 0.0, 0.0)
    );
}

#[test]
fn occupancy_cap_can_decide() {
    // 100 erlangs need far fewer than 100 / 0.85 agents for 80/20: the cap decides.
    let t = Traffic {
        calls: 1000.0,
        interval_seconds: 1800.0,
        aht_seconds: 180.0,
    };
    let s = required_agents(&t, &EIGHTY_TWENTY).unwrap();
    assert_eq!(s.agents_on_phone, 118, "ceil(100 / 0.85)");
    assert!(s.occupancy <= 0.85);
    assert!(occupancy(117, &t) > 0.85, "one fewer breaks the cap");
    // Without the cap, service level alone decides and fewer agents suffice.
    let uncapped = Target {
        max_occupancy: 1.0,
        ..EIGHTY_TWENTY
    };
    let s = required_agents(&t, &uncapped).unwrap();
    assert!(s.agents_on_phone < 118 && s.agents_on_phone > 100);
    assert!(service_level(s.agents_on_phone - 1, &t, 20.0) < 0.8);
}

#[test]
fn shrinkage_rounds_up_scheduled_agents() {
    let no_shrinkage = Target {
        shrinkage: 0.0,
        ..EIGHTY_TWENTY
    };
    let s = required_agents(&published_example(), &no_shrinkage).unwrap();
    assert_eq!((s.agents_on_phone, s.agents_scheduled), (14, 14));
    let heavy = Target {
        shrinkage: 0.35,
        ..EIGHTY_TWENTY
    };
    let s = required_agents(&published_example(), &heavy).unwrap();
    assert_eq!(s.agents_scheduled, 22, "14 / 0.65 = 21.54");
}

#[test]
fn bad_inputs_are_refused() {
    let t = published_example();
    let bad_traffic = [
        (
            Traffic { calls: -1.0, ..t },
            ErlangError::InvalidCalls(-1.0),
        ),
        (
            Traffic {
                interval_seconds: 0.0,
                ..t
            },
            ErlangError::InvalidInterval(0.0),
        ),
        (
            Traffic {
                aht_seconds: -5.0,
                ..t
            },
            ErlangError::InvalidHandleTime(-5.0),
        ),
    ];
    for (traffic, want) in bad_traffic {
        assert_eq!(required_agents(&traffic, &EIGHTY_TWENTY), Err(want));
    }
    assert!(matches!(
        required_agents(
            &Traffic {
                calls: f64::NAN,
                ..t
            },
            &EIGHTY_TWENTY
        ),
        Err(ErlangError::InvalidCalls(_))
    ));
    let bad_targets = [
        (
            Target {
                service_level: 1.0,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidServiceLevel(1.0),
        ),
        (
            Target {
                service_level: 0.0,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidServiceLevel(0.0),
        ),
        (
            Target {
                answer_seconds: -1.0,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidAnswerTime(-1.0),
        ),
        (
            Target {
                shrinkage: 1.0,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidShrinkage(1.0),
        ),
        (
            Target {
                shrinkage: -0.1,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidShrinkage(-0.1),
        ),
        (
            Target {
                max_occupancy: 0.0,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidMaxOccupancy(0.0),
        ),
        (
            Target {
                max_occupancy: 1.2,
                ..EIGHTY_TWENTY
            },
            ErlangError::InvalidMaxOccupancy(1.2),
        ),
    ];
    for (target, want) in bad_targets {
        assert_eq!(required_agents(&t, &target), Err(want));
    }
    let err = required_agents(&Traffic { calls: 1e20, ..t }, &EIGHTY_TWENTY).unwrap_err();
    assert!(matches!(err, ErlangError::TooManyAgents { .. }));
}
