//! kefu's store: the only place that speaks SQL.
//!
//! One implementation serves both backends. Queries are written once in portable SQL
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`, BIGINT millisecond timestamps, TEXT ids)
//! and run through sqlx's `Any` driver; where the engines truly differ the difference sits
//! in [`backend`]. On SQLite there is one writer connection and a pool of read-only
//! readers (WAL), on PostgreSQL one pool does both.

pub mod assignment;
pub mod audit;
pub mod backend;
pub mod blobs;
pub mod calendars;
pub mod callbacks;
pub mod calls;
pub mod campaigns;
pub mod chat;
mod checkpoint;
pub mod complaints;
pub mod contact_tasks;
pub mod customers;
pub mod duties;
pub mod exports;
mod group_commit;
pub mod imports;
pub mod jobs;
pub mod knowledge;
pub mod logs;
pub mod mail;
pub mod org;
pub mod org_templates;
pub mod performance;
pub mod qa;
pub mod reports;
pub mod schedule;
pub mod search_docs;
pub mod search_log;
pub mod sla;
mod sla_cache;
pub mod surveys;
pub mod tickets;
mod tree;
mod unchecked;
pub mod users;
pub mod wallboard;

mod error;
mod time;

pub use backend::{Backend, Db};
pub use error::StoreError;
pub use time::{from_millis, to_millis};

/// A fresh opaque id: time-ordered (UUIDv7), so recent rows sort last and cursors are stable.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// One page of a list and the cursor for the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only proves there is more.
    pub fn from_overfetch(
        mut rows: Vec<T>,
        limit: usize,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// Escapes `%`, `_` and `\` so user input can be used inside a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The smallest string greater than every string that starts with `prefix`, for
/// index-friendly prefix ranges (`x >= prefix AND x < upper`).
pub(crate) fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Null,
    /// A null where PostgreSQL must see an integer (e.g. in a multi-row `VALUES`).
    NullInt,
    Blob(Vec<u8>),
    /// A null where PostgreSQL must see bytes.
    NullBlob,
}

/// A query built piece by piece with `$n` placeholders that both backends accept
/// (sqlx's `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL rejects).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
    /// Write `?` instead of `$n` (SQLite only; see [`Sql::for_backend`]).
    anonymous: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
            anonymous: false,
        }
    }

    /// For statements with many parameters (multi-row inserts, long `IN` lists). On
    /// SQLite the placeholders are plain `?`, bound in order: binding resolves each
    /// `$n` by a linear scan of the statement's parameter names, so n named parameters
    /// cost O(n²) — with a 200-row insert that dominated a bulk import. `text` must not
    /// contain placeholders of its own.
    pub fn for_backend(backend: crate::Backend, text: &str) -> Self {
        Sql {
            anonymous: backend == crate::Backend::Sqlite,
            ..Sql::new(text)
        }
    }

    /// A new statement with this one's placeholder style.
    pub fn like(&self, text: &str) -> Self {
        Sql {
            anonymous: self.anonymous,
            ..Sql::new(text)
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        if self.anonymous {
            self.text.push('?');
        } else {
            use std::fmt::Write as _;
            let _ = write!(self.text, "${}", self.args.len());
        }
        self
    }

    /// Appends `(arg, arg, …)`: one row of a multi-row `VALUES`.
    pub fn push_row(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.text.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(arg);
        }
        self.text.push(')');
        self
    }

    pub fn bind_text(&mut self, s: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(s.into()))
    }

    pub fn bind_int(&mut self, i: i64) -> &mut Self {
        self.bind(Arg::Int(i))
    }

    pub fn query_as<'q, T>(
        &'q self,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as::<_, T>(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
                Arg::Null => q.bind(None::<String>),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::Blob(b) => q.bind(b.as_slice()),
                Arg::NullBlob => q.bind(None::<Vec<u8>>),
            };
        }
        q
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
                Arg::Null => q.bind(None::<String>),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::Blob(b) => q.bind(b.as_slice()),
                Arg::NullBlob => q.bind(None::<Vec<u8>>),
            };
        }
        q
    }
}

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;
