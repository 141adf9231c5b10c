//! What kefu's test suites share: a fresh database per test on either backend, and the
//! libtest-mimic runner that runs one suite against SQLite and PostgreSQL.
//!
//! A suite is a `harness = false` test target whose `main` is one [`suite!`] call; every
//! test is an `async fn(TestBackend)` and runs once per backend, as `sqlite::name` and
//! `postgres::name`. PostgreSQL runs only when `KEFU_TEST_POSTGRES_URL` names an admin
//! database; otherwise the suite says so on one line and runs the SQLite trials alone.

use kefu_store::Db;
use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::any::install_default_drivers;
use sqlx::{AnyConnection, Connection, Executor};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// PostgreSQL databases created by the running trial and not yet cleaned up, so a test
/// that fails (or forgets [`TestDb::cleanup`]) does not leave its database behind.
type Leftovers = Arc<Mutex<Vec<(String, String)>>>;

tokio::task_local! {
    static LEFTOVERS: Leftovers;
}

/// The environment variable naming the PostgreSQL admin database tests create their
/// databases from.
pub const POSTGRES_URL_VAR: &str = "KEFU_TEST_POSTGRES_URL";

/// The URL of the PostgreSQL admin database, if PostgreSQL tests should run.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Which engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    /// The prefix of trial names, so `cargo test -- postgres::` selects one backend.
    pub fn name(self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres => "postgres",
        }
    }
}

/// A value bound to a [`TestDb::exec`] statement: text, a whole number, or NULL.
pub enum Bind<'a> {
    T(&'a str),
    I(i64),
    N,
}

/// The instant of a wall-clock time in the center's zone (China, +08:00).
pub fn center_time(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("valid offset")
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_else(|| panic!("no time {y}-{mo}-{d} {h}:{mi}"))
        .with_timezone(&chrono::Utc)
}

/// A database nobody else uses, migrated and connected. Call [`TestDb::cleanup`] at the
/// end of a test so PostgreSQL databases do not pile up on the server.
pub struct TestDb {
    pub db: Db,
    /// The database's own URL, for tests that need a raw connection beside the store.
    pub url: String,
    backend: TestBackend,
    /// Keeps the SQLite file's directory alive as long as the database.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL admin URL and the name of the database created on it.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Creates and migrates a fresh database. Panics (failing the test) when the database
    /// cannot be created, or on PostgreSQL when `KEFU_TEST_POSTGRES_URL` is not set.
    pub async fn new(backend: TestBackend) -> TestDb {
        Unmigrated::create(backend).await.finish().await
    }

    /// A fresh database migrated only up to (not including) migration `version`, for
    /// tests of what that migration does to rows written before it.
    pub async fn before_migration(backend: TestBackend, version: i64) -> Unmigrated {
        let fresh = Unmigrated::create(backend).await;
        let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../store/migrations")
            .join(backend.name());
        let earlier = tempfile::tempdir().expect("create a temporary directory");
        for entry in std::fs::read_dir(&all).expect("read the migrations folder") {
            let path = entry.expect("read the migrations folder").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let number: i64 = name
                .split('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(i64::MAX);
            if number < version {
                std::fs::copy(&path, earlier.path().join(name)).expect("copy a migration");
            }
        }
        let migrator = sqlx::migrate::Migrator::new(earlier.path())
            .await
            .expect("read the earlier migrations");
        let mut conn = fresh.connect().await;
        migrator
            .run_direct(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("migrate up to {version}: {e}"));
        let _ = conn.close().await;
        fresh
    }

    pub fn backend(&self) -> TestBackend {
        self.backend
    }

    /// Runs one statement on its own connection, beside the store: the rows a fixture
    /// needs that no use case writes (moments in the past, a month's figures at once).
    /// Panics, failing the test, when the statement fails.
    pub async fn exec(&self, sql: &str, binds: &[Bind<'_>]) {
        exec_on(&self.url, sql, binds).await;
    }

    /// Closes the pools and drops the PostgreSQL database (the SQLite directory goes with
    /// the value).
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some((admin_url, name)) = &self.pg {
            drop_database(admin_url, name).await;
            let _ = LEFTOVERS
                .try_with(|l| l.lock().expect("leftovers lock").retain(|(_, n)| n != name));
        }
    }
}

/// A database not yet migrated to the end (see [`TestDb::before_migration`]): rows are
/// written with [`Unmigrated::exec`], and [`Unmigrated::finish`] connects the store,
/// which runs the remaining migrations.
pub struct Unmigrated {
    pub url: String,
    backend: TestBackend,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Unmigrated {
    /// Creates an empty database. Panics (failing the test) when it cannot be created, or
    /// on PostgreSQL when `KEFU_TEST_POSTGRES_URL` is not set.
    async fn create(backend: TestBackend) -> Unmigrated {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let url = format!("sqlite://{}/kefu.db", dir.path().display());
                Unmigrated {
                    url,
                    backend,
                    dir: Some(dir),
                    pg: None,
                }
            }
            TestBackend::Postgres => {
                let admin_url =
                    postgres_url().unwrap_or_else(|| panic!("{POSTGRES_URL_VAR} is not set"));
                let name = format!("kefu_t_{}", uuid::Uuid::now_v7().simple());
                let mut admin = admin_connection(&admin_url).await;
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                // Best effort: the database exists either way.
                let _ = admin.close().await;
                let _ = LEFTOVERS.try_with(|l| {
                    l.lock()
                        .expect("leftovers lock")
                        .push((admin_url.clone(), name.clone()))
                });
                Unmigrated {
                    url: database_url(&admin_url, &name),
                    backend,
                    dir: None,
                    pg: Some((admin_url, name)),
                }
            }
        }
    }

    /// A connection of its own; on SQLite it creates the file if there is none yet.
    async fn connect(&self) -> AnyConnection {
        install_default_drivers();
        let url = match self.backend {
            TestBackend::Sqlite => format!("{}?mode=rwc", self.url),
            TestBackend::Postgres => self.url.clone(),
        };
        AnyConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url))
    }

    /// Runs one statement on its own connection. Panics, failing the test, when it fails.
    pub async fn exec(&self, sql: &str, binds: &[Bind<'_>]) {
        exec_on(&self.url, sql, binds).await;
    }

    /// Connects the store, which runs the remaining migrations.
    pub async fn finish(self) -> TestDb {
        let db = Db::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url));
        TestDb {
            db,
            url: self.url,
            backend: self.backend,
            _dir: self.dir,
            pg: self.pg,
        }
    }
}

async fn exec_on(url: &str, sql: &str, binds: &[Bind<'_>]) {
    let mut conn = AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    let mut q = sqlx::query(sql);
    for b in binds {
        q = match b {
            Bind::T(s) => q.bind(*s),
            Bind::I(i) => q.bind(*i),
            Bind::N => q.bind(None::<i64>),
        };
    }
    q.execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

async fn drop_database(admin_url: &str, name: &str) {
    let mut admin = admin_connection(admin_url).await;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {e}"));
    let _ = admin.close().await;
}

async fn admin_connection(admin_url: &str) -> AnyConnection {
    install_default_drivers();
    AnyConnection::connect(admin_url).await.unwrap_or_else(|e| {
        panic!(
            "connect to the PostgreSQL admin database ({}): {e}",
            kefu_store::backend::redact_url(admin_url)
        )
    })
}

/// `admin_url` with its database name replaced by `name` (query parameters kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// One test of a suite: an `async fn(TestBackend)` boxed by [`suite!`].
pub type TestFn = fn(TestBackend) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `tests` against SQLite and (when configured) PostgreSQL, honoring libtest's
/// command line (filters, `--list`, `--test-threads`), then exits with the result.
/// Without `--test-threads` two trials run at a time: each opens its own pools.
pub fn run_suite(suite: &str, tests: Vec<(String, TestFn)>) -> ! {
    const BOTH: &[TestBackend] = &[TestBackend::Sqlite, TestBackend::Postgres];
    run_trials(
        suite,
        tests
            .into_iter()
            .map(|(name, test)| (name, test, BOTH))
            .collect(),
    )
}

/// Like [`run_suite`], for suites where some tests belong to one backend only (two
/// servers sharing a database is a PostgreSQL deployment): each test names its backends.
pub fn run_trials(suite: &str, tests: Vec<(String, TestFn, &'static [TestBackend])>) -> ! {
    let mut args = Arguments::from_args();
    if args.test_threads.is_none() {
        args.test_threads = Some(2);
    }
    let postgres = postgres_url().is_some();
    if !postgres && !args.list {
        println!(
            "NOTE: {suite} PostgreSQL tests did not run: set \
             {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres"
        );
    }
    let mut trials = Vec::new();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        if backend == TestBackend::Postgres && !postgres {
            continue;
        }
        for (name, test, backends) in &tests {
            if !backends.contains(&backend) {
                continue;
            }
            let test = *test;
            trials.push(Trial::test(
                format!("{}::{name}", backend.name()),
                move || run_trial(test, backend),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit()
}

/// Runs one trial on its own runtime; a panic anywhere in the test fails the trial.
fn run_trial(test: TestFn, backend: TestBackend) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("build the tokio runtime: {e}")))?;
    let leftovers = Leftovers::default();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(LEFTOVERS.scope(leftovers.clone(), test(backend)))
    }));
    let forgotten = std::mem::take(&mut *leftovers.lock().unwrap_or_else(|p| p.into_inner()));
    runtime.block_on(async {
        for (admin_url, name) in &forgotten {
            drop_database(admin_url, name).await;
        }
    });
    outcome.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the test panicked");
        Failed::from(message)
    })
}

/// The `main` of a suite: `kefu_test_support::suite!("store conformance", [test_a, test_b]);`
/// where each test is `async fn test_a(backend: TestBackend)`. Trials are named after the
/// paths as written (`users::sessions` becomes `sqlite::users::sessions`).
#[macro_export]
macro_rules! suite {
    ($suite:expr, [$($test:path),* $(,)?]) => {
        fn main() {
            let tests: ::std::vec::Vec<(::std::string::String, $crate::TestFn)> = ::std::vec![
                $((
                    $crate::__test_name(::std::stringify!($test)),
                    (|backend| ::std::boxed::Box::pin($test(backend))) as $crate::TestFn,
                )),*
            ];
            $crate::run_suite($suite, tests)
        }
    };
}

#[doc(hidden)]
pub fn __test_name(path: &'static str) -> String {
    path.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_url_replaces_only_the_database_name() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "kefu_t_1"),
            "postgres://postgres@127.0.0.1:5432/kefu_t_1"
        );
        assert_eq!(
            database_url("postgres://u:p@h/admin?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
