//! The performance pages: an agent has no link to them; the manager names the evaluated
//! position and a commission rate on the settings page, records a complaint against an
//! agent on that agent's breakdown, sees the ranking, is told that weights must add up to
//! 100, changes a weight and sees the ranking change, and calculates and records the
//! handbook's commission example.

use super::*;
use kefu_store::schedule::{NewRoster, NewShift};

/// The row of an agent in the ranking: its rank.
async fn rank(b: &Browser, agent: &str) -> String {
    b.wait_for(&format!("tr.perf-row[data-agent='{agent}']"))
        .await
        .attr("data-rank")
        .await
        .expect("attribute")
        .expect("a rank")
}

pub async fn performance_ranking_settings_and_commission(b: Browser) {
    b.login("agent1").await;
    assert!(
        b.all("#nav-performance").await.is_empty(),
        "agents have no evaluation pages"
    );
    b.logout().await;

    // agent1 was rostered for a shift that is over and left no trace of work in it.
    let db = b.state.db();
    let now = b.state.clock().now();
    let today = now
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let users = db.list_users().await.expect("users");
    let id = |name: &str| {
        users
            .iter()
            .find(|u| u.username == name)
            .map(|u| u.id.clone())
            .expect("a demo user")
    };
    let (a1, a2, a3) = (id("agent1"), id("agent2"), id("agent3"));
    let actor = kefu_store::audit::Actor {
        user_id: None,
        name: "test".into(),
        client_addr: None,
    };
    let roster = NewRoster {
        name: "today".into(),
        start_date: today.to_string(),
        end_date: today.to_string(),
        days: 1,
        problem: "{}".into(),
        report: "{}".into(),
        staff: vec![a1.clone()],
        shifts: vec![NewShift {
            staff_id: a1.clone(),
            day: today.to_string(),
            template_code: "a".into(),
            queue: "咨询".into(),
            starts_at: now - chrono::Duration::minutes(2),
            ends_at: now - chrono::Duration::minutes(1),
            on_call: false,
            locked: false,
        }],
    };
    let roster = db
        .create_roster(&actor, now, &roster)
        .await
        .expect("roster");
    db.publish_roster(&actor, now, &roster)
        .await
        .expect("publish");

    b.login("manager").await;
    b.click("#nav-performance").await;
    b.wait_for("#perf-ranking").await;
    assert_eq!(
        b.wait_for("#perf-state")
            .await
            .attr("data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("live")
    );
    assert!(b
        .wait_for("#perf-xlsx")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap()
        .ends_with("/export?format=xlsx"));

    // Settings: evaluate the 客服专员, 1% commission for them.
    let (status, rates) = b.api("GET", "/api/v1/performance/rates", json!(null)).await;
    assert_eq!(status, 200, "{rates}");
    let agent_pos = rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["position"] == "客服专员")
        .unwrap()["position_id"]
        .as_str()
        .unwrap()
        .to_string();
    b.click("#perf-settings-link").await;
    b.wait_for("#perf-scheme-form").await;
    b.click(&format!("input[name=positions][value='{agent_pos}']"))
        .await;
    b.submit("#perf-scheme-save").await;
    b.wait_for("#perf-saved").await;
    b.type_into(&format!("input[name='rate_{agent_pos}']"), "1")
        .await;
    b.submit("#perf-rates-save").await;
    b.wait_for("#perf-saved").await;

    // A complaint against agent2, recorded on their breakdown.
    b.goto("/performance").await;
    b.click(&format!("tr.perf-row[data-agent='{a2}'] a.perf-agent"))
        .await;
    b.wait_for("#perf-breakdown").await;
    assert!(
        !b.all("#perf-breakdown a.perf-drill").await.is_empty(),
        "figures link to the report records"
    );
    b.type_into("#perf-incident-note", "服务态度差").await;
    b.submit("#perf-incident-save").await;
    b.wait_for("#perf-incident-saved").await;
    assert!(b.text("#perf-incidents").await.contains("服务态度差"));
    assert!(
        b.text("#perf-breakdown").await.contains("80.00"),
        "one complaint: 80"
    );

    // Complaints and attendance weigh 10 each, nothing else is measured yet:
    // agent3 100 (rank 1), agent2 80, agent1 (0 of 1 shift) 50 last.
    b.click("#perf-back").await;
    b.wait_for("#perf-ranking").await;
    assert_eq!(rank(&b, &a3).await, "1");
    assert_eq!(rank(&b, &a2).await, "3");
    assert_eq!(rank(&b, &a1).await, "4");

    // Weights that do not add up to 100 are refused on the page.
    b.click("#perf-settings-link").await;
    b.type_into("#weight-attendance", "0").await;
    b.submit("#perf-scheme-save").await;
    assert!(b.text("#perf-error").await.contains("100"));
    // What was typed stays on the refused form.
    assert_eq!(b.value("#weight-attendance").await.as_deref(), Some("0"));
    b.type_into("#weight-attendance", "0").await;
    b.type_into("#weight-qa", "35").await;
    b.submit("#perf-scheme-save").await;
    b.wait_for("#perf-saved").await;
    // Attendance no longer counts: agent1 shares the first place, agent2 is last.
    b.goto("/performance").await;
    b.wait_for("#perf-ranking").await;
    assert_eq!(rank(&b, &a1).await, "1");
    assert_eq!(rank(&b, &a2).await, "4");

    // Document 17: 100万, rent 60万, tax 10万 at 1% → 6,500 yuan.
    b.click("#perf-commission-link").await;
    b.wait_for("#commission-form").await;
    b.click(&format!("#commission-agent option[value='{a1}']"))
        .await;
    b.type_into("#commission-contract-no", "HT-001").await;
    b.type_into("#commission-deal", "年会").await;
    b.type_into("#commission-contract", "1000000").await;
    b.type_into("#commission-rent", "600000").await;
    b.type_into("#commission-tax", "100000").await;
    b.submit("#commission-record").await;
    assert_eq!(b.text("#commission-amount").await, "6500.00");
    assert!(b.text("#commission-list").await.contains("HT-001"));
    assert_eq!(b.text("td.commission-value").await, "6500.00");
    // Recording lands on a page of its own: reloading it records nothing twice.
    b.mark_page().await;
    b.client.refresh().await.expect("reload");
    b.wait_new_page().await;
    assert_eq!(b.all("tr.commission-row").await.len(), 1);
    // A rent too large is refused with the reason on the page (the form kept the rest).
    b.type_into("#commission-rent", "3000000").await;
    b.submit("#commission-calculate").await;
    assert!(!b.text("#commission-error").await.is_empty());
    // The commission recorded by mistake is withdrawn.
    b.submit("tr.commission-row .commission-withdraw").await;
    b.wait_for("#commission-withdrawn").await;
    assert!(b.all("tr.commission-row").await.is_empty());

    // So is agent2's complaint: the breakdown is back to full marks.
    b.goto("/performance").await;
    b.click(&format!("tr.perf-row[data-agent='{a2}'] a.perf-agent"))
        .await;
    b.wait_for("#perf-breakdown").await;
    b.submit("tr.perf-incident .perf-incident-withdraw").await;
    b.wait_for("#perf-incident-withdrawn").await;
    assert!(!b.text("#perf-incidents").await.contains("服务态度差"));
    assert!(b.all("tr.perf-incident").await.is_empty());
}
