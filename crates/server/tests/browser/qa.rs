//! Quality inspection pages: the inspector adds a recorded call by hand and draws the
//! month's sample on the sample list, scores the call on the scoring page with the audio
//! player (speed, a comment at a moment of the recording, a coaching point) and
//! publishes; the agent finds the result on their own page and appeals; the shift lead
//! refuses the appeal; the inspector reads the evaluation sheet, writes the weekly
//! summary linked to the inspection, and changes the plan and the scorecard on the
//! settings page.

use super::*;

pub async fn inspection_pages_sample_score_appeal_sheet_and_summary(b: Browser) {
    let (call_id, _) = super::calls::seed_call(&b).await;
    let now = b.state.clock().now();
    let db = b.state.db();
    kefu_demo::load_demo_tickets(db, now)
        .await
        .expect("demo tickets");
    let agent_id = db
        .get_call(&call_id)
        .await
        .unwrap()
        .agent_id
        .expect("the CTI's agent number names an agent");
    let agent = db.get_user(&agent_id).await.unwrap().username;
    let month = kefu_server::app::qa::Month::of(now).code;

    // The inspector adds the recorded call by hand, then draws the month's sample.
    b.login("inspector").await;
    b.goto("/qa").await;
    let (status, added) = b
        .api(
            "POST",
            "/api/v1/qa/inspections",
            json!({"item_id": format!("call:{call_id}")}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let id = added["id"].as_str().unwrap().to_string();
    b.goto("/qa").await;
    b.submit("#qa-draw").await;
    b.wait_for("#qa-sample-report").await;
    assert!(
        b.all("#qa-mine .qa-row").await.len() > 1,
        "the sample joined the call"
    );
    let reasons = b.text("#qa-mine .qa-row[data-kind=call] .reasons").await;
    assert!(reasons.contains("手动加入"), "{reasons}");
    // The month's inspections export from the list, in the background.
    b.mark_page().await;
    b.click(".export-form[data-kind=qa_inspections] .export-csv")
        .await;
    b.wait_new_page().await;
    let row = b
        .wait_for_text("tr.export-row", "the QA export, done", |t| {
            t.contains("质检记录") && t.contains("已完成")
        })
        .await;
    assert!(row.contains(&format!("月份: {month}")), "{row}");
    b.goto("/qa").await;
    b.wait_for("#qa-sample-report").await;

    // The scoring page: the player plays the recording, at the speed chosen.
    b.mark_page().await;
    b.click("#qa-mine .qa-row[data-kind=call] a").await;
    b.wait_new_page().await;
    let player = b.wait_for("audio#qa-player").await;
    let src = player.attr("src").await.unwrap().unwrap_or_default();
    assert_eq!(src, format!("/api/v1/qa/inspections/{id}/recording"));
    let fetched = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0], {headers: {Range: 'bytes=0-3'}}).then(r => r.arrayBuffer() \
               .then(a => done([r.status, a.byteLength, r.headers.get('content-type')])));",
            vec![json!(src)],
        )
        .await
        .expect("fetch the recording");
    assert_eq!(
        fetched,
        json!([206, 4, "audio/wav"]),
        "seekable: byte ranges"
    );
    let rate = b
        .client
        .execute(
            "const s = document.querySelector('#qa-speed'); s.value = '1.5'; \
             s.dispatchEvent(new Event('change')); \
             return document.querySelector('#qa-player').playbackRate;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rate, json!(1.5));

    // A comment at 0:05, marked as a coaching point; a bad moment is refused.
    b.type_into("#comment-at", "0:x5").await;
    b.type_into("#comment-body", "开场未报工号").await;
    b.submit("#add-comment").await;
    assert!(!b.text("#qa-error").await.is_empty());
    assert_eq!(
        b.value("#comment-body").await.as_deref(),
        Some("开场未报工号")
    );
    b.client
        .execute(
            "document.querySelector('#comment-at').value = ''; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.type_into("#comment-at", "0:05").await;
    b.click("#comment-coaching").await;
    b.submit("#add-comment").await;
    let comment = b.text(".qa-comment.coaching").await;
    assert!(
        comment.contains("0:05") && comment.contains("开场未报工号"),
        "{comment}"
    );

    // Scores: a missing one is refused, then all five, and publish.
    b.submit("#save-scores").await;
    assert!(b.text("#qa-error").await.contains("服务用语"));
    b.client
        .execute(
            "for (const c of ['language', 'attitude', 'tone', 'needs', 'response']) { \
               document.querySelector('#score-' + c).value = '8'; } return true;",
            vec![],
        )
        .await
        .unwrap();
    b.type_into("#qa-summary", "流程规范，需报工号").await;
    b.submit("#save-scores").await;
    assert!(b.text("#qa-total").await.contains("80"));
    b.submit("#publish").await;
    assert_eq!(b.text("#qa-state").await, "已发布");
    b.logout().await;

    // The agent finds the result and appeals once, with a reason.
    b.login(&agent).await;
    b.goto("/qa/mine").await;
    assert_eq!(b.all("#qa-results .qa-row").await.len(), 1);
    b.mark_page().await;
    b.click("#qa-results .qa-row a").await;
    b.wait_new_page().await;
    assert!(
        b.all("#score-form select").await.is_empty(),
        "the agent cannot score"
    );
    b.submit("#send-appeal").await;
    assert!(!b.text("#qa-error").await.is_empty(), "a reason is needed");
    b.type_into("#appeal-reason", "开场已报工号，录音 0:02 处")
        .await;
    b.submit("#send-appeal").await;
    assert_eq!(b.text("#qa-state").await, "申诉中");
    assert!(b.all("#appeal-form").await.is_empty(), "only once");
    b.logout().await;

    // The shift lead refuses the appeal.
    b.login("lead").await;
    b.goto(&format!("/qa/inspections/{id}")).await;
    b.type_into("#decision-note", "复听 0:02 处未报工号").await;
    b.submit("#reject-appeal").await;
    assert_eq!(b.text("#qa-state").await, "申诉不成立");
    let record = b.text("#qa-record").await;
    for step in ["手动加入", "评分", "发布", "申诉", "申诉不成立"] {
        assert!(record.contains(step), "{step} on the record: {record}");
    }
    b.logout().await;

    // The evaluation sheet and the weekly summary.
    b.login("inspector").await;
    b.goto(&format!("/qa/sheet?agent={agent_id}&month={month}"))
        .await;
    assert_eq!(b.text("#sheet-count").await, "1");
    assert_eq!(b.all("#sheet-criteria .sheet-criterion").await.len(), 5);
    let href = b
        .wait_for("#sheet-xlsx")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(href.ends_with(&format!("/xlsx?month={month}")), "{href}");
    let today = now
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    b.goto(&format!("/qa/week?week={today}")).await;
    assert!(!b.all("#week-inspections .qa-row").await.is_empty());
    b.type_into("#problem-0", "开场未报工号较普遍").await;
    b.client
        .execute(
            "const s = document.querySelector('#problem-ev-0'); \
             [...s.options].find(o => o.text.includes(arguments[0])).selected = true; return true;",
            vec![json!(db.get_user(&agent_id).await.unwrap().display_name)],
        )
        .await
        .unwrap();
    b.type_into("#training-0", "周五复训服务用语").await;
    b.submit("#save-week").await;
    b.wait_for("#week-saved").await;
    assert_eq!(
        b.value("#problem-0").await.as_deref(),
        Some("开场未报工号较普遍")
    );
    let linked = b
        .client
        .execute(
            "return [...document.querySelector('#problem-ev-0').selectedOptions].length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(linked, json!(1));

    // The settings page: a bad plan (more at least than at most) is refused; a changed
    // criterion is a new revision of the scorecard.
    b.goto("/qa/settings").await;
    b.client
        .execute(
            "document.querySelector('#plan-min').value = '5'; \
             document.querySelector('#plan-max').value = '3'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#save-plan").await;
    assert!(!b.text("#settings-error").await.is_empty());
    b.client
        .execute(
            "document.querySelector('#plan-min').value = '1'; \
             document.querySelector('#plan-max').value = '4'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#save-plan").await;
    b.wait_for("#settings-saved").await;
    assert_eq!(b.value("#plan-max").await.as_deref(), Some("4"));
    b.client
        .execute(
            "document.querySelector('input[name=weight_0]').value = '30'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#save-card").await;
    b.wait_for("#settings-saved").await;
    assert!(
        b.text("#scorecards").await.contains("版本 2"),
        "{}",
        b.text("#scorecards").await
    );
}
