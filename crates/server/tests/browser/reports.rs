//! The report page: the shift lead opens it from the navigation, sees the chart and the
//! table, narrows it with the filters, follows a total to the records behind it (as many
//! as the cell says), downloads the sheet, switches to the complaint statistics, and
//! opens the manager's dashboard, whose first headline lists as many records as it says,
//! and reads a scheduled report from the archive; an agent has no link to either.

use super::*;

pub async fn report_filters_chart_drill_down_and_export(b: Browser) {
    b.login("agent1").await;
    assert!(
        b.all("#nav-reports").await.is_empty(),
        "agents have no reports"
    );
    b.logout().await;

    b.login("lead").await;
    // A ticket of today, so that the month so far has at least one.
    b.goto("/reports").await;
    let (status, body) = b
        .api(
            "POST",
            "/api/v1/tickets",
            json!({"type": "consultation", "channel": "phone", "subject": "报表页测试",
                   "description": "浏览器测试开的工单"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    b.click("#nav-reports").await;
    b.wait_for("#report-table").await;
    assert!(
        !b.all("#report-chart rect").await.is_empty(),
        "a bar per day"
    );
    assert!(b.text("#report-described").await.contains("按日"));

    // By agent, over the last 30 days.
    let today = b
        .state
        .clock()
        .now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let from = today - chrono::Duration::days(30);
    b.client
        .execute(
            "document.querySelector('#report-filters input[name=from]').value = arguments[0];\
             document.querySelector('#report-filters select[name=group]').value = 'agent';",
            vec![json!(from.to_string())],
        )
        .await
        .unwrap();
    b.mark_page().await;
    b.click("#report-show").await;
    b.wait_new_page().await;
    b.wait_for("#report-table").await;
    assert!(b.text("#report-described").await.contains("坐席"));
    let header = b
        .text("#report-table thead tr:nth-child(2) th:first-child")
        .await;
    assert_eq!(header, "坐席");

    // The total of tickets opened, followed to its records.
    let col = b
        .client
        .execute(
            "const ths = [...document.querySelectorAll('#report-table thead tr:nth-child(2) th')];\
             return ths.findIndex(th => th.dataset.metric === 'tickets_opened');",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(col > 0);
    let css = format!("#report-total > :nth-child({})", col + 1);
    let total: i64 = b.text(&css).await.parse().unwrap();
    assert!(total >= 1, "the ticket opened above");
    b.mark_page().await;
    b.click(&format!("{css} a")).await;
    b.wait_new_page().await;
    b.wait_for("#drill-list").await;
    assert_eq!(b.text("#drill-total").await, total.to_string());
    let listed = b.all("#drill-list tbody tr").await.len() as i64;
    assert_eq!(listed, total.min(100));
    assert!(b.text("#drill-list").await.contains("报表页测试"));
    b.mark_page().await;
    b.click("#drill-back").await;
    b.wait_new_page().await;
    b.wait_for("#report-table").await;

    // The sheet downloads as a workbook.
    let (href, status, size, kind) = b.download("#report-xlsx").await;
    assert!(href.contains("group=agent"), "{href}");
    assert_eq!(status, 200);
    assert!(size > 1000, "{size}");
    assert!(kind.contains("spreadsheetml"), "{kind}");

    // The complaint statistics: by cause, by month.
    b.mark_page().await;
    b.click("#report-presets a:nth-child(3)").await;
    b.wait_new_page().await;
    b.wait_for("#report-table").await;
    assert_eq!(
        b.text("#report-table thead tr:nth-child(2) th:first-child")
            .await,
        "投诉原因"
    );
    assert!(b.text("#report-table thead").await.contains("投诉"));

    // The manager's dashboard: a headline followed to its records.
    b.mark_page().await;
    b.click("#nav-dashboard").await;
    b.wait_new_page().await;
    b.wait_for("#dashboard-kpis").await;
    assert_eq!(b.all("#dashboard-trend rect.opened").await.len(), 30);
    assert!(!b.all("#dashboard-channels .hbar").await.is_empty());
    let opened = b
        .text("#dashboard-kpis .dash-tile:first-child strong")
        .await;
    b.mark_page().await;
    b.click("#dashboard-kpis .dash-tile:first-child").await;
    b.wait_new_page().await;
    b.wait_for("#drill-list").await;
    assert_eq!(b.text("#drill-total").await, opened);

    // The reports archive: last week's and last month's scheduled reports, read as pages.
    kefu_server::jobs::make_scheduled_reports(&b.state)
        .await
        .unwrap();
    b.goto("/reports").await;
    b.mark_page().await;
    b.click("#report-archive").await;
    b.wait_new_page().await;
    b.wait_for("#archive-list").await;
    assert_eq!(b.all("#archive-list tbody tr[data-id]").await.len(), 4);
    assert!(b
        .text("#archive-list")
        .await
        .contains("月度服务质量分析报告"));
    b.mark_page().await;
    b.click("#archive-kinds a:nth-child(2)").await;
    b.wait_new_page().await;
    assert_eq!(b.all("#archive-list tbody tr[data-id]").await.len(), 1);
    b.mark_page().await;
    b.click("#archive-list .archive-open").await;
    b.wait_new_page().await;
    let h1 = b.text("h1").await;
    assert!(h1.starts_with("月度服务质量分析报告"), "{h1}");
    assert!(b.all("table").await.len() >= 4, "a table per section");
}
