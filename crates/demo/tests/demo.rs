//! Loads the demo center into a fresh SQLite database and checks what a demo relies on.

use chrono::Utc;
use kefu_demo::{demo_usernames, load_demo, reset_demo_passwords, DemoError, DemoLogin};
use kefu_domain::customer::ContactKind;
use kefu_domain::id_number::parse_id_number;
use kefu_domain::phone::PhoneKind;
use kefu_domain::{Permission, PhoneNumber};
use kefu_store::audit::Actor;
use kefu_store::customers::{CustomerFilter, CustomerRow};
use kefu_store::org::OrgError;
use kefu_store::Db;
use std::collections::HashSet;

/// A cheap stand-in for the real password hash.
fn hash(password: &str) -> String {
    format!("test-hash:{password}")
}

async fn loaded() -> (tempfile::TempDir, Db, Vec<DemoLogin>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/kefu.db", dir.path().display());
    let db = Db::connect(&url).await.unwrap();
    let logins = load_demo(&db, Utc::now(), &hash).await.unwrap();
    (dir, db, logins)
}

async fn all_customers(db: &Db) -> Vec<CustomerRow> {
    let mut out = Vec::new();
    loop {
        let after = out.last().map(|c: &CustomerRow| c.core.id.clone());
        let chunk = db
            .export_customers_chunk(&CustomerFilter::default(), after.as_deref(), 200)
            .await
            .unwrap();
        if chunk.is_empty() {
            return out;
        }
        out.extend(chunk);
    }
}

#[tokio::test]
async fn the_demo_loads_with_staff_and_500_customers() {
    let (_dir, db, logins) = loaded().await;
    let names: Vec<&str> = logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(names, demo_usernames());
    for l in &logins {
        let creds = db.get_credentials(&l.username).await.unwrap();
        assert_eq!(creds.password_hash, hash(&l.password));
        assert!(!l.position.is_empty(), "{} holds no position", l.username);
    }
    assert_eq!(
        db.count_users().await.unwrap(),
        demo_usernames().len() as i64
    );
    let departments: Vec<String> = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    for name in [
        "客户服务中心",
        "业务受理组",
        "回访调查组",
        "研发部",
        "技术部",
        "销售部",
    ] {
        assert!(departments.iter().any(|d| d == name), "missing {name}");
    }
    assert_eq!(db.list_positions().await.unwrap().len(), 9);
    assert_eq!(all_customers(&db).await.len(), 500);
}

#[tokio::test]
async fn permissions_follow_positions() {
    let (_dir, db, logins) = loaded().await;
    let agent1 = db.get_user_by_username("agent1").await.unwrap();
    let perms = db.permissions_of(&agent1.id).await.unwrap();
    assert!(perms.contains(Permission::CustomerRead));
    assert!(perms.contains(Permission::CustomerWrite));
    assert!(!perms.contains(Permission::CustomerPiiRead));
    assert!(!perms.contains(Permission::AuditRead));

    let manager = db.get_user_by_username("manager").await.unwrap();
    let perms = db.permissions_of(&manager.id).await.unwrap();
    for p in Permission::ALL {
        assert!(perms.contains(*p), "manager lacks {p}");
    }
    let login = logins.iter().find(|l| l.username == "manager").unwrap();
    assert_eq!(login.position, "客户服务中心经理");
}

#[tokio::test]
async fn customers_pass_the_validators() {
    let (_dir, db, _) = loaded().await;
    let customers = all_customers(&db).await;
    let agents: HashSet<String> = {
        let mut s = HashSet::new();
        for u in ["agent1", "agent2", "agent3", "agent4"] {
            s.insert(db.get_user_by_username(u).await.unwrap().id);
        }
        s
    };
    let mut mobiles = HashSet::new();
    let mut tiers = HashSet::new();
    let mut with_company = 0;
    for c in &customers {
        let has_mobile = c.contacts.iter().any(|ct| ct.kind == "mobile");
        assert!(has_mobile, "{} has no mobile", c.core.name);
        for ct in &c.contacts {
            let kind = ContactKind::from_code(&ct.kind).unwrap();
            if matches!(kind, ContactKind::Mobile | ContactKind::Landline) {
                let phone = PhoneNumber::parse(&ct.value).unwrap();
                assert_eq!(phone.as_str(), ct.value);
                if kind == ContactKind::Mobile {
                    assert_eq!(phone.kind(), PhoneKind::Mobile);
                    assert!(mobiles.insert(ct.value.clone()), "{} twice", ct.value);
                }
            }
        }
        if let Some(id) = &c.core.id_number {
            assert_eq!(&parse_id_number(id).unwrap(), id);
        }
        assert!(c.tags.len() <= 2);
        assert!(agents.contains(c.core.owner_id.as_deref().unwrap()));
        tiers.insert(c.core.tier.clone());
        with_company += usize::from(c.core.company.is_some());
    }
    assert!(mobiles.len() >= 500);
    assert_eq!(tiers.len(), 4, "{tiers:?}");
    assert!((250..350).contains(&with_company), "{with_company}");
    assert!(customers.iter().any(|c| c.core.id_number.is_some()));
}

#[tokio::test]
async fn an_inspector_never_inspects_their_own_work() {
    let (_dir, db, _) = loaded().await;
    let positions = db.list_positions().await.unwrap();
    let inspector = positions.iter().find(|p| p.title == "质检员").unwrap();
    let mut excluded: Vec<&str> = inspector
        .excluded_with
        .iter()
        .map(|id| {
            positions
                .iter()
                .find(|p| &p.id == id)
                .unwrap()
                .title
                .as_str()
        })
        .collect();
    excluded.sort();
    assert_eq!(excluded, ["回访专员", "客户服务中心经理", "客服专员"]);
    let agent1 = db.get_user_by_username("agent1").await.unwrap();
    let actor = Actor {
        user_id: None,
        name: "test".into(),
        client_addr: None,
    };
    let err = db
        .assign_position(&actor, Utc::now(), &agent1.id, &inspector.id)
        .await
        .unwrap_err();
    match err {
        OrgError::Assignment(v) => assert_eq!(v.code(), "incompatible_positions"),
        other => panic!("expected a 兼任 violation, got {other}"),
    }
}

#[tokio::test]
async fn loading_twice_is_refused() {
    let (_dir, db, _) = loaded().await;
    let err = load_demo(&db, Utc::now(), &hash).await.unwrap_err();
    assert!(matches!(err, DemoError::NotEmpty(_)), "{err}");
    assert_eq!(all_customers(&db).await.len(), 500);
}

#[tokio::test]
async fn passwords_can_be_reset_for_every_demo_account() {
    let (_dir, db, first) = loaded().await;
    let again = reset_demo_passwords(&db, &hash).await.unwrap();
    assert_eq!(again.len(), demo_usernames().len());
    for (before, after) in first.iter().zip(&again) {
        assert_eq!(before.username, after.username);
        assert_eq!(before.display_name, after.display_name);
        assert_eq!(before.position, after.position);
        assert_ne!(before.password, after.password);
        let creds = db.get_credentials(&after.username).await.unwrap();
        assert_eq!(creds.password_hash, hash(&after.password));
    }
}

#[tokio::test]
async fn the_same_customers_on_every_load() {
    let (_a, db_a, _) = loaded().await;
    let (_b, db_b, _) = loaded().await;
    let key = |rows: Vec<CustomerRow>| -> Vec<(String, Vec<String>)> {
        rows.into_iter()
            .map(|c| {
                (
                    c.core.name,
                    c.contacts.into_iter().map(|x| x.value).collect(),
                )
            })
            .collect()
    };
    assert_eq!(
        key(all_customers(&db_a).await),
        key(all_customers(&db_b).await)
    );
}

#[tokio::test]
async fn demo_tickets_tell_their_stories() {
    let (_dir, db, _) = loaded().await;
    let n = kefu_demo::load_demo_tickets(&db, Utc::now()).await.unwrap();
    assert_eq!(n, 12);
    let intake = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "业务受理组")
        .unwrap()
        .id;
    let all = db
        .list_tickets(&Default::default(), "", &[intake], None, 100)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 12);
    let statuses: HashSet<String> = all.items.iter().map(|r| r.status.clone()).collect();
    for s in [
        "new",
        "in_progress",
        "waiting_department",
        "resolved",
        "closed",
    ] {
        assert!(statuses.contains(s), "a {s} ticket: {statuses:?}");
    }
    // The counters the workspace reads agree with a recount.
    let kept = db.all_queue_counts().await.unwrap();
    db.rebuild_queue_counts().await.unwrap();
    assert_eq!(db.all_queue_counts().await.unwrap(), kept);
}

#[tokio::test]
async fn demo_complaints_show_every_stage_of_the_loop() {
    let (_dir, db, _) = loaded().await;
    let n = kefu_demo::load_demo_complaints(&db, Utc::now())
        .await
        .unwrap();
    assert_eq!(n, 3);
    let manager = db.get_user_by_username("manager").await.unwrap().id;
    let agent1 = db.get_user_by_username("agent1").await.unwrap().id;
    let intake = db
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "业务受理组")
        .unwrap()
        .id;
    let page = db
        .list_complaints(&Default::default(), &agent1, &[intake], None, 10)
        .await
        .unwrap();
    let mut stages: Vec<(String, i64)> = page
        .items
        .iter()
        .map(|c| (c.stage.clone(), c.round))
        .collect();
    stages.sort();
    assert_eq!(
        stages,
        [
            ("awaiting_callback".to_string(), 1),
            ("closed".to_string(), 2),
            ("handling".to_string(), 1)
        ]
    );
    let major = page.items.iter().find(|c| c.severity == "major").unwrap();
    let detail = db.get_complaint(&major.ticket_id).await.unwrap();
    assert_eq!(
        detail.complaint.escalated_to_id.as_deref(),
        Some(manager.as_str())
    );
    let closed = page.items.iter().find(|c| c.stage == "closed").unwrap();
    assert_eq!(
        db.get_ticket(&closed.ticket_id)
            .await
            .unwrap()
            .ticket
            .status,
        "closed"
    );
}

#[tokio::test]
async fn two_demo_promises_are_already_due() {
    let (_dir, db, _) = loaded().await;
    let now = Utc::now();
    kefu_demo::load_demo_tickets(&db, now).await.unwrap();
    // The scheduler's first tick would fire exactly these.
    let mut due = 0;
    while let Some(job) = db.claim_due_job(now).await.unwrap() {
        due += usize::from(job.job().kind == kefu_store::tickets::PROMISE_DUE_JOB);
        job.complete(now).await.unwrap();
    }
    assert_eq!(due, 2);
}

#[tokio::test]
async fn demo_knowledge_has_scripts_with_placeholders() {
    use kefu_domain::knowledge::{placeholders_in, ArticleKind, ArticleState, Placeholder};
    let (_dir, db, _) = loaded().await;
    let n = kefu_demo::load_demo_knowledge(&db, Utc::now())
        .await
        .unwrap();
    assert_eq!(n, 10);
    assert_eq!(
        kefu_demo::load_demo_knowledge(&db, Utc::now())
            .await
            .unwrap(),
        0,
        "loaded once"
    );
    let articles = db.articles_chunk(None, 100).await.unwrap();
    assert_eq!(articles.len(), 10);
    assert!(articles.iter().all(|a| a.state == ArticleState::Published));
    let scripts: Vec<_> = articles
        .iter()
        .filter(|a| a.kind == ArticleKind::Script)
        .collect();
    assert!(scripts.len() >= 3);
    for s in &scripts {
        for name in placeholders_in(&s.body) {
            assert!(
                Placeholder::from_code(&name).is_some(),
                "{}: {name}",
                s.title
            );
        }
        assert_eq!(s.category_path[0], "服务话术");
    }
    let apology = scripts.iter().find(|a| a.title == "逾期致歉话术").unwrap();
    assert_eq!(apology.version, 2, "the apology has a history");
    // The writer is the shift lead, who may write the knowledge base.
    let lead = db.get_user_by_username("lead").await.unwrap();
    let perms = db.permissions_of(&lead.id).await.unwrap();
    assert!(perms.contains(Permission::KnowledgeWrite));
    let agent = db.get_user_by_username("agent1").await.unwrap();
    let perms = db.permissions_of(&agent.id).await.unwrap();
    assert!(perms.contains(Permission::KnowledgeRead));
    assert!(!perms.contains(Permission::KnowledgeWrite));
}

#[tokio::test]
async fn demo_callbacks_fill_the_queue() {
    let (_dir, db, _) = loaded().await;
    let complaints = kefu_demo::load_demo_complaints(&db, Utc::now())
        .await
        .unwrap();
    assert_eq!(complaints, 3);
    let n = kefu_demo::load_demo_callbacks(&db, Utc::now())
        .await
        .unwrap();
    use kefu_store::callbacks::{Assignee, Queue};
    let db = &db;
    let kinds = |k| async move {
        db.list_callback_tasks(&Queue::Kind(k), &Assignee::Anyone, None, 1000)
            .await
            .unwrap()
            .items
    };
    use kefu_domain::callback::CallbackKind;
    assert!(
        !kinds(CallbackKind::Periodic).await.is_empty(),
        "VIP monthly"
    );
    assert_eq!(kinds(CallbackKind::Renewal).await.len(), 5);
    assert_eq!(kinds(CallbackKind::PreSale).await.len(), 1);
    assert_eq!(
        kinds(CallbackKind::Complaint).await.len(),
        1,
        "the complaint waiting for its callback"
    );
    assert!(n > 10, "{n}");
}

#[tokio::test]
async fn demo_surveys_have_answers_and_follow_ups() {
    let (_dir, db, _) = loaded().await;
    let n = kefu_demo::load_demo_surveys(&db, Utc::now()).await.unwrap();
    assert_eq!(n, 7);
    assert_eq!(db.list_survey_templates(true).await.unwrap().len(), 2);
    let all = kefu_store::surveys::ResponseFilter::default();
    let summary = db.summarize_survey_responses(&all).await.unwrap();
    assert_eq!((summary.answers, summary.dissatisfied), (7, 2));
    let dissatisfied = kefu_store::surveys::ResponseFilter {
        dissatisfied_only: true,
        ..Default::default()
    };
    let page = db
        .list_survey_responses(&dissatisfied, None, 10)
        .await
        .unwrap();
    assert!(page.items.iter().all(|r| r.followup_number.is_some()));
}

#[tokio::test]
async fn demo_campaigns_have_progress_and_todays_lists() {
    let (_dir, db, _) = loaded().await;
    let now = Utc::now();
    assert_eq!(kefu_demo::load_demo_campaigns(&db, now).await.unwrap(), 2);
    let campaigns = db.list_campaigns(None).await.unwrap();
    let active = campaigns.iter().find(|c| c.status == "active").unwrap();
    assert!(campaigns.iter().any(|c| c.status == "draft"));
    let p = db.campaign_progress(&active.id, now).await.unwrap();
    assert!(p.targets > 24, "registered customers: {}", p.targets);
    assert_eq!(
        p.calls_total, 24,
        "six calls by each of four agents yesterday"
    );
    assert_eq!(p.outcome("converted"), 4);
    // Today's lists are full (8 each), retries first where due.
    let agent1 = db.get_user_by_username("agent1").await.unwrap().id;
    let list = db.todays_calling_list(&agent1, now).await.unwrap();
    assert_eq!(list.len(), 8);
}
