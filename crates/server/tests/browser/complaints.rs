//! The complaint form and its rounds: an agent registers a serious complaint (the
//! manager gets it), records the handling, a dissatisfied callback opens round 2, a
//! satisfied one closes it; the rounds show on the ticket page, the complaint in the
//! archive and in the manager's monthly statistics; the manager edits the cause tree.

use super::Browser;

async fn choose(b: &Browser, css: &str) {
    b.click(css).await;
}

async fn handle(b: &Browser, analysis: &str, action: &str) {
    b.type_into("#handling-analysis", analysis).await;
    b.type_into("#handling-action", action).await;
    b.submit("#record-handling").await;
    b.wait_for("#callback-form").await;
}

async fn call_back(b: &Browser, outcome: &str, notes: &str) {
    choose(b, &format!("#callback-outcome option[value={outcome}]")).await;
    b.type_into("#callback-notes", notes).await;
    b.submit("#record-callback").await;
}

pub async fn complaint_form_rounds_archive_and_stats(b: Browser) {
    b.login("agent1").await;
    b.goto("/workspace").await;
    b.submit("#new-complaint").await;
    b.wait_for("#complaint-form").await;
    assert_eq!(
        b.text("#recorder").await,
        "张丽",
        "the recorder signs the form"
    );

    // A bad form keeps what was typed and names the problem.
    b.type_into("#complainant", "王芳").await;
    b.type_into("#phone", "12").await;
    b.submit("#register-complaint").await;
    let error = b.text("#form-error").await;
    assert!(error.contains("phone"), "{error}");
    assert_eq!(b.value("#complainant").await.as_deref(), Some("王芳"));

    b.type_into("#phone", "13800138000").await;
    b.type_into("#company", "上海某贸易有限公司").await;
    b.type_into("#address", "上海市浦东新区世纪大道 100 号")
        .await;
    b.type_into("#cause", "订单三天未送达，外包装破损").await;
    b.type_into("#desired_outcome", "补发并赔偿运费").await;
    choose(&b, "#severity option[value=major]").await;
    b.type_into(
        "#restatement",
        "您反映订单三天未送达且包装破损，希望补发并赔偿运费，对吗？",
    )
    .await;
    b.click("#restatement_confirmed").await;
    b.submit("#register-complaint").await;
    b.wait_for("#complaint").await;
    let ticket = b.path().await;
    assert!(ticket.starts_with("/tickets/"), "{ticket}");
    assert_eq!(b.text("#complaint-severity").await, "重大");
    assert_eq!(b.text("#complaint-stage").await, "处理中");
    assert!(
        !b.text("#complaint-escalated").await.is_empty(),
        "escalated to the manager"
    );
    assert!(b.text("#restatement-confirmed").await.contains("已确认"));
    let phone = b.text("#complaint-phone").await;
    assert_eq!(phone, "138****8000", "the phone is masked");
    assert_eq!(b.text("#first-owner").await, "张丽");

    // Round 1: handling without a root cause is refused and says so.
    b.type_into("#handling-analysis", "快递站点分拣错误").await;
    b.type_into("#handling-action", "补发并赔偿运费").await;
    b.submit("#record-handling").await;
    assert!(!b.text("#action-error").await.is_empty());
    choose(&b, "#handling-cause option[value=cause-logistics-late]").await;
    handle(&b, "快递站点分拣错误", "补发并赔偿运费").await;
    assert_eq!(b.text("#complaint-stage").await, "待回访");
    assert!(b.text("#complaint-cause").await.contains("配送延误"));
    call_back(&b, "dissatisfied", "补发的商品仍未收到").await;
    b.wait_for("#handling-form").await;
    assert!(b.text("#complaint-round").await.contains('2'));
    assert_eq!(b.all("#complaint-rounds tr.complaint-round").await.len(), 2);
    assert!(b.text("#timeline").await.contains("回访不满意"));

    // Round 2, then a satisfied callback closes it.
    handle(&b, "补发单号录入错误", "加急重发并电话确认签收").await;
    call_back(&b, "satisfied", "已收到，满意").await;
    b.wait_for_text("#complaint-stage", "closed", |t| t == "已结案")
        .await;
    assert_eq!(b.text("#ticket-status").await, "已关闭");
    let mut outcomes = Vec::new();
    for e in b.all("#complaint-rounds .callback-outcome").await {
        outcomes.push(e.text().await.expect("outcome"));
    }
    assert_eq!(outcomes, ["不满意", "满意"]);
    let rounds = b.text("#complaint-rounds").await;
    assert!(
        rounds.contains("补发单号录入错误") && rounds.contains("已收到，满意"),
        "{rounds}"
    );
    let number = b.text("#ticket-number").await;

    // The archive lists it; the manager also sees this month's statistics.
    b.goto("/complaints").await;
    assert!(b.text("#complaints").await.contains(&number));
    b.logout().await;
    b.login("manager").await;
    b.goto("/complaints?severity=major").await;
    assert!(b.text("#complaints").await.contains(&number));
    b.goto("/complaints?severity=general").await;
    b.wait_for("#no-complaints").await;
    assert!(b.text("#stats-total").await.contains('1'));
    assert!(b.text("#stats-cause").await.contains("物流配送 / 配送延误"));
    assert!(b.text("#stats-severity").await.contains("重大"));

    // The manager keeps the root-cause tree: a new subcategory, and a bad one refused.
    b.goto("/settings/complaint-causes").await;
    b.type_into("#cause-name", "包装破损").await;
    choose(&b, "#cause-parent option[value=cause-logistics]").await;
    b.submit("#add-cause").await;
    b.wait_for("#saved").await;
    assert!(b.text("#causes").await.contains("包装破损"));
    b.type_into("#cause-name", "配送延误").await;
    choose(&b, "#cause-parent option[value=cause-logistics]").await;
    b.submit("#add-cause").await;
    assert!(
        !b.text("#form-error").await.is_empty(),
        "sibling names are unique"
    );
}
