//! Work-order benchmarks (issue 3): ticket creation over HTTP, queue pages and counts
//! with a million tickets, and the scheduler's cost per tick.

use anyhow::{ensure, Context};
use chrono::{DateTime, Duration as Days, Utc};
use kefu_domain::ticket::{Channel, Priority, TicketStatus, TicketType};
use kefu_store::audit::Actor;
use kefu_store::tickets::ExistingTicket;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[u64], p: f64) -> f64 {
    super::percentile(sorted, p)
}

fn report(name: &str, mut latencies: Vec<u64>, errors: usize, elapsed: Duration) {
    latencies.sort_unstable();
    let l = &latencies;
    println!(
        "RESULT scenario={name} requests={} errors={errors} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3} rps={:.0} seconds={:.1}",
        l.len(),
        percentile(l, 50.0),
        percentile(l, 90.0),
        percentile(l, 99.0),
        percentile(l, 100.0),
        l.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        elapsed.as_secs_f64()
    );
}

const SUBJECTS: &[&str] = &[
    "快递三天未送达，要求赔偿",
    "咨询路由器保修政策",
    "空调不制冷，预约上门维修",
    "查询订单发货进度",
    "App 登录后闪退",
    "电饭煲内胆划痕申请换货",
];

/// Runs `requests` calls of `make` on `concurrency` workers; returns latencies (µs),
/// errors and the elapsed time.
async fn drive<F, Fut>(requests: usize, concurrency: usize, make: F) -> (Vec<u64>, usize, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (next, make) = (next.clone(), make.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return (latencies, errors);
                }
                let t = Instant::now();
                let ok = make(i).await;
                latencies.push(t.elapsed().as_micros() as u64);
                errors += usize::from(!ok);
            }
        });
    }
    let mut all = Vec::with_capacity(requests);
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        let (l, e) = done.expect("worker");
        all.extend(l);
        errors += e;
    }
    (all, errors, started.elapsed())
}

/// POST /api/v1/tickets from `concurrency` clients.
pub async fn create(
    base: &str,
    token: &str,
    requests: usize,
    concurrency: usize,
    warmup: usize,
) -> anyhow::Result<()> {
    let client = super::client()?;
    let url = format!("{base}/api/v1/tickets");
    // One checked answer first, so a fast error cannot pass for speed.
    let r = client
        .post(&url)
        .bearer_auth(token)
        .json(&serde_json::json!({"type": "inquiry", "subject": "基准测试"}))
        .send()
        .await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    ensure!(status.as_u16() == 201, "create answered {status}: {body}");
    ensure!(
        body["number"].as_str().is_some_and(|n| n.starts_with("GD")),
        "{body}"
    );
    for (phase, n) in [("warmup", warmup), ("measured", requests)] {
        let (client, url, token) = (client.clone(), url.clone(), token.to_string());
        let (l, errors, elapsed) = drive(n, concurrency, move |i| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            async move {
                let kind = ["consultation", "inquiry", "complaint", "repair"][i % 4];
                let body = serde_json::json!({
                    "type": kind,
                    "subject": SUBJECTS[i % SUBJECTS.len()],
                    "description": "客户来电反映的问题，基准测试数据。",
                    "contact_phone": format!("138{:08}", i % 100_000_000),
                    "tags": ["基准"],
                });
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16() == 201 && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        if phase == "measured" {
            report(&format!("create_ticket_c{concurrency}"), l, errors, elapsed);
            ensure!(errors == 0, "{errors} creates failed");
        }
    }
    Ok(())
}

/// Every queue's first page, and the badge counts, from `concurrency` clients.
pub async fn queues(
    base: &str,
    token: &str,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let client = super::client()?;
    let counts: serde_json::Value = client
        .get(format!("{base}/api/v1/queues"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    println!("queue counts: {counts}");
    let mut paths: Vec<(String, String)> = vec![("counts".into(), "/api/v1/queues".into())];
    for q in counts.as_array().context("queue counts")? {
        let code = q["queue"].as_str().context("queue code")?;
        // Check the page agrees with its count before timing it.
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/queues/{code}?limit=50"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let n = q["count"].as_i64().unwrap_or_default();
        let items = page["items"].as_array().map(Vec::len).unwrap_or_default() as i64;
        ensure!(
            items == n.min(50),
            "{code}: {items} items on the first page, count {n}"
        );
        paths.push((code.to_string(), format!("/api/v1/queues/{code}?limit=50")));
    }
    for (name, path) in paths {
        let url = format!("{base}{path}");
        for phase in ["warmup", "measured"] {
            let (client, url, token) = (client.clone(), url.clone(), token.to_string());
            let n = if phase == "warmup" {
                requests / 10
            } else {
                requests
            };
            let (l, errors, elapsed) = drive(n, concurrency, move |_| {
                let (client, url, token) = (client.clone(), url.clone(), token.clone());
                async move {
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    }
                }
            })
            .await;
            if phase == "measured" {
                report(&format!("queue_{name}_c{concurrency}"), l, errors, elapsed);
                ensure!(errors == 0, "{errors} requests failed");
            }
        }
    }
    Ok(())
}

/// Writes `count` tickets spread over the past year into the database kefu serves:
/// 95 % closed; the open ones assigned to the admin, unassigned, overdue, due today,
/// waiting on 技术部 or on the customer. Then rebuilds the queue counters.
///
/// With `text`, each ticket gets a varied subject, a description and a caller (see
/// [`crate::text`]) instead of one of a few fixed subjects; `needles` then receives
/// `category<TAB>query` lines (ticket numbers, order numbers, callers' names and the last
/// four digits of their mobiles) sampled evenly over the tickets, for the search query mix.
pub async fn seed(
    database_url: &str,
    count: usize,
    seed: u64,
    text: bool,
    needles: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    ensure!(needles.is_none() || text, "--needles-out needs --text");
    let mut needles = match needles {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let every = (count / 2_000).max(1);
    let db = Db::connect(database_url).await?;
    let admin = db
        .get_user_by_username("admin")
        .await
        .context("no admin: start kefu once first")?;
    let home = db
        .user_departments(&admin.id)
        .await?
        .into_iter()
        .next()
        .context("the admin holds no position")?;
    let actor = Actor {
        user_id: None,
        name: "kefu-bench".into(),
        client_addr: None,
    };
    let now = Utc::now();
    let tech = match db
        .list_departments()
        .await?
        .into_iter()
        .find(|d| d.name == "技术部")
    {
        Some(d) => d.id,
        None => {
            db.create_department(
                &actor,
                now,
                &kefu_store::org::DepartmentInput {
                    parent_id: None,
                    name: "技术部".into(),
                    description: None,
                    sort_order: 90,
                },
            )
            .await?
        }
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut per_day: HashMap<String, u32> = HashMap::new();
    let started = Instant::now();
    let span = Days::days(365);
    let step_ms = span.num_milliseconds() / count.max(1) as i64;
    let mut batch = Vec::with_capacity(5000);
    let offset = kefu_domain::calendar::china_offset();
    for i in 0..count {
        let created: DateTime<Utc> = now - span + Days::milliseconds(step_ms * i as i64);
        let day = created.with_timezone(&offset).format("%Y%m%d").to_string();
        let seq = per_day.entry(day.clone()).or_default();
        *seq += 1;
        // The newest 5 % are still open.
        let open = i + count / 20 >= count;
        let (status, assignee, overdue, task, due) = if !open {
            (
                TicketStatus::Closed,
                Some(admin.id.clone()),
                None,
                None,
                created + Days::hours(48),
            )
        } else {
            let kind: f64 = rng.gen();
            if kind < 0.40 {
                (
                    TicketStatus::InProgress,
                    Some(admin.id.clone()),
                    None,
                    None,
                    now + Days::days(3),
                )
            } else if kind < 0.60 {
                (TicketStatus::New, None, None, None, now + Days::days(2))
            } else if kind < 0.64 {
                let due = now - Days::hours(5);
                (
                    TicketStatus::InProgress,
                    Some(admin.id.clone()),
                    Some(due),
                    None,
                    due,
                )
            } else if kind < 0.66 {
                (
                    TicketStatus::Assigned,
                    Some(admin.id.clone()),
                    None,
                    None,
                    now + Days::minutes(90),
                )
            } else if kind < 0.72 {
                (
                    TicketStatus::WaitingDepartment,
                    Some(admin.id.clone()),
                    None,
                    Some(tech.clone()),
                    now + Days::days(4),
                )
            } else {
                (
                    TicketStatus::WaitingCustomer,
                    Some(admin.id.clone()),
                    None,
                    None,
                    now + Days::days(5),
                )
            }
        };
        // Six digits from 900000: clear of what kefu itself hands out on the same days.
        let number = format!("GD{day}-{}", 900_000 + *seq);
        let (subject, description, contact_name, contact_phone) = if text {
            let t = crate::text::ticket(&mut rng, i);
            if let Some(w) = needles.as_mut().filter(|_| i % every == 0) {
                use std::io::Write as _;
                writeln!(w, "ticket_number\t{number}")?;
                writeln!(w, "order\t{}", t.order)?;
                writeln!(w, "name\t{}", t.contact_name)?;
                writeln!(
                    w,
                    "phone4\t{}",
                    &t.contact_phone[t.contact_phone.len() - 4..]
                )?;
            }
            (
                t.subject,
                t.description,
                Some(t.contact_name),
                Some(t.contact_phone),
            )
        } else {
            (
                SUBJECTS[i % SUBJECTS.len()].to_string(),
                String::new(),
                None,
                None,
            )
        };
        batch.push(ExistingTicket {
            number,
            ticket_type: TicketType::ALL[i % TicketType::ALL.len()],
            channel: Channel::Phone,
            priority: Priority::Normal,
            status,
            subject,
            description,
            contact_name,
            contact_phone,
            department_id: home.clone(),
            first_owner_id: assignee.clone(),
            assignee_id: assignee,
            promise: Some(("我们将在 48 个工作小时内答复您".into(), due)),
            overdue_since: overdue,
            task_department: task,
            created_at: created,
        });
        if batch.len() == 5000 || i + 1 == count {
            db.insert_existing_tickets(&actor, now, &batch).await?;
            batch.clear();
        }
    }
    if let Some(mut w) = needles {
        use std::io::Write as _;
        w.flush()?;
    }
    let written = started.elapsed();
    let t = Instant::now();
    let counters = db.rebuild_queue_counts().await?;
    println!(
        "seeded {count} tickets in {:.1} s ({:.0}/s); rebuilt {counters} queue counters in {:.1} s",
        written.as_secs_f64(),
        count as f64 / written.as_secs_f64().max(1e-9),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Times one scheduler tick when nothing is due (the common case): claim the earliest
/// due job, find none. The claim is the only query a tick runs per job kind.
pub async fn scheduler_tick(database_url: &str, iterations: usize) -> anyhow::Result<()> {
    let db = Db::connect(database_url).await?;
    let now = Utc::now();
    let pending = db.count_jobs("pending").await?;
    let done = db.count_jobs("done").await?;
    let mut l = Vec::with_capacity(iterations);
    let started = Instant::now();
    for _ in 0..iterations {
        let t = Instant::now();
        let claimed = db.claim_due_job(now - Days::days(1)).await?;
        drop(claimed);
        l.push(t.elapsed().as_micros() as u64);
    }
    println!("jobs: {pending} pending, {done} done");
    report("scheduler_tick_idle", l, 0, started.elapsed());
    Ok(())
}
