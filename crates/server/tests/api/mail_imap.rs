//! The IMAP poll against a real Dovecot: new messages become tickets and replies once,
//! the mailbox remembers where it stopped, a server that does not hold the lease
//! leaves the mailbox alone, and a refused login shows on the mailbox.

use crate::common::mail_servers::{
    Dovecot, SmtpSink, TestCa, IMAP_PASSWORD, IMAP_TOKEN, IMAP_USER,
};
use crate::common::TestApp;
use crate::mail::{filled, fixture, mailbox_payload, put_mailbox};
use axum::http::StatusCode;
use kefu_server::jobs::mail::{poll_mailboxes, send_outbox, spawn_readers};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// A mailbox reading the test Dovecot on `port` with the test user's password.
fn imap_payload(department_id: &str, port: u16) -> Value {
    let mut p = mailbox_payload(department_id);
    p["imap_host"] = json!("127.0.0.1");
    p["imap_port"] = json!(port);
    p["imap_security"] = json!("plain");
    p["imap_username"] = json!(IMAP_USER);
    p["imap_secret"] = json!(IMAP_PASSWORD);
    p
}

/// The new ticket with `subject`, if there is one.
async fn new_ticket(app: &TestApp, token: &str, subject: &str) -> Option<Value> {
    let tickets = app
        .get("/api/v1/tickets?status=new&limit=200", token)
        .await
        .json();
    tickets["items"]
        .as_array()?
        .iter()
        .find(|t| t["subject"] == subject)
        .cloned()
}

pub async fn imap_poll_ingests_once_and_shows_errors(backend: TestBackend) {
    let Some(mut imap) = Dovecot::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    imap.deliver(&fixture("gbk_body.eml"));
    imap.deliver(&fixture("bounce.eml"));
    imap.deliver(&fixture("garbage.eml"));

    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let mut p = imap_payload(&dept, imap.port);
    let r = app.post("/api/v1/mailboxes", &token, p.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mb = r.json()["id"].as_str().unwrap().to_string();

    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!(
        (report.polled, report.ingested, report.failed),
        (1, 3, 0),
        "{report:?}"
    );
    let view = app
        .get(&format!("/api/v1/mailboxes/{mb}"), &token)
        .await
        .json();
    assert_eq!(view["last_uid"], 3);
    assert_eq!(view["last_error"], Value::Null);
    let held_or_failed = app.get("/api/v1/mail?list=failed", &token).await.json();
    assert_eq!(held_or_failed["items"].as_array().unwrap().len(), 1);
    let ticket = new_ticket(&app, &token, "空调不制冷，请尽快维修")
        .await
        .expect("the GBK message became a ticket");
    let id = ticket["id"].as_str().unwrap().to_string();
    let number = ticket["number"].as_str().unwrap().to_string();

    // Nothing new: nothing ingested again.
    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!((report.polled, report.ingested), (1, 0));

    // The QQ Mail reply arrives and joins the ticket.
    imap.deliver(&filled("qq_reply.eml", &number, &id));
    // Another server holds the mailbox: this one does not touch it.
    let now = app.state.clock().now();
    assert!(app
        .state
        .db()
        .take_mailbox_lease(&mb, "server-b", now, now + chrono::Duration::minutes(5))
        .await
        .unwrap());
    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!(report.polled, 0);
    let report = poll_mailboxes(&app.state, "server-b").await.unwrap();
    assert_eq!((report.polled, report.ingested), (1, 1));
    let timeline = app
        .get(&format!("/api/v1/tickets/{id}/timeline"), &token)
        .await
        .json();
    assert!(timeline
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["body"] == "师傅明天上午能来吗？我下午不在家。𠀀"));

    // A wrong password: the poll fails, the mailbox page says why, nothing is lost.
    p["imap_secret"] = json!("wrong");
    put_mailbox(&app, &token, &mb, p).await;
    imap.deliver(&fixture("gb2312_qp.eml"));
    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!((report.polled, report.ingested, report.failed), (1, 0, 1));
    let view = app
        .get(&format!("/api/v1/mailboxes/{mb}"), &token)
        .await
        .json();
    let error = view["last_error"].as_str().expect("the error is shown");
    assert!(error.contains("login refused"), "{error}");
    assert!(!error.contains("wrong"), "the secret never shows: {error}");
    assert_eq!(view["last_uid"], 4);
    app.cleanup().await;
}

/// APPENDs a message to the INBOX, as another mail client or a delivery agent would.
async fn append(port: u16, raw: &[u8]) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    let mut session = client
        .login(IMAP_USER, IMAP_PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    session.append("INBOX", None, None, raw).await.unwrap();
    session.logout().await.unwrap();
}

pub async fn idle_brings_new_mail_without_waiting_for_the_poll(backend: TestBackend) {
    let Some(mut imap) = Dovecot::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    imap.deliver(&fixture("gbk_body.eml"));
    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let p = imap_payload(&dept, imap.port);
    let r = app.post("/api/v1/mailboxes", &token, p).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mb = r.json()["id"].as_str().unwrap().to_string();

    // Polling once a day: only IDLE can bring a message in during this test.
    let readers = spawn_readers(app.state.clone(), std::time::Duration::from_secs(24 * 3600));
    let view = wait_until(&app, &token, &mb, |v| v["last_uid"] == 1).await;
    assert_eq!(view["last_error"], Value::Null);
    // The reader holds the mailbox while it waits: another server leaves it alone.
    let report = poll_mailboxes(&app.state, "server-b").await.unwrap();
    assert_eq!(report.polled, 0);

    let raw = b"From: li.si@163.com\r\nTo: support@kefu.example.com\r\n\
        Subject: =?UTF-8?B?55S16KeG5py65pi+56S65LiN5Lqu?=\r\n\
        Message-ID: <idle-1@163.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        \xe6\x98\xa8\xe5\xa4\xa9\xe4\xb9\xb0\xe7\x9a\x84\xe3\x80\x82\r\n";
    append(imap.port, raw).await;
    wait_until(&app, &token, &mb, |v| v["last_uid"] == 2).await;
    assert!(new_ticket(&app, &token, "电视机显示不亮").await.is_some());
    readers.abort();
    app.cleanup().await;
}

/// Reads the mailbox until `done` says so; the reader works in the background, so this
/// waits for its outcome (a minute at most, far beyond what it needs) instead of timing it.
async fn wait_until(
    app: &TestApp,
    token: &str,
    mailbox: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..600 {
        let view = app
            .get(&format!("/api/v1/mailboxes/{mailbox}"), token)
            .await
            .json();
        if done(&view) {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the mailbox reader did not get there");
}

/// A mail server whose certificate comes from a company CA: refused (with the reason
/// on the mailbox) until `mail_ca_file` names the CA; then read over IMAP with TLS and
/// written to over SMTP with STARTTLS.
pub async fn tls_mail_servers_with_a_company_ca(backend: TestBackend) {
    let Some(ca) = TestCa::generate_if_installed() else {
        return;
    };
    let Some(mut imap) = Dovecot::start_tls_if_installed(&ca) else {
        return;
    };
    let Some(smtp) = SmtpSink::start_tls_if_installed(&ca) else {
        return;
    };
    imap.deliver(&fixture("gbk_body.eml"));
    let payload = |dept: &str| {
        let mut p = imap_payload(dept, imap.port);
        p["imap_host"] = json!("localhost");
        p["imap_security"] = json!("tls");
        p["smtp_host"] = json!("localhost");
        p["smtp_port"] = json!(smtp.port);
        p["smtp_security"] = json!("starttls");
        p["smtp_username"] = Value::Null;
        p
    };

    // Without the CA the certificate is not trusted: nothing is read, the mailbox says why.
    let untrusting = TestApp::new(backend).await;
    let token = untrusting.login("manager").await;
    let dept = untrusting.department(&token, "业务受理组").await;
    let r = untrusting
        .post("/api/v1/mailboxes", &token, payload(&dept))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mb = r.json()["id"].as_str().unwrap().to_string();
    let report = poll_mailboxes(&untrusting.state, "server-a").await.unwrap();
    assert_eq!((report.ingested, report.failed), (0, 1), "{report:?}");
    let view = untrusting
        .get(&format!("/api/v1/mailboxes/{mb}"), &token)
        .await
        .json();
    let error = view["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(error.contains("certificate"), "{view}");
    untrusting.cleanup().await;

    let ca_file = ca.ca_pem.clone();
    let app = TestApp::with_config(backend, move |c| c.mail_ca_file = Some(ca_file)).await;
    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let r = app.post("/api/v1/mailboxes", &token, payload(&dept)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!((report.ingested, report.failed), (1, 0), "{report:?}");
    let ticket = new_ticket(&app, &token, "空调不制冷，请尽快维修")
        .await
        .expect("the message read over TLS became a ticket");
    let id = ticket["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/email-replies"),
            &token,
            json!({"body": "您好，师傅明天上午上门。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1);
    assert!(String::from_utf8_lossy(&sent[0]).contains(ticket["number"].as_str().unwrap()));
    app.cleanup().await;
}

/// A mailbox that logs in with an OAuth2 access token (XOAUTH2): a valid token reads the
/// mail; a token the provider refuses shows on the mailbox and reads nothing.
pub async fn oauth2_token_logs_in_with_xoauth2(backend: TestBackend) {
    let Some(mut imap) = Dovecot::start_oauth2_if_installed() else {
        return;
    };
    imap.deliver(&fixture("gbk_body.eml"));
    let app = TestApp::new(backend).await;
    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let mut p = imap_payload(&dept, imap.port);
    p["imap_auth"] = json!("oauth2");
    p["imap_secret"] = json!("an-expired-token");
    let r = app.post("/api/v1/mailboxes", &token, p.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mb = r.json()["id"].as_str().unwrap().to_string();

    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!((report.ingested, report.failed), (0, 1), "{report:?}");
    let view = app
        .get(&format!("/api/v1/mailboxes/{mb}"), &token)
        .await
        .json();
    let error = view["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("XOAUTH2"), "{view}");
    assert!(
        !error.contains("an-expired-token"),
        "the token never shows: {view}"
    );

    p["imap_secret"] = json!(IMAP_TOKEN);
    put_mailbox(&app, &token, &mb, p).await;
    let report = poll_mailboxes(&app.state, "server-a").await.unwrap();
    assert_eq!((report.ingested, report.failed), (1, 0), "{report:?}");
    let view = app
        .get(&format!("/api/v1/mailboxes/{mb}"), &token)
        .await
        .json();
    assert_eq!(view["last_error"], Value::Null, "{view}");
    assert_eq!(view["last_uid"], 1);
    app.cleanup().await;
}
