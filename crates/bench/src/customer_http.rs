//! `kefu-bench http`: latency of the customer endpoints over loopback (issue 2,
//! `bench/foundation.sh`) — a phone-number lookup and the first page of the list.

use super::{client, percentile};
use anyhow::{bail, ensure, Context};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct HttpArgs {
    pub base: String,
    pub token: String,
    pub requests: usize,
    pub concurrency: usize,
    pub phones: PathBuf,
    pub warmup: usize,
    pub time_limit: Duration,
    pub seed: u64,
}

#[derive(Clone, Copy)]
enum Scenario {
    PhoneLookup,
    FirstPage,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::PhoneLookup => "phone_lookup",
            Scenario::FirstPage => "first_page",
        }
    }

    fn url(self, base: &str, phones: &[String], rng: &mut StdRng) -> String {
        match self {
            Scenario::PhoneLookup => format!(
                "{base}/api/v1/customers?q={}",
                phones.choose(rng).expect("phones checked not empty")
            ),
            Scenario::FirstPage => format!("{base}/api/v1/customers?limit=50"),
        }
    }

    /// How many items a correct answer holds.
    fn expected_items(self) -> usize {
        match self {
            Scenario::PhoneLookup => 1,
            Scenario::FirstPage => 50,
        }
    }
}

struct RunResult {
    /// Microseconds, one per completed request.
    latencies: Vec<u64>,
    errors: usize,
    elapsed: Duration,
    timed_out: bool,
}

async fn run(
    client: &reqwest::Client,
    args: &HttpArgs,
    phones: &Arc<Vec<String>>,
    scenario: Scenario,
    requests: usize,
    seed: u64,
) -> anyhow::Result<RunResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + args.time_limit;
    let mut workers = tokio::task::JoinSet::new();
    let cap = requests / args.concurrency + 1;
    for w in 0..args.concurrency {
        let (client, next, phones) = (client.clone(), next.clone(), phones.clone());
        let (base, token) = (args.base.clone(), args.token.clone());
        workers.spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(w as u64));
            let mut latencies = Vec::with_capacity(cap);
            let mut errors = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                if Instant::now() >= deadline {
                    return (latencies, errors, true);
                }
                let url = scenario.url(&base, &phones, &mut rng);
                let t = Instant::now();
                let ok = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        ok & resp.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                latencies.push(t.elapsed().as_micros() as u64);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors, false)
        });
    }
    let mut result = RunResult {
        latencies: Vec::with_capacity(requests),
        errors: 0,
        elapsed: Duration::ZERO,
        timed_out: false,
    };
    while let Some(joined) = workers.join_next().await {
        let (latencies, errors, timed_out) = joined?;
        result.latencies.extend(latencies);
        result.errors += errors;
        result.timed_out |= timed_out;
    }
    result.elapsed = started.elapsed();
    Ok(result)
}

/// Checks a few answers for content, so that fast errors are not mistaken for speed.
async fn validate(
    client: &reqwest::Client,
    args: &HttpArgs,
    phones: &[String],
    scenario: Scenario,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x5eed);
    for _ in 0..20 {
        let url = scenario.url(&args.base, phones, &mut rng);
        let resp = client.get(&url).bearer_auth(&args.token).send().await?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("GET {url}: not JSON ({status})"))?;
        ensure!(status.is_success(), "GET {url}: {status} {body}");
        let items = body["items"].as_array().map(Vec::len).unwrap_or(0);
        ensure!(
            items == scenario.expected_items(),
            "GET {url}: {items} items, expected {}",
            scenario.expected_items()
        );
    }
    Ok(())
}

pub async fn http(args: HttpArgs) -> anyhow::Result<()> {
    let phones: Vec<String> = std::io::BufReader::new(
        std::fs::File::open(&args.phones)
            .with_context(|| format!("cannot open {}", args.phones.display()))?,
    )
    .lines()
    .map(|l| l.map(|l| l.trim().to_string()))
    .filter(|l| l.as_ref().map_or(true, |l| !l.is_empty()))
    .collect::<Result<_, _>>()?;
    ensure!(
        !phones.is_empty(),
        "{} holds no phone numbers",
        args.phones.display()
    );
    ensure!(
        args.concurrency >= 1 && args.requests >= 1,
        "--requests and --concurrency must be at least 1"
    );
    let phones = Arc::new(phones);
    let client = client()?;
    println!(
        "http benchmark: {} measured requests per scenario, {} concurrent, {} warm-up, {} phones to pick from, limit {} s per scenario",
        args.requests,
        args.concurrency,
        args.warmup,
        phones.len(),
        args.time_limit.as_secs()
    );
    let mut failed = false;
    for scenario in [Scenario::PhoneLookup, Scenario::FirstPage] {
        validate(&client, &args, &phones, scenario)
            .await
            .with_context(|| format!("{}: wrong answers", scenario.name()))?;
        if args.warmup > 0 {
            run(
                &client,
                &args,
                &phones,
                scenario,
                args.warmup,
                args.seed ^ 0xfeed,
            )
            .await?;
        }
        let mut r = run(&client, &args, &phones, scenario, args.requests, args.seed).await?;
        r.latencies.sort_unstable();
        let secs = r.elapsed.as_secs_f64();
        let l = &r.latencies;
        println!(
            "RESULT scenario={} requests={} errors={} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3} rps={:.0} seconds={:.1}{}",
            scenario.name(),
            l.len(),
            r.errors,
            percentile(l, 50.0),
            percentile(l, 90.0),
            percentile(l, 99.0),
            percentile(l, 100.0),
            l.len() as f64 / secs.max(1e-9),
            secs,
            if r.timed_out { " timed_out=yes" } else { "" }
        );
        failed |= r.errors > 0;
    }
    if failed {
        bail!("some requests failed");
    }
    Ok(())
}
