//! A ranked query restricted to the documents a filter matches, without giving up
//! tantivy's block-max WAND.
//!
//! tantivy prunes a top-k search (skips whole blocks of postings that cannot reach the
//! k-th best score) only when the entire query is a disjunction of terms. Written as
//! `Must(ranked) + Must(filter)`, a search for a common word such as 快递 scores every one
//! of the hundreds of thousands of tickets containing it before keeping 20. Here the
//! ranked disjunction runs pruned on its own, and the filter (access, kind, status,
//! dates…) is asked only about the documents that would enter the top k: it is a doc set
//! moved forward with `seek`, since the pruned search visits documents in increasing order.

use tantivy::query::{
    intersect_scorers, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Documents of `ranked` that `filter` matches, scored by `ranked` alone.
#[derive(Debug)]
pub struct Filtered {
    ranked: Box<dyn Query>,
    filter: Box<dyn Query>,
}

impl Filtered {
    pub fn new(ranked: Box<dyn Query>, filter: Box<dyn Query>) -> Self {
        Self { ranked, filter }
    }
}

impl Clone for Filtered {
    fn clone(&self) -> Self {
        Self {
            ranked: self.ranked.box_clone(),
            filter: self.filter.box_clone(),
        }
    }
}

impl Query for Filtered {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let filter = self
            .filter
            .weight(EnableScoring::disabled_from_schema(scoring.schema()))?;
        Ok(Box::new(FilteredWeight {
            ranked: self.ranked.weight(scoring)?,
            filter,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.ranked.query_terms(visitor);
    }
}

struct FilteredWeight {
    ranked: Box<dyn Weight>,
    filter: Box<dyn Weight>,
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let ranked = self.ranked.scorer(reader, boost)?;
        // Score 0: the filter decides membership, never the order.
        let filter = Box::new(ConstScorer::new(self.filter.scorer(reader, 1.0)?, 0.0));
        Ok(intersect_scorers(vec![ranked, filter], reader.num_docs()))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut filter = self.filter.scorer(reader, 1.0)?;
        if filter.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not in the filter"
            )));
        }
        self.ranked.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut filter = self.filter.scorer(reader, 1.0)?;
        if filter.doc() == TERMINATED {
            return Ok(());
        }
        let mut current = threshold;
        self.ranked
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                // Documents arrive in increasing order, so the filter only moves forward;
                // one it has already passed is not in it.
                let at = if filter.doc() < doc {
                    filter.seek(doc)
                } else {
                    filter.doc()
                };
                if at == doc {
                    current = callback(doc, score);
                }
                current
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, STORED, STRING, TEXT};
    use tantivy::{doc, Index, Term};

    /// The same top documents and scores as `Must(ranked) + Must(filter)`, over several
    /// segments, for a common term where pruning skips most of the postings.
    #[test]
    fn matches_the_plain_intersection() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let group = schema.add_text_field("group", STRING | STORED);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..6000u32 {
            let text = match i % 7 {
                0 => "express express delay",
                1 => "express refund",
                2 => "refund refund refund late",
                _ => "express",
            };
            let g = if i % 3 == 0 { "a" } else { "b" };
            writer.add_document(doc!(body => text, group => g)).unwrap();
            if i % 2000 == 1999 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1);
        let term = |f, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let ranked = || -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, term(body, "express")),
                (Occur::Should, term(body, "refund")),
                (Occur::Should, term(body, "delay")),
            ]))
        };
        let plain = BooleanQuery::new(vec![
            (Occur::Must, ranked()),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(term(group, "a"), 0.0)),
            ),
        ]);
        let filtered = Filtered::new(ranked(), term(group, "a"));
        let top = TopDocs::with_limit(10).order_by_score();
        let want = searcher.search(&plain, &top).unwrap();
        let got = searcher.search(&filtered, &top).unwrap();
        assert_eq!(want.len(), 10);
        assert_eq!(
            want.iter()
                .map(|(s, d)| (s.to_bits(), *d))
                .collect::<Vec<_>>(),
            got.iter()
                .map(|(s, d)| (s.to_bits(), *d))
                .collect::<Vec<_>>()
        );
        for (_, address) in &got {
            let stored: tantivy::TantivyDocument = searcher.doc(*address).unwrap();
            let g = stored.get_first(group).and_then(|v| {
                use tantivy::schema::Value;
                v.as_str().map(str::to_string)
            });
            assert_eq!(g.as_deref(), Some("a"));
        }
        assert_eq!(
            searcher.search(&filtered, &Count).unwrap(),
            searcher.search(&plain, &Count).unwrap()
        );
    }
}
