//! The knowledge base over HTTP: writers write, readers read published articles only;
//! stale edits get 409, bad fields 422 naming the field; history, diff and restore;
//! scripts filled from a ticket the agent may see; attachments; categories.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::common::Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

async fn category(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let r = app
        .post(
            "/api/v1/knowledge/categories",
            token,
            json!({"name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

pub async fn writers_write_readers_read_published(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let scripts = category(&app, &lead, "话术", None).await;
    let calls = category(&app, &lead, "来电", Some(&scripts)).await;

    // Agents read but do not write.
    let refused = app
        .post("/api/v1/knowledge/categories", &agent, json!({"name": "x"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let body = json!({"title": "致歉话术", "body": "{客户姓名}您好", "kind": "script", "category_id": calls, "tags": ["逾期", "致歉"]});
    let refused = app
        .post("/api/v1/knowledge/articles", &agent, body.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("knowledge.write"));

    let created = app.post("/api/v1/knowledge/articles", &lead, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let a = created.json();
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["state"], "draft");
    assert_eq!(a["version"], 1);
    assert_eq!(a["category_path"], json!(["话术", "来电"]));
    assert_eq!(a["placeholders"], json!(["客户姓名"]));
    assert_eq!(a["tags"], json!(["致歉", "逾期"]));

    // A draft does not exist for readers.
    let hidden = app
        .get(&format!("/api/v1/knowledge/articles/{id}"), &agent)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/knowledge/articles", &agent).await.json();
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    let drafts = app
        .get("/api/v1/knowledge/articles?state=draft", &agent)
        .await;
    assert_eq!(drafts.status, StatusCode::FORBIDDEN);
    let lead_list = app.get("/api/v1/knowledge/articles", &lead).await.json();
    assert_eq!(lead_list["items"].as_array().unwrap().len(), 1);
    let hist = app
        .get(&format!("/api/v1/knowledge/articles/{id}/versions"), &agent)
        .await;
    assert_eq!(hist.status, StatusCode::NOT_FOUND);

    // Publish: now agents see it, in its category and under its parent.
    let published = app
        .post(
            &format!("/api/v1/knowledge/articles/{id}/publish"),
            &lead,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    assert_eq!(published.json()["state"], "published");
    let again = app
        .post(
            &format!("/api/v1/knowledge/articles/{id}/publish"),
            &lead,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "already_published");
    let seen = app
        .get(&format!("/api/v1/knowledge/articles/{id}"), &agent)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    for q in [
        format!("category_id={scripts}"),
        "kind=script".into(),
        format!("tag={}", "%E9%80%BE%E6%9C%9F"),
    ] {
        let l = app
            .get(&format!("/api/v1/knowledge/articles?{q}"), &agent)
            .await
            .json();
        assert_eq!(l["items"].as_array().unwrap().len(), 1, "{q}: {l}");
    }
    let faq = app
        .get("/api/v1/knowledge/articles?kind=faq", &agent)
        .await
        .json();
    assert!(faq["items"].as_array().unwrap().is_empty());
    let cats = app.get("/api/v1/knowledge/categories", &agent).await.json();
    assert_eq!(cats[0]["name"], "话术");
    assert_eq!(cats[1]["depth"], 1);

    // Archive hides it again; the audit log has every write.
    let archived = app
        .post(
            &format!("/api/v1/knowledge/articles/{id}/archive"),
            &lead,
            json!({}),
        )
        .await;
    assert_eq!(archived.json()["state"], "archived");
    assert_eq!(
        app.get(&format!("/api/v1/knowledge/articles/{id}"), &agent)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let manager = app.login("manager").await;
    let audit = app
        .get(&format!("/api/v1/audit?subject_id={id}"), &manager)
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "knowledge.article_create",
        "knowledge.article_publish",
        "knowledge.article_archive",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    app.cleanup().await;
}

pub async fn stale_edits_conflict_and_bad_fields_are_named(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let cat = category(&app, &lead, "产品", None).await;
    let base = json!({"title": "保修", "body": "两年", "kind": "faq", "category_id": cat});
    for (patch, code, field) in [
        (json!({"title": "  "}), "invalid_title", "title"),
        (json!({"body": ""}), "invalid_body", "body"),
        (json!({"kind": "memo"}), "invalid_kind", "kind"),
        (json!({"audience": "world"}), "invalid_audience", "audience"),
        (
            json!({"category_id": "nope"}),
            "unknown_category",
            "category_id",
        ),
        (json!({"tags": ["x".repeat(31)]}), "invalid_tags", "tags"),
    ] {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/api/v1/knowledge/articles", &lead, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{patch}: {}",
            r.text()
        );
        assert_eq!(r.error_code(), code, "{patch}");
        assert_eq!(r.json()["error"]["field"], field, "{patch}");
    }
    let unknown_field = app
        .post(
            "/api/v1/knowledge/articles",
            &lead,
            json!({"title": "x", "nope": 1}),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = app
        .post("/api/v1/knowledge/articles", &lead, base.clone())
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/knowledge/articles/{id}");
    let mut edit = base.clone();
    edit["version"] = json!(1);
    edit["body"] = json!("整机保修两年\n电源一年");
    let saved = put(&app, &path, &lead, edit.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["version"], 2);
    // Someone else still on version 1.
    edit["body"] = json!("旧的修改");
    let stale = put(&app, &path, &lead, edit.clone()).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "stale_version");
    assert!(stale.text().contains("version 2"), "{}", stale.text());
    let missing_version = put(&app, &path, &lead, base.clone()).await;
    assert_eq!(missing_version.status, StatusCode::UNPROCESSABLE_ENTITY);
    edit["version"] = json!(2);
    assert_eq!(
        put(&app, "/api/v1/knowledge/articles/nope", &lead, edit)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Categories: duplicates, cycles, deleting a used one.
    let dup = app
        .post(
            "/api/v1/knowledge/categories",
            &lead,
            json!({"name": "产品"}),
        )
        .await;
    assert_eq!(
        (dup.status, dup.error_code().as_str()),
        (StatusCode::CONFLICT, "duplicate_category")
    );
    let child = category(&app, &lead, "路由器", Some(&cat)).await;
    let cycle = put(
        &app,
        &format!("/api/v1/knowledge/categories/{cat}"),
        &lead,
        json!({"name": "产品", "parent_id": child}),
    )
    .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cycle.error_code(), "category_cycle");
    let used = app
        .api(
            Method::DELETE,
            &format!("/api/v1/knowledge/categories/{cat}"),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(
        (used.status, used.error_code().as_str()),
        (StatusCode::CONFLICT, "category_not_empty")
    );
    let gone = app
        .api(
            Method::DELETE,
            &format!("/api/v1/knowledge/categories/{child}"),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let renamed = put(
        &app,
        &format!("/api/v1/knowledge/categories/{cat}"),
        &lead,
        json!({"name": "产品与服务"}),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::NO_CONTENT);
    let a = app.get(&path, &lead).await.json();
    assert_eq!(a["category_path"], json!(["产品与服务"]));
    app.cleanup().await;
}

pub async fn history_diff_and_restore(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let cat = category(&app, &lead, "制度", None).await;
    let created = app
        .post(
            "/api/v1/knowledge/articles",
            &lead,
            json!({"title": "首问负责制", "body": "一\n二\n三", "kind": "policy", "category_id": cat, "publish": true}),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/knowledge/articles/{id}");
    let edited = put(
        &app,
        &path,
        &lead,
        json!({"version": 1, "title": "首问负责制（修订）", "body": "一\n<b>二</b>\n三", "kind": "policy", "category_id": cat}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());

    let versions = app.get(&format!("{path}/versions"), &agent).await.json();
    let list: Vec<(i64, &str)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(list, [(2, "update"), (1, "create")]);
    assert!(
        versions[0].get("body").is_none(),
        "the list leaves bodies out"
    );
    let v1 = app.get(&format!("{path}/versions/1"), &agent).await.json();
    assert_eq!(v1["body"], "一\n二\n三");
    assert_eq!(v1["author"], "李娜");
    assert_eq!(
        app.get(&format!("{path}/versions/9"), &agent).await.status,
        StatusCode::NOT_FOUND
    );

    let diff = app.get(&format!("{path}/diff?from=1"), &agent).await.json();
    let ops: Vec<&str> = diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["equal", "delete", "insert", "equal"]);
    assert_eq!(diff["fields"][0]["field"], "title");
    let html = diff["html"].as_str().unwrap();
    assert!(
        html.contains("&lt;b&gt;二&lt;/b&gt;") && !html.contains("<b>"),
        "{html}"
    );

    // Agents cannot restore; the lead can, as version 3 with version 1's content.
    let refused = app
        .post(&format!("{path}/versions/1/restore"), &agent, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stale = app
        .post(
            &format!("{path}/versions/1/restore"),
            &lead,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(stale.error_code(), "stale_version");
    let restored = app
        .post(&format!("{path}/versions/1/restore"), &lead, json!({}))
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text());
    let r = restored.json();
    assert_eq!(
        (r["version"].as_i64(), r["title"].as_str()),
        (Some(3), Some("首问负责制"))
    );
    assert_eq!(r["body"], "一\n二\n三");
    assert_eq!(r["state"], "published");
    let versions = app.get(&format!("{path}/versions"), &lead).await.json();
    assert_eq!(versions[0]["action"], "restore");
    assert_eq!(versions[0]["restored_from"], 1);
    let none = app.get(&format!("{path}/diff?from=1"), &lead).await.json();
    assert!(none["fields"].as_array().unwrap().is_empty());
    assert!(none["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["op"] == "equal"));
    app.cleanup().await;
}

pub async fn scripts_fill_from_tickets_the_agent_may_see(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let tech = app.login("tech1").await;
    let cat = category(&app, &lead, "话术", None).await;
    let body = "{客户姓名}您好，{工号}号{坐席姓名}为您服务。工单 {工单号} 将在 {承诺时间} 前答复。{客户电话}\n\n<script>alert(1)</script>";
    let a = app
        .post(
            "/api/v1/knowledge/articles",
            &lead,
            json!({"title": "受理话术", "body": body, "kind": "script", "category_id": cat, "publish": true}),
        )
        .await
        .json();
    let id = a["id"].as_str().unwrap().to_string();
    assert!(!a["html"].as_str().unwrap().contains("<script"), "{a}");
    let t = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"type": "complaint", "subject": "快递未送达", "contact_name": "王<芳>", "contact_phone": "13800138000"}),
        )
        .await
        .json();
    let (ticket_id, number) = (t["id"].as_str().unwrap(), t["number"].as_str().unwrap());

    let filled = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/script?ticket={ticket_id}"),
            &agent,
        )
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.text());
    let f = filled.json();
    let text = f["text"].as_str().unwrap();
    assert!(
        text.starts_with("王<芳>您好，KF101号张丽为您服务。"),
        "{text}"
    );
    assert!(text.contains(&format!("工单 {number} 将在 20")), "{text}");
    assert!(
        text.contains("{客户电话}"),
        "unknown placeholders stay visible"
    );
    assert_eq!(f["unknown"], json!(["客户电话"]));
    assert!(f["missing"].as_array().unwrap().is_empty(), "{f}");
    assert!(
        !text.contains("13800138000") && !text.contains("8000"),
        "no phone: {text}"
    );
    let html = f["html"].as_str().unwrap();
    assert!(
        html.contains("王&lt;芳&gt;") && !html.contains("<script"),
        "{html}"
    );
    // By number too.
    let by_number = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/script?ticket={number}"),
            &agent,
        )
        .await
        .json();
    assert_eq!(by_number["ticket_id"], ticket_id);
    // Without a ticket, the ticket's placeholders are reported missing.
    let bare = app
        .get(&format!("/api/v1/knowledge/articles/{id}/script"), &agent)
        .await
        .json();
    assert_eq!(bare["missing"], json!(["客户姓名", "工单号", "承诺时间"]));
    // 技术部 may not see the intake ticket: the script cannot read it either.
    let hidden = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/script?ticket={ticket_id}"),
            &tech,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text());
    // A call needs call.handle.
    let call = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/script?call=nope"),
            &tech,
        )
        .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

pub async fn attachments_upload_list_download(backend: TestBackend) {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    let cat = category(&app, &lead, "手册", None).await;
    let id = app
        .post(
            "/api/v1/knowledge/articles",
            &lead,
            json!({"title": "说明书", "body": "见附件", "kind": "manual", "category_id": cat, "publish": true}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let upload = |token: &str, bytes: &[u8]| {
        let boundary = "kefuboundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"说明书.pdf\"\r\nContent-Type: text/html\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/knowledge/articles/{id}/attachments"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let refused = app.send(upload(&agent, b"%PDF-1.7 x")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let r = app.send(upload(&lead, b"%PDF-1.7 manual")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let att = r.json()["id"].as_str().unwrap().to_string();
    let list = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/attachments"),
            &agent,
        )
        .await
        .json();
    assert_eq!(list[0]["filename"], "说明书.pdf");
    assert_eq!(
        list[0]["content_type"], "application/pdf",
        "sniffed, not as sent"
    );
    let file = app
        .get(
            &format!("/api/v1/knowledge/articles/{id}/attachments/{att}"),
            &agent,
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, b"%PDF-1.7 manual");
    let disposition = file.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let empty = app.send(upload(&lead, b"")).await;
    assert_eq!(empty.error_code(), "empty_file");
    app.cleanup().await;
}
