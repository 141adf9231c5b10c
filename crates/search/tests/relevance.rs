//! Search quality on the handbook the product comes from: its sections become knowledge
//! articles, and the judged queries (what agents type, with the lines that answer them)
//! must find their answers in the first ten results.

use kefu_search::judged::{parse_judgments, recall_at, relevant_articles, split_document};
use kefu_search::{Access, Filters, Kind, SearchDoc, SearchIndex, ARTICLE_PUBLISHED};

const HANDBOOK: &str = include_str!("fixtures/handbook.txt");
const JUDGED: &str = include_str!("fixtures/handbook_queries.tsv");

#[test]
fn handbook_recall_at_10_is_at_least_0_9() {
    let articles = split_document(HANDBOOK);
    assert!(articles.len() > 60, "{} articles", articles.len());
    let index = SearchIndex::in_memory().unwrap();
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
    index.add_new(&docs).unwrap();
    index
        .commit(kefu_search::Checkpoint {
            schema: kefu_search::SCHEMA_VERSION,
            seq: 0,
            complete: true,
        })
        .unwrap();
    let access = Access {
        articles: Some(false),
        ..Access::default()
    };
    let judged = parse_judgments(JUDGED).unwrap();
    assert!(judged.len() >= 30, "{} judged queries", judged.len());
    let mut total = 0.0;
    let mut misses = Vec::new();
    for j in &judged {
        let relevant = relevant_articles(&articles, &j.lines);
        assert!(
            !relevant.is_empty(),
            "{}: lines {:?} in no article",
            j.query,
            j.lines
        );
        let hits = index
            .search(&j.query, &access, &Filters::default(), 0, 10)
            .unwrap();
        let ids: Vec<String> = hits.into_iter().map(|h| h.id).collect();
        let r = recall_at(10, &ids, &relevant);
        if r < 1.0 {
            misses.push(format!("{} ({r:.2}): want {relevant:?}", j.query));
        }
        total += r;
    }
    let recall = total / judged.len() as f64;
    println!(
        "recall@10 = {recall:.3} over {} queries, {} articles; partial or missed:\n{}",
        judged.len(),
        articles.len(),
        misses.join("\n")
    );
    assert!(recall >= 0.9, "recall@10 {recall:.3} < 0.9");
}
