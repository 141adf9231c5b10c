//! The two migration folders must stay in step.

use kefu_store::{Backend, Db};
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeSet;
use std::path::Path;

fn file_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

pub async fn backends_match(backend: TestBackend) {
    let sqlite = Db::migration_versions(Backend::Sqlite);
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, Db::migration_versions(Backend::Postgres));

    let sqlite_files = file_names("sqlite");
    assert_eq!(sqlite_files.len(), sqlite.len(), "{sqlite_files:?}");
    assert_eq!(
        sqlite_files,
        file_names("postgres"),
        "same migration file names"
    );

    // A fresh database is migrated and answers on its backend.
    let t = TestDb::new(backend).await;
    let expected = match backend {
        TestBackend::Sqlite => Backend::Sqlite,
        TestBackend::Postgres => Backend::Postgres,
    };
    assert_eq!(t.db.backend(), expected);
    t.db.ping().await.unwrap();
    assert_eq!(
        t.db.list_tiers().await.unwrap().len(),
        4,
        "seed rows present"
    );
    t.cleanup().await;
}
