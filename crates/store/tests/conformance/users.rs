//! Staff accounts, log-in counters, sessions and API tokens.

use crate::common::{at, create_user, new_user, system, t0};
use kefu_domain::org::{Education, StaffProfile};
use kefu_store::audit::AuditFilter;
use kefu_store::users::UserUpdate;
use kefu_store::StoreError;
use kefu_test_support::{TestBackend, TestDb};

pub async fn create_and_get(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let profile = StaffProfile {
        education: Some(Education::Bachelor),
        years_experience: 4,
        certificates: vec!["普通话二级甲等".into()],
    };
    let mut user = new_user("zhang.wei", profile.clone());
    user.agent_no = Some("A-017".into());
    let id = t.db.create_user(&system(), t0(), &user).await.unwrap();

    let row = t.db.get_user_by_username("zhang.wei").await.unwrap();
    assert_eq!(row.id, id);
    assert_eq!(row.display_name, "zhang.wei 坐席");
    assert_eq!(row.agent_no.as_deref(), Some("A-017"));
    assert!(row.is_active());
    assert_eq!(row.profile(), profile);
    assert_eq!(row.created_at, t0().timestamp_millis());
    assert_eq!(t.db.get_user(&id).await.unwrap().username, "zhang.wei");
    assert!(matches!(
        t.db.get_user_by_username("nobody").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(t.db.count_users().await.unwrap(), 1);
    let creds = t.db.get_credentials("zhang.wei").await.unwrap();
    assert_eq!(creds.password_hash, "hash-of-zhang.wei");

    let audit =
        t.db.list_audit(
            &AuditFilter {
                subject_id: Some(id.clone()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].action, "org.staff_create");
    t.cleanup().await;
}

pub async fn duplicate_username_conflicts(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    create_user(&t.db, "li.na").await;
    let again =
        t.db.create_user(&system(), t0(), &new_user("li.na", StaffProfile::default()))
            .await;
    match again {
        Err(StoreError::Conflict { constraint }) => {
            assert!(constraint.contains("username"), "constraint: {constraint}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The refused write left nothing behind, not even its audit entry.
    assert_eq!(t.db.count_users().await.unwrap(), 1);
    let audit =
        t.db.list_audit(&AuditFilter::default(), None, 10)
            .await
            .unwrap();
    assert_eq!(audit.items.len(), 1);
    t.cleanup().await;
}

pub async fn login_counters(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let id = create_user(&t.db, "wang.fang").await;
    let fresh = t.db.get_credentials("wang.fang").await.unwrap();
    assert_eq!((fresh.failed_logins, fresh.locked_until), (0, None));

    t.db.record_login_failure(&id, 1, None).await.unwrap();
    let lock = at(15);
    t.db.record_login_failure(&id, 5, Some(lock)).await.unwrap();
    let locked = t.db.get_credentials("wang.fang").await.unwrap();
    assert_eq!(locked.failed_logins, 5);
    assert_eq!(locked.locked_until, Some(lock.timestamp_millis()));

    t.db.record_login_success(&id).await.unwrap();
    let cleared = t.db.get_credentials("wang.fang").await.unwrap();
    assert_eq!((cleared.failed_logins, cleared.locked_until), (0, None));
    t.cleanup().await;
}

pub async fn sessions(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let id = create_user(&t.db, "zhao.lei").await;
    t.db.create_session("s-old", &id, "csrf-old", t0(), Some("10.0.0.1"))
        .await
        .unwrap();
    t.db.create_session("s-new", &id, "csrf-new", at(60), None)
        .await
        .unwrap();

    let (s, _) = t.db.get_session("s-new").await.unwrap();
    assert_eq!(
        (
            s.user_id.as_str(),
            s.username.as_str(),
            s.csrf_token.as_str()
        ),
        (id.as_str(), "zhao.lei", "csrf-new")
    );
    assert_eq!(s.last_seen_at, at(60).timestamp_millis());

    t.db.touch_session("s-new", at(90)).await.unwrap();
    let (touched, _) = t.db.get_session("s-new").await.unwrap();
    assert_eq!(touched.last_seen_at, at(90).timestamp_millis());
    assert_eq!(touched.created_at, at(60).timestamp_millis());

    // s-old is idle since t0; s-new was seen at +90 and created at +60.
    let removed = t.db.delete_expired_sessions(t0(), at(30)).await.unwrap();
    assert_eq!(removed, 1);
    assert!(matches!(
        t.db.get_session("s-old").await,
        Err(StoreError::NotFound)
    ));
    assert!(t.db.get_session("s-new").await.is_ok());
    // Created before the absolute limit: expired however recently it was used.
    assert_eq!(t.db.delete_expired_sessions(at(61), t0()).await.unwrap(), 1);
    assert!(t.db.get_session("s-new").await.is_err());

    t.db.create_session("s-3", &id, "c", at(100), None)
        .await
        .unwrap();
    t.db.delete_session("s-3").await.unwrap();
    assert!(matches!(
        t.db.get_session("s-3").await,
        Err(StoreError::NotFound)
    ));

    // Deactivating the account ends its sessions.
    t.db.create_session("s-4", &id, "c", at(100), None)
        .await
        .unwrap();
    let update = UserUpdate {
        display_name: "赵磊".into(),
        agent_no: None,
        active: false,
        profile: StaffProfile::default(),
    };
    t.db.update_user(&system(), at(101), &id, &update)
        .await
        .unwrap();
    assert!(matches!(
        t.db.get_session("s-4").await,
        Err(StoreError::NotFound)
    ));
    t.cleanup().await;
}

pub async fn api_tokens(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let id = create_user(&t.db, "sun.li").await;
    let other = create_user(&t.db, "zhou.jie").await;
    let sys = system();
    let forever =
        t.db.create_api_token(&sys, t0(), &id, "reports", "h-forever", "kf_aaaa", None)
            .await
            .unwrap();
    let short =
        t.db.create_api_token(
            &sys,
            at(1),
            &id,
            "one hour",
            "h-short",
            "kf_bbbb",
            Some(at(61)),
        )
        .await
        .unwrap();

    let list = t.db.list_api_tokens(&id).await.unwrap();
    let ids: Vec<&str> = list.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [short.as_str(), forever.as_str()], "newest first");
    assert_eq!(list[0].prefix, "kf_bbbb");
    assert_eq!(list[0].expires_at, Some(at(61).timestamp_millis()));
    assert!(t.db.list_api_tokens(&other).await.unwrap().is_empty());

    let (p, _) = t.db.get_token_principal("h-short", at(60)).await.unwrap();
    assert_eq!(
        (p.token_id.as_str(), p.user_id.as_str()),
        (short.as_str(), id.as_str())
    );
    assert_eq!(p.username, "sun.li");
    assert!(matches!(
        t.db.get_token_principal("h-short", at(61)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        t.db.get_token_principal("h-unknown", t0()).await,
        Err(StoreError::NotFound)
    ));

    t.db.touch_api_token(&forever, at(5)).await.unwrap();
    let (p, _) = t.db.get_token_principal("h-forever", at(6)).await.unwrap();
    assert_eq!(p.last_used_at, Some(at(5).timestamp_millis()));

    // Only the owner can revoke; revoking twice keeps the first time.
    assert!(matches!(
        t.db.revoke_api_token(&sys, at(10), &other, &forever).await,
        Err(StoreError::NotFound)
    ));
    assert!(t.db.get_token_principal("h-forever", at(10)).await.is_ok());
    t.db.revoke_api_token(&sys, at(10), &id, &forever)
        .await
        .unwrap();
    t.db.revoke_api_token(&sys, at(20), &id, &forever)
        .await
        .unwrap();
    assert!(matches!(
        t.db.get_token_principal("h-forever", at(11)).await,
        Err(StoreError::NotFound)
    ));
    let revoked = t.db.list_api_tokens(&id).await.unwrap();
    let row = revoked.iter().find(|r| r.id == forever).unwrap();
    assert_eq!(row.revoked_at, Some(at(10).timestamp_millis()));

    let duplicate =
        t.db.create_api_token(&sys, at(30), &other, "copy", "h-short", "kf_cccc", None)
            .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { .. })),
        "{duplicate:?}"
    );
    t.cleanup().await;
}
