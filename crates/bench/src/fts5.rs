//! SQLite FTS5 with the trigram tokenizer beside kefu's index (issue 4): the same
//! tickets, customers and articles, the same query mix, and recall@10 on the judged
//! handbook set.

use crate::search::{query_mix, MixQuery, HANDBOOK, JUDGED};
use anyhow::ensure;
use kefu_search::judged::{parse_judgments, recall_at, relevant_articles, split_document};
use kefu_search::{Access, Filters, Kind, SearchDoc, SearchIndex, ARTICLE_PUBLISHED};
use kefu_server::search::docs::{department_term, user_term};
use kefu_store::Db;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

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
pub async fn run(
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
