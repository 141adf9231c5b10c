//! Shift pages: the shift lead generates a week on the schedule grid, takes a shift off by
//! hand and sees the gap on the coverage heat map, publishes; an agent finds their shifts
//! and tonight's on-duty number on "my schedule", asks for leave and proposes a swap in the
//! requests inbox; the colleague agrees, the lead rejects the swap and approves the leave;
//! the staffing calculator gives Erlang C's answer.

use super::*;

/// Sets a form field's value (date inputs take typed text by locale; this does not).
async fn set(b: &Browser, css: &str, value: &str) {
    b.wait_for(css).await;
    b.client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('change'));",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

pub async fn roster_grid_coverage_requests_and_calculator(b: Browser) {
    let now = b.state.clock().now();
    let db = b.state.db();
    kefu_demo::load_demo_schedule(db, now)
        .await
        .expect("demo schedule");
    let agent1 = db.get_user_by_username("agent1").await.unwrap().id;
    let agent2 = db.get_user_by_username("agent2").await.unwrap().id;
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let day = |n: i64| {
        (today + chrono::Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };

    // The lead generates a week from today and sees the grid and what cannot be covered.
    b.login("lead").await;
    b.goto("/schedule").await;
    b.wait_for("#no-roster").await;
    let mut settings = b
        .api("GET", "/api/v1/schedule/settings", json!(null))
        .await
        .1;
    settings["solver_seconds"] = json!(1);
    assert_eq!(
        b.api("PUT", "/api/v1/schedule/settings", settings).await.0,
        200
    );
    set(&b, "#gen-start", &day(0)).await;
    set(&b, "#gen-days", "7").await;
    b.submit("#generate").await;
    b.wait_for("#schedule-done").await;
    assert_eq!(b.all("#roster-grid .roster-row").await.len(), 4);
    assert!(b.text("#uncoverable").await.contains("22:00"));
    assert_eq!(b.text("#roster-status").await, "草稿");
    let before: u64 = b.text("#score-uncovered").await.parse().unwrap();

    // A shift taken off by hand: the gap shows in the score and on the heat map.
    let worker = b
        .client
        .execute(
            "const r = [...document.querySelectorAll('#roster-grid .roster-row')]\
               .find(r => r.children[2].textContent.trim() !== ''); return r.dataset.staff;",
            vec![],
        )
        .await
        .unwrap();
    set(&b, "#cell-staff", worker.as_str().unwrap()).await;
    set(&b, "#cell-date", &day(1)).await;
    set(&b, "#cell-template", "").await;
    b.submit("#cell-save").await;
    b.wait_for("#schedule-done").await;
    let after: u64 = b.text("#score-uncovered").await.parse().unwrap();
    assert!(after > before, "{after} > {before}");
    b.submit("#link-coverage").await;
    b.wait_for("table.heat").await;
    assert!(
        !b.all("table.heat td.gap").await.is_empty(),
        "the gap is red"
    );
    b.submit("#back-grid").await;
    b.submit("#publish").await;
    b.wait_for("#schedule-done").await;
    assert_eq!(b.text("#roster-status").await, "已发布");
    b.logout().await;

    // The agent: their shifts this week and tonight's on-duty number.
    b.login("agent1").await;
    b.goto("/schedule/mine").await;
    b.wait_for("#my-shifts").await;
    assert!(!b.all("#my-shifts .my-shift").await.is_empty());
    assert!(b.text("#on-duty").await.contains("400-800-1234"));

    // Leave and a swap from the inbox.
    b.submit("#link-requests").await;
    set(&b, "#leave-kind", "annual").await;
    set(&b, "#leave-start", &day(20)).await;
    set(&b, "#leave-end", &day(21)).await;
    b.type_into("#leave-reason", "回老家").await;
    b.submit("#leave-submit").await;
    b.wait_for("#requests-done").await;
    assert_eq!(b.all("#leave .leave[data-status=pending]").await.len(), 1);
    let mine = db
        .published_shifts(Some(&agent1), &day(1), &day(6))
        .await
        .unwrap();
    let given = mine.first().expect("agent1 works this week").day.clone();
    set(&b, "#swap-date", &given).await;
    set(&b, "#swap-colleague", &agent2).await;
    b.type_into("#swap-reason", "孩子生病").await;
    b.submit("#swap-submit").await;
    b.wait_for("#requests-done").await;
    assert_eq!(b.all("#swaps .swap[data-status=proposed]").await.len(), 1);
    b.logout().await;

    b.login("agent2").await;
    b.goto("/schedule/requests").await;
    b.type_into(".swap-note", "可以，我来").await;
    b.submit(".swap-accept").await;
    b.wait_for("#requests-done").await;
    assert!(b.text("#swaps .evidence").await.contains("可以，我来"));
    b.logout().await;

    b.login("lead").await;
    b.goto("/schedule/requests").await;
    b.submit(".swap-reject").await;
    b.wait_for("#requests-done").await;
    assert_eq!(b.all("#swaps .swap[data-status=rejected]").await.len(), 1);
    b.submit(".leave-approve").await;
    b.wait_for("#requests-done").await;
    assert_eq!(b.all("#leave .leave[data-status=approved]").await.len(), 1);

    // The staffing calculator (published: 10 erlangs, 80 % in 20 s → 14, 20 with 30 %).
    b.goto("/schedule/staffing").await;
    b.type_into("#calc-calls", "100").await;
    b.type_into("#calc-aht", "180").await;
    b.type_into("#calc-answer", "20").await;
    b.type_into("#calc-occupancy", "100").await;
    b.submit("#calc").await;
    assert_eq!(b.text("#calc-on-phone").await, "14");
    assert_eq!(b.text("#calc-scheduled").await, "20");
    assert_eq!(b.all("#what-if tr.chosen").await.len(), 1);
    b.type_into("#calc-sl", "120").await;
    b.submit("#calc").await;
    b.wait_for("#calc-error").await;
}
