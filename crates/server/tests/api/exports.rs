//! Exports: XLSX and CSV, read back; formula injection neutralized; audited; personal
//! data in the clear only for those who may read it.

use crate::common::TestApp;
use axum::http::{header, StatusCode};
use calamine::{Reader, Xlsx};
use kefu_test_support::TestBackend;
use serde_json::json;

pub async fn xlsx_and_csv_exports_are_neutralized_and_audited(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let r = app.post("/api/v1/customers", &lead, json!({"name": "=HYPERLINK(\"http://evil\",\"点我\")", "company": "@SUM(A1)",
        "tier": "VIP", "tags": ["导出测试"], "contacts": [{"kind": "mobile", "value": "13322223333"}]})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let tag = crate::customers::urlencode("导出测试");
    let xlsx = app
        .get(
            &format!("/api/v1/customers/export?format=xlsx&tag={tag}"),
            &lead,
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.text());
    assert!(xlsx.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(xlsx.body.clone())).expect("a real workbook");
    let sheet = wb.worksheet_range("customers").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "header + one customer");
    assert_eq!(rows[1][0], "'=HYPERLINK(\"http://evil\",\"点我\")");
    assert_eq!(rows[1][1], "'@SUM(A1)");
    assert_eq!(rows[1][6], "13322223333", "the lead may read personal data");
    let csv = app
        .get(
            &format!("/api/v1/customers/export?format=csv&tag={tag}"),
            &lead,
        )
        .await;
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"));
    let text = csv.text();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK"));
    // The information administrator also exports, the agent may not.
    let agent = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/customers/export", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app.get("/api/v1/customers/export?format=pdf", &lead).await;
    assert_eq!(bad.error_code(), "invalid_format");
    // Every export is in the audit log with its filter and row count.
    let m = app.login("manager").await;
    let audit = app
        .get("/api/v1/audit?action=customer.export", &m)
        .await
        .json();
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2);
    assert!(
        details.iter().all(|d| d.contains("rows=1")
            && d.contains("tag=导出测试")
            && d.contains("personal_data=clear")),
        "{details:?}"
    );
    // The audit log itself exports (and that is audited too).
    let a = app
        .get("/api/v1/audit/export?format=csv&action=customer.export", &m)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.text().lines().count(), 3);
    let audit = app
        .get("/api/v1/audit?action=audit.export", &m)
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    app.cleanup().await;
}
