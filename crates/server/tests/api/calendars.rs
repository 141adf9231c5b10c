//! Business calendars, holidays and SLA policies through the API: every operation, the
//! permission each needs, and bad input.

use crate::common::{Reply, TestApp};
use axum::http::{Method, StatusCode};
use kefu_test_support::TestBackend;
use serde_json::{json, Value};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.api(Method::PATCH, path, Some(token), Some(body)).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Reply {
    app.api(Method::DELETE, path, Some(token), None).await
}

fn assert_refused(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.error_code(), code, "{}", reply.text());
}

async fn audit_count(app: &TestApp, token: &str, action: &str) -> usize {
    let page = app
        .get(&format!("/api/v1/audit?action={action}"), token)
        .await
        .json();
    page["items"].as_array().unwrap().len()
}

pub async fn calendars_read_and_edit(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let agent = app.login("agent1").await;
    let lead = app.login("lead").await;

    let list = app.get("/api/v1/calendars", &agent).await;
    assert_eq!(list.status, StatusCode::OK, "agents read calendars");
    let list = list.json();
    assert_eq!(list[0]["code"], "working");
    assert_eq!(list[0]["week"][0], json!(["09:00-12:00", "13:30-18:00"]));
    assert_eq!(list[0]["week"][6], json!([]));
    assert_eq!(list[1]["code"], "on_duty");
    assert_eq!(list[1]["observes_holidays"], false);

    let split = json!({"name": "值班", "observes_holidays": false, "week": [
        ["08:00-12:00", "17:00-22:00"], ["08:00-12:00", "17:00-22:00"], ["08:00-12:00", "17:00-22:00"],
        ["08:00-12:00", "17:00-22:00"], ["08:00-12:00", "17:00-22:00"], ["09:00-17:00"], []]});
    let saved = put(&app, "/api/v1/calendars/on_duty", &m, split.clone()).await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.text());
    let on_duty = app.get("/api/v1/calendars/on_duty", &agent).await.json();
    assert_eq!(on_duty["week"], split["week"]);
    assert_eq!(audit_count(&app, &m, "settings.calendar_save").await, 1);

    let forbidden = put(&app, "/api/v1/calendars/on_duty", &lead, split.clone()).await;
    assert_refused(&forbidden, StatusCode::FORBIDDEN, "forbidden");
    assert!(forbidden.text().contains("service.configure"));
    let missing = app.get("/api/v1/calendars/night", &m).await;
    assert_refused(&missing, StatusCode::NOT_FOUND, "not_found");
    let missing = put(&app, "/api/v1/calendars/night", &m, split.clone()).await;
    assert_refused(&missing, StatusCode::NOT_FOUND, "not_found");

    let week = |days: Value| json!({"name": "工作时间", "observes_holidays": true, "week": days});
    for (days, code) in [
        (json!([[], [], [], [], [], []]), "invalid_week"),
        (json!([[], [], [], [], [], [], []]), "invalid_week"),
        (
            json!([["09:00-25:00"], [], [], [], [], [], []]),
            "invalid_span",
        ),
        (json!([["9h-12h"], [], [], [], [], [], []]), "invalid_span"),
        (
            json!([["12:00-09:00"], [], [], [], [], [], []]),
            "invalid_span",
        ),
        (
            json!([["09:00-12:00", "11:00-14:00"], [], [], [], [], [], []]),
            "invalid_span",
        ),
        (
            json!([["13:30-18:00", "09:00-12:00"], [], [], [], [], [], []]),
            "invalid_span",
        ),
    ] {
        let reply = put(&app, "/api/v1/calendars/working", &m, week(days.clone())).await;
        assert_refused(&reply, StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let unnamed = put(
        &app,
        "/api/v1/calendars/working",
        &m,
        json!({"name": " ", "observes_holidays": true, "week": split["week"]}),
    )
    .await;
    assert_refused(&unnamed, StatusCode::UNPROCESSABLE_ENTITY, "invalid_name");
    let extra = put(
        &app,
        "/api/v1/calendars/working",
        &m,
        json!({"name": "x", "observes_holidays": true, "week": split["week"], "zone": "+08:00"}),
    )
    .await;
    assert_refused(&extra, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let unchanged = app.get("/api/v1/calendars/working", &m).await.json();
    assert_eq!(unchanged["week"][0], json!(["09:00-12:00", "13:30-18:00"]));
    app.cleanup().await;
}

pub async fn holidays_edit_and_import(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let agent = app.login("agent1").await;
    let lead = app.login("lead").await;

    let y2027 = app.get("/api/v1/calendar-days?year=2027", &agent).await;
    assert_eq!(y2027.status, StatusCode::OK);
    let y2027 = y2027.json();
    let days = y2027.as_array().unwrap();
    assert_eq!(days.len(), 34);
    assert_eq!(
        days[0],
        json!({"date": "2027-01-01", "kind": "holiday", "as_weekday": null, "name": "元旦"})
    );
    assert!(days
        .iter()
        .any(|d| d["date"] == "2027-02-14" && d["kind"] == "workday" && d["name"] == "春节"));
    let all = app.get("/api/v1/calendar-days", &agent).await.json();
    assert_eq!(all.as_array().unwrap().len(), 34 + 39);

    // One day added, changed and removed.
    let saved = put(
        &app,
        "/api/v1/calendar-days/2027-12-24",
        &m,
        json!({"kind": "holiday", "name": "公司年会"}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT, "{}", saved.text());
    let saved = put(
        &app,
        "/api/v1/calendar-days/2027-12-25",
        &m,
        json!({"kind": "workday", "name": "年会调休", "as_weekday": 4}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT);
    let days = app.get("/api/v1/calendar-days?year=2027", &m).await.json();
    let last = days.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"date": "2027-12-25", "kind": "workday", "as_weekday": 4, "name": "年会调休"})
    );
    let gone = delete(&app, "/api/v1/calendar-days/2027-12-24", &m).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = delete(&app, "/api/v1/calendar-days/2027-12-24", &m).await;
    assert_refused(&again, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(audit_count(&app, &m, "settings.calendar_day_save").await, 2);
    assert_eq!(
        audit_count(&app, &m, "settings.calendar_day_delete").await,
        1
    );

    for (date, body, code) in [
        ("2027-02-30", json!({"kind": "holiday"}), "invalid_date"),
        ("tomorrow", json!({"kind": "holiday"}), "invalid_date"),
        (
            "2027-03-01",
            json!({"kind": "vacation"}),
            "invalid_day_kind",
        ),
        (
            "2027-03-01",
            json!({"kind": "workday", "as_weekday": 7}),
            "invalid_day_kind",
        ),
        (
            "2027-03-01",
            json!({"kind": "holiday", "as_weekday": 1}),
            "invalid_day_kind",
        ),
        (
            "2027-03-01",
            json!({"kind": "holiday", "name": "a # b"}),
            "invalid_name",
        ),
    ] {
        let reply = put(&app, &format!("/api/v1/calendar-days/{date}"), &m, body).await;
        assert_refused(&reply, StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let bad_delete = delete(&app, "/api/v1/calendar-days/2027-13-01", &m).await;
    assert_refused(
        &bad_delete,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_date",
    );

    // Importing the published notice replaces the year, and only that year.
    let notice = "# 国务院办公厅通知\n2027-01-01 holiday # 元旦\n2027-01-02 holiday\n\
                  2027-01-03 holiday\n2027-02-06 holiday # 春节\n2027-02-07 workday:4\n";
    let imported = app
        .post(
            "/api/v1/calendar-days/import",
            &m,
            json!({"year": 2027, "text": notice}),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    assert_eq!(
        imported.json(),
        json!({"year": 2027, "days": 5, "replaced": 35})
    );
    let days = app.get("/api/v1/calendar-days?year=2027", &m).await.json();
    assert_eq!(days.as_array().unwrap().len(), 5);
    assert_eq!(days[4]["as_weekday"], 4);
    assert_eq!(days[2]["name"], "元旦");
    let y2026 = app.get("/api/v1/calendar-days?year=2026", &m).await.json();
    assert_eq!(y2026.as_array().unwrap().len(), 39, "other years stay");

    for (body, needle) in [
        (
            json!({"year": 2027, "text": "2027-05-01 holiday\n2027-05-32 holiday\n"}),
            "line 2",
        ),
        (
            json!({"year": 2027, "text": "2027-05-01 holiday\n2028-01-01 holiday\n"}),
            "2028-01-01 is not in 2027",
        ),
        (
            json!({"year": 2027, "text": "2027-05-01 holiday\n2027-05-01 workday\n"}),
            "twice",
        ),
        (
            json!({"year": 2027, "text": "2027-05-01 day off\n"}),
            "line 1",
        ),
    ] {
        let reply = app.post("/api/v1/calendar-days/import", &m, body).await;
        assert_refused(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_holiday_data",
        );
        assert!(reply.text().contains(needle), "{}", reply.text());
    }
    let bad_year = app
        .post(
            "/api/v1/calendar-days/import",
            &m,
            json!({"year": 1900, "text": ""}),
        )
        .await;
    assert_refused(&bad_year, StatusCode::UNPROCESSABLE_ENTITY, "invalid_year");
    let days = app.get("/api/v1/calendar-days?year=2027", &m).await.json();
    assert_eq!(
        days.as_array().unwrap().len(),
        5,
        "refused imports change nothing"
    );
    assert_eq!(
        audit_count(&app, &m, "settings.calendar_year_import").await,
        1
    );

    for reply in [
        put(
            &app,
            "/api/v1/calendar-days/2027-12-24",
            &lead,
            json!({"kind": "holiday"}),
        )
        .await,
        delete(&app, "/api/v1/calendar-days/2027-01-01", &lead).await,
        app.post(
            "/api/v1/calendar-days/import",
            &lead,
            json!({"year": 2027, "text": ""}),
        )
        .await,
    ] {
        assert_refused(&reply, StatusCode::FORBIDDEN, "forbidden");
    }
    let bad_query = app.get("/api/v1/calendar-days?year=next", &m).await;
    assert_refused(&bad_query, StatusCode::BAD_REQUEST, "invalid_query");
    app.cleanup().await;
}

pub async fn sla_policies_and_preview(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let agent = app.login("agent1").await;
    let lead = app.login("lead").await;

    let list = app.get("/api/v1/sla-policies", &agent).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let default = list[0].clone();
    let default_id = default["id"].as_str().unwrap().to_string();
    assert_eq!(default["ticket_type"], Value::Null);
    assert_eq!(default["calendar"], "working");
    assert_eq!(default["reply_promise_minutes"], 2880);
    assert_eq!(default["pause_statuses"], json!(["waiting_customer"]));

    // The default policy counts working time: an hour asked for on Thursday 4 February
    // 2027 at 17:30 is half an hour that evening and half an hour on Sunday 14 February,
    // the make-up day after the Spring Festival.
    let preview = app
        .get(
            "/api/v1/sla-policies/preview?type=inquiry&from=2027-02-04T17:30:00%2B08:00",
            &agent,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let preview = preview.json();
    assert_eq!(preview["policy"]["id"], default_id.as_str());
    assert_eq!(
        preview["due"]["first_response"],
        "2027-02-14T09:30:00+08:00"
    );

    let created = app
        .post(
            "/api/v1/sla-policies",
            &m,
            json!({"name": "VIP 投诉", "ticket_type": "complaint", "tier": "vip",
                "calendar": "24x7", "first_response_minutes": 30, "resolution_minutes": 1440,
                "pause_statuses": ["waiting_customer", "waiting_department"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let policy = app
        .get(&format!("/api/v1/sla-policies/{id}"), &agent)
        .await
        .json();
    assert_eq!(policy["tier"], "VIP");
    assert_eq!(policy["priority"], Value::Null);
    assert_eq!(
        policy["reply_promise_minutes"], 2880,
        "the handbook's 48 hours"
    );
    assert_eq!(policy["active"], true);
    let preview = app
        .get(
            "/api/v1/sla-policies/preview?type=complaint&priority=high&tier=VIP&from=2027-02-04T17:30:00%2B08:00",
            &m,
        )
        .await
        .json();
    assert_eq!(preview["policy"]["id"], id.as_str());
    assert_eq!(
        preview["due"]["first_response"],
        "2027-02-04T18:00:00+08:00"
    );
    assert_eq!(preview["due"]["reply_promise"], "2027-02-06T17:30:00+08:00");
    assert_eq!(preview["due"]["resolution"], "2027-02-05T17:30:00+08:00");
    let other_tier = app
        .get("/api/v1/sla-policies/preview?type=complaint&tier=A", &m)
        .await
        .json();
    assert_eq!(other_tier["policy"]["id"], default_id.as_str());

    // A change: the criterion "" matches anything again; the preview follows.
    let changed = patch(
        &app,
        &format!("/api/v1/sla-policies/{id}"),
        &m,
        json!({"tier": "", "first_response_minutes": 15, "calendar": "on_duty"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    let policy = app
        .get(&format!("/api/v1/sla-policies/{id}"), &m)
        .await
        .json();
    assert_eq!(policy["tier"], Value::Null);
    assert_eq!(policy["first_response_minutes"], 15);
    assert_eq!(policy["name"], "VIP 投诉", "absent fields stay");
    let preview = app
        .get(
            "/api/v1/sla-policies/preview?type=complaint&tier=A&from=2027-02-04T21:50:00%2B08:00",
            &m,
        )
        .await
        .json();
    assert_eq!(preview["policy"]["id"], id.as_str());
    assert_eq!(
        preview["due"]["first_response"], "2027-02-05T08:05:00+08:00",
        "on duty 08:00–22:00, through the holiday"
    );

    for (body, code) in [
        (
            json!({"name": "", "first_response_minutes": 5, "resolution_minutes": 5}),
            "invalid_name",
        ),
        (
            json!({"name": "x", "ticket_type": "praise", "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_ticket_type",
        ),
        (
            json!({"name": "x", "priority": "asap", "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_priority",
        ),
        (
            json!({"name": "x", "tier": "Z9", "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_tier",
        ),
        (
            json!({"name": "x", "calendar": "lunar", "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_calendar",
        ),
        (
            json!({"name": "x", "pause_statuses": ["sleeping"], "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_status",
        ),
        (
            json!({"name": "x", "pause_statuses": ["closed"], "first_response_minutes": 5, "resolution_minutes": 5}),
            "unknown_status",
        ),
        (
            json!({"name": "x", "first_response_minutes": 0, "resolution_minutes": 5}),
            "invalid_target",
        ),
        (
            json!({"name": "x", "first_response_minutes": 5, "resolution_minutes": 5, "reply_promise_minutes": -1}),
            "invalid_target",
        ),
        (
            json!({"name": "x", "first_response_minutes": 5}),
            "invalid_body",
        ),
    ] {
        let reply = app.post("/api/v1/sla-policies", &m, body).await;
        assert_refused(&reply, StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let bad_patch = patch(
        &app,
        &format!("/api/v1/sla-policies/{id}"),
        &m,
        json!({"resolution_minutes": 0}),
    )
    .await;
    assert_refused(
        &bad_patch,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_target",
    );
    let missing = patch(&app, "/api/v1/sla-policies/nope", &m, json!({"name": "x"})).await;
    assert_refused(&missing, StatusCode::NOT_FOUND, "not_found");
    for query in [
        "type=praise",
        "type=inquiry&priority=asap",
        "type=inquiry&from=yesterday",
    ] {
        let reply = app
            .get(&format!("/api/v1/sla-policies/preview?{query}"), &m)
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let no_type = app.get("/api/v1/sla-policies/preview", &m).await;
    assert_refused(&no_type, StatusCode::BAD_REQUEST, "invalid_query");

    // Only people who configure the service change policies.
    for reply in [
        app.post(
            "/api/v1/sla-policies",
            &lead,
            json!({"name": "x", "first_response_minutes": 5, "resolution_minutes": 5}),
        )
        .await,
        patch(
            &app,
            &format!("/api/v1/sla-policies/{id}"),
            &lead,
            json!({"name": "y"}),
        )
        .await,
        delete(&app, &format!("/api/v1/sla-policies/{id}"), &agent).await,
    ] {
        assert_refused(&reply, StatusCode::FORBIDDEN, "forbidden");
    }

    // The last active catch-all stays.
    let refused = delete(&app, &format!("/api/v1/sla-policies/{default_id}"), &m).await;
    assert_refused(&refused, StatusCode::CONFLICT, "catch_all_required");
    let refused = patch(
        &app,
        &format!("/api/v1/sla-policies/{default_id}"),
        &m,
        json!({"active": false}),
    )
    .await;
    assert_refused(&refused, StatusCode::CONFLICT, "catch_all_required");
    let gone = delete(&app, &format!("/api/v1/sla-policies/{id}"), &m).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let after = app.get(&format!("/api/v1/sla-policies/{id}"), &m).await;
    assert_refused(&after, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(audit_count(&app, &m, "settings.sla_policy_create").await, 1);
    assert_eq!(audit_count(&app, &m, "settings.sla_policy_update").await, 1);
    assert_eq!(audit_count(&app, &m, "settings.sla_policy_delete").await, 1);
    app.cleanup().await;
}
