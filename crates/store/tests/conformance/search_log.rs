//! The search change log: every write to a searchable record appends its id in the same
//! transaction, and a write that fails appends nothing.

use crate::common::{actor_for, at, create_customer, customer, system, t0};
use crate::tickets::{center, ticket};
use kefu_store::search_log::Entity;
use kefu_store::tickets::{TicketChange, TicketChangeError, TicketDeadlines};
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

async fn log_after(db: &Db, seq: i64) -> Vec<(Entity, String)> {
    db.search_changes_after(seq, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.entity, c.entity_id))
        .collect()
}

pub async fn every_searchable_write_is_logged(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    assert_eq!(t.db.search_log_head().await.unwrap(), 0);

    let customer_id = create_customer(&t.db, &customer("李娜")).await;
    let mut edited = customer("李娜");
    edited.company = Some("顺丰".into());
    t.db.update_customer(&system(), t0(), &customer_id, &edited)
        .await
        .unwrap();
    let agent = actor_for(&c.agent, "agent1");
    let (a, _) =
        t.db.create_ticket(
            &agent,
            at(0),
            &ticket(&c, Some(&c.agent)),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap();
    let (b, _) =
        t.db.create_ticket(
            &agent,
            at(1),
            &ticket(&c, Some(&c.agent)),
            &TicketDeadlines::default(),
        )
        .await
        .unwrap();
    let head = t.db.search_log_head().await.unwrap();
    t.db.change_ticket(
        &agent,
        at(2),
        &a,
        &TicketChange::Note {
            body: "客户说包裹已破损".into(),
        },
    )
    .await
    .unwrap();
    t.db.change_ticket(&agent, at(3), &b, &TicketChange::Merge { into: a.clone() })
        .await
        .unwrap();
    // A refused change rolls back with its log entry.
    let refused =
        t.db.change_ticket(&agent, at(4), &a, &TicketChange::Merge { into: a.clone() })
            .await;
    assert!(matches!(refused, Err(TicketChangeError::SameTicket)));

    let all = log_after(&t.db, 0).await;
    assert_eq!(
        all,
        [
            (Entity::Customer, customer_id.clone()),
            (Entity::Customer, customer_id),
            (Entity::Ticket, a.clone()),
            (Entity::Ticket, b.clone()),
            (Entity::Ticket, a.clone()),
            (Entity::Ticket, b),
            (Entity::Ticket, a.clone()),
        ]
    );
    assert_eq!(
        log_after(&t.db, head).await.len(),
        3,
        "reads resume after a sequence number"
    );
    assert_eq!(t.db.search_log_head().await.unwrap(), head + 3);

    let mut batch = t.db.begin_customer_batch(0).await.unwrap();
    batch
        .insert(None, t0(), &[customer("张伟"), customer("王强")])
        .await
        .unwrap();
    drop(batch);
    assert_eq!(
        log_after(&t.db, head + 3).await,
        [],
        "a dropped import logs nothing"
    );
    t.cleanup().await;
}
