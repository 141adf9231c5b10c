//! Business calendars, holidays and SLA policies: the seeded defaults, every write with
//! its audit entry, and the matched policy.

use crate::common::{at, system};
use chrono::{NaiveDate, TimeZone, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::calendar::{
    china_offset, parse_holiday_lines, BusinessCalendar, DayKind, HolidayLine, Span, CHINA_2026,
    CHINA_2027,
};
use kefu_domain::sla::{SlaCalendar, SlaScope};
use kefu_domain::ticket::{Priority, TicketStatus, TicketType};
use kefu_store::audit::AuditFilter;
use kefu_store::calendars::CalendarInput;
use kefu_store::sla::{SlaError, SlaPolicyInput};
use kefu_store::{Db, StoreError};
use kefu_test_support::{TestBackend, TestDb};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cst(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    china_offset()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn audited(db: &Db, action: AuditAction) -> Vec<kefu_store::audit::AuditRow> {
    let filter = AuditFilter {
        action: Some(action.code().to_string()),
        ..Default::default()
    };
    db.list_audit(&filter, None, 50).await.unwrap().items
}

/// A fresh kefu has the office week, the on-duty week and exactly the lines of the
/// shipped holiday files.
pub async fn seeded_defaults_match_the_data_files(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let calendars = t.db.list_calendars().await.unwrap();
    let codes: Vec<&str> = calendars.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["working", "on_duty"]);
    let office = BusinessCalendar::china_office_hours();
    assert_eq!(&calendars[0].week, office.week());
    assert!(calendars[0].observes_holidays && !calendars[1].observes_holidays);

    let mut shipped = parse_holiday_lines(CHINA_2026).unwrap();
    shipped.extend(parse_holiday_lines(CHINA_2027).unwrap());
    assert_eq!(t.db.list_calendar_days(None).await.unwrap(), shipped);
    assert_eq!(t.db.list_calendar_years().await.unwrap(), [2027, 2026]);
    assert_eq!(
        t.db.list_calendar_days(Some(2027)).await.unwrap(),
        parse_holiday_lines(CHINA_2027).unwrap()
    );

    let mut expected = office.clone();
    expected.load_holidays(CHINA_2026).unwrap();
    expected.load_holidays(CHINA_2027).unwrap();
    let working =
        t.db.business_calendar(SlaCalendar::Working, china_offset())
            .await
            .unwrap();
    assert_eq!(working, expected);
    assert!(!working.is_working(cst(2027, 2, 8, 10)), "春节 2027");
    let on_duty =
        t.db.business_calendar(SlaCalendar::OnDuty, china_offset())
            .await
            .unwrap();
    assert!(
        on_duty.is_working(cst(2026, 10, 1, 10)),
        "on duty on National Day"
    );
    assert!(!on_duty.is_working(cst(2026, 10, 1, 23)));
    assert_eq!(
        t.db.business_calendar(SlaCalendar::AroundTheClock, china_offset())
            .await
            .unwrap(),
        BusinessCalendar::around_the_clock(china_offset())
    );

    let policies = t.db.list_sla_policies().await.unwrap();
    assert_eq!(policies.len(), 1);
    let default = &policies[0];
    assert!(default.scope.is_catch_all() && default.active);
    assert_eq!(default.reply_promise_minutes, 48 * 60);
    assert_eq!(default.pause_statuses, [TicketStatus::WaitingCustomer]);
    t.cleanup().await;
}

pub async fn calendar_edits_are_audited(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let split = vec![
        Span::parse("08:00-11:30").unwrap(),
        Span::parse("17:00-21:00").unwrap(),
    ];
    let input = CalendarInput {
        name: "值班（分段）".into(),
        week: std::array::from_fn(|i| if i == 6 { Vec::new() } else { split.clone() }),
        observes_holidays: true,
    };
    t.db.update_calendar(&system(), at(1), "on_duty", &input)
        .await
        .unwrap();
    let row = t.db.get_calendar("on_duty").await.unwrap();
    assert_eq!(
        (row.name.as_str(), &row.week, row.observes_holidays),
        ("值班（分段）", &input.week, true)
    );
    assert_eq!(row.updated_at, at(1).timestamp_millis());
    let on_duty =
        t.db.business_calendar(SlaCalendar::OnDuty, china_offset())
            .await
            .unwrap();
    assert!(
        !on_duty.is_working(cst(2026, 10, 1, 10)),
        "now observes the holidays"
    );
    assert!(
        on_duty.is_working(cst(2026, 11, 30, 18)),
        "the evening shift"
    );
    assert!(!on_duty.is_working(cst(2026, 11, 30, 12)), "the break");
    assert!(matches!(
        t.db.update_calendar(&system(), at(1), "night", &input)
            .await,
        Err(StoreError::NotFound)
    ));
    let saved = audited(&t.db, AuditAction::CalendarSaved).await;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].subject_ids.as_deref(), Some("on_duty"));

    // One day: a company holiday, then deleted again.
    let outing = HolidayLine {
        date: date(2026, 12, 4),
        kind: DayKind::Holiday,
        name: "公司年会".into(),
    };
    t.db.save_calendar_day(&system(), at(2), &outing)
        .await
        .unwrap();
    let makeup = HolidayLine {
        date: date(2026, 12, 5),
        kind: DayKind::Workday { as_weekday: 4 },
        name: "年会调休".into(),
    };
    t.db.save_calendar_day(&system(), at(2), &makeup)
        .await
        .unwrap();
    let dec: Vec<HolidayLine> =
        t.db.list_calendar_days(Some(2026))
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.date >= date(2026, 12, 1))
            .collect();
    assert_eq!(dec, [outing.clone(), makeup.clone()]);
    let working =
        t.db.business_calendar(SlaCalendar::Working, china_offset())
            .await
            .unwrap();
    assert!(!working.is_working(cst(2026, 12, 4, 10)));
    assert!(working.is_working(cst(2026, 12, 5, 10)), "Saturday worked");
    // Saving the same date again changes it.
    let renamed = HolidayLine {
        name: "年会".into(),
        ..outing.clone()
    };
    t.db.save_calendar_day(&system(), at(3), &renamed)
        .await
        .unwrap();
    assert!(t
        .db
        .list_calendar_days(Some(2026))
        .await
        .unwrap()
        .contains(&renamed));
    t.db.delete_calendar_day(&system(), at(4), outing.date)
        .await
        .unwrap();
    assert!(matches!(
        t.db.delete_calendar_day(&system(), at(4), outing.date)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(audited(&t.db, AuditAction::CalendarDaySaved).await.len(), 3);
    assert_eq!(
        audited(&t.db, AuditAction::CalendarDayDeleted).await.len(),
        1
    );

    // A year replaced: the old lines go, the new ones come, other years stay.
    let notice = parse_holiday_lines("2027-01-01 holiday # 元旦\n2027-01-02 holiday\n").unwrap();
    let before = t.db.list_calendar_days(Some(2027)).await.unwrap().len() as u64;
    assert_eq!(
        t.db.replace_calendar_year(&system(), at(5), 2027, &notice)
            .await
            .unwrap(),
        before
    );
    assert_eq!(t.db.list_calendar_days(Some(2027)).await.unwrap(), notice);
    assert!(t
        .db
        .list_calendar_days(Some(2026))
        .await
        .unwrap()
        .contains(&makeup));
    let wrong_year = parse_holiday_lines("2027-05-01 holiday\n2028-01-01 holiday\n").unwrap();
    assert!(matches!(
        t.db.replace_calendar_year(&system(), at(6), 2027, &wrong_year)
            .await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(
        t.db.list_calendar_days(Some(2027)).await.unwrap(),
        notice,
        "nothing written"
    );
    let imports = audited(&t.db, AuditAction::CalendarYearImported).await;
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].subject_ids.as_deref(), Some("2027"));
    t.cleanup().await;
}

fn policy(name: &str, scope: SlaScope, first_response: i64) -> SlaPolicyInput {
    SlaPolicyInput {
        name: name.into(),
        scope,
        calendar: SlaCalendar::AroundTheClock,
        first_response_minutes: first_response,
        reply_promise_minutes: 2880,
        resolution_minutes: 10_000,
        pause_statuses: vec![
            TicketStatus::WaitingCustomer,
            TicketStatus::WaitingDepartment,
        ],
        active: true,
    }
}

pub async fn sla_policies_match_and_are_audited(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let default_id = t.db.list_sla_policies().await.unwrap()[0].id.clone();
    let complaints = SlaScope {
        ticket_type: Some(TicketType::Complaint),
        ..Default::default()
    };
    let vip_urgent = SlaScope {
        priority: Some(Priority::Urgent),
        tier: Some("VIP".into()),
        ..Default::default()
    };
    let c1 =
        t.db.create_sla_policy(&system(), at(1), &policy("投诉", complaints.clone(), 30))
            .await
            .unwrap();
    let c2 =
        t.db.create_sla_policy(
            &system(),
            at(2),
            &policy("投诉（重复）", complaints.clone(), 5),
        )
        .await
        .unwrap();
    let v =
        t.db.create_sla_policy(&system(), at(3), &policy("VIP 紧急", vip_urgent, 10))
            .await
            .unwrap();
    let stored = t.db.get_sla_policy(&v).await.unwrap();
    assert_eq!(stored.name, "VIP 紧急");
    assert_eq!(
        stored.pause_statuses,
        [
            TicketStatus::WaitingCustomer,
            TicketStatus::WaitingDepartment
        ]
    );
    assert_eq!(stored.created_at, at(3).timestamp_millis());
    let matched = |tt, p, tier: Option<&'static str>| {
        let db = t.db.clone();
        async move { db.match_sla_policy(tt, p, tier).await.unwrap().id }
    };
    assert_eq!(
        matched(TicketType::Inquiry, Priority::Normal, None).await,
        default_id
    );
    assert_eq!(
        matched(TicketType::Complaint, Priority::Normal, Some("A")).await,
        c1,
        "equal scopes: the older policy"
    );
    assert_eq!(
        matched(TicketType::Repair, Priority::Urgent, Some("VIP")).await,
        v
    );
    assert_eq!(
        matched(TicketType::Complaint, Priority::Urgent, Some("VIP")).await,
        v,
        "two criteria beat one"
    );
    let (policy_row, calendar) =
        t.db.sla_for(
            TicketType::Repair,
            Priority::Urgent,
            Some("VIP"),
            china_offset(),
        )
        .await
        .unwrap();
    assert_eq!(policy_row.id, v);
    assert_eq!(calendar, BusinessCalendar::around_the_clock(china_offset()));

    // Deactivated policies do not match; an update changes what matches.
    let mut off = kefu_store::sla::SlaPolicyInput::from(&t.db.get_sla_policy(&c1).await.unwrap());
    off.active = false;
    t.db.update_sla_policy(&system(), at(4), &c1, &off)
        .await
        .unwrap();
    assert_eq!(
        matched(TicketType::Complaint, Priority::Low, None).await,
        c2
    );

    let unknown = SlaScope {
        tier: Some("Z9".into()),
        ..Default::default()
    };
    assert!(matches!(
        t.db.create_sla_policy(&system(), at(5), &policy("x", unknown, 5)).await,
        Err(SlaError::UnknownTier(tier)) if tier == "Z9"
    ));

    // The last active catch-all cannot go; with a second one it can.
    let mut default_off =
        kefu_store::sla::SlaPolicyInput::from(&t.db.get_sla_policy(&default_id).await.unwrap());
    default_off.active = false;
    assert!(matches!(
        t.db.update_sla_policy(&system(), at(6), &default_id, &default_off)
            .await,
        Err(SlaError::CatchAllRequired)
    ));
    assert!(matches!(
        t.db.delete_sla_policy(&system(), at(6), &default_id).await,
        Err(SlaError::CatchAllRequired)
    ));
    assert!(
        t.db.get_sla_policy(&default_id).await.unwrap().active,
        "rolled back"
    );
    let other =
        t.db.create_sla_policy(&system(), at(7), &policy("新默认", SlaScope::default(), 45))
            .await
            .unwrap();
    t.db.delete_sla_policy(&system(), at(8), &default_id)
        .await
        .unwrap();
    assert_eq!(
        matched(TicketType::Inquiry, Priority::Normal, None).await,
        other
    );
    assert!(matches!(
        t.db.delete_sla_policy(&system(), at(8), &default_id).await,
        Err(SlaError::Store(StoreError::NotFound))
    ));
    assert_eq!(audited(&t.db, AuditAction::SlaPolicyCreated).await.len(), 4);
    assert_eq!(audited(&t.db, AuditAction::SlaPolicyUpdated).await.len(), 1);
    let deleted = audited(&t.db, AuditAction::SlaPolicyDeleted).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].subject_ids.as_deref(), Some(default_id.as_str()));
    t.cleanup().await;
}

/// New tickets read the policy and calendar from memory; every kind of edit made through
/// the store reaches the very next read (no waiting for the copy to age).
pub async fn edits_reach_the_next_new_ticket(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let monday = cst(2026, 11, 30, 10);
    let plan = || {
        let db = t.db.clone();
        async move {
            db.sla_for(TicketType::Inquiry, Priority::Normal, None, china_offset())
                .await
                .unwrap()
        }
    };
    let (policy, calendar) = plan().await;
    assert_eq!(policy.reply_promise_minutes, 48 * 60);
    assert!(calendar.is_working(monday));

    // A holiday saved, then deleted.
    let holiday = HolidayLine {
        date: date(2026, 11, 30),
        kind: DayKind::Holiday,
        name: "公司年会".into(),
    };
    t.db.save_calendar_day(&system(), at(1), &holiday)
        .await
        .unwrap();
    assert!(!plan().await.1.is_working(monday), "holiday seen");
    t.db.delete_calendar_day(&system(), at(2), holiday.date)
        .await
        .unwrap();
    assert!(plan().await.1.is_working(monday), "deletion seen");

    // A year replaced.
    t.db.replace_calendar_year(&system(), at(3), 2026, std::slice::from_ref(&holiday))
        .await
        .unwrap();
    assert!(!plan().await.1.is_working(monday), "new year's list seen");
    assert!(
        plan().await.1.is_working(cst(2026, 10, 8, 10)),
        "old year's list gone"
    );

    // The week changed: no Mondays.
    let row = t.db.get_calendar("working").await.unwrap();
    let mut week = row.week.clone();
    week[0].clear();
    let input = CalendarInput {
        name: row.name.clone(),
        week,
        observes_holidays: row.observes_holidays,
    };
    t.db.update_calendar(&system(), at(4), "working", &input)
        .await
        .unwrap();
    assert!(
        !plan().await.1.is_working(cst(2026, 12, 7, 10)),
        "week seen"
    );

    // The policy's target changed, then a more specific policy added.
    let mut changed = SlaPolicyInput::from(&policy);
    changed.reply_promise_minutes = 24 * 60;
    t.db.update_sla_policy(&system(), at(5), &policy.id, &changed)
        .await
        .unwrap();
    assert_eq!(plan().await.0.reply_promise_minutes, 24 * 60);
    let inquiries = SlaScope {
        ticket_type: Some(TicketType::Inquiry),
        ..Default::default()
    };
    let specific = SlaPolicyInput {
        name: "咨询".into(),
        scope: inquiries,
        ..changed.clone()
    };
    let id =
        t.db.create_sla_policy(&system(), at(6), &specific)
            .await
            .unwrap();
    assert_eq!(plan().await.0.id, id);
    t.db.delete_sla_policy(&system(), at(7), &id).await.unwrap();
    assert_eq!(plan().await.0.id, policy.id);
    t.cleanup().await;
}
