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
//!   (issue 7), pure and in memory; `seed-qa`, `qa-draw` and `qa-undraw`: the same draw
//!   through the server over a seeded month (`bench/qa.sh`).
//! * `seed-reports` and `report-http`: reports over millions of tickets (issue 9,
//!   `bench/reports.sh`).
//! * `login`, `wait-ready`, `free-port` and `mem` are small helpers so the driver script needs no
//!   other tools.
//!
//! Every load this tool generates is bounded in count and in time and stops by itself.

use anyhow::{bail, ensure, Context};
use clap::{Parser, Subcommand};

mod assign;
mod callbacks;
mod chat;
mod customer_http;
mod customers;
mod fts5;
mod mail;
mod qa;
mod qa_draw;
mod qa_rows;
mod qa_seed;
mod reports;
mod search;
mod seed;
mod text;
mod tickets;
use std::path::PathBuf;
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
    /// Write a month of inspectable work (calls, chats, work orders) for N agents, with
    /// inspectors and a QA lead, into kefu's database (start kefu once first, then stop it).
    SeedQa(qa_seed::SeedArgs),
    /// Write N tickets with their events over the last months into kefu's database
    /// (SQLite or PostgreSQL; start kefu once first, then stop it).
    SeedReports(reports::SeedArgs),
    /// Time `GET <path>` on a running server, one request at a time.
    ReportHttp {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        /// e.g. `/api/v1/reports?from=2026-11-01&to=2026-11-30`
        #[arg(long)]
        path: String,
        #[arg(long, default_value_t = 5)]
        runs: u32,
        #[arg(long, default_value = "report")]
        label: String,
    },
    /// Time POST /api/v1/qa/samples (the month's draw) on a running server.
    QaDraw(qa_draw::DrawArgs),
    /// Delete a month's sample and its inspections from a stopped server's database.
    QaUndraw(qa_draw::UndrawArgs),
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
                        customer_http::http(customer_http::HttpArgs {
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
                    Command::SeedQa(args) => qa_seed::run(args).await,
                    Command::SeedReports(args) => reports::seed(args).await,
                    Command::ReportHttp {
                        base,
                        token,
                        path,
                        runs,
                        label,
                    } => reports::timed_get(&base, &token, &path, runs, &label).await,
                    Command::QaDraw(args) => qa_draw::draw(args).await,
                    Command::QaUndraw(args) => qa_draw::undraw(args).await,
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

fn client() -> anyhow::Result<reqwest::Client> {
    kefu_server::install_tls_provider();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(64)
        .build()?)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64 / 1000.0
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
