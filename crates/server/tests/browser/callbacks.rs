//! The callback pages: the shift lead generates the plan tasks and creates one by hand;
//! the queue's tabs (today, overdue, by type) list them; the callback agent opens a task,
//! reads the filled-in script, a bad attempt keeps what was typed, an unreachable attempt
//! is retried and a done one closes the task with the callback record; the plans page
//! saves a plan and refuses a bad special date.

use super::Browser;

pub async fn callback_queue_task_page_and_plans(b: Browser) {
    b.login("lead").await;
    b.goto("/callbacks").await;
    b.wait_for("#callback-tabs").await;
    b.submit("#generate").await;
    let msg = b.text("#callback-message").await;
    assert!(msg.contains("定期"), "{msg}");
    // By type: the VIP monthly plan made periodic tasks.
    b.click("#tab-periodic").await;
    b.wait_for(".callback-row").await;
    assert!(!b.all(".callback-row").await.is_empty());

    // A task by hand for a customer; a bad customer id is refused and the form is kept.
    let customer = b
        .state
        .db()
        .list_customers(&Default::default(), None, 1)
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    b.goto("/callbacks").await;
    b.click("#create-callback summary").await;
    b.type_into("#create-customer", "nope").await;
    b.type_into("#create-title", "核实地址").await;
    b.submit("#create-save").await;
    assert!(b.text("#callback-error").await.contains("customer"));
    assert_eq!(b.value("#create-title").await.as_deref(), Some("核实地址"));
    b.type_into("#create-customer", &customer).await;
    b.submit("#create-save").await;
    b.wait_for("#script").await;
    let task = b.path().await;
    assert!(task.starts_with("/callbacks/"), "{task}");
    let callback2 = b
        .state
        .db()
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "callback2")
        .unwrap();
    b.click(&format!("#assign-to option[value='{}']", callback2.id))
        .await;
    b.submit("#assign-save").await;
    assert_eq!(b.text("#fact-assignee").await, callback2.display_name);
    b.logout().await;

    // The callback agent works it (today's queue, the task page).
    b.login("callback2").await;
    b.goto(&task).await;
    let script = b.text("#script-text").await;
    assert!(
        !script.contains("{客户姓名}") && !script.contains("{工号}"),
        "{script}"
    );
    assert!(b.text("#fact-phone").await.contains("****"), "masked");
    // The survey section links to the answer page for this callback.
    let survey = b.wait_for("#survey-link").await;
    let href = survey.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.contains("callback="), "{href}");
    // Later without a time: refused, the notes stay.
    b.click("#result-later").await;
    b.type_into("#attempt-notes", "客户正在开会").await;
    b.submit("#save-attempt").await;
    assert!(b.text("#attempt-error").await.contains("later_at"));
    assert_eq!(
        b.value("#attempt-notes").await.as_deref(),
        Some("客户正在开会")
    );
    b.click("#result-unreachable").await;
    b.submit("#save-attempt").await;
    b.wait_for(".attempt-row").await;
    assert_eq!(b.text("#fact-attempts").await, "1");
    b.click("#result-done").await;
    b.click("#attempt-outcome option[value=satisfied]").await;
    b.type_into("#contact-name", "王女士").await;
    b.type_into("#opinions", "服务周到").await;
    b.type_into("#suggestions", "希望周末也能配送").await;
    b.submit("#save-attempt").await;
    b.wait_for("#task-outcome").await;
    assert_eq!(b.text("#task-outcome").await, "满意");
    assert_eq!(b.text("#record-suggestions").await, "希望周末也能配送");
    assert_eq!(b.all(".attempt-row").await.len(), 2);
    assert!(
        b.all("#attempt-form").await.is_empty(),
        "closed: no more attempts"
    );
    b.goto("/callbacks?tab=overdue").await;
    b.wait_for("#tab-overdue.on").await;
    b.logout().await;

    // Plans: a bad special date is refused; a good one saved.
    b.login("lead").await;
    b.goto("/callbacks/plans").await;
    b.type_into("#plan-name", "店庆关怀").await;
    b.click("#plan-kind option[value=care]").await;
    b.type_into("#plan-special", "13-45").await;
    b.submit("#plan-save").await;
    assert!(b.text("#plans-error").await.contains("special_dates"));
    b.type_into("#plan-name", "店庆关怀").await;
    b.click("#plan-kind option[value=care]").await;
    b.type_into("#plan-special", "09-28").await;
    b.submit("#plan-save").await;
    b.wait_for("#plans-saved").await;
    assert_eq!(b.all(".plan-row").await.len(), 5);
}
