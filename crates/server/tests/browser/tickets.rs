//! The agent workspace: a complaint opened and transferred to 技术部 shows in both
//! departments' queues; an overdue promise shows its banner and the notice form.

use super::Browser;
use serde_json::json;

/// A demo customer calls the complaint line and agent1 (工号 KF101) answers: the call is
/// still running. Returns the customer's name.
async fn incoming_call(b: &Browser) -> String {
    use kefu_domain::call::{CallEvent, CallEventKind};
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
    let now = b.state.clock().now();
    let event = |kind| CallEvent {
        kind,
        at: now,
        caller: None,
        ivr_key: None,
        queue: None,
        agent: None,
        duration_s: None,
        hangup_side: None,
    };
    let offered = CallEvent {
        caller: customer.primary_phone.clone(),
        ivr_key: Some("2".into()),
        queue: Some("complaint".into()),
        ..event(CallEventKind::Offered)
    };
    let answered = CallEvent {
        agent: Some("KF101".into()),
        ..event(CallEventKind::Answered)
    };
    for e in [offered, answered] {
        db.apply_call_event("pop-call-1", &e, "{}", now)
            .await
            .expect("event stored");
    }
    customer.name.clone()
}

/// Opens a complaint through the new-ticket form; returns the ticket page's path.
async fn open_complaint(b: &Browser, subject: &str) -> String {
    b.goto("/workspace").await;
    b.submit("#new-ticket").await;
    b.wait_for("#ticket-form").await;
    b.client
        .find(fantoccini::Locator::Css(
            "#ticket_type option[value=complaint]",
        ))
        .await
        .expect("complaint option")
        .click()
        .await
        .expect("choose complaint");
    b.type_into("#subject", subject).await;
    b.type_into("#contact_phone", "13800138000").await;
    b.submit("#create-ticket").await;
    b.wait_for("#ticket-number").await;
    b.path().await
}

pub async fn complaint_transferred_to_tech_shows_in_both_places(b: Browser) {
    b.login("agent1").await;
    assert_eq!(
        b.path().await,
        "/workspace",
        "agents start in their workspace"
    );
    // A bad form keeps what was typed and says why.
    b.goto("/tickets/new").await;
    b.type_into("#subject", "   ").await;
    b.type_into("#contact_phone", "12").await;
    b.submit("#create-ticket").await;
    let error = b.text("#form-error").await;
    assert!(!error.is_empty());
    assert_eq!(
        b.value("#contact_phone").await.as_deref(),
        Some("12"),
        "input survives the error"
    );

    // The call comes in: the screen pop shows the caller (masked) and the customer.
    let customer = incoming_call(&b).await;
    b.goto("/workspace").await;
    let pop = b
        .wait_for_text("#screen-pop", "the customer", |t| t.contains(&customer))
        .await;
    assert!(pop.contains("****"), "the caller's number is masked: {pop}");
    b.click("#screen-pop .identity-passed").await;
    b.wait_for_text("#screen-pop .pop-identity", "the check", |t| {
        t.contains("已记录核验")
    })
    .await;
    // A complaint ticket from the pop: the call and the customer come with it.
    b.submit("#pop-new-complaint").await;
    b.wait_for("#from-call").await;
    assert_eq!(b.text("#form-customer").await, customer);
    assert_eq!(b.value("#ticket_type").await.as_deref(), Some("complaint"));
    b.type_into("#subject", "快递三天未送达，客户要求赔偿")
        .await;
    b.submit("#create-ticket").await;
    b.wait_for("#ticket-number").await;
    let ticket = b.path().await;
    assert!(b.text("#ticket-facts").await.contains(&customer));
    assert!(
        b.text("#timeline").await.contains("关联来电"),
        "the call is on the timeline"
    );
    let number = b.text("#ticket-number").await;
    assert!(number.starts_with("GD"), "{number}");
    assert_eq!(b.text("#first-owner").await, "张丽");
    let facts = b.text("#ticket-facts").await;
    assert!(
        facts.contains("****"),
        "the caller's phone, masked: {facts}"
    );
    // Transfer to 技术部 with a request.
    let option = b
        .client
        .find(fantoccini::Locator::XPath(
            "//select[@id='transfer-department']/option[text()='技术部']",
        ))
        .await
        .expect("技术部 is a transfer target");
    option.click().await.expect("choose 技术部");
    b.type_into("#transfer-request", "请排查物流接口异常").await;
    b.submit("#transfer").await;
    b.wait_for_text("#ticket-status", "waiting on department", |t| {
        t.contains("等待部门")
    })
    .await;
    assert!(b.text("#tasks").await.contains("技术部"));
    assert!(b.text("#timeline").await.contains("转交部门"));
    // The owner's group sees it waiting on the department …
    b.goto("/workspace?queue=waiting_department").await;
    assert!(b.text("#tickets").await.contains(&number));
    assert_eq!(b.text("#queue-waiting_department .count").await, "1");
    b.logout().await;

    // … and 技术部 sees it transferred to them, and may note and answer its task.
    b.login("tech1").await;
    b.goto("/workspace?queue=transferred").await;
    assert_eq!(b.text("#queue-transferred .count").await, "1");
    b.click("#tickets tr[data-href] a").await;
    b.wait_for("#ticket-number").await;
    assert_eq!(b.path().await, ticket);
    assert!(
        b.client
            .find(fantoccini::Locator::Css("#reply-form"))
            .await
            .is_err(),
        "another department does not answer the customer"
    );
    b.type_into("#tasks .complete-task input[name=body]", "接口已修复")
        .await;
    b.submit("#tasks .complete-task button").await;
    b.wait_for_text("#ticket-status", "in progress", |t| t.contains("处理中"))
        .await;
    b.goto("/workspace?queue=transferred").await;
    assert_eq!(b.text("#queue-transferred .count").await, "0");
    b.logout().await;
}

pub async fn overdue_banner_and_notice_form(b: Browser) {
    b.login("agent1").await;
    let ticket = open_complaint(&b, "维修师傅未按约上门").await;
    let id = ticket.trim_start_matches("/tickets/").to_string();
    // Promise a reply within half a working hour, then let the simulated clock run past it.
    let (status, _) = b
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = b
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/promises"),
            json!({"text": "半小时内回电", "within_hours": 0.5}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, t) = b
        .api("GET", &format!("/api/v1/tickets/{id}"), json!(null))
        .await;
    let due =
        chrono::DateTime::parse_from_rfc3339(t["promise"]["due_at"].as_str().unwrap()).unwrap();
    let (_, clock) = b
        .api("POST", "/api/v1/test-clock/advance", json!({"seconds": 0}))
        .await;
    let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap()).unwrap();
    // Half a working hour from now, on the working calendar: past it by a second.
    let (status, body) = b
        .api(
            "POST",
            "/api/v1/test-clock/advance",
            json!({"seconds": (due - now).num_seconds() + 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["fired"].as_u64().unwrap() >= 1, "{body}");
    // The jump may outlive the session.
    b.login("agent1").await;
    b.goto("/workspace").await;
    let banner = b.text("#overdue-banner").await;
    assert!(banner.contains('1'), "{banner}");
    assert_eq!(b.text("#queue-overdue .count").await, "1");
    b.goto(&ticket).await;
    let banner = b.text("#overdue-banner").await;
    assert!(banner.contains("逾期"), "{banner}");
    assert!(b
        .text("#overdue-script")
        .await
        .contains("维修师傅未按约上门"));
    // A plain promise is not offered while overdue; the notice needs all three parts.
    assert!(b
        .client
        .find(fantoccini::Locator::Css("#promise-form"))
        .await
        .is_err());
    b.type_into("#notice-progress", "已联系维修站，师傅明早上门")
        .await;
    b.type_into("#notice-promise", "明天中午前回电确认").await;
    b.submit("#send-notice").await;
    let error = b.text("#action-error").await;
    assert!(!error.is_empty(), "no deadline given");
    assert_eq!(
        b.value("#notice-progress").await.as_deref(),
        Some("已联系维修站，师傅明早上门"),
        "what was typed survives"
    );
    b.type_into("#notice-hours", "4").await;
    b.submit("#send-notice").await;
    b.wait_for_text("#timeline", "the notice", |t| t.contains("逾期告知"))
        .await;
    assert!(b
        .client
        .find(fantoccini::Locator::Css("#overdue-banner"))
        .await
        .is_err());
    assert!(b.text("#promise").await.contains("明天中午前回电确认"));
}
