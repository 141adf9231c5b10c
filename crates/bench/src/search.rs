//! Search benchmarks (issue 4): knowledge articles to search, a realistic query mix over
//! HTTP, how soon a write is found, and a side-by-side with SQLite FTS5 (trigram) on the
//! same data, queries and judged handbook set.

use anyhow::{bail, ensure, Context};
use chrono::{Duration as Days, Utc};
use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience};
use kefu_search::judged::{parse_judgments, recall_at, relevant_articles, split_document};
use kefu_search::{Access, Filters, Kind, SearchDoc, SearchIndex, ARTICLE_PUBLISHED};
use kefu_server::search::docs::{department_term, user_term};
use kefu_store::audit::Actor;
use kefu_store::knowledge::ArticleInput;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HANDBOOK: &str = include_str!("../../search/tests/fixtures/handbook.txt");
const JUDGED: &str = include_str!("../../search/tests/fixtures/handbook_queries.tsv");

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
    fn filters(&self) -> Filters {
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

// ---------------------------------------------------------------------------------------
// SQLite FTS5 (trigram) side by side

const FTS_TABLE: &str = "CREATE VIRTUAL TABLE docs USING fts5(title, body, hidden, \
     kind UNINDEXED, subtype UNINDEXED, created_at UNINDEXED, ref UNINDEXED, \
     tokenize = 'trigram')";

fn quote(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

fn like(token: &str) -> String {
    let escaped = token
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// How FTS5 with the trigram tokenizer is asked: each whitespace-separated token of
/// three or more characters as a quoted phrase (a substring match), ANDed and ranked by
/// bm25; tokens shorter than three characters cannot use the trigram index and become
/// `LIKE '%…%'` conditions (a scan, unranked when nothing else is asked).
/// With `or_trigrams`, the query is instead every trigram of its tokens ORed (bag of
/// trigrams, ranked) — the kindest reading for natural-language questions.
fn fts_sql(q: &str, filters: &[String], or_trigrams: bool) -> (String, Vec<String>) {
    let tokens: Vec<&str> = q.split_whitespace().collect();
    let long: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| t.chars().count() >= 3)
        .collect();
    let mut binds = Vec::new();
    let mut conds = Vec::new();
    let expr = if or_trigrams {
        let mut grams = Vec::new();
        for t in &long {
            let chars: Vec<char> = t.chars().collect();
            for w in chars.windows(3) {
                grams.push(quote(&w.iter().collect::<String>()));
            }
        }
        grams.join(" OR ")
    } else {
        long.iter()
            .map(|t| quote(t))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let ranked = !expr.is_empty();
    if ranked {
        conds.push("docs MATCH ?".to_string());
        binds.push(expr);
    }
    for t in tokens.iter().filter(|t| t.chars().count() < 3) {
        if or_trigrams && ranked {
            continue;
        }
        conds.push(
            "(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\' OR hidden LIKE ? ESCAPE '\\')"
                .into(),
        );
        for _ in 0..3 {
            binds.push(like(t));
        }
    }
    conds.extend(filters.iter().cloned());
    let mut sql = format!("SELECT ref FROM docs WHERE {}", conds.join(" AND "));
    if ranked {
        sql.push_str(" ORDER BY rank");
    }
    sql.push_str(" LIMIT 20");
    (sql, binds)
}

fn fts_filters(q: &MixQuery) -> Vec<String> {
    let f = q.filters();
    let mut out = Vec::new();
    if let Some(k) = q.kind {
        out.push(format!("kind = '{}'", k.code()));
    }
    if let Some(t) = q.subtype {
        out.push(format!("subtype = '{t}'"));
    }
    if let (Some(from), Some(to)) = (f.from, f.to) {
        out.push(format!("created_at >= {from} AND created_at < {to}"));
    }
    out
}

async fn fts_query(
    conn: &mut sqlx::SqliteConnection,
    q: &str,
    filters: &[String],
    or_trigrams: bool,
) -> anyhow::Result<Vec<String>> {
    let (sql, binds) = fts_sql(q, filters, or_trigrams);
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
}

fn lat_line(name: &str, mut l: Vec<u64>, empty: usize) -> String {
    l.sort_unstable();
    let p = |q| super::percentile(&l, q);
    format!(
        "RESULT scenario={name} requests={} empty={empty} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        l.len(),
        p(50.0),
        p(90.0),
        p(99.0),
        p(100.0)
    )
}

/// Builds an FTS5 trigram table over the tickets, customers and published articles of
/// kefu's SQLite database (into a separate file), times it, runs the query mix against
/// it and against kefu's index opened in-process (the server must be stopped), and
/// computes recall@10 on the judged handbook set for both.
pub async fn fts5(
    database: &Path,
    fts_path: &Path,
    index_dir: &Path,
    needles: &Path,
    requests: usize,
) -> anyhow::Result<()> {
    // Quality first: it needs neither database.
    recall().await?;

    let _ = std::fs::remove_file(fts_path);
    let url = format!("sqlite://{}?mode=rwc", fts_path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA journal_mode = OFF")
        .execute(&mut conn)
        .await?;
    sqlx::query("PRAGMA synchronous = OFF")
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!(
        "ATTACH DATABASE '{}' AS k",
        database.display().to_string().replace('\'', "''")
    ))
    .execute(&mut conn)
    .await?;
    let started = Instant::now();
    sqlx::query(FTS_TABLE).execute(&mut conn).await?;
    let mut parts = Vec::new();
    for (what, sql) in [
        (
            "tickets",
            "INSERT INTO docs (title, body, hidden, kind, subtype, created_at, ref) \
             SELECT t.number || ' ' || t.subject, t.description, \
             coalesce(t.contact_name, '') || ' ' || coalesce(t.contact_phone, ''), \
             'ticket', t.ticket_type, t.created_at, t.id FROM k.tickets t",
        ),
        (
            "customers",
            "INSERT INTO docs (title, body, hidden, kind, subtype, created_at, ref) \
             SELECT c.name || ' ' || coalesce(c.company, ''), coalesce(c.notes, ''), \
             coalesce((SELECT group_concat(value, ' ') FROM k.customer_contacts cc \
             WHERE cc.customer_id = c.id), ''), 'customer', NULL, c.created_at, c.id \
             FROM k.customers c",
        ),
        (
            "articles",
            "INSERT INTO docs (title, body, hidden, kind, subtype, created_at, ref) \
             SELECT a.title, a.body, '', 'article', a.kind, a.created_at, a.id \
             FROM k.kb_articles a WHERE a.state = 'published'",
        ),
    ] {
        let t = Instant::now();
        let n = sqlx::query(sql).execute(&mut conn).await?.rows_affected();
        parts.push(format!("{what}={n} in {:.1} s", t.elapsed().as_secs_f64()));
    }
    sqlx::query("INSERT INTO docs(docs) VALUES ('optimize')")
        .execute(&mut conn)
        .await?;
    let build = started.elapsed();
    sqlx::query("DETACH DATABASE k").execute(&mut conn).await?;
    let size = std::fs::metadata(fts_path)?.len();
    println!(
        "RESULT scenario=fts5_build seconds={:.1} size_MB={:.0} ({})",
        build.as_secs_f64(),
        size as f64 / 1e6,
        parts.join(", ")
    );

    // The same mix as over HTTP, in-process on both sides (no HTTP, no JSON, no snippets).
    let mix = query_mix(needles, requests.min(5_000), 11)?;
    let db = Db::connect(&format!("sqlite://{}", database.display())).await?;
    let admin = db.get_user_by_username("admin").await?;
    let mut terms = vec![user_term(&admin.id)];
    for d in db.user_departments(&admin.id).await? {
        terms.push(department_term(&d));
    }
    let access = Access {
        tickets: Some(terms),
        customers: true,
        articles: Some(true),
    };
    let index = SearchIndex::open(index_dir)?;
    ensure!(
        index.checkpoint().is_some_and(|c| c.complete),
        "{} holds no complete index: run `kefu search rebuild` first",
        index_dir.display()
    );
    let mut per: BTreeMap<(&str, &str), (Vec<u64>, usize)> = BTreeMap::new();
    for round in 0..2 {
        for i in 0..requests {
            let q = &mix[i % mix.len()];
            let filters = q.filters();
            let t = Instant::now();
            let hits = index.search(&q.q, &access, &filters, 0, 20)?;
            let kefu_us = t.elapsed().as_micros() as u64;
            let fts_filters = fts_filters(q);
            let t = Instant::now();
            let rows = fts_query(&mut conn, &q.q, &fts_filters, false).await?;
            let fts_us = t.elapsed().as_micros() as u64;
            if round == 0 {
                continue; // warm-up
            }
            for cat in ["mix", q.category] {
                let e = per.entry(("kefu", cat)).or_default();
                e.0.push(kefu_us);
                e.1 += usize::from(hits.is_empty());
                let e = per.entry(("fts5", cat)).or_default();
                e.0.push(fts_us);
                e.1 += usize::from(rows.is_empty());
            }
        }
    }
    for ((engine, cat), (l, empty)) in per {
        println!("{}", lat_line(&format!("inproc_{engine}_{cat}"), l, empty));
    }
    Ok(())
}

/// recall@10 on the judged handbook set: kefu's index (as in the relevance test) and
/// FTS5-trigram over the same articles, asked as phrases and as ORed trigrams.
async fn recall() -> anyhow::Result<()> {
    let articles = split_document(HANDBOOK);
    let judged = parse_judgments(JUDGED).map_err(anyhow::Error::msg)?;
    let index = SearchIndex::in_memory()?;
    let docs: Vec<SearchDoc> = articles
        .iter()
        .map(|a| SearchDoc {
            kind: Some(Kind::Article),
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            subtype: Some("manual".into()),
            status: Some("published".into()),
            access: vec![ARTICLE_PUBLISHED.into()],
            ..SearchDoc::default()
        })
        .collect();
    index.add_new(&docs)?;
    index.commit(kefu_search::Checkpoint {
        schema: kefu_search::SCHEMA_VERSION,
        seq: 0,
        complete: true,
    })?;
    let access = Access {
        articles: Some(false),
        ..Access::default()
    };
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
    sqlx::query(FTS_TABLE).execute(&mut conn).await?;
    for a in &articles {
        sqlx::query(
            "INSERT INTO docs (title, body, hidden, kind, ref) VALUES (?, ?, '', 'article', ?)",
        )
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.id)
        .execute(&mut conn)
        .await?;
    }
    let (mut kefu, mut phrase, mut grams) = (0.0, 0.0, 0.0);
    let (mut short, mut phrase_empty) = (0usize, 0usize);
    for j in &judged {
        let relevant = relevant_articles(&articles, &j.lines);
        let ids: Vec<String> = index
            .search(&j.query, &access, &Filters::default(), 0, 10)?
            .into_iter()
            .map(|h| h.id)
            .collect();
        kefu += recall_at(10, &ids, &relevant);
        let ids = fts_query(&mut conn, &j.query, &[], false).await?;
        phrase_empty += usize::from(ids.is_empty());
        phrase += recall_at(10, &ids, &relevant);
        grams += recall_at(
            10,
            &fts_query(&mut conn, &j.query, &[], true).await?,
            &relevant,
        );
        short += usize::from(j.query.chars().count() < 3);
    }
    let n = judged.len() as f64;
    println!(
        "RESULT scenario=recall_at_10 queries={} articles={} short_queries={short} kefu={:.3} fts5_phrase={:.3} fts5_phrase_empty={phrase_empty} fts5_trigram_or={:.3}",
        judged.len(),
        articles.len(),
        kefu / n,
        phrase / n,
        grams / n
    );
    Ok(())
}
