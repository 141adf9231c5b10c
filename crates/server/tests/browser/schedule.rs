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

/// The lead's setup page: a night shift added (past midnight, with a break), an agent's
/// hours changed, a colleague put on the schedule, and a coverage line that does not read
/// refused by its line number with nothing saved.
pub async fn setup_templates_agents_and_settings(b: Browser) {
    let now = b.state.clock().now();
    let db = b.state.db();
    kefu_demo::load_demo_schedule(db, now)
        .await
        .expect("demo schedule");
    let agent1 = db.get_user_by_username("agent1").await.unwrap().id;

    // An agent has no setup page.
    b.login("agent1").await;
    b.goto("/schedule").await;
    b.wait_for("#link-grid, #no-roster, #roster-grid").await;
    assert!(b.all("#link-setup").await.is_empty());
    b.logout().await;

    b.login("lead").await;
    b.goto("/schedule").await;
    b.submit("#link-setup").await;
    b.wait_for("#templates").await;
    assert_eq!(b.all("#templates .template").await.len(), 3, "a, b and c");

    b.type_into("#tpl-code", "n").await;
    b.type_into("#tpl-name", "夜班").await;
    b.type_into("#tpl-start", "22:00").await;
    b.type_into("#tpl-end", "06:00").await;
    b.type_into("#tpl-breaks", "02:00+30").await;
    b.submit("#tpl-save").await;
    b.wait_for("#setup-done").await;
    let night = b.text("#templates .template[data-code=n]").await;
    assert!(night.contains("22:00–06:00+1"), "{night}");
    assert!(night.contains("7.5 h"), "{night}");

    // agent1's rules: 36 contracted hours of at most 40.
    b.goto(&format!("/schedule/setup?agent={agent1}")).await;
    b.type_into("#agent-contract", "36").await;
    b.submit("#agent-save").await;
    b.wait_for("#setup-done").await;
    let row = b
        .text(&format!("#agents .agent[data-staff='{agent1}']"))
        .await;
    assert!(row.contains("36 / "), "{row}");

    // A colleague not yet on the schedule is put on it with the default rules.
    let before = b.all("#agents .agent").await.len();
    b.submit("#agent-save").await;
    b.wait_for("#setup-done").await;
    assert_eq!(b.all("#agents .agent").await.len(), before + 1);

    // A coverage line that does not read: refused by its number, nothing saved.
    let saved = db.get_schedule_settings().await.unwrap();
    set(
        &b,
        "#set-coverage",
        "咨询 1-7 09:00-24:00 1\n咨询 每天 09:00-24:00 1",
    )
    .await;
    b.submit("#set-save").await;
    let error = b.text("#setup-error").await;
    assert!(error.contains("line 2"), "{error}");
    assert_eq!(db.get_schedule_settings().await.unwrap(), saved);

    // Two agents from 09:00 to 17:00 on weekdays, and half as many calls again on a
    // promotion morning, saved.
    set(
        &b,
        "#set-coverage",
        "咨询 1-7 09:00-24:00 1\n咨询 1-5 09:00-17:00 2",
    )
    .await;
    set(&b, "#set-adjustments", "2026-12-12 咨询 09:00-12:00 1.5").await;
    b.submit("#set-save").await;
    b.wait_for("#setup-done").await;
    let saved = db.get_schedule_settings().await.unwrap();
    assert_eq!(saved.coverage.len(), 2);
    assert_eq!(
        (saved.coverage[1].weekdays.len(), saved.coverage[1].agents),
        (5, 2)
    );
    assert_eq!(
        (saved.adjustments.len(), saved.adjustments[0].factor),
        (1, 1.5)
    );
    assert_eq!(
        b.value("#set-adjustments").await.as_deref(),
        Some("2026-12-12 咨询 09:00-12:00 1.5")
    );
}
