//! Connecting to SQLite or PostgreSQL, migrating, and the few places where the two
//! engines differ.

use crate::chat::AppendQueue;
use crate::checkpoint::Checkpointer;
use crate::sla_cache::SlaCache;
use crate::tickets::CreateQueue;
use crate::StoreError;
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a write pool and a read pool (the same pool on PostgreSQL).
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) write: AnyPool,
    pub(crate) read: AnyPool,
    backend: Backend,
    /// Policies and calendars for new work orders, shared by every clone.
    pub(crate) sla_cache: Arc<SlaCache>,
    /// SQLite: where ticket creates wait for the single writer, to commit in batches.
    pub(crate) ticket_queue: Option<CreateQueue>,
    /// SQLite: where chat messages wait for the single writer, to commit in batches.
    pub(crate) chat_queue: Option<AppendQueue>,
    /// SQLite: the task that checkpoints the write-ahead log instead of the commits.
    _checkpointer: Option<Checkpointer>,
    /// PostgreSQL: the URL, for connections of their own (`LISTEN`, see `chat::feed`).
    pub(crate) listen_url: Option<crate::chat::ListenUrl>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

// temp_store = MEMORY keeps statement journals (written for every multi-row insert inside
// a transaction, e.g. an import commit) and sort/temp b-trees off the filesystem.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA temp_store = MEMORY;";

/// How many migrations a SQLite database has applied (none when it is new).
async fn applied_migrations(conn: &mut sqlx::AnyConnection) -> Result<i64, StoreError> {
    let (tracked,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if tracked == 0 {
        return Ok(0);
    }
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await?;
    Ok(applied)
}

impl Db {
    /// Connects to `url` (`sqlite://path/file.db` or `postgres://…`), creating the SQLite
    /// file if needed, and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let db = if url.starts_with("sqlite:") {
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(SQLITE_PRAGMAS).await?;
                        // The writer carries bulk imports: a larger page cache (32 MB).
                        // Its commits never checkpoint: the checkpointer task does.
                        conn.execute("PRAGMA cache_size = -32000; PRAGMA wal_autocheckpoint = 0;")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await?;
            // Create the file and WAL before readers open it.
            let read = AnyPoolOptions::new()
                .max_connections(4)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(SQLITE_PRAGMAS).await?;
                        // Readers share the OS page cache; 8 MB each keeps RSS flat.
                        conn.execute("PRAGMA query_only = ON; PRAGMA cache_size = -8000;")
                            .await?;
                        Ok(())
                    })
                })
                .connect_lazy(&url)?;
            Db {
                write,
                read,
                backend: Backend::Sqlite,
                sla_cache: Arc::default(),
                ticket_queue: None,
                chat_queue: None,
                _checkpointer: Some(Checkpointer::spawn(&url)?),
                listen_url: None,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = match connect_postgres(url).await {
                Err(e) if is_missing_database(&e) => {
                    create_postgres_database(url).await?;
                    connect_postgres(url).await?
                }
                other => other?,
            };
            Db {
                write: pool.clone(),
                read: pool,
                backend: Backend::Postgres,
                sla_cache: Arc::default(),
                ticket_queue: None,
                chat_queue: None,
                _checkpointer: None,
                listen_url: Some(crate::chat::ListenUrl(Arc::from(url))),
            }
        } else {
            return Err(StoreError::Refused(format!(
                "unsupported database URL (expected sqlite:// or postgres://): {}",
                redact_url(url)
            )));
        };
        db.migrate().await?;
        if db.backend == Backend::Sqlite {
            // The writer tasks hold clones without queues, so they end with the last Db.
            let writer = db.clone();
            let tickets = CreateQueue::spawn(crate::tickets::CREATE_BATCH, move |items| {
                let db = writer.clone();
                async move { db.create_tickets(&items).await }
            });
            let writer = db.clone();
            let chat = AppendQueue::spawn(crate::chat::APPEND_BATCH, move |items| {
                let db = writer.clone();
                async move { db.append_chat_messages(&items).await }
            });
            return Ok(Db {
                ticket_queue: Some(tickets),
                chat_queue: Some(chat),
                ..db
            });
        }
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Brings the schema up to date. SQLite's migrations run with foreign-key enforcement
    /// off, as SQLite prescribes for schema changes: a table is rebuilt by copying it and
    /// dropping the old one, and with enforcement on that drop would delete (cascade) or
    /// refuse every row referring to it. sqlx runs each migration in a transaction, where
    /// the pragma has no effect, so it is set around them; `foreign_key_check` then
    /// proves the rebuilt tables kept every reference intact. A database already up to
    /// date is left alone: the check reads every table.
    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.write.acquire().await?;
                let before = applied_migrations(&mut conn).await?;
                if before == SQLITE_MIGRATIONS.iter().count() as i64 {
                    // Up to date: no check, which would read the whole database.
                    return Ok(());
                }
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await?;
                let migrated = SQLITE_MIGRATIONS.run_direct(&mut *conn).await;
                let broken: Vec<(String,)> = sqlx::query_as(
                    "SELECT \"table\" || ' refers to a missing ' || parent \
                     FROM pragma_foreign_key_check",
                )
                .fetch_all(&mut *conn)
                .await?;
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                migrated?;
                if let Some((what,)) = broken.first() {
                    return Err(StoreError::Corrupt(format!(
                        "after migrating, {} rows break a foreign key: {what}",
                        broken.len()
                    )));
                }
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        Ok(())
    }

    /// Versions of the migrations each backend ships; they must be the same list.
    pub fn migration_versions(backend: Backend) -> Vec<i64> {
        let m = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| m.version).collect()
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

async fn connect_postgres(url: &str) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
}

fn is_missing_database(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "3D000")
}

/// Creates the database named in `url` through the server's `postgres` database, so
/// `kefu serve --database-url postgres://…/kefu` works on a fresh server.
async fn create_postgres_database(url: &str) -> Result<(), StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (server, name) = base
        .rsplit_once('/')
        .ok_or_else(|| StoreError::Refused("database URL has no database name".into()))?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(StoreError::Refused(format!(
            "cannot create a database named {name:?}"
        )));
    }
    let admin_url = match query {
        Some(q) => format!("{server}/postgres?{q}"),
        None => format!("{server}/postgres"),
    };
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await?;
    let created = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await;
    admin.close().await;
    match created {
        Ok(_) => {
            tracing::info!(database = name, "created the PostgreSQL database");
            Ok(())
        }
        // Another server created it meanwhile.
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04") =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Hides a password in a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Locks one row for the rest of the transaction where the engine needs it: PostgreSQL
/// takes a row lock; SQLite's single writer already serializes write transactions.
pub(crate) async fn lock_row(
    backend: Backend,
    tx: &mut crate::Tx<'_>,
    table: &'static str,
    id: &str,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        let sql = format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE");
        sqlx::query(&sql).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}
