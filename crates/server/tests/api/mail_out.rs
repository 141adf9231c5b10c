//! E-mail and SMS out through real servers: an agent's reply is queued with the ticket
//! change and delivered over SMTP (aiosmtpd) with the ticket number, the signature, our
//! Message-ID and a signed reply-to that threads the customer's answer back; a broken
//! mail server means retries with backoff and finally the dead-letter list; survey
//! links go out by SMS through the gateway adapter (a small HTTP server in the test).

use crate::common::mail_servers::{free_port, SmtpSink};
use crate::common::TestApp;
use crate::mail::{fixture, import, mailbox_payload, put_mailbox};
use axum::http::{Method, StatusCode};
use kefu_server::jobs::mail::send_outbox;
use kefu_test_support::TestBackend;
use mail_parser::MessageParser;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub async fn replies_go_out_thread_back_and_retry(backend: TestBackend) {
    let Some(smtp) = SmtpSink::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    let (token, mb, mut p) = sending_mailbox(&app, &smtp).await;
    let first = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    let ticket = first["ticket_id"].as_str().unwrap().to_string();
    let number = first["ticket_number"].as_str().unwrap().to_string();

    let path = format!("/api/v1/tickets/{ticket}/email-replies");
    let r = app.post(&path, &token, json!({"body": "  "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &path,
            &token,
            json!({"body": "您好，师傅明天上午九点上门。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Queued, not sent: the page did not wait for the mail server.
    assert!(smtp.messages().is_empty());
    let timeline = app
        .get(&format!("/api/v1/tickets/{ticket}/timeline"), &token)
        .await
        .json();
    assert!(timeline
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "reply" && e["channel"] == "email"));

    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1);
    let msg = MessageParser::default().parse(&sent[0]).unwrap();
    assert_eq!(
        msg.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("zhang.san@qq.com")
    );
    let subject = msg.subject().unwrap();
    assert!(
        subject.contains(&number) && subject.contains("空调不制冷"),
        "{subject}"
    );
    let body = msg.body_text(0).unwrap();
    assert!(body.contains("您好，师傅明天上午九点上门。"), "{body}");
    assert!(body.contains("—— 客户服务中心"), "the signature: {body}");
    assert_eq!(
        msg.in_reply_to().as_text(),
        Some("gbk-1@qq.com"),
        "answers the customer's message"
    );
    let reply_to = msg
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap()
        .to_string();
    assert!(reply_to.starts_with("support+t."), "{reply_to}");
    let our_id = msg.message_id().unwrap().to_string();

    // The customer's colleague answers to the reply-to address: it joins, signed.
    let answer = format!(
        "From: colleague@example.cn\r\nTo: {reply_to}\r\nSubject: Re: x\r\n\
         Message-ID: <answer-1@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n好的，谢谢。\r\n"
    );
    let r = import(&app, &token, &mb, answer.into_bytes()).await;
    assert_eq!(r["outcome"], "replied", "{r}");
    assert_eq!(r["ticket_id"], ticket.as_str());
    // A client that drops the reply-to but keeps In-Reply-To threads too.
    let answer = format!(
        "From: other@example.cn\r\nTo: support@kefu.example.com\r\nSubject: Re: y\r\n\
         In-Reply-To: <{our_id}>\r\nMessage-ID: <answer-2@example.cn>\r\n\r\nthanks\r\n"
    );
    let r = import(&app, &token, &mb, answer.into_bytes()).await;
    assert_eq!(r["outcome"], "replied", "{r}");

    // The mail server goes away: retries with backoff, then the dead-letter list.
    p["smtp_port"] = json!(free_port());
    put_mailbox(&app, &token, &mb, p).await;
    let r = app.post(&path, &token, json!({"body": "第二次答复"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mut retried = 0;
    let mut dead = 0;
    for _ in 0..8 {
        let report = send_outbox(&app.state, "server-a").await.unwrap();
        retried += report.retried;
        dead += report.dead;
        app.advance(&token, 1200).await;
    }
    assert_eq!((retried, dead), (5, 1));
    let list = app
        .get("/api/v1/mail-outbox?status=dead", &token)
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0]["last_error"].as_str().unwrap().contains("SMTP"),
        "{list}"
    );
    assert_eq!(items[0]["attempts"], 6);
    let id = items[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/mail-outbox/{id}/retry"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .post(
            &format!("/api/v1/mail-outbox/{id}/retry"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let agent = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/mail-outbox", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}

/// What the SMS provider received: the Authorization header and the JSON body.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A tiny SMS provider: records each request and accepts it.
async fn sms_provider() -> (String, Received) {
    let seen: Received = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                let log = log.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let mut seen = log.lock().unwrap();
                    seen.push((auth, body));
                    axum::Json(json!({"id": format!("sms-{}", seen.len())}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

pub async fn survey_links_go_out_by_sms(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let token = app.login("manager").await;
    let (url, seen) = sms_provider().await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/sms-settings",
            Some(&token),
            Some(json!({"enabled": true, "url": "http://sms.example.com/send", "template": "T1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_url");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/sms-settings",
            Some(&token),
            Some(json!({"enabled": true, "url": url, "api_key": "key-1", "template": "SMS_0001"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["api_key_set"], true);
    assert!(!r.text().contains("key-1"));

    let template = crate::surveys::create_template(&app, "邮件短信测试").await;
    let customer = app.any_customer(&token).await;
    let link = crate::surveys::send_link(&app, &template, &customer).await;
    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!((report.adopted, report.sent), (1, 1), "{report:?}");
    // Adopted once: a second round sends nothing more.
    let report = send_outbox(&app.state, "server-b").await.unwrap();
    assert_eq!((report.adopted, report.sent), (0, 0));
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0.as_deref(), Some("Bearer key-1"));
    assert_eq!(requests[0].1["template"], "SMS_0001");
    assert!(requests[0].1["text"].as_str().unwrap().contains(&link));
    let sent = app
        .get("/api/v1/mail-outbox?status=sent", &token)
        .await
        .json();
    assert_eq!(sent["items"][0]["channel"], "sms");
    assert_eq!(sent["items"][0]["provider_ref"], "sms-1");
    app.cleanup().await;
}

/// A mailbox sending to the SMTP sink; returns (manager token, mailbox id, payload).
async fn sending_mailbox(app: &TestApp, smtp: &SmtpSink) -> (String, String, Value) {
    let token = app.login("manager").await;
    let dept = app.department(&token, "业务受理组").await;
    let mut p = mailbox_payload(&dept);
    p["smtp_host"] = json!("127.0.0.1");
    p["smtp_port"] = json!(smtp.port);
    p["smtp_security"] = json!("plain");
    p["smtp_username"] = Value::Null;
    let r = app.post("/api/v1/mailboxes", &token, p.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mb = r.json()["id"].as_str().unwrap().to_string();
    (token, mb, p)
}

fn header<'a>(msg: &'a mail_parser::Message<'a>, name: &'static str) -> Option<&'a str> {
    msg.header_raw(name).map(str::trim)
}

pub async fn automatic_mail_says_so_and_never_opens_a_ticket(backend: TestBackend) {
    let Some(smtp) = SmtpSink::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    let (token, mb, _) = sending_mailbox(&app, &smtp).await;
    let first = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    let ticket = first["ticket_id"].as_str().unwrap().to_string();
    let customer = app
        .get(&format!("/api/v1/tickets/{ticket}"), &token)
        .await
        .json()["customer"]["id"]
        .as_str()
        .expect("the sender became the ticket's customer")
        .to_string();

    // An agent's reply and a survey link (kefu's own) go out in one round.
    let r = app
        .post(
            &format!("/api/v1/tickets/{ticket}/email-replies"),
            &token,
            json!({"body": "您好，已为您安排师傅。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let template = crate::surveys::create_template(&app, "邮件回访").await;
    let callback = app.login("callback1").await;
    let r = app
        .post(
            "/api/v1/surveys/invitations",
            &callback,
            json!({"template_id": template, "customer_id": customer, "channel": "email"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!((report.adopted, report.sent), (1, 2), "{report:?}");

    let sent = smtp.messages();
    assert_eq!(sent.len(), 2);
    let parsed: Vec<_> = sent
        .iter()
        .map(|raw| MessageParser::default().parse(raw).unwrap())
        .collect();
    let (survey, reply): (Vec<_>, Vec<_>) = parsed
        .iter()
        .partition(|m| m.subject().is_some_and(|s| s.contains("打分")));
    let (survey, reply) = (survey[0], reply[0]);
    assert_eq!(header(survey, "Auto-Submitted"), Some("auto-generated"));
    assert_eq!(header(survey, "X-Auto-Response-Suppress"), Some("All"));
    assert_eq!(header(reply, "Auto-Submitted"), None, "a person wrote it");
    assert_eq!(header(reply, "X-Auto-Response-Suppress"), None);
    let automatic = app
        .get("/api/v1/mail-outbox?status=sent", &token)
        .await
        .json();
    let flags: Vec<bool> = automatic["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["automatic"].as_bool().unwrap())
        .collect();
    assert_eq!(flags.iter().filter(|a| **a).count(), 1, "{automatic}");

    // Our own automatic message comes back (a forwarding rule, a loop): recorded as an
    // automatic message, never a ticket.
    let survey_raw = sent
        .iter()
        .find(|raw| {
            MessageParser::default()
                .parse(raw)
                .and_then(|m| m.subject().map(|s| s.contains("打分")))
                .unwrap_or(false)
        })
        .unwrap()
        .clone();
    let before = app
        .get("/api/v1/tickets?status=new&limit=200", &token)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    let back = import(&app, &token, &mb, survey_raw).await;
    assert_eq!(back["outcome"], "auto_reply", "{back}");
    assert_eq!(back["ticket_id"], Value::Null);
    let after = app
        .get("/api/v1/tickets?status=new&limit=200", &token)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);

    // The e-mail reply is on the customer's timeline too.
    let timeline = app
        .get(&format!("/api/v1/customers/{customer}/timeline"), &token)
        .await
        .json();
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "ticket.reply"),
        "{timeline}"
    );
    app.cleanup().await;
}

pub async fn failed_mail_retries_lists_and_discards(backend: TestBackend) {
    let Some(smtp) = SmtpSink::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    let (token, mb, mut p) = sending_mailbox(&app, &smtp).await;
    let first = import(&app, &token, &mb, fixture("gbk_body.eml")).await;
    let ticket = first["ticket_id"].as_str().unwrap().to_string();
    // The mail server goes away.
    p["smtp_port"] = json!(free_port());
    put_mailbox(&app, &token, &mb, p).await;
    let path = format!("/api/v1/tickets/{ticket}/email-replies");
    for body in ["第一封", "第二封"] {
        let r = app.post(&path, &token, json!({ "body": body })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let queued = app
        .get("/api/v1/mail-outbox?status=queued", &token)
        .await
        .json();
    assert_eq!(queued["items"].as_array().unwrap().len(), 2);
    assert!(queued["items"][0]["next_attempt_at"].is_string());
    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!(report.retried, 2, "{report:?}");

    // Both wait for their next attempt, with the reason.
    let retrying = app
        .get("/api/v1/mail-outbox?status=retrying", &token)
        .await
        .json();
    let items = retrying["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{retrying}");
    assert_eq!(items[0]["attempts"], 1);
    assert!(items[0]["last_error"].as_str().unwrap().contains("SMTP"));
    let id = items[0]["id"].as_str().unwrap().to_string();
    // Only e-mail so far: the SMS log is empty.
    let sms = app
        .get("/api/v1/mail-outbox?status=all&channel=sms", &token)
        .await
        .json();
    assert_eq!(sms["items"].as_array().unwrap().len(), 0);
    let r = app.get("/api/v1/mail-outbox?status=lost", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_status");

    // The admin gives one up: it is not sent, and stays listed as discarded.
    let discard = format!("/api/v1/mail-outbox/{id}/discard");
    let agent = app.login("agent1").await;
    assert_eq!(
        app.post(&discard, &agent, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&discard, &token, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app.post(&discard, &token, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "not_discardable");
    let discarded = app
        .get("/api/v1/mail-outbox?status=discarded", &token)
        .await
        .json();
    assert_eq!(discarded["items"][0]["id"], id.as_str());
    app.advance(&token, 3600).await;
    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!(
        report.retried, 1,
        "only the other one is tried again: {report:?}"
    );
    // An hour later the session has run out: log in again.
    let token = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=mail.outbox_discard", &token)
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text());
    assert!(audit.text().contains(&id), "{}", audit.text());
    app.cleanup().await;
}

fn plain_mail(from: &str, subject: &str, message_id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@kefu.example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Fri, 04 Dec 2026 09:00:00 +0800\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

pub async fn new_mail_is_acknowledged_in_the_writers_language_once_an_hour(backend: TestBackend) {
    let Some(smtp) = SmtpSink::start_if_installed() else {
        return;
    };
    let app = TestApp::new(backend).await;
    let (token, mb, mut p) = sending_mailbox(&app, &smtp).await;
    p["ack_zh"] = json!("{name}您好：您的邮件《{subject}》已受理，工单号 {number}。");
    p["ack_en"] = json!("Dear {name}, we have your message \"{subject}\" as ticket {number}.");
    put_mailbox(&app, &token, &mb, p).await;

    let english = import(
        &app,
        &token,
        &mb,
        plain_mail(
            "Li Lei <lilei@example.com>",
            "Printer jam",
            "en-1@example.com",
            "The printer in room 3 jams every morning.",
        ),
    )
    .await;
    let en_ticket = english["ticket_id"].as_str().unwrap().to_string();
    // The same sender again within the hour: a ticket, but no second acknowledgement.
    let again = import(
        &app,
        &token,
        &mb,
        plain_mail(
            "Li Lei <lilei@example.com>",
            "Scanner too",
            "en-2@example.com",
            "And the scanner.",
        ),
    )
    .await;
    assert_eq!(again["outcome"], english["outcome"], "{again}");
    let chinese = import(
        &app,
        &token,
        &mb,
        plain_mail(
            "张伟 <zhangwei@example.com>",
            "打印机卡纸",
            "zh-1@example.com",
            "三楼的打印机每天早上卡纸。",
        ),
    )
    .await;
    let zh_ticket = chinese["ticket_id"].as_str().unwrap().to_string();
    // An autoresponder's message opens nothing and so is never acknowledged.
    import(&app, &token, &mb, fixture("auto_reply.eml")).await;

    let outbox = app
        .get("/api/v1/mail-outbox?status=all", &token)
        .await
        .json();
    let items = outbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one acknowledgement per sender: {outbox}");
    assert!(items.iter().all(|i| i["automatic"] == true), "{outbox}");
    let to = |who: &str| {
        items
            .iter()
            .find(|i| i["recipient"] == who)
            .unwrap_or_else(|| panic!("no acknowledgement to {who}: {outbox}"))
    };
    assert_eq!(to("lilei@example.com")["ticket_id"], json!(en_ticket));
    assert_eq!(to("zhangwei@example.com")["ticket_id"], json!(zh_ticket));

    let report = send_outbox(&app.state, "server-a").await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    let sent = smtp.messages();
    let parsed: Vec<_> = sent
        .iter()
        .map(|raw| MessageParser::default().parse(raw).unwrap())
        .collect();
    let en = parsed
        .iter()
        .find(|m| m.in_reply_to().as_text() == Some("en-1@example.com"))
        .expect("the English acknowledgement answers the first message");
    let en_number = app
        .get(&format!("/api/v1/tickets/{en_ticket}"), &token)
        .await
        .json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(en
        .subject()
        .unwrap()
        .starts_with("We received your e-mail: Printer jam"));
    let en_text = en.body_text(0).unwrap();
    assert!(
        en_text.contains(&format!(
            "Dear Li Lei, we have your message \"Printer jam\" as ticket {en_number}."
        )),
        "{en_text}"
    );
    assert_eq!(header(en, "Auto-Submitted"), Some("auto-generated"));
    let zh = parsed
        .iter()
        .find(|m| m.in_reply_to().as_text() == Some("zh-1@example.com"))
        .expect("the Chinese acknowledgement answers its message");
    let zh_text = zh.body_text(0).unwrap();
    assert!(
        zh_text.contains("张伟您好：您的邮件《打印机卡纸》已受理，工单号"),
        "{zh_text}"
    );
    assert!(zh
        .subject()
        .unwrap()
        .starts_with("已收到您的邮件：打印机卡纸"));

    // An hour later the same sender is acknowledged again.
    app.state.clock().advance(chrono::Duration::minutes(61));
    let token = app.login("manager").await;
    import(
        &app,
        &token,
        &mb,
        plain_mail(
            "Li Lei <lilei@example.com>",
            "Toner",
            "en-3@example.com",
            "We are out of toner.",
        ),
    )
    .await;
    let outbox = app
        .get("/api/v1/mail-outbox?status=all", &token)
        .await
        .json();
    let to_li = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["recipient"] == "lilei@example.com")
        .count();
    assert_eq!(to_li, 2, "{outbox}");
}
