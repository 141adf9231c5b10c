//! The wallboard: the shift lead opens it from the navigation, sees nobody waiting, and
//! without touching the page sees a call that starts ringing; an agent has no link to it.

use super::*;
use kefu_domain::call::{CallEvent, CallEventKind};

pub async fn wallboard_updates_by_itself(b: Browser) {
    b.login("agent1").await;
    assert!(
        b.all("#nav-wallboard").await.is_empty(),
        "agents have no wallboard"
    );
    b.logout().await;

    b.login("lead").await;
    b.click("#nav-wallboard").await;
    b.wait_for("#wallboard").await;
    assert_eq!(b.text("#wb-calls-count").await, "0");
    assert!(b.text("#wb-calls-today").await.contains("今日尚无进线"));

    // A call starts ringing; the board shows it at its next refresh (every 10 s).
    let now = b.state.clock().now();
    let ring = CallEvent {
        kind: CallEventKind::Offered,
        at: now,
        caller: Some("13800001111".into()),
        ivr_key: None,
        queue: Some("咨询".into()),
        agent: None,
        duration_s: None,
        hangup_side: None,
    };
    b.state
        .db()
        .apply_call_event("wb-browser-1", &ring, "{}", now)
        .await
        .expect("call event");
    b.wait_for_text("#wb-calls-count", "the ringing call", |t| t == "1")
        .await;
    assert!(b.text("#wb-calls-waiting").await.contains("咨询"));
    assert!(
        b.text("#wb-calls-today").await.contains("0%"),
        "offered, none answered"
    );
    assert!(b.text("#wb-target").await.contains("秒内接起"));
}
