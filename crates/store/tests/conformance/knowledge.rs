//! The knowledge base: categories as a tree, articles through their versions (stale
//! edits refused, restore as a new version), drafts in lists, the rows the search index
//! reads, and a search-log entry for every write.

use crate::common::{actor_for, at, create_user, system};
use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience, VersionAction};
use kefu_store::knowledge::{ArticleFilter, ArticleInput, CategoryInput, KnowledgeError};
use kefu_store::search_log::Entity;
use kefu_store::{to_millis, Db};
use kefu_test_support::{TestBackend, TestDb};
use sqlx::{AnyConnection, Connection};

async fn category(db: &Db, name: &str, parent: Option<&str>) -> String {
    db.create_kb_category(
        &system(),
        at(0),
        &CategoryInput {
            parent_id: parent.map(str::to_string),
            name: name.into(),
            sort_order: 0,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("category {name}: {e}"))
}

fn article(title: &str, category_id: &str, tags: &[&str]) -> ArticleInput {
    ArticleInput {
        title: title.into(),
        body: format!("# {title}\n\n第一段。\n"),
        kind: ArticleKind::Faq,
        audience: Audience::Internal,
        category_id: category_id.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

pub async fn articles_keep_every_version_and_restore(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let writer_id = create_user(&t.db, "lead").await;
    let writer = actor_for(&writer_id, "李娜");
    let product = category(&t.db, "产品", None).await;
    let router = category(&t.db, "路由器", Some(&product)).await;

    let v1 = article("路由器保修政策", &router, &["保修", "VIP"]);
    let id =
        t.db.create_article(&writer, at(1), &v1, ArticleState::Draft)
            .await
            .unwrap();
    let a = t.db.get_article(&id).await.unwrap();
    assert_eq!(a.version, 1);
    assert_eq!(a.state, ArticleState::Draft);
    assert_eq!(a.category_path, ["产品", "路由器"]);
    assert_eq!(a.tags, ["VIP", "保修"], "tags come back sorted");
    assert_eq!(a.updated_by_name.as_deref(), Some("lead 坐席"));
    assert_eq!(a.published_at, None);

    let mut v2 = v1.clone();
    v2.body = "# 路由器保修政策\n\n整机保修两年。\n".into();
    v2.kind = ArticleKind::Policy;
    v2.tags = vec!["保修".into()];
    assert_eq!(
        t.db.update_article(&writer, at(2), &id, 1, &v2)
            .await
            .unwrap(),
        2
    );
    // Someone still editing version 1 is told, and nothing is written.
    let stale = t.db.update_article(&writer, at(3), &id, 1, &v1).await;
    assert!(
        matches!(stale, Err(KnowledgeError::Stale { current: 2 })),
        "{stale:?}"
    );
    assert_eq!(
        t.db.set_article_state(&writer, at(4), &id, ArticleState::Published, Some(2))
            .await
            .unwrap(),
        3
    );
    let again =
        t.db.set_article_state(&writer, at(5), &id, ArticleState::Published, None)
            .await;
    assert!(matches!(
        again,
        Err(KnowledgeError::AlreadyInState("published"))
    ));
    let published = t.db.get_article(&id).await.unwrap();
    assert_eq!(published.published_at, Some(to_millis(at(4))));

    // Restoring version 1 brings back its content as version 4; the state stays.
    assert_eq!(
        t.db.restore_article_version(&writer, at(6), &id, 1, Some(3))
            .await
            .unwrap(),
        4
    );
    let restored = t.db.get_article(&id).await.unwrap();
    assert_eq!(
        (
            restored.title.as_str(),
            restored.body.as_str(),
            restored.kind
        ),
        (v1.title.as_str(), v1.body.as_str(), v1.kind)
    );
    assert_eq!(restored.tags, ["VIP", "保修"]);
    assert_eq!(restored.state, ArticleState::Published);
    assert_eq!(restored.version, 4);
    let unknown =
        t.db.restore_article_version(&writer, at(7), &id, 9, None)
            .await;
    assert!(matches!(unknown, Err(KnowledgeError::UnknownVersion(9))));

    let versions = t.db.list_article_versions(&id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.action))
            .collect::<Vec<_>>(),
        [
            (4, VersionAction::Restore),
            (3, VersionAction::Publish),
            (2, VersionAction::Update),
            (1, VersionAction::Create),
        ]
    );
    assert_eq!(versions[0].restored_from, Some(1));
    assert_eq!(versions[0].body, versions[3].body);
    assert_eq!(versions[2].kind, ArticleKind::Policy);
    assert_eq!(versions[2].tags, ["保修"]);
    assert_eq!(versions[1].state, ArticleState::Published);
    assert_eq!(versions[3].category_name, "路由器");
    assert_eq!(versions[3].author_name, "李娜");
    let v2_row = t.db.get_article_version(&id, 2).await.unwrap();
    assert_eq!(v2_row.body, v2.body);
    assert!(t.db.get_article_version(&id, 5).await.is_err());

    // Versions cannot be changed behind the store's back either.
    let mut raw = AnyConnection::connect(&t.url).await.unwrap();
    let update = sqlx::query("UPDATE kb_article_versions SET body = 'x' WHERE article_id = $1")
        .bind(&id)
        .execute(&mut raw)
        .await;
    assert!(update.is_err(), "UPDATE kb_article_versions succeeded");
    let delete = sqlx::query("DELETE FROM kb_article_versions WHERE article_id = $1")
        .bind(&id)
        .execute(&mut raw)
        .await;
    assert!(delete.is_err(), "DELETE FROM kb_article_versions succeeded");
    raw.close().await.unwrap();

    let archived =
        t.db.set_article_state(&writer, at(8), &id, ArticleState::Archived, None)
            .await
            .unwrap();
    assert_eq!(archived, 5);
    let missing = t.db.update_article(&writer, at(9), "nope", 1, &v1).await;
    assert!(matches!(
        missing,
        Err(KnowledgeError::Store(kefu_store::StoreError::NotFound))
    ));
    let bad_category = ArticleInput {
        category_id: "nope".into(),
        ..v1.clone()
    };
    assert!(matches!(
        t.db.create_article(&writer, at(9), &bad_category, ArticleState::Draft)
            .await,
        Err(KnowledgeError::UnknownCategory(_))
    ));
    t.cleanup().await;
}

pub async fn lists_show_drafts_only_when_asked(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let product = category(&t.db, "产品", None).await;
    let router = category(&t.db, "路由器", Some(&product)).await;
    let scripts = category(&t.db, "话术", None).await;
    let mut ids = Vec::new();
    for (i, (title, cat, state, kind)) in [
        ("保修", &router, ArticleState::Published, ArticleKind::Faq),
        (
            "说明书",
            &product,
            ArticleState::Published,
            ArticleKind::Manual,
        ),
        ("草稿", &router, ArticleState::Draft, ArticleKind::Faq),
        (
            "致歉话术",
            &scripts,
            ArticleState::Published,
            ArticleKind::Script,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut input = article(title, cat, &["常用"]);
        input.kind = kind;
        if i == 3 {
            input.tags = vec!["逾期".into()];
        }
        ids.push(
            t.db.create_article(&system(), at(i as i64), &input, state)
                .await
                .unwrap(),
        );
    }
    let titles = |page: &kefu_store::Page<kefu_store::knowledge::ArticleSummary>| {
        page.items
            .iter()
            .map(|a| a.title.clone())
            .collect::<Vec<_>>()
    };
    let published =
        t.db.list_articles(&ArticleFilter::default(), None, 10)
            .await
            .unwrap();
    assert_eq!(
        titles(&published),
        ["致歉话术", "说明书", "保修"],
        "newest first"
    );
    let everything = ArticleFilter {
        states: vec![ArticleState::Draft, ArticleState::Published],
        ..Default::default()
    };
    let all = t.db.list_articles(&everything, None, 10).await.unwrap();
    assert_eq!(all.items.len(), 4);
    let under_product = ArticleFilter {
        category_id: Some(product.clone()),
        ..everything.clone()
    };
    assert_eq!(
        titles(&t.db.list_articles(&under_product, None, 10).await.unwrap()),
        ["草稿", "说明书", "保修"],
        "a category lists its subcategories' articles too"
    );
    let faq = ArticleFilter {
        kind: Some(ArticleKind::Faq),
        ..Default::default()
    };
    assert_eq!(
        titles(&t.db.list_articles(&faq, None, 10).await.unwrap()),
        ["保修"]
    );
    let tagged = ArticleFilter {
        tag: Some("逾期".into()),
        ..Default::default()
    };
    assert_eq!(
        titles(&t.db.list_articles(&tagged, None, 10).await.unwrap()),
        ["致歉话术"]
    );

    // Keyset pages: two, then the rest, nothing twice.
    let first = t.db.list_articles(&everything, None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("more");
    let second =
        t.db.list_articles(&everything, Some(&cursor), 2)
            .await
            .unwrap();
    assert_eq!(second.items.len(), 2);
    assert!(second.next_cursor.is_none());
    assert!(second.items.iter().all(|a| !first.items.contains(a)));

    // The search index's rebuild reads everything, by id, in chunks.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let chunk = t.db.articles_chunk(after.as_deref(), 3).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        after = chunk.last().map(|a| a.id.clone());
        seen.extend(chunk);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        seen.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        sorted
    );
    let draft = seen.iter().find(|a| a.title == "草稿").unwrap();
    assert_eq!(draft.state, ArticleState::Draft);
    assert_eq!(draft.category_path, ["产品", "路由器"]);
    assert!(draft.body.contains("第一段"));

    let cats = t.db.list_kb_categories().await.unwrap();
    let counts: Vec<(String, i64, i64)> = cats
        .iter()
        .map(|c| (c.name.clone(), c.published, c.articles))
        .collect();
    assert!(counts.contains(&("路由器".to_string(), 1, 2)), "{counts:?}");
    t.cleanup().await;
}

pub async fn category_tree_rules(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let a = category(&t.db, "产品", None).await;
    let b = category(&t.db, "路由器", Some(&a)).await;
    let input = |name: &str, parent: Option<&str>| CategoryInput {
        parent_id: parent.map(str::to_string),
        name: name.into(),
        sort_order: 5,
    };
    let dup =
        t.db.create_kb_category(&system(), at(1), &input("路由器", Some(&a)))
            .await;
    assert!(
        matches!(
            dup,
            Err(KnowledgeError::Store(
                kefu_store::StoreError::Conflict { .. }
            ))
        ),
        "{dup:?}"
    );
    let dup_root =
        t.db.create_kb_category(&system(), at(1), &input("产品", None))
            .await;
    assert!(
        matches!(dup_root, Err(KnowledgeError::Store(_))),
        "{dup_root:?}"
    );
    // The same name under another parent is fine.
    category(&t.db, "路由器", None).await;
    let cycle =
        t.db.update_kb_category(&system(), at(2), &a, &input("产品", Some(&b)))
            .await;
    assert!(matches!(cycle, Err(KnowledgeError::CategoryCycle)));
    let unknown =
        t.db.create_kb_category(&system(), at(2), &input("x", Some("nope")))
            .await;
    assert!(matches!(unknown, Err(KnowledgeError::UnknownCategory(_))));
    t.db.update_kb_category(&system(), at(3), &b, &input("无线路由器", Some(&a)))
        .await
        .unwrap();
    let id =
        t.db.create_article(
            &system(),
            at(4),
            &article("安装", &b, &[]),
            ArticleState::Published,
        )
        .await
        .unwrap();
    assert_eq!(
        t.db.get_article(&id).await.unwrap().category_path,
        ["产品", "无线路由器"]
    );
    assert!(matches!(
        t.db.delete_kb_category(&system(), at(5), &a).await,
        Err(KnowledgeError::CategoryNotEmpty)
    ));
    assert!(matches!(
        t.db.delete_kb_category(&system(), at(5), &b).await,
        Err(KnowledgeError::CategoryNotEmpty)
    ));
    let empty = category(&t.db, "空", Some(&a)).await;
    t.db.delete_kb_category(&system(), at(6), &empty)
        .await
        .unwrap();
    assert!(!t
        .db
        .list_kb_categories()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == empty));
    t.cleanup().await;
}

pub async fn every_article_write_is_logged(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let cat = category(&t.db, "话术", None).await;
    let head = t.db.search_log_head().await.unwrap();
    let input = article("回访话术", &cat, &[]);
    let id =
        t.db.create_article(&system(), at(1), &input, ArticleState::Draft)
            .await
            .unwrap();
    t.db.update_article(&system(), at(2), &id, 1, &input)
        .await
        .unwrap();
    // A refused write logs nothing.
    assert!(t
        .db
        .update_article(&system(), at(3), &id, 1, &input)
        .await
        .is_err());
    t.db.set_article_state(&system(), at(4), &id, ArticleState::Published, None)
        .await
        .unwrap();
    t.db.restore_article_version(&system(), at(5), &id, 1, None)
        .await
        .unwrap();
    t.db.set_article_state(&system(), at(6), &id, ArticleState::Archived, None)
        .await
        .unwrap();
    let log = t.db.search_changes_after(head, 100).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|c| (c.entity, c.entity_id.clone(), c.at))
            .collect::<Vec<_>>(),
        [1, 2, 4, 5, 6].map(|m| (Entity::Article, id.clone(), at(m)))
    );
    // Renaming the category changes its articles' paths: they are logged too.
    t.db.update_kb_category(
        &system(),
        at(7),
        &cat,
        &CategoryInput {
            parent_id: None,
            name: "通用话术".into(),
            sort_order: 0,
        },
    )
    .await
    .unwrap();
    let log = t.db.search_changes_after(head, 100).await.unwrap();
    assert_eq!(log.last().map(|c| c.entity_id.clone()), Some(id));
    assert_eq!(log.len(), 6);
    t.cleanup().await;
}
