//! The organization templates page: the handbook's organizations listed with what they
//! create, one previewed, loaded after the confirmation step, and its departments,
//! duties with cadences and headcount ratio on the organization page and the position
//! form afterwards.

use super::*;

pub async fn org_template_loads_and_shows_its_departments(b: Browser) {
    b.login("manager").await;
    b.goto("/org").await;
    b.mark_page().await;
    b.click("#org-templates").await;
    b.wait_new_page().await;
    assert_eq!(b.path().await, "/org/templates");
    assert_eq!(
        b.all("table#templates tbody tr").await.len(),
        12,
        "every organization of the handbook"
    );
    // The demo already holds document 3's center: no load button, the reason instead.
    let group = b.text("#template-cs-group").await;
    assert!(group.contains("客户服务中心"), "{group:?}");
    assert!(b.all("#open-cs-group").await.is_empty());
    b.goto("/org/templates/cs-group").await;
    b.wait_for("#template-existing").await;
    assert!(b.all("#load-template").await.is_empty());

    b.goto("/org/templates").await;
    b.mark_page().await;
    b.click("#open-vehicle-tech").await;
    b.wait_new_page().await;
    let confirm = b.text("#confirm-text").await;
    assert!(
        confirm.contains("半岛国际公司 机务管理处") && confirm.contains('2'),
        "the confirmation names the template and what it creates: {confirm:?}"
    );
    let preview = b.text("#preview").await;
    assert!(
        preview.contains("车辆技术管理员") && preview.contains("1 / 50 营运车辆"),
        "{preview:?}"
    );
    b.mark_page().await;
    b.click("#load-template").await;
    b.wait_new_page().await;
    let done = b.text("#template-loaded").await;
    assert!(
        done.contains("半岛国际公司") && done.contains('5'),
        "{done:?}"
    );
    let row = b.text("#template-vehicle-tech").await;
    assert!(row.contains("机务管理处"), "now listed as present: {row:?}");

    b.goto("/org").await;
    let tree = b.text("#departments").await;
    assert!(
        tree.contains("半岛国际公司")
            && tree.contains("机务管理处")
            && tree.contains("营运车辆=10"),
        "the loaded tree with its vehicle count: {tree:?}"
    );
    let positions = b.text(".grid2").await;
    assert!(
        positions.contains("每周一"),
        "a weekly duty's cadence: {positions:?}"
    );
    assert!(
        positions.contains("每 50 营运车辆 配备 1 人"),
        "the headcount ratio: {positions:?}"
    );

    // The position form shows the ratio, the one-of qualifications and the cadences,
    // and saving it unchanged keeps them.
    let db = b.state.db();
    let before = db.list_positions().await.expect("positions");
    let find = |list: &[kefu_store::org::PositionRow], title: &str| {
        list.iter()
            .find(|p| p.title == title)
            .unwrap_or_else(|| panic!("position {title}"))
            .clone()
    };
    let id = |title: &str| find(&before, title).id;
    let manager = id("车辆技术管理员");
    b.goto(&format!("/org/positions/{manager}/edit")).await;
    assert_eq!(b.value("#ratio_per").await.as_deref(), Some("50"));
    assert_eq!(
        b.value("#ratio_quantity").await.as_deref(),
        Some("营运车辆")
    );
    assert!(b.value("#any_of").await.unwrap().contains("years 2"));
    b.mark_page().await;
    b.click("#save").await;
    b.wait_new_page().await;
    let clerk = id("机务内勤管理员");
    b.goto(&format!("/org/positions/{clerk}/edit")).await;
    let duties = b.value("#duties").await.unwrap();
    assert!(duties.contains("| weekly mon"), "{duties:?}");
    b.type_into("#duties", "\n编制月报 | monthly 40").await;
    b.mark_page().await;
    b.click("#save").await;
    b.wait_new_page().await;
    let page = b.client.source().await.expect("source");
    assert!(page.contains("1 to 31"), "the bad cadence is named");
    let after = db.list_positions().await.expect("positions");
    let manager_before = find(&before, "车辆技术管理员");
    let manager_after = find(&after, "车辆技术管理员");
    assert!(manager_after.headcount_ratio.is_some());
    assert_eq!(
        manager_after.headcount_ratio,
        manager_before.headcount_ratio
    );
    assert_eq!(manager_after.qualifications, manager_before.qualifications);
    assert_eq!(manager_after.duties, manager_before.duties);
    assert_eq!(
        find(&after, "机务内勤管理员").duties,
        find(&before, "机务内勤管理员").duties,
        "the refused form changed nothing"
    );
}
