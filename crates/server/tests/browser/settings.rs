//! The administration pages: organization and tokens, business calendars and holidays,
//! SLA policies.

use super::*;

/// The calendar settings: split-shift hours saved, a bad period refused with its code, a
/// company holiday added, renamed and deleted in the table, and a year imported.
pub async fn calendar_settings_edit_hours_days_and_import(b: Browser) {
    b.login("manager").await;
    b.click("#nav-settings").await;
    b.wait_for("#week-working").await;
    assert_eq!(b.path().await, "/settings/calendar");
    let sunday = "#week-on_duty input[name=d6]";
    b.type_into(sunday, "09:00-12:00 14:00-18:00").await;
    b.submit("#week-on_duty button[type=submit]").await;
    b.wait_for("#week-working").await;
    let saved = b.value(sunday).await;
    assert_eq!(saved.as_deref(), Some("09:00-12:00 14:00-18:00"));

    b.type_into("#week-working input[name=d0]", "09:00-25:00")
        .await;
    b.submit("#week-working button[type=submit]").await;
    b.wait_for("#error-message").await;
    // Wait for the answer page: the old page may still be showing.
    b.wait_for_text("body", "the invalid_span error", |t| {
        t.contains("invalid_span")
    })
    .await;

    b.goto("/settings/calendar?year=2027").await;
    assert_eq!(
        b.value("#day-2027-02-14 select[name=kind]")
            .await
            .as_deref(),
        Some("workday"),
        "Sunday 14 February 2027 is a make-up day"
    );
    b.type_into("#day-add input[name=date]", "2027-12-24").await;
    b.type_into("#day-add input[name=name]", "公司年会").await;
    b.submit("#day-add button[type=submit]").await;
    let row = b.text("#day-2027-12-24").await;
    assert!(row.contains("周五"), "the weekday is shown: {row}");
    let name = "#day-2027-12-24 input[name=name]";
    assert_eq!(b.value(name).await.as_deref(), Some("公司年会"));
    b.type_into(name, "年会").await;
    b.submit("#day-2027-12-24 button[type=submit]:not(.danger)")
        .await;
    b.wait_for("#day-2027-12-24").await;
    assert_eq!(b.value(name).await.as_deref(), Some("年会"));
    b.submit("#day-2027-12-24 button.danger").await;
    b.wait_for("#days").await;
    assert!(b.all("#day-2027-12-24").await.is_empty(), "deleted");

    b.type_into(
        "#import-form textarea[name=text]",
        "2027-01-01 holiday # 元旦\n2027-02-06 holiday # 春节\n",
    )
    .await;
    b.submit("#import-form button[type=submit]").await;
    b.wait_for("#days").await;
    assert_eq!(
        b.all("#days tbody tr").await.len(),
        2,
        "the year was replaced"
    );
    assert_eq!(
        b.value("#day-2027-02-06 input[name=name]").await.as_deref(),
        Some("春节")
    );
}

/// The SLA settings: a policy for VIP complaints added, chosen by the preview, changed
/// and deleted; an agent sees no settings link.
pub async fn sla_settings_create_preview_edit_delete(b: Browser) {
    b.login("manager").await;
    b.goto("/settings/sla").await;
    assert!(b.text("#policies").await.contains("默认"));
    b.type_into("#name", "VIP 投诉").await;
    b.click("#ticket_type option[value=complaint]").await;
    b.click("#tier option[value=VIP]").await;
    b.click("#calendar option[value=\"24x7\"]").await;
    b.type_into("#first_response_minutes", "30").await;
    b.type_into("#resolution_minutes", "1440").await;
    b.submit("#save-policy").await;
    b.wait_for_text("#policies", "the new policy", |t| t.contains("VIP 投诉"))
        .await;

    b.click("#preview-form select[name=type] option[value=complaint]")
        .await;
    b.click("#preview-form select[name=tier] option[value=VIP]")
        .await;
    b.submit("#preview-form button[type=submit]").await;
    let preview = b.text("#preview").await;
    assert!(preview.contains("VIP 投诉"), "{preview}");

    let row = "//table[@id='policies']//tr[contains(., 'VIP 投诉')]";
    b.mark_page().await;
    b.client
        .find(Locator::XPath(&format!("{row}//a")))
        .await
        .expect("edit link")
        .click()
        .await
        .expect("click edit");
    b.wait_new_page().await;
    b.wait_for("#policy-form").await;
    assert!(b.text("#policy-form h2").await.contains("VIP 投诉"));
    b.type_into("#first_response_minutes", "15").await;
    b.submit("#save-policy").await;
    b.wait_for("#policies").await;
    let text = b
        .client
        .find(Locator::XPath(row))
        .await
        .expect("the row")
        .text()
        .await
        .unwrap();
    assert!(text.contains("15") && !text.contains("30"), "{text}");
    b.mark_page().await;
    b.client
        .find(Locator::XPath(&format!("{row}//button")))
        .await
        .expect("delete button")
        .click()
        .await
        .expect("click delete");
    b.wait_new_page().await;
    b.wait_for("#policies").await;
    assert!(!b.text("#policies").await.contains("VIP 投诉"), "deleted");

    b.logout().await;
    b.login("agent1").await;
    assert!(
        b.all("#nav-settings").await.is_empty(),
        "agents do not configure"
    );
}

/// The organization page shows the department tree; the tokens page creates a token and
/// shows its secret once.
pub async fn org_and_token_pages_render_for_manager(b: Browser) {
    b.login("manager").await;
    b.goto("/org").await;
    let tree = b.text("#departments").await;
    assert!(
        tree.contains("客户服务中心"),
        "the department tree: {tree:?}"
    );
    assert!(
        !b.all("table#staff tbody tr").await.is_empty(),
        "staff are listed"
    );

    b.goto("/tokens").await;
    b.wait_for("table#tokens").await;
    b.type_into("form[action=\"/tokens\"] input[name=name]", "报表同步")
        .await;
    b.click("form[action=\"/tokens\"] button[type=submit]")
        .await;
    let token = b.text("#new-token").await;
    assert!(token.starts_with("kefu_t_"), "the new token: {token:?}");
    let listed = b.text("table#tokens").await;
    assert!(
        listed.contains("报表同步"),
        "the token is listed: {listed:?}"
    );
    assert!(
        !listed.contains(&token),
        "the list shows only a prefix, never the secret"
    );
}
