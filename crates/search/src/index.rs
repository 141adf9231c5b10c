//! The index itself: one tantivy index holding tickets, customers and articles, written by
//! one writer, read by many searches at once.

use crate::filtered::Filtered;
use crate::query;
use crate::tokenizer::{self, DIGITS, GRAMS, WORDS};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bumped whenever the schema or the analyzers change: an index written with another
/// version is rebuilt from the database.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Dir(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ticket,
    Customer,
    Article,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Ticket, Kind::Customer, Kind::Article];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Customer => "customer",
            Kind::Article => "article",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One searchable record as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct SearchDoc {
    pub kind: Option<Kind>,
    pub id: String,
    /// Shown and highlighted as the hit's title (ticket number and subject, customer
    /// name and company, article title).
    pub title: String,
    /// Stored and shown as the snippet (ticket description, replies and notes; customer
    /// notes; article body).
    pub body: String,
    /// Searchable but never stored or shown (contact phones and e-mails, tags).
    pub hidden: String,
    /// Ticket type or article kind.
    pub subtype: Option<String>,
    /// Ticket status, customer status or article state.
    pub status: Option<String>,
    pub departments: Vec<String>,
    pub tier: Option<String>,
    /// Access terms; a searcher sees a document when one of them is theirs
    /// (see [`Access`]).
    pub access: Vec<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// What a searcher may find.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Access terms of tickets the searcher may open (`u:<user>`, `d:<department>`), or
    /// `None` when they may not read tickets at all.
    pub tickets: Option<Vec<String>>,
    pub customers: bool,
    /// `Some(false)`: published articles; `Some(true)`: drafts too; `None`: none.
    pub articles: Option<bool>,
}

pub const ARTICLE_PUBLISHED: &str = "published";
pub const ARTICLE_DRAFT: &str = "draft";
pub const CUSTOMER_ACCESS: &str = "customers";

/// Narrowing of a search.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Empty: every kind the searcher may see.
    pub kinds: Vec<Kind>,
    pub subtype: Option<String>,
    /// Any of these statuses (empty: any status).
    pub statuses: Vec<String>,
    pub department: Option<String>,
    pub tier: Option<String>,
    /// Created at or after (ms).
    pub from: Option<i64>,
    /// Created before (ms).
    pub to: Option<i64>,
    /// A record to leave out (the ticket the suggestions are for).
    pub exclude: Option<(Kind, String)>,
}

/// One hit with its stored title and body; the caller masks what the searcher may not
/// see and then cuts a highlighted snippet ([`crate::snippet::snippet`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    pub title: String,
    pub body: String,
    pub subtype: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub created_at: i64,
    pub score: f32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub title: Field,
    pub title_grams: Field,
    pub body: Field,
    pub body_grams: Field,
    pub hidden: Field,
    pub digits: Field,
    pub subtype: Field,
    pub status: Field,
    pub department: Field,
    pub tier: Field,
    pub access: Field,
    pub created: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored {
            o.set_stored()
        } else {
            o
        }
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_text_field("id", STORED),
        title: b.add_text_field("title", text(WORDS, true)),
        title_grams: b.add_text_field("title_grams", text(GRAMS, false)),
        body: b.add_text_field("body", text(WORDS, true)),
        body_grams: b.add_text_field("body_grams", text(GRAMS, false)),
        hidden: b.add_text_field("hidden", text(WORDS, false)),
        digits: b.add_text_field("digits", text(DIGITS, false)),
        subtype: b.add_text_field("subtype", STRING | STORED),
        status: b.add_text_field("status", STRING | STORED),
        department: b.add_text_field("department", STRING),
        tier: b.add_text_field("tier", STRING | STORED),
        access: b.add_text_field("access", STRING),
        created: b.add_i64_field(
            "created",
            NumericOptions::default()
                .set_indexed()
                .set_fast()
                .set_stored(),
        ),
    };
    (b.build(), fields)
}

/// What the last commit says about the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub schema: u32,
    /// Every change-log entry up to this sequence number is in the index.
    pub seq: i64,
    /// False while a rebuild is under way (a crash then means: rebuild again).
    pub complete: bool,
}

pub struct SearchIndex {
    /// The index's folder; `None` for an index in memory.
    dir: Option<PathBuf>,
    opened: RwLock<Opened>,
    /// `None` only if re-creating the writer failed (see [`SearchIndex::set_bulk`]).
    writer: Mutex<Option<IndexWriter>>,
    f: Fields,
}

/// The index and its reader, replaced together when a build reopens the index.
struct Opened {
    index: Index,
    reader: IndexReader,
}

impl Opened {
    fn new(index: Index) -> Result<Self, SearchError> {
        tokenizer::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Opened { index, reader })
    }
}

/// The writer while following the change log: a few records per commit.
const FOLLOW_THREADS: usize = 1;
const FOLLOW_HEAP: usize = 32 * 1024 * 1024;
/// The writer during a full build: the heap is split between the indexing threads
/// (tantivy asks for at least 15 MB each); a bigger heap makes fewer, larger segments.
/// 64 MB builds 1,000,000 customers in the same 22 s as 96 MB did, and leaves the server
/// holding less afterwards (foundation B2: 141–147 MB against 147–158 MB; BENCHMARKS.md).
const BULK_THREADS: usize = 2;
const BULK_HEAP: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index in `dir`, creating it (empty, no checkpoint) when there is none or
    /// when it was written by another schema version.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let existing = Index::open_in_dir(dir).ok().filter(|index| {
            index.schema() == schema
                && checkpoint_of(index).is_none_or(|c| c.schema == SCHEMA_VERSION)
        });
        let index = match existing {
            Some(index) => index,
            None => {
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
                Index::create_in_dir(dir, schema)?
            }
        };
        Self::with_index(Some(dir.to_path_buf()), index, f)
    }

    /// An index in memory (tests, benchmarks of the analyzers).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, f) = schema();
        Self::with_index(None, Index::create_in_ram(schema), f)
    }

    fn with_index(dir: Option<PathBuf>, index: Index, f: Fields) -> Result<Self, SearchError> {
        crate::analyze::warm_up();
        let opened = Opened::new(index)?;
        let writer = opened
            .index
            .writer_with_num_threads(FOLLOW_THREADS, FOLLOW_HEAP)?;
        Ok(SearchIndex {
            dir,
            opened: RwLock::new(opened),
            writer: Mutex::new(Some(writer)),
            f,
        })
    }

    fn opened(&self) -> std::sync::RwLockReadGuard<'_, Opened> {
        self.opened.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The last committed checkpoint; `None` for a new index (it needs a full build).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        checkpoint_of(&self.opened().index)
    }

    fn writer(&self) -> Result<WriterGuard<'_>, SearchError> {
        let guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            return Err(SearchError::Index(tantivy::TantivyError::InternalError(
                "the index writer could not be re-created".into(),
            )));
        }
        Ok(WriterGuard(guard))
    }

    /// Switches the writer between a full build (two indexing threads, a big heap) and
    /// following the change log (one thread, a small heap). What was written and not
    /// committed is dropped, so switch right before a [`Self::clear`] or right after a
    /// [`Self::commit`]. Leaving bulk mode waits for the merges the build started, so the
    /// index is left in few segments, and frees the build's memory: a writer keeps its
    /// threads and their buffers for as long as it lives (a server stayed ~190 MB larger
    /// after building 1,000,000 documents with the bulk writer still open).
    ///
    /// Leaving bulk mode also reopens an index on disk. The merges read every segment
    /// through memory maps, and those pages stayed resident in the server for as long
    /// as the maps lived (110 MB after building 1,000,000 customers); a fresh open maps
    /// the files again and only what searches touch becomes resident.
    pub fn set_bulk(&self, bulk: bool) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = guard.take() {
            if bulk {
                drop(old);
            } else {
                old.wait_merging_threads()?;
            }
        }
        let (threads, heap) = if bulk {
            (BULK_THREADS, BULK_HEAP)
        } else {
            (FOLLOW_THREADS, FOLLOW_HEAP)
        };
        if let (false, Some(dir)) = (bulk, &self.dir) {
            let reopened = Opened::new(Index::open_in_dir(dir)?)?;
            *self.opened.write().unwrap_or_else(|e| e.into_inner()) = reopened;
        }
        *guard = Some(self.opened().index.writer_with_num_threads(threads, heap)?);
        Ok(())
    }

    fn key(kind: Kind, id: &str) -> String {
        format!("{}:{id}", kind.code())
    }

    /// Replaces the documents (delete by key, add) — not visible until [`Self::commit`].
    pub fn upsert(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        for d in docs {
            let Some(kind) = d.kind else { continue };
            let key = Self::key(kind, &d.id);
            writer.delete_term(Term::from_field_text(self.f.key, &key));
            writer.add_document(self.document(kind, &key, d))?;
        }
        Ok(())
    }

    /// Adds documents known not to be in the index (a rebuild after [`Self::clear`]).
    pub fn add_new(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        for d in docs {
            let Some(kind) = d.kind else { continue };
            let key = Self::key(kind, &d.id);
            writer.add_document(self.document(kind, &key, d))?;
        }
        Ok(())
    }

    /// Removes a record (it was deleted from the database).
    pub fn remove(&self, kind: Kind, id: &str) -> Result<(), SearchError> {
        self.writer()?
            .delete_term(Term::from_field_text(self.f.key, &Self::key(kind, id)));
        Ok(())
    }

    /// Drops every document (before a full rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Makes everything written so far durable and visible, recording `checkpoint`.
    pub fn commit(&self, checkpoint: Checkpoint) -> Result<(), SearchError> {
        {
            let mut writer = self.writer()?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&serde_json::to_string(&checkpoint).unwrap_or_default());
            prepared.commit()?;
        }
        self.opened().reader.reload()?;
        Ok(())
    }

    /// How many documents the searchers see.
    pub fn len(&self) -> u64 {
        self.opened().reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, kind: Kind, key: &str, d: &SearchDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, key);
        doc.add_text(f.kind, kind.code());
        doc.add_text(f.id, &d.id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_grams, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.body_grams, &d.body);
        if !d.hidden.is_empty() {
            doc.add_text(f.hidden, &d.hidden);
        }
        for text in [&d.title, &d.body, &d.hidden] {
            if text.bytes().any(|b| b.is_ascii_digit()) || text.contains(char::is_numeric) {
                doc.add_text(f.digits, text);
            }
        }
        if let Some(s) = &d.subtype {
            doc.add_text(f.subtype, s);
        }
        if let Some(s) = &d.status {
            doc.add_text(f.status, s);
        }
        for dept in &d.departments {
            doc.add_text(f.department, dept);
        }
        if let Some(t) = &d.tier {
            doc.add_text(f.tier, t);
        }
        for a in &d.access {
            doc.add_text(f.access, a);
        }
        doc.add_i64(f.created, d.created_at);
        doc
    }

    /// The best `limit` hits after `offset` for `text` that `access` allows and `filters`
    /// keep, best first. An empty query finds nothing.
    pub fn search(
        &self,
        text: &str,
        access: &Access,
        filters: &Filters,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let Some(matching) = query::build(text, &self.f) else {
            return Ok(Vec::new());
        };
        let Some(allowed) = self.access_query(access, &filters.kinds) else {
            return Ok(Vec::new());
        };
        let mut filter: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, allowed)];
        if !filters.statuses.is_empty() {
            let statuses: Vec<&str> = filters.statuses.iter().map(String::as_str).collect();
            filter.push((Occur::Must, any_term(self.f.status, &statuses)));
        }
        for (field, value) in [
            (self.f.subtype, &filters.subtype),
            (self.f.department, &filters.department),
            (self.f.tier, &filters.tier),
        ] {
            if let Some(v) = value {
                filter.push((Occur::Must, any_term(field, &[v.as_str()])));
            }
        }
        if filters.from.is_some() || filters.to.is_some() {
            use std::ops::Bound;
            let term = |ms: i64| Term::from_field_i64(self.f.created, ms);
            let lower = filters
                .from
                .map_or(Bound::Unbounded, |ms| Bound::Included(term(ms)));
            let upper = filters
                .to
                .map_or(Bound::Unbounded, |ms| Bound::Excluded(term(ms)));
            filter.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if let Some((kind, id)) = &filters.exclude {
            let key = Self::key(*kind, id);
            filter.push((Occur::MustNot, any_term(self.f.key, &[key.as_str()])));
        }
        let query = Filtered::new(matching, Box::new(BooleanQuery::new(filter)));
        let searcher = self.opened().reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
            };
            let Some(kind) = text_of(self.f.kind).as_deref().and_then(Kind::from_code) else {
                continue;
            };
            hits.push(Hit {
                kind,
                id: text_of(self.f.id).unwrap_or_default(),
                title: text_of(self.f.title).unwrap_or_default(),
                body: text_of(self.f.body).unwrap_or_default(),
                subtype: text_of(self.f.subtype),
                status: text_of(self.f.status),
                tier: text_of(self.f.tier),
                created_at: doc
                    .get_first(self.f.created)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
                score,
            });
        }
        Ok(hits)
    }

    /// Documents the searcher may see, of the kinds asked for; `None` when that is none.
    fn access_query(&self, access: &Access, kinds: &[Kind]) -> Option<Box<dyn Query>> {
        let wanted = |k: Kind| kinds.is_empty() || kinds.contains(&k);
        let kind_is = |k: Kind| any_term(self.f.kind, &[k.code()]);
        let any_of = |terms: &[&str]| any_term(self.f.access, terms);
        let mut per_kind: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut both = |k: Kind, q: Box<dyn Query>| {
            per_kind.push((
                Occur::Should,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, kind_is(k)),
                    (Occur::Must, q),
                ])),
            ));
        };
        if let Some(tickets) = access.tickets.as_ref().filter(|t| !t.is_empty()) {
            if wanted(Kind::Ticket) {
                let terms: Vec<&str> = tickets.iter().map(String::as_str).collect();
                both(Kind::Ticket, any_of(&terms));
            }
        }
        if access.customers && wanted(Kind::Customer) {
            both(Kind::Customer, any_of(&[CUSTOMER_ACCESS]));
        }
        if let Some(drafts) = access.articles {
            if wanted(Kind::Article) {
                let terms: &[&str] = if drafts {
                    &[ARTICLE_PUBLISHED, ARTICLE_DRAFT]
                } else {
                    &[ARTICLE_PUBLISHED]
                };
                both(Kind::Article, any_of(terms));
            }
        }
        if per_kind.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(per_kind)))
    }
}

/// Documents with any of `values` in `field`, unscored. A union of term queries rather than
/// a `TermSetQuery`: the latter collects every matching document into a bit set before
/// the search starts (all of a department's tickets), where a union is only moved to the
/// few documents a pruned search asks about (see [`Filtered`]).
fn any_term(field: Field, values: &[&str]) -> Box<dyn Query> {
    let term = |v: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, v),
            IndexRecordOption::Basic,
        ))
    };
    match values {
        [one] => term(one),
        many => Box::new(BooleanQuery::new(
            many.iter().map(|v| (Occur::Should, term(v))).collect(),
        )),
    }
}

/// The writer, known to be there.
struct WriterGuard<'a>(std::sync::MutexGuard<'a, Option<IndexWriter>>);

impl std::ops::Deref for WriterGuard<'_> {
    type Target = IndexWriter;
    fn deref(&self) -> &IndexWriter {
        self.0.as_ref().expect("checked in SearchIndex::writer")
    }
}

impl std::ops::DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut IndexWriter {
        self.0.as_mut().expect("checked in SearchIndex::writer")
    }
}

fn checkpoint_of(index: &Index) -> Option<Checkpoint> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}
