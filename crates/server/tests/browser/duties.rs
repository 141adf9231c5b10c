//! The duty pages: the shift lead opens "my duties" from the navigation, sees the missed
//! duty logs highlighted as overdue, is told why a log that was not written cannot be the
//! deliverable, completes one with a link; the overdue page lists everyone's late duties
//! and filters by person, and the wallboard counts them; an agent has neither the overdue
//! page nor its link.

use super::*;
use kefu_store::duties::DutyStatus;

pub async fn duties_pages_mine_complete_and_overdue(b: Browser) {
    let db = b.state.db();
    let now = b.state.clock().now();
    let off = kefu_store::tickets::local_offset();
    let today = now.with_timezone(&off).date_naive();
    // The scheduler's run for today, and the two days before that no server ran.
    db.generate_duty_tasks(
        now,
        today - chrono::Duration::days(2),
        today + chrono::Duration::days(7),
    )
    .await
    .expect("generate duty tasks");
    let lead = db
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "lead")
        .expect("the demo lead");
    let missed: Vec<_> = db
        .list_duty_tasks(Some(&lead.id), DutyStatus::Overdue(now), 50, None)
        .await
        .expect("overdue")
        .items
        .into_iter()
        .filter(|t| t.duty_text.contains("值班日志"))
        .collect();
    assert_eq!(missed.len(), 2, "the daily duty log of the two days before");

    b.login("lead").await;
    b.click("#nav-duties").await;
    b.wait_for("#duties-open").await;
    assert!(b.text("#section-overdue").await.contains("已逾期"));
    for t in &missed {
        let row = format!(
            "tr.duty-row.overdue[data-section=overdue][data-id='{}']",
            t.id
        );
        assert!(b.text(&row).await.contains("值班日志"), "{row}");
    }
    let today_rows = b.all("tr.duty-row[data-section=today]").await;
    assert!(!today_rows.is_empty(), "today's duty log");
    assert!(b
        .text("tr.duty-row[data-section=today]")
        .await
        .contains("每日"));

    // A duty log that was not written cannot be the deliverable.
    let first = format!("tr.duty-row[data-id='{}']", missed[0].id);
    b.click(&format!("{first} summary")).await;
    b.click(&format!("{first} select.duty-kind option[value=log]"))
        .await;
    let day = missed[0].period_key.clone();
    b.type_into(
        &format!("{first} input.duty-ref"),
        &format!("duty-log/{day}/a"),
    )
    .await;
    b.submit(&format!("{first} button.duty-done")).await;
    let error = b.text("#duty-error").await;
    assert!(error.contains(&format!("duty-log/{day}/a")), "{error}");
    // The refused task's form is open again; a link is accepted.
    b.click(&format!("{first} select.duty-kind option[value=link]"))
        .await;
    b.type_into(
        &format!("{first} input.duty-ref"),
        "https://intranet.example.com/duty/1",
    )
    .await;
    b.type_into(&format!("{first} input.duty-note"), "补记")
        .await;
    b.submit(&format!("{first} button.duty-done")).await;
    b.wait_for("#duty-completed").await;
    assert!(b.all(&first).await.is_empty(), "no longer open");
    let done = b.text("#duties-done").await;
    assert!(done.contains("https://intranet.example.com/duty/1") && done.contains("补记"));

    // Everyone's overdue duties: the other missed day is still there.
    b.click("#overdue-link").await;
    b.wait_for("#duties-overdue").await;
    let second = format!("#duties-overdue tr[data-id='{}']", missed[1].id);
    assert!(b.text(&second).await.contains(&lead.display_name));
    assert!(b
        .all(&format!("#duties-overdue tr[data-id='{}']", missed[0].id))
        .await
        .is_empty());
    let everyone = b.all("#duties-overdue tbody tr").await.len();
    b.click(&format!("#f-user option[value='{}']", lead.id))
        .await;
    b.submit("#overdue-filter button").await;
    let rows = b.all("#duties-overdue tbody tr").await;
    assert!(!rows.is_empty());
    for r in rows {
        assert!(r.text().await.unwrap().contains(&lead.display_name));
    }
    b.click("#nav-wallboard").await;
    b.wait_for("#wallboard").await;
    assert_eq!(b.text("#wb-duties-overdue").await, everyone.to_string());
    b.logout().await;

    // An agent sees their own duties page, but not everyone's.
    b.login("agent1").await;
    b.click("#nav-duties").await;
    b.wait_for("#duties-open").await;
    assert!(b.all("#overdue-link").await.is_empty());
    b.goto("/duties/overdue").await;
    assert!(b.text("#error-message").await.contains("report.view"));
    assert!(b.all("#duties-overdue").await.is_empty());
}
