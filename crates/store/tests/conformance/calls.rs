//! Calls: events merge whatever their order, nothing received is lost, agents' actions
//! are audited, the IVR menu round-trips, and the file store keeps recordings.

use crate::common::{
    actor_for, at, create_customer, create_user, customer, mobile, new_user, system, t0,
};
use kefu_domain::call::{
    CallEvent, CallEventKind, HangupSide, IdentityMethod, IdentityResult, IvrOption,
};
use kefu_domain::org::StaffProfile;
use kefu_store::audit::AuditFilter;
use kefu_store::blobs::{BlobError, BlobStore};
use kefu_store::calls::CallFilter;
use kefu_store::StoreError;
use kefu_test_support::{TestBackend, TestDb};

fn event(kind: CallEventKind, minutes: i64) -> CallEvent {
    CallEvent {
        kind,
        at: at(minutes),
        caller: None,
        ivr_key: None,
        queue: None,
        agent: None,
        duration_s: None,
        hangup_side: None,
    }
}

fn offered(minutes: i64, caller: &str, queue: &str) -> CallEvent {
    CallEvent {
        caller: Some(caller.into()),
        ivr_key: Some("2".into()),
        queue: Some(queue.into()),
        ..event(CallEventKind::Offered, minutes)
    }
}

fn answered(minutes: i64, agent: &str) -> CallEvent {
    CallEvent {
        agent: Some(agent.into()),
        ..event(CallEventKind::Answered, minutes)
    }
}

fn ended(minutes: i64) -> CallEvent {
    CallEvent {
        hangup_side: Some(HangupSide::Caller),
        ..event(CallEventKind::Ended, minutes)
    }
}

pub async fn events_in_any_order_make_one_call(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut agent = new_user("agent7", StaffProfile::default());
    agent.agent_no = Some("A007".into());
    let agent_id = t.db.create_user(&system(), t0(), &agent).await.unwrap();
    let customer_id = create_customer(&t.db, &{
        let mut c = customer("王五");
        c.contacts.push(mobile("13912345678"));
        c
    })
    .await;
    // Ended first, then answered, then the offer, then a retried answer.
    let order = [
        ended(5),
        answered(1, "A007"),
        offered(0, "13912345678", "complaint"),
        answered(1, "A007"),
    ];
    let mut last = None;
    for e in &order {
        last = Some(
            t.db.apply_call_event("cti-1", e, "{}", at(6))
                .await
                .unwrap(),
        );
    }
    let call = last.unwrap();
    assert_eq!(call.state, "ended");
    assert_eq!(call.agent_id.as_deref(), Some(agent_id.as_str()));
    assert_eq!(call.customer_id.as_deref(), Some(customer_id.as_str()));
    assert_eq!(call.customer_name.as_deref(), Some("王五"));
    assert_eq!(call.duration_s, Some(240));
    assert_eq!(call.started_at, kefu_store::to_millis(at(0)));
    assert_eq!(call.hangup_side.as_deref(), Some("caller"));
    assert_eq!(t.db.list_call_events(&call.id).await.unwrap().len(), 4);
    assert_eq!(
        t.db.get_call_by_external_id("cti-1").await.unwrap().id,
        call.id
    );

    // The same events in order give the same record.
    for e in [
        offered(0, "13912345678", "complaint"),
        answered(1, "A007"),
        ended(5),
    ] {
        t.db.apply_call_event("cti-2", &e, "{}", at(6))
            .await
            .unwrap();
    }
    let in_order = t.db.get_call_by_external_id("cti-2").await.unwrap();
    assert_eq!(
        (in_order.state, in_order.duration_s, in_order.agent_id),
        (call.state, call.duration_s, call.agent_id)
    );
    t.cleanup().await;
}

pub async fn events_before_the_offer_are_kept(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let call =
        t.db.apply_call_event(
            "cti-late",
            &answered(3, "nobody-known"),
            "{\"raw\":1}",
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(call.state, "answered");
    assert_eq!(call.offered_at, None);
    // An agent the CTI names but kefu does not know is kept as sent.
    assert_eq!(call.agent_ref.as_deref(), Some("nobody-known"));
    assert_eq!(call.agent_id, None);
    let call =
        t.db.apply_call_event(
            "cti-late",
            &offered(2, "13800000000", "consultation"),
            "{}",
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(call.offered_at, Some(kefu_store::to_millis(at(2))));
    assert_eq!(call.queue.as_deref(), Some("consultation"));
    // Nobody has that number.
    assert_eq!(call.customer_id, None);
    let events = t.db.list_call_events(&call.id).await.unwrap();
    assert_eq!(events[0].payload, "{\"raw\":1}");
    assert_eq!(events[0].kind, "answered");
    t.cleanup().await;
}

pub async fn log_filters_active_calls_and_paging(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut agent = new_user("agent8", StaffProfile::default());
    agent.agent_no = Some("A008".into());
    let agent_id = t.db.create_user(&system(), t0(), &agent).await.unwrap();
    for i in 0..5 {
        let id = format!("log-{i}");
        t.db.apply_call_event(
            &id,
            &offered(i * 10, "13800000001", "consultation"),
            "{}",
            at(0),
        )
        .await
        .unwrap();
        if i % 2 == 0 {
            t.db.apply_call_event(&id, &answered(i * 10 + 1, "agent8"), "{}", at(0))
                .await
                .unwrap();
        }
        if i < 3 {
            t.db.apply_call_event(&id, &ended(i * 10 + 2), "{}", at(0))
                .await
                .unwrap();
        }
    }
    let mine =
        t.db.list_calls(
            &CallFilter {
                agent_id: Some(agent_id.clone()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    let ids: Vec<_> = mine.items.iter().map(|c| c.external_id.as_str()).collect();
    assert_eq!(ids, ["log-4", "log-2", "log-0"]);
    let window =
        t.db.list_calls(
            &CallFilter {
                from: Some(at(10)),
                to: Some(at(30)),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(window.items.len(), 2);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            t.db.list_calls(&CallFilter::default(), cursor.as_deref(), 2)
                .await
                .unwrap();
        seen.extend(page.items.iter().map(|c| c.external_id.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["log-4", "log-3", "log-2", "log-1", "log-0"]);
    // log-4 is answered by agent8 and still talking; log-3 rings in the queue.
    let active =
        t.db.list_active_calls(&agent_id, &["consultation".to_string()])
            .await
            .unwrap();
    let ids: Vec<_> = active.iter().map(|c| c.external_id.as_str()).collect();
    assert_eq!(ids, ["log-4", "log-3"]);
    let only_mine = t.db.list_active_calls(&agent_id, &[]).await.unwrap();
    assert_eq!(only_mine.len(), 1);
    t.cleanup().await;
}

pub async fn identity_check_and_ticket_are_audited(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let agent = create_user(&t.db, "checker").await;
    let actor = actor_for(&agent, "checker 坐席");
    let call =
        t.db.apply_call_event(
            "cti-id",
            &offered(0, "13800000002", "consultation"),
            "{}",
            at(0),
        )
        .await
        .unwrap();
    let checked =
        t.db.set_call_identity_check(
            &actor,
            at(1),
            &call.id,
            IdentityResult::Failed,
            IdentityMethod::IdLastDigits,
        )
        .await
        .unwrap();
    assert_eq!(checked.identity_check.as_deref(), Some("failed"));
    assert_eq!(checked.identity_method.as_deref(), Some("id_last_digits"));
    assert_eq!(checked.identity_checked_by.as_deref(), Some(agent.as_str()));
    let c = crate::tickets::center(&t.db).await;
    let (ticket_id, _) =
        t.db.create_ticket(
            &actor,
            at(1),
            &crate::tickets::ticket(&c, Some(&c.agent)),
            &Default::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        t.db.attach_call_ticket(&actor, at(2), &call.id, "no-such-ticket")
            .await,
        Err(StoreError::NotFound)
    ));
    t.db.attach_call_ticket(&actor, at(2), &call.id, &ticket_id)
        .await
        .unwrap();
    assert_eq!(
        t.db.get_call(&call.id).await.unwrap().ticket_id.as_deref(),
        Some(ticket_id.as_str())
    );
    let events = t.db.list_ticket_events(&ticket_id).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == "call"),
        "the call is on the ticket's timeline"
    );
    let audit =
        t.db.list_audit(
            &AuditFilter {
                subject_id: Some(call.id.clone()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    let actions: Vec<_> = audit.items.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["call.ticket_attach", "call.identity_check"]);
    assert!(matches!(
        t.db.attach_call_ticket(&actor, at(2), "no-such-call", "x")
            .await,
        Err(StoreError::NotFound)
    ));
    t.cleanup().await;
}

pub async fn ivr_menu_round_trips(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let seeded = t.db.list_ivr_options().await.unwrap();
    let keys: Vec<_> = seeded
        .iter()
        .map(|o| (o.key.as_str(), o.queue.as_str()))
        .collect();
    assert_eq!(
        keys,
        [("1", "consultation"), ("2", "complaint"), ("0", "agent")]
    );
    let menu = vec![
        IvrOption {
            key: "9".into(),
            label: "报修".into(),
            queue: "repair".into(),
            ticket_type: Some("repair".into()),
        },
        IvrOption {
            key: "0".into(),
            label: "人工".into(),
            queue: "agent".into(),
            ticket_type: None,
        },
    ];
    t.db.save_ivr_menu(&system(), at(1), &menu).await.unwrap();
    let saved = t.db.list_ivr_options().await.unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].key, "9");
    assert_eq!(saved[0].ticket_type.as_deref(), Some("repair"));
    t.cleanup().await;
}

fn chunks(
    parts: Vec<&'static [u8]>,
) -> impl futures::Stream<Item = Result<&'static [u8], std::io::Error>> {
    futures::stream::iter(parts.into_iter().map(Ok))
}

pub async fn blob_store_keeps_recordings(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::new(dir.path().join("blobs"));
    let wav: &'static [u8] = b"RIFF\x24\0\0\0WAVEfmt ";
    let pending = store
        .receive(chunks(vec![&wav[..6], &wav[6..], b"data"]), 1024)
        .await
        .unwrap();
    assert_eq!(pending.meta().content_type, "audio/wav");
    assert_eq!(pending.meta().size, 20);
    let temp = pending.temp_path().to_path_buf();
    assert!(temp.exists());
    let meta = pending.keep().await.unwrap();
    assert!(!temp.exists());
    let path = store.path_of(&meta.sha256).unwrap();
    assert_eq!(std::fs::read(&path).unwrap().len(), 20);
    assert!(path.starts_with(dir.path().join("blobs").join(&meta.sha256[..2])));

    let call =
        t.db.apply_call_event("cti-rec", &offered(0, "13800000003", "agent"), "{}", at(0))
            .await
            .unwrap();
    t.db.set_call_recording(&call.id, &meta, at(1))
        .await
        .unwrap();
    // The same content again is the same file and row.
    t.db.set_call_recording(&call.id, &meta, at(2))
        .await
        .unwrap();
    assert_eq!(t.db.get_blob(&meta.sha256).await.unwrap(), meta);
    assert_eq!(
        t.db.get_call(&call.id).await.unwrap().recording_sha256,
        Some(meta.sha256.clone())
    );

    // Over the limit: refused, and the temporary file is gone.
    let big = store
        .receive(chunks(vec![&[0u8; 600], &[0u8; 600]]), 1000)
        .await
        .unwrap_err();
    assert!(matches!(big, BlobError::TooLarge { limit: 1000 }));
    let dropped = store.receive(chunks(vec![b"<html>"]), 1000).await.unwrap();
    assert_eq!(dropped.meta().content_type, "application/octet-stream");
    drop(dropped);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(leftovers, [meta.sha256[..2].to_string()]);
    assert!(matches!(
        store.receive(chunks(vec![]), 10).await,
        Err(BlobError::Empty)
    ));
    assert!(store.path_of("../etc/passwd").is_none());
    t.cleanup().await;
}

/// Every order of one call's webhooks, a retried one included, leaves the same call row.
pub async fn every_order_of_events_stores_the_same_call(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let events = [
        offered(0, "13812340000", "complaint"),
        answered(1, "first"),
        answered(2, "second"),
        ended(4),
    ];
    let mut orders: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..events.len() {
        let mut longer = Vec::new();
        for o in &orders {
            for i in (0..events.len()).filter(|i| !o.contains(i)) {
                let mut n = o.clone();
                n.push(i);
                longer.push(n);
            }
        }
        orders = longer;
    }
    assert_eq!(orders.len(), 24);
    let mut outcomes = std::collections::HashSet::new();
    for (n, order) in orders.iter().enumerate() {
        let external = format!("perm-{n}");
        let mut row = None;
        for &i in order.iter().chain([&order[0]]) {
            row = Some(
                t.db.apply_call_event(&external, &events[i], "{}", at(5))
                    .await
                    .unwrap(),
            );
        }
        let r = row.unwrap();
        outcomes.insert((
            r.state,
            r.caller,
            r.queue,
            r.agent_ref,
            r.offered_at,
            r.answered_at,
            r.ended_at,
            r.duration_s,
            r.hangup_side,
            r.started_at,
        ));
    }
    assert_eq!(outcomes.len(), 1, "{outcomes:#?}");
    let (state, _, _, agent, ..) = outcomes.into_iter().next().unwrap();
    assert_eq!(state, "ended");
    assert_eq!(agent.as_deref(), Some("first"), "the first answer wins");
    t.cleanup().await;
}
