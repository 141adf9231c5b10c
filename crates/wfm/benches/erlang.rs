//! Erlang C staffing for 1,000 realistic intervals (issue 8 asks for ≤ 10 ms): 0–3,000 calls per
//! 30 minutes, AHT 180–600 s, 80/20 or 80/15, 30% shrinkage, at most 85% occupancy.
//!
//! Run with `cargo bench -p kefu-wfm --bench erlang`; prints the median, fastest and slowest of
//! repeated runs over the same seeded intervals.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kefu_wfm::erlang::{required_agents, Target, Traffic};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const INTERVALS: usize = 1000;
const RUNS: usize = 101;

fn intervals() -> Vec<(Traffic, Target)> {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    (0..INTERVALS)
        .map(|_| {
            let traffic = Traffic {
                calls: f64::from(rng.gen_range(0..=3000u32)),
                interval_seconds: 1800.0,
                aht_seconds: f64::from(rng.gen_range(180..=600u32)),
            };
            let target = Target {
                service_level: 0.8,
                answer_seconds: if rng.gen_bool(0.5) { 20.0 } else { 15.0 },
                shrinkage: 0.3,
                max_occupancy: 0.85,
            };
            (traffic, target)
        })
        .collect()
}

fn main() {
    let intervals = intervals();
    let erlangs: f64 = intervals.iter().map(|(t, _)| t.erlangs()).sum();
    let mut scheduled = 0u64;
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut total = 0u64;
        for (traffic, target) in black_box(&intervals) {
            let staffing = required_agents(traffic, target).expect("realistic inputs are valid");
            total += u64::from(staffing.agents_scheduled);
        }
        times.push(started.elapsed());
        scheduled = black_box(total);
    }
    times.sort();
    println!(
        "erlang C required agents, {INTERVALS} intervals ({:.0} erlangs in all, {scheduled} agents \
         scheduled), {RUNS} runs: median {:.3} ms, fastest {:.3} ms, slowest {:.3} ms",
        erlangs,
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
