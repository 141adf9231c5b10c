//! The demo knowledge base (知识库): a small category tree and a dozen articles the
//! handbook's center would have written — FAQs and manuals for the products in the demo
//! tickets, the call scripts (话术) with placeholders (the overdue apology, the identity
//! check, the callback after a complaint), and two policies. All published, written by
//! the shift lead; one script also has a second, edited version so its history shows.

use crate::DemoError;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience};
use kefu_store::audit::Actor;
use kefu_store::knowledge::{ArticleInput, CategoryInput};
use kefu_store::Db;
use std::collections::HashMap;

/// `(name, parent)`, parents first.
const CATEGORIES: &[(&str, Option<&str>)] = &[
    ("产品与服务", None),
    ("路由器", Some("产品与服务")),
    ("空调", Some("产品与服务")),
    ("服务话术", None),
    ("来电受理", Some("服务话术")),
    ("回访", Some("服务话术")),
    ("制度与流程", None),
];

struct Spec {
    title: &'static str,
    category: &'static str,
    kind: ArticleKind,
    audience: Audience,
    tags: &'static [&'static str],
    body: &'static str,
}

const ARTICLES: &[Spec] = &[
    Spec {
        title: "路由器保修政策",
        category: "路由器",
        kind: ArticleKind::Faq,
        audience: Audience::Customer,
        tags: &["保修", "路由器"],
        body: "## 保修期\n\n- 整机保修 **两年**，电源适配器保修一年。\n- 保修期自签收之日起计算，以物流签收记录为准。\n\n## 保修方式\n\n1. 客户来电报修，坐席创建**报修**工单。\n2. 技术部远程排查；无法解决的，寄回检测或上门更换。\n3. 人为损坏、进水、私自拆机不在保修范围内，可付费维修。\n",
    },
    Spec {
        title: "路由器无法上网排查步骤",
        category: "路由器",
        kind: ArticleKind::Manual,
        audience: Audience::Customer,
        tags: &["路由器", "故障排查"],
        body: "请按顺序引导客户操作，每一步确认结果后再进行下一步：\n\n1. 查看路由器 **SYS** 指示灯是否闪烁；不亮请检查电源。\n2. 拔掉光猫和路由器电源，等待 30 秒后先开光猫、再开路由器。\n3. 用网线连接电脑，访问 `http://192.168.1.1`，查看“上网状态”。\n4. 上网状态显示“拨号失败”：核对宽带账号密码，必要时联系运营商。\n5. 仍无法解决：创建**故障**工单，转技术部，并告知客户 48 小时内答复。\n\n| 指示灯 | 含义 |\n|---|---|\n| SYS 闪烁 | 正常运行 |\n| WAN 不亮 | 网线未接好或光猫故障 |\n",
    },
    Spec {
        title: "空调不制冷常见原因",
        category: "空调",
        kind: ArticleKind::Faq,
        audience: Audience::Customer,
        tags: &["空调", "报修"],
        body: "1. 遥控器模式是否为**制冷**，设定温度是否低于室温。\n2. 过滤网是否积灰（建议每两周清洗一次）。\n3. 室外机是否被遮挡、是否运转。\n4. 以上正常仍不制冷，可能缺氟或压缩机故障：预约上门维修，创建**报修**工单并转技术部。\n",
    },
    Spec {
        title: "空调安装与移机收费标准",
        category: "空调",
        kind: ArticleKind::Manual,
        audience: Audience::Customer,
        tags: &["空调", "收费"],
        body: "| 项目 | 费用 |\n|---|---|\n| 首次标准安装 | 免费 |\n| 加长铜管（每米） | 80 元 |\n| 移机（含拆装） | 200 元 |\n| 高空作业 | 100 元起 |\n\n收费须开具正式票据；客户对收费有异议的，登记为**投诉**工单。\n",
    },
    Spec {
        title: "逾期致歉话术",
        category: "来电受理",
        kind: ArticleKind::Script,
        audience: Audience::Internal,
        tags: &["逾期", "致歉", "承诺"],
        body: "{客户姓名}您好，我是客服中心{工号}号坐席{坐席姓名}。\n\n关于您反映的“{工单主题}”（工单号 {工单号}），我们原承诺在 {承诺时间} 前给您答复，现在已经超过了约定时间，非常抱歉！\n\n目前的处理进展是：________。\n\n我们重新承诺在 ________ 前给您明确答复，到时由我本人给您回电。再次向您致歉，感谢您的耐心！\n",
    },
    Spec {
        title: "身份核验话术",
        category: "来电受理",
        kind: ArticleKind::Script,
        audience: Audience::Internal,
        tags: &["身份核验", "来电"],
        body: "{客户姓名}您好，我是{工号}号客服。为了保障您的账户安全，在为您查询之前，需要先核实一下您的身份。\n\n- 请问您注册时使用的**账户名**是？\n- 或者请您告诉我身份证号码的**后四位**。\n\n> 核验通过：感谢您的配合，下面为您办理。\n>\n> 核验未通过：抱歉，暂时无法为您查询账户信息，您可以携带身份证件到服务网点办理。\n\n注意：切勿向客户复述完整的电话号码或身份证号。\n",
    },
    Spec {
        title: "投诉处理后回访话术",
        category: "回访",
        kind: ArticleKind::Script,
        audience: Audience::Internal,
        tags: &["回访", "投诉", "满意度"],
        body: "{客户姓名}您好，我是客服中心回访专员，工号{工号}。\n\n您在之前反映的“{工单主题}”（工单号 {工单号}）已处理完毕，想跟您确认一下：\n\n1. 问题现在是否已经解决？\n2. 对我们的处理结果是否满意？（非常满意 / 满意 / 一般 / 不满意）\n3. 您还有其他意见或建议吗？\n\n客户满意：感谢您的支持，祝您生活愉快！\n\n客户不满意：记录原因，告知将继续跟进，并重新打开工单。\n",
    },
    Spec {
        title: "首次来电问候与结束语",
        category: "来电受理",
        kind: ArticleKind::Script,
        audience: Audience::Internal,
        tags: &["三声服务"],
        body: "**问声**：您好，客服中心{工号}号为您服务，请问有什么可以帮您？\n\n**应声**：好的，您反映的情况我已经记录下来了，工单号是 {工单号}。\n\n**送声**：请问还有其他可以帮您的吗？感谢您的来电，再见！\n",
    },
    Spec {
        title: "首问负责制",
        category: "制度与流程",
        kind: ArticleKind::Policy,
        audience: Audience::Internal,
        tags: &["首问负责", "制度"],
        body: "第一个接到客户来电、来访的员工为**首问负责人**，对客户的问题负责到底：\n\n1. 能当场解决的，当场解决；\n2. 不能当场解决的，登记工单并告知客户答复时限（一般为 48 小时）；\n3. 需转其他部门的，由首问负责人跟踪进度，直至问题关闭；\n4. 不得以“不归我管”为由推诿客户。\n",
    },
    Spec {
        title: "客户信息保密规定",
        category: "制度与流程",
        kind: ArticleKind::Policy,
        audience: Audience::Internal,
        tags: &["保密", "个人信息"],
        body: "- 客户电话、身份证号、地址等个人信息默认**脱敏显示**，仅有权限的岗位可逐条查看，每次查看均记入审计日志。\n- 严禁将客户资料拷贝、拍照或透露给无关人员。\n- 导出客户资料须经客户服务中心经理批准。\n- 违反规定的，按公司制度严肃处理。\n",
    },
];

/// Loads the demo knowledge base (once: an existing category named like the first demo
/// category means it is there). Returns how many articles were written.
pub async fn load(db: &Db, now: DateTime<Utc>) -> Result<usize, DemoError> {
    let existing = db.list_kb_categories().await?;
    if existing.iter().any(|c| c.name == CATEGORIES[0].0) {
        return Ok(0);
    }
    let lead = db.get_user_by_username("lead").await?;
    let actor = Actor {
        user_id: Some(lead.id),
        name: lead.display_name,
        client_addr: None,
    };
    let written = now - Duration::days(30);
    let mut ids: HashMap<&str, String> = HashMap::new();
    for (i, (name, parent)) in CATEGORIES.iter().enumerate() {
        let input = CategoryInput {
            parent_id: parent.map(|p| ids[p].clone()),
            name: name.to_string(),
            sort_order: i as i64 * 10,
        };
        let id = db.create_kb_category(&actor, written, &input).await?;
        ids.insert(name, id);
    }
    for (i, a) in ARTICLES.iter().enumerate() {
        let at = written + Duration::hours(i as i64);
        let input = ArticleInput {
            title: a.title.to_string(),
            body: a.body.to_string(),
            kind: a.kind,
            audience: a.audience,
            category_id: ids[a.category].clone(),
            tags: a.tags.iter().map(|t| t.to_string()).collect(),
        };
        let id = db
            .create_article(&actor, at, &input, ArticleState::Published)
            .await?;
        // The overdue apology was sharpened once after a training session.
        if a.title == "逾期致歉话术" {
            let edited = ArticleInput {
                body: input.body.replace("非常抱歉！", "非常抱歉，给您添麻烦了！"),
                ..input
            };
            db.update_article(&actor, at + Duration::days(7), &id, 1, &edited)
                .await?;
        }
    }
    Ok(ARTICLES.len())
}
