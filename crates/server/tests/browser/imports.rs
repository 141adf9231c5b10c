//! The customer import page: preview with per-row errors, then commit.

use super::*;

/// A manager uploads a small CSV: the preview counts 2 valid and 1 rejected row, and the
/// commit imports it.
pub async fn import_csv_preview_and_commit(b: Browser) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("customers.csv");
    std::fs::write(
        &file,
        "姓名,手机,公司\n测试甲,17700000001,上海测试有限公司\n测试乙,17700000002,\n测试丙,12345678901,北京测试有限公司\n",
    )
    .expect("write the CSV");

    b.login("manager").await;
    b.goto("/customers/import").await;
    b.wait_for("#import-form").await;
    b.wait_for("#import-file")
        .await
        .send_keys(file.to_str().expect("UTF-8 path"))
        .await
        .expect("choose the file");
    b.click("#import-form button[type=submit]").await;
    let valid = b.text("#import-valid").await;
    let rejected = b.text("#import-rejected").await;
    assert_eq!(
        (valid.as_str(), rejected.as_str()),
        ("2", "1"),
        "preview counts"
    );
    assert_eq!(b.text("#import-status").await, "待确认");
    let errors = b.text("#import-errors").await;
    assert!(
        errors.contains('4'),
        "the rejected row is line 4: {errors:?}"
    );

    b.click("#commit").await;
    b.wait_for_text("#import-status", "已导入", |t| t == "已导入")
        .await;
    assert!(
        b.all("#commit").await.is_empty(),
        "no commit button once committed"
    );

    b.goto(&format!(
        "/customers?{}",
        serde_urlencoded::to_string([("q", "17700000001")]).expect("query")
    ))
    .await;
    b.wait_for("table#customers").await;
    let body = body_text(&b).await;
    assert!(
        body.contains("测试甲"),
        "the imported customer is in the list"
    );
}
