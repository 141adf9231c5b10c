//! Departments, positions, 兼任 rules, headcount and qualifications, permissions.

use crate::common::{at, create_user, new_user, system, t0};
use kefu_domain::org::{
    Alternative, Duty, Education, HeadcountRatio, Qualifications, Rounding, StaffProfile,
};
use kefu_domain::Permission;
use kefu_store::org::{DepartmentInput, OrgError, PositionInput};
use kefu_store::{Db, StoreError};
use kefu_test_support::{TestBackend, TestDb};

fn department(name: &str, parent: Option<&str>) -> DepartmentInput {
    DepartmentInput {
        parent_id: parent.map(str::to_string),
        name: name.into(),
        description: None,
        sort_order: 0,
    }
}

fn position(department_id: &str, title: &str) -> PositionInput {
    PositionInput {
        department_id: department_id.into(),
        title: title.into(),
        duties: Vec::new(),
        qualifications: Qualifications::default(),
        headcount_limit: None,
        headcount_ratio: None,
        permissions: Vec::new(),
        excluded_with: Vec::new(),
    }
}

async fn create_position(db: &Db, input: &PositionInput) -> String {
    db.create_position(&system(), t0(), input)
        .await
        .unwrap_or_else(|e| panic!("create position {}: {e}", input.title))
}

fn assignment_code(result: Result<(), OrgError>) -> &'static str {
    match result {
        Err(OrgError::Assignment(v)) => v.code(),
        other => panic!("expected an assignment violation, got {other:?}"),
    }
}

pub async fn departments(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let sys = system();
    let root =
        t.db.create_department(&sys, t0(), &department("客户服务中心", None))
            .await
            .unwrap();
    let hotline =
        t.db.create_department(&sys, t0(), &department("热线组", Some(&root)))
            .await
            .unwrap();
    let night =
        t.db.create_department(&sys, t0(), &department("夜班", Some(&hotline)))
            .await
            .unwrap();
    assert!(matches!(
        t.db.create_department(&sys, t0(), &department("x", Some("missing")))
            .await,
        Err(OrgError::Unknown(_))
    ));
    // Names are unique among siblings, top level included.
    assert!(matches!(
        t.db.create_department(&sys, t0(), &department("客户服务中心", None))
            .await,
        Err(OrgError::Store(StoreError::Conflict { .. }))
    ));

    let mut renamed = department("热线一组", Some(&root));
    renamed.description = Some("7×24".into());
    renamed.sort_order = 3;
    t.db.update_department(&sys, at(1), &hotline, &renamed)
        .await
        .unwrap();
    let row = t.db.get_department(&hotline).await.unwrap();
    assert_eq!(row.name, "热线一组");
    assert_eq!(row.description.as_deref(), Some("7×24"));
    assert_eq!(
        (row.parent_id.as_deref(), row.sort_order),
        (Some(root.as_str()), 3)
    );

    // Under its own grandchild, or under itself: a cycle.
    for parent in [&night, &root] {
        let cyclic = department("客户服务中心", Some(parent));
        assert!(
            matches!(
                t.db.update_department(&sys, at(2), &root, &cyclic).await,
                Err(OrgError::DepartmentCycle)
            ),
            "moving the root under {parent}"
        );
    }
    assert!(t
        .db
        .get_department(&root)
        .await
        .unwrap()
        .parent_id
        .is_none());

    assert!(matches!(
        t.db.delete_department(&sys, at(3), &hotline).await,
        Err(OrgError::DepartmentNotEmpty)
    ));
    create_position(&t.db, &position(&night, "夜班坐席")).await;
    assert!(matches!(
        t.db.delete_department(&sys, at(3), &night).await,
        Err(OrgError::DepartmentNotEmpty)
    ));
    let spare =
        t.db.create_department(&sys, t0(), &department("备用", Some(&root)))
            .await
            .unwrap();
    t.db.delete_department(&sys, at(4), &spare).await.unwrap();
    assert!(matches!(
        t.db.get_department(&spare).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        t.db.delete_department(&sys, at(4), &spare).await,
        Err(OrgError::Store(StoreError::NotFound))
    ));
    let names: Vec<String> =
        t.db.list_departments()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"热线一组".to_string()) && !names.contains(&"备用".to_string()));
    t.cleanup().await;
}

pub async fn positions_round_trip(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let sys = system();
    let dept =
        t.db.create_department(&sys, t0(), &department("质检组", None))
            .await
            .unwrap();
    let agent = create_position(&t.db, &position(&dept, "坐席")).await;
    let input = PositionInput {
        department_id: dept.clone(),
        title: "质检员".into(),
        duties: vec![
            Duty::new("抽检录音", None).unwrap(),
            Duty::parse_line("出具质检报告 | weekly fri").unwrap(),
            Duty::parse_line("月度质量报告 | monthly 22").unwrap(),
        ],
        qualifications: Qualifications {
            min_education: Some(Education::Associate),
            min_years_experience: Some(2),
            certificates: vec!["质检员证".into()],
            any_of: vec![
                Alternative::Years(5),
                Alternative::Certificate("技师".into()),
            ],
        },
        headcount_limit: Some(3),
        headcount_ratio: Some(HeadcountRatio::new(1, 50, "营运车辆", Rounding::Floor, 1).unwrap()),
        permissions: vec![Permission::CustomerRead, Permission::AuditRead],
        excluded_with: vec![agent.clone()],
    };
    let inspector = create_position(&t.db, &input).await;

    let row = t.db.get_position(&inspector).await.unwrap();
    assert_eq!(row.title, "质检员");
    assert_eq!(row.department_id, dept);
    assert_eq!(row.duties, input.duties);
    assert_eq!(row.qualifications, input.qualifications);
    assert_eq!(row.headcount_limit, Some(3));
    assert_eq!(row.headcount_ratio, input.headcount_ratio);
    assert_eq!(
        row.duties[2].cadence.map(|c| c.to_string()).as_deref(),
        Some("monthly 22")
    );
    assert_eq!(row.permissions, input.permissions);
    assert_eq!(row.excluded_with, vec![agent.clone()]);
    assert_eq!(row.holders, 0);
    // The rule is symmetric: the other side sees it too.
    assert_eq!(
        t.db.get_position(&agent).await.unwrap().excluded_with,
        vec![inspector.clone()]
    );

    let mut changed = input.clone();
    changed.duties = vec![Duty::parse_line("值班日志 | daily").unwrap()];
    changed.qualifications = Qualifications::default();
    changed.headcount_limit = None;
    changed.headcount_ratio = None;
    changed.permissions = vec![Permission::OrgRead];
    changed.excluded_with = Vec::new();
    t.db.update_position(&sys, at(1), &inspector, &changed)
        .await
        .unwrap();
    let row = t.db.get_position(&inspector).await.unwrap();
    assert_eq!(row.duties, changed.duties);
    assert_eq!(row.qualifications, Qualifications::default());
    assert_eq!(row.headcount_limit, None);
    assert_eq!(row.headcount_ratio, None);
    assert_eq!(row.permissions, vec![Permission::OrgRead]);
    assert!(row.excluded_with.is_empty());
    assert!(t
        .db
        .get_position(&agent)
        .await
        .unwrap()
        .excluded_with
        .is_empty());
    assert_eq!(t.db.list_positions().await.unwrap().len(), 2);

    // Unknown department, duplicate title, unknown excluded position: refused.
    let mut bad = position("missing", "x");
    assert!(matches!(
        t.db.create_position(&sys, t0(), &bad).await,
        Err(OrgError::Unknown(_))
    ));
    bad = position(&dept, "坐席");
    assert!(matches!(
        t.db.create_position(&sys, t0(), &bad).await,
        Err(OrgError::Store(StoreError::Conflict { .. }))
    ));
    bad = position(&dept, "组长");
    bad.excluded_with = vec!["missing".into()];
    assert!(matches!(
        t.db.create_position(&sys, t0(), &bad).await,
        Err(OrgError::Unknown(_))
    ));

    let user = create_user(&t.db, "qian.yu").await;
    t.db.assign_position(&sys, at(2), &user, &agent)
        .await
        .unwrap();
    assert_eq!(t.db.get_position(&agent).await.unwrap().holders, 1);
    assert!(matches!(
        t.db.delete_position(&sys, at(3), &agent).await,
        Err(OrgError::PositionHeld(1))
    ));
    t.db.delete_position(&sys, at(3), &inspector).await.unwrap();
    assert!(matches!(
        t.db.get_position(&inspector).await,
        Err(StoreError::NotFound)
    ));
    t.cleanup().await;
}

/// A session carries the user's permissions and the departments of their positions, in
/// the order the positions were given (the first is a new ticket's default department).
pub async fn grants_follow_positions(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let sys = system();
    let older =
        t.db.create_department(&sys, t0(), &department("业务受理组", None))
            .await
            .unwrap();
    let newer =
        t.db.create_department(&sys, t0(), &department("回访调查组", None))
            .await
            .unwrap();
    let mut callback = position(&newer, "回访专员");
    callback.permissions = vec![Permission::CustomerRead];
    let callback = create_position(&t.db, &callback).await;
    let mut intake = position(&older, "业务代表");
    intake.permissions = vec![Permission::TicketRead];
    let intake = create_position(&t.db, &intake).await;
    let a = create_user(&t.db, "agent.grants").await;

    let none = t.db.grants_of(&a).await.unwrap();
    assert!(none.departments.is_empty() && none.permissions.iter().next().is_none());
    t.db.assign_position(&sys, at(1), &a, &callback)
        .await
        .unwrap();
    t.db.assign_position(&sys, at(2), &a, &intake)
        .await
        .unwrap();
    let grants = t.db.grants_of(&a).await.unwrap();
    assert_eq!(grants.departments, vec![newer.clone(), older.clone()]);
    let held: Vec<Permission> = grants.permissions.iter().collect();
    assert_eq!(held, vec![Permission::CustomerRead, Permission::TicketRead]);

    t.db.create_session("s-grants", &a, "csrf", at(3), None)
        .await
        .unwrap();
    let (_, from_session) = t.db.get_session("s-grants").await.unwrap();
    assert_eq!(from_session.departments, grants.departments);
    assert_eq!(from_session.permissions.iter().collect::<Vec<_>>(), held);
    t.cleanup().await;
}

pub async fn assignment_rules(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let sys = system();
    let dept =
        t.db.create_department(&sys, t0(), &department("投诉处理组", None))
            .await
            .unwrap();
    let mut handler = position(&dept, "投诉处理专员");
    handler.permissions = vec![Permission::CustomerRead, Permission::CustomerWrite];
    let handler = create_position(&t.db, &handler).await;
    let mut reviewer = position(&dept, "投诉复核");
    reviewer.permissions = vec![Permission::CustomerRead, Permission::AuditRead];
    reviewer.excluded_with = vec![handler.clone()];
    let reviewer = create_position(&t.db, &reviewer).await;
    let mut lead = position(&dept, "组长");
    lead.headcount_limit = Some(1);
    lead.permissions = vec![Permission::OrgManage];
    let lead = create_position(&t.db, &lead).await;
    let mut senior = position(&dept, "高级专员");
    senior.qualifications = Qualifications {
        min_education: Some(Education::Bachelor),
        min_years_experience: Some(3),
        certificates: vec!["中级职称".into()],
        any_of: Vec::new(),
    };
    let senior = create_position(&t.db, &senior).await;

    let a = create_user(&t.db, "agent.a").await;
    let b = create_user(&t.db, "agent.b").await;
    t.db.assign_position(&sys, at(1), &a, &handler)
        .await
        .unwrap();
    assert_eq!(
        assignment_code(t.db.assign_position(&sys, at(2), &a, &reviewer).await),
        "incompatible_positions"
    );
    assert_eq!(
        assignment_code(t.db.assign_position(&sys, at(2), &a, &handler).await),
        "already_holds_position"
    );
    t.db.assign_position(&sys, at(2), &a, &lead).await.unwrap();
    assert_eq!(
        assignment_code(t.db.assign_position(&sys, at(3), &b, &lead).await),
        "headcount_full"
    );
    t.db.assign_position(&sys, at(3), &b, &reviewer)
        .await
        .unwrap();

    // Qualifications: each missing requirement refuses, meeting all of them passes.
    let profiles = [
        (Some(Education::Associate), 5, vec!["中级职称"]),
        (Some(Education::Master), 2, vec!["中级职称"]),
        (Some(Education::Master), 5, vec![]),
        (None, 10, vec!["中级职称"]),
    ];
    for (i, (education, years, certificates)) in profiles.into_iter().enumerate() {
        let profile = StaffProfile {
            education,
            years_experience: years,
            certificates: certificates.into_iter().map(String::from).collect(),
        };
        let user =
            t.db.create_user(&sys, t0(), &new_user(&format!("candidate.{i}"), profile))
                .await
                .unwrap();
        assert_eq!(
            assignment_code(t.db.assign_position(&sys, at(4), &user, &senior).await),
            "qualification_not_met",
            "profile {i}"
        );
    }
    let qualified = StaffProfile {
        education: Some(Education::Bachelor),
        years_experience: 3,
        certificates: vec!["普通话二级甲等".into(), "中级职称".into()],
    };
    let c =
        t.db.create_user(&sys, t0(), &new_user("qualified", qualified))
            .await
            .unwrap();
    t.db.assign_position(&sys, at(5), &c, &senior)
        .await
        .unwrap();
    assert!(matches!(
        t.db.assign_position(&sys, at(5), &c, "missing").await,
        Err(OrgError::Unknown(_))
    ));
    assert!(matches!(
        t.db.assign_position(&sys, at(5), "missing", &senior).await,
        Err(OrgError::Unknown(_))
    ));

    // Permissions are the union over the positions held.
    let perms = t.db.permissions_of(&a).await.unwrap();
    let held: Vec<Permission> = perms.iter().collect();
    assert_eq!(
        held,
        vec![
            Permission::CustomerRead,
            Permission::CustomerWrite,
            Permission::OrgManage
        ]
    );
    assert!(!t
        .db
        .permissions_of(&b)
        .await
        .unwrap()
        .contains(Permission::CustomerWrite));
    assert!(t
        .db
        .permissions_of(&c)
        .await
        .unwrap()
        .iter()
        .next()
        .is_none());
    let positions: Vec<String> =
        t.db.positions_of(&a)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.position_id)
            .collect();
    assert_eq!(positions.len(), 2);
    assert!(positions.contains(&handler) && positions.contains(&lead));

    // Giving up the position frees the seat and takes its permissions away.
    t.db.unassign_position(&sys, at(6), &a, &lead)
        .await
        .unwrap();
    assert!(!t
        .db
        .permissions_of(&a)
        .await
        .unwrap()
        .contains(Permission::OrgManage));
    t.db.assign_position(&sys, at(7), &b, &lead).await.unwrap();
    assert!(matches!(
        t.db.unassign_position(&sys, at(8), &a, &lead).await,
        Err(OrgError::Store(StoreError::NotFound))
    ));
    assert_eq!(t.db.list_assignments().await.unwrap().len(), 4);
    t.cleanup().await;
}
