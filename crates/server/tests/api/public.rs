//! The public web form and status page: tickets from customers land unassigned in the
//! intake department, the status page shows only what the customer may see and answers
//! a wrong phone like an unknown number, and both are rate-limited per address.

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// Wednesday 2026-11-25 10:00 in Beijing: a working day.
fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

async fn submit(app: &TestApp, body: Value) -> Reply {
    app.api(Method::POST, "/api/v1/public/tickets", None, Some(body))
        .await
}

fn form(extra: Value) -> Value {
    let mut body = json!({
        "name": "王先生",
        "phone": "139-1234-5678",
        "type": "repair",
        "subject": "热水器不出热水",
        "description": "上周购买的热水器，今天开始不出热水"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn lookup(app: &TestApp, number: &str, phone: &str) -> Reply {
    let path = format!(
        "/api/v1/public/tickets/{number}?{}",
        serde_urlencoded::to_string([("phone", phone)]).unwrap()
    );
    app.api(Method::GET, &path, None, None).await
}

async fn post_form(app: &TestApp, fields: &[(&str, &str)], origin: Option<&str>) -> Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/public/tickets/new")
        .header(header::HOST, "kefu.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let body = serde_urlencoded::to_string(fields).unwrap();
    app.send(req.body(Body::from(body)).unwrap()).await
}

async fn page(app: &TestApp, path: &str) -> Reply {
    app.api(Method::GET, path, None, None).await
}

pub async fn web_form_ticket_waits_unassigned_in_intake(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let agent = app.login("agent1").await;
    let me = app.user_id("agent1").await;
    // A customer who has the phone is matched.
    let created = app
        .post(
            "/api/v1/customers",
            &agent,
            json!({"name": "王建国", "contacts": [{"kind": "mobile", "value": "13912345678"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let customer = created.json()["id"].as_str().unwrap().to_string();

    let r = submit(&app, form(json!({"email": "Wang@Example.com"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let number = r.json()["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("GD20261125-"), "{number}");
    assert_eq!(
        r.json()["status_url"],
        format!("/public/status?number={number}")
    );

    let t = app
        .get(&format!("/api/v1/tickets/{number}"), &agent)
        .await
        .json();
    assert_eq!(t["channel"], "web_form");
    assert_eq!(t["status"], "new");
    assert_eq!(t["type"], "repair");
    assert!(t["first_owner"].is_null() && t["assignee"].is_null(), "{t}");
    assert_eq!(t["department"]["name"], "业务受理组");
    assert_eq!(t["customer"]["id"], customer.as_str());
    assert_eq!(t["contact_name"], "王先生");
    assert_eq!(t["contact_phone"], "139****5678");
    assert!(
        t["description"]
            .as_str()
            .unwrap()
            .contains("wang@example.com"),
        "{t}"
    );
    assert!(t["promise"]["text"].as_str().unwrap().contains("48"), "{t}");
    let id = t["id"].as_str().unwrap().to_string();
    // It waits in the intake department's unassigned queue …
    let q = app.get("/api/v1/queues/unassigned", &agent).await.json();
    assert!(
        q["items"].as_array().unwrap().iter().any(|i| i["id"] == id),
        "{q}"
    );
    // … and whoever claims it first becomes its first owner.
    let claim = app
        .post(&format!("/api/v1/tickets/{id}/claim"), &agent, json!({}))
        .await;
    assert_eq!(claim.status, StatusCode::NO_CONTENT, "{}", claim.text());
    let t = app
        .get(&format!("/api/v1/tickets/{id}"), &agent)
        .await
        .json();
    assert_eq!(t["first_owner"]["id"], me.as_str());
    // The audit names the web form and the client address is the caller's.
    let manager = app.login("manager").await;
    let audit = app
        .get(
            &format!("/api/v1/audit?action=ticket.create&subject_id={id}"),
            &manager,
        )
        .await
        .json();
    assert_eq!(audit["items"][0]["actor_name"], "web form", "{audit}");

    // A phone no customer has leaves the ticket without a customer.
    let other = submit(&app, form(json!({"phone": "021-6666-8888"}))).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text());
    let n = other.json()["number"].as_str().unwrap().to_string();
    let t = app
        .get(&format!("/api/v1/tickets/{n}"), &agent)
        .await
        .json();
    assert!(t["customer"].is_null(), "{t}");
    app.cleanup().await;
}

pub async fn status_shows_only_what_the_customer_may_see(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let agent = app.login("agent1").await;
    let number = submit(&app, form(json!({}))).await.json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let id = app
        .get(&format!("/api/v1/tickets/{number}"), &agent)
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, body) in [
        ("claim", json!({})),
        ("status", json!({"action": "start"})),
        ("notes", json!({"body": "内部备注：客户情绪激动，注意措辞"})),
        (
            "replies",
            json!({"channel": "phone", "body": "师傅明天上午上门检修"}),
        ),
        (
            "promises",
            json!({"text": "明天中午前给您回电确认", "within_hours": 8}),
        ),
    ] {
        let r = app
            .post(&format!("/api/v1/tickets/{id}/{path}"), &agent, body)
            .await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }

    let r = lookup(&app, &number, "13912345678").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["number"], number.as_str());
    assert_eq!(v["status"], "in_progress");
    assert_eq!(v["type"], "repair");
    assert_eq!(v["promise"]["text"], "明天中午前给您回电确认");
    assert!(v["promise"]["due_at"].as_str().unwrap().ends_with("+08:00"));
    let kinds: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["created", "promise", "status", "reply", "promise"],
        "no assignment, no note: {v}"
    );
    let reply = &v["timeline"][3];
    assert_eq!(reply["body"], "师傅明天上午上门检修");
    assert_eq!(reply["by_staff"], true);
    assert_eq!(v["timeline"][0]["by_staff"], false);
    assert_eq!(v["timeline"][2]["status"], "in_progress");
    let text = r.text();
    for secret in ["内部备注", "张丽", "agent1", "139", "王先生", "热水器"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // A wrong phone, an unknown number and a malformed one all read the same.
    let wrong = lookup(&app, &number, "13800000000").await;
    let unknown = lookup(&app, "GD20261125-0999", "13912345678").await;
    let garbage = lookup(&app, "not-a-number", "13912345678").await;
    let bad_phone = lookup(&app, &number, "12").await;
    for r in [&wrong, &unknown, &garbage, &bad_phone] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        assert_eq!(r.body, wrong.body, "indistinguishable");
    }
    // The phone may be written any usual way.
    assert_eq!(
        lookup(&app, &number, "+86 139 1234 5678").await.status,
        StatusCode::OK
    );
    app.cleanup().await;
}

pub async fn bad_input_is_refused_and_not_counted(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    for (extra, code) in [
        (json!({"phone": "12345"}), "invalid_phone"),
        (json!({"phone": ""}), "invalid_phone"),
        (json!({"type": "bug"}), "invalid_ticket"),
        (json!({"type": "nonsense"}), "invalid_ticket"),
        (json!({"subject": "   "}), "invalid_ticket"),
        (json!({"name": ""}), "invalid_ticket"),
        (json!({"subject": "长".repeat(201)}), "invalid_ticket"),
        (json!({"email": "not-an-address"}), "invalid_email"),
        (json!({"owner_id": "x"}), "invalid_body"),
    ] {
        let r = submit(&app, form(extra.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}");
        assert_eq!(r.error_code(), code, "{extra}: {}", r.text());
    }
    let r = app
        .api(Method::POST, "/api/v1/public/tickets", None, None)
        .await;
    assert!(r.status.is_client_error());
    // Nine refusals did not use up the five tickets an address may open.
    for _ in 0..5 {
        assert_eq!(
            submit(&app, form(json!({}))).await.status,
            StatusCode::CREATED
        );
    }
    app.cleanup().await;
}

pub async fn rate_limits_answer_429_with_retry_after(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    let mut number = String::new();
    for _ in 0..5 {
        let r = submit(&app, form(json!({}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        number = r.json()["number"].as_str().unwrap().to_string();
    }
    let limited = submit(&app, form(json!({}))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error_code(), "rate_limited");
    assert_eq!(limited.headers[header::RETRY_AFTER], "600");
    // The page says so kindly, with the same header.
    let page = post_form(
        &app,
        &[
            ("name", "王先生"),
            ("phone", "13912345678"),
            ("ticket_type", "consultation"),
            ("subject", "咨询"),
        ],
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    assert!(page.text().contains("请稍后再试"), "{}", page.text());
    // The window passes.
    app.state
        .clock()
        .advance(chrono::Duration::minutes(10))
        .unwrap();
    assert_eq!(
        submit(&app, form(json!({}))).await.status,
        StatusCode::CREATED
    );

    // Lookups: 30 a minute, wrong guesses included.
    for i in 0..30 {
        let phone = if i % 2 == 0 {
            "13912345678"
        } else {
            "13800000000"
        };
        let r = lookup(&app, &number, phone).await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS, "lookup {i}");
    }
    let r = lookup(&app, &number, "13912345678").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    let r = page_status(&app, &number).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.state
        .clock()
        .advance(chrono::Duration::seconds(60))
        .unwrap();
    assert_eq!(
        lookup(&app, &number, "13912345678").await.status,
        StatusCode::OK
    );
    app.cleanup().await;
}

async fn page_status(app: &TestApp, number: &str) -> Reply {
    page(
        app,
        &format!("/public/status?number={number}&phone=13912345678"),
    )
    .await
}

pub async fn public_pages_form_status_and_forgery(backend: TestBackend) {
    let app = TestApp::starting_at(backend, start()).await;
    // Customers who land on the log-in page find their way to the form.
    let login = page(&app, "/login").await.text();
    assert!(
        login.contains("href=\"/public/tickets/new\"") && login.contains("href=\"/public/status\"")
    );
    let form_page = page(&app, "/public/tickets/new").await;
    assert_eq!(form_page.status, StatusCode::OK);
    let html = form_page.text();
    assert!(html.contains("在线提交工单") && html.contains("name=\"homepage\""));
    assert!(
        !html.contains("/logout") && !html.contains("/workspace"),
        "no staff chrome"
    );
    assert!(page(&app, "/public/tickets/new?lang=en")
        .await
        .text()
        .contains("Submit a request"));

    let fields = [
        ("name", "李女士"),
        ("phone", "13612345678"),
        ("ticket_type", "complaint"),
        ("subject", "退款迟迟未到账"),
        ("description", "<script>alert(1)</script>"),
        ("email", ""),
        ("homepage", ""),
    ];
    // Another site's form is refused; the same site's and a script's (no Origin) pass.
    let forged = post_form(&app, &fields, Some("https://evil.example")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.text().contains("无法处理您的请求"),
        "{}",
        forged.text()
    );
    // A bot fills the honeypot: nothing is created, the form says why.
    let mut bot = fields.to_vec();
    bot[6] = ("homepage", "http://spam.example");
    let r = post_form(&app, &bot, Some("http://kefu.example")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"form-error\""));
    // A bad phone keeps what was typed.
    let mut bad = fields.to_vec();
    bad[1] = ("phone", "12");
    let r = post_form(&app, &bad, Some("http://kefu.example")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("退款迟迟未到账") && r.text().contains("正确的手机号"));

    let done = post_form(&app, &fields, Some("http://kefu.example")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let html = done.text();
    let number = html
        .split("id=\"public-number\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the page shows the number")
        .to_string();
    assert!(number.starts_with("GD"), "{number}");
    assert!(html.contains(&format!("/public/status?number={number}")));
    let manager = app.login("manager").await;
    let t = app
        .get(&format!("/api/v1/tickets/{number}"), &manager)
        .await
        .json();
    assert_eq!(
        t["description"], "<script>alert(1)</script>",
        "stored verbatim"
    );
    assert_eq!(
        app.get("/api/v1/tickets?status=new", &manager).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "neither the forged post nor the bot made a ticket"
    );

    let status = page(
        &app,
        &format!("/public/status?number={number}&phone=136-1234-5678"),
    )
    .await;
    assert_eq!(status.status, StatusCode::OK);
    let html = status.text();
    assert!(html.contains("id=\"public-ticket\"") && html.contains(&number));
    assert!(html.contains("已受理您的工单") && html.contains("新建"));
    assert!(!html.contains("<script>alert"), "escaped");
    let wrong = page(
        &app,
        &format!("/public/status?number={number}&phone=13700000000"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert!(wrong.text().contains("没有找到该工单"));
    assert!(!wrong.text().contains("id=\"public-ticket\""));
    let empty = page(&app, "/public/status").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text().contains("id=\"status-form\""));
    app.cleanup().await;
}
