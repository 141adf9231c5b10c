//! Outbound campaigns (主动拨打): the manager defines and starts a campaign and follows
//! its progress; the agent works the day's calling list from the workspace; do-not-call
//! on the customer page.

use super::*;

const TAG: &str = "浏览器活动";

/// Registered (not verified) customers with the test tag; returns their ids.
async fn seed_customers(b: &Browser, names: &[&str], first_phone: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (status, body) = b
            .api(
                "POST",
                "/api/v1/customers",
                json!({"name": name, "tier": "B", "status": "registered", "tags": [TAG],
                       "contacts": [{"kind": "mobile",
                                     "value": format!("1375550{:04}", first_phone + i as u32)}]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    ids
}

/// The manager creates a campaign through the form (a bad quota is refused in place and
/// nothing typed is lost), starts it, sees its targets and progress, and imports a list.
pub async fn campaign_page_define_start_and_import(b: Browser) {
    b.login_to_customers("manager").await;
    seed_customers(&b, &["页面甲", "页面乙", "页面丙"], 0).await;
    let (_, extra) = b
        .api(
            "POST",
            "/api/v1/customers",
            json!({"name": "名单客户", "tier": "C", "status": "prospect",
                   "contacts": [{"kind": "mobile", "value": "13755509999"}]}),
        )
        .await;
    let a1 = staff_id(&b, "agent1").await;
    b.click("#nav-campaigns").await;
    b.wait_for("table#campaigns").await;
    b.click("#new-campaign").await;
    b.wait_for("#campaign-form").await;
    b.type_into("#name", "注册未认证激活").await;
    b.type_into("#daily_quota", "很多").await;
    b.type_into("#calling_hours", "00:00-24:00").await;
    b.type_into("#filter_tag", TAG).await;
    b.type_into("#script", "您好{客户姓名}，我是客服{工号}")
        .await;
    b.click(&format!("#agent-{a1}")).await;
    b.submit("#save-campaign").await;
    let error = b.text("#campaign-error").await;
    assert!(error.contains("每日拨打量"), "{error}");
    assert_eq!(b.value("#name").await.as_deref(), Some("注册未认证激活"));
    assert_eq!(b.value("#filter_tag").await.as_deref(), Some(TAG));
    assert!(b
        .wait_for(&format!("#agent-{a1}"))
        .await
        .is_selected()
        .await
        .unwrap());
    b.type_into("#daily_quota", "20").await;
    b.submit("#save-campaign").await;
    assert_eq!(b.text("#campaign-status").await, "草稿");
    b.submit("#action-start").await;
    assert_eq!(b.text("#campaign-status").await, "进行中");
    assert_eq!(
        b.text("#p-targets").await,
        "3",
        "the registered, tagged customers"
    );
    assert_eq!(b.text("#p-rate").await, "0.0%");

    // An imported list: a phone number of another customer, and a line that matches nobody.
    b.type_into("#lines", "137 5550 9999\n13700000000").await;
    b.submit("#import-submit").await;
    let flash = b.text("#campaign-flash").await;
    assert!(
        flash.contains("已加入 1 位客户") && flash.contains("未匹配"),
        "{flash}"
    );
    assert_eq!(b.text("#p-targets").await, "4");
    assert!(extra["id"].is_string());
    let row = format!("#per-agent tr[data-agent=\"{a1}\"] td.calls-today");
    assert_eq!(b.text(&row).await, "0 / 20");
    b.goto("/campaigns").await;
    let listed = b.text("table#campaigns").await;
    assert!(
        listed.contains("注册未认证激活") && listed.contains("进行中"),
        "{listed}"
    );
}

/// The agent opens the day's list from the workspace, a call back later without a time is
/// refused in place (the note stays), a conversion marks the customer verified; a
/// do-not-call customer set on the customer page leaves the list.
pub async fn agent_calling_list_records_outcomes(b: Browser) {
    b.login_to_customers("manager").await;
    let ids = seed_customers(&b, &["名单甲", "名单乙"], 100).await;
    let a1 = staff_id(&b, "agent1").await;
    let (status, c) = b
        .api(
            "POST",
            "/api/v1/campaigns",
            json!({"name": "回访激活", "script": "您好{客户姓名}，我是客服{工号}", "daily_quota": 5,
                   "calling_hours": "00:00-24:00", "retry_hours": 4, "max_attempts": 3,
                   "convert_to_status": "verified",
                   "filter": {"status": "registered", "tag": TAG}, "agent_ids": [a1]}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (status, _) = b
        .api(
            "POST",
            &format!("/api/v1/campaigns/{id}/status"),
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(status, 200);
    // The manager flags the second customer do-not-call on the customer page.
    b.goto(&format!("/customers/{}", ids[1])).await;
    b.submit("#do-not-call-toggle").await;
    b.wait_for("#do-not-call-mark").await;
    b.logout().await;

    b.login("agent1").await;
    b.goto("/workspace").await;
    b.click("#calling-list-link").await;
    b.wait_for("table#calling-list").await;
    let rows = b.all("#calling-list tr.to-call").await;
    assert_eq!(rows.len(), 1, "the do-not-call customer is not on the list");
    let row = format!("#calling-list tr[data-customer=\"{}\"]", ids[0]);
    let text = b.text(&row).await;
    assert!(text.contains("名单甲"), "{text}");
    let phone = b.text(&format!("{row} td.masked")).await;
    assert!(is_masked_mobile(&phone), "{phone}");
    b.click(&format!("{row} details summary")).await;
    let script = b.text(&format!("{row} .script-box")).await;
    assert!(
        script.contains("名单甲") && script.contains("KF101"),
        "{script}"
    );

    b.click(&format!(
        "{row} select.outcome option[value=call_back_later]"
    ))
    .await;
    b.type_into(&format!("{row} input.note"), "客户在开会")
        .await;
    b.submit(&format!("{row} button.record")).await;
    let error = b.text(&format!("{row} .call-error")).await;
    assert!(error.contains("回拨时间"), "{error}");
    assert_eq!(
        b.value(&format!("{row} input.note")).await.as_deref(),
        Some("客户在开会")
    );
    b.click(&format!("{row} select.outcome option[value=converted]"))
        .await;
    b.submit(&format!("{row} button.record")).await;
    b.wait_for(&format!("{row} .called-mark")).await;
    assert!(b.all("#calling-list tr.to-call").await.is_empty());
    b.goto(&format!("/customers/{}", ids[0])).await;
    let body = body_text(&b).await;
    assert!(
        body.contains("已认证"),
        "the conversion verified the customer"
    );
    assert!(body.contains("主动拨打：已转化"), "on the timeline");
}
