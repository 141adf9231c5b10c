//! Reports over the API: one engineer's ticket across the Spring Festival break, counted in
//! working hours on the office calendar; every cell of the demo center's report as long as
//! its drill-down list; the sheet read back with its filter stated and formulas
//! neutralized; bad parameters named; agents refused.

use crate::common::TestApp;
use crate::tickets::open_ticket;
use axum::http::{header, StatusCode};
use calamine::{Reader, Xlsx};
use chrono::{TimeZone, Utc};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

/// The percent-encoded form of a query value.
fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/reports?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

/// The cell of `metric` in a row (or the total when `row` is `None`).
fn cell<'a>(r: &'a Value, row: Option<&str>, metric: &str) -> &'a Value {
    let i = r["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["metric"] == metric)
        .unwrap_or_else(|| panic!("no column {metric}"));
    let row = match row {
        None => &r["total"],
        Some(k) => r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == k)
            .unwrap_or_else(|| panic!("no row {k} in {r}")),
    };
    &row["cells"][i]
}

/// Every cell with records: its drill-down total and list are its `n`.
async fn every_cell_drills_to_its_count(app: &TestApp, token: &str, query: &str) -> usize {
    let r = report(app, token, query).await;
    let columns = r["columns"].as_array().unwrap().clone();
    let mut rows: Vec<Value> = r["rows"].as_array().unwrap().clone();
    rows.push(r["total"].clone());
    let mut checked = 0;
    for row in &rows {
        for (i, c) in row["cells"].as_array().unwrap().iter().enumerate() {
            let n = c["n"].as_i64().unwrap();
            if n == 0 {
                continue;
            }
            let metric = columns[i]["metric"].as_str().unwrap();
            let key = row["key"].as_str().unwrap();
            let d = app
                .get(
                    &format!(
                        "/api/v1/reports/drill?{query}&metric={metric}&row={}&limit=500",
                        enc(key)
                    ),
                    token,
                )
                .await;
            assert_eq!(d.status, StatusCode::OK, "{}", d.text());
            let d = d.json();
            assert_eq!(d["total"], n, "{metric} row {key:?}: {d}");
            assert_eq!(
                d["items"].as_array().unwrap().len() as i64,
                n.min(500),
                "{metric} row {key:?}"
            );
            checked += 1;
        }
    }
    checked
}

async fn engineer_login(app: &TestApp) -> String {
    let r = app
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "eng9", "password": "engineer-pass"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["token"].as_str().unwrap().to_string()
}

/// Opened Friday 2026-02-13 10:00, the day before the Spring Festival break (make-up
/// working day Saturday the 14th, holidays 15–23 Feb), first answered at 11:00, resolved
/// Tuesday the 24th at 10:00 and reopened at 11:00. On the office calendar (09:00–12:00,
/// 13:30–18:00): 1 working hour to the first response; 6.5 h (Fri) + 7.5 h (Sat) + 1 h
/// (Tue) = 15 working hours to resolution, where the clock on the wall says 264 h.
pub async fn working_hours_drill_down_and_sheets(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2026, 2, 13, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::starting_at(backend, start).await;
    let manager = app.login("manager").await;

    // An engineer whose name a spreadsheet would take for a formula.
    let positions = app.get("/api/v1/positions", &manager).await.json();
    let engineer = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "研发工程师")
        .unwrap();
    let dept = engineer["department_id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v1/staff",
            &manager,
            json!({"username": "eng9", "display_name": "=HYPERLINK(\"http://evil\")",
                   "password": "engineer-pass", "education": "bachelor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let eng_id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/staff/{eng_id}/positions"),
            &manager,
            json!({"position_id": engineer["id"]}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let eng = engineer_login(&app).await;
    let (id, _) = open_ticket(
        &app,
        &eng,
        json!({"type": "bug", "channel": "email", "department_id": dept}),
    )
    .await;
    let advance = |seconds: i64| {
        let app = &app;
        async move {
            let token = app.login("manager").await;
            let r = app
                .post(
                    "/api/v1/test-clock/advance",
                    &token,
                    json!({"seconds": seconds}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    };
    advance(3600).await;
    let eng = engineer_login(&app).await;
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/replies"),
            &eng,
            json!({"channel": "email", "body": "已收到，正在排查"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .post(
            &format!("/api/v1/tickets/{id}/status"),
            &eng,
            json!({"action": "start"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // To Tuesday the 24th, 10:00.
    advance(11 * 24 * 3600 - 3600).await;
    for action in ["resolve", "reopen"] {
        let eng = engineer_login(&app).await;
        let r = app
            .post(
                &format!("/api/v1/tickets/{id}/status"),
                &eng,
                json!({"action": action}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{action}: {}", r.text());
        advance(3600).await;
    }

    let lead = app.login("lead").await;
    let mine = format!("from=2026-02-13&to=2026-02-28&by=week&agent={eng_id}");
    let r = report(&app, &lead, &mine).await;
    let weeks: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["label"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, vec!["2026-W07", "2026-W08", "2026-W09"]);
    assert_eq!(cell(&r, Some("2026-02-13"), "tickets_opened")["value"], 1.0);
    assert_eq!(
        cell(&r, Some("2026-02-23"), "tickets_resolved")["value"],
        1.0
    );
    assert_eq!(
        cell(&r, Some("2026-02-23"), "tickets_reopened")["value"],
        1.0
    );
    assert_eq!(cell(&r, None, "first_response_median")["value"], 1.0);
    assert_eq!(cell(&r, None, "resolution_median")["value"], 15.0);
    assert_eq!(cell(&r, None, "resolution_p90")["value"], 15.0);
    assert_eq!(cell(&r, None, "resolution_median")["n"], 1);
    // The first answer kept the promise made when the ticket was opened.
    assert_eq!(cell(&r, None, "promises_kept")["value"], 1.0);
    assert_eq!(cell(&r, Some("2026-02-16"), "tickets_opened")["value"], 0.0);
    // Calls know no ticket channel other than the phone; callbacks none at all.
    let by_mail = report(&app, &lead, &format!("{mine}&channel=email")).await;
    assert_eq!(cell(&by_mail, None, "tickets_opened")["value"], 1.0);
    assert_eq!(cell(&by_mail, None, "callbacks_planned")["applies"], false);
    let d = app
        .get(
            &format!("/api/v1/reports/drill?{mine}&metric=resolution_median"),
            &lead,
        )
        .await
        .json();
    assert_eq!(d["total"], 1);
    assert_eq!(d["items"][0]["id"], id.as_str());
    assert_eq!(d["items"][0]["value"], 15.0);
    assert_eq!(d["items"][0]["link"], format!("/tickets/{id}"));

    // The demo center's own report, every grouping: each cell is its list.
    let demo = [
        "from=2026-01-01&to=2026-02-28&by=month".to_string(),
        "from=2026-02-01&to=2026-02-28&group=agent".to_string(),
        "from=2026-01-01&to=2026-02-28&group=type".to_string(),
        "from=2026-01-01&to=2026-02-28&group=cause".to_string(),
        format!("from=2026-02-01&to=2026-02-28&by=week&department={dept}"),
    ];
    let mut checked = 0;
    for q in &demo {
        checked += every_cell_drills_to_its_count(&app, &lead, q).await;
    }
    assert!(checked >= 10, "only {checked} cells had records");

    // Rolling the past days up changes no number (today, the 24th, stays read from the
    // records), and every cell is still its list.
    let mut reports = Vec::new();
    for q in demo.iter().chain([&mine]) {
        reports.push(report(&app, &lead, q).await);
    }
    // A refresh works for a bounded time and says whether days are left (a loaded
    // machine may need more than one).
    let mut rolled = Value::Null;
    for _ in 0..20 {
        let r = app
            .post("/api/v1/reports/rollups/refresh", &lead, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        rolled = r.json();
        if rolled["pending"] == false {
            break;
        }
    }
    assert_eq!(rolled["pending"], false, "{rolled}");
    assert_eq!(rolled["last_day"], "2026-02-23", "{rolled}");
    assert!(rolled["days_rolled"].as_i64().unwrap() > 700, "{rolled}");
    let status = app.get("/api/v1/reports/rollups", &lead).await.json();
    assert_eq!(
        (&status["days"], &status["pending_changes"]),
        (&rolled["days"], &json!(0))
    );
    for (q, before) in demo.iter().chain([&mine]).zip(&reports) {
        assert_eq!(&report(&app, &lead, q).await, before, "{q}");
    }
    let mut again = 0;
    for q in &demo {
        again += every_cell_drills_to_its_count(&app, &lead, q).await;
    }
    assert_eq!(again, checked);

    // The sheet: the filter stated above the table, numbers as numbers, the engineer's
    // name neutralized.
    let x = app
        .get(
            "/api/v1/reports/export?from=2026-02-13&to=2026-02-28&group=agent&metrics=tickets_opened,resolution_median&format=xlsx",
            &lead,
        )
        .await;
    assert_eq!(x.status, StatusCode::OK, "{}", x.text());
    assert!(x.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(".xlsx"));
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(x.body.clone())).expect("a workbook");
    let sheet = wb.worksheet_range("report").unwrap();
    let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][0].to_string(), "报表");
    let stated = rows[1][0].to_string();
    assert!(
        stated.contains("2026-02-13") && stated.contains("坐席"),
        "{stated}"
    );
    assert_eq!(rows[3][1].to_string(), "新建工单");
    let eng_row = rows
        .iter()
        .find(|r| r[0].to_string().contains("HYPERLINK"))
        .expect("the engineer's row");
    assert_eq!(eng_row[0].to_string(), "'=HYPERLINK(\"http://evil\")");
    assert_eq!(eng_row[1], calamine::Data::Float(1.0));
    assert_eq!(eng_row[2], calamine::Data::Float(15.0));
    assert_eq!(rows.last().unwrap()[0].to_string(), "合计");
    let csv = app
        .get(
            "/api/v1/reports/export?from=2026-02-13&to=2026-02-28&group=agent&metrics=tickets_opened&format=csv",
            &lead,
        )
        .await;
    let text = csv.text();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK"));

    // Bad parameters are named; agents may not read reports.
    for (q, code) in [
        ("from=2026-02-30", "invalid_date"),
        ("from=2026-03-01&to=2026-02-01", "invalid_range"),
        ("from=2024-01-01&to=2026-02-01", "invalid_range"),
        ("by=year", "invalid_by"),
        ("group=planet", "invalid_group"),
        ("channel=pigeon", "invalid_channel"),
        ("type=x", "invalid_type"),
        ("metrics=tickets_opened,nope", "invalid_metric"),
        ("department=nowhere", "unknown_department"),
    ] {
        let r = app.get(&format!("/api/v1/reports?{q}"), &lead).await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code.to_string()),
            "{q}"
        );
    }
    let r = app.get("/api/v1/reports/drill?metric=nope", &lead).await;
    assert_eq!(r.error_code(), "invalid_metric");
    let r = app
        .get(
            "/api/v1/reports/drill?metric=tickets_opened&row=2025-01-01",
            &lead,
        )
        .await;
    assert_eq!(r.error_code(), "invalid_row");
    let r = app.get("/api/v1/reports/export?format=pdf", &lead).await;
    assert_eq!(r.error_code(), "invalid_format");
    let agent = app.login("agent1").await;
    for path in [
        "/api/v1/reports",
        "/api/v1/reports/drill?metric=chats",
        "/api/v1/reports/export",
        "/api/v1/reports/rollups",
    ] {
        assert_eq!(
            app.get(path, &agent).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let r = app
        .post("/api/v1/reports/rollups/refresh", &agent, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

/// The dashboard's figures are report cells: each headline equals the month's report
/// total, the channels add up to the tickets opened, and the ranking is in order.
pub async fn dashboard_figures_are_report_cells(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let lead = app.login("lead").await;
    let agent = app.login("agent1").await;
    // Some work of today, whatever the demo holds.
    for _ in 0..3 {
        open_ticket(&app, &agent, json!({"type": "consultation"})).await;
    }
    assert_eq!(
        app.get("/api/v1/dashboard", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.get("/api/v1/dashboard", &lead).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    let (from, to) = (d["from"].as_str().unwrap(), d["to"].as_str().unwrap());
    assert!(from.ends_with("-01") && from <= to, "{d}");
    let metrics: Vec<&str> = d["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["metric"].as_str().unwrap())
        .collect();
    let month = report(
        &app,
        &lead,
        &format!("from={from}&to={to}&by=month&metrics={}", metrics.join(",")),
    )
    .await;
    for k in d["kpis"].as_array().unwrap() {
        let m = k["metric"].as_str().unwrap();
        assert_eq!(k["value"], cell(&month, None, m)["value"], "{m}");
    }
    let opened = cell(&month, None, "tickets_opened")["n"].as_i64().unwrap();
    assert!(opened >= 3, "{opened}");
    let channels: i64 = d["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_i64().unwrap())
        .sum();
    assert_eq!(channels, opened);
    let types: i64 = d["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_i64().unwrap())
        .sum();
    assert_eq!(types, opened);
    let trend = d["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    assert_eq!(trend[29]["day"], to);
    let resolved: Vec<i64> = d["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["resolved"].as_i64().unwrap())
        .collect();
    assert!(resolved.len() <= 10);
    assert!(resolved.windows(2).all(|w| w[0] >= w[1]), "{resolved:?}");
    app.cleanup().await;
}

/// The scheduled reports through a simulated quarter (2027-01-01 to 04-03), the server
/// restarted in the middle: each report exists once per period — the monthly ones for
/// December to March, the weekly ones for every week from 2026-W52 to 2027-W12 — the
/// quality report due on the 22nd of the month after; the leads are told; the workbook
/// has a sheet per section.
pub async fn scheduled_reports_over_a_simulated_quarter(backend: TestBackend) {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = cst
        .with_ymd_and_hms(2027, 1, 1, 2, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let mut app = TestApp::starting_at(backend, start).await;
    for day in 0..92 {
        if day == 45 {
            // A restart: a new pool and clock on the same database, the chain seeded again.
            let now = app.state.clock().now();
            let db = kefu_store::Db::connect(&app.db.url).await.unwrap();
            let config = kefu_server::ServerConfig::new(app.state.config().data_dir.clone());
            app.state = kefu_server::AppState::new(db, kefu_server::Clock::simulated(now), config);
            app.router = kefu_server::router(app.state.clone());
        }
        let token = app.login("manager").await;
        let r = app
            .post(
                "/api/v1/test-clock/advance",
                &token,
                json!({"seconds": 86_400}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let lead = app.login("lead").await;
    // The archive, ten at a time, newest first across pages.
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/report-documents?limit=10".to_string();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={}", crate::customers::urlencode(c)));
        }
        let page = app.get(&url, &lead).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 10);
        all.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let created: Vec<&str> = all
        .iter()
        .map(|d| d["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let ids: std::collections::BTreeSet<&str> =
        all.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "no report on two pages");
    let docs = Value::Array(all);
    let mut by_kind: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for d in docs.as_array().unwrap() {
        by_kind
            .entry(d["kind"].as_str().unwrap().into())
            .or_default()
            .push(d["period"].as_str().unwrap().into());
    }
    for v in by_kind.values_mut() {
        v.sort();
    }
    let months: Vec<String> = ["2026-12", "2027-01", "2027-02", "2027-03"]
        .map(String::from)
        .to_vec();
    let mut weeks: Vec<String> = vec!["2026-W52".into(), "2026-W53".into()];
    weeks.extend((1..=12).map(|w| format!("2027-W{w:02}")));
    assert_eq!(by_kind["monthly_quality"], months);
    assert_eq!(by_kind["monthly_complaints"], months);
    assert_eq!(by_kind["weekly_qa"], weeks);
    assert_eq!(by_kind["weekly_bulletin"], weeks);
    let jan = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "monthly_quality" && d["period"] == "2027-01")
        .unwrap();
    assert_eq!(jan["due"], "2027-02-22");
    assert_eq!(
        (jan["from"].as_str(), jan["to"].as_str()),
        (Some("2027-01-01"), Some("2027-01-31"))
    );
    assert!(
        jan["title"]
            .as_str()
            .unwrap()
            .contains("月度服务质量分析报告"),
        "{jan}"
    );
    let w = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "weekly_bulletin" && d["period"] == "2027-W01")
        .unwrap();
    assert_eq!(
        (w["from"].as_str(), w["to"].as_str()),
        (Some("2027-01-04"), Some("2027-01-10"))
    );
    let only = app
        .get("/api/v1/report-documents?kind=weekly_qa", &lead)
        .await
        .json();
    assert_eq!(only["items"].as_array().unwrap().len(), weeks.len());
    assert_eq!(
        app.get("/api/v1/report-documents?kind=yearly", &lead)
            .await
            .error_code(),
        "invalid_kind"
    );
    // The workbook: a sheet per section (four in the quality report).
    let id = jan["id"].as_str().unwrap();
    let x = app
        .get(&format!("/api/v1/report-documents/{id}/xlsx"), &lead)
        .await;
    assert_eq!(x.status, StatusCode::OK);
    let wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(x.body.clone())).expect("a workbook");
    assert_eq!(wb.sheet_names().len(), 4, "{:?}", wb.sheet_names());
    assert_eq!(
        app.get("/api/v1/report-documents/nope", &lead).await.status,
        StatusCode::NOT_FOUND
    );
    // The people who hand reports in were told.
    let n = app.get("/api/v1/notifications", &lead).await.json();
    let told = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "report")
        .count();
    assert!(told >= 10, "{n}");
    let agent = app.login("agent1").await;
    assert_eq!(
        app.get("/api/v1/report-documents", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}
