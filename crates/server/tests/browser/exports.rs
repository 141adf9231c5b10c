//! Exports from the list pages: the shift lead filters the customer list, presses 导出
//! Excel, lands on 我的导出 where the export shows its progress and turns into a download
//! by itself (the table refreshes without a reload), and the workbook downloads; the call
//! log and the complaint archive carry the same buttons; a bad filter is refused on the
//! page with its reason.

use super::*;

pub async fn list_export_runs_in_the_background_with_progress(b: Browser) {
    b.login("lead").await;
    b.goto("/customers?tier=VIP").await;
    b.wait_for("#customers").await;
    b.mark_page().await;
    b.click(".export-form[data-kind=customers] .export-xlsx")
        .await;
    b.wait_new_page().await;
    assert_eq!(b.path().await, "/exports");
    b.wait_for("#export-started").await;
    // The board refreshes itself until the export is done, then offers the file.
    let row = b
        .wait_for_text("tr.export-row", "a finished export", |t| {
            t.contains("已完成")
        })
        .await;
    assert!(row.contains("客户"), "{row}");
    assert!(row.contains("等级: VIP"), "{row}");
    let (href, status, size, kind) = b.download("tr.export-row a.download").await;
    assert!(href.starts_with("/api/v1/exports/"), "{href}");
    assert_eq!(status, 200);
    assert!(size > 1000, "{size}");
    assert!(kind.contains("spreadsheetml"), "{kind}");

    // The call log and the complaint archive have the same buttons.
    b.goto("/calls").await;
    b.wait_for(".export-form[data-kind=calls] .export-csv")
        .await;
    b.goto("/complaints").await;
    b.wait_for(".export-form[data-kind=complaints] .export-xlsx")
        .await;
    // So has the callback queue: its overdue tab, as CSV.
    b.goto("/callbacks?tab=overdue&assignee=all").await;
    b.mark_page().await;
    b.click(".export-form[data-kind=callbacks] .export-csv")
        .await;
    b.wait_new_page().await;
    let row = b
        .wait_for_text("tr.export-row", "the callback export, done", |t| {
            t.contains("回访任务") && t.contains("已完成")
        })
        .await;
    assert!(row.contains("队列: overdue"), "{row}");
    // The header links to the exports page.
    b.mark_page().await;
    b.click("#nav-exports").await;
    b.wait_new_page().await;
    assert_eq!(b.all("tr.export-row").await.len(), 2);

    // A filter the list refuses is refused here too, with its reason, and nothing starts.
    b.goto("/complaints?from=2026-12-31&to=2026-01-01").await;
    b.wait_for("#complaints, #filter-error").await;
    b.mark_page().await;
    b.click(".export-form[data-kind=complaints] .export-xlsx")
        .await;
    b.wait_new_page().await;
    assert!(
        b.text("#export-error").await.contains("to"),
        "the range error is shown"
    );
    assert_eq!(b.all("tr.export-row").await.len(), 2, "nothing was queued");
}
