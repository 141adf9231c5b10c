//! Needles in a haystack: the things agents look up exactly — an order number, the last
//! four digits of a phone, a rare product name, a customer's name, a two-character word,
//! an English word inside Chinese text — among a few thousand similar tickets; and who
//! may find what.

use kefu_search::snippet::snippet;
use kefu_search::{Access, Checkpoint, Filters, Kind, SearchDoc, SearchIndex, CUSTOMER_ACCESS};

const SUBJECTS: [&str; 8] = [
    "快递三天未送达",
    "退款一直没有到账",
    "账号无法登录",
    "发票抬头开错了",
    "商品与描述不符要求退货",
    "客服电话一直占线",
    "会员积分没有到账",
    "安装师傅迟到两个小时",
];
const NAMES: [&str; 6] = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊"];

fn ticket(i: usize, department: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: Some(Kind::Ticket),
        id: format!("t{i}"),
        title: format!("GD20261128-{i:04} {}", SUBJECTS[i % SUBJECTS.len()]),
        body: body.to_string(),
        hidden: format!("1390000{:04}", i % 10_000),
        subtype: Some(
            if i.is_multiple_of(3) {
                "complaint"
            } else {
                "consultation"
            }
            .into(),
        ),
        status: Some(
            if i.is_multiple_of(2) {
                "resolved"
            } else {
                "in_progress"
            }
            .into(),
        ),
        departments: vec![department.into()],
        tier: Some("normal".into()),
        access: vec![format!("d:{department}")],
        created_at: 1_700_000_000_000 + i as i64 * 60_000,
    }
}

fn haystack() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut docs: Vec<SearchDoc> = (0..3_000usize)
        .map(|i| {
            let dept = if i.is_multiple_of(2) {
                "intake"
            } else {
                "tech"
            };
            let body = format!(
                "客户{}来电反映{}，订单号DD2026110{:07}，已记录并承诺48小时内答复。",
                NAMES[i % NAMES.len()],
                SUBJECTS[(i / 7) % SUBJECTS.len()],
                i
            );
            ticket(i, dept, &body)
        })
        .collect();
    docs.push(ticket(
        5001,
        "intake",
        "客户反映订单DD202611289731的包裹破损，购买的是星河X9扫地机器人，电话13812345678。",
    ));
    docs.push(ticket(
        5002,
        "tech",
        "客户的iPhone充电后无法开机，已转技术部检测。",
    ));
    docs.push(ticket(
        5003,
        "intake",
        "客户要求开具增值税专用发票，抬头为上海申通物流，请财务处理。",
    ));
    docs.push(SearchDoc {
        kind: Some(Kind::Customer),
        id: "c1".into(),
        title: "欧阳娜娜 华东物流有限公司".into(),
        body: "VIP客户，偏好微信联系".into(),
        hidden: "13987654321 nana@example.com".into(),
        status: Some("active".into()),
        tier: Some("vip".into()),
        access: vec![CUSTOMER_ACCESS.into()],
        created_at: 1_700_000_000_000,
        ..SearchDoc::default()
    });
    index.add_new(&docs).unwrap();
    index
        .commit(Checkpoint {
            schema: kefu_search::SCHEMA_VERSION,
            seq: 0,
            complete: true,
        })
        .unwrap();
    index
}

fn everyone() -> Access {
    Access {
        tickets: Some(vec!["d:intake".into(), "d:tech".into()]),
        customers: true,
        articles: Some(true),
    }
}

fn top(index: &SearchIndex, q: &str, access: &Access) -> Vec<String> {
    index
        .search(q, access, &Filters::default(), 0, 10)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn needles_are_found_first() {
    let index = haystack();
    let all = everyone();
    for (q, want) in [
        ("DD202611289731", "t5001"),
        ("dd202611289731", "t5001"),
        ("订单DD202611289731", "t5001"),
        ("9731", "t5001"),
        ("5678", "t5001"),
        ("13812345678", "t5001"),
        ("星河X9", "t5001"),
        ("扫地机器人", "t5001"),
        ("iPhone", "t5002"),
        ("iphone 充电", "t5002"),
        ("增值税", "t5003"),
        ("申通", "t5003"),
        ("欧阳娜娜", "c1"),
        ("娜娜", "c1"),
        ("4321", "c1"),
        ("nana@example.com", "c1"),
        ("GD20261128-0042", "t42"),
    ] {
        let ids = top(&index, q, &all);
        assert_eq!(ids.first().map(String::as_str), Some(want), "{q}: {ids:?}");
    }
}

#[test]
fn two_character_words_and_names_find_every_match() {
    let index = haystack();
    let hits = index
        .search("发票", &everyone(), &Filters::default(), 0, 1000)
        .unwrap();
    // 3,000 tickets cycle through 8 subjects; 发票 is in one of them and in body text.
    assert!(hits.len() >= 375, "{}", hits.len());
    let marks = kefu_search::highlight_terms("发票");
    for h in hits.iter().take(20) {
        let shown = snippet(&h.title, &marks, 120) + &snippet(&h.body, &marks, 120);
        assert!(shown.contains("<mark>发票</mark>"), "{h:?}");
    }
    let zhang = index
        .search("张伟", &everyone(), &Filters::default(), 0, 1000)
        .unwrap();
    assert_eq!(zhang.len(), 500);
}

#[test]
fn filters_narrow_by_kind_type_status_department_and_date() {
    let index = haystack();
    let f = Filters {
        kinds: vec![Kind::Ticket],
        subtype: Some("complaint".into()),
        statuses: vec!["resolved".into()],
        department: Some("intake".into()),
        from: Some(1_700_000_000_000 + 600 * 60_000),
        to: Some(1_700_000_000_000 + 1200 * 60_000),
        ..Filters::default()
    };
    let hits = index.search("快递", &everyone(), &f, 0, 1000).unwrap();
    assert!(!hits.is_empty());
    for h in &hits {
        let i: usize = h.id[1..].parse().unwrap();
        assert!(i.is_multiple_of(6) && (600..1200).contains(&i), "{}", h.id);
    }
    let customers = Filters {
        kinds: vec![Kind::Customer],
        tier: Some("vip".into()),
        ..Filters::default()
    };
    assert_eq!(top_with(&index, "华东物流", &customers), ["c1"]);
}

fn top_with(index: &SearchIndex, q: &str, f: &Filters) -> Vec<String> {
    index
        .search(q, &everyone(), f, 0, 10)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn nobody_finds_what_they_may_not_open() {
    let index = haystack();
    let tech_only = Access {
        tickets: Some(vec!["d:tech".into(), "u:someone".into()]),
        customers: false,
        articles: Some(false),
    };
    // Other tickets share parts of the number (its `DD`, its digits); this one is not
    // theirs to find, nor is any customer.
    assert!(!top(&index, "DD202611289731", &tech_only).contains(&"t5001".to_string()));
    assert!(!top(&index, "欧阳娜娜", &tech_only).contains(&"c1".to_string()));
    let hits = index
        .search("快递", &tech_only, &Filters::default(), 0, 1000)
        .unwrap();
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| h.id[1..].parse::<usize>().unwrap() % 2 == 1));
    let nothing = Access::default();
    assert!(top(&index, "快递", &nothing).is_empty());
}

#[test]
fn phones_are_searchable_but_never_shown() {
    let index = haystack();
    let hits = index
        .search("13987654321", &everyone(), &Filters::default(), 0, 10)
        .unwrap();
    assert_eq!(hits[0].id, "c1");
    assert!(!hits[0].body.contains("13987654321"));
    assert!(!hits[0].title.contains("13987654321"));
}
