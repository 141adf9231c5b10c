//! Search benchmarks (issue 4): knowledge articles to search, a realistic query mix over
//! HTTP and how soon a write is found. The FTS5 comparison is in [`crate::fts5`].

use anyhow::{bail, ensure, Context};
use chrono::{Duration as Days, Utc};
use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience};
use kefu_search::judged::split_document;
use kefu_search::{Filters, Kind};
use kefu_store::audit::Actor;
use kefu_store::knowledge::ArticleInput;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) const HANDBOOK: &str = include_str!("../../search/tests/fixtures/handbook.txt");
pub(crate) const JUDGED: &str = include_str!("../../search/tests/fixtures/handbook_queries.tsv");

// ---------------------------------------------------------------------------------------
// Articles

/// Writes `count` published articles through the store's article write function: the
/// handbook's sections first (as manuals), then generated FAQs, call scripts and manuals.
pub async fn seed_articles(database_url: &str, count: usize, seed: u64) -> anyhow::Result<()> {
    let db = Db::connect(database_url).await?;
    let admin = db
        .get_user_by_username("admin")
        .await
        .context("no admin: start kefu once first")?;
    let actor = Actor {
        user_id: Some(admin.id.clone()),
        name: "kefu-bench".into(),
        client_addr: None,
    };
    let now = Utc::now();
    let mut categories = BTreeMap::new();
    for (i, name) in ["部门手册", "常见问题", "话术", "产品手册"]
        .iter()
        .enumerate()
    {
        let input = kefu_store::knowledge::CategoryInput {
            parent_id: None,
            name: format!("{name}（基准）"),
            sort_order: 100 + i as i64,
        };
        categories.insert(*name, db.create_kb_category(&actor, now, &input).await?);
    }
    let started = Instant::now();
    let handbook = split_document(HANDBOOK);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut written = 0usize;
    for a in handbook.iter().take(count) {
        let input = ArticleInput {
            title: a.title.chars().take(200).collect(),
            body: a.body.clone(),
            kind: ArticleKind::Manual,
            audience: Audience::Internal,
            category_id: categories["部门手册"].clone(),
            tags: vec!["部门手册".into()],
        };
        db.create_article(&actor, now, &input, ArticleState::Published)
            .await?;
        written += 1;
    }
    for i in written..count {
        let a = crate::text::article(&mut rng, i);
        let (kind, category) = match a.kind {
            "faq" => (ArticleKind::Faq, "常见问题"),
            "script" => (ArticleKind::Script, "话术"),
            _ => (ArticleKind::Manual, "产品手册"),
        };
        let input = ArticleInput {
            title: a.title,
            body: a.body,
            kind,
            audience: Audience::Internal,
            category_id: categories[category].clone(),
            tags: Vec::new(),
        };
        db.create_article(&actor, now, &input, ArticleState::Published)
            .await?;
    }
    println!(
        "seeded {count} published articles ({} handbook sections) in {:.1} s",
        handbook.len().min(count),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The query mix

/// One query of the mix.
#[derive(Debug, Clone)]
pub struct MixQuery {
    pub category: &'static str,
    pub q: String,
    pub kind: Option<Kind>,
    pub subtype: Option<&'static str>,
    /// Local days (YYYY-MM-DD), inclusive.
    pub range: Option<(String, String)>,
}

impl MixQuery {
    fn url(&self, base: &str) -> String {
        let mut url = format!("{base}/api/v1/search?q={}", encode(&self.q));
        if let Some(k) = self.kind {
            url.push_str("&kind=");
            url.push_str(k.code());
        }
        if let Some(t) = self.subtype {
            url.push_str("&type=");
            url.push_str(t);
        }
        if let Some((from, to)) = &self.range {
            url.push_str(&format!("&from={from}&to={to}"));
        }
        url
    }

    /// The same filters as the server builds from the URL.
    pub(crate) fn filters(&self) -> Filters {
        let day_ms = |d: &str| {
            let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("own date");
            day.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_local_timezone(kefu_domain::calendar::china_offset())
                .single()
                .expect("fixed offset")
                .timestamp_millis()
        };
        Filters {
            kinds: self.kind.into_iter().collect(),
            subtype: self.subtype.map(str::to_string),
            from: self.range.as_ref().map(|(f, _)| day_ms(f)),
            to: self.range.as_ref().map(|(_, t)| day_ms(t) + 86_400_000),
            ..Filters::default()
        }
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const WORDS2: &[&str] = &[
    "投诉", "快递", "退款", "发票", "维修", "换货", "物流", "保修", "安装", "漏水", "噪音", "赔偿",
    "积分", "发货",
];
const PHRASES: &[&str] = &[
    "空调 不制冷",
    "快递 未送达",
    "退款未到账",
    "申请换货",
    "上门维修 预约",
    "发票 重开",
    "外包装破损",
    "优惠券无法使用",
    "物流信息不更新",
    "维修人员迟到",
    "消费者协会",
    "扫地机器人 异响",
    "快递三天未送达",
];
const COMPLAINT_WORDS: &[&str] = &["快递", "退款", "维修", "态度差"];
const ENGLISH: &[&str] = &[
    "App",
    "WiFi",
    "iPhone",
    "Bluetooth",
    "error",
    "refund",
    "VIP",
];

/// `n` queries: two-character words, phrases, callers' names, ticket and order numbers,
/// phone last-4 digits, English words, and filtered searches (kind, type, date range),
/// in a fixed seeded order. Needles come from `seed-tickets --needles-out`.
pub fn query_mix(needles: &Path, n: usize, seed: u64) -> anyhow::Result<Vec<MixQuery>> {
    let text = std::fs::read_to_string(needles)
        .with_context(|| format!("cannot read {}", needles.display()))?;
    let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        if let Some((cat, q)) = line.split_once('\t') {
            by.entry(cat).or_default().push(q.to_string());
        }
    }
    for cat in ["ticket_number", "order", "name", "phone4"] {
        ensure!(
            by.get(cat).is_some_and(|v| !v.is_empty()),
            "{}: no {cat} needles",
            needles.display()
        );
    }
    let offset = kefu_domain::calendar::china_offset();
    let today = Utc::now().with_timezone(&offset).date_naive();
    let mut rng = StdRng::seed_from_u64(seed);
    let pick = |v: &[&str], rng: &mut StdRng| v.choose(rng).expect("not empty").to_string();
    let needle = |cat: &str, rng: &mut StdRng| by[cat].choose(rng).expect("checked").clone();
    let plain = |category, q| MixQuery {
        category,
        q,
        kind: None,
        subtype: None,
        range: None,
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // Weights (of 100): words 20, phrases 20, names 8, ticket numbers 8, orders 8,
        // phone tails 8, English 8, filtered 20.
        let roll = rng.gen_range(0..100);
        let q = match roll {
            0..=19 => plain("word2", pick(WORDS2, &mut rng)),
            20..=39 => plain("phrase", pick(PHRASES, &mut rng)),
            40..=47 => plain("name", needle("name", &mut rng)),
            48..=55 => plain("ticket_number", needle("ticket_number", &mut rng)),
            56..=63 => plain("order", needle("order", &mut rng)),
            64..=71 => plain("phone4", needle("phone4", &mut rng)),
            72..=79 => plain("english", pick(ENGLISH, &mut rng)),
            80..=86 => MixQuery {
                kind: Some(Kind::Ticket),
                ..plain("filter_kind", pick(WORDS2, &mut rng))
            },
            87..=92 => MixQuery {
                subtype: Some("complaint"),
                kind: Some(Kind::Ticket),
                ..plain("filter_type", pick(COMPLAINT_WORDS, &mut rng))
            },
            _ => {
                let start = rng.gen_range(30..330);
                let from = today - Days::days(start + 30);
                let to = today - Days::days(start);
                MixQuery {
                    range: Some((from.to_string(), to.to_string())),
                    ..plain("filter_date", pick(WORDS2, &mut rng))
                }
            }
        };
        out.push(q);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Latency over HTTP

struct Sample {
    i: usize,
    micros: u64,
    ok: bool,
    empty: bool,
}

async fn drive(
    client: &reqwest::Client,
    urls: Arc<Vec<String>>,
    token: &str,
    requests: usize,
    concurrency: usize,
) -> (Vec<Sample>, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, urls, token) = (
            client.clone(),
            next.clone(),
            urls.clone(),
            token.to_string(),
        );
        workers.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return out;
                }
                let t = Instant::now();
                let (ok, empty) = match client
                    .get(&urls[i % urls.len()])
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(body) => (true, contains(&body, b"\"items\":[]")),
                        Err(_) => (false, false),
                    },
                    _ => (false, false),
                };
                out.push(Sample {
                    i: i % urls.len(),
                    micros: t.elapsed().as_micros() as u64,
                    ok,
                    empty,
                });
            }
        });
    }
    let mut all = Vec::with_capacity(requests);
    while let Some(done) = workers.join_next().await {
        all.extend(done.expect("worker"));
    }
    (all, started.elapsed())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Prints one RESULT line per category and one for the whole mix.
fn report(prefix: &str, mix: &[MixQuery], samples: &[Sample], elapsed: Duration) {
    let mut cats: BTreeMap<&str, (Vec<u64>, usize, usize)> = BTreeMap::new();
    for s in samples {
        for cat in ["mix", mix[s.i].category] {
            let e = cats.entry(cat).or_default();
            e.0.push(s.micros);
            e.1 += usize::from(!s.ok);
            e.2 += usize::from(s.empty);
        }
    }
    for (cat, (mut l, errors, empty)) in cats {
        l.sort_unstable();
        let p = |q| super::percentile(&l, q);
        println!(
            "RESULT scenario={prefix}_{cat} requests={} errors={errors} empty={empty} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3}{}",
            l.len(),
            p(50.0),
            p(90.0),
            p(99.0),
            p(100.0),
            if cat == "mix" {
                format!(" rps={:.0}", l.len() as f64 / elapsed.as_secs_f64().max(1e-9))
            } else {
                String::new()
            }
        );
    }
}

/// The query mix over `GET /api/v1/search`: every distinct query checked for a
/// non-empty answer first, then `warmup` unmeasured and `requests` measured requests.
pub async fn http(
    base: &str,
    token: &str,
    needles: &Path,
    requests: usize,
    concurrency: usize,
    warmup: usize,
) -> anyhow::Result<()> {
    let mix = query_mix(needles, requests.min(5_000), 11)?;
    let client = super::client()?;
    let urls: Vec<String> = mix.iter().map(|q| q.url(base)).collect();
    // A fast error or an empty answer must not pass for speed: check a sample first.
    let mut empty = Vec::new();
    for (q, url) in mix.iter().zip(&urls).take(300) {
        let r = client.get(url).bearer_auth(token).send().await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.with_context(|| format!("GET {url}"))?;
        ensure!(status.is_success(), "GET {url}: {status} {body}");
        if body["items"].as_array().is_none_or(Vec::is_empty) {
            empty.push(format!("{} {:?}", q.category, q.q));
        }
    }
    ensure!(
        empty.is_empty(),
        "empty answers where hits were expected: {empty:?}"
    );
    let urls = Arc::new(urls);
    drive(&client, urls.clone(), token, warmup, concurrency).await;
    let (samples, elapsed) = drive(&client, urls, token, requests, concurrency).await;
    report(&format!("search_c{concurrency}"), &mix, &samples, elapsed);
    let errors = samples.iter().filter(|s| !s.ok).count();
    ensure!(errors == 0, "{errors} searches failed");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Index after write

/// Creates `writes` tickets one after another, each with a unique word in its subject,
/// and polls the search every 10 ms until it finds it; reports the delay from the
/// create's answer (the commit) to the first search that finds the ticket.
pub async fn fresh(base: &str, token: &str, writes: usize, seed: u64) -> anyhow::Result<()> {
    let client = super::client()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut delays = Vec::with_capacity(writes);
    let started = Instant::now();
    for i in 0..writes {
        let word: String = (0..12)
            .map(|_| (b'a' + rng.gen_range(0..26u8)) as char)
            .collect();
        let r = client
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(token)
            .json(&serde_json::json!({
                "type": "complaint",
                "subject": format!("快递延误投诉 {word}"),
                "description": format!("基准测试第{i}条：客户反映快递三天未送达，标记 {word}。"),
            }))
            .send()
            .await?;
        let status = r.status();
        ensure!(
            status.as_u16() == 201,
            "create: {status} {}",
            r.text().await?
        );
        let written = Instant::now();
        let url = format!("{base}/api/v1/search?q={word}&kind=ticket");
        loop {
            let body = client
                .get(&url)
                .bearer_auth(token)
                .send()
                .await?
                .bytes()
                .await?;
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            if v["items"].as_array().is_some_and(|a| !a.is_empty()) {
                break;
            }
            if written.elapsed() > Duration::from_secs(10) {
                bail!("ticket {i} ({word}) not found after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        delays.push(written.elapsed().as_micros() as u64);
    }
    delays.sort_unstable();
    let p = |q| super::percentile(&delays, q);
    println!(
        "RESULT scenario=index_after_write writes={writes} p50_ms={:.1} p90_ms={:.1} p99_ms={:.1} max_ms={:.1} seconds={:.1}",
        p(50.0),
        p(90.0),
        p(99.0),
        p(100.0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
