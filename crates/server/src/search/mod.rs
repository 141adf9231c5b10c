//! The search index inside the server: opened on first use under `<data_dir>/search`,
//! kept up to date by following the database's change log, rebuilt from the database
//! when it is new, was written by another version, or a rebuild was interrupted.
//!
//! Every server (also several on one PostgreSQL database) keeps its own index and follows
//! the same log; the log is written in the same transactions as the changes, so an index
//! that was down — crashed, stopped, or started later — catches up by itself.

pub mod docs;

use crate::state::AppState;
use crate::AppError;
use kefu_search::follow::LogCursor;
use kefu_search::{Checkpoint, Kind, SearchIndex, SCHEMA_VERSION};
use kefu_store::search_log::{Change, Entity};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How often the change log is polled: writes are searchable well within a second.
const POLL: Duration = Duration::from_millis(200);
/// Change-log entries read per round.
const LOG_BATCH: usize = 1_000;
/// Records read from the database per rebuild batch.
const REBUILD_BATCH: usize = 2_000;
/// A start that finds the index this many changes behind (say after `kefu import
/// customers` with the server stopped) rebuilds it with the bulk writer rather than
/// following the log a thousand records per commit.
const REBUILD_BACKLOG: i64 = 100_000;
/// A first build commits this often, so searches see a growing index meanwhile.
const REBUILD_COMMIT_EVERY: usize = 200_000;

struct Follow {
    cursor: LogCursor,
    committed: i64,
}

/// The index and where the server is in the change log.
pub struct SearchService {
    dir: PathBuf,
    index: OnceLock<Result<Arc<SearchIndex>, String>>,
    follow: tokio::sync::Mutex<Follow>,
    rebuilding: AtomicBool,
}

impl SearchService {
    pub fn new(dir: PathBuf) -> Self {
        SearchService {
            dir,
            index: OnceLock::new(),
            follow: tokio::sync::Mutex::new(Follow {
                cursor: LogCursor::resume(0),
                committed: 0,
            }),
            rebuilding: AtomicBool::new(false),
        }
    }

    /// The index, opened on first use; 503 when it cannot be opened (e.g. another
    /// process holds it).
    pub fn index(&self) -> Result<Arc<SearchIndex>, AppError> {
        let opened = self.index.get_or_init(|| {
            SearchIndex::open(&self.dir).map(Arc::new).map_err(|e| {
                tracing::error!(error = %e, "the search index cannot be opened");
                e.to_string()
            })
        });
        opened.clone().map_err(|e| AppError::Unavailable {
            code: "search_unavailable",
            message: format!("the search index is not available: {e}"),
        })
    }

    /// True while a full rebuild runs (results may be incomplete).
    pub fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(Ordering::Relaxed)
    }
}

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RebuildStats {
    pub tickets: u64,
    pub customers: u64,
    pub articles: u64,
    /// The change-log position the rebuilt index starts following from.
    pub seq: i64,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, kefu_search::SearchError> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// Rebuilds the whole index from the database. Searches keep seeing the old index until
/// the new one is committed (a first build commits as it goes).
pub async fn rebuild(state: &AppState) -> anyhow::Result<RebuildStats> {
    let service = state.search();
    let index = service.index()?;
    let mut follow = service.follow.lock().await;
    service.rebuilding.store(true, Ordering::Relaxed);
    let result = rebuild_locked(state, &index).await;
    service.rebuilding.store(false, Ordering::Relaxed);
    let stats = result?;
    follow.cursor = LogCursor::resume(stats.seq);
    follow.committed = stats.seq;
    Ok(stats)
}

async fn rebuild_locked(
    state: &AppState,
    index: &Arc<SearchIndex>,
) -> anyhow::Result<RebuildStats> {
    let db = state.db();
    let first_build = !index.checkpoint().is_some_and(|c| c.complete);
    // Changes from here on are applied again after the rebuild (they are idempotent).
    let head = db.search_log_head().await?;
    let mut stats = RebuildStats {
        seq: head,
        ..RebuildStats::default()
    };
    let ix = index.clone();
    blocking(move || {
        ix.set_bulk(true)?;
        ix.clear()
    })
    .await?;
    let built = build_all(state, index, first_build, head, &mut stats).await;
    // Back to the small writer whether or not the build got through (after a failure
    // the index keeps its last commit; the next start or rebuild does it again).
    let ix = index.clone();
    blocking(move || ix.set_bulk(false)).await?;
    built?;
    tracing::info!(
        tickets = stats.tickets,
        customers = stats.customers,
        articles = stats.articles,
        "search index rebuilt"
    );
    Ok(stats)
}

/// Writes every ticket, customer and article into the (cleared) index and commits.
async fn build_all(
    state: &AppState,
    index: &Arc<SearchIndex>,
    first_build: bool,
    head: i64,
    stats: &mut RebuildStats,
) -> anyhow::Result<()> {
    let db = state.db();
    let partial = Checkpoint {
        schema: SCHEMA_VERSION,
        seq: head,
        complete: false,
    };
    let mut since_commit = 0usize;
    let mut after: Option<String> = None;
    loop {
        let rows = db
            .ticket_search_chunk(after.as_deref(), REBUILD_BATCH)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let n = rows.len();
        let docs: Vec<_> = rows.into_iter().map(docs::ticket_doc).collect();
        let ix = index.clone();
        blocking(move || ix.add_new(&docs)).await?;
        stats.tickets += n as u64;
        since_commit += n;
        if first_build && since_commit >= REBUILD_COMMIT_EVERY {
            let ix = index.clone();
            blocking(move || ix.commit(partial)).await?;
            since_commit = 0;
        }
    }
    let mut after: Option<String> = None;
    loop {
        let rows = db
            .customer_search_chunk(after.as_deref(), REBUILD_BATCH)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let n = rows.len();
        let docs: Vec<_> = rows.into_iter().map(docs::customer_doc).collect();
        let ix = index.clone();
        blocking(move || ix.add_new(&docs)).await?;
        stats.customers += n as u64;
    }
    let mut after: Option<String> = None;
    loop {
        let rows = db.articles_chunk(after.as_deref(), REBUILD_BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let docs: Vec<_> = rows.into_iter().filter_map(docs::article_doc).collect();
        stats.articles += docs.len() as u64;
        let ix = index.clone();
        blocking(move || ix.add_new(&docs)).await?;
    }
    let ix = index.clone();
    blocking(move || {
        ix.commit(Checkpoint {
            complete: true,
            ..partial
        })
    })
    .await?;
    Ok(())
}

/// Applies what the change log holds beyond the index's position; returns how many
/// records were re-indexed.
pub async fn catch_up(state: &AppState) -> anyhow::Result<usize> {
    let service = state.search();
    let index = service.index()?;
    let mut follow = service.follow.lock().await;
    let db = state.db();
    let mut applied = 0;
    loop {
        let fresh = db
            .search_changes_after(follow.cursor.high(), LOG_BATCH)
            .await?;
        let gaps = follow.cursor.gaps();
        let filled = if gaps.is_empty() {
            Vec::new()
        } else {
            db.search_changes_in(&gaps).await?
        };
        if !fresh.is_empty() || !filled.is_empty() {
            applied += apply(state, &index, fresh.iter().chain(filled.iter())).await?;
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let seqs: Vec<i64> = filled.iter().chain(fresh.iter()).map(|c| c.seq).collect();
        follow.cursor.saw(&seqs, now_ms);
        let watermark = follow.cursor.watermark();
        if watermark != follow.committed || !seqs.is_empty() {
            let ix = index.clone();
            blocking(move || {
                ix.commit(Checkpoint {
                    schema: SCHEMA_VERSION,
                    seq: watermark,
                    complete: true,
                })
            })
            .await?;
            follow.committed = watermark;
        }
        if fresh.len() < LOG_BATCH {
            return Ok(applied);
        }
    }
}

/// Re-indexes the records the entries name (each once), removing those that are gone.
async fn apply<'a>(
    state: &AppState,
    index: &Arc<SearchIndex>,
    changes: impl Iterator<Item = &'a Change>,
) -> anyhow::Result<usize> {
    let mut tickets = BTreeSet::new();
    let mut customers = BTreeSet::new();
    let mut articles = BTreeSet::new();
    for c in changes {
        match c.entity {
            Entity::Ticket => tickets.insert(c.entity_id.clone()),
            Entity::Customer => customers.insert(c.entity_id.clone()),
            Entity::Article => articles.insert(c.entity_id.clone()),
        };
    }
    let db = state.db();
    let ids: Vec<String> = tickets.into_iter().collect();
    let rows = db.ticket_search_rows(&ids).await?;
    let mut docs: Vec<_> = rows.into_iter().map(docs::ticket_doc).collect();
    let mut gone: Vec<(Kind, String)> = missing(Kind::Ticket, &ids, &docs);
    let ids: Vec<String> = customers.into_iter().collect();
    let rows = db.customer_search_rows(&ids).await?;
    let customer_docs: Vec<_> = rows.into_iter().map(docs::customer_doc).collect();
    gone.extend(missing(Kind::Customer, &ids, &customer_docs));
    docs.extend(customer_docs);
    let ids: Vec<String> = articles.into_iter().collect();
    if !ids.is_empty() {
        let rows = db.articles_by_ids(&ids).await?;
        // Archived articles leave the index like deleted ones.
        let article_docs: Vec<_> = rows.into_iter().filter_map(docs::article_doc).collect();
        gone.extend(missing(Kind::Article, &ids, &article_docs));
        docs.extend(article_docs);
    }
    let n = docs.len();
    let ix = index.clone();
    blocking(move || {
        for (kind, id) in &gone {
            ix.remove(*kind, id)?;
        }
        ix.upsert(&docs)
    })
    .await?;
    Ok(n)
}

fn missing(kind: Kind, ids: &[String], docs: &[kefu_search::SearchDoc]) -> Vec<(Kind, String)> {
    let found: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    ids.iter()
        .filter(|id| !found.contains(id.as_str()))
        .map(|id| (kind, id.clone()))
        .collect()
}

/// Prepares the index (rebuilding it when needed) and then follows the change log until
/// the process ends. Returns the task, so tests can stop it.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = start(&state).await {
            tracing::error!(error = %e, "the search index could not be prepared");
        }
        loop {
            if let Err(e) = catch_up(&state).await {
                tracing::warn!(error = %e, "search index catch-up failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// Resumes from the index's checkpoint, or rebuilds when there is no complete one.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    let service = state.search();
    let index = service.index()?;
    let head = state.db().search_log_head().await?;
    match index.checkpoint() {
        Some(c) if c.complete && head - c.seq > REBUILD_BACKLOG => {
            tracing::info!(
                seq = c.seq,
                head,
                "search index far behind the change log; rebuilding"
            );
            rebuild(state).await?;
        }
        Some(c) if c.complete => {
            let mut follow = service.follow.lock().await;
            follow.cursor = LogCursor::resume(c.seq);
            follow.committed = c.seq;
            tracing::info!(seq = c.seq, documents = index.len(), "search index resumes");
        }
        _ => {
            rebuild(state).await?;
        }
    }
    Ok(())
}
