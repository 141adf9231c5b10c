//! Mail pages: the manager adds a mailbox through the settings form (the secret is
//! taken, never shown back; a plain connection to another host is refused), a forged
//! reply waits on the held list until the lead releases it into its ticket, where the
//! e-mail shows on the timeline; an unreadable message is listed with its reason; an
//! agent reads an HTML mail from the ticket page with its inline image, and its remote
//! image is fetched only after the agent asks.

use super::Browser;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

async fn receive(b: &Browser, mailbox: &str, raw: &[u8]) -> kefu_store::mail::Ingested {
    kefu_server::app::mail::ingest::ingest_raw(&b.state, mailbox, "support@kefu.example.com", raw)
        .await
        .expect("ingest")
}

pub async fn mailbox_settings_held_review_and_failed_pages(b: Browser) {
    b.login("manager").await;
    b.goto("/mail").await;
    b.type_into("#mb-name", "客服邮箱").await;
    b.type_into("#mb-address", "support@kefu.example.com").await;
    b.type_into("#imap-host", "imap.example.com").await;
    b.type_into("#imap-username", "support@kefu.example.com")
        .await;
    b.type_into("#imap-secret", "pw-imap-42").await;
    b.type_into("#smtp-host", "smtp.example.com").await;
    b.type_into(
        "#mb-ack-zh",
        "{name}您好，您的邮件已受理，工单号 {number}。",
    )
    .await;
    // New tickets go to the intake group, where the shift lead works.
    b.client
        .execute(
            "const s = document.querySelector('#mb-department'); \
             s.value = [...s.options].find(o => o.text === '业务受理组').value; return true;",
            vec![],
        )
        .await
        .unwrap();
    // Plain to a remote host is refused, and the form keeps what was typed.
    b.client
        .execute(
            "document.querySelector('#imap-security').value = 'plain'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#save-mailbox").await;
    assert!(b.text("#form-error").await.contains("127.0.0.1"));
    assert_eq!(b.value("#mb-name").await.as_deref(), Some("客服邮箱"));
    assert_eq!(
        b.value("#mb-ack-zh").await.as_deref(),
        Some("{name}您好，您的邮件已受理，工单号 {number}。")
    );
    b.client
        .execute(
            "document.querySelector('#imap-security').value = 'tls'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.type_into("#imap-secret", "pw-imap-42").await;
    b.submit("#save-mailbox").await;
    b.wait_for("#saved").await;
    let row = b
        .text("tr.mailbox-row[data-address='support@kefu.example.com']")
        .await;
    assert!(row.contains("客服邮箱"), "{row}");
    b.click("tr.mailbox-row a").await;
    b.wait_for("#imap-secret-state").await;
    assert!(b.text("#imap-secret-state").await.contains("已保存"));
    let html = b.client.source().await.unwrap();
    assert!(!html.contains("pw-imap-42"), "the secret never comes back");
    assert_eq!(
        b.value("#mb-ack-zh").await.as_deref(),
        Some("{name}您好，您的邮件已受理，工单号 {number}。"),
        "the acknowledgement template is kept"
    );

    let mailbox = b.state.db().list_mailboxes().await.unwrap()[0].id.clone();
    let first = receive(&b, &mailbox, &fixture("gbk_body.eml")).await;
    let kefu_store::mail::Ingested::Opened {
        ticket_id, number, ..
    } = first
    else {
        panic!("expected a ticket, got {first:?}");
    };
    let forged = String::from_utf8(fixture("forged_reply.eml"))
        .unwrap()
        .replace("{{NUMBER}}", number.as_str())
        .replace("{{TICKET_ID}}", &ticket_id);
    let held = receive(&b, &mailbox, forged.as_bytes()).await;
    assert!(
        matches!(held, kefu_store::mail::Ingested::Held { .. }),
        "{held:?}"
    );
    receive(&b, &mailbox, &fixture("garbage.eml")).await;
    b.logout().await;

    b.login("lead").await;
    b.goto("/mail").await;
    b.wait_for(".mail-item").await;
    assert_eq!(
        b.path().await,
        "/mail/held",
        "a reviewer lands on the held list"
    );
    assert!(b.text(".mail-item .hold-reason").await.contains("签名不符"));
    assert!(b.text(".mail-item").await.contains(number.as_str()));
    b.submit(".mail-item button.release").await;
    assert_eq!(b.path().await, format!("/tickets/{ticket_id}"));
    let page = b.text("main").await;
    assert!(page.contains("客户来信"), "{page}");
    assert!(page.contains("请把退款打到这个账户"), "{page}");
    b.goto("/mail/held").await;
    b.wait_for("#empty").await;

    b.goto("/mail/failed").await;
    let failed = b.text(".mail-item .failure").await;
    assert!(!failed.is_empty());
    let raw_link = b.wait_for(".mail-item a.raw").await;
    assert!(raw_link
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default()
        .starts_with("/mail/raw/"));
}

/// A mailbox of the intake group whose SMTP server is not there (every send fails).
async fn failing_mailbox(b: &Browser) -> String {
    let db = b.state.db();
    let intake = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "业务受理组")
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let input = kefu_store::mail::MailboxInput {
        name: "客服邮箱".into(),
        address: "support@kefu.example.com".into(),
        department_id: intake.id,
        enabled: true,
        imap_host: "127.0.0.1".into(),
        imap_port: 993,
        imap_security: "plain".into(),
        imap_username: "support".into(),
        imap_auth: "password".into(),
        imap_secret: Some("imap-pass".into()),
        imap_folder: "INBOX".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: closed,
        smtp_security: "plain".into(),
        smtp_username: None,
        smtp_secret: None,
        signature: "—— 客户服务中心 400-800-1234".into(),
        ack_zh: String::new(),
        ack_en: String::new(),
    };
    let actor = kefu_store::audit::Actor {
        user_id: None,
        name: "test".into(),
        client_addr: None,
    };
    db.create_mailbox(&actor, b.state.clock().now(), &input)
        .await
        .unwrap()
}

pub async fn email_reply_from_the_ticket_page_and_the_outbox_pages(b: Browser) {
    let mailbox = failing_mailbox(&b).await;
    let first = receive(&b, &mailbox, &fixture("gbk_body.eml")).await;
    let kefu_store::mail::Ingested::Opened { ticket_id, .. } = first else {
        panic!("expected a ticket, got {first:?}");
    };

    // An agent without customer.pii.read sees where the reply goes, masked.
    b.login("agent1").await;
    b.goto(&format!("/tickets/{ticket_id}")).await;
    let to = b.text("#email-reply-to").await;
    assert!(to.contains('*') && !to.contains("zhang.san"), "{to}");
    assert!(b
        .text("#email-reply-from")
        .await
        .contains("support@kefu.example.com"));
    assert!(b
        .text("#email-reply-signature")
        .await
        .contains("400-800-1234"));
    // Nothing typed: refused on the page, nothing queued.
    b.submit("#send-email-reply").await;
    assert!(!b.text("#action-error").await.is_empty());
    b.type_into("#email-reply-body", "您好，师傅明天上午九点上门。")
        .await;
    b.submit("#send-email-reply").await;
    b.wait_for("#email-queued").await;
    let timeline = b.text("#timeline").await;
    assert!(timeline.contains("师傅明天上午九点上门"), "{timeline}");
    b.logout().await;

    // The mail server is down: the first attempt fails and the message waits.
    let report = kefu_server::jobs::mail::send_outbox(&b.state, "server-a")
        .await
        .unwrap();
    assert_eq!(report.retried, 1, "{report:?}");

    b.login("manager").await;
    b.goto("/mail").await;
    b.click("#to-outbox").await;
    b.wait_for("#outbox").await;
    let row = b.text(".outbox-row").await;
    assert!(
        row.contains("zhang.san@qq.com"),
        "the manager reads PII: {row}"
    );
    assert_eq!(b.text(".outbox-row .attempts").await, "1");
    assert!(b.text(".outbox-row .last-error").await.contains("SMTP"));
    assert!(!b.text(".outbox-row .next-attempt").await.is_empty());
    b.submit(".outbox-row button.discard").await;
    b.wait_for("#done").await;
    b.wait_for("#empty").await;
    b.goto("/mail/outbox?list=discarded").await;
    assert_eq!(b.all(".outbox-row").await.len(), 1);

    // A dead letter goes back in the queue with the retry button.
    let now = b.state.clock().now();
    let db = b.state.db();
    let queued = db
        .queue_outgoing(
            now,
            &kefu_store::mail::NewOutgoing {
                channel: "email".into(),
                mailbox_id: Some(mailbox.clone()),
                recipient: "li.si@163.com".into(),
                subject: "工单进展通知".into(),
                body: "您的工单已处理".into(),
                automatic: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for row in db
        .claim_outgoing("server-a", now, now + chrono::Duration::minutes(5), 10)
        .await
        .unwrap()
    {
        db.mark_outgoing_failed(&row, "server-a", "SMTP 127.0.0.1: refused", None)
            .await
            .unwrap();
    }
    b.click("#list-dead").await;
    b.wait_for(&format!("#out-{queued}")).await;
    assert!(b.text(&format!("#out-{queued}")).await.contains("系统自动"));
    b.submit(&format!("#out-{queued} button.retry")).await;
    b.wait_for("#done").await;
    b.goto("/mail/outbox?list=queued").await;
    b.wait_for(&format!("#out-{queued}")).await;
}

pub async fn sms_gateway_page_keeps_the_key_and_masks_numbers(b: Browser) {
    let now = b.state.clock().now();
    b.state
        .db()
        .queue_outgoing(
            now,
            &kefu_store::mail::NewOutgoing {
                channel: "sms".into(),
                recipient: "13812345678".into(),
                subject: "请为我们的服务打分".into(),
                body: "请点击链接评价".into(),
                automatic: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    b.login("manager").await;
    b.goto("/mail/sms").await;
    assert!(b.text("#sms-key-state").await.contains("未设置"));
    // Plain HTTP to another host is refused and the form keeps what was typed.
    b.type_into("#sms-url", "http://sms.example.com/send").await;
    b.type_into("#sms-key", "sms-key-7788").await;
    b.type_into("#sms-template", "SMS_0001").await;
    b.submit("#save-sms").await;
    assert!(b.text("#form-error").await.contains("https"));
    assert_eq!(b.value("#sms-template").await.as_deref(), Some("SMS_0001"));
    b.type_into("#sms-url", "https://sms.example.com/send")
        .await;
    b.type_into("#sms-key", "sms-key-7788").await;
    b.click("#sms-enabled").await;
    b.submit("#save-sms").await;
    b.wait_for("#saved").await;
    assert!(b.text("#sms-key-state").await.contains("已保存"));
    let html = b.client.source().await.unwrap();
    assert!(!html.contains("sms-key-7788"), "the key never comes back");
    let settings = b.state.db().get_sms_settings().await.unwrap().unwrap();
    assert_eq!(settings.api_key.as_deref(), Some("sms-key-7788"));
    assert_eq!(settings.enabled, 1);
    // The manager reads the number; the delivery log shows it waiting.
    let row = b.text(".sms-row").await;
    assert!(
        row.contains("13812345678") && row.contains("待发送"),
        "{row}"
    );
    b.logout().await;

    // The shift lead cannot manage mail settings.
    b.login("lead").await;
    b.goto("/mail/sms").await;
    let page = b.text("main").await;
    assert!(!page.contains("13812345678"), "{page}");
    assert!(b.all("#sms-form").await.is_empty());
}

/// A 1×1 PNG (the inline image, and what the "remote" server answers).
const PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// A stand-in for a sender's tracking server: counts the requests (its answer need not
/// be a valid image).
async fn tracking_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let png = PIXEL_PNG.as_bytes();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    png.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(png).await;
            });
        }
    });
    (base, hits)
}

pub async fn html_mail_shows_remote_images_only_when_asked(b: Browser) {
    use std::sync::atomic::Ordering;
    let mailbox = failing_mailbox(&b).await;
    let (tracker, hits) = tracking_server().await;
    let raw = format!(
        "From: =?UTF-8?B?5byg5LiJ?= <zhang.san@qq.com>\r\n\
         To: support@kefu.example.com\r\n\
         Subject: =?UTF-8?B?5Lqn5ZOB5oql5L+u?=\r\n\
         Message-ID: <html-remote-1@qq.com>\r\n\
         Date: Fri, 4 Dec 2026 10:00:00 +0800\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"b1\"\r\n\r\n\
         --b1\r\n\
         Content-Type: text/html; charset=UTF-8\r\n\r\n\
         <p id=\"words\">您好，机器坏了，见截图。</p><img id=\"shot\" src=\"cid:shot@qq.com\">\
         <img id=\"pixel\" src=\"{tracker}/open.png?u=1\" width=\"1\" height=\"1\">\r\n\
         --b1\r\n\
         Content-Type: image/png; name=\"shot.png\"\r\n\
         Content-ID: <shot@qq.com>\r\n\
         Content-Disposition: inline; filename=\"shot.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         {PIXEL_PNG}\r\n\
         --b1--\r\n"
    );
    let opened = receive(&b, &mailbox, raw.as_bytes()).await;
    let kefu_store::mail::Ingested::Opened { ticket_id, .. } = opened else {
        panic!("expected a ticket, got {opened:?}");
    };

    // The agent opens the mail from the ticket page.
    b.login("agent1").await;
    b.goto(&format!("/tickets/{ticket_id}")).await;
    assert!(b.text("#ticket-mails").await.contains("产品报修"));
    b.mark_page().await;
    b.click("#ticket-mails a").await;
    b.wait_new_page().await;
    assert_eq!(b.text("#mail-subject").await, "产品报修");
    assert!(b.text("#remote-notice").await.contains('1'));
    // The frame shows the words and the inline image; the remote one is not fetched.
    // (ammonia keeps no `id` attributes: the body is found by its text and sources.)
    let frame_ready = "const d = document.querySelector('#mail-body').contentDocument; \
         return !!(d && d.readyState === 'complete' && d.body \
           && d.body.textContent.includes('机器坏了') \
           && [...d.images].some(i => (i.getAttribute('src') || '').includes('/parts/') \
                && i.complete && i.naturalWidth === 1));";
    wait_true(&b, frame_ready, "the mail body with its inline image").await;
    let pixel_src = b
        .client
        .execute(
            "const d = document.querySelector('#mail-body').contentDocument; \
             return [...d.images].map(i => i.getAttribute('src') || '') \
               .filter(s => !s.includes('/parts/')).join(',');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(pixel_src.as_str(), Some(""), "the remote source is removed");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing fetched before asking"
    );

    // Asked: the pixel loads from the tracker, and the page says it is on the record.
    b.mark_page().await;
    b.click("#show-remote").await;
    b.wait_new_page().await;
    b.wait_for("#remote-shown").await;
    wait_true(&b, frame_ready, "the mail body again").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while hits.load(Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the remote image was never fetched"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let filter = kefu_store::audit::AuditFilter {
        action: Some("mail.remote_images".into()),
        ..Default::default()
    };
    let audited = b.state.db().list_audit(&filter, None, 10).await.unwrap();
    assert_eq!(audited.items.len(), 1, "asking is on the record");
}

/// Waits (bounded) until `script` returns true in the page.
async fn wait_true(b: &Browser, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let ok = b
            .client
            .execute(script, vec![])
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(false);
        if ok {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
