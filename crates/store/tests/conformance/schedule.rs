//! Shift operations in the store: settings and templates (a code once), scheduled agents,
//! rosters with their shifts (one published roster per day, drafts only deleted), one's
//! published shifts and who is on shift at an instant, leave and swap requests that move
//! only from the status the caller checked (an approved leave takes the shifts off, an
//! approved swap moves them in the same transaction), the on-duty roster, and contacts
//! counted per interval of center time.

use crate::common::{actor_for, at, create_user, system, t0};
use chrono::{DateTime, Duration, TimeZone, Utc};
use kefu_domain::schedule::{
    AgentRules, LeaveStatus, ScheduleSettings, ShiftTemplateSpec, SwapStatus,
};
use kefu_store::schedule::{NewDuty, NewLeave, NewRoster, NewShift, NewSwap, SwapChange};
use kefu_store::StoreError;
use kefu_test_support::{TestBackend, TestDb};

fn local(day: u32, hour: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn shift(staff: &str, day: u32, code: &str, start: u32, hours: u32) -> NewShift {
    NewShift {
        staff_id: staff.to_string(),
        day: format!("2026-12-{day:02}"),
        template_code: code.to_string(),
        queue: "咨询".to_string(),
        starts_at: local(day, start),
        ends_at: local(day, start) + Duration::hours(hours as i64),
        on_call: code == "c",
        locked: false,
    }
}

fn roster(from: u32, to: u32, shifts: Vec<NewShift>, staff: &[&str]) -> NewRoster {
    NewRoster {
        name: format!("12-{from:02}"),
        start_date: format!("2026-12-{from:02}"),
        end_date: format!("2026-12-{to:02}"),
        days: (to - from + 1) as i64,
        problem: "{}".into(),
        report: "{}".into(),
        staff: staff.iter().map(|s| s.to_string()).collect(),
        shifts,
    }
}

pub async fn templates_rosters_requests_and_duty(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let lead_id = create_user(db, "lead").await;
    let lead = actor_for(&lead_id, "lead");
    let a = create_user(db, "agent_a").await;
    let b = create_user(db, "agent_b").await;

    // Settings: the handbook's defaults until saved, then what was saved.
    assert_eq!(
        db.get_schedule_settings().await.unwrap(),
        ScheduleSettings::default()
    );
    let s = ScheduleSettings {
        interval_minutes: 15,
        ..Default::default()
    };
    db.save_schedule_settings(&lead, t0(), &s).await.unwrap();
    assert_eq!(
        db.get_schedule_settings().await.unwrap().interval_minutes,
        15
    );

    // Templates: a code once; by start time.
    let spec = |code: &str, start: u32| ShiftTemplateSpec {
        code: code.into(),
        name: format!("班次{code}"),
        start_minute: start,
        length_minutes: 480,
        breaks: vec![],
        on_call: false,
        color: "#cfe2ff".into(),
    };
    let b_id = db
        .save_shift_template(&lead, t0(), None, &spec("b", 720), true)
        .await
        .unwrap();
    db.save_shift_template(&lead, t0(), None, &spec("a", 540), true)
        .await
        .unwrap();
    let err = db
        .save_shift_template(&lead, t0(), None, &spec("a", 600), true)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    db.save_shift_template(&lead, at(1), Some(&b_id), &spec("b", 720), false)
        .await
        .unwrap();
    let list = db.list_shift_templates().await.unwrap();
    assert_eq!(
        list.iter()
            .map(|x| (x.spec.code.as_str(), x.active))
            .collect::<Vec<_>>(),
        [("a", true), ("b", false)]
    );

    // Scheduled agents; an unknown staff id is refused.
    db.save_schedule_agent(&lead, t0(), &a, &AgentRules::default())
        .await
        .unwrap();
    db.save_schedule_agent(&lead, t0(), &b, &AgentRules::default())
        .await
        .unwrap();
    assert!(db
        .save_schedule_agent(&lead, t0(), "nobody", &AgentRules::default())
        .await
        .is_err());
    assert_eq!(db.list_schedule_agents().await.unwrap().len(), 2);

    // A roster: a works a on the 7th and 8th, b works b on the 7th.
    let first = db
        .create_roster(
            &lead,
            t0(),
            &roster(
                7,
                13,
                vec![
                    shift(&a, 7, "a", 9, 8),
                    shift(&a, 8, "a", 9, 8),
                    shift(&b, 7, "b", 12, 8),
                ],
                &[&a, &b],
            ),
        )
        .await
        .unwrap();
    assert_eq!(db.roster_shifts(&first).await.unwrap().len(), 3);
    assert!(
        db.published_shifts(Some(&a), "2026-12-07", "2026-12-13")
            .await
            .unwrap()
            .is_empty(),
        "a draft is nobody's schedule yet"
    );
    db.publish_roster(&lead, at(2), &first).await.unwrap();
    let err = db.publish_roster(&lead, at(3), &first).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }));
    let second = db
        .create_roster(&lead, t0(), &roster(12, 18, vec![], &[&a]))
        .await
        .unwrap();
    match db.publish_roster(&lead, at(3), &second).await.unwrap_err() {
        StoreError::Conflict { constraint } => assert_eq!(constraint, "rosters_published_overlap"),
        e => panic!("{e:?}"),
    }
    assert!(
        db.delete_roster(&lead, at(4), &first).await.is_err(),
        "published stays"
    );
    db.delete_roster(&lead, at(4), &second).await.unwrap();
    assert!(matches!(
        db.get_roster(&second).await.unwrap_err(),
        StoreError::NotFound
    ));
    assert_eq!(
        db.published_roster_on("2026-12-10")
            .await
            .unwrap()
            .unwrap()
            .id,
        first
    );
    assert!(db
        .published_roster_on("2026-12-20")
        .await
        .unwrap()
        .is_none());

    // One's schedule and who is on shift at 13:00 on the 7th (both), 18:00 (b only).
    let mine = db
        .published_shifts(Some(&a), "2026-12-01", "2026-12-31")
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|s| s.day.as_str()).collect::<Vec<_>>(),
        ["2026-12-07", "2026-12-08"]
    );
    assert_eq!(db.shifts_at(local(7, 13)).await.unwrap().len(), 2);
    let late = db.shifts_at(local(7, 18)).await.unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].staff_id, b);
    assert!(
        db.shifts_at(local(7, 20)).await.unwrap().is_empty(),
        "ends are exclusive"
    );

    // A hand edit replaces one cell.
    db.set_roster_shift(
        &lead,
        at(5),
        &first,
        &b,
        "2026-12-08",
        Some(&shift(&b, 8, "b", 12, 8)),
    )
    .await
    .unwrap();
    assert_eq!(db.roster_shifts(&first).await.unwrap().len(), 4);

    // Leave: decided once; approval takes a's shift on the 8th off.
    let leave = db
        .create_leave(
            &actor_for(&a, "agent_a"),
            at(6),
            &NewLeave {
                staff_id: a.clone(),
                kind: "sick".into(),
                start_date: "2026-12-08".into(),
                end_date: "2026-12-09".into(),
                reason: "发烧".into(),
            },
        )
        .await
        .unwrap();
    let pending = db
        .list_leave(None, Some(LeaveStatus::Pending), None, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    db.decide_leave(&lead, at(7), &leave, LeaveStatus::Approved, "好")
        .await
        .unwrap();
    assert!(matches!(
        db.decide_leave(&lead, at(8), &leave, LeaveStatus::Rejected, "")
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    assert!(db.cancel_leave(&system(), at(8), &leave).await.is_err());
    let leave_row = db.get_leave(&leave).await.unwrap();
    assert_eq!(leave_row.status, LeaveStatus::Approved);
    assert_eq!(
        leave_row.decided_by.as_deref(),
        Some("lead 坐席"),
        "by name"
    );
    assert_eq!(
        db.list_leave(Some(&a), None, Some(("2026-12-09", "2026-12-20")), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let days: Vec<String> = db
        .published_shifts(Some(&a), "2026-12-01", "2026-12-31")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.day)
        .collect();
    assert_eq!(days, ["2026-12-07"]);

    // A swap: proposed, accepted (evidence kept), approved moving the shifts at once.
    let swap = db
        .create_swap(
            &actor_for(&b, "agent_b"),
            at(9),
            &NewSwap {
                roster_id: first.clone(),
                requester_id: b.clone(),
                requester_day: "2026-12-07".into(),
                counterpart_id: a.clone(),
                counterpart_day: None,
                reason: "看病".into(),
            },
        )
        .await
        .unwrap();
    let accept = SwapChange {
        from: SwapStatus::Proposed,
        to: SwapStatus::Accepted,
        note: "可以",
        client: Some("10.0.0.8"),
        moves: &[],
    };
    db.step_swap(&actor_for(&a, "agent_a"), at(10), &swap, &accept)
        .await
        .unwrap();
    assert!(matches!(
        db.step_swap(&actor_for(&a, "agent_a"), at(10), &swap, &accept)
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    let moves = [
        (b.clone(), "2026-12-07".to_string(), None),
        (
            a.clone(),
            "2026-12-07".to_string(),
            Some(shift(&a, 7, "b", 12, 8)),
        ),
    ];
    db.step_swap(
        &lead,
        at(11),
        &swap,
        &SwapChange {
            from: SwapStatus::Accepted,
            to: SwapStatus::Approved,
            note: "",
            client: None,
            moves: &moves,
        },
    )
    .await
    .unwrap();
    let row = db.get_swap(&swap).await.unwrap();
    assert_eq!(row.status, SwapStatus::Approved);
    assert_eq!(row.accepted_from.as_deref(), Some("10.0.0.8"));
    assert_eq!(row.accept_note.as_deref(), Some("可以"));
    assert_eq!(db.list_swaps(Some(&a), None, 10).await.unwrap().len(), 1);
    let on_7th: Vec<(String, String)> = db
        .published_shifts(None, "2026-12-07", "2026-12-07")
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.staff_id, s.template_code))
        .collect();
    assert_eq!(
        on_7th,
        [(a.clone(), "b".to_string())],
        "one row per agent and day"
    );

    // On duty: once per person, day and kind.
    let duty = NewDuty {
        day: "2026-12-31".into(),
        kind: "holiday".into(),
        staff_id: b.clone(),
        phone: "400-800-1234".into(),
        note: String::new(),
    };
    let d = db.create_duty(&lead, at(12), &duty).await.unwrap();
    assert!(matches!(
        db.create_duty(&lead, at(12), &duty).await.unwrap_err(),
        StoreError::Conflict { .. }
    ));
    assert_eq!(
        db.list_duty("2026-12-31", "2026-12-31")
            .await
            .unwrap()
            .len(),
        1
    );
    db.delete_duty(&lead, at(13), &d).await.unwrap();
    assert!(db
        .list_duty("2026-12-01", "2026-12-31")
        .await
        .unwrap()
        .is_empty());

    // Contacts per interval of center time (no calls or chats yet).
    assert!(db
        .contact_counts(local(1, 0), local(31, 0), 1_800_000, &[], true)
        .await
        .unwrap()
        .is_empty());
    t.cleanup().await;
}
