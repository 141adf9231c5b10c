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
    // The list and its filter are stated above the table.
    assert_eq!(rows[0][0], "客户");
    assert_eq!(rows[1][0], "筛选条件: 标签: 导出测试");
    let header = rows
        .iter()
        .position(|r| r[0] == "姓名 name")
        .expect("a header row");
    assert_eq!(rows.len(), header + 2, "header + one customer");
    let row = &rows[header + 1];
    assert_eq!(row[0], "'=HYPERLINK(\"http://evil\",\"点我\")");
    assert_eq!(row[1], "'@SUM(A1)");
    assert_eq!(row[6], "13322223333", "the lead may read personal data");
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

/// Waits until a background export is no longer queued or running and returns it.
pub(crate) async fn finished(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    for _ in 0..400 {
        let v = app
            .get(&format!("/api/v1/exports/{id}"), token)
            .await
            .json();
        if !matches!(v["status"].as_str(), Some("queued" | "running")) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("export {id} did not finish");
}

/// How many rows a list's API returns under a query, walking every page.
async fn list_len(app: &TestApp, token: &str, path: &str, query: &str) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit=200&{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={}", crate::customers::urlencode(c)));
        }
        let page = app.get(&url, token).await;
        assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.text());
        let page = page.json();
        n += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return n,
        }
    }
}

/// How many exports the person has asked for.
async fn my_exports(app: &TestApp, token: &str) -> usize {
    let r = app.get("/api/v1/exports", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().unwrap().len()
}

pub(crate) fn sheet_rows(body: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body.to_vec())).expect("a real workbook");
    let sheet = wb.worksheet_range(name).unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

pub async fn background_exports_of_every_list(backend: TestBackend) {
    let app = crate::calls::cti_app(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let m = app.login("manager").await;
    let r = crate::calls::event(
        &app,
        json!({"event": "offered", "call_id": "exp-1", "at": crate::calls::at(&app, 0),
               "caller": "13800001111", "queue": "consultation"}),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.text());

    // A callback due now, so the queue has a row.
    let customers = app.get("/api/v1/customers?limit=1", &lead).await.json();
    let customer = customers["items"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/callbacks",
            &lead,
            json!({"customer_id": customer, "title": "导出回访"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // A visitor's chat, so the conversation list has a row: the `general` topic opened
    // around the clock first (by default it follows the on-duty hours, which would make
    // this depend on the time of day the test runs).
    let topics = app.get("/api/v1/chat/topics", &lead).await.json();
    let general = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "general")
        .expect("the demo's general topic");
    let r = app
        .api(
            axum::http::Method::PUT,
            &format!("/api/v1/chat/topics/{}", general["id"].as_str().unwrap()),
            Some(&lead),
            Some(json!({"code": "general", "name": "在线咨询", "routing": "least_busy", "hours": "24x7"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .api(
            axum::http::Method::POST,
            "/api/v1/chat/visitor/conversations",
            None,
            Some(json!({"topic": "general", "name": "导出访客"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Every list: the export holds exactly the rows its list holds for the person.
    let lists = [
        (&lead, "customers", "/api/v1/customers", "tier=VIP"),
        (&lead, "tickets", "/api/v1/tickets", ""),
        (&lead, "complaints", "/api/v1/complaints", ""),
        (&lead, "calls", "/api/v1/calls", "queue=consultation"),
        (&lead, "callbacks", "/api/v1/callbacks", "assignee=all"),
        (&m, "chats", "/api/v1/chat/conversations", "state=queued"),
        (&m, "audit", "/api/v1/audit", "action=auth.login"),
    ];
    for (token, kind, path, query) in lists {
        let expected = list_len(&app, token, path, query).await;
        let r = app
            .post(
                "/api/v1/exports",
                token,
                json!({"kind": kind, "format": "xlsx", "query": format!("{query}&cursor=x&format=csv")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{kind}: {}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let done = finished(&app, token, &id).await;
        assert_eq!(done["status"], "done", "{kind}: {done}");
        assert_eq!(done["rows_done"], expected as i64, "{kind}");
        assert!(done["bytes"].as_i64().unwrap() > 0);
        let file = app.get(done["download"].as_str().unwrap(), token).await;
        assert_eq!(file.status, StatusCode::OK, "{kind}");
        let rows = sheet_rows(&file.body, kind);
        // Title, filter and who exported it above the table; then the header and rows.
        assert!(
            rows[1][0].starts_with("筛选条件: "),
            "{kind}: {:?}",
            rows[1]
        );
        assert!(rows[2][0].starts_with("导出人: "), "{:?}", rows[2]);
        let data = rows.len() - 5;
        assert_eq!(data, expected, "{kind}: the sheet's rows");
        if kind == "customers" {
            assert_eq!(done["rows_total"], expected as i64);
            assert_eq!(done["percent"], 100);
            assert_eq!(rows[1][0], "筛选条件: 等级: VIP");
            assert!(rows[5..].iter().all(|r| r[3] == "VIP"));
        }
        if kind == "calls" {
            assert_eq!(rows[5][1], "13800001111", "the lead may read personal data");
        }
        if kind == "callbacks" {
            assert!(rows[5..].iter().any(|r| r[1] == "导出回访"), "{rows:?}");
        }
        if kind == "chats" {
            assert_eq!(rows[1][0], "筛选条件: 状态: queued");
            assert!(rows[5..].iter().any(|r| r[1] == "导出访客"), "{rows:?}");
        }
    }
    assert!(
        list_len(&app, &lead, "/api/v1/customers", "tier=VIP").await > 0,
        "the demo has VIP customers, so the comparison above means something"
    );

    // An agent's export of the call log masks the caller; CSV has no lines above the table.
    let r = app
        .post(
            "/api/v1/exports",
            &agent,
            json!({"kind": "calls", "format": "csv"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let done = finished(&app, &agent, &id).await;
    let csv = app
        .get(done["download"].as_str().unwrap(), &agent)
        .await
        .text();
    assert!(csv.starts_with("\u{feff}来电时间 started_at,"), "{csv}");
    assert!(
        csv.contains("138****1111") && !csv.contains("13800001111"),
        "{csv}"
    );

    // Each person sees only their own exports.
    let mine: Vec<String> = app
        .get("/api/v1/exports", &agent)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(mine, vec![id.clone()]);
    assert_eq!(
        app.get(&format!("/api/v1/exports/{id}"), &lead)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/exports/{id}/file"), &lead)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let lead_exports = my_exports(&app, &lead).await;
    assert_eq!(lead_exports, lists.len() - 2, "the lead's own lists");

    // Bad requests are refused before anything is queued, each with its reason.
    let forbidden = [(&agent, "customers"), (&agent, "chats"), (&lead, "audit")];
    for (token, kind) in forbidden {
        let r = app
            .post("/api/v1/exports", token, json!({"kind": kind}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{kind}: {}", r.text());
    }
    let invalid = [
        (json!({"kind": "orders"}), "invalid_kind"),
        (
            json!({"kind": "tickets", "format": "pdf"}),
            "invalid_format",
        ),
        (
            json!({"kind": "customers", "query": "colour=red"}),
            "invalid_query",
        ),
        (
            json!({"kind": "complaints", "query": "cause_id=nope"}),
            "unknown_cause",
        ),
        (
            json!({"kind": "calls", "query": "state=ringing"}),
            "invalid_state",
        ),
        (json!({"kind": "qa_inspections"}), "invalid_query"),
        (
            json!({"kind": "chats", "query": "state=waiting"}),
            "invalid_chat",
        ),
    ];
    for (body, code) in invalid {
        let r = app.post("/api/v1/exports", &lead, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.error_code(), code, "{body}: {}", r.text());
    }
    let r = app
        .post(
            "/api/v1/exports",
            &m,
            json!({"kind": "audit", "query": "from=yesterday"}),
        )
        .await;
    assert_eq!(r.error_code(), "invalid_date", "{}", r.text());
    assert_eq!(
        my_exports(&app, &lead).await,
        lead_exports,
        "nothing queued"
    );

    // Every export is audited with its list, filter and row count.
    let audit = app.get("/api/v1/audit?action=export.list", &m).await.json();
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details.len(),
        6,
        "tickets, complaints, callbacks, chats and two call logs: {details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("list=calls format=csv rows=1 personal_data=masked")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains(
            "list=calls format=xlsx rows=1 personal_data=clear filter=queue=consultation"
        )),
        "{details:?}"
    );
    app.cleanup().await;
}
