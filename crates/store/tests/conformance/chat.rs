//! Web chat: routing by skills under each agent's capacity (and again as chats close),
//! queue positions, per-conversation sequence numbers that a reconnecting client resumes
//! after, resends stored once, who may write, tokens that expire, transfers, and the
//! transcript landing on the customer's and the ticket's timeline; the scripts agents
//! insert as replies.

use crate::common::{actor_for, at, create_customer, create_user, customer, system, t0};
use crate::tickets::{center, ticket};
use chrono::Duration;
use kefu_domain::chat::{ChatState, Routing, Sender};
use kefu_domain::sla::SlaCalendar;
use kefu_domain::ticket::Channel;
use kefu_store::audit::AuditFilter;
use kefu_store::chat::{ChatError, NewChat, ScriptInput, TopicInput, TransferTarget};
use kefu_store::tickets::{TicketDeadlines, TicketToOpen};
use kefu_store::{Db, StoreError};
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeSet;

fn skills(s: &[&str]) -> BTreeSet<String> {
    s.iter().map(|x| x.to_string()).collect()
}

async fn topic(db: &Db, code: &str, need: &[&str], routing: Routing) -> String {
    db.save_chat_topic(
        &system(),
        t0(),
        None,
        &TopicInput {
            code: code.into(),
            name: format!("{code} 咨询"),
            skills: skills(need),
            routing,
            hours: SlaCalendar::AroundTheClock,
            department_id: None,
            active: true,
        },
    )
    .await
    .unwrap()
}

async fn agent(db: &Db, name: &str, capacity: u32, have: &[&str]) -> String {
    let id = create_user(db, name).await;
    db.set_chat_agent(&system(), t0(), &id, capacity, &skills(have))
        .await
        .unwrap();
    db.set_chat_available(t0(), &id, true).await.unwrap();
    id
}

async fn start(db: &Db, topic_id: &str, n: i64) -> String {
    db.start_chat(
        at(n),
        &NewChat {
            topic_id: topic_id.into(),
            visitor_name: format!("访客{n}"),
            token_hash: format!("hash-{topic_id}-{n}"),
            token_expires_at: at(n) + Duration::hours(2),
        },
    )
    .await
    .unwrap()
    .id
}

async fn state_of(db: &Db, id: &str) -> (ChatState, Option<String>) {
    let c = db.get_chat(id).await.unwrap();
    (c.state(), c.agent_id)
}

pub async fn routing_respects_skills_and_capacity(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let billing = topic(db, "billing", &["billing"], Routing::LeastBusy).await;
    let general = topic(db, "general2", &[], Routing::RoundRobin).await;
    let expert = agent(db, "expert", 2, &["billing"]).await;
    let rookie = agent(db, "rookie", 1, &[]).await;
    let b: Vec<String> = futures_join(db, &billing, 0..4).await;
    let g = start(db, &general, 10).await;
    let routed = db.route_chats(at(11)).await.unwrap();
    assert_eq!(routed.len(), 3, "{routed:?}");
    // The expert takes the two oldest billing chats, never a third; the rookie (no
    // billing skill) takes the general chat only.
    assert_eq!(
        state_of(db, &b[0]).await,
        (ChatState::Active, Some(expert.clone()))
    );
    assert_eq!(
        state_of(db, &b[1]).await,
        (ChatState::Active, Some(expert.clone()))
    );
    assert_eq!(state_of(db, &b[2]).await.0, ChatState::Queued);
    assert_eq!(
        state_of(db, &g).await,
        (ChatState::Active, Some(rookie.clone()))
    );
    assert_eq!(db.chat_queue_position(&b[2]).await.unwrap(), Some(1));
    assert_eq!(db.chat_queue_position(&b[3]).await.unwrap(), Some(2));
    assert_eq!(db.chat_queue_position(&b[0]).await.unwrap(), None);
    // Routing again changes nothing while everyone is full.
    assert!(db.route_chats(at(12)).await.unwrap().is_empty());
    // A chat closes: its place goes to the next in the queue.
    db.close_chat(Some(&actor_for(&expert, "expert")), at(13), &b[0], false)
        .await
        .unwrap();
    let routed = db.route_chats(at(13)).await.unwrap();
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].conversation_id, b[2]);
    assert_eq!(db.chat_queue_position(&b[3]).await.unwrap(), Some(1));
    // An agent who stops taking chats keeps theirs but gets no more.
    db.set_chat_available(at(14), &expert, false).await.unwrap();
    db.close_chat(Some(&actor_for(&expert, "expert")), at(15), &b[1], false)
        .await
        .unwrap();
    assert!(db.route_chats(at(15)).await.unwrap().is_empty());
    assert_eq!(db.list_agent_chats(&expert).await.unwrap().len(), 1);
    let desk = db.get_chat_agent(&expert).await.unwrap();
    assert_eq!(
        (desk.capacity, desk.active_chats, desk.available),
        (2, 1, 0)
    );
    t.cleanup().await;
}

/// Starts chats `range` in order (one minute apart, so the queue order is known).
async fn futures_join(db: &Db, topic_id: &str, range: std::ops::Range<i64>) -> Vec<String> {
    let mut out = Vec::new();
    for n in range {
        out.push(start(db, topic_id, n).await);
    }
    out
}

pub async fn messages_resume_after_seq_and_are_stored_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let general = topic(db, "g", &[], Routing::LeastBusy).await;
    let a = agent(db, "a1", 3, &[]).await;
    let other = agent(db, "a2", 3, &[]).await;
    db.set_chat_available(t0(), &other, false).await.unwrap();
    let c1 = start(db, &general, 0).await;
    let c2 = start(db, &general, 1).await;
    // A visitor may write while waiting.
    let m = db
        .append_chat_message(at(2), &c1, Sender::Visitor, None, "你好", Some("v-1"))
        .await
        .unwrap();
    assert_eq!(m.seq, 1);
    // An agent may not write before holding the chat.
    let me = actor_for(&a, "a1");
    let refused = db
        .append_chat_message(at(2), &c1, Sender::Agent, Some(&me), "x", None)
        .await;
    assert!(matches!(refused, Err(ChatError::NotActive)), "{refused:?}");
    db.route_chats(at(3)).await.unwrap();
    for (i, body) in ["在的", "请问订单号？"].iter().enumerate() {
        db.append_chat_message(
            at(4),
            &c1,
            Sender::Agent,
            Some(&me),
            body,
            Some(&format!("a-{i}")),
        )
        .await
        .unwrap();
    }
    db.append_chat_message(at(5), &c2, Sender::Visitor, None, "另一个会话", None)
        .await
        .unwrap();
    // The resend of a message already stored returns it, not a copy.
    let again = db
        .append_chat_message(at(6), &c1, Sender::Visitor, None, "你好", Some("v-1"))
        .await
        .unwrap();
    assert_eq!(again.seq, 1);
    let all = db.list_chat_messages(&c1, 0, 100).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(all.iter().all(|m| m.conversation_id == c1));
    assert_eq!(all[1].author_name.as_deref(), Some("a1 坐席"));
    // Resuming after 1 gets exactly the rest; the other chat's message is not here.
    let rest = db.list_chat_messages(&c1, 1, 100).await.unwrap();
    assert_eq!(
        rest.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["在的", "请问订单号？"]
    );
    let c2_msgs = db.list_chat_messages(&c2, 0, 100).await.unwrap();
    assert_eq!(c2_msgs.len(), 1);
    assert_eq!(c2_msgs[0].seq, 1);
    // Another agent cannot write into a chat they do not hold.
    let intruder = actor_for(&other, "a2");
    let refused = db
        .append_chat_message(at(7), &c1, Sender::Agent, Some(&intruder), "x", None)
        .await;
    assert!(matches!(refused, Err(ChatError::NotYours)), "{refused:?}");
    // Closed is closed, for everyone.
    db.close_chat(None, at(8), &c1, false).await.unwrap();
    let refused = db
        .append_chat_message(at(9), &c1, Sender::Visitor, None, "还在吗", None)
        .await;
    assert!(matches!(refused, Err(ChatError::Closed)), "{refused:?}");
    assert!(matches!(
        db.close_chat(None, at(9), &c1, false).await,
        Err(ChatError::Closed)
    ));
    assert_eq!(db.get_chat(&c1).await.unwrap().last_seq, 3);
    t.cleanup().await;
}

pub async fn tokens_expire_and_renew(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let general = topic(db, "g", &[], Routing::LeastBusy).await;
    let c = start(db, &general, 0).await;
    let hash = format!("hash-{general}-0");
    assert_eq!(db.chat_by_token(&hash, at(60)).await.unwrap().id, c);
    assert!(matches!(
        db.chat_by_token(&hash, at(121)).await,
        Err(StoreError::NotFound)
    ));
    db.renew_chat_token(&c, "new-hash", at(60) + Duration::hours(2))
        .await
        .unwrap();
    assert!(matches!(
        db.chat_by_token(&hash, at(60)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.chat_by_token("new-hash", at(170)).await.unwrap().id, c);
    t.cleanup().await;
}

pub async fn transfer_link_and_convert(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let centre = center(db).await;
    let general = topic(db, "g", &[], Routing::LeastBusy).await;
    let second = topic(db, "vip", &["vip"], Routing::LeastBusy).await;
    for u in [&centre.agent, &centre.other_agent] {
        db.set_chat_agent(&system(), t0(), u, 1, &BTreeSet::new())
            .await
            .unwrap();
        db.set_chat_available(t0(), u, true).await.unwrap();
    }
    let c1 = start(db, &general, 0).await;
    let c2 = start(db, &general, 1).await;
    db.route_chats(at(2)).await.unwrap();
    let (_, holder) = state_of(db, &c1).await;
    let holder = holder.unwrap();
    let me = actor_for(&holder, "holder");
    let other = if holder == centre.agent {
        centre.other_agent.clone()
    } else {
        centre.agent.clone()
    };
    db.append_chat_message(at(3), &c1, Sender::Visitor, None, "发票开错了", None)
        .await
        .unwrap();
    // The other agent is full (they hold c2): the transfer is refused.
    let full = db
        .transfer_chat(
            &me,
            at(4),
            &c1,
            &TransferTarget::Agent(other.clone()),
            false,
        )
        .await;
    assert!(matches!(full, Err(ChatError::AgentFull)), "{full:?}");
    db.close_chat(None, at(5), &c2, false).await.unwrap();
    db.transfer_chat(
        &me,
        at(6),
        &c1,
        &TransferTarget::Agent(other.clone()),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        state_of(db, &c1).await,
        (ChatState::Active, Some(other.clone()))
    );
    // The previous holder no longer acts on it.
    let stale = db
        .append_chat_message(at(7), &c1, Sender::Agent, Some(&me), "x", None)
        .await;
    assert!(matches!(stale, Err(ChatError::NotYours)), "{stale:?}");
    // Back to a group's queue: nobody there has the vip skill, so it waits.
    let now_holder = actor_for(&other, "other");
    db.transfer_chat(
        &now_holder,
        at(8),
        &c1,
        &TransferTarget::Topic(second.clone()),
        false,
    )
    .await
    .unwrap();
    assert!(db.route_chats(at(8)).await.unwrap().is_empty());
    let c = db.get_chat(&c1).await.unwrap();
    assert_eq!(
        (c.state(), c.topic_id.as_str()),
        (ChatState::Queued, second.as_str())
    );
    // The agent who handed it back does not get it again, even with the skill; the
    // first agent, once they have it, does.
    db.set_chat_agent(&system(), at(9), &other, 1, &skills(&["vip"]))
        .await
        .unwrap();
    assert!(db.route_chats(at(9)).await.unwrap().is_empty());
    db.set_chat_agent(&system(), at(9), &holder, 1, &skills(&["vip"]))
        .await
        .unwrap();
    let routed = db.route_chats(at(9)).await.unwrap();
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].agent_id, holder);
    let now_holder = me.clone();
    // Link the customer: the transcript so far lands on their timeline, and what follows.
    let cust = create_customer(db, &customer("张三")).await;
    db.link_chat_customer(&now_holder, at(10), &c1, &cust, false)
        .await
        .unwrap();
    db.append_chat_message(
        at(11),
        &c1,
        Sender::Agent,
        Some(&now_holder),
        "马上为您重开",
        None,
    )
    .await
    .unwrap();
    let events = db.list_customer_events(&cust, 100).await.unwrap();
    let chat_events: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "chat_message")
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(chat_events.len(), 2, "{chat_events:?}");
    assert!(chat_events.contains(&"发票开错了") && chat_events.contains(&"马上为您重开"));
    // Convert to a ticket: transcript on its timeline, later messages too, once only.
    let mut tk = ticket(&centre, Some(&other));
    tk.channel = Channel::Chat;
    tk.customer_id = Some(cust.clone());
    let item = TicketToOpen {
        actor: now_holder.clone(),
        now: at(12),
        ticket: tk,
        deadlines: TicketDeadlines::default(),
    };
    let (ticket_id, _) = db.convert_chat_to_ticket(&c1, &item, false).await.unwrap();
    assert!(matches!(
        db.convert_chat_to_ticket(&c1, &item, false).await,
        Err(ChatError::HasTicket)
    ));
    db.append_chat_message(at(13), &c1, Sender::Visitor, None, "谢谢", None)
        .await
        .unwrap();
    let timeline = db.list_ticket_events(&ticket_id).await.unwrap();
    let bodies: Vec<&str> = timeline
        .iter()
        .filter(|e| e.kind == "chat_message")
        .filter_map(|e| e.body.as_deref())
        .collect();
    assert_eq!(bodies, ["发票开错了", "马上为您重开", "谢谢"]);
    assert_eq!(
        db.get_chat(&c1).await.unwrap().ticket_id.as_deref(),
        Some(ticket_id.as_str())
    );
    t.cleanup().await;
}

pub async fn scripts_are_saved_listed_and_deleted(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let vip = topic(db, "vip", &[], Routing::LeastBusy).await;
    let general = db
        .save_chat_script(
            &system(),
            t0(),
            None,
            &ScriptInput {
                title: "问候".into(),
                body: "您好，很高兴为您服务。".into(),
                topic_id: None,
            },
        )
        .await
        .unwrap();
    let for_vip = db
        .save_chat_script(
            &system(),
            at(1),
            None,
            &ScriptInput {
                title: "会员权益".into(),
                body: "尊贵的会员您好".into(),
                topic_id: Some(vip.clone()),
            },
        )
        .await
        .unwrap();
    // The general ones first, then by topic; the topic's name comes along.
    let list = db.list_chat_scripts().await.unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [general.as_str(), for_vip.as_str()]);
    assert_eq!(list[1].topic_name.as_deref(), Some("vip 咨询"));
    assert_eq!(list[0].topic_id, None);

    db.save_chat_script(
        &system(),
        at(2),
        Some(&for_vip),
        &ScriptInput {
            title: "会员权益说明".into(),
            body: "尊贵的会员您好，<b>不是标签</b>".into(),
            topic_id: None,
        },
    )
    .await
    .unwrap();
    let s = db.get_chat_script(&for_vip).await.unwrap();
    assert_eq!(
        (s.title.as_str(), s.body.as_str(), s.topic_id),
        ("会员权益说明", "尊贵的会员您好，<b>不是标签</b>", None)
    );
    // An unknown topic is refused by the database; an unknown script is not found.
    let bad = ScriptInput {
        title: "x".into(),
        body: "x".into(),
        topic_id: Some("no-such-topic".into()),
    };
    assert!(matches!(
        db.save_chat_script(&system(), at(3), None, &bad).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        db.save_chat_script(&system(), at(3), Some("nope"), &bad)
            .await,
        Err(StoreError::NotFound) | Err(StoreError::Refused(_))
    ));

    db.delete_chat_script(&system(), at(4), &general)
        .await
        .unwrap();
    assert!(matches!(
        db.delete_chat_script(&system(), at(5), &general).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.list_chat_scripts().await.unwrap().len(), 1);
    // Every write is audited.
    for (action, n) in [
        ("settings.chat_script_save", 3),
        ("settings.chat_script_delete", 1),
    ] {
        let page = db
            .list_audit(
                &AuditFilter {
                    action: Some(action.into()),
                    ..AuditFilter::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), n, "{action}");
    }
    t.cleanup().await;
}
