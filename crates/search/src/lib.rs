//! kefu's search: one full-text index over tickets, customers and knowledge articles.
//!
//! The index is derived data. The database is the source of truth and keeps a change log
//! (`search_log`) written in the same transactions as the changes; the server follows it
//! ([`follow::LogCursor`]) and can rebuild the whole index from the database at any time.
//! Chinese text is segmented by jieba and also indexed as character bigrams, digits are
//! matched whole and by suffix ([`analyze`]).

pub mod analyze;
mod filtered;
pub mod follow;
mod index;
pub mod judged;
mod query;
pub mod snippet;
mod tokenizer;

pub use index::{
    Access, Checkpoint, Filters, Hit, Kind, SearchDoc, SearchError, SearchIndex, ARTICLE_DRAFT,
    ARTICLE_PUBLISHED, CUSTOMER_ACCESS, SCHEMA_VERSION,
};
pub use query::highlight_terms;
