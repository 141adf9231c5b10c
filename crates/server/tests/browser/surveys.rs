//! Survey pages: the customer answers on a phone-sized window through a link the agent
//! made on the answer page, sees the thanks, and a second visit is refused; the results
//! page shows the dissatisfied answer with its follow-up; the settings page creates a
//! template and refuses a bad threshold; the agent records answers on a callback.

use super::Browser;
use fantoccini::Locator;
use serde_json::{json, Value};

async fn template_and_customer(b: &Browser, name: &str) -> (String, String) {
    let (status, created) = b
        .api(
            "POST",
            "/api/v1/surveys/templates",
            json!({"name": name, "questions": [
                {"kind": "csat", "text": "您对本次服务满意吗？", "required": true},
                {"kind": "multiple", "text": "哪些方面需要改进？", "options": ["速度", "态度"]},
                {"kind": "text", "text": "其他意见"}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, list) = b.api("GET", "/api/v1/customers?limit=1", Value::Null).await;
    (
        created["id"].as_str().unwrap().to_string(),
        list["items"][0]["id"].as_str().unwrap().to_string(),
    )
}

async fn choose(b: &Browser, css: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}`: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
}

pub async fn customer_answers_a_survey_link_on_a_phone(b: Browser) {
    b.login("manager").await;
    let (template, customer) = template_and_customer(&b, "售后回访").await;
    // The agent makes the link on the answer page (no gateway yet: it is shown to send).
    b.goto(&format!(
        "/surveys/answer?customer={customer}&template={template}"
    ))
    .await;
    b.submit("#send-link").await;
    let url = b.text("#sent-url").await;
    assert!(b.text("#sent-message").await.contains(&url));
    let path = format!("/s/{}", url.split("/s/").nth(1).expect("a survey link"));
    b.logout().await;

    b.client
        .set_window_size(390, 844)
        .await
        .expect("phone-sized window");
    b.goto(&path).await;
    assert_eq!(b.text("#survey-title").await, "售后回访");
    assert!(
        b.client.find(Locator::Css("header.top")).await.is_err(),
        "no staff chrome"
    );
    let page = b.client.source().await.unwrap();
    assert!(page.contains("name=\"viewport\""), "mobile viewport");
    // The required question left out: refused, and the typed text stays.
    b.type_into("#q3", "等了三天才送到").await;
    choose(&b, "#question-q2 input[value='速度']").await;
    b.submit("#survey-submit").await;
    assert!(b.text("#survey-error").await.contains("第 1 题"));
    assert_eq!(b.value("#q3").await.as_deref(), Some("等了三天才送到"));
    assert!(b
        .client
        .find(Locator::Css("#question-q1.has-error"))
        .await
        .is_ok());
    let kept = b
        .client
        .find(Locator::Css("#question-q2 input[value='速度']"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("true"));
    choose(&b, "#question-q1 input[value='2']").await;
    b.submit("#survey-submit").await;
    assert!(b.text("#survey-thanks").await.contains("感谢"));

    // The link takes one answer.
    b.goto(&path).await;
    let refused = b.wait_for("#survey-refused").await;
    assert_eq!(
        refused.attr("data-code").await.unwrap().as_deref(),
        Some("survey_link_used")
    );
    assert!(b.text("#survey-refused").await.contains("已经提交过"));
    // A forged link says so, and nothing about anyone.
    b.goto("/s/not-a-real-link").await;
    let forged = b.wait_for("#survey-refused").await;
    assert_eq!(
        forged.attr("data-code").await.unwrap().as_deref(),
        Some("survey_link_forged")
    );

    b.client.set_window_size(1280, 900).await.expect("desktop");
    b.login("manager").await;
    b.goto("/surveys?dissatisfied=1").await;
    assert_eq!(b.text("#summary-answers").await, "1");
    assert_eq!(b.text("#summary-csat").await, "2");
    let row = b.text("#responses tr.response-row").await;
    assert!(
        row.contains("等了三天才送到") && row.contains("速度"),
        "{row}"
    );
    let followup = b.text("#responses a.followup").await;
    assert!(followup.starts_with("GD"), "{followup}");
}

pub async fn survey_settings_and_agent_answer_pages(b: Browser) {
    b.login("manager").await;
    b.goto("/settings/surveys").await;
    b.type_into("#tpl-name", "投诉回访").await;
    b.type_into("#text-0", "您对投诉处理结果满意吗？").await;
    choose(&b, "#required-0").await;
    choose(&b, "#kind-1 option[value='single']").await;
    b.type_into("#text-1", "问题解决了吗？").await;
    b.type_into("#options-1", "已解决").await;
    // A choice with one option: refused, the form keeps what was typed.
    b.submit("#save-template").await;
    assert!(b.text("#form-error").await.contains("第 2 题"));
    assert_eq!(b.value("#tpl-name").await.as_deref(), Some("投诉回访"));
    b.type_into("#options-1", "已解决\n未解决").await;
    b.submit("#save-template").await;
    b.wait_for("#saved").await;
    assert!(b.text("#templates").await.contains("投诉回访"));
    // Thresholds: a CSAT of 5 would make every answer dissatisfied.
    b.type_into("#csat-max", "5").await;
    b.submit("#save-thresholds").await;
    assert!(b.text("#form-error").await.contains("满意度"));
    b.type_into("#csat-max", "3").await;
    b.submit("#save-thresholds").await;
    b.wait_for("#saved").await;
    assert_eq!(b.value("#csat-max").await.as_deref(), Some("3"));
    b.logout().await;

    // 回访专员 record the answers given on a callback.
    b.login("callback1").await;
    let (_, templates) = b.api("GET", "/api/v1/surveys/templates", Value::Null).await;
    let template = templates[0]["id"].as_str().unwrap().to_string();
    let (_, list) = b.api("GET", "/api/v1/customers?limit=1", Value::Null).await;
    let customer = list["items"][0]["id"].as_str().unwrap().to_string();
    // The customer's page leads to the survey page.
    b.goto(&format!("/customers/{customer}")).await;
    b.submit("#customer-survey").await;
    b.wait_for("#agent-answer-form").await;
    b.goto(&format!(
        "/surveys/answer?customer={customer}&template={template}&callback=cb-9"
    ))
    .await;
    assert!(b.text("#answer-callback").await.contains("cb-9"));
    choose(&b, "#question-q1 input[value='3']").await;
    choose(&b, "#question-q2 input[value='未解决']").await;
    b.submit("#agent-answer-submit").await;
    let saved = b.text("#answer-saved").await;
    assert!(
        saved.contains("跟进工单"),
        "CSAT 3 is dissatisfied now: {saved}"
    );
    let number = b.text("#answer-followup").await;
    assert!(number.starts_with("GD"), "{number}");
    // Recording the same callback again is refused.
    choose(&b, "#question-q1 input[value='5']").await;
    b.submit("#agent-answer-submit").await;
    assert!(b.text("#answer-error").await.contains("已经记录过"));
    b.goto("/surveys").await;
    assert!(b.text("#responses").await.contains("回访电话"));
}
