//! Customers: writes, the timeline, duplicate mobiles, list filters, search, pagination,
//! bulk batches and export chunks.

use crate::common::{
    at, create_customer, create_user, customer, email, landline, mobile, system, t0,
};
use kefu_domain::audit::AuditAction;
use kefu_domain::customer::{CustomerStatus, Gender};
use kefu_store::audit::{AuditFilter, NewAuditEntry};
use kefu_store::customers::{CustomerFilter, CustomerWriteError};
use kefu_store::{Db, StoreError};
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeSet;

async fn names(db: &Db, filter: CustomerFilter) -> BTreeSet<String> {
    let page = db
        .list_customers(&filter, None, 100)
        .await
        .unwrap_or_else(|e| panic!("list {filter:?}: {e}"));
    assert!(page.next_cursor.is_none());
    page.items.into_iter().map(|c| c.name).collect()
}

async fn search(db: &Db, q: &str) -> BTreeSet<String> {
    names(
        db,
        CustomerFilter {
            q: Some(q.into()),
            ..Default::default()
        },
    )
    .await
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

pub async fn create_get_update(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let owner = create_user(&t.db, "owner").await;
    let mut input = customer("陈晓明");
    input.company = Some("华东物流有限公司".into());
    input.gender = Gender::Male;
    input.tier = "VIP".into();
    input.owner_id = Some(owner.clone());
    input.address = Some("上海市浦东新区".into());
    input.contacts = vec![
        mobile("138 1234 5678"),
        landline("(021) 6234 5678"),
        email("chen@example.com"),
    ];
    input.tags = vec!["大客户".into(), "物流".into(), "大客户".into()];
    let id = create_customer(&t.db, &input).await;

    let row = t.db.get_customer(&id).await.unwrap();
    assert_eq!(row.core.name, "陈晓明");
    assert_eq!(row.core.company.as_deref(), Some("华东物流有限公司"));
    assert_eq!(
        (row.core.gender.as_str(), row.core.tier.as_str()),
        ("male", "VIP")
    );
    assert_eq!(row.core.status, "prospect");
    assert_eq!(row.core.owner_id.as_deref(), Some(owner.as_str()));
    assert_eq!(row.core.owner_name.as_deref(), Some("owner 坐席"));
    assert_eq!(row.core.created_at, t0().timestamp_millis());
    let contacts: Vec<(&str, &str)> = row
        .contacts
        .iter()
        .map(|c| (c.kind.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        contacts,
        [
            ("mobile", "13812345678"),
            ("landline", "021-62345678"),
            ("email", "chen@example.com")
        ],
        "contacts keep their order"
    );
    assert_eq!(row.contacts[1].label.as_deref(), Some("办公"));
    assert_eq!(row.tags, ["大客户", "物流"], "tags deduplicated and sorted");
    assert!(matches!(
        t.db.get_customer("missing").await,
        Err(StoreError::NotFound)
    ));

    let mut changed = input.clone();
    changed.tier = "A".into();
    changed.status = CustomerStatus::Active;
    changed.notes = Some("要求只在工作日联系".into());
    changed.contacts = vec![mobile("13912345678")];
    changed.tags = vec!["物流".into()];
    t.db.update_customer(&system(), at(5), &id, &changed)
        .await
        .unwrap();
    let row = t.db.get_customer(&id).await.unwrap();
    assert_eq!(
        (row.core.tier.as_str(), row.core.status.as_str()),
        ("A", "active")
    );
    assert_eq!(row.core.notes.as_deref(), Some("要求只在工作日联系"));
    assert_eq!(row.core.updated_at, at(5).timestamp_millis());
    assert_eq!(row.core.created_at, t0().timestamp_millis());
    assert_eq!(row.contacts.len(), 1);
    assert_eq!(row.contacts[0].value, "13912345678");
    assert_eq!(row.tags, ["物流"]);
    // The old mobile is free again.
    let mut other = customer("另一位");
    other.contacts = vec![mobile("13812345678")];
    create_customer(&t.db, &other).await;

    let events = t.db.list_customer_events(&id, 10).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["updated", "created"], "newest first");
    let fields: BTreeSet<&str> = events[0].summary.split(',').collect();
    assert_eq!(
        fields,
        BTreeSet::from(["tier", "status", "notes", "contacts", "tags"]),
        "summary: {}",
        events[0].summary
    );
    assert_eq!(events[1].at, t0().timestamp_millis());

    // Only the owner changes: the summary names just that.
    let mut reassigned = changed.clone();
    reassigned.owner_id = None;
    t.db.update_customer(&system(), at(6), &id, &reassigned)
        .await
        .unwrap();
    let events = t.db.list_customer_events(&id, 1).await.unwrap();
    assert_eq!(events[0].summary, "owner");

    let audit =
        t.db.list_audit(
            &AuditFilter {
                subject_id: Some(id.clone()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["customer.update", "customer.update", "customer.create"]
    );

    assert!(matches!(
        t.db.update_customer(&system(), at(7), "missing", &changed)
            .await,
        Err(CustomerWriteError::Store(StoreError::NotFound))
    ));
    t.cleanup().await;
}

pub async fn duplicate_mobile_names_owner(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut first = customer("林芳");
    first.contacts = vec![mobile("13700001111")];
    let first_id = create_customer(&t.db, &first).await;

    let mut second = customer("林芳的同事");
    second.contacts = vec![email("x@example.com"), mobile("+86 137 0000 1111")];
    match t.db.create_customer(&system(), t0(), &second).await {
        Err(CustomerWriteError::DuplicatePhone {
            phone,
            customer_id,
            customer_name,
        }) => {
            assert_eq!(phone, "13700001111");
            assert_eq!(customer_id, first_id);
            assert_eq!(customer_name, "林芳");
        }
        other => panic!("expected DuplicatePhone, got {other:?}"),
    }
    assert_eq!(
        search(&t.db, "林芳").await,
        set(&["林芳"]),
        "nothing written"
    );

    // Keeping one's own number is not a duplicate; taking another customer's is.
    let second_id = {
        second.contacts = vec![mobile("13700002222")];
        create_customer(&t.db, &second).await
    };
    t.db.update_customer(&system(), at(1), &first_id, &first)
        .await
        .unwrap();
    let mut steal = second.clone();
    steal.contacts.push(mobile("13700001111"));
    assert!(matches!(
        t.db.update_customer(&system(), at(2), &second_id, &steal).await,
        Err(CustomerWriteError::DuplicatePhone { customer_id, .. }) if customer_id == first_id
    ));
    assert_eq!(
        t.db.get_customer(&second_id).await.unwrap().contacts.len(),
        1,
        "the refused update changed nothing"
    );

    let taken =
        t.db.existing_mobiles(&["13700001111".into(), "13700009999".into()])
            .await
            .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken["13700001111"], (first_id, "林芳".to_string()));
    t.cleanup().await;
}

pub async fn unknown_references_refused(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut input = customer("周杰");
    input.tier = "PLATINUM".into();
    assert!(matches!(
        t.db.create_customer(&system(), t0(), &input).await,
        Err(CustomerWriteError::UnknownTier(tier)) if tier == "PLATINUM"
    ));
    input.tier = "C".into();
    input.owner_id = Some("nobody".into());
    assert!(matches!(
        t.db.create_customer(&system(), t0(), &input).await,
        Err(CustomerWriteError::UnknownOwner(_))
    ));
    assert!(search(&t.db, "周杰").await.is_empty());
    let tiers: Vec<String> =
        t.db.list_tiers()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.code)
            .collect();
    assert_eq!(tiers, ["VIP", "A", "B", "C"]);
    t.cleanup().await;
}

pub async fn list_filters(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let owner = create_user(&t.db, "owner").await;
    let specs = [
        ("甲", "VIP", CustomerStatus::Active, true, vec!["重点"]),
        (
            "乙",
            "VIP",
            CustomerStatus::Lost,
            false,
            vec!["重点", "投诉"],
        ),
        ("丙", "A", CustomerStatus::Active, true, vec![]),
        ("丁", "C", CustomerStatus::Prospect, false, vec!["投诉"]),
    ];
    for (name, tier, status, owned, tags) in specs {
        let mut c = customer(name);
        c.tier = tier.into();
        c.status = status;
        c.owner_id = owned.then(|| owner.clone());
        c.tags = tags.into_iter().map(String::from).collect();
        create_customer(&t.db, &c).await;
    }
    let f = CustomerFilter::default;
    assert_eq!(names(&t.db, f()).await, set(&["甲", "乙", "丙", "丁"]));
    let vip = CustomerFilter {
        tier: Some("VIP".into()),
        ..f()
    };
    assert_eq!(names(&t.db, vip.clone()).await, set(&["甲", "乙"]));
    let active = CustomerFilter {
        status: Some("active".into()),
        ..f()
    };
    assert_eq!(names(&t.db, active).await, set(&["甲", "丙"]));
    let owned = CustomerFilter {
        owner_id: Some(owner.clone()),
        ..f()
    };
    assert_eq!(names(&t.db, owned).await, set(&["甲", "丙"]));
    let complaint = CustomerFilter {
        tag: Some("投诉".into()),
        ..f()
    };
    assert_eq!(names(&t.db, complaint.clone()).await, set(&["乙", "丁"]));
    let combined = CustomerFilter {
        tag: Some("投诉".into()),
        ..vip
    };
    assert_eq!(names(&t.db, combined).await, set(&["乙"]));

    let page = t.db.list_customers(&complaint, None, 10).await.unwrap();
    let yi = page.items.iter().find(|c| c.name == "乙").unwrap();
    assert_eq!(yi.tags, ["投诉", "重点"]);
    assert_eq!(yi.owner_name, None);
    let page =
        t.db.list_customers(
            &CustomerFilter {
                owner_id: Some(owner),
                ..f()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert!(page
        .items
        .iter()
        .all(|c| c.owner_name.as_deref() == Some("owner 坐席")));
    t.cleanup().await;
}

pub async fn search_by_name_company_phone(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut a = customer("王小二");
    a.company = Some("Acme Trading".into());
    a.contacts = vec![mobile("13812345678")];
    create_customer(&t.db, &a).await;
    let mut b = customer("Wang Xiaoer");
    b.company = Some("北京未来科技".into());
    b.contacts = vec![landline("010-62345678"), mobile("13900005678")];
    create_customer(&t.db, &b).await;
    let mut c = customer("李四");
    c.contacts = vec![mobile("13700001234"), email("5678@example.com")];
    create_customer(&t.db, &c).await;

    assert_eq!(search(&t.db, "小二").await, set(&["王小二"]));
    assert_eq!(
        search(&t.db, "wang").await,
        set(&["Wang Xiaoer"]),
        "case-insensitive"
    );
    assert_eq!(
        search(&t.db, "  ACME ").await,
        set(&["王小二"]),
        "company, trimmed"
    );
    assert_eq!(search(&t.db, "未来").await, set(&["Wang Xiaoer"]));
    assert_eq!(
        search(&t.db, "13812345678").await,
        set(&["王小二"]),
        "exact mobile"
    );
    assert_eq!(
        search(&t.db, "+86 138-1234-5678").await,
        set(&["王小二"]),
        "typed as people type it"
    );
    assert_eq!(
        search(&t.db, "010 6234 5678").await,
        set(&["Wang Xiaoer"]),
        "landline"
    );
    assert_eq!(
        search(&t.db, "5678").await,
        set(&["王小二", "Wang Xiaoer"]),
        "last four digits of any phone, not of an e-mail"
    );
    assert_eq!(search(&t.db, "1234").await, set(&["李四"]));
    assert!(search(&t.db, "0000").await.is_empty());
    assert!(search(&t.db, "13812345679").await.is_empty());
    assert_eq!(
        search(&t.db, "   ").await.len(),
        3,
        "blank q filters nothing"
    );
    t.cleanup().await;
}

pub async fn search_metacharacters(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    for name in ["张三", "李四", "O'Brien", "100%满意", "a_b", r"C:\客户"] {
        create_customer(&t.db, &customer(name)).await;
    }
    assert!(search(&t.db, "'; DROP TABLE customers; --")
        .await
        .is_empty());
    assert_eq!(
        names(&t.db, CustomerFilter::default()).await.len(),
        6,
        "table intact"
    );
    assert_eq!(search(&t.db, "O'Brien").await, set(&["O'Brien"]));
    assert_eq!(search(&t.db, "%").await, set(&["100%满意"]));
    assert_eq!(search(&t.db, "_").await, set(&["a_b"]));
    assert_eq!(search(&t.db, r"\").await, set(&[r"C:\客户"]));
    assert!(search(&t.db, "%%").await.is_empty());
    assert!(search(&t.db, "a%b").await.is_empty());
    assert!(search(&t.db, r"\%").await.is_empty());
    let tagged = CustomerFilter {
        tag: Some("' OR '1'='1".into()),
        ..Default::default()
    };
    assert!(names(&t.db, tagged).await.is_empty());
    t.cleanup().await;
}

pub async fn cursor_pagination(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let mut created = BTreeSet::new();
    for i in 0..23 {
        created.insert(create_customer(&t.db, &customer(&format!("客户{i:02}"))).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page =
            t.db.list_customers(&CustomerFilter::default(), cursor.as_deref(), 5)
                .await
                .unwrap();
        pages += 1;
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|c| c.id.clone()));
        match page.next_cursor {
            Some(next) => {
                assert_eq!(page.items.len(), 5);
                assert_eq!(Some(&next), page.items.last().map(|c| &c.id));
                cursor = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 5);
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "pages overlap");
    assert_eq!(unique, created, "pages cover every customer");
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first);
    t.cleanup().await;
}

pub async fn markup_stored_verbatim(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let name = "<script>alert('x')</script>";
    let mut input = customer(name);
    input.notes = Some("<b>&amp;</b> \"quoted\"".into());
    input.tags = vec!["<i>".into()];
    let id = create_customer(&t.db, &input).await;
    let row = t.db.get_customer(&id).await.unwrap();
    assert_eq!(row.core.name, name);
    assert_eq!(row.core.notes.as_deref(), Some("<b>&amp;</b> \"quoted\""));
    assert_eq!(row.tags, ["<i>"]);
    assert_eq!(search(&t.db, "<script>").await, set(&[name]));
    t.cleanup().await;
}

pub async fn batch_commit_and_drop(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let importer = create_user(&t.db, "importer").await;
    let rows: Vec<_> = (0..450)
        .map(|i| {
            let mut c = customer(&format!("导入{i:03}"));
            c.contacts = vec![mobile(&format!("1350000{i:04}"))];
            c.tags = vec!["导入".into()];
            c
        })
        .collect();

    let mut batch = t.db.begin_customer_batch(0).await.unwrap();
    batch
        .insert(Some(&importer), t0(), &rows[..400])
        .await
        .unwrap();
    let taken = batch
        .taken_mobiles(&["13500000399".into(), "13500000400".into()])
        .await
        .unwrap();
    assert_eq!(
        taken.len(),
        1,
        "rows written earlier in the batch count as taken"
    );
    assert!(taken.contains_key("13500000399"));
    batch
        .insert(Some(&importer), t0(), &rows[400..])
        .await
        .unwrap();
    assert_eq!(batch.written(), 450);
    let entry = NewAuditEntry::new(AuditAction::CustomersImported).detail("rows=450");
    let written = batch.commit(&system(), at(1), &entry).await.unwrap();
    assert_eq!(written, 450);

    let tagged = CustomerFilter {
        tag: Some("导入".into()),
        ..Default::default()
    };
    let all =
        t.db.export_customers_chunk(&tagged, None, 1000)
            .await
            .unwrap();
    assert_eq!(all.len(), 450);
    assert!(all
        .iter()
        .all(|c| c.contacts.len() == 1 && c.tags == ["导入"]));
    let found = t.db.find_customers_by_contact("13500000123").await.unwrap();
    assert_eq!(found.len(), 1);
    // Imported customers have no per-row event; their creation shows as "imported".
    let timeline = t.db.list_customer_events(&found[0].id, 10).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["imported"]);
    assert_eq!(found[0].name, "导入123");
    let audit =
        t.db.list_audit(
            &AuditFilter {
                action: Some("customer.import".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);

    // A batch that is dropped instead of committed writes nothing.
    {
        let mut batch = t.db.begin_customer_batch(0).await.unwrap();
        let mut c = customer("半途而废");
        c.contacts = vec![mobile("13600000001")];
        batch.insert(Some(&importer), t0(), &[c]).await.unwrap();
    }
    assert!(search(&t.db, "半途而废").await.is_empty());
    assert!(t
        .db
        .existing_mobiles(&["13600000001".into()])
        .await
        .unwrap()
        .is_empty());
    // And the writer is free again.
    let mut c = customer("之后");
    c.contacts = vec![mobile("13600000001")];
    create_customer(&t.db, &c).await;
    t.cleanup().await;
}

pub async fn export_chunks(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    for i in 0..7 {
        let mut c = customer(&format!("导出{i}"));
        c.tier = if i % 2 == 0 { "A" } else { "B" }.into();
        c.contacts = vec![
            mobile(&format!("1310000000{i}")),
            email(&format!("{i}@example.com")),
        ];
        c.tags = vec![format!("t{i}"), "all".into()];
        create_customer(&t.db, &c).await;
    }
    let mut exported = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let chunk =
            t.db.export_customers_chunk(&CustomerFilter::default(), after.as_deref(), 3)
                .await
                .unwrap();
        if chunk.is_empty() {
            break;
        }
        after = chunk.last().map(|c| c.core.id.clone());
        exported.extend(chunk);
    }
    assert_eq!(exported.len(), 7);
    let mut ids: Vec<&str> = exported.iter().map(|c| c.core.id.as_str()).collect();
    let in_order = ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, in_order, "id order, no repeats");
    for c in &exported {
        let i = c.core.name.trim_start_matches("导出");
        let values: Vec<&str> = c.contacts.iter().map(|ct| ct.value.as_str()).collect();
        assert_eq!(
            values,
            [format!("1310000000{i}"), format!("{i}@example.com")]
        );
        assert_eq!(c.tags, ["all".to_string(), format!("t{i}")]);
    }
    // A filtered export still carries each row's own contacts and tags only.
    let tier_a = CustomerFilter {
        tier: Some("A".into()),
        ..Default::default()
    };
    let a =
        t.db.export_customers_chunk(&tier_a, None, 100)
            .await
            .unwrap();
    assert_eq!(a.len(), 4);
    for c in &a {
        let i = c.core.name.trim_start_matches("导出");
        assert_eq!(c.contacts[0].value, format!("1310000000{i}"));
        assert_eq!(c.contacts.len(), 2);
        assert_eq!(c.tags.len(), 2);
    }
    t.cleanup().await;
}
