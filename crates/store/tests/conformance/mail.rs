//! E-mail: a message opens a ticket (with a customer found or made), a second copy is
//! ingested once, replies join by token, quoted Message-ID or a participant's subject
//! number, untrusted clues are held and reviewed once, machines and unreadable
//! messages are recorded without tickets, and one server at a time polls a mailbox.

use crate::common::{at, create_customer, customer, email, system, t0};
use kefu_domain::mail::{HoldReason, Kind};
use kefu_domain::ticket::TicketNumber;
use kefu_store::blobs::BlobMeta;
use kefu_store::mail::{
    HeldAction, IncomingMail, Ingested, MailAttachmentIn, MailboxInput, NewOutgoing, OutboxList,
    ParsedIn,
};
use kefu_store::org::DepartmentInput;
use kefu_store::tickets::TicketDeadlines;
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn blob(seed: &str) -> BlobMeta {
    use sha2::{Digest, Sha256};
    BlobMeta {
        sha256: hex::encode(Sha256::digest(seed.as_bytes())),
        size: seed.len() as i64,
        content_type: "application/octet-stream".into(),
    }
}

pub fn mailbox_input(department_id: &str) -> MailboxInput {
    MailboxInput {
        name: "客服邮箱".into(),
        address: "support@kefu.example.com".into(),
        department_id: department_id.into(),
        enabled: true,
        imap_host: "127.0.0.1".into(),
        imap_port: 993,
        imap_security: "tls".into(),
        imap_username: "support".into(),
        imap_auth: "password".into(),
        imap_secret: Some("imap-pass".into()),
        imap_folder: "INBOX".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: 465,
        smtp_security: "tls".into(),
        smtp_username: Some("support".into()),
        smtp_secret: Some("smtp-pass".into()),
        signature: "—— 客服中心".into(),
        ack_zh: "您好，工单号 {number}".into(),
        ack_en: String::new(),
    }
}

async fn setup(db: &Db) -> String {
    let dept = db
        .create_department(
            &system(),
            t0(),
            &DepartmentInput {
                parent_id: None,
                name: "邮件组".into(),
                description: None,
                sort_order: 0,
            },
        )
        .await
        .unwrap();
    db.create_mailbox(&system(), t0(), &mailbox_input(&dept))
        .await
        .unwrap()
}

fn person(id: &str, from: &str, subject: &str, text: &str) -> ParsedIn {
    ParsedIn {
        message_id: Some(id.into()),
        quoted_ids: Vec::new(),
        from_address: from.into(),
        from_name: Some("王小明".into()),
        subject: subject.into(),
        text: text.into(),
        html: None,
        detail: serde_json::json!({}),
        kind: Kind::Person,
        token: None,
        subject_number: TicketNumber::parse(subject.split_whitespace().last().unwrap_or("")),
        attachments: Vec::new(),
    }
}

fn incoming(mailbox: &str, raw: &str, content: Result<ParsedIn, String>) -> IncomingMail {
    IncomingMail {
        mailbox_id: mailbox.into(),
        raw: blob(raw),
        content,
        customer_id: None,
        deadlines: TicketDeadlines::default(),
    }
}

async fn ingest(db: &Db, mail: IncomingMail) -> Ingested {
    db.ingest_mail(&system(), at(1), &mail).await.unwrap()
}

async fn events(db: &Db, ticket: &str, kind: &str) -> Vec<Option<String>> {
    db.list_ticket_events(ticket)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.body)
        .collect()
}

pub async fn messages_open_tickets_once_and_replies_thread(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mb = setup(db).await;
    let mut first = person(
        "a1@qq.com",
        "wang@qq.com",
        "发票开错了",
        "您好，发票抬头开错了。",
    );
    first.attachments = vec![MailAttachmentIn {
        blob: blob("invoice.pdf"),
        filename: "发票.pdf".into(),
        inline: false,
        content_id: None,
    }];
    let opened = ingest(db, incoming(&mb, "raw-a1", Ok(first.clone()))).await;
    let Ingested::Opened {
        ticket_id, number, ..
    } = opened.clone()
    else {
        panic!("expected a new ticket, got {opened:?}");
    };
    let ticket = db.get_ticket(&ticket_id).await.unwrap().ticket;
    assert_eq!(ticket.channel, "email");
    assert_eq!(ticket.subject, "发票开错了");
    assert_eq!(ticket.description, "您好，发票抬头开错了。");
    let customer = ticket.customer_id.clone().expect("a customer was made");
    let found = db.find_customers_by_contact("wang@qq.com").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, customer);
    let files = db.list_ticket_attachments(&ticket_id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "发票.pdf");

    // The same message again (a re-poll): nothing new.
    let again = ingest(db, incoming(&mb, "raw-a1", Ok(first))).await;
    assert!(matches!(again, Ingested::Duplicate { .. }), "{again:?}");
    assert_eq!(
        db.list_ticket_attachments(&ticket_id).await.unwrap().len(),
        1
    );

    // A QQ Mail reply: no In-Reply-To, the number in the subject, the same sender.
    let subject = format!("回复：发票开错了 {}", number.as_str());
    let qq = person(
        "a2@qq.com",
        "wang@qq.com",
        &subject,
        "抬头应为：北京某某公司",
    );
    let replied = ingest(db, incoming(&mb, "raw-a2", Ok(qq))).await;
    assert!(
        matches!(&replied, Ingested::Replied { ticket_id: t, .. } if *t == ticket_id),
        "{replied:?}"
    );
    assert_eq!(
        events(db, &ticket_id, "email").await,
        vec![None, Some("抬头应为：北京某某公司".into())]
    );

    // A reply quoting the first message's id joins whoever sends it.
    let mut quoted = person("a3@163.com", "colleague@163.com", "Re: 发票", "补充说明");
    quoted.quoted_ids = vec!["a1@qq.com".into()];
    let r = ingest(db, incoming(&mb, "raw-a3", Ok(quoted))).await;
    assert!(
        matches!(&r, Ingested::Replied { ticket_id: t, .. } if *t == ticket_id),
        "{r:?}"
    );

    // A signed token joins; an unsigned one is held even from a participant.
    let mut signed = person("a4@qq.com", "other@example.com", "Re", "令牌回复");
    signed.token = Some((ticket_id.clone(), true));
    let r = ingest(db, incoming(&mb, "raw-a4", Ok(signed))).await;
    assert!(
        matches!(&r, Ingested::Replied { ticket_id: t, .. } if *t == ticket_id),
        "{r:?}"
    );
    let mut forged = person("a5@qq.com", "wang@qq.com", &subject, "伪造的回复");
    forged.token = Some((ticket_id.clone(), false));
    let r = ingest(db, incoming(&mb, "raw-a5", Ok(forged))).await;
    assert!(
        matches!(
            &r,
            Ingested::Held {
                reason: HoldReason::BadSignature,
                ..
            }
        ),
        "{r:?}"
    );
    // A stranger quoting the number is held too.
    let stranger = person(
        "a6@evil.example",
        "x@evil.example",
        &subject,
        "我也要插一句",
    );
    let r = ingest(db, incoming(&mb, "raw-a6", Ok(stranger))).await;
    assert!(
        matches!(
            &r,
            Ingested::Held {
                reason: HoldReason::NotParticipant,
                ..
            }
        ),
        "{r:?}"
    );
    let bodies = events(db, &ticket_id, "email").await;
    assert_eq!(
        bodies.len(),
        4,
        "held messages stay off the ticket: {bodies:?}"
    );
    t.cleanup().await;
}

pub async fn held_messages_are_decided_once(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mb = setup(db).await;
    let mut c = customer("李雷");
    c.contacts = vec![email("lilei@example.com")];
    let lilei = create_customer(db, &c).await;
    let mut first = person("h1@x", "lilei@example.com", "停电", "小区停电了");
    let mut mail = incoming(&mb, "raw-h1", Ok(first.clone()));
    mail.customer_id = Some(lilei.clone());
    let Ingested::Opened {
        ticket_id, number, ..
    } = ingest(db, mail).await
    else {
        panic!("expected a ticket");
    };
    assert_eq!(
        db.get_ticket(&ticket_id).await.unwrap().ticket.customer_id,
        Some(lilei)
    );
    let subject = format!("Re: 停电 {}", number.as_str());
    let mut held = Vec::new();
    for (i, body) in ["一", "二", "三"].iter().enumerate() {
        first = person(&format!("s{i}@x"), "someone@else.example", &subject, body);
        let r = ingest(db, incoming(&mb, &format!("raw-s{i}"), Ok(first.clone()))).await;
        let Ingested::Held { mail_id, .. } = r else {
            panic!("expected held, got {r:?}");
        };
        held.push(mail_id);
    }
    let page = db.list_mail("held", None, 2).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let rest = db
        .list_mail("held", page.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.next_cursor, None);

    let sys = system();
    let into = db
        .resolve_held_mail(&sys, at(5), &held[0], &HeldAction::Release)
        .await
        .unwrap();
    assert_eq!(into.as_deref(), Some(ticket_id.as_str()));
    assert_eq!(
        events(db, &ticket_id, "email").await,
        vec![None, Some("一".into())]
    );
    // Decided once: a second decision about the same message finds nothing held.
    assert!(db
        .resolve_held_mail(&sys, at(6), &held[0], &HeldAction::Discard)
        .await
        .is_err());
    assert_eq!(
        db.resolve_held_mail(&sys, at(6), &held[1], &HeldAction::Discard)
            .await
            .unwrap(),
        None
    );
    let new = db
        .resolve_held_mail(
            &sys,
            at(7),
            &held[2],
            &HeldAction::NewTicket {
                customer_id: None,
                deadlines: TicketDeadlines::default(),
            },
        )
        .await
        .unwrap()
        .expect("a new ticket");
    assert_ne!(new, ticket_id);
    let opened = db.get_ticket(&new).await.unwrap().ticket;
    assert_eq!(opened.description, "三");
    assert!(db
        .list_mail("held", None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        db.get_mail(&held[1]).await.unwrap().disposition,
        "discarded"
    );
    // Once released, the sender has written on the ticket: a participant from now on.
    let follow = person("s9@x", "someone@else.example", &subject, "四");
    let r = ingest(db, incoming(&mb, "raw-s9", Ok(follow))).await;
    assert!(matches!(r, Ingested::Replied { .. }), "{r:?}");
    t.cleanup().await;
}

pub async fn machines_and_unreadable_mail_open_nothing(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mb = setup(db).await;
    let mut auto = person("m1@x", "wang@qq.com", "自动回复：发票", "我正在休假");
    auto.kind = Kind::AutoReply;
    let r = ingest(db, incoming(&mb, "raw-m1", Ok(auto))).await;
    assert!(
        matches!(
            r,
            Ingested::Machine {
                kind: Kind::AutoReply,
                ..
            }
        ),
        "{r:?}"
    );
    let mut bounce = person("m2@x", "mailer-daemon@mx.example", "Undelivered", "550");
    bounce.kind = Kind::Bounce;
    let r = ingest(db, incoming(&mb, "raw-m2", Ok(bounce))).await;
    assert!(
        matches!(
            r,
            Ingested::Machine {
                kind: Kind::Bounce,
                ..
            }
        ),
        "{r:?}"
    );
    let broken = incoming(&mb, "\u{0}\u{1}garbage", Err("no RFC 822 headers".into()));
    let r = ingest(db, broken.clone()).await;
    let Ingested::Failed { mail_id } = r else {
        panic!("expected failed, got {r:?}");
    };
    let row = db.get_mail(&mail_id).await.unwrap();
    assert_eq!(row.failure.as_deref(), Some("no RFC 822 headers"));
    assert_eq!(
        row.raw_sha256.as_deref(),
        Some(blob("\u{0}\u{1}garbage").sha256.as_str())
    );
    // The same unreadable bytes again are the same message.
    assert!(matches!(
        ingest(db, broken).await,
        Ingested::Duplicate { .. }
    ));
    assert_eq!(
        db.list_mail("failed", None, 10).await.unwrap().items.len(),
        1
    );
    assert_eq!(
        db.list_mail("auto_reply", None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        db.list_mail("bounce", None, 10).await.unwrap().items.len(),
        1
    );
    assert!(db
        .list_mail("ticket", None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    t.cleanup().await;
}

pub async fn one_server_polls_a_mailbox_at_a_time(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mb = setup(db).await;
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!(row.imap_secret_set, 1);
    let secrets = db.mailbox_secrets(&mb).await.unwrap();
    assert_eq!(secrets.imap_secret.as_deref(), Some("imap-pass"));
    assert!(!format!("{secrets:?}").contains("imap-pass"));

    let until = at(5);
    assert!(db
        .take_mailbox_lease(&mb, "server-a", at(0), until)
        .await
        .unwrap());
    assert!(!db
        .take_mailbox_lease(&mb, "server-b", at(1), until)
        .await
        .unwrap());
    db.finish_mailbox_poll(&mb, "server-a", at(2), Some((7, 42)), None)
        .await
        .unwrap();
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!((row.uid_validity, row.last_uid), (Some(7), 42));
    assert!(db
        .take_mailbox_lease(&mb, "server-b", at(3), at(8))
        .await
        .unwrap());
    // A lease whose holder died runs out.
    assert!(!db
        .take_mailbox_lease(&mb, "server-a", at(4), at(9))
        .await
        .unwrap());
    assert!(db
        .take_mailbox_lease(&mb, "server-a", at(8), at(13))
        .await
        .unwrap());
    db.finish_mailbox_poll(&mb, "server-a", at(9), None, Some("login refused"))
        .await
        .unwrap();
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!(row.last_error.as_deref(), Some("login refused"));
    assert_eq!(row.last_uid, 42);

    // Keeping the secrets: an update without them leaves them; a new folder restarts.
    let mut input = mailbox_input(&row.department_id);
    input.imap_secret = None;
    input.imap_folder = "客服".into();
    db.update_mailbox(&system(), at(10), &mb, &input)
        .await
        .unwrap();
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!((row.uid_validity, row.last_uid), (None, 0));
    assert_eq!(
        db.mailbox_secrets(&mb)
            .await
            .unwrap()
            .imap_secret
            .as_deref(),
        Some("imap-pass")
    );
    t.cleanup().await;
}

pub async fn a_watching_server_keeps_its_lease_until_the_settings_change(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mb = setup(db).await;
    let watched = ("127.0.0.1", "INBOX");
    assert!(db
        .take_mailbox_lease(&mb, "server-a", at(0), at(5))
        .await
        .unwrap());
    // Reading on (IDLE): the position is recorded and the lease runs on.
    assert!(db
        .record_mailbox_poll(&mb, "server-a", at(4), at(9), watched, Some((7, 10)), None)
        .await
        .unwrap());
    assert!(!db
        .take_mailbox_lease(&mb, "server-b", at(6), at(11))
        .await
        .unwrap());
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!((row.uid_validity, row.last_uid), (Some(7), 10));
    assert_eq!(row.last_polled_at, Some(at(4).timestamp_millis()));
    // A renewal without a position keeps it.
    assert!(db
        .record_mailbox_poll(&mb, "server-a", at(8), at(13), watched, None, None)
        .await
        .unwrap());
    assert_eq!(db.get_mailbox(&mb).await.unwrap().last_uid, 10);
    // Another server cannot record on a lease it does not hold.
    assert!(!db
        .record_mailbox_poll(&mb, "server-b", at(8), at(13), watched, Some((7, 99)), None)
        .await
        .unwrap());
    // The admin points the mailbox at another folder: the position starts again, and the
    // old reader's stale position cannot undo that.
    let row = db.get_mailbox(&mb).await.unwrap();
    let mut input = mailbox_input(&row.department_id);
    input.imap_secret = None;
    input.imap_folder = "客服".into();
    db.update_mailbox(&system(), at(9), &mb, &input)
        .await
        .unwrap();
    assert!(!db
        .record_mailbox_poll(
            &mb,
            "server-a",
            at(10),
            at(15),
            watched,
            Some((7, 11)),
            None
        )
        .await
        .unwrap());
    let row = db.get_mailbox(&mb).await.unwrap();
    assert_eq!((row.uid_validity, row.last_uid), (None, 0));
    assert!(db
        .record_mailbox_poll(
            &mb,
            "server-a",
            at(10),
            at(15),
            ("127.0.0.1", "客服"),
            Some((3, 1)),
            None
        )
        .await
        .unwrap());
    t.cleanup().await;
}

fn outgoing(channel: &str, recipient: &str, automatic: bool) -> NewOutgoing {
    NewOutgoing {
        channel: channel.into(),
        recipient: recipient.into(),
        subject: "工单进展".into(),
        body: "您好".into(),
        automatic,
        ..Default::default()
    }
}

pub async fn outbox_lists_retries_and_discards(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let reply = db
        .queue_outgoing(at(0), &outgoing("email", "li@example.com", false))
        .await
        .unwrap();
    let notice = db
        .queue_outgoing(at(0), &outgoing("email", "wang@example.com", true))
        .await
        .unwrap();
    let sms = db
        .queue_outgoing(at(0), &outgoing("sms", "13812345678", true))
        .await
        .unwrap();
    let ids = |p: kefu_store::Page<kefu_store::mail::OutboxRow>| {
        p.items.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    let queued = db
        .list_outbox(OutboxList::Status("queued"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(queued.items.len(), 3);
    assert_eq!(
        queued
            .items
            .iter()
            .find(|r| r.id == notice)
            .unwrap()
            .automatic,
        1
    );
    assert_eq!(
        queued
            .items
            .iter()
            .find(|r| r.id == reply)
            .unwrap()
            .automatic,
        0
    );

    // One round: the reply is sent, the notice fails and waits, the SMS fails for good.
    let rows = db
        .claim_outgoing("server-a", at(1), at(6), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        if row.id == reply {
            db.mark_outgoing_sent(row, "server-a", at(1), Some("250 OK"))
                .await
                .unwrap();
        } else if row.id == notice {
            db.mark_outgoing_failed(row, "server-a", "SMTP refused", Some(at(3)))
                .await
                .unwrap();
        } else {
            db.mark_outgoing_failed(row, "server-a", "gateway 500", None)
                .await
                .unwrap();
        }
    }
    let retrying = db
        .list_outbox(OutboxList::Retrying, None, None, 10)
        .await
        .unwrap();
    assert_eq!(ids(retrying.clone()), vec![notice.clone()]);
    assert_eq!(retrying.items[0].attempts, 1);
    assert_eq!(retrying.items[0].next_attempt_at, at(3).timestamp_millis());
    assert_eq!(
        retrying.items[0].last_error.as_deref(),
        Some("SMTP refused")
    );
    assert_eq!(
        ids(db
            .list_outbox(OutboxList::Status("dead"), None, None, 10)
            .await
            .unwrap()),
        vec![sms.clone()]
    );
    // The SMS delivery log: every status, SMS only.
    assert_eq!(
        ids(db
            .list_outbox(OutboxList::All, Some("sms"), None, 10)
            .await
            .unwrap()),
        vec![sms.clone()]
    );
    let everything = db
        .list_outbox(OutboxList::All, None, None, 2)
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 2);
    let rest = db
        .list_outbox(OutboxList::All, None, everything.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.next_cursor.is_none());

    // Discard: the retrying notice and the dead SMS; never a sent message, never twice.
    db.discard_outgoing(&system(), at(2), &notice)
        .await
        .unwrap();
    db.discard_outgoing(&system(), at(2), &sms).await.unwrap();
    assert!(matches!(
        db.discard_outgoing(&system(), at(2), &notice).await,
        Err(kefu_store::StoreError::NotFound)
    ));
    assert!(matches!(
        db.discard_outgoing(&system(), at(2), &reply).await,
        Err(kefu_store::StoreError::NotFound)
    ));
    assert!(
        db.claim_outgoing("server-a", at(4), at(9), 10)
            .await
            .unwrap()
            .is_empty(),
        "a discarded message is not sent"
    );
    assert!(matches!(
        db.retry_outgoing(&sms, at(4)).await,
        Err(kefu_store::StoreError::NotFound)
    ));
    assert_eq!(
        db.list_outbox(OutboxList::Status("discarded"), None, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    t.cleanup().await;
}

pub async fn acknowledgements_keep_a_quiet_hour(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mailbox = setup(db).await;
    let row = db.get_mailbox(&mailbox).await.unwrap();
    assert_eq!(
        (row.ack_zh.as_str(), row.ack_en.as_str()),
        ("您好，工单号 {number}", "")
    );

    let ack = |recipient: &str, automatic: bool| NewOutgoing {
        mailbox_id: Some(mailbox.clone()),
        ..outgoing("email", recipient, automatic)
    };
    let since = |ms: i64| at(ms);
    db.queue_outgoing(at(10_000), &ack("li@example.com", true))
        .await
        .unwrap();
    // An agent's reply is not automatic mail; another mailbox's automatic mail is not
    // this one's.
    db.queue_outgoing(at(10_000), &ack("wang@example.com", false))
        .await
        .unwrap();
    db.queue_outgoing(at(10_000), &outgoing("email", "zhao@example.com", true))
        .await
        .unwrap();
    assert!(db
        .automatic_mail_since(&mailbox, "li@example.com", since(10_000))
        .await
        .unwrap());
    assert!(!db
        .automatic_mail_since(&mailbox, "li@example.com", since(10_001))
        .await
        .unwrap());
    assert!(!db
        .automatic_mail_since(&mailbox, "wang@example.com", since(0))
        .await
        .unwrap());
    assert!(!db
        .automatic_mail_since(&mailbox, "zhao@example.com", since(0))
        .await
        .unwrap());

    // The templates are saved with the rest of the settings.
    let dept = row.department_id.clone();
    let mut input = mailbox_input(&dept);
    input.ack_zh = String::new();
    input.ack_en = "Hello, ticket {number}".into();
    db.update_mailbox(&system(), t0(), &mailbox, &input)
        .await
        .unwrap();
    let row = db.get_mailbox(&mailbox).await.unwrap();
    assert_eq!(
        (row.ack_zh.as_str(), row.ack_en.as_str()),
        ("", "Hello, ticket {number}")
    );
}
