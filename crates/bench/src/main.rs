//! `kefu-bench`: the tools behind `bench/foundation.sh`.
//!
//! * `gen-customers` writes a realistic, seeded customer CSV (streaming, unique mobiles).
//! * `http` measures request latency of the customer endpoints over loopback.
//! * `seed-articles`, `search-http`, `search-fresh` and `fts5`: the search benchmark
//!   (issue 4, `bench/search.sh`); `seed-tickets --text` gives tickets realistic text.
//! * `assign`: balanced assignment (issue 5), the pure plan and the commit on SQLite.
//! * `callbacks`: a month's periodic callback tasks for N customers on SQLite (issue 5).
//! * `chat`: concurrent web chat connections and message delivery latency (issue 6).
//! * `mail-append` and `mail-ingest`: e-mail read from a local IMAP server into tickets
//!   (issue 6, `bench/mail.sh`).
//! * `qa-sample` and `qa-checks`: quality inspection's monthly sample and automatic checks
//!   (issue 7), pure and in memory.
//! * `login`, `wait-ready`, `free-port` and `mem` are small helpers so the driver script needs no
//!   other tools.
//!
//! Every load this tool generates is bounded in count and in time and stops by itself.

use anyhow::{bail, ensure, Context};
use clap::{Parser, Subcommand};

mod assign;
mod callbacks;
mod chat;
mod customers;
mod fts5;
mod mail;
mod qa;
mod search;
mod seed;
mod text;
mod tickets;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "kefu-bench",
    about = "kefu benchmarks: data generation and an HTTP latency driver"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a customer CSV (姓名,手机,公司,等级,状态,性别,标签,备注) with unique mobiles.
    GenCustomers {
        #[arg(long)]
        rows: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write a sample of the generated mobiles here, one a line.
        #[arg(long)]
        phones_out: Option<PathBuf>,
        /// How many mobiles to sample into --phones-out (evenly spread over the file).
        #[arg(long, default_value_t = 10_000)]
        phones_sample: u64,
    },
    /// Measure GET /api/v1/customers?q=<mobile> and ?limit=50 latency.
    Http {
        /// e.g. http://127.0.0.1:18080
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        /// Measured requests per scenario.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Mobiles to look up, one a line.
        #[arg(long)]
        phones: PathBuf,
        /// Unmeasured requests per scenario before the measured ones.
        #[arg(long, default_value_t = 1_000)]
        warmup: usize,
        /// Hard limit for each scenario's measured run, in seconds.
        #[arg(long, default_value_t = 120)]
        time_limit: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Log in and print the bearer token.
    Login {
        #[arg(long)]
        base: String,
        #[arg(long, default_value = "admin")]
        username: String,
        #[arg(long, env = "KEFU_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Wait until GET /readyz answers 200 (or fail after --timeout seconds).
    WaitReady {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Measure POST /api/v1/tickets (issue 3: ≥ 3,000 tickets/s at 16 clients, p99 ≤ 20 ms).
    TicketsCreate {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 30_000)]
        requests: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 1_000)]
        warmup: usize,
    },
    /// Measure every queue's first page and the badge counts.
    Queues {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 5_000)]
        requests: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Write tickets straight into kefu's database (start kefu once first, then stop it).
    SeedTickets {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Varied subjects, descriptions and callers (the search benchmark's data).
        #[arg(long)]
        text: bool,
        /// With --text: write sampled needles (category<TAB>query) here.
        #[arg(long)]
        needles_out: Option<PathBuf>,
    },
    /// Write published knowledge articles (the handbook's sections, then generated FAQs,
    /// scripts and manuals) through the store (start kefu once first, then stop it).
    SeedArticles {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure GET /api/v1/search over a realistic query mix (issue 4: p50 ≤ 5 ms,
    /// p99 ≤ 50 ms).
    SearchHttp {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        /// From `seed-tickets --text --needles-out`.
        #[arg(long)]
        needles: PathBuf,
        #[arg(long, default_value_t = 5_000)]
        requests: usize,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        #[arg(long, default_value_t = 500)]
        warmup: usize,
    },
    /// Create tickets and time until the search finds each (issue 4: ≤ 1 s).
    SearchFresh {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 200)]
        writes: usize,
        #[arg(long, default_value_t = 3)]
        seed: u64,
    },
    /// SQLite FTS5 (trigram) beside kefu's index: build time, the query mix in-process,
    /// recall@10 on the judged handbook set. Stop the server first.
    Fts5 {
        /// kefu's SQLite database file.
        #[arg(long)]
        database: PathBuf,
        /// Where to write the FTS5 database (replaced).
        #[arg(long)]
        out: PathBuf,
        /// kefu's index directory (`<data-dir>/search`).
        #[arg(long)]
        index_dir: PathBuf,
        #[arg(long)]
        needles: PathBuf,
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
    /// Time the scheduler's idle tick (the due-job claim) on kefu's database.
    SchedulerTick {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 2_000)]
        iterations: usize,
    },
    /// Time balanced assignment (issue 5: 100,000 customers to 200 weighted agents, ≤ 1 s):
    /// the pure plan, then preview and commit on a fresh SQLite database.
    Assign {
        /// The SQLite file to create (replaced).
        #[arg(long)]
        database: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        customers: u64,
        #[arg(long, default_value_t = 200)]
        agents: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Generate one month's periodic callback tasks for N customers on SQLite, then rerun.
    Callbacks {
        /// The SQLite file to create (replaced).
        #[arg(long)]
        database: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Web chat (issue 6: 1,000 connections, p99 delivery ≤ 50 ms): N visitor WebSockets
    /// and one agent console on a running server; every visitor sends paced messages.
    Chat {
        #[arg(long)]
        base: String,
        /// A user with chat.answer and chat.manage (the demo's manager).
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 999)]
        visitors: usize,
        /// Messages per visitor.
        #[arg(long, default_value_t = 10)]
        messages: usize,
        /// Milliseconds between one visitor's messages.
        #[arg(long, default_value_t = 1_000)]
        interval_ms: u64,
        #[arg(long, default_value_t = 300)]
        time_limit: u64,
    },
    /// APPEND realistic messages (GBK and UTF-8, replies, HTML, attachments) to the INBOX
    /// of an IMAP server on 127.0.0.1.
    MailAppend {
        #[arg(long)]
        imap_port: u16,
        #[arg(long)]
        user: String,
        #[arg(long, env = "KEFU_BENCH_IMAP_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Mail ingest (issue 6: 10,000 messages, ≥ 500 messages/s end to end): add the IMAP
    /// mailbox to a running kefu and time until every message is read.
    MailIngest {
        #[arg(long)]
        base: String,
        /// A user with mail.manage and ticket.read (the admin).
        #[arg(long)]
        token: String,
        #[arg(long)]
        imap_port: u16,
        #[arg(long)]
        user: String,
        #[arg(long, env = "KEFU_BENCH_IMAP_PASSWORD", hide_env_values = true)]
        password: String,
        /// How many messages the INBOX holds (its last UID).
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        #[arg(long, default_value_t = 600)]
        time_limit: u64,
    },
    /// Print a TCP port on 127.0.0.1 that is free right now.
    FreePort,
    /// Print a process's peak and current resident memory from /proc (VmHWM, VmRSS, and
    /// VmRSS split into anonymous memory and mapped file pages such as the search index).
    Mem {
        #[arg(long)]
        pid: u32,
    },
    /// Time the pure monthly QA sample over generated candidates (issue 7).
    QaSample {
        #[arg(long, default_value_t = 2_000)]
        agents: u32,
        #[arg(long, default_value_t = 1_000_000)]
        items: u64,
        /// Inspectors, taken from the agents (they have items of their own).
        #[arg(long, default_value_t = 40)]
        inspectors: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Time the automatic QA checks over generated Chinese chats on one thread (issue 7).
    QaChecks {
        #[arg(long, default_value_t = 1_000_000)]
        messages: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::GenCustomers {
            rows,
            out,
            seed,
            phones_out,
            phones_sample,
        } => customers::gen_customers(rows, &out, seed, phones_out.as_deref(), phones_sample),
        Command::QaSample {
            agents,
            items,
            inspectors,
            seed,
            runs,
        } => qa::sample_bench(agents, items, inspectors, seed, runs),
        Command::QaChecks {
            messages,
            seed,
            runs,
        } => qa::checks_bench(messages, seed, runs),
        Command::FreePort => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", listener.local_addr()?.port());
            Ok(())
        }
        Command::Mem { pid } => {
            let (hwm, rss) = mem_of(pid)?;
            let (anon, file) = (status_kb(pid, "RssAnon:")?, status_kb(pid, "RssFile:")?);
            let mb = |kb: u64| kb as f64 / 1024.0;
            println!(
                "pid={pid} VmHWM_kB={hwm} VmRSS_kB={rss} VmHWM_MB={:.1} VmRSS_MB={:.1} \
                 RssAnon_MB={:.1} RssFile_MB={:.1}",
                mb(hwm),
                mb(rss),
                mb(anon),
                mb(file)
            );
            Ok(())
        }
        // One client thread: the server under test keeps the other core to itself as far
        // as possible on a 2-core machine.
        command => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(async move {
                match command {
                    Command::TicketsCreate {
                        base,
                        token,
                        requests,
                        concurrency,
                        warmup,
                    } => tickets::create(&base, &token, requests, concurrency, warmup).await,
                    Command::Queues {
                        base,
                        token,
                        requests,
                        concurrency,
                    } => tickets::queues(&base, &token, requests, concurrency).await,
                    Command::SeedTickets {
                        database_url,
                        count,
                        seed,
                        text,
                        needles_out,
                    } => {
                        tickets::seed(&database_url, count, seed, text, needles_out.as_deref())
                            .await
                    }
                    Command::SeedArticles {
                        database_url,
                        count,
                        seed,
                    } => search::seed_articles(&database_url, count, seed).await,
                    Command::SearchHttp {
                        base,
                        token,
                        needles,
                        requests,
                        concurrency,
                        warmup,
                    } => search::http(&base, &token, &needles, requests, concurrency, warmup).await,
                    Command::SearchFresh {
                        base,
                        token,
                        writes,
                        seed,
                    } => search::fresh(&base, &token, writes, seed).await,
                    Command::Fts5 {
                        database,
                        out,
                        index_dir,
                        needles,
                        requests,
                    } => fts5::run(&database, &out, &index_dir, &needles, requests).await,
                    Command::SchedulerTick {
                        database_url,
                        iterations,
                    } => tickets::scheduler_tick(&database_url, iterations).await,
                    Command::Assign {
                        database,
                        customers,
                        agents,
                        seed,
                    } => assign::run(&database, customers, agents, seed).await,
                    Command::Callbacks {
                        database,
                        customers,
                        seed,
                    } => callbacks::run(&database, customers, seed).await,
                    Command::Chat {
                        base,
                        token,
                        visitors,
                        messages,
                        interval_ms,
                        time_limit,
                    } => {
                        chat::run(chat::ChatArgs {
                            base,
                            token,
                            visitors,
                            messages,
                            interval: Duration::from_millis(interval_ms),
                            time_limit: Duration::from_secs(time_limit),
                        })
                        .await
                    }
                    Command::MailAppend {
                        imap_port,
                        user,
                        password,
                        messages,
                        seed,
                    } => mail::append(imap_port, &user, &password, messages, seed).await,
                    Command::MailIngest {
                        base,
                        token,
                        imap_port,
                        user,
                        password,
                        messages,
                        time_limit,
                    } => {
                        mail::ingest(mail::IngestArgs {
                            base,
                            token,
                            imap_port,
                            user,
                            password,
                            count: messages,
                            time_limit: Duration::from_secs(time_limit),
                        })
                        .await
                    }
                    Command::Http {
                        base,
                        token,
                        requests,
                        concurrency,
                        phones,
                        warmup,
                        time_limit,
                        seed,
                    } => {
                        http(HttpArgs {
                            base,
                            token,
                            requests,
                            concurrency,
                            phones,
                            warmup,
                            time_limit: Duration::from_secs(time_limit),
                            seed,
                        })
                        .await
                    }
                    Command::Login {
                        base,
                        username,
                        password,
                    } => login(&base, &username, &password).await,
                    Command::WaitReady { base, timeout } => {
                        wait_ready(&base, Duration::from_secs(timeout)).await
                    }
                    Command::GenCustomers { .. }
                    | Command::Mem { .. }
                    | Command::FreePort
                    | Command::QaSample { .. }
                    | Command::QaChecks { .. } => {
                        unreachable!("handled above")
                    }
                }
            }),
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

struct HttpArgs {
    base: String,
    token: String,
    requests: usize,
    concurrency: usize,
    phones: PathBuf,
    warmup: usize,
    time_limit: Duration,
    seed: u64,
}

fn client() -> anyhow::Result<reqwest::Client> {
    kefu_server::install_tls_provider();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(64)
        .build()?)
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

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64 / 1000.0
}

async fn http(args: HttpArgs) -> anyhow::Result<()> {
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

async fn login(base: &str, username: &str, password: &str) -> anyhow::Result<()> {
    let resp = client()?
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.context("login answer is not JSON")?;
    ensure!(status.is_success(), "login failed: {status} {body}");
    let token = body["token"]
        .as_str()
        .context("login answer has no token")?;
    println!("{token}");
    Ok(())
}

async fn wait_ready(base: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = client()?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(resp) = client.get(format!("{base}/readyz")).send().await {
            if resp.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            bail!("{base} not ready after {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Memory

/// (VmHWM, VmRSS) in kB.
fn mem_of(pid: u32) -> anyhow::Result<(u64, u64)> {
    Ok((status_kb(pid, "VmHWM:")?, status_kb(pid, "VmRSS:")?))
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_kb(pid: u32, name: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("no process {pid}"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(name))
        .with_context(|| format!("no {name} for {pid}"))?;
    Ok(line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?)
}
