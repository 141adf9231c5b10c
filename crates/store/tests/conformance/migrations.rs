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

/// Migration 38 gives customers an integer row key (on SQLite by rebuilding the table):
/// customers written before it keep their contacts, tags and timeline — nothing cascades —
/// are numbered in id (creation) order, and customers created after it come first.
pub async fn customers_get_row_keys_in_creation_order(backend: TestBackend) {
    use kefu_store::customers::CustomerFilter;
    use kefu_test_support::Bind::{I, T};
    let old = TestDb::before_migration(backend, 38).await;
    // Written out of id order: the row keys must follow the ids, not the insertion.
    for (id, name) in [("0003", "丙"), ("0001", "甲"), ("0002", "乙")] {
        old.exec(
            "INSERT INTO customers (id, name, tier, status, created_at, updated_at) \
             VALUES ($1, $2, 'A', 'active', 1, 1)",
            &[T(id), T(name)],
        )
        .await;
    }
    old.exec(
        "INSERT INTO customer_contacts (id, customer_id, kind, value, value_rev, position) \
         VALUES ('k1', '0001', 'mobile', '13800000001', '10000000831', 0)",
        &[],
    )
    .await;
    old.exec(
        "INSERT INTO customer_tags (customer_id, tag) VALUES ('0002', '老客户')",
        &[],
    )
    .await;
    old.exec(
        "INSERT INTO customer_events (id, customer_id, at, kind, summary) \
         VALUES ('e1', '0003', $1, 'note', '来电咨询')",
        &[I(2)],
    )
    .await;
    let t = old.finish().await;

    let first =
        t.db.list_customers(&CustomerFilter::default(), None, 2)
            .await
            .unwrap();
    let names: Vec<&str> = first.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["丙", "乙"], "newest (largest id) first");
    let rest =
        t.db.list_customers(&CustomerFilter::default(), first.next_cursor.as_deref(), 2)
            .await
            .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].name, "甲");
    assert_eq!(rest.items[0].primary_phone.as_deref(), Some("13800000001"));
    assert_eq!(t.db.get_customer("0002").await.unwrap().tags, ["老客户"]);
    let events = t.db.list_customer_events("0003", 10).await.unwrap();
    assert!(events.iter().any(|e| e.summary == "来电咨询"), "{events:?}");
    let found = t.db.find_customers_by_contact("13800000001").await.unwrap();
    assert_eq!(found.len(), 1);

    // A customer created now gets a larger row key than every migrated one.
    let new_id = crate::common::create_customer(&t.db, &crate::common::customer("丁")).await;
    let all =
        t.db.list_customers(&CustomerFilter::default(), None, 10)
            .await
            .unwrap();
    assert_eq!(all.items[0].id, new_id);
    let exported =
        t.db.export_customers_chunk(&CustomerFilter::default(), None, 10)
            .await
            .unwrap();
    let order: Vec<&str> = exported.iter().map(|c| c.core.name.as_str()).collect();
    assert_eq!(order, ["甲", "乙", "丙", "丁"]);
    assert_eq!(exported[0].contacts.len(), 1);
    t.cleanup().await;
}
