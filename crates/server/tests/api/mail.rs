//! E-mail in through the API with the corpus in `tests/fixtures/mail` (real-world-shaped
//! messages, byte-exact in GBK, GB2312, GB18030, Big5 and UTF-8): the Chinese text
//! survives into tickets; a QQ Mail reply without threading headers joins its ticket;
//! a forged reply is held; auto-replies, bounces and unreadable messages open nothing;
//! a 30 MB attachment arrives whole; the reviewer's decisions; settings and secrets.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A fixture with `{{NUMBER}}` and `{{TICKET_ID}}` filled in.
pub fn filled(name: &str, number: &str, ticket_id: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).expect("templates are ASCII");
    text.replace("{{NUMBER}}", number)
        .replace("{{TICKET_ID}}", ticket_id)
        .into_bytes()
}

pub fn mailbox_payload(department_id: &str) -> Value {
    json!({
        "name": "客服邮箱",
        "address": "support@kefu.example.com",
        "department_id": department_id,
        "imap_host": "imap.example.com",
        "imap_port": 993,
        "imap_security": "tls",
        "imap_username": "support@kefu.example.com",
        "imap_secret": "s3cret-imap",
        "smtp_host": "smtp.example.com",
        "smtp_port": 465,
        "smtp_security": "tls",
        "smtp_username": "support@kefu.example.com",
        "smtp_secret": "s3cret-smtp",
        "signature": "—— 客户服务中心"
    })
}

/// Saves a mailbox's settings (`PUT`), asserting success.
pub async fn put_mailbox(app: &TestApp, token: &str, mailbox: &str, payload: Value) {
    let path = format!("/api/v1/mailboxes/{mailbox}");
    let r = app
        .api(Method::PUT, &path, Some(token), Some(payload))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// The manager's token and a mailbox delivering into the intake group.
pub async fn setup(app: &TestApp) -> (String, String) {
    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let r = app
        .post("/api/v1/mailboxes", &token, mailbox_payload(&dept))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    (token, r.json()["id"].as_str().unwrap().to_string())
}

pub async fn import(app: &TestApp, token: &str, mailbox: &str, raw: Vec<u8>) -> Value {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/mailboxes/{mailbox}/messages"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "message/rfc822")
        .body(Body::from(raw))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn email_events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/tickets/{id}/timeline"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "email")
        .cloned()
        .collect()
}

async fn mail(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/mail/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

pub async fn chinese_corpus_threads_and_survives(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let (token, mb) = setup(&app).await;

    // GBK headers and body: a new ticket, the text exact.
    let first = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    assert_eq!(first["outcome"], "opened", "{first}");
    let id = first["ticket_id"].as_str().unwrap().to_string();
    let number = first["ticket_number"].as_str().unwrap().to_string();
    let t = ticket(&app, &token, &id).await;
    assert_eq!(t["channel"], "email");
    assert_eq!(t["subject"], "空调不制冷，请尽快维修");
    assert_eq!(t["contact_name"], "张三");
    assert_eq!(
        t["description"],
        "您好，我家的空调从昨天开始不制冷，型号KFR-35GW，请尽快安排师傅上门。\n地址：北京市朝阳区望京街道１０号"
    );
    // Re-polled: once only.
    let again = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    assert_eq!(again["outcome"], "duplicate");

    // QQ Mail's reply: no In-Reply-To, the number in the GB18030 subject, the same sender.
    let reply = import(&app, &token, &mb, filled("qq_reply.eml", &number, &id)).await;
    assert_eq!(reply["outcome"], "replied", "{reply}");
    assert_eq!(reply["ticket_id"], id.as_str());
    let events = email_events(&app, &token, &id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["body"], "师傅明天上午能来吗？我下午不在家。𠀀");
    assert_eq!(events[1]["channel"], "email");
    assert_eq!(events[1]["detail"]["from_name"], "张三");
    assert!(
        !events[1].to_string().contains("zhang.san@qq.com"),
        "the timeline never shows the address"
    );

    // A forged reply: right number, right sender, wrong signature — held, not joined.
    let forged = import(&app, &token, &mb, filled("forged_reply.eml", &number, &id)).await;
    assert_eq!(forged["outcome"], "held", "{forged}");
    assert_eq!(email_events(&app, &token, &id).await.len(), 2);
    let held = app.get("/api/v1/mail?list=held", &token).await.json();
    assert_eq!(held["items"].as_array().unwrap().len(), 1);
    assert_eq!(held["items"][0]["hold_reason"], "bad_signature");
    assert_eq!(held["items"][0]["ticket_number"], number.as_str());

    // GB2312 quoted-printable with a Q-encoded subject.
    let gb = import(&app, &token, &mb, fixture("gb2312_qp.eml")).await;
    assert_eq!(gb["outcome"], "opened");
    let t = ticket(&app, &token, gb["ticket_id"].as_str().unwrap()).await;
    assert_eq!(t["subject"], "发票重开申请");
    assert_eq!(t["contact_name"], "李四");
    assert_eq!(
        t["description"],
        "发票抬头开错了，应为“北京某某科技有限公司”，请重开。"
    );

    // Outlook HTML in Big5: sanitized, the inline image kept, the tracker dropped.
    let ol = import(&app, &token, &mb, fixture("outlook_html.eml")).await;
    assert_eq!(ol["outcome"], "opened");
    let m = mail(&app, &token, ol["mail_id"].as_str().unwrap()).await;
    assert_eq!(m["subject"], "螢幕裂痕退換");
    assert_eq!(m["from_name"], "陳小姐");
    let html = m["html"].as_str().expect("html kept");
    assert!(
        html.contains("您好，產品螢幕有裂痕，請協助退換。"),
        "{html}"
    );
    let part0 = format!("/api/v1/mail/{}/parts/0", ol["mail_id"].as_str().unwrap());
    assert!(
        html.contains(&part0),
        "the inline image points at its part: {html}"
    );
    assert_eq!(m["remote_images"], 1, "the tracker is counted");
    for gone in [
        "<script",
        "alert(",
        "tracker.example.net",
        "onclick",
        "<style",
        "o:p",
    ] {
        assert!(!html.contains(gone), "{gone} survived: {html}");
    }
    assert!(m["text"].as_str().unwrap().contains("產品螢幕有裂痕"));
    assert_eq!(m["attachments"][0]["filename"], "image001.png");
    assert_eq!(m["attachments"][0]["content_type"], "image/png");

    // Nested multipart: the text part, and both attachments with their Chinese names.
    let nested = import(&app, &token, &mb, fixture("nested_multipart.eml")).await;
    assert_eq!(nested["outcome"], "opened");
    let nid = nested["ticket_id"].as_str().unwrap();
    let t = ticket(&app, &token, nid).await;
    assert_eq!(t["subject"], "报销材料");
    assert_eq!(t["description"], "附件是发票和清单，请查收。");
    let files = app
        .get(&format!("/api/v1/tickets/{nid}/attachments"), &token)
        .await
        .json();
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["发票.pdf", "清单.xls"]);

    // An undecodable part: the readable text still opens the ticket, nothing is lost.
    let und = import(&app, &token, &mb, fixture("undecodable.eml")).await;
    assert_eq!(und["outcome"], "opened", "{und}");
    let t = ticket(&app, &token, und["ticket_id"].as_str().unwrap()).await;
    assert_eq!(t["subject"], "快递丢失");
    assert!(t["description"]
        .as_str()
        .unwrap()
        .starts_with("快递单号SF1234567890一直没有更新。"));
    let m = mail(&app, &token, und["mail_id"].as_str().unwrap()).await;
    assert!(
        m["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["filename"] == "broken.txt"),
        "{m}"
    );

    // Machines and junk: recorded, no ticket, listed for the admin.
    let auto = import(&app, &token, &mb, fixture("auto_reply.eml")).await;
    assert_eq!(auto["outcome"], "auto_reply");
    assert_eq!(auto["ticket_id"], Value::Null);
    let bounce = import(&app, &token, &mb, fixture("bounce.eml")).await;
    assert_eq!(bounce["outcome"], "bounce");
    let junk = import(&app, &token, &mb, fixture("garbage.eml")).await;
    assert_eq!(junk["outcome"], "failed");
    let failed = app.get("/api/v1/mail?list=failed", &token).await.json();
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    assert!(failed["items"][0]["failure"].as_str().unwrap().len() > 5);
    let raw = app
        .get(
            &format!("/api/v1/mail/{}/raw", junk["mail_id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, fixture("garbage.eml"), "kept byte for byte");
    assert_eq!(
        app.get("/api/v1/mail?list=auto_reply", &token).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.cleanup().await;
}

pub async fn held_mail_review_and_permissions(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let (token, mb) = setup(&app).await;
    let first = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    let id = first["ticket_id"].as_str().unwrap().to_string();
    let number = first["ticket_number"].as_str().unwrap().to_string();
    let forged = import(&app, &token, &mb, filled("forged_reply.eml", &number, &id)).await;
    let mail_id = forged["mail_id"].as_str().unwrap().to_string();

    // Agents do not review; the shift lead does, and sees the address only with PII.
    let agent = app.login("agent1").await;
    let r = app.get("/api/v1/mail?list=held", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let lead = app.login("lead").await;
    let held = app.get("/api/v1/mail?list=held", &lead).await.json();
    assert_eq!(held["items"][0]["id"], mail_id.as_str());
    assert_eq!(held["items"][0]["from"], "zhang.san@qq.com");
    let r = app.get("/api/v1/mail?list=everything", &lead).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_list");

    let path = format!("/api/v1/mail/{mail_id}/resolve");
    let r = app.post(&path, &lead, json!({"action": "merge"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&path, &lead, json!({"action": "new_ticket"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let new_id = r.json()["ticket_id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    let t = ticket(&app, &lead, &new_id).await;
    assert_eq!(
        t["description"],
        "请把退款打到这个账户：6222 0000 0000 0000"
    );
    let r = app.post(&path, &lead, json!({"action": "release"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "not_held");
    let r = app
        .post(
            "/api/v1/mail/nope/resolve",
            &lead,
            json!({"action": "discard"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(email_events(&app, &lead, &id).await.len(), 1);
    app.cleanup().await;
}

pub async fn mailbox_settings_hide_secrets_and_name_bad_fields(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let (token, mb) = setup(&app).await;
    let r = app.get(&format!("/api/v1/mailboxes/{mb}"), &token).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.text();
    assert!(!text.contains("s3cret"), "secrets never come back: {text}");
    assert_eq!(r.json()["imap_secret_set"], true);
    assert_eq!(r.json()["smtp_secret_set"], true);

    let dept = r.json()["department_id"].as_str().unwrap().to_string();
    let mut p = mailbox_payload(&dept);
    p["imap_secret"] = json!("");
    p["signature"] = json!("—— 客服中心 400-800-1234");
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{mb}"),
            Some(&token),
            Some(p.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["imap_secret_set"],
        true,
        "an empty secret keeps the old one"
    );
    assert_eq!(r.json()["signature"], "—— 客服中心 400-800-1234");
    let secrets = app.state.db().mailbox_secrets(&mb).await.unwrap();
    assert_eq!(secrets.imap_secret.as_deref(), Some("s3cret-imap"));

    for (field, value, code) in [
        ("imap_security", json!("plain"), "plain_not_allowed"),
        ("smtp_security", json!("ssl3"), "invalid_security"),
        ("address", json!("not-an-address"), "invalid_address"),
        ("imap_auth", json!("kerberos"), "invalid_auth"),
        ("department_id", json!("nope"), "unknown_department"),
    ] {
        let mut bad = mailbox_payload(&dept);
        bad["address"] = json!("other@kefu.example.com");
        bad[field] = value;
        let r = app.post("/api/v1/mailboxes", &token, bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{field}");
        assert_eq!(r.json()["error"]["field"], field);
    }
    // Plain is allowed to the loopback (the tests' own servers).
    let mut local = mailbox_payload(&dept);
    local["address"] = json!("local@kefu.example.com");
    local["imap_host"] = json!("127.0.0.1");
    local["imap_security"] = json!("plain");
    let r = app.post("/api/v1/mailboxes", &token, local).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .post("/api/v1/mailboxes", &token, mailbox_payload(&dept))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let agent = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/mailboxes", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}

pub async fn signed_tokens_thread_and_a_30mb_attachment_arrives_whole(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let (token, mb) = setup(&app).await;
    let first = import(&app, &token, &mb, fixture("gb2312_qp.eml")).await;
    let id = first["ticket_id"].as_str().unwrap().to_string();

    // A reply to the address kefu gave out, from a colleague of the customer.
    let secret = kefu_server::app::mail::token_secret(&app.state)
        .await
        .unwrap();
    let to = kefu_domain::mail::token::reply_address(
        secret.0.as_bytes(),
        "support@kefu.example.com",
        &id,
    );
    let size = 30 * 1024 * 1024;
    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let mut b64 = String::new();
    {
        use std::fmt::Write as _;
        let encoded = base64_encode(&payload);
        for line in encoded.as_bytes().chunks(76) {
            let _ = writeln!(b64, "{}\r", std::str::from_utf8(line).unwrap());
        }
    }
    let raw = format!(
        "From: colleague@example.cn\r\nTo: {to}\r\nSubject: =?UTF-8?B?5Zu+57q4?=\r\n\
         Message-ID: <big-1@example.cn>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n图纸见附件。\r\n--z\r\n\
         Content-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"drawing.dwg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}--z--\r\n"
    );
    let outcome = kefu_server::app::mail::ingest::ingest_raw(
        &app.state,
        &mb,
        "support@kefu.example.com",
        raw.as_bytes(),
    )
    .await
    .unwrap();
    let view = kefu_server_api_view(&outcome);
    assert_eq!(view, ("replied", Some(id.clone())));
    let files = app
        .get(&format!("/api/v1/tickets/{id}/attachments"), &token)
        .await
        .json();
    let file = &files.as_array().unwrap()[0];
    assert_eq!(file["filename"], "drawing.dwg");
    assert_eq!(file["size"], size as i64);
    let got = app
        .get(
            &format!(
                "/api/v1/tickets/{id}/attachments/{}",
                file["id"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert!(got.body == payload, "the attachment arrives byte for byte");
    let events = email_events(&app, &token, &id).await;
    assert_eq!(events.last().unwrap()["body"], "图纸见附件。");
    app.cleanup().await;
}

fn kefu_server_api_view(i: &kefu_store::mail::Ingested) -> (&'static str, Option<String>) {
    use kefu_store::mail::Ingested;
    match i {
        Ingested::Replied { ticket_id, .. } => ("replied", Some(ticket_id.clone())),
        Ingested::Opened { ticket_id, .. } => ("opened", Some(ticket_id.clone())),
        Ingested::Held { ticket_id, .. } => ("held", Some(ticket_id.clone())),
        _ => ("other", None),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ABC[(n >> 18) as usize & 63] as char);
        out.push(ABC[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ABC[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ABC[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

async fn remote_image_audits(app: &TestApp, token: &str) -> usize {
    let r = app
        .get("/api/v1/audit?action=mail.remote_images", token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().map_or(0, Vec::len)
}

/// An HTML mail read by an agent on the ticket page: the body is served for a sandboxed
/// frame with a policy that loads nothing remote, the inline image from its part; the
/// tracker loads only when asked, and asking is audited. Staff who cannot see the
/// ticket cannot read the mail.
pub async fn remote_images_load_only_when_the_agent_asks(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let (token, mb) = setup(&app).await;
    let ol = import(&app, &token, &mb, fixture("outlook_html.eml")).await;
    let id = ol["mail_id"].as_str().unwrap().to_string();
    let ticket_id = ol["ticket_id"].as_str().unwrap().to_string();
    let agent = app.login("agent1").await;

    // The ticket page lists the mail; its reader sees it without `mail.review`.
    let m = mail(&app, &agent, &id).await;
    assert_eq!(m["ticket_id"], ticket_id.as_str());
    assert_eq!(m["remote_images"], 1);
    assert_eq!(m["attachments"][0]["inline"], true);

    let blocked = app.get(&format!("/api/v1/mail/{id}/body"), &agent).await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.text());
    let policy = blocked.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("img-src 'self' data:;"), "{policy}");
    assert!(!policy.contains("http"), "{policy}");
    let body = blocked.text();
    assert!(!body.contains("tracker.example.net"), "{body}");
    assert!(
        body.contains(&format!("/api/v1/mail/{id}/parts/0")),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    let part = app.get(&format!("/api/v1/mail/{id}/parts/0"), &agent).await;
    assert_eq!(part.status, StatusCode::OK);
    assert_eq!(part.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(
        remote_image_audits(&app, &token).await,
        0,
        "nothing loaded, nothing recorded"
    );

    let asked = app
        .get(
            &format!("/api/v1/mail/{id}/body?remote_images=true"),
            &agent,
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    let policy = asked.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("https: http:"), "{policy}");
    assert!(
        asked
            .text()
            .contains("http://tracker.example.net/open.gif?u=1"),
        "{}",
        asked.text()
    );
    assert_eq!(
        remote_image_audits(&app, &token).await,
        1,
        "showing remote images is audited"
    );

    // Someone who cannot see the ticket cannot read its mail.
    let outsider = app.login("tech1").await;
    for path in [
        format!("/api/v1/mail/{id}"),
        format!("/api/v1/mail/{id}/body"),
        format!("/api/v1/mail/{id}/parts/0"),
    ] {
        let r = app.get(&path, &outsider).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
    }
    let r = app.get("/api/v1/mail/nope/body", &agent).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}
