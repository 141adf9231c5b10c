//! From an agent's query text to a tantivy query, and to the strings to highlight.
//!
//! Every piece of the query is optional (`OR`), ranked by BM25: a Han run matches by its
//! jieba words and by each of its character bigrams (a document holding more of them ranks
//! higher; partial matches rank low but are found); a code matches whole (boosted), by its
//! parts, and — four digits or more — by digit suffix. The query is a flat disjunction of
//! term queries on purpose: that is the shape tantivy's block-max WAND can prune (see
//! `filtered.rs`), which keeps common words fast at millions of documents.

use crate::analyze::{self, Run, MIN_SUFFIX};
use crate::index::Fields;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

/// Longer queries are cut here (the suggestion panel sends a ticket's text).
const MAX_QUERY_CHARS: usize = 400;
/// At most this many distinct terms per field kind, so a long text stays a fast query.
const MAX_TERMS: usize = 48;

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ));
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

/// Clauses matching one term text in the title (boosted) or the body.
fn in_title_or_body(
    out: &mut Vec<(Occur, Box<dyn Query>)>,
    title: Field,
    body: Field,
    text: &str,
    boost: f32,
) {
    out.push((Occur::Should, term_query(title, text, boost * 2.0)));
    out.push((Occur::Should, term_query(body, text, boost)));
}

/// The query for `text`, or `None` when it holds nothing searchable.
pub fn build(text: &str, f: &Fields) -> Option<Box<dyn Query>> {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut fresh = |s: &str| seen.insert(s.to_string()) && seen.len() <= MAX_TERMS * 3;
    for run in analyze::runs(&text) {
        match run {
            Run::Han { text, .. } => {
                for t in analyze::word_terms(&text) {
                    if !analyze::is_query_stopword(&t.text) && fresh(&format!("w{}", t.text)) {
                        in_title_or_body(&mut clauses, f.title, f.body, &t.text, 1.0);
                        clauses.push((Occur::Should, term_query(f.hidden, &t.text, 1.0)));
                    }
                }
                let grams: Vec<String> = analyze::gram_terms(&text)
                    .into_iter()
                    .map(|t| t.text)
                    .filter(|g| !analyze::is_query_stopword(g))
                    .collect();
                for g in grams {
                    if fresh(&format!("g{g}")) {
                        in_title_or_body(&mut clauses, f.title_grams, f.body_grams, &g, 0.5);
                    }
                }
            }
            Run::Code { text: code, .. } => {
                let words: Vec<String> = analyze::word_terms(&code)
                    .into_iter()
                    .map(|t| t.text)
                    .collect();
                for (i, w) in words.iter().enumerate() {
                    if analyze::is_query_stopword(w) || !fresh(&format!("w{w}")) {
                        continue;
                    }
                    let boost = if i == 0 { 3.0 } else { 1.0 };
                    in_title_or_body(&mut clauses, f.title, f.body, w, boost);
                    clauses.push((Occur::Should, term_query(f.hidden, w, boost)));
                }
                for (digits, _, _) in analyze::digit_runs(&code) {
                    if digits.len() >= MIN_SUFFIX && fresh(&format!("d{digits}")) {
                        clauses.push((Occur::Should, term_query(f.digits, &digits, 2.0)));
                    }
                }
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// What to mark in snippets: the query's Han runs and words, codes and digit runs, in
/// normalized form, longest first (so a whole run wins over its pieces).
pub fn highlight_terms(text: &str) -> Vec<String> {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let mut out: Vec<String> = Vec::new();
    for run in analyze::runs(&text) {
        match run {
            Run::Han { text, .. } => {
                out.push(text.clone());
                out.extend(
                    analyze::word_terms(&text)
                        .into_iter()
                        .map(|t| t.text)
                        .filter(|w| w.chars().count() > 1 && !analyze::is_query_stopword(w)),
                );
            }
            Run::Code { text, .. } => {
                out.push(text.clone());
                out.extend(
                    analyze::word_terms(&text)
                        .into_iter()
                        .map(|t| t.text)
                        .filter(|w| !analyze::is_query_stopword(w)),
                );
            }
        }
    }
    out.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    out.dedup();
    out
}
