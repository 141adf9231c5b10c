//! Organization templates: every template of the handbook loads into an empty kefu, its
//! rules (兼任, qualifications, headcounts and ratios) are enforced afterwards, and a
//! second load is refused with nothing written.

use crate::common::{at, new_user, system, t0};
use kefu_domain::org::template::{self, OrgTemplate};
use kefu_domain::org::{Cadence, Education, Quantities, StaffProfile};
use kefu_store::audit::AuditFilter;
use kefu_store::org::OrgError;
use kefu_store::Db;
use kefu_test_support::{TestBackend, TestDb};

fn code(result: Result<(), OrgError>) -> &'static str {
    match result {
        Err(OrgError::Assignment(v)) => v.code(),
        other => panic!("expected an assignment violation, got {other:?}"),
    }
}

async fn user(db: &Db, username: &str, profile: StaffProfile) -> String {
    db.create_user(&system(), t0(), &new_user(username, profile))
        .await
        .expect("create user")
}

/// The id of the position `title` in the department `department`.
async fn position(db: &Db, department: &str, title: &str) -> String {
    let departments = db.list_departments().await.unwrap();
    let dept = departments
        .iter()
        .find(|d| d.name == department)
        .unwrap_or_else(|| panic!("department {department}"));
    db.list_positions()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.department_id == dept.id && p.title == title)
        .unwrap_or_else(|| panic!("position {department}/{title}"))
        .id
}

async fn counts(db: &Db) -> (usize, usize, usize) {
    let positions = db.list_positions().await.unwrap();
    let exclusions = positions
        .iter()
        .map(|p| p.excluded_with.len())
        .sum::<usize>()
        / 2;
    (
        db.list_departments().await.unwrap().len(),
        positions.len(),
        exclusions,
    )
}

async fn template_loads(db: &Db) -> usize {
    let filter = AuditFilter {
        action: Some("org.template_load".into()),
        ..Default::default()
    };
    db.list_audit(&filter, None, 100).await.unwrap().items.len()
}

fn find(code: &str) -> &'static OrgTemplate {
    template::find(code).unwrap_or_else(|| panic!("template {code}"))
}

pub async fn every_template_loads_and_a_second_load_writes_nothing(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let mut expected = (0, 0, 0);
    for tpl in template::builtin() {
        let loaded = db
            .load_org_template(&system(), t0(), tpl)
            .await
            .unwrap_or_else(|e| panic!("{} loads into kefu: {e}", tpl.code));
        assert_eq!(loaded.departments, tpl.departments.len(), "{}", tpl.code);
        assert_eq!(loaded.positions, tpl.positions.len(), "{}", tpl.code);
        expected.0 += tpl.departments.len();
        expected.1 += tpl.positions.len();
        expected.2 += tpl.exclusions.len();
        assert_eq!(counts(db).await, expected, "after {}", tpl.code);
        // The tree is the template's: every department under the parent it names.
        let departments = db.list_departments().await.unwrap();
        for (d, id) in tpl.departments.iter().zip(&loaded.department_ids) {
            let row = departments.iter().find(|r| &r.id == id).unwrap();
            assert_eq!(row.name, d.name);
            assert_eq!(
                row.parent_id,
                d.parent.map(|p| loaded.department_ids[p].clone()),
                "{} / {}",
                tpl.code,
                d.name
            );
            assert_eq!(row.quantities(), d.quantities);
        }
    }
    assert_eq!(template_loads(db).await, template::builtin().len());
    // Every duty and its cadence round-trip through the database.
    let stored = db.list_positions().await.unwrap();
    for tpl in template::builtin() {
        for p in &tpl.positions {
            let row = stored
                .iter()
                .find(|r| r.title == p.title && r.duties == p.duties)
                .unwrap_or_else(|| panic!("{} / {} stored as written", tpl.code, p.title));
            assert_eq!(row.qualifications, p.qualifications);
            assert_eq!(row.headcount_ratio, p.headcount_ratio);
            assert_eq!(row.headcount_limit, p.headcount_limit.map(i64::from));
        }
    }
    let lead = position(db, "电信客服部", "班长").await;
    let lead = db.get_position(&lead).await.unwrap();
    assert!(lead.duties.iter().any(|d| d.cadence
        == Some(Cadence::Monthly {
            day: 22.try_into().unwrap()
        })));

    // A second load of any template is refused by name and writes nothing.
    let before = counts(db).await;
    for tpl in template::builtin() {
        match db.load_org_template(&system(), at(5), tpl).await {
            Err(OrgError::TemplateConflict(name)) => {
                assert!(tpl.departments.iter().any(|d| d.name == name), "{name}");
                assert!(
                    OrgError::TemplateConflict(name.clone())
                        .to_string()
                        .contains(&name),
                    "the error names the department"
                );
            }
            other => panic!("{}: expected a conflict, got {other:?}", tpl.code),
        }
    }
    assert_eq!(counts(db).await, before);
    assert_eq!(template_loads(db).await, template::builtin().len());
    t.cleanup().await;
}

/// A kefu that already has one department of the template's gets nothing of it.
pub async fn a_partly_present_template_is_not_loaded(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let input = kefu_store::org::DepartmentInput {
        parent_id: None,
        name: "财务部".into(),
        description: None,
        sort_order: 0,
    };
    db.create_department(&system(), t0(), &input).await.unwrap();
    let result = db
        .load_org_template(&system(), t0(), find("investment"))
        .await;
    assert!(
        matches!(&result, Err(OrgError::TemplateConflict(n)) if n == "财务部"),
        "{result:?}"
    );
    assert_eq!(counts(db).await, (1, 0, 0));
    assert_eq!(template_loads(db).await, 0);
    t.cleanup().await;
}

pub async fn loaded_rules_are_enforced(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    for code in ["investment", "vehicle-tech", "construction", "cs-group"] {
        db.load_org_template(&system(), t0(), find(code))
            .await
            .unwrap();
    }
    // Document 4: 行政文员, 资产保全岗 and 投资理财岗 may be combined, 业务部经理 with
    // 客户经理; no other two positions.
    let clerk = user(db, "clerk", StaffProfile::default()).await;
    let admin = position(db, "总经理办公室", "行政文员").await;
    let recovery = position(db, "风险控制部", "资产保全岗").await;
    let investing = position(db, "风险控制部", "投资理财岗").await;
    let accountant = position(db, "财务部", "会计").await;
    let cashier = position(db, "财务部", "出纳").await;
    for p in [&admin, &recovery, &investing] {
        db.assign_position(&system(), at(1), &clerk, p)
            .await
            .unwrap();
    }
    assert_eq!(
        code(db.assign_position(&system(), at(1), &clerk, &cashier).await),
        "incompatible_positions"
    );
    let finance = user(db, "finance", StaffProfile::default()).await;
    db.assign_position(&system(), at(1), &finance, &accountant)
        .await
        .unwrap();
    let err = db
        .assign_position(&system(), at(1), &finance, &cashier)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("兼任") && err.to_string().contains("会计"),
        "{err}"
    );
    let sales = user(db, "sales", StaffProfile::default()).await;
    db.assign_position(
        &system(),
        at(1),
        &sales,
        &position(db, "前台业务部", "业务部经理").await,
    )
    .await
    .unwrap();
    db.assign_position(
        &system(),
        at(1),
        &sales,
        &position(db, "前台业务部", "客户经理").await,
    )
    .await
    .unwrap();
    // Document 20: 会计 and 出纳 of the construction company are separated too.
    let builder = user(db, "builder", StaffProfile::default()).await;
    db.assign_position(
        &system(),
        at(1),
        &builder,
        &position(db, "建筑公司财务部", "会计").await,
    )
    .await
    .unwrap();
    assert_eq!(
        code(
            db.assign_position(
                &system(),
                at(1),
                &builder,
                &position(db, "建筑公司财务部", "出纳").await
            )
            .await
        ),
        "incompatible_positions"
    );
    // Document 3: one center manager.
    let manager = position(db, "客户服务中心", "客户服务中心经理").await;
    db.assign_position(&system(), at(1), &clerk, &manager)
        .await
        .unwrap();
    assert_eq!(
        code(db.assign_position(&system(), at(1), &sales, &manager).await),
        "headcount_full"
    );

    // Document 6: a vehicle technical manager needs one of 中专 (high school level) or
    // above, an 助理工程师 title or above, or 2 years in the trade …
    let vehicle_manager = position(db, "机务管理处", "车辆技术管理员").await;
    let novice = user(db, "novice", StaffProfile::default()).await;
    let err = db
        .assign_position(&system(), at(2), &novice, &vehicle_manager)
        .await
        .unwrap_err();
    assert!(matches!(&err, OrgError::Assignment(v) if v.code() == "qualification_not_met"));
    assert!(err.to_string().contains("years 2"), "{err}");
    // Two qualify by title (助理工程师), two by education (中专, kept as high school).
    let mut managers = Vec::new();
    for n in 0..4u32 {
        let by_title = n < 2;
        let profile = StaffProfile {
            education: (!by_title).then_some(Education::HighSchool),
            years_experience: 0,
            certificates: if by_title {
                vec!["助理工程师".into()]
            } else {
                vec![]
            },
        };
        managers.push(user(db, &format!("vm{n}"), profile).await);
    }
    // … and one per 50 vehicles: the template records 10, which allows one.
    db.assign_position(&system(), at(2), &managers[0], &vehicle_manager)
        .await
        .unwrap();
    let err = db
        .assign_position(&system(), at(2), &managers[1], &vehicle_manager)
        .await
        .unwrap_err();
    assert!(matches!(&err, OrgError::Assignment(v) if v.code() == "headcount_ratio_full"));
    assert!(
        err.to_string().contains("1 per 50 营运车辆") && err.to_string().contains("10"),
        "{err}"
    );
    // 120 vehicles need ceil(120 / 50) = 3.
    let bureau = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "机务管理处")
        .unwrap();
    db.set_department_quantities(
        &system(),
        at(3),
        &bureau.id,
        &Quantities::parse("营运车辆=120").unwrap(),
    )
    .await
    .unwrap();
    for m in &managers[1..3] {
        db.assign_position(&system(), at(3), m, &vehicle_manager)
            .await
            .unwrap();
    }
    assert_eq!(
        code(
            db.assign_position(&system(), at(3), &managers[3], &vehicle_manager)
                .await
        ),
        "headcount_ratio_full"
    );
    // Without a recorded count the ratio cannot be applied, and says so.
    db.set_department_quantities(&system(), at(4), &bureau.id, &Quantities::default())
        .await
        .unwrap();
    let err = db
        .assign_position(&system(), at(4), &managers[3], &vehicle_manager)
        .await
        .unwrap_err();
    assert!(matches!(&err, OrgError::Assignment(v) if v.code() == "ratio_quantity_missing"));
    // A count recorded on a parent department applies to its sub-departments.
    let company = bureau.parent_id.clone().unwrap();
    db.set_department_quantities(
        &system(),
        at(5),
        &company,
        &Quantities::parse("营运车辆=151").unwrap(),
    )
    .await
    .unwrap();
    db.assign_position(&system(), at(5), &managers[3], &vehicle_manager)
        .await
        .unwrap();
    assert_eq!(db.get_position(&vehicle_manager).await.unwrap().holders, 4);
    t.cleanup().await;
}
