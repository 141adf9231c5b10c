//! Phone intake: the CTI webhooks (signature, order, unknown calls, recordings and
//! their limits) and what agents and admins do with calls.

use crate::common::{Reply, TestApp};
use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use kefu_domain::call::{sign_event, sign_recording};
use kefu_server::state::Secret;
use kefu_test_support::TestBackend;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SECRET: &str = "cti-shared-secret-for-tests";
const WAV: &[u8] =
    b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\0\0\0";

pub(crate) async fn cti_app(backend: TestBackend) -> TestApp {
    TestApp::with_config(backend, |c| c.cti_secret = Some(Secret(SECRET.into()))).await
}

fn now_ts(app: &TestApp) -> String {
    app.state.clock().now().timestamp().to_string()
}

pub(crate) fn at(app: &TestApp, seconds: i64) -> String {
    (app.state.clock().now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}

async fn post_signed(app: &TestApp, body: &str, ts: &str, signature: &str) -> Reply {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/cti/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Kefu-Timestamp", ts)
        .header("X-Kefu-Signature", signature)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

pub(crate) async fn event(app: &TestApp, body: Value) -> Reply {
    let body = body.to_string();
    let ts = now_ts(app);
    let sig = sign_event(SECRET.as_bytes(), &ts, body.as_bytes());
    post_signed(app, &body, &ts, &sig).await
}

async fn upload(app: &TestApp, call_id: &str, audio: &'static [u8]) -> Reply {
    let ts = now_ts(app);
    let sig = sign_recording(SECRET.as_bytes(), &ts, call_id, audio);
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/cti/calls/{call_id}/recording"))
        .header(header::CONTENT_TYPE, "audio/wav")
        .header("X-Kefu-Timestamp", ts)
        .header("X-Kefu-Signature", sig)
        .body(Body::from(audio))
        .unwrap();
    app.send(req).await
}

/// Every file under the data directory's file store.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.config().data_dir.join("blobs"), &mut out);
    out
}

async fn call_count(app: &TestApp, token: &str) -> usize {
    let list = app.get("/api/v1/calls?limit=200", token).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    list.json()["items"].as_array().unwrap().len()
}

pub async fn webhooks_are_off_without_a_secret(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let body = json!({"event": "offered", "call_id": "c1", "at": at(&app, 0)}).to_string();
    let ts = now_ts(&app);
    let sig = sign_event(SECRET.as_bytes(), &ts, body.as_bytes());
    let reply = post_signed(&app, &body, &ts, &sig).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "cti_not_configured");
    app.cleanup().await;
}

pub async fn bad_signatures_are_refused_and_nothing_is_stored(backend: TestBackend) {
    let app = cti_app(backend).await;
    let manager = app.login("manager").await;
    let body = json!({"event": "offered", "call_id": "sig-1", "at": at(&app, 0),
                      "caller": "13800001111", "queue": "consultation"})
    .to_string();
    let ts = now_ts(&app);
    let wrong = sign_event(b"not-the-secret", &ts, body.as_bytes());
    let r = post_signed(&app, &body, &ts, &wrong).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "bad_signature");
    // Signed, then tampered with.
    let good = sign_event(SECRET.as_bytes(), &ts, body.as_bytes());
    let tampered = body.replace("sig-1", "sig-2");
    let r = post_signed(&app, &tampered, &ts, &good).await;
    assert_eq!(r.error_code(), "bad_signature");
    // Stale: a replay from six minutes ago, correctly signed.
    let old = (app.state.clock().now().timestamp() - 360).to_string();
    let replay = sign_event(SECRET.as_bytes(), &old, body.as_bytes());
    let r = post_signed(&app, &body, &old, &replay).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "stale_timestamp");
    let r = post_signed(&app, &body, &ts, "md5=abc").await;
    assert_eq!(r.error_code(), "malformed_signature");
    let unsigned = app
        .api(
            Method::POST,
            "/api/v1/cti/events",
            None,
            Some(serde_json::from_str(&body).unwrap()),
        )
        .await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unsigned.error_code(), "missing_signature");
    // A bearer token is no substitute for the signature.
    let r = app
        .api(
            Method::POST,
            "/api/v1/cti/events",
            Some(&manager),
            Some(serde_json::from_str(&body).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An event body over 64 KiB is not read to the end.
    let huge = json!({"event": "offered", "call_id": "sig-1", "at": at(&app, 0),
                      "caller": "1".repeat(100_000)})
    .to_string();
    let r = post_signed(
        &app,
        &huge,
        &ts,
        &sign_event(SECRET.as_bytes(), &ts, huge.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "payload_too_large");
    assert_eq!(call_count(&app, &manager).await, 0);
    // The correct request goes through.
    let r = post_signed(&app, &body, &ts, &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(call_count(&app, &manager).await, 1);
    app.cleanup().await;
}

pub async fn out_of_order_events_make_one_complete_call(backend: TestBackend) {
    let app = cti_app(backend).await;
    let manager = app.login("manager").await;
    let customer = app
        .post(
            "/api/v1/customers",
            &manager,
            json!({"name": "来电客户", "contacts": [{"kind": "mobile", "value": "13912340000"}]}),
        )
        .await;
    assert_eq!(customer.status, StatusCode::CREATED, "{}", customer.text());
    let customer_id = customer.json()["id"].as_str().unwrap().to_string();

    // The CTI's ended event arrives first, for a call kefu has never heard of: kept.
    let r = event(
        &app,
        json!({"event": "ended", "call_id": "ooo-1", "at": at(&app, 95),
               "hangup_side": "agent"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(r.json()["awaiting_offer"], true);
    assert_eq!(r.json()["state"], "ended");
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = event(
        &app,
        json!({"event": "answered", "call_id": "ooo-1", "at": at(&app, 5), "agent": "KF101"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // The answer retried by the CTI, then the offer, late.
    let r = event(
        &app,
        json!({"event": "answered", "call_id": "ooo-1", "at": at(&app, 5), "agent": "KF101"}),
    )
    .await;
    assert_eq!(r.json()["id"], id.as_str());
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "ooo-1", "at": at(&app, 0),
               "caller": "+86 139-1234-0000", "ivr_key": "2"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["awaiting_offer"], false);

    let detail = app.get(&format!("/api/v1/calls/{id}"), &manager).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text());
    let d = detail.json();
    let call = &d["call"];
    assert_eq!(call["state"], "ended");
    assert_eq!(call["caller"], "139****0000", "the number is masked");
    assert_eq!(
        call["queue"], "complaint",
        "the queue comes from the IVR menu"
    );
    assert_eq!(call["agent_name"], "张丽");
    assert_eq!(call["duration_s"], 90);
    assert_eq!(call["hangup_side"], "agent");
    assert_eq!(call["customer_id"], customer_id.as_str());
    assert_eq!(d["customer"]["name"], "来电客户");
    assert_eq!(d["customer"]["phone"], "139****0000");
    let events = d["events"].as_array().unwrap();
    assert_eq!(events.len(), 4, "every event is kept, the retry too");
    assert_eq!(events[0]["kind"], "ended");
    assert_eq!(events[3]["payload"]["caller"], "139****0000");
    assert!(!detail.text().contains("13912340000"));
    // The view of the call is audited as personal data.
    let audit = app
        .get(
            &format!("/api/v1/audit?subject_id={id}&action=call.view"),
            &manager,
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);

    // Bad events are refused with a code, and store nothing.
    let r = event(
        &app,
        json!({"event": "transferred", "call_id": "ooo-2", "at": at(&app, 0)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "unknown_event");
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "ooo-2", "at": "yesterday"}),
    )
    .await;
    assert_eq!(r.error_code(), "invalid_time");
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "ooo-2", "at": at(&app, 0), "ivr_key": "12"}),
    )
    .await;
    assert_eq!(r.error_code(), "invalid_ivr_key");
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "ooo-2", "at": at(&app, 0), "extra": 1}),
    )
    .await;
    assert_eq!(r.error_code(), "invalid_body");
    assert_eq!(call_count(&app, &manager).await, 1);
    let list = app
        .get(
            &format!("/api/v1/calls?customer_id={customer_id}"),
            &manager,
        )
        .await
        .json();
    assert_eq!(list["items"][0]["id"], id.as_str());
    let bad = app.get("/api/v1/calls?state=ringing", &manager).await;
    assert_eq!(bad.error_code(), "invalid_state");
    app.cleanup().await;
}

pub async fn recordings_are_checked_before_they_are_kept(backend: TestBackend) {
    let app = cti_app(backend).await;
    let agent = app.login("agent1").await;
    let r = upload(&app, "never-called", WAV).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "unknown_call");
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "rec-1", "at": at(&app, 0), "queue": "agent"}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = upload(&app, "rec-1", b"<html><script>alert(1)</script></html>").await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.error_code(), "not_audio");
    // Signed for another call: refused.
    let ts = now_ts(&app);
    let sig = sign_recording(SECRET.as_bytes(), &ts, "rec-2", WAV);
    let req = Request::builder()
        .method(Method::PUT)
        .uri("/api/v1/cti/calls/rec-1/recording")
        .header("X-Kefu-Timestamp", ts)
        .header("X-Kefu-Signature", sig)
        .body(Body::from(WAV))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.error_code(), "bad_signature");
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    let none = app
        .get(&format!("/api/v1/calls/{id}/recording"), &agent)
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    let r = upload(&app, "rec-1", WAV).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["content_type"], "audio/wav");
    assert_eq!(stored_files(&app).len(), 1);
    let file = app
        .get(&format!("/api/v1/calls/{id}/recording"), &agent)
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, WAV);
    assert_eq!(file.headers[header::CONTENT_TYPE], "audio/wav");
    assert!(file.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(file.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let detail = app.get(&format!("/api/v1/calls/{id}"), &agent).await.json();
    assert_eq!(detail["call"]["has_recording"], true);
    assert_eq!(detail["recording"]["size"], WAV.len());
    let manager = app.login("manager").await;
    let audit = app
        .get(
            &format!("/api/v1/audit?subject_id={id}&action=call.recording_download"),
            &manager,
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    // The inspector's position does not handle calls.
    let inspector = app.login("inspector").await;
    let r = app
        .get(&format!("/api/v1/calls/{id}/recording"), &inspector)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

/// A generated body of `total` zero bytes in 1 MiB chunks that counts what was read.
fn generated_body(total: u64, read: Arc<AtomicU64>) -> Body {
    static CHUNK: [u8; 1024 * 1024] = [0; 1024 * 1024];
    let stream = futures::stream::unfold(0u64, move |sent| {
        let read = read.clone();
        async move {
            if sent >= total {
                return None;
            }
            let n = (total - sent).min(CHUNK.len() as u64);
            read.fetch_add(n, Ordering::Relaxed);
            Some((
                Ok::<_, std::io::Error>(Bytes::from_static(&CHUNK[..n as usize])),
                sent + n,
            ))
        }
    });
    Body::from_stream(stream)
}

pub async fn a_500_mb_recording_gets_413_and_nothing_is_stored(backend: TestBackend) {
    const BIG: u64 = 500 * 1024 * 1024;
    let app = cti_app(backend).await;
    event(
        &app,
        json!({"event": "offered", "call_id": "big-1", "at": at(&app, 0), "queue": "agent"}),
    )
    .await;
    // Declared: refused from Content-Length before a byte is read.
    let read = Arc::new(AtomicU64::new(0));
    let ts = now_ts(&app);
    let req = Request::builder()
        .method(Method::PUT)
        .uri("/api/v1/cti/calls/big-1/recording")
        .header(header::CONTENT_LENGTH, BIG)
        .header("X-Kefu-Timestamp", &ts)
        .header("X-Kefu-Signature", format!("sha256={}", "0".repeat(64)))
        .body(generated_body(BIG, read.clone()))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(r.error_code(), "payload_too_large");
    assert_eq!(read.load(Ordering::Relaxed), 0, "nothing was read");
    assert!(stored_files(&app).is_empty());
    app.cleanup().await;

    // Undeclared (chunked): cut off as soon as the limit is passed.
    let app = TestApp::with_config(backend, |c| {
        c.cti_secret = Some(Secret(SECRET.into()));
        c.max_recording_bytes = 4 * 1024 * 1024;
    })
    .await;
    event(
        &app,
        json!({"event": "offered", "call_id": "big-2", "at": at(&app, 0), "queue": "agent"}),
    )
    .await;
    let read = Arc::new(AtomicU64::new(0));
    let req = Request::builder()
        .method(Method::PUT)
        .uri("/api/v1/cti/calls/big-2/recording")
        .header("X-Kefu-Timestamp", now_ts(&app))
        .header("X-Kefu-Signature", format!("sha256={}", "0".repeat(64)))
        .body(generated_body(BIG, read.clone()))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert!(
        read.load(Ordering::Relaxed) <= 6 * 1024 * 1024,
        "read {} bytes",
        read.load(Ordering::Relaxed)
    );
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    let manager = app.login("manager").await;
    let list = app.get("/api/v1/calls", &manager).await.json();
    assert_eq!(list["items"][0]["has_recording"], false);
    app.cleanup().await;
}

pub async fn screen_pop_identity_check_and_ticket(backend: TestBackend) {
    let app = cti_app(backend).await;
    let agent = app.login("agent1").await;
    let other = app.login("agent2").await;
    let customer_id = app
        .post(
            "/api/v1/customers",
            &agent,
            json!({"name": "弹屏客户", "contacts": [{"kind": "mobile", "value": "13755556666"}]}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "pop-1", "at": at(&app, 0),
               "caller": "13755556666", "ivr_key": "1"}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    // Ringing in the consultation queue: agents who take that queue see it.
    let ringing = app
        .get("/api/v1/calls/active?queues=consultation", &other)
        .await
        .json();
    assert_eq!(ringing[0]["call"]["id"], id.as_str());
    assert_eq!(ringing[0]["customer"]["name"], "弹屏客户");
    assert_eq!(ringing[0]["customer"]["phone"], "137****6666");
    let nothing = app
        .get("/api/v1/calls/active?queues=complaint", &other)
        .await
        .json();
    assert_eq!(nothing, json!([]));
    // Answered by agent1 (by username): now it is theirs alone.
    event(
        &app,
        json!({"event": "answered", "call_id": "pop-1", "at": at(&app, 3), "agent": "agent1"}),
    )
    .await;
    let mine = app.get("/api/v1/calls/active", &agent).await.json();
    assert_eq!(mine[0]["call"]["id"], id.as_str());
    assert_eq!(mine[0]["call"]["state"], "answered");
    let theirs = app
        .get("/api/v1/calls/active?queues=consultation", &other)
        .await
        .json();
    assert_eq!(theirs, json!([]));

    let path = format!("/api/v1/calls/{id}/identity-check");
    let bad = app
        .post(
            &path,
            &agent,
            json!({"result": "maybe", "method": "account"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_code(), "invalid_result");
    let bad = app
        .post(&path, &agent, json!({"result": "failed", "method": "dna"}))
        .await;
    assert_eq!(bad.error_code(), "invalid_method");
    let r = app
        .post(
            &path,
            &agent,
            json!({"result": "failed", "method": "id_last_digits"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["identity_check"]["result"], "failed");
    let r = app
        .post(
            &path,
            &agent,
            json!({"result": "passed", "method": "account"}),
        )
        .await;
    assert_eq!(r.json()["identity_check"]["result"], "passed");
    assert_eq!(r.json()["identity_check"]["method"], "account");
    let missing = app
        .post(
            "/api/v1/calls/no-such-call/identity-check",
            &agent,
            json!({"result": "passed", "method": "account"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The screen pop lists the caller's tickets; the call is attached to one by number.
    let r = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"type": "complaint", "subject": "上次的投诉还没处理", "customer_id": customer_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (ticket_id, number) = (
        r.json()["id"].as_str().unwrap().to_string(),
        r.json()["number"].as_str().unwrap().to_string(),
    );
    let pop = app.get("/api/v1/calls/active", &agent).await.json();
    assert_eq!(
        pop[0]["recent_tickets"][0]["number"],
        number.as_str(),
        "{pop}"
    );
    assert!(
        pop[0]["recent_tickets"][0]["promise_due_at"].is_string(),
        "the open promise"
    );
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"ticket_id": "GD19990101-0001"}),
        )
        .await;
    assert_eq!(r.error_code(), "unknown_ticket");
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"ticket_id": number}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let timeline = app
        .get(&format!("/api/v1/tickets/{ticket_id}/timeline"), &agent)
        .await
        .json();
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "call"),
        "{timeline}"
    );
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"ticket_id": " "}),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_ticket");
    event(
        &app,
        json!({"event": "ended", "call_id": "pop-1", "at": at(&app, 60), "hangup_side": "caller"}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/calls/active", &agent).await.json(),
        json!([])
    );
    let manager = app.login("manager").await;
    let call = app
        .get(&format!("/api/v1/calls/{id}"), &manager)
        .await
        .json();
    assert_eq!(call["call"]["ticket_id"], ticket_id.as_str());
    assert_eq!(call["call"]["state"], "ended");
    assert_eq!(call["call"]["duration_s"], 57);
    let audit = app
        .get(&format!("/api/v1/audit?subject_id={id}"), &manager)
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "call.view",
            "call.ticket_attach",
            "call.identity_check",
            "call.identity_check"
        ]
    );
    app.cleanup().await;
}

pub async fn ivr_menu_is_configured_by_admins(backend: TestBackend) {
    let app = cti_app(backend).await;
    let manager = app.login("manager").await;
    let agent = app.login("agent1").await;
    let menu = app.get("/api/v1/ivr-options", &manager).await.json();
    assert_eq!(menu[0]["key"], "1");
    assert_eq!(menu[0]["label"], "咨询");
    assert_eq!(menu[1]["queue"], "complaint");
    assert_eq!(menu[2]["key"], "0");
    let new_menu = json!([
        {"key": "1", "label": "咨询", "queue": "consultation", "ticket_type": "consultation"},
        {"key": "2", "label": "投诉建议", "queue": "complaint", "ticket_type": "complaint"},
        {"key": "3", "label": "报修", "queue": "repair", "ticket_type": "repair"},
        {"key": "0", "label": "人工服务", "queue": "agent"}
    ]);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/ivr-options",
            Some(&agent),
            Some(new_menu.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/ivr-options",
            Some(&manager),
            Some(new_menu),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let dup = json!([
        {"key": "1", "label": "a", "queue": "x"},
        {"key": "1", "label": "b", "queue": "y"}
    ]);
    let r = app
        .api(
            Method::PUT,
            "/api/v1/ivr-options",
            Some(&manager),
            Some(dup),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_ivr_menu");
    assert!(r.text().contains("key 1 appears twice"), "{}", r.text());
    let menu = app.get("/api/v1/ivr-options", &manager).await.json();
    assert_eq!(menu.as_array().unwrap().len(), 4);
    // A caller who presses 3 lands in the repair queue.
    let r = event(
        &app,
        json!({"event": "offered", "call_id": "ivr-1", "at": at(&app, 0), "ivr_key": "3"}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let call = app
        .get(&format!("/api/v1/calls/{id}"), &manager)
        .await
        .json();
    assert_eq!(call["call"]["queue"], "repair");
    assert_eq!(call["call"]["ivr_key"], "3");
    let audit = app
        .get("/api/v1/audit?action=settings.ivr_save", &manager)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    app.cleanup().await;
}
