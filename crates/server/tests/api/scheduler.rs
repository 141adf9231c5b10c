//! The scheduler fires due jobs when the simulated clock moves.

use crate::common::TestApp;
use axum::http::StatusCode;
use kefu_test_support::TestBackend;
use serde_json::json;

pub async fn simulated_clock_fires_the_session_cleanup_chain(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    kefu_server::jobs::schedule_session_cleanup(&app.state)
        .await
        .unwrap();
    kefu_server::jobs::schedule_session_cleanup(&app.state)
        .await
        .unwrap();
    let token = app.login("agent1").await;
    let hash = kefu_server::auth::hash_secret(&token);
    assert!(app.state.db().get_session(&hash).await.is_ok());
    let manager = app.login("manager").await;
    // The first run is due now; it schedules the next one ten minutes on.
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &manager,
            json!({"seconds": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["fired"], 1, "scheduled twice, fired once");
    assert_eq!(app.state.db().count_jobs("pending").await.unwrap(), 1);
    // 31 minutes on, one run catches up (missed slots are not replayed) and the idle
    // sessions are gone.
    let r = app
        .post(
            "/api/v1/test-clock/advance",
            &manager,
            json!({"seconds": 31 * 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["fired"], 1);
    assert!(
        app.state.db().get_session(&hash).await.is_err(),
        "the idle session was removed"
    );
    assert_eq!(
        app.get("/api/v1/me", &manager).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.state.db().count_jobs("done").await.unwrap(), 2);
    assert_eq!(
        app.state.db().count_jobs("pending").await.unwrap(),
        1,
        "the chain goes on"
    );
    assert_eq!(
        kefu_server::jobs::run_due(&app.state, usize::MAX)
            .await
            .unwrap(),
        0,
        "nothing fires twice"
    );
    let bad = app
        .post(
            "/api/v1/test-clock/advance",
            &app.login("manager").await,
            json!({"seconds": -5}),
        )
        .await;
    assert_eq!(bad.error_code(), "invalid_duration");
    app.cleanup().await;
}
