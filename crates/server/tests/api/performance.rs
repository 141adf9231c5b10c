//! Performance evaluation over the API on a hand-made November 2026 (the clock stands on
//! 10 December): four agents with known tickets, SLA deadlines, CSAT answers, QA
//! inspections, complaints, violations and shifts; each component, the total, the rank
//! and the reward or fine checked against the numbers worked out by hand; the month kept
//! once over and unchanged by a new scheme until recomputed; the current month live;
//! settings refused with named errors; the handbook's commission example.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use kefu_store::schedule::{NewRoster, NewShift};
use kefu_test_support::Bind::{I, T};
use kefu_test_support::{center_time, TestBackend};
use serde_json::{json, Value};

fn nov(day: u32, h: u32) -> DateTime<Utc> {
    center_time(2026, 11, day, h, 0)
}

fn ms(day: u32, h: u32) -> i64 {
    nov(day, h).timestamp_millis()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::common::Reply {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

/// A resolved ticket of `agent`, in time or late, optionally with a CSAT answer (1–5).
async fn ticket(app: &TestApp, n: u32, agent: &str, dept: &str, in_time: bool) -> String {
    let id = format!("PF{n}");
    let resolved = ms(5 + n % 20, 10);
    let due = if in_time {
        resolved + 3_600_000
    } else {
        resolved - 3_600_000
    };
    app.db
        .exec(
            "INSERT INTO tickets (id, number, ticket_type, channel, priority, status, is_open, \
         subject, department_id, first_owner_id, assignee_id, resolution_due, resolved_at, \
         overdue_count, created_at, updated_at) VALUES ($1, $2, 'consultation', 'phone', \
         'normal', 'resolved', 0, '咨询', $3, $4, $4, $5, $6, 0, $7, $7)",
            &[
                T(&id),
                T(&format!("PF-{n}")),
                T(dept),
                T(agent),
                I(due),
                I(resolved),
                I(ms(2, 9)),
            ],
        )
        .await;
    id
}

async fn csat(app: &TestApp, n: u32, ticket: &str, customer: &str, score: i64) {
    app.db.exec("INSERT INTO survey_responses (id, template_id, customer_id, ticket_id, channel, answers, \
         csat, dissatisfied, created_at) VALUES ($1, 'PF-ST', $2, $3, 'web', '{}', $4, 0, $5)", &[T(&format!("PFS{n}")), T(customer), T(ticket), I(score), I(ms(20, 9))])
    .await;
}

async fn inspection(app: &TestApp, n: u32, agent: &str, inspector: &str, tenths: i64) {
    let item = format!("PFI{n}");
    app.db
        .exec(
            "INSERT INTO qa_items (id, kind, source_id, agent_id, occurred_at, month, day) \
         VALUES ($1, 'call', $1, $2, $3, '2026-11', 0)",
            &[T(&item), T(agent), I(ms(6, 10))],
        )
        .await;
    app.db.exec("INSERT INTO qa_inspections (id, item_id, agent_id, inspector_id, month, week, reasons, \
         state, scorecard_id, revision, total_tenths, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, '2026-11', 45, '[]', 'published', 'PF-SC', 1, $5, $6, $6, $6)", &[T(&format!("PFQ{n}")), T(&item), T(agent), T(inspector), I(tenths), I(ms(21, 9))])
    .await;
}

/// A note the agent wrote at 10:00 on a day of November (their presence on that shift).
async fn worked(app: &TestApp, n: u32, agent: &str, ticket: &str, day: u32) {
    app.db.exec("INSERT INTO ticket_events (id, ticket_id, at, actor_id, kind) VALUES ($1, $2, $4, $3, 'note')", &[T(&format!("PFE{n}")), T(ticket), T(agent), I(ms(day, 10))])
    .await;
}

struct Fixture {
    manager: String,
    agent: String,
    ids: [String; 4],
}

/// The month worked out by hand (weights 20/20/20/20/10/10, pass line 80, 20 points per
/// complaint, the month's best workload scores 100):
///
/// | | workload | SLA | CSAT | QA | complaints | attendance | total |
/// |---|---|---|---|---|---|---|---|
/// | agent1 | 4 → 100 | 4/4 → 100 | 5, 4 → 87.5 | 90 | 0 → 100 | 2/2 → 100 | 95.50 |
/// | agent2 | 2 → 50 | 1/2 → 50 | 3 → 50 | 70 | 1 → 80 | 1/2 → 50 | 57.00 |
/// | agent3 | 1 → 25 | 1/1 → 100 | — | — | 0 → 100 | — | 70.00 (weights 20:20:10) |
/// | agent4 | 0 → 0 | — | — | — | 0 → 100 | — | 33.33 (weights 20:10) |
async fn fixture(app: &TestApp) -> Fixture {
    let manager = app.login("manager").await;
    let agent = app.login("agent1").await;
    let dept = app.department(&manager, "业务受理组").await;
    let customer = app.any_customer(&manager).await;
    let ids = [
        app.user_id("agent1").await,
        app.user_id("agent2").await,
        app.user_id("agent3").await,
        app.user_id("agent4").await,
    ];
    let inspector = app.user_id("inspector").await;
    app.db
        .exec(
            "INSERT INTO survey_templates (id, name, questions, created_at, updated_at) \
         VALUES ('PF-ST', 'perf fixture', '[]', $1, $1)",
            &[I(ms(1, 9))],
        )
        .await;
    app.db
        .exec(
            "INSERT INTO qa_scorecards (id, name, revision, created_at, updated_at) \
         VALUES ('PF-SC', 'perf fixture', 1, $1, $1)",
            &[I(ms(1, 9))],
        )
        .await;
    app.db
        .exec(
            "INSERT INTO qa_scorecard_revisions (scorecard_id, revision, criteria, created_at) \
         VALUES ('PF-SC', 1, '[]', $1)",
            &[I(ms(1, 9))],
        )
        .await;
    let [a1, a2, a3, _] = &ids;
    let mut t1 = Vec::new();
    for n in 1..=4 {
        t1.push(ticket(app, n, a1, &dept, true).await);
    }
    let t2 = [
        ticket(app, 5, a2, &dept, true).await,
        ticket(app, 6, a2, &dept, false).await,
    ];
    ticket(app, 7, a3, &dept, true).await;
    csat(app, 1, &t1[0], &customer, 5).await;
    csat(app, 2, &t1[1], &customer, 4).await;
    csat(app, 3, &t2[0], &customer, 3).await;
    inspection(app, 1, a1, &inspector, 900).await;
    inspection(app, 2, a2, &inspector, 700).await;
    // Shifts on 3 and 4 November for agents 1 and 2; agent2 leaves no trace on the 4th.
    let shift = |staff: &str, day: u32| NewShift {
        staff_id: staff.into(),
        day: format!("2026-11-{day:02}"),
        template_code: "a".into(),
        queue: "咨询".into(),
        starts_at: nov(day, 9),
        ends_at: nov(day, 17),
        on_call: false,
        locked: false,
    };
    let roster = NewRoster {
        name: "11月".into(),
        start_date: "2026-11-01".into(),
        end_date: "2026-11-30".into(),
        days: 30,
        problem: "{}".into(),
        report: "{}".into(),
        staff: vec![a1.clone(), a2.clone()],
        shifts: vec![shift(a1, 3), shift(a1, 4), shift(a2, 3), shift(a2, 4)],
    };
    let db = app.state.db();
    let actor = kefu_store::audit::Actor {
        user_id: None,
        name: "test".into(),
        client_addr: None,
    };
    let now = app.state.clock().now();
    let id = db.create_roster(&actor, now, &roster).await.unwrap();
    db.publish_roster(&actor, now, &id).await.unwrap();
    worked(app, 1, a1, &t1[0], 3).await;
    worked(app, 2, a1, &t1[0], 4).await;
    worked(app, 3, a2, &t2[0], 3).await;
    for (who, kind) in [(a2, "complaint"), (a2, "violation"), (a2, "violation")] {
        let r = app
            .post(
                "/api/v1/performance/incidents",
                &manager,
                json!({"agent_id": who, "month": "2026-11", "kind": kind, "note": "登记"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    Fixture {
        manager,
        agent,
        ids,
    }
}

async fn position_id(app: &TestApp, token: &str, title: &str) -> String {
    let rates = app.get("/api/v1/performance/rates", token).await.json();
    rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["position"] == title)
        .unwrap_or_else(|| panic!("no position {title}"))["position_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn scheme(position: &str, w: [i64; 6]) -> Value {
    json!({
        "weights": {"workload": w[0], "sla": w[1], "csat": w[2], "qa": w[3],
                    "complaints": w[4], "attendance": w[5]},
        "pass_line": 80, "complaint_deduction": 20, "workload_target": 0,
        "positions": [position]
    })
}

fn row<'a>(month: &'a Value, agent: &str) -> &'a Value {
    month["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == agent)
        .unwrap_or_else(|| panic!("no agent {agent} in {month}"))
}

fn scores(a: &Value) -> Vec<Option<f64>> {
    a["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["score"].as_f64())
        .collect()
}

pub async fn a_hand_computed_month(backend: TestBackend) {
    let app = TestApp::starting_at(
        backend,
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 10, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    )
    .await;
    let f = fixture(&app).await;
    let m = &f.manager;
    let agent_pos = position_id(&app, m, "客服专员").await;
    let r = put(
        &app,
        "/api/v1/performance/scheme",
        m,
        scheme(&agent_pos, [20, 20, 20, 20, 10, 10]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = put(
        &app,
        "/api/v1/performance/rules",
        m,
        json!({"rules": [
            {"name": "考核达标奖励", "kind": "reward", "condition": "passed", "amount": "100"},
            {"name": "违规罚款", "kind": "fine", "condition": "per_violation", "amount": 10}
        ]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()[1]["amount"], "10.00");

    let month = app.get("/api/v1/performance/2026-11", m).await;
    assert_eq!(month.status, StatusCode::OK, "{}", month.text());
    let month = month.json();
    assert_eq!(month["state"], "kept");
    let [a1, a2, a3, a4] = &f.ids;
    let one = row(&month, a1);
    assert_eq!(
        scores(one),
        vec![
            Some(100.0),
            Some(100.0),
            Some(87.5),
            Some(90.0),
            Some(100.0),
            Some(100.0)
        ]
    );
    assert_eq!(one["total"], 95.5);
    assert_eq!(
        (one["rank"].as_i64(), one["passed"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        (one["reward"].as_str(), one["fine"].as_str()),
        (Some("100.00"), Some("0.00"))
    );
    let two = row(&month, a2);
    assert_eq!(
        scores(two),
        vec![
            Some(50.0),
            Some(50.0),
            Some(50.0),
            Some(70.0),
            Some(80.0),
            Some(50.0)
        ]
    );
    assert_eq!(two["total"], 57.0);
    assert_eq!(two["rank"], 3);
    assert_eq!(
        (two["reward"].as_str(), two["fine"].as_str()),
        (Some("0.00"), Some("20.00"))
    );
    assert_eq!(two["figures"]["violations"], 2);
    assert_eq!(two["figures"]["shifts_attended"], 1);
    assert_eq!(two["figures"]["shifts_rostered"], 2);
    let three = row(&month, a3);
    assert_eq!(
        scores(three),
        vec![Some(25.0), Some(100.0), None, None, Some(100.0), None]
    );
    assert_eq!(three["total"], 70.0);
    assert_eq!(three["rank"], 2);
    assert_eq!(three["components"][0]["effective_weight"], 40.0, "20 of 50");
    let four = row(&month, a4);
    assert_eq!(four["total"], 33.33);
    assert_eq!(four["rank"], 4);
    assert_eq!(
        month["agents"].as_array().unwrap().len(),
        4,
        "the 客服专员 only"
    );

    // One agent's breakdown: the same numbers.
    let b = app
        .get(&format!("/api/v1/performance/2026-11/agents/{a2}"), m)
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text());
    assert_eq!(b.json()["agent"]["total"], 57.0);
    assert_eq!(b.json()["agent"]["components"][3]["contribution"], 14.0);
    let nobody = app
        .get("/api/v1/performance/2026-11/agents/nobody", m)
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.error_code(), "unknown_agent");

    // A new scheme leaves the kept month as it is …
    let r = put(
        &app,
        "/api/v1/performance/scheme",
        m,
        scheme(&agent_pos, [0, 10, 10, 10, 50, 20]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let again = app.get("/api/v1/performance/2026-11", m).await.json();
    assert_eq!(row(&again, a1)["total"], 95.5);
    assert_eq!(again["scheme"]["weights"]["workload"], 20);
    // … until it is recomputed; agents 3 and 4 now tie at 100 and share rank 1.
    let agent_try = app
        .post("/api/v1/performance/2026-11/recompute", &f.agent, json!({}))
        .await;
    assert_eq!(agent_try.status, StatusCode::FORBIDDEN);
    let re = app
        .post("/api/v1/performance/2026-11/recompute", m, json!({}))
        .await;
    assert_eq!(re.status, StatusCode::OK, "{}", re.text());
    let re = re.json();
    assert_eq!(row(&re, a1)["total"], 97.75);
    assert_eq!(row(&re, a2)["total"], 67.0);
    assert_eq!(
        (
            row(&re, a3)["total"].as_f64(),
            row(&re, a3)["rank"].as_i64()
        ),
        (Some(100.0), Some(1))
    );
    assert_eq!(
        (
            row(&re, a4)["total"].as_f64(),
            row(&re, a4)["rank"].as_i64()
        ),
        (Some(100.0), Some(1))
    );
    assert_eq!(row(&re, a1)["rank"], 3);
    assert_eq!(row(&re, a2)["rank"], 4);

    // The current month is live and not kept; a month not begun and a bad one are refused.
    let live = app.get("/api/v1/performance/2026-12", m).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.text());
    assert_eq!(live.json()["state"], "live");
    let r = app
        .post("/api/v1/performance/2026-12/recompute", m, json!({}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "month_not_over".to_string())
    );
    for bad in ["2027-01", "2026-13", "nov"] {
        let r = app.get(&format!("/api/v1/performance/{bad}"), m).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.error_code(), "invalid_month");
    }

    // The ranking as a sheet.
    let x = app
        .get("/api/v1/performance/2026-11/export?format=xlsx", m)
        .await;
    assert_eq!(x.status, StatusCode::OK, "{}", x.text());
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(x.body.clone())).expect("a workbook");
    let sheet = wb.worksheet_range("performance").unwrap();
    let name1 = row(&re, a1)["agent_name"].as_str().unwrap().to_string();
    let line = sheet
        .rows()
        .find(|r| r.get(1).map(|c| c.to_string()) == Some(name1.clone()))
        .expect("agent1's row")
        .to_vec();
    assert_eq!(line[0].to_string(), "3");
    assert_eq!(line[2], calamine::Data::Float(97.75));
    app.cleanup().await;
}

pub async fn settings_errors_and_commission(backend: TestBackend) {
    let app = TestApp::new(backend).await;
    let m = app.login("manager").await;
    let agent = app.login("agent1").await;
    let pos = position_id(&app, &m, "客服专员").await;
    for (body, code) in [
        (scheme(&pos, [20, 20, 20, 20, 10, 9]), "invalid_weights"),
        (scheme(&pos, [-10, 30, 20, 20, 20, 20]), "invalid_weights"),
        (
            json!({"weights": {"workload": 20, "sla": 20, "csat": 20, "qa": 20, "complaints": 10,
                   "attendance": 10}, "pass_line": 101}),
            "invalid_pass_line",
        ),
        (
            scheme("no-such-position", [20, 20, 20, 20, 10, 10]),
            "unknown_position",
        ),
    ] {
        let r = put(&app, "/api/v1/performance/scheme", &m, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.error_code(), code);
    }
    let r = put(
        &app,
        "/api/v1/performance/scheme",
        &agent,
        scheme(&pos, [20, 20, 20, 20, 10, 10]),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (amount, code) in [
        (json!("abc"), "invalid_amount"),
        (json!("0"), "invalid_amount"),
        (json!("1.234"), "invalid_amount"),
    ] {
        let r = put(
            &app,
            "/api/v1/performance/rules",
            &m,
            json!({"rules": [{"name": "奖", "kind": "reward", "condition": "passed", "amount": amount}]}),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code.to_string())
        );
    }
    let r = put(
        &app,
        "/api/v1/performance/rules",
        &m,
        json!({"rules": [{"name": "奖", "kind": "bonus", "condition": "passed", "amount": "1"}]}),
    )
    .await;
    assert_eq!(r.error_code(), "invalid_rule");

    // Rates: 客服专员 1%; an unknown position and a rate over 100% are refused.
    let r = put(
        &app,
        "/api/v1/performance/rates",
        &m,
        json!({"rates": [{"position_id": pos, "rate_percent": "1"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = put(
        &app,
        "/api/v1/performance/rates",
        &m,
        json!({"rates": [{"position_id": "nope", "rate_percent": "1"}]}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_position".to_string()
        )
    );
    let r = put(
        &app,
        "/api/v1/performance/rates",
        &m,
        json!({"rates": [{"position_id": pos, "rate_percent": "100.01"}]}),
    )
    .await;
    assert_eq!(r.error_code(), "invalid_rate");

    // Document 17's example: 100万, rent 60万, tax 10万 at 1% → 6,500 yuan.
    let agent1 = app.user_id("agent1").await;
    let r = app
        .post(
            "/api/v1/performance/commission",
            &m,
            json!({"contract_no": "HT-2026-001", "deal_name": "年会场地", "agent_id": agent1,
                   "contract_amount": "1000000", "venue_rent": 600000, "tax": "100000.00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    assert_eq!(c["commission"], "6500.00");
    assert_eq!(c["commission_cents"], 650_000);
    assert_eq!(c["rate_percent"], "1.00");
    assert_eq!(c["position"], "客服专员");
    let list = app.get("/api/v1/performance/commissions", &m).await.json();
    assert_eq!(list["items"][0]["contract_no"], "HT-2026-001");
    // The calculation alone records nothing; an agent may calculate but not record.
    let calc = json!({"agent_id": agent1, "contract_amount": "1000000", "venue_rent": "600000",
                      "tax": "100000", "record": false});
    let r = app
        .post("/api/v1/performance/commission", &agent, calc)
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents do not read reports"
    );
    let lead = app.login("lead").await;
    let r = app
        .post(
            "/api/v1/performance/commission",
            &lead,
            json!({"agent_id": agent1, "contract_amount": "1000000", "venue_rent": "600000",
                   "tax": "100000", "record": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["id"].is_null());
    assert_eq!(
        app.get("/api/v1/performance/commissions", &m).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for (body, code) in [
        (
            json!({"contract_no": "X", "deal_name": "Y", "agent_id": agent1, "position_id": "nope",
                "contract_amount": "100"}),
            "unknown_position",
        ),
        (
            json!({"contract_no": "X", "deal_name": "Y", "agent_id": agent1,
                "contract_amount": "-5"}),
            "invalid_amount",
        ),
        (
            json!({"contract_no": "X", "deal_name": "Y", "agent_id": agent1,
                "contract_amount": "100", "venue_rent": "300"}),
            "invalid_amount",
        ),
        (
            json!({"contract_no": "X", "deal_name": "Y", "agent_id": "nobody",
                "contract_amount": "100"}),
            "unknown_agent",
        ),
    ] {
        let r = app.post("/api/v1/performance/commission", &m, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.error_code(), code);
    }
    // A position without a rate.
    let lead_id = app.user_id("lead").await;
    let r = app
        .post(
            "/api/v1/performance/commission",
            &m,
            json!({"contract_no": "X", "deal_name": "Y", "agent_id": lead_id, "contract_amount": "100"}),
        )
        .await;
    assert_eq!(r.error_code(), "no_commission_rate");

    // A commission recorded by mistake is withdrawn, once, by those who record them; the
    // audit log keeps what it was.
    let id = c["id"].as_str().unwrap();
    let path = format!("/api/v1/performance/commissions/{id}");
    let r = app.api(Method::DELETE, &path, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app.api(Method::DELETE, &path, Some(&m), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["contract_no"], "HT-2026-001");
    let r = app.api(Method::DELETE, &path, Some(&m), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let left = app.get("/api/v1/performance/commissions", &m).await.json();
    assert_eq!(left["items"], json!([]));

    // So is an incident: it leaves the month's list and the agent's figures.
    let month = kefu_server::app::qa::Month::of(app.state.clock().now()).code;
    let r = app
        .post(
            "/api/v1/performance/incidents",
            &m,
            json!({"agent_id": agent1, "month": month, "kind": "violation", "note": "误登"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let incident = r.json()["id"].as_str().unwrap().to_string();
    let listed = format!("/api/v1/performance/{month}/incidents");
    assert_eq!(
        app.get(&listed, &m).await.json().as_array().unwrap().len(),
        1
    );
    let path = format!("/api/v1/performance/incidents/{incident}");
    let r = app.api(Method::DELETE, &path, Some(&agent), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app.api(Method::DELETE, &path, Some(&m), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["note"], "误登");
    assert_eq!(app.get(&listed, &m).await.json(), json!([]));
    let r = app.api(Method::DELETE, &path, Some(&m), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (action, detail) in [
        (
            "performance.commission_withdraw",
            "HT-2026-001 650000".to_string(),
        ),
        (
            "performance.incident_withdraw",
            format!("{month} violation 误登"),
        ),
    ] {
        let audit = app
            .get(&format!("/api/v1/audit?action={action}"), &m)
            .await
            .json();
        assert_eq!(audit["items"][0]["detail"], detail.as_str(), "{audit}");
    }
    app.cleanup().await;
}
