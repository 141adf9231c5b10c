//! The customers' pages and the logs: a ticket opened through the public form is found
//! on the status page by number plus phone; an agent's work log shows the day's ticket
//! and keeps its text; a shift lead writes the duty log.

use super::Browser;
use fantoccini::Locator;
use serde_json::json;

pub async fn public_form_gives_a_number_the_status_page_shows(b: Browser) {
    b.goto("/public/tickets/new").await;
    b.wait_for("#public-ticket-form").await;
    assert!(
        b.client.find(Locator::Css("header.top")).await.is_err(),
        "no staff chrome on the public pages"
    );
    b.type_into("#name", "王先生").await;
    b.type_into("#phone", "139 1234 5678").await;
    b.client
        .find(Locator::Css("#ticket_type option[value=repair]"))
        .await
        .expect("repair option")
        .click()
        .await
        .expect("choose repair");
    b.type_into("#subject", "热水器不出热水").await;
    b.type_into("#description", "上周购买，今天开始不出热水")
        .await;
    b.click("#submit-ticket").await;
    let number = b.text("#public-number").await;
    assert!(number.starts_with("GD"), "{number}");

    b.submit("#status-link").await;
    b.wait_for("#status-form").await;
    assert_eq!(
        b.value("#number").await,
        Some(number.clone()),
        "the link fills in the number"
    );
    // A wrong phone finds nothing.
    b.type_into("#phone", "13800000000").await;
    b.submit("#lookup").await;
    assert!(b.text("#lookup-error").await.contains("没有找到"));
    b.type_into("#phone", "13912345678").await;
    b.submit("#lookup").await;
    assert_eq!(b.text("#public-ticket-number").await, number);
    assert_eq!(b.text("#public-status").await, "新建");
    assert!(b.text("#public-promise").await.contains("48"));
    assert!(b.text("#public-timeline").await.contains("已受理您的工单"));

    // An agent claims and answers it; the customer sees the answer, signed 客服.
    b.login("agent1").await;
    b.goto("/workspace?queue=unassigned").await;
    assert!(b.text("#tickets").await.contains(&number));
    let (status, t) = b
        .api("GET", &format!("/api/v1/tickets/{number}"), json!(null))
        .await;
    assert_eq!(status, 200);
    let id = t["id"].as_str().unwrap().to_string();
    for (path, body) in [
        ("claim", json!({})),
        ("notes", json!({"body": "内部：型号待确认"})),
        (
            "replies",
            json!({"channel": "phone", "body": "师傅明天上午上门检修"}),
        ),
    ] {
        let (status, body) = b
            .api("POST", &format!("/api/v1/tickets/{id}/{path}"), body)
            .await;
        assert_eq!(status, 204, "{path}: {body}");
    }
    b.logout().await;
    b.goto(&format!("/public/status?number={number}&phone=13912345678"))
        .await;
    let timeline = b.text("#public-timeline").await;
    assert!(timeline.contains("师傅明天上午上门检修"), "{timeline}");
    assert!(timeline.contains("客服"), "{timeline}");
    assert!(
        !timeline.contains("张丽") && !timeline.contains("型号待确认"),
        "{timeline}"
    );
    assert_eq!(b.text("#public-status").await, "已分派");
}

pub async fn work_log_shows_the_days_ticket_and_keeps_the_text(b: Browser) {
    b.login("agent1").await;
    let (status, created) = b
        .api(
            "POST",
            "/api/v1/tickets",
            json!({"type": "inquiry", "subject": "查询订单物流", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let number = created["number"].as_str().unwrap().to_string();
    b.goto("/workspace").await;
    b.submit("#work-log-link").await;
    let table = b.text("#worklog-tickets").await;
    assert!(
        table.contains(&number) && table.contains("查询订单物流"),
        "{table}"
    );
    assert!(table.contains("创建工单 ×1"), "{table}");
    b.type_into("#worklog-text", "上午处理物流查询；客户反馈短信通知太慢")
        .await;
    b.submit("#worklog-save").await;
    b.wait_for("#worklog-saved").await;
    assert_eq!(
        b.value("#worklog-text").await,
        Some("上午处理物流查询；客户反馈短信通知太慢".to_string()),
        "the saved text is shown again"
    );
    b.logout().await;

    // The shift lead reads it (read-only) and writes the duty log.
    b.login("lead").await;
    let (_, me) = b.api("GET", "/api/v1/me", json!(null)).await;
    assert_eq!(me["username"], "lead");
    b.goto("/work-log").await;
    b.wait_for("#worklog-user").await;
    b.client
        .find(Locator::XPath(
            "//select[@id='worklog-user']/option[text()='张丽']",
        ))
        .await
        .expect("张丽 in the list")
        .click()
        .await
        .expect("choose 张丽");
    b.submit("#worklog-pick button").await;
    b.wait_for_text("#worklog-who", "张丽", |t| t == "张丽")
        .await;
    assert!(b.text("#worklog-text-view").await.contains("短信通知太慢"));
    assert!(b.text("#worklog-tickets").await.contains(&number));

    b.submit("a[href='/duty-log']").await;
    b.wait_for("#dutylog-empty").await;
    b.type_into("#staffing", "张丽、刘洋到岗").await;
    b.type_into("#incidents", "电话系统中断 5 分钟").await;
    b.type_into("#handover", &format!("{number} 待回电")).await;
    b.submit("#dutylog-save").await;
    b.wait_for("#dutylog-saved").await;
    assert!(b.text("#dutylog-lead").await.contains("李娜"));
    assert_eq!(
        b.value("#incidents").await,
        Some("电话系统中断 5 分钟".to_string())
    );
}
