//! Mail pages: the manager adds a mailbox through the settings form (the secret is
//! taken, never shown back; a plain connection to another host is refused), a forged
//! reply waits on the held list until the lead releases it into its ticket, where the
//! e-mail shows on the timeline; an unreadable message is listed with its reason.

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
