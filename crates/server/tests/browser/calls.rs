//! The call log, a call's detail (identity check, ticket, recording) and the IVR menu.

use super::*;

/// A WAV header: enough for kefu to know it is audio.
const WAV: &[u8] =
    b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\0\0\0";

/// A call from a demo customer, as the CTI would have reported it, with a recording.
pub(crate) async fn seed_call(b: &Browser) -> (String, String) {
    use kefu_domain::call::{CallEvent, CallEventKind, HangupSide};
    let db = b.state.db();
    let customers = db
        .list_customers(&Default::default(), None, 50)
        .await
        .expect("demo customers");
    let customer = customers
        .items
        .iter()
        .find(|c| c.primary_phone.as_deref().is_some_and(|p| p.len() == 11))
        .expect("a demo customer with a mobile number");
    let phone = customer.primary_phone.clone().unwrap();
    let now = b.state.clock().now();
    let event = |kind, seconds| CallEvent {
        kind,
        at: now + chrono::Duration::seconds(seconds),
        caller: None,
        ivr_key: None,
        queue: None,
        agent: None,
        duration_s: None,
        hangup_side: None,
    };
    let events = [
        CallEvent {
            caller: Some(phone.clone()),
            ivr_key: Some("2".into()),
            queue: Some("complaint".into()),
            ..event(CallEventKind::Offered, -300)
        },
        CallEvent {
            agent: Some("KF101".into()),
            ..event(CallEventKind::Answered, -290)
        },
        CallEvent {
            hangup_side: Some(HangupSide::Caller),
            ..event(CallEventKind::Ended, -170)
        },
    ];
    let mut id = String::new();
    for e in &events {
        id = db
            .apply_call_event("browser-call-1", e, "{}", now)
            .await
            .expect("event stored")
            .id;
    }
    let body = futures::stream::iter([Ok::<_, std::io::Error>(WAV)]);
    let blob = b
        .state
        .blobs()
        .receive(body, 1024)
        .await
        .expect("received")
        .keep()
        .await
        .expect("kept");
    db.set_call_recording(&id, &blob, now)
        .await
        .expect("recording set");
    (id, customer.name.clone())
}

/// An agent finds the call in the log (number masked), opens it, records the identity
/// check and the ticket, and has the recording player.
pub async fn call_log_detail_identity_check_and_recording(b: Browser) {
    let (id, customer_name) = seed_call(&b).await;
    b.login("agent1").await;
    b.click("header nav a[href=\"/calls\"]").await;
    let rows = b.all("table#calls tr.call-row").await;
    assert_eq!(rows.len(), 1, "one call in the log");
    let row = b.text("table#calls tr.call-row").await;
    assert!(
        row.contains(&customer_name),
        "the customer is matched: {row:?}"
    );
    assert!(row.contains("已结束"), "the state reads as words: {row:?}");
    assert!(row.contains("2:00"), "talk time: {row:?}");
    let caller = b.text("table#calls tr.call-row td.masked").await;
    assert!(is_masked_mobile(&caller), "masked caller: {caller:?}");
    let log = body_text(&b).await;
    assert!(
        !log.split_whitespace().any(is_full_mobile),
        "no full number on the log page"
    );
    // The filter by state keeps the ended call and drops it for "ringing".
    b.goto("/calls?state=offered").await;
    b.wait_for("table#calls").await;
    assert!(b.all("table#calls tr.call-row").await.is_empty());

    b.goto("/calls").await;
    b.submit("table#calls tr.call-row td a").await;
    b.wait_for("#identity-form").await;
    assert_eq!(b.path().await, format!("/calls/{id}"));
    assert!(b.text("#customer").await.contains(&customer_name));
    assert_eq!(b.text("#queue").await, "complaint");
    assert_eq!(b.all("table#events tr.event-row").await.len(), 3);
    assert!(b.text("#identity").await.contains("未核验"));
    b.submit("#identity-failed").await;
    b.wait_for_text("#identity", "the failed check", |t| {
        t.contains("核验未通过")
    })
    .await;
    b.submit("#identity-passed").await;
    let identity = b
        .wait_for_text("#identity", "the passed check", |t| t.contains("核验通过"))
        .await;
    assert!(identity.contains("注册账户"), "the method: {identity:?}");
    // Attach it to a ticket by number.
    let token_ticket = {
        let (status, body) = b
            .api(
                "POST",
                "/api/v1/tickets",
                json!({"type": "complaint", "subject": "录音所涉投诉"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["number"].as_str().unwrap().to_string()
    };
    b.goto(&format!("/calls/{id}")).await;
    b.type_into("#ticket-form input[name=ticket_id]", "GD19990101-0001")
        .await;
    b.submit("#ticket-form button[type=submit]").await;
    // Wait for the answer page: the old page may still be showing.
    b.wait_for_text("body", "the unknown_ticket error", |t| {
        t.contains("unknown_ticket")
    })
    .await;
    b.goto(&format!("/calls/{id}")).await;
    b.type_into("#ticket-form input[name=ticket_id]", &token_ticket)
        .await;
    b.submit("#ticket-form button[type=submit]").await;
    b.wait_for_text("#ticket", "the ticket", |t| !t.trim().is_empty())
        .await;
    let player = b.wait_for("audio#recording").await;
    let src = player.attr("src").await.expect("src").unwrap_or_default();
    assert_eq!(src, format!("/api/v1/calls/{id}/recording"));
    // The player's source plays for this user (same session cookie).
    let status = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0]).then(r => r.arrayBuffer().then(a => done([r.status, a.byteLength, r.headers.get('content-type')])));",
            vec![json!(src)],
        )
        .await
        .expect("fetch the recording");
    assert_eq!(status, json!([200, WAV.len(), "audio/wav"]));

    // The inspector may not handle calls: no menu entry, and the page is refused.
    b.logout().await;
    b.login("inspector").await;
    assert!(b.all("header nav a[href=\"/calls\"]").await.is_empty());
    b.goto("/calls").await;
    let refused = body_text(&b).await;
    assert!(refused.contains("call.handle"), "{refused:?}");
}

/// The manager adds an IVR option and removes one; a bad key is refused on the page.
pub async fn ivr_menu_page_saves_and_refuses_bad_keys(b: Browser) {
    b.login("manager").await;
    b.click("header nav a[href=\"/settings/ivr\"]").await;
    b.wait_for("#ivr-form").await;
    let keys = b.all("table#ivr tr.ivr-row input[name=key]").await;
    assert_eq!(keys.len(), 5, "three seeded options and two blank rows");
    // Fill the first blank row.
    let row = "table#ivr tr.ivr-row:nth-child(4)";
    b.type_into(&format!("{row} input[name=key]"), "3").await;
    b.type_into(&format!("{row} input[name=label]"), "报修")
        .await;
    b.type_into(&format!("{row} input[name=queue]"), "repair")
        .await;
    b.type_into(&format!("{row} input[name=ticket_type]"), "repair")
        .await;
    b.submit("#ivr-save").await;
    b.wait_for("#ivr-form").await;
    let saved = b.all("table#ivr tr.ivr-row").await;
    assert_eq!(saved.len(), 6, "four options and two blank rows");
    let menu = b.state.db().list_ivr_options().await.unwrap();
    let keys: Vec<_> = menu.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["1", "2", "0", "3"]);
    // Emptying the row of key 0 removes that option.
    let zero = "table#ivr tr.ivr-row:nth-child(3)";
    for field in ["key", "label", "queue", "ticket_type"] {
        b.type_into(&format!("{zero} input[name={field}]"), "")
            .await;
    }
    b.submit("#ivr-save").await;
    b.wait_for("#ivr-form").await;
    let menu = b.state.db().list_ivr_options().await.unwrap();
    let keys: Vec<_> = menu.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["1", "2", "3"]);
    // A key that is not on a phone keypad.
    b.type_into("table#ivr tr.ivr-row:nth-child(1) input[name=key]", "x")
        .await;
    b.submit("#ivr-save").await;
    let error = b.text("#ivr-error").await;
    assert!(
        error.contains("\"x\""),
        "the error names the key: {error:?}"
    );
    assert_eq!(b.state.db().list_ivr_options().await.unwrap().len(), 3);
}
