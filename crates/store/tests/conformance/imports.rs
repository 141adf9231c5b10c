//! Import jobs: a previewed upload is committed at most once.

use crate::common::{at, create_user, t0};
use kefu_store::imports::NewImportJob;
use kefu_store::StoreError;
use kefu_test_support::{TestBackend, TestDb};

fn job(created_by: &str) -> NewImportJob<'_> {
    NewImportJob {
        created_by,
        filename: "客户名单.xlsx",
        format: "xlsx",
        encoding: "utf-8",
        total_rows: 120,
        valid_rows: 118,
        rejected_rows: 2,
    }
}

pub async fn lifecycle(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let user = create_user(&t.db, "importer").await;
    let id = t.db.create_import_job(t0(), &job(&user)).await.unwrap();
    let row = t.db.get_import_job(&id).await.unwrap();
    assert_eq!(row.status, "previewed");
    assert_eq!(row.filename, "客户名单.xlsx");
    assert_eq!(
        (row.total_rows, row.valid_rows, row.rejected_rows),
        (120, 118, 2)
    );
    assert_eq!(row.created_by, user);

    assert!(t.db.claim_import_job(&id).await.unwrap());
    assert!(!t.db.claim_import_job(&id).await.unwrap(), "claimed twice");
    assert_eq!(t.db.get_import_job(&id).await.unwrap().status, "committing");
    // A claimed job can no longer be discarded.
    t.db.discard_import_job(&id).await.unwrap();
    assert_eq!(t.db.get_import_job(&id).await.unwrap().status, "committing");
    t.db.finish_import_job(&id, at(2), Ok((117, 3)))
        .await
        .unwrap();
    let done = t.db.get_import_job(&id).await.unwrap();
    assert_eq!(done.status, "committed");
    assert_eq!(done.committed_at, Some(at(2).timestamp_millis()));
    assert_eq!((done.valid_rows, done.rejected_rows), (117, 3));
    assert!(!t.db.claim_import_job(&id).await.unwrap());

    let failing = t.db.create_import_job(at(3), &job(&user)).await.unwrap();
    assert!(t.db.claim_import_job(&failing).await.unwrap());
    t.db.finish_import_job(&failing, at(4), Err("disk full"))
        .await
        .unwrap();
    let failed = t.db.get_import_job(&failing).await.unwrap();
    assert_eq!(
        (failed.status.as_str(), failed.error.as_deref()),
        ("failed", Some("disk full"))
    );
    assert_eq!(failed.committed_at, None);

    let discarded = t.db.create_import_job(at(5), &job(&user)).await.unwrap();
    t.db.discard_import_job(&discarded).await.unwrap();
    assert_eq!(
        t.db.get_import_job(&discarded).await.unwrap().status,
        "discarded"
    );
    assert!(!t.db.claim_import_job(&discarded).await.unwrap());

    let listed: Vec<String> =
        t.db.list_import_jobs(2)
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect();
    assert_eq!(listed, [discarded, failing], "newest first, limited");
    assert!(matches!(
        t.db.get_import_job("missing").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        t.db.create_import_job(t0(), &job("no-such-user")).await,
        Err(StoreError::Refused(_))
    ));
    t.cleanup().await;
}
