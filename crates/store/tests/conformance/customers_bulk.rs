//! Large customer imports: SQLite's bulk-load mode (indexes dropped inside the import's
//! transaction and rebuilt at commit) must leave the same schema, the same lookups and
//! the same all-or-nothing outcome as the row-by-row path PostgreSQL keeps.

use crate::common::{create_customer, create_user, customer, mobile, system, t0};
use kefu_domain::audit::AuditAction;
use kefu_store::audit::NewAuditEntry;
use kefu_store::customers::{CustomerFilter, CustomerInput, BULK_ROWS};
use kefu_store::StoreError;
use kefu_test_support::{TestBackend, TestDb};
use sqlx::Connection;

/// The customer tables' indexes as the database describes them: name and definition.
async fn index_definitions(t: &TestDb) -> Vec<(String, String)> {
    let mut conn = sqlx::AnyConnection::connect(&t.url).await.unwrap();
    let sql = match t.backend() {
        TestBackend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ('customers', 'customer_contacts', 'customer_tags') ORDER BY name"
        }
        TestBackend::Postgres => {
            "SELECT indexname::text, indexdef FROM pg_indexes \
             WHERE tablename IN ('customers', 'customer_contacts', 'customer_tags') \
             ORDER BY indexname"
        }
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    rows
}

fn imported(i: usize) -> CustomerInput {
    let mut c = customer(&format!("批量{i:04}"));
    c.contacts = vec![mobile(&format!("1370000{i:04}"))];
    c.tags = vec![format!("批次{}", i % 3)];
    c.tier = ["VIP", "A", "B", "C"][i % 4].into();
    c
}

/// Inserts `rows` into an open batch and commits it: the first error either step gives
/// (PostgreSQL refuses some rows at insert, SQLite's bulk mode at commit).
async fn insert_and_commit(
    mut batch: kefu_store::customers::CustomerBatch,
    rows: &[CustomerInput],
) -> Result<u64, StoreError> {
    batch.insert(None, t0(), rows).await?;
    batch
        .commit(
            &system(),
            t0(),
            &NewAuditEntry::new(AuditAction::CustomersImported),
        )
        .await
}

pub async fn bulk_load_rebuilds_indexes(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let importer = create_user(&t.db, "importer").await;
    let mut earlier = customer("早已存在");
    earlier.contacts = vec![mobile("13900000001")];
    create_customer(&t.db, &earlier).await;
    let before = index_definitions(&t).await;
    assert!(
        before
            .iter()
            .any(|(name, _)| name == "customer_contacts_mobile_unique"),
        "{before:?}"
    );

    let logged_before = t.db.search_log_head().await.unwrap();
    // The mode follows the expected size, so a few hundred rows exercise it.
    let mut batch = t.db.begin_customer_batch(BULK_ROWS).await.unwrap();
    assert_eq!(batch.is_bulk_load(), backend == TestBackend::Sqlite);
    let rows: Vec<_> = (0..300).map(imported).collect();
    batch
        .insert(Some(&importer), t0(), &rows[..200])
        .await
        .unwrap();
    // Committed customers still count as taken while the indexes are gone.
    let taken = batch
        .taken_mobiles(&["13900000001".into(), "13800009999".into()])
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken["13900000001"].1, "早已存在");
    // Readers keep the old snapshot, indexes included, while the batch is open.
    let found = t.db.find_customers_by_contact("13900000001").await.unwrap();
    assert_eq!(found.len(), 1);
    batch
        .insert(Some(&importer), t0(), &rows[200..])
        .await
        .unwrap();
    let entry = NewAuditEntry::new(AuditAction::CustomersImported).detail("rows=300");
    assert_eq!(batch.commit(&system(), t0(), &entry).await.unwrap(), 300);
    assert!(t.db.writer_has_usual_settings().await.unwrap());
    // Every imported customer, and nothing else, is logged once for the search index.
    let logged: std::collections::BTreeSet<String> =
        t.db.search_changes_after(logged_before, 1_000)
            .await
            .unwrap()
            .into_iter()
            .map(|c| {
                assert_eq!(c.entity, kefu_store::search_log::Entity::Customer);
                c.entity_id
            })
            .collect();
    let imported_ids: std::collections::BTreeSet<String> =
        t.db.list_customers(&CustomerFilter::default(), None, 500)
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|c| c.name.starts_with("批量"))
            .map(|c| c.id)
            .collect();
    assert_eq!(imported_ids.len(), 300);
    assert_eq!(logged, imported_ids);

    assert_eq!(
        index_definitions(&t).await,
        before,
        "indexes as the migrations made them"
    );
    let found = t.db.find_customers_by_contact("13700000123").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "批量0123");
    let tagged = CustomerFilter {
        tag: Some("批次1".into()),
        tier: Some("B".into()),
        ..Default::default()
    };
    let page = t.db.list_customers(&tagged, None, 500).await.unwrap();
    // i % 3 == 1 and i % 4 == 2: i = 10, 22, 34, … below 300.
    assert_eq!(page.items.len(), 25);
    // The rebuilt unique index still refuses a taken mobile.
    let mut again = customer("重复");
    again.contacts = vec![mobile("13700000007")];
    assert!(
        t.db.existing_mobiles(&["13700000007".into()])
            .await
            .unwrap()
            .len()
            == 1
    );
    let dup =
        t.db.create_customer(&system(), t0(), &again)
            .await
            .unwrap_err();
    assert!(
        matches!(
            dup,
            kefu_store::customers::CustomerWriteError::DuplicatePhone { .. }
        ),
        "{dup:?}"
    );
    t.cleanup().await;
}

pub async fn bulk_load_duplicate_rolls_back(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let before = index_definitions(&t).await;
    let mut batch = t.db.begin_customer_batch(BULK_ROWS).await.unwrap();
    let rows: Vec<_> = (0..50).map(imported).collect();
    batch.insert(None, t0(), &rows).await.unwrap();
    // The same mobile again, in a later insert of the same batch.
    let mut twin = customer("双胞胎");
    twin.contacts = vec![mobile("13700000042")];
    // PostgreSQL's index refuses the row at once; SQLite's rebuilt index at commit.
    let outcome = insert_and_commit(batch, &[twin]).await;
    assert!(
        matches!(outcome, Err(StoreError::Conflict { .. })),
        "{outcome:?}"
    );
    // Nothing of the batch is left, and the indexes are back as they were.
    assert!(t
        .db
        .existing_mobiles(&["13700000001".into(), "13700000042".into()])
        .await
        .unwrap()
        .is_empty());
    let all =
        t.db.list_customers(&CustomerFilter::default(), None, 10)
            .await
            .unwrap();
    assert!(all.items.is_empty());
    assert_eq!(index_definitions(&t).await, before);
    // The writer is free again and uniqueness still holds.
    create_customer(&t.db, &imported(42)).await;
    let mut twin = customer("双胞胎");
    twin.contacts = vec![mobile("13700000042")];
    assert!(t.db.create_customer(&system(), t0(), &twin).await.is_err());
    t.cleanup().await;
}

/// On SQLite a batch writes without per-row foreign-key checks and checks the tiers and
/// owners its rows name once, at commit; either way a row naming no such tier or owner
/// fails the whole batch, and the writer checks foreign keys again afterwards.
pub async fn batch_checks_parents_at_commit(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let owner = create_user(&t.db, "owner").await;
    for (tier, owner_id) in [("白金", None), ("A", Some("no-such-user".to_string()))] {
        let batch = t.db.begin_customer_batch(BULK_ROWS).await.unwrap();
        let mut rows: Vec<_> = (0..20).map(imported).collect();
        rows[7].tier = tier.into();
        rows[7].owner_id = owner_id;
        rows[8].owner_id = Some(owner.clone());
        let outcome = insert_and_commit(batch, &rows).await;
        assert!(
            matches!(outcome, Err(StoreError::Refused(_))),
            "{tier}: {outcome:?}"
        );
        let all =
            t.db.list_customers(&CustomerFilter::default(), None, 10)
                .await
                .unwrap();
        assert!(all.items.is_empty(), "{tier}: nothing written");
        assert!(t.db.writer_has_usual_settings().await.unwrap());
    }
    // A batch dropped half-way leaves nothing and a checking writer behind.
    let mut batch = t.db.begin_customer_batch(0).await.unwrap();
    batch.insert(None, t0(), &[imported(1)]).await.unwrap();
    drop(batch);
    assert!(t.db.writer_has_usual_settings().await.unwrap());
    assert!(t
        .db
        .existing_mobiles(&["13700000001".into()])
        .await
        .unwrap()
        .is_empty());
    // Known tiers and owners commit.
    let mut batch = t.db.begin_customer_batch(0).await.unwrap();
    let mut rows: Vec<_> = (0..3).map(imported).collect();
    rows[0].owner_id = Some(owner.clone());
    batch.insert(None, t0(), &rows).await.unwrap();
    let entry = NewAuditEntry::new(AuditAction::CustomersImported);
    assert_eq!(batch.commit(&system(), t0(), &entry).await.unwrap(), 3);
    let mine = CustomerFilter {
        owner_id: Some(owner),
        ..Default::default()
    };
    assert_eq!(
        t.db.list_customers(&mine, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    t.cleanup().await;
}

/// A batch's statements run on a task of their own, so a statement the database refuses
/// is reported by a later call: a later insert or the commit. Either way the batch fails
/// with the database's own error, nothing of it is written, and the writer is free again.
pub async fn batch_reports_a_refused_write_later(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    // Below the bulk size, so the mobile index refuses the twin when it is written.
    let mut batch = t.db.begin_customer_batch(0).await.unwrap();
    let rows: Vec<_> = (0..50).map(imported).collect();
    batch.insert(None, t0(), &rows).await.unwrap();
    let mut twin = customer("双胞胎");
    twin.contacts = vec![mobile("13700000042")];
    let mut outcome = batch.insert(None, t0(), &[twin]).await.map(|()| 0);
    if outcome.is_ok() {
        outcome = batch.insert(None, t0(), &[imported(60)]).await.map(|()| 0);
    }
    if outcome.is_ok() {
        outcome = batch
            .commit(
                &system(),
                t0(),
                &NewAuditEntry::new(AuditAction::CustomersImported),
            )
            .await;
    } else {
        drop(batch);
    }
    assert!(
        matches!(outcome, Err(StoreError::Conflict { .. })),
        "{outcome:?}"
    );
    assert!(t
        .db
        .list_customers(&CustomerFilter::default(), None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(t.db.writer_has_usual_settings().await.unwrap());
    create_customer(&t.db, &imported(42)).await;
    t.cleanup().await;
}
