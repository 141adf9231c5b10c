//! Customer import: encodings, preview with row errors, all-or-nothing commit, XLSX,
//! bad files and oversized uploads.

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use kefu_test_support::TestBackend;

pub const BOUNDARY: &str = "kefu-test-boundary";

pub fn multipart(filename: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn upload(app: &TestApp, token: &str, filename: &str, content: &[u8]) -> Reply {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/customer-imports")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(filename, content)))
        .unwrap();
    app.send(req).await
}

const ROWS: &str = "姓名,手机,公司,等级,状态,性别,标签\n\
    李雷,13X11110001,北京新东方有限公司,A,已注册,男,重点;老客户\n\
    韩梅梅,+86 13X-1111-0002,,VIP,verified,女,\n\
    ,13X11110003,无名公司,B,,,\n\
    王坏号,12345,,C,,,\n\
    重复人,13X11110001,,C,,,\n\
    =HYPERLINK(\"http://x\"),13X11110004,,C,,,\n";

/// The rows with their mobile numbers in the 13`digit` range.
fn rows(digit: char) -> String {
    ROWS.replace("13X", &format!("13{digit}"))
}

pub async fn csv_in_every_encoding(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let admin = app.login("infoadmin").await;
    let utf8 = rows('8').into_bytes();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(rows('9').as_bytes());
    let gbk_text = rows('7');
    let (gbk, _, bad) = encoding_rs::GBK.encode(&gbk_text);
    assert!(!bad);
    for (name, bytes, encoding) in [
        ("utf8.csv", utf8, "UTF-8"),
        ("bom.csv", bom, "UTF-8 (BOM)"),
        ("gbk.csv", gbk.to_vec(), "gb18030"),
    ] {
        let r = upload(&app, &admin, name, &bytes).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text());
        let p = r.json();
        assert_eq!(p["encoding"], encoding, "{name}");
        assert_eq!(p["total_rows"], 6, "{name}");
        assert_eq!(p["valid_rows"], 3, "{name}: {p}");
        assert_eq!(p["sample"][0]["name"], "李雷", "{name} decodes Chinese");
        assert!(
            p["sample"][1]["mobile"]
                .as_str()
                .unwrap()
                .ends_with("****0002"),
            "{name}: masked in the preview"
        );
        let id = p["id"].as_str().unwrap();
        let done = app
            .post(
                &format!("/api/v1/customer-imports/{id}/commit"),
                &admin,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        assert_eq!(done.json()["status"], "committed");
    }
    let found = app
        .get(
            &format!(
                "/api/v1/customers?q={}",
                crate::customers::urlencode("韩梅梅")
            ),
            &admin,
        )
        .await
        .json();
    assert_eq!(
        found["items"].as_array().unwrap().len(),
        3,
        "one per encoding"
    );
    let lilei = app
        .get("/api/v1/customers?q=13811110001", &admin)
        .await
        .json();
    assert_eq!(
        lilei["items"][0]["tags"],
        serde_json::json!(["老客户", "重点"])
    );
    assert_eq!(lilei["items"][0]["status"], "registered");
    app.cleanup().await;
}

pub async fn preview_reports_row_errors_and_commit_is_all_or_nothing(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let admin = app.login("infoadmin").await;
    let before = count(&app, &admin).await;
    let r = upload(&app, &admin, "list.csv", rows('8').as_bytes()).await;
    let p = r.json();
    assert_eq!(
        count(&app, &admin).await,
        before,
        "the preview writes nothing"
    );
    let errors: Vec<(i64, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0, 4);
    assert!(errors[0].1.contains("name is required"));
    assert_eq!(errors[1].0, 5);
    assert!(errors[1].1.contains("phone"));
    assert_eq!(errors[2].0, 6);
    assert!(errors[2].1.contains("earlier in the file"));
    let id = p["id"].as_str().unwrap().to_string();
    let report = app
        .get(&format!("/api/v1/customer-imports/{id}/report"), &admin)
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(
        report.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(report.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = report.text();
    assert_eq!(text.lines().count(), 4, "header + 3 rejected rows: {text}");
    assert!(text.contains("王坏号") && text.contains("12345"));
    // Someone adds one of the file's numbers before the commit: that row is rejected then.
    let taken = app.post("/api/v1/customers", &admin, serde_json::json!({"name": "抢先", "contacts": [{"kind": "mobile", "value": "13811110002"}]})).await;
    assert_eq!(taken.status, StatusCode::CREATED);
    let done = app
        .post(
            &format!("/api/v1/customer-imports/{id}/commit"),
            &admin,
            serde_json::json!({}),
        )
        .await
        .json();
    assert_eq!(done["valid_rows"], 2);
    assert_eq!(done["rejected_rows"], 4);
    assert_eq!(count(&app, &admin).await, before + 3);
    let again = app
        .post(
            &format!("/api/v1/customer-imports/{id}/commit"),
            &admin,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "import_not_pending");
    // A duplicate of a stored customer is caught in the preview too.
    let dup = upload(
        &app,
        &admin,
        "dup.csv",
        "姓名,手机\n又一个李雷,13811110001\n".as_bytes(),
    )
    .await
    .json();
    assert_eq!(dup["valid_rows"], 0);
    assert!(dup["errors"][0]["error"].as_str().unwrap().contains("李雷"));
    let jobs = app.get("/api/v1/customer-imports", &admin).await.json();
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    let audit = app
        .get(
            &format!("/api/v1/audit?subject_id={id}"),
            &app.login("manager").await,
        )
        .await
        .json();
    assert_eq!(audit["items"][0]["action"], "customer.import");
    app.cleanup().await;
}

async fn count(app: &TestApp, token: &str) -> usize {
    let mut n = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/customers?limit=200{cursor}"), token)
            .await
            .json();
        n += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return n,
        }
    }
}

pub async fn xlsx_import(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let admin = app.login("infoadmin").await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in ["姓名", "手机", "公司", "等级"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "周杰").unwrap();
    sheet.write_number(1, 1, 13600001111.0).unwrap(); // numbers typed as numbers
    sheet.write_string(1, 2, "台北音乐有限公司").unwrap();
    sheet.write_string(1, 3, "VIP").unwrap();
    sheet.write_string(2, 0, "蔡依").unwrap();
    sheet.write_string(2, 1, "136 0000 2222").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let p = upload(&app, &admin, "客户.xlsx", &bytes).await.json();
    assert_eq!(p["format"], "xlsx");
    assert_eq!(p["valid_rows"], 2, "{p}");
    let id = p["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/customer-imports/{id}/commit"),
        &admin,
        serde_json::json!({}),
    )
    .await;
    let found = app
        .get("/api/v1/customers?q=13600001111", &admin)
        .await
        .json();
    assert_eq!(found["items"][0]["name"], "周杰");
    assert_eq!(found["items"][0]["tier"], "VIP");
    app.cleanup().await;
}

pub async fn bad_files_are_refused_clearly(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let admin = app.login("infoadmin").await;
    for (name, bytes, code) in [
        ("empty.csv", b"".to_vec(), "empty_file"),
        (
            "noheader.csv",
            "张三,13800000000\n".as_bytes().to_vec(),
            "unreadable_file",
        ),
        ("fake.xlsx", b"not a zip at all".to_vec(), "unreadable_file"),
        (
            "old.xls",
            b"\xD0\xCF\x11\xE0 old excel".to_vec(),
            "unsupported_format",
        ),
        ("blank.csv", b"\n\n\n".to_vec(), "unreadable_file"),
    ] {
        let r = upload(&app, &admin, name, &bytes).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{name}");
    }
    // Binary garbage under a UTF-8 header: the row is rejected, not imported garbled.
    let mut junk = "姓名,手机\n".as_bytes().to_vec();
    junk.extend_from_slice(b"\xFF\xFE\xFD\x80,13800000000\n");
    let p = upload(&app, &admin, "junk.csv", &junk).await.json();
    assert_eq!(p["valid_rows"], 0, "{p}");
    assert!(
        p["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("undecodable"),
        "{p}"
    );
    // A file whose header is not readable at all is refused with the reason.
    let r = upload(
        &app,
        &admin,
        "binary.csv",
        b"\x00\x01\xFF\xFE\x80\x81\n\x90\x91",
    )
    .await;
    assert_eq!(r.error_code(), "unreadable_file", "{}", r.text());
    assert!(r.text().contains("姓名"));
    // Undecodable characters in a UTF-8 file reject that row only.
    let mut mixed = "姓名,手机\n正常,13800000007\n".as_bytes().to_vec();
    mixed.extend_from_slice(b"\xE5\xBC,13800000008\n");
    let p = upload(&app, &admin, "mixed.csv", &mixed).await.json();
    assert_eq!(p["valid_rows"], 1, "{p}");
    assert!(
        p["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("undecodable"),
        "{p}"
    );
    // Ragged rows, quotes and embedded newlines are CSV, not errors.
    let tricky = "姓名,手机,备注\n\"张,三\",13800000009,\"多行\n备注\"\n李四,13800000010\n";
    let p = upload(&app, &admin, "tricky.csv", tricky.as_bytes())
        .await
        .json();
    assert_eq!(p["valid_rows"], 2, "{p}");
    assert_eq!(p["sample"][0]["name"], "张,三");
    let missing = app
        .get("/api/v1/customer-imports/nope/report", &admin)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let traversal = app
        .get("/api/v1/customer-imports/..%2F..%2Fetc/report", &admin)
        .await;
    assert_eq!(traversal.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

pub async fn oversized_uploads_get_413(backend: TestBackend) {
    let app = TestApp::with_config(backend, |c| c.max_upload_bytes = 1024 * 1024).await;
    let admin = app.login("infoadmin").await;
    // A declared 200 MB body is refused before a byte of it is read.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/customer-imports")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::CONTENT_LENGTH, (200u64 * 1024 * 1024).to_string())
        .body(Body::from_stream(futures::stream::once(async {
            Err::<Vec<u8>, std::io::Error>(std::io::Error::other("the body must not be read"))
        })))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(r.error_code(), "payload_too_large");
    // Without a declared length, the stream is cut off at the limit.
    let mut big = "姓名,手机\n".as_bytes().to_vec();
    big.resize(3 * 1024 * 1024, b'x');
    let body = multipart("big.csv", &big);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/customer-imports")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from_stream(futures::stream::iter(
            body.chunks(64 * 1024)
                .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                .collect::<Vec<_>>(),
        )))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let jobs = app.get("/api/v1/customer-imports", &admin).await.json();
    assert_eq!(jobs.as_array().unwrap().len(), 0, "nothing recorded");
    app.cleanup().await;
}
