//! The append-only audit log: filters, cursor, and the database refusing changes.

use crate::common::{actor_for, at, create_user, system, t0};
use chrono::Duration;
use kefu_domain::audit::AuditAction;
use kefu_store::audit::{AuditFilter, NewAuditEntry};
use kefu_test_support::{TestBackend, TestDb};
use sqlx::{AnyConnection, Connection};

pub async fn append_and_filter(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let alice = create_user(&t.db, "alice").await;
    let bob = create_user(&t.db, "bob").await;
    let as_alice = actor_for(&alice, "alice");
    let as_bob = actor_for(&bob, "bob");
    let viewed = NewAuditEntry::new(AuditAction::CustomerViewed).subject("customer", "c-1");
    let s1 = t.db.append_audit(&as_alice, at(10), &viewed).await.unwrap();
    let revealed = NewAuditEntry::new(AuditAction::CustomerPiiRevealed)
        .subject("customer", "c-2")
        .detail("field=mobile");
    let s2 = t.db.append_audit(&as_bob, at(20), &revealed).await.unwrap();
    let updated = NewAuditEntry::new(AuditAction::CustomerUpdated)
        .subjects("customer", ["c-1".to_string(), "c-3".to_string()]);
    let s3 = t.db.append_audit(&as_bob, at(30), &updated).await.unwrap();
    assert!(s1 < s2 && s2 < s3, "sequence numbers increase");

    let seqs = |filter: AuditFilter| {
        let db = t.db.clone();
        async move {
            let page = db.list_audit(&filter, None, 50).await.unwrap();
            page.items
                .into_iter()
                // The two staff accounts' own creation entries come from fixtures.
                .filter(|r| r.action != "org.staff_create")
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        }
    };
    let f = AuditFilter::default;
    assert_eq!(seqs(f()).await, [s3, s2, s1], "newest first");
    let by_bob = AuditFilter {
        actor_id: Some(bob.clone()),
        ..f()
    };
    assert_eq!(seqs(by_bob).await, [s3, s2]);
    let updates = AuditFilter {
        action: Some("customer.update".into()),
        ..f()
    };
    assert_eq!(seqs(updates).await, [s3]);
    let about_c1 = AuditFilter {
        subject_id: Some("c-1".into()),
        ..f()
    };
    assert_eq!(
        seqs(about_c1).await,
        [s3, s1],
        "via audit_subjects, not a substring"
    );
    let about_c = AuditFilter {
        subject_id: Some("c".into()),
        ..f()
    };
    assert!(seqs(about_c).await.is_empty());
    let window = AuditFilter {
        from: Some(at(10)),
        to: Some(at(30)),
        ..f()
    };
    assert_eq!(seqs(window).await, [s2, s1], "from inclusive, to exclusive");
    let pii = AuditFilter {
        personal_data_only: true,
        ..f()
    };
    assert_eq!(seqs(pii).await, [s2, s1]);
    let everything = AuditFilter {
        actor_id: Some(alice.clone()),
        action: Some("customer.view".into()),
        subject_id: Some("c-1".into()),
        from: Some(at(10)),
        to: Some(at(11)),
        personal_data_only: true,
    };
    assert_eq!(seqs(everything).await, [s1]);

    let page = t.db.list_audit(&f(), None, 50).await.unwrap();
    let row = page.items.iter().find(|r| r.seq == s2).unwrap();
    assert_eq!(row.actor_id.as_deref(), Some(bob.as_str()));
    assert_eq!(row.actor_name, "bob");
    assert_eq!(row.action, "customer.pii_reveal");
    assert_eq!(row.subject_type.as_deref(), Some("customer"));
    assert_eq!(row.subject_ids.as_deref(), Some("c-2"));
    assert_eq!(row.detail.as_deref(), Some("field=mobile"));
    assert_eq!(row.at(), at(20));
    let s3_row = page.items.iter().find(|r| r.seq == s3).unwrap();
    assert_eq!(s3_row.subject_ids.as_deref(), Some("c-1,c-3"));
    t.cleanup().await;
}

pub async fn cursor(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let sys = system();
    let mut appended = Vec::new();
    for i in 0..12 {
        let entry = NewAuditEntry::new(AuditAction::CustomerListed).detail(format!("page={i}"));
        appended.push(
            t.db.append_audit(&sys, t0() + Duration::seconds(i), &entry)
                .await
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page =
            t.db.list_audit(&AuditFilter::default(), before, 5)
                .await
                .unwrap();
        seen.extend(page.items.iter().map(|r| r.seq));
        match page.next_cursor {
            Some(c) => before = Some(c.parse::<i64>().expect("the cursor is a sequence number")),
            None => break,
        }
    }
    appended.reverse();
    assert_eq!(seen, appended, "every entry once, newest first");
    t.cleanup().await;
}

pub async fn database_refuses_update_and_delete(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let entry = NewAuditEntry::new(AuditAction::CustomerViewed).subject("customer", "c-1");
    let seq = t.db.append_audit(&system(), t0(), &entry).await.unwrap();

    // Behind the store's back, with a plain connection: the database itself refuses.
    let mut raw = AnyConnection::connect(&t.url).await.unwrap();
    let update = sqlx::query("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = $1")
        .bind(seq)
        .execute(&mut raw)
        .await;
    assert!(update.is_err(), "UPDATE audit_log succeeded");
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(seq)
        .execute(&mut raw)
        .await;
    assert!(delete.is_err(), "DELETE FROM audit_log succeeded");
    let delete_all = sqlx::query("DELETE FROM audit_log").execute(&mut raw).await;
    assert!(delete_all.is_err(), "DELETE FROM audit_log succeeded");
    raw.close().await.unwrap();

    let page =
        t.db.list_audit(&AuditFilter::default(), None, 10)
            .await
            .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].actor_name, "conformance");
    t.cleanup().await;
}
