//! The assignment tool (document 7): choose agents and a weight, preview, commit; then
//! the agent sees the first-contact task and records the contact.

use super::*;

pub async fn staff_id(b: &Browser, username: &str) -> String {
    let (_, staff) = b.api("GET", "/api/v1/staff", json!(null)).await;
    staff
        .as_array()
        .expect("staff")
        .iter()
        .find(|s| s["username"] == username)
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no staff {username}"))
        .to_string()
}

fn added(cell: &str) -> u64 {
    cell.trim()
        .trim_start_matches('+')
        .parse()
        .unwrap_or_else(|_| panic!("added cell {cell:?}"))
}

/// A manager previews three waiting customers for two agents (one of weight 2), sees the
/// plan the API computes, commits it, and the agent finds the task and records the contact.
pub async fn assign_preview_then_commit(b: Browser) {
    b.login_to_customers("manager").await;
    for name in ["待分配甲", "待分配乙", "待分配丙"] {
        let (status, body) = b
            .api(
                "POST",
                "/api/v1/customers",
                json!({"name": name, "tier": "C"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let a1 = staff_id(&b, "agent1").await;
    let a2 = staff_id(&b, "agent2").await;
    b.submit("#assign-link").await;
    b.wait_for("#assign-form").await;

    // Nobody chosen: the page says so in place.
    b.submit("#preview").await;
    let error = b.text("#assign-error").await;
    assert!(error.contains("至少选择"), "{error}");

    b.click(&format!("#agent-{a1}")).await;
    b.click(&format!("#agent-{a2}")).await;
    b.type_into(&format!("tr[data-agent=\"{a2}\"] input.weight"), "2")
        .await;
    b.submit("#preview").await;
    let title = b.text("#preview-title").await;
    assert!(title.contains('3'), "{title}");
    // The weight was saved, and the page shows the plan the API computes.
    let (status, plan) = b
        .api(
            "POST",
            "/api/v1/assignment/preview",
            json!({"agent_ids": [a1, a2]}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["shares"][1]["weight"], 2);
    let mut total = 0;
    for (i, id) in [&a1, &a2].into_iter().enumerate() {
        let row = format!("#assign-plan tr[data-agent=\"{id}\"]");
        let shown = added(&b.text(&format!("{row} td.added")).await);
        assert_eq!(Some(shown), plan["shares"][i]["added"].as_u64(), "{id}");
        let after = b.text(&format!("{row} td.new-count")).await;
        assert_eq!(after, plan["shares"][i]["new_count"].to_string());
        total += shown;
    }
    assert_eq!(total, 3);
    assert!(
        b.wait_for(&format!("#agent-{a1}"))
            .await
            .is_selected()
            .await
            .unwrap(),
        "the choice stays ticked"
    );

    b.submit("#commit").await;
    let done = b.text("#assign-done").await;
    assert!(done.contains("已分配 3 位客户"), "{done}");
    assert!(b.all("#commit").await.is_empty(), "no second commit");
    let (_, waiting) = b
        .api(
            "GET",
            "/api/v1/customers?q=%E5%BE%85%E5%88%86%E9%85%8D",
            json!(null),
        )
        .await;
    let items = waiting["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|c| !c["owner"].is_null()), "{waiting}");

    // The organization page's hand-over link opens the page with the leaving agent chosen.
    b.goto(&format!(
        "/customers/assign?source=leaving&leaving_agent_id={a1}"
    ))
    .await;
    assert!(b
        .wait_for("#source-leaving")
        .await
        .is_selected()
        .await
        .unwrap());
    assert_eq!(
        b.value("#leaving_agent_id").await.as_deref(),
        Some(a1.as_str())
    );

    // The agent who got one finds it among the contact tasks and records the contact.
    let agent = if plan["shares"][0]["added"].as_u64() > Some(0) {
        "agent1"
    } else {
        "agent2"
    };
    b.logout().await;
    b.login_to_customers(agent).await;
    b.submit("#my-contact-tasks").await;
    let first = b.all("#contact-tasks tr[data-href] a").await;
    assert!(!first.is_empty(), "{agent} has a contact task");
    let before = first.len();
    b.mark_page().await;
    first[0].click().await.expect("open the customer");
    b.wait_new_page().await;
    let state = b.text("#customer-contact-tasks .task-state").await;
    assert_eq!(state, "待联系");
    b.type_into("#record-contact input[name=note]", "已电话联系")
        .await;
    b.submit("#record-contact-button").await;
    let state = b.text("#customer-contact-tasks .task-state").await;
    assert_eq!(state, "已联系");
    let timeline = b.text("#timeline").await;
    assert!(timeline.contains("已电话联系"), "{timeline}");
    b.goto("/contact-tasks").await;
    b.wait_for("#contact-tasks").await;
    assert_eq!(
        b.all("#contact-tasks tr[data-href] a").await.len(),
        before - 1
    );
}
