//! The knowledge base pages: browsing by category and kind, writing and editing an
//! article, its history with a diff and a restore, and a script filled for a ticket
//! with its copy button.

use super::Browser;
use serde_json::json;

/// A category and a published article through the API (as the page's session).
async fn seed(b: &Browser, title: &str, kind: &str, body: &str) -> (String, String) {
    let (status, cat) = b
        .api(
            "POST",
            "/api/v1/knowledge/categories",
            json!({"name": "服务话术"}),
        )
        .await;
    let category = if status == 201 {
        cat["id"].as_str().unwrap().to_string()
    } else {
        let (_, all) = b
            .api("GET", "/api/v1/knowledge/categories", json!(null))
            .await;
        all[0]["id"].as_str().unwrap().to_string()
    };
    let (status, a) = b
        .api(
            "POST",
            "/api/v1/knowledge/articles",
            json!({"title": title, "body": body, "kind": kind, "category_id": category, "publish": true}),
        )
        .await;
    assert_eq!(status, 201, "{a}");
    (category, a["id"].as_str().unwrap().to_string())
}

pub async fn knowledge_browse_by_category_and_kind(b: Browser) {
    b.login("lead").await;
    b.goto("/knowledge").await;
    b.wait_for("#articles").await;
    let (category, _) = seed(&b, "回访话术", "script", "您好，{客户姓名}").await;
    seed(&b, "保修政策", "faq", "两年 <script>alert(1)</script>").await;
    b.goto("/knowledge").await;
    b.click("#nav-knowledge").await;
    let all = b.text("#articles").await;
    assert!(
        all.contains("回访话术") && all.contains("保修政策"),
        "{all}"
    );
    b.submit("#kind-filter a[data-kind=script]").await;
    let scripts = b.text("#articles").await;
    assert!(
        scripts.contains("回访话术") && !scripts.contains("保修政策"),
        "{scripts}"
    );
    b.submit(&format!("#category-tree a[data-category=\"{category}\"]"))
        .await;
    assert!(b.text("#category-tree a.on").await.contains("服务话术"));
    b.submit("#kind-filter a[data-kind=faq]").await;
    b.submit("#articles a.article-link").await;
    b.assert_no_dialog().await;
    let body = b.text("#article-body").await;
    assert!(
        body.contains("<script>alert(1)</script>"),
        "raw HTML shown as text: {body}"
    );
    assert!(b.all("#article-body script").await.is_empty());

    // An agent sees published articles but no editing.
    b.logout().await;
    b.login("agent1").await;
    b.goto("/knowledge").await;
    assert!(b.text("#articles").await.contains("回访话术"));
    assert!(b.all("#new-article").await.is_empty());
}

pub async fn knowledge_edit_history_diff_restore(b: Browser) {
    b.login("lead").await;
    b.goto("/settings/knowledge").await;
    b.type_into("#category-name", "产品与服务").await;
    b.submit("#add-category").await;
    b.wait_for("#saved").await;
    b.goto("/knowledge").await;
    b.submit("#new-article").await;
    b.type_into("#title", "路由器保修政策").await;
    b.type_into("#tags", "保修，路由器").await;
    b.type_into("#body", "整机保修一年。").await;
    b.click("#publish-now").await;
    b.submit("#save-article").await;
    assert_eq!(b.text("#article-title").await, "路由器保修政策");
    assert_eq!(b.text("#article-version").await, "1");
    let article = b.path().await;

    // Edit: a blank title is refused with the input kept.
    b.submit("#edit-article").await;
    b.type_into("#title", " ").await;
    b.type_into("#body", "整机保修两年，电源一年。").await;
    b.submit("#save-article").await;
    assert!(b.text("#form-error").await.contains("title"));
    assert_eq!(
        b.value("#body").await.as_deref(),
        Some("整机保修两年，电源一年。")
    );
    b.type_into("#title", "路由器保修政策").await;
    b.submit("#save-article").await;
    assert_eq!(b.text("#article-version").await, "2");
    assert!(b.text("#article-body").await.contains("两年"));

    // History: compare version 1 with the current one, then restore it.
    b.submit("#history-link").await;
    b.submit("#version-1 a.diff-link").await;
    let diff = b.text("#diff").await;
    assert!(
        diff.contains("整机保修一年") && diff.contains("整机保修两年"),
        "{diff}"
    );
    assert_eq!(b.all("#diff tr.diff-delete").await.len(), 1);
    assert_eq!(b.all("#diff tr.diff-insert").await.len(), 1);
    b.submit("#version-1 button.restore").await;
    b.wait_for("#restored").await;
    assert_eq!(b.text("#current-version").await, "3");
    assert!(b.text("#version-3").await.contains("1"), "restored from 1");
    b.goto(&article).await;
    assert!(b.text("#article-body").await.contains("一年"));
}

pub async fn knowledge_script_filled_for_a_ticket_with_copy(b: Browser) {
    b.login("agent1").await;
    b.goto("/workspace").await;
    let (status, t) = b
        .api(
            "POST",
            "/api/v1/tickets",
            json!({"type": "complaint", "subject": "快递未送达", "contact_name": "王芳", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let number = t["number"].as_str().unwrap().to_string();
    b.logout().await;
    b.login("lead").await;
    b.goto("/knowledge").await;
    let (_, id) = seed(
        &b,
        "逾期致歉话术",
        "script",
        "{客户姓名}您好，我是{工号}号坐席。工单 {工单号} 原承诺 {承诺时间} 前答复，非常抱歉！",
    )
    .await;
    b.logout().await;

    b.login("agent1").await;
    b.goto(&format!("/knowledge/{id}")).await;
    assert!(b.text("#script-missing").await.contains("{工单号}"));
    b.type_into("#script-ticket", &number).await;
    b.submit("#fill-script").await;
    let html = b.text("#script-html").await;
    assert!(html.starts_with("王芳您好，我是KF101号坐席。"), "{html}");
    assert!(html.contains(&number), "{html}");
    assert!(b.all("#script-missing").await.is_empty());
    let text = b.value("#script-text").await.unwrap_or_default();
    assert!(
        text.contains(&number) && !text.contains("13800138000"),
        "{text}"
    );
    b.click("#copy-script").await;
    let status = b
        .wait_for_text("#copy-status", "a copy confirmation", |t| !t.is_empty())
        .await;
    assert!(status.contains("复制"), "{status}");
}
