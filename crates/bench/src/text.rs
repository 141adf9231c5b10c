//! Realistic, seeded Chinese text for the search benchmark (issue 4): ticket subjects and
//! descriptions built from templates × products × names × order numbers × phones, and
//! knowledge articles (FAQs, call scripts, manuals) around the same products. The words
//! the query mix asks for (投诉, 快递, 退款 … and the English App, WiFi, iPhone) occur
//! at realistic rates, and every ticket carries needles — an order number `DD2026…`, a
//! caller's name and mobile — that exactly one or a few tickets hold.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::fmt::Write as _;

pub const PRODUCTS: &[&str] = &[
    "空调",
    "冰箱",
    "洗衣机",
    "电饭煲",
    "路由器",
    "扫地机器人",
    "热水器",
    "电视",
    "手机",
    "笔记本电脑",
    "净水器",
    "油烟机",
    "微波炉",
    "蓝牙耳机",
    "智能手表",
    "吸尘器",
    "空气净化器",
    "电动牙刷",
];

const MODELS: &[&str] = &[
    "星河X9",
    "云帆S3",
    "Pro 12",
    "Max 5",
    "青春版",
    "旗舰版",
    "mini 2",
    "Air 7",
    "K30",
    "T8",
];

/// Subject templates; `{p}` is the product.
const SUBJECTS: &[&str] = &[
    "{p}无法开机，要求上门维修",
    "{p}送达时外包装破损，申请换货",
    "{p}预约安装",
    "{p}申请退款",
    "查询{p}换货进度",
    "{p}发票开具问题",
    "咨询{p}保修政策",
    "{p}运行噪音大",
    "{p}漏水",
    "{p}的 App 无法连接 WiFi",
    "投诉快递员态度差，{p}被放在门口",
    "快递三天未送达，要求赔偿",
    "退款未到账",
    "催促{p}发货",
    "修改{p}订单收货地址",
    "会员积分未到账",
    "优惠券无法使用",
    "物流信息长时间不更新",
    "投诉售后维修人员迟到",
    "{p}使用中突然断电",
    "{p}屏幕出现花屏",
    "{p}充电很慢，电池不耐用",
    "空调不制冷，预约上门维修",
    "{p}以旧换新活动咨询",
];

const OPENINGS: &[&str] = &[
    "客户{n}来电反映：",
    "客户{n}在线咨询：",
    "{n}女士来电投诉：",
    "{n}先生来电：",
    "客户{n}通过微信留言：",
    "客户{n}第二次来电催促：",
];

const PURCHASES: &[&str] = &[
    "{d}在官方商城购买的{p}（型号{m}，订单号{o}）",
    "{d}购买的{m}{p}，订单号{o}",
    "订单{o}中的{p}（{m}）于{d}签收",
    "{d}通过门店下单的{p}，订单编号{o}",
];

const PROBLEMS: &[&str] = &[
    "收到后无法开机，指示灯不亮",
    "使用不到一周就出现异响，噪音很大",
    "安装师傅迟迟没有上门",
    "快递显示已签收但客户没有收到",
    "外包装破损，机身有明显划痕",
    "退款申请已通过但款项至今未到账",
    "发票抬头开错，需要重开增值税专用发票",
    "App 一直提示 error 无法绑定设备",
    "手机 App 连不上家里的 WiFi",
    "和 iPhone 配对时蓝牙 Bluetooth 频繁断开",
    "底部漏水，地板已被泡坏",
    "物流信息五天没有更新",
    "保修期内维修却被收取上门费",
    "优惠券在结算时提示不可用",
    "会员积分没有按活动规则发放",
    "遥控器失灵，换了电池也不行",
    "制冷效果差，室温一直降不下来",
    "充电器发热严重，担心有安全隐患",
];

const DEMANDS: &[&str] = &[
    "要求全额退款",
    "要求换货",
    "要求尽快安排上门维修",
    "要求赔偿损失",
    "要求主管回电说明情况",
    "希望三天内解决",
    "要求补发赠品",
    "要求开具发票",
];

const FOLLOW_UPS: &[&str] = &[
    "已安抚客户情绪，承诺48小时内答复。",
    "客户情绪激动，表示将向消费者协会投诉。",
    "已转技术部核实故障原因。",
    "已联系物流公司催促派送。",
    "已提交退款申请，等待财务审核。",
    "已登记维修工单，师傅将电话预约上门时间。",
    "客户表示如果今天不处理就去12315投诉。",
    "已告知客户保修政策及所需凭证。",
    "客户要求 refund，已解释退款流程。",
    "VIP 客户，优先处理。",
    "",
    "",
];

/// One generated ticket's text and its needles.
pub struct TicketText {
    pub subject: String,
    pub description: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub order: String,
}

fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(k, v);
    }
    s
}

/// A person's name from the same pools as `gen-customers`.
pub fn name(rng: &mut StdRng) -> String {
    let mut n = String::new();
    n.push_str(crate::customers::SURNAMES.choose(rng).expect("not empty"));
    n.push_str(crate::customers::GIVEN.choose(rng).expect("not empty"));
    n
}

/// The text of ticket `i` (its order number is unique: `DD2026` + month/day + `i`).
pub fn ticket(rng: &mut StdRng, i: usize) -> TicketText {
    let p = *PRODUCTS.choose(rng).expect("not empty");
    let m = *MODELS.choose(rng).expect("not empty");
    let contact_name = name(rng);
    let prefix = crate::customers::MOBILE_PREFIXES
        .choose(rng)
        .expect("not empty");
    let contact_phone = format!("{prefix}{:08}", rng.gen_range(0..100_000_000u32));
    let (month, day) = (rng.gen_range(1..=12), rng.gen_range(1..=28));
    let order = format!("DD2026{month:02}{day:02}{i:07}");
    let date = format!("{month}月{day}日");
    let vars = [
        ("{p}", p),
        ("{m}", m),
        ("{n}", contact_name.as_str()),
        ("{o}", order.as_str()),
        ("{d}", date.as_str()),
    ];
    let subject = fill(SUBJECTS.choose(rng).expect("not empty"), &vars);
    let mut description = fill(OPENINGS.choose(rng).expect("not empty"), &vars);
    description.push_str(&fill(PURCHASES.choose(rng).expect("not empty"), &vars));
    description.push_str(PROBLEMS.choose(rng).expect("not empty"));
    description.push('，');
    description.push_str(DEMANDS.choose(rng).expect("not empty"));
    description.push('。');
    let _ = write!(description, "联系电话{contact_phone}。");
    description.push_str(FOLLOW_UPS.choose(rng).expect("not empty"));
    TicketText {
        subject,
        description,
        contact_name,
        contact_phone,
        order,
    }
}

/// A generated knowledge article: title, body, kind code.
pub struct ArticleText {
    pub title: String,
    pub body: String,
    pub kind: &'static str,
}

const FAQ_TOPICS: &[(&str, &str)] = &[
    ("保修政策", "整机保修一年，主要部件保修三年。保修期内非人为损坏免费维修，需提供购买发票或订单号。人为损坏、进水、私自拆机不在保修范围内。"),
    ("退款流程", "客户在订单页面提交退款申请，审核通过后原路退回，银行卡一般3至7个工作日到账，微信和支付宝一般1至3个工作日到账。超过时限未到账请核实退款单号后转财务部。"),
    ("换货规则", "签收后7天内出现性能故障可申请换货，需保留完整包装和配件。换货由快递上门取件，新机在收到旧机后48小时内发出。"),
    ("安装预约", "大家电签收后可在 App 或热线预约免费安装，师傅提前一天电话确认上门时间。偏远地区可能收取远程费，需提前告知客户。"),
    ("发票开具", "电子发票在签收后自动发送到下单邮箱；需要增值税专用发票的企业客户，提供开票信息后5个工作日内寄出。发票抬头错误可申请重开一次。"),
    ("物流查询", "订单发货后可凭订单号在 App 查看物流信息。超过72小时物流不更新时，联系快递公司核实，并为客户登记催件。"),
    ("上门维修", "登记维修工单后，服务网点在24小时内电话联系客户预约时间。维修人员迟到超过30分钟，客户可申请服务补偿。"),
    ("网络连接", "设备无法连接 WiFi 时，请确认路由器为2.4GHz频段，关闭访客网络，重启设备后在 App 中重新配网。iPhone 用户需开启本地网络权限。"),
    ("会员积分", "会员积分在订单完成后15天内发放，可在下单时抵扣现金。活动赠送积分以活动规则为准，逾期未到账的登记后由运营核实补发。"),
    ("优惠券使用", "优惠券需满足使用门槛且在有效期内，部分特价商品不参与用券。结算时提示不可用，请检查券的适用范围。"),
];

const SCRIPT_TOPICS: &[(&str, &str)] = &[
    ("投诉安抚", "您好{客户姓名}，非常抱歉给您带来不便，我是工号{工号}的客服。您反映的问题我已经详细记录，工单号{工单号}，我们会在{承诺时间}前给您答复。"),
    ("催单回复", "{客户姓名}您好，您的订单正在加急处理中，我已帮您联系仓库和快递公司催促发货，物流更新后会第一时间短信通知您。"),
    ("退款未到账", "{客户姓名}您好，您的退款已经原路退回，银行处理一般需要3到7个工作日，请您耐心等待；如果超过时限仍未到账，请凭退款单号再次联系我们。"),
    ("回访问候", "您好，这里是客服中心回访，请问您之前反映的问题现在解决了吗？对我们的服务还满意吗？"),
    ("维修预约确认", "{客户姓名}您好，已为您登记上门维修，师傅会在24小时内电话联系您确认时间，请保持电话畅通。"),
];

const MANUAL_TOPICS: &[(&str, &str)] = &[
    ("快速入门", "开箱后请检查配件是否齐全：主机、电源适配器、说明书、保修卡。首次使用前请充电两小时，长按电源键三秒开机。"),
    ("故障排查", "无法开机：检查电源插座与适配器。异响：确认放置平稳。漏水：检查排水管是否弯折。指示灯闪烁时请记录错误代码 error code 后联系客服。"),
    ("清洁保养", "每月清洁一次滤网，使用柔软干布擦拭外壳，请勿用水直接冲洗。长期不用请断开电源。"),
    ("App 绑定", "下载官方 App，注册登录后点击添加设备，按提示连接 WiFi 完成绑定；蓝牙 Bluetooth 配对时请靠近设备。"),
    ("安全须知", "请使用额定电压的插座，不要与大功率电器共用插线板。充电时发热严重或有异味请立即停止使用并联系售后。"),
];

/// Article `i` of the generated ones (FAQ, script or manual about one product).
pub fn article(rng: &mut StdRng, i: usize) -> ArticleText {
    let p = *PRODUCTS.choose(rng).expect("not empty");
    let (kind, topics): (&'static str, &[(&str, &str)]) = match i % 3 {
        0 => ("faq", FAQ_TOPICS),
        1 => ("script", SCRIPT_TOPICS),
        _ => ("manual", MANUAL_TOPICS),
    };
    let (topic, text) = topics.choose(rng).expect("not empty");
    let title = match kind {
        "faq" => format!("{p}{topic}常见问题（{}）", i + 1),
        "script" => format!("{topic}话术 · {p}（{}）", i + 1),
        _ => format!("{p}使用手册 · {topic}（{}）", i + 1),
    };
    let mut body = format!(
        "适用产品：{p}（{}）。\n",
        MODELS.choose(rng).expect("not empty")
    );
    body.push_str(text);
    // A few more paragraphs from neighbouring topics make bodies of realistic length.
    for (t, more) in topics.choose_multiple(rng, 2) {
        let _ = write!(body, "\n相关：{t}。{more}");
    }
    ArticleText { title, body, kind }
}
