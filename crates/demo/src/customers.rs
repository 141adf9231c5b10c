//! 500 made-up but plausible customers, generated from a fixed seed and checked by the
//! same validators a customer form or an import goes through.

use crate::DemoError;
use kefu_domain::customer::{
    check_distinct_contacts, parse_name, parse_optional_id_number, parse_optional_text, parse_tags,
    ContactKind, ContactValue, CustomerStatus, Gender, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};
use kefu_store::customers::{ContactInput, CustomerInput};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::HashSet;

/// Surnames with pinyin and a weight roughly proportional to how common they are.
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 71),
    ("李", "li", 70),
    ("张", "zhang", 68),
    ("刘", "liu", 54),
    ("陈", "chen", 46),
    ("杨", "yang", 31),
    ("黄", "huang", 25),
    ("赵", "zhao", 23),
    ("吴", "wu", 20),
    ("周", "zhou", 19),
    ("徐", "xu", 15),
    ("孙", "sun", 15),
    ("马", "ma", 13),
    ("朱", "zhu", 13),
    ("胡", "hu", 12),
    ("郭", "guo", 11),
    ("何", "he", 11),
    ("高", "gao", 10),
    ("林", "lin", 10),
    ("罗", "luo", 9),
    ("郑", "zheng", 8),
    ("梁", "liang", 8),
    ("谢", "xie", 7),
    ("宋", "song", 7),
    ("唐", "tang", 6),
    ("许", "xu", 6),
    ("韩", "han", 6),
    ("冯", "feng", 6),
    ("邓", "deng", 6),
    ("曹", "cao", 5),
    ("彭", "peng", 5),
    ("曾", "zeng", 5),
    ("肖", "xiao", 5),
    ("田", "tian", 5),
    ("董", "dong", 5),
    ("袁", "yuan", 4),
    ("潘", "pan", 4),
    ("于", "yu", 4),
    ("蒋", "jiang", 4),
    ("蔡", "cai", 4),
    ("余", "yu", 4),
    ("杜", "du", 4),
    ("叶", "ye", 4),
    ("程", "cheng", 3),
    ("苏", "su", 3),
    ("魏", "wei", 3),
    ("吕", "lv", 3),
    ("丁", "ding", 3),
    ("任", "ren", 3),
    ("沈", "shen", 3),
    ("欧阳", "ouyang", 1),
    ("司马", "sima", 1),
];

const MALE_CHARS: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("斌", "bin"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("刚", "gang"),
    ("波", "bo"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("文", "wen"),
    ("华", "hua"),
    ("海", "hai"),
    ("平", "ping"),
    ("东", "dong"),
    ("晨", "chen"),
    ("子", "zi"),
    ("博", "bo"),
    ("轩", "xuan"),
    ("峰", "feng"),
    ("亮", "liang"),
    ("成", "cheng"),
    ("永", "yong"),
    ("新", "xin"),
    ("德", "de"),
];

const FEMALE_CHARS: &[(&str, &str)] = &[
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("秀", "xiu"),
    ("英", "ying"),
    ("霞", "xia"),
    ("玲", "ling"),
    ("婷", "ting"),
    ("燕", "yan"),
    ("雪", "xue"),
    ("慧", "hui"),
    ("红", "hong"),
    ("梅", "mei"),
    ("琳", "lin"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("佳", "jia"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("萍", "ping"),
    ("璐", "lu"),
    ("晶", "jing"),
    ("丹", "dan"),
    ("月", "yue"),
    ("淑", "shu"),
    ("兰", "lan"),
    ("雨", "yu"),
    ("思", "si"),
    ("诗", "shi"),
    ("梦", "meng"),
    ("琪", "qi"),
];

struct City {
    name: &'static str,
    /// Province prefix of a postal address ("" for municipalities).
    province: &'static str,
    area_code: &'static str,
    /// Districts with their 6-digit administrative division code (ID number prefix).
    districts: &'static [(&'static str, &'static str)],
}

const CITIES: &[City] = &[
    City {
        name: "北京",
        province: "",
        area_code: "010",
        districts: &[
            ("朝阳区", "110105"),
            ("海淀区", "110108"),
            ("东城区", "110101"),
            ("西城区", "110102"),
        ],
    },
    City {
        name: "上海",
        province: "",
        area_code: "021",
        districts: &[
            ("浦东新区", "310115"),
            ("徐汇区", "310104"),
            ("静安区", "310106"),
            ("闵行区", "310112"),
        ],
    },
    City {
        name: "广州",
        province: "广东省",
        area_code: "020",
        districts: &[
            ("天河区", "440106"),
            ("越秀区", "440104"),
            ("海珠区", "440105"),
            ("白云区", "440111"),
        ],
    },
    City {
        name: "深圳",
        province: "广东省",
        area_code: "0755",
        districts: &[
            ("南山区", "440305"),
            ("福田区", "440304"),
            ("罗湖区", "440303"),
            ("宝安区", "440306"),
        ],
    },
    City {
        name: "杭州",
        province: "浙江省",
        area_code: "0571",
        districts: &[
            ("西湖区", "330106"),
            ("上城区", "330102"),
            ("拱墅区", "330105"),
            ("滨江区", "330108"),
        ],
    },
    City {
        name: "南京",
        province: "江苏省",
        area_code: "025",
        districts: &[
            ("玄武区", "320102"),
            ("秦淮区", "320104"),
            ("鼓楼区", "320106"),
            ("建邺区", "320105"),
        ],
    },
    City {
        name: "成都",
        province: "四川省",
        area_code: "028",
        districts: &[
            ("锦江区", "510104"),
            ("青羊区", "510105"),
            ("武侯区", "510107"),
            ("成华区", "510108"),
        ],
    },
    City {
        name: "武汉",
        province: "湖北省",
        area_code: "027",
        districts: &[
            ("江岸区", "420102"),
            ("武昌区", "420106"),
            ("洪山区", "420111"),
            ("汉阳区", "420105"),
        ],
    },
    City {
        name: "西安",
        province: "陕西省",
        area_code: "029",
        districts: &[
            ("雁塔区", "610113"),
            ("碑林区", "610103"),
            ("未央区", "610112"),
            ("新城区", "610102"),
        ],
    },
    City {
        name: "郑州",
        province: "河南省",
        area_code: "0371",
        districts: &[
            ("金水区", "410105"),
            ("二七区", "410103"),
            ("中原区", "410102"),
            ("管城回族区", "410104"),
        ],
    },
    City {
        name: "济南",
        province: "山东省",
        area_code: "0531",
        districts: &[
            ("历下区", "370102"),
            ("市中区", "370103"),
            ("槐荫区", "370104"),
            ("天桥区", "370105"),
        ],
    },
    City {
        name: "长沙",
        province: "湖南省",
        area_code: "0731",
        districts: &[
            ("岳麓区", "430104"),
            ("芙蓉区", "430102"),
            ("天心区", "430103"),
            ("开福区", "430105"),
        ],
    },
];

/// 字号 (trade names) of made-up companies.
const TRADE_NAMES: &[&str] = &[
    "恒达", "鑫源", "华信", "宏远", "金盛", "永安", "瑞丰", "德隆", "天合", "中联", "汇通", "博远",
    "嘉禾", "佳美", "新锐", "腾飞", "兴业", "东方", "盛世", "润泽", "安泰", "万顺", "明辉", "诚信",
];

const INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "机电设备",
    "建筑工程",
    "物流",
    "食品",
    "医药",
    "电子",
    "商贸",
    "信息技术",
    "建材",
    "环保科技",
    "文化传媒",
    "餐饮管理",
    "物业管理",
    "汽车服务",
    "矿业",
    "爆破工程",
];

const ROADS: &[&str] = &[
    "建设路",
    "人民路",
    "解放路",
    "中山路",
    "长江路",
    "和平路",
    "文化路",
    "科技路",
    "新华路",
    "光明路",
    "友谊路",
    "黄河路",
];

const BUILDINGS: &[&str] = &["国贸大厦", "金融中心", "科技园", "商务广场", "创业大厦"];

const KEY_ACCOUNT: &str = "重点客户";

/// Tags a customer may carry (0–2 of them).
const TAGS: &[&str] = &[
    KEY_ACCOUNT,
    "老客户",
    "价格敏感",
    "投诉过",
    "需回访",
    "续约客户",
    "节日回访",
    "技术咨询多",
];

const NOTES: &[&str] = &[
    "来电咨询业务资费，已详细解答",
    "反映上门服务超时，已转技术部处理，承诺48小时内回访",
    "希望了解新产品，已转销售部跟进",
    "对上次回访结果满意",
    "节假日前需安排回访",
    "合同将于下季度到期，注意续约回访",
    "偏好下午来电联系",
    "多次询价，对价格较敏感",
    "投诉已处理完毕，客户表示满意",
    "要求开具增值税专用发票",
    "已完成实名认证，尚未开始使用",
    "售后问题已转研发部，等待答复后回访",
];

const MAIL_DOMAINS: &[&str] = &["qq.com", "163.com", "126.com", "sina.com", "foxmail.com"];

/// Mobile prefixes 13x, 15x, 18x and 19x in use.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "191", "193", "195", "198", "199",
];

const TIERS: &[(&str, u32)] = &[("VIP", 4), ("A", 16), ("B", 40), ("C", 40)];

const STATUSES: &[(CustomerStatus, u32)] = &[
    (CustomerStatus::Prospect, 15),
    (CustomerStatus::Registered, 15),
    (CustomerStatus::Verified, 15),
    (CustomerStatus::Active, 45),
    (CustomerStatus::Lost, 10),
];

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    &items
        .choose_weighted(rng, |(_, w)| *w)
        .expect("non-empty weights")
        .0
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("non-empty list")
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// A valid 18-character resident ID number for someone born in a district.
fn id_number(rng: &mut StdRng, region: &str, male: bool) -> String {
    let year = rng.gen_range(1958..=2002);
    let month = rng.gen_range(1..=12);
    let day = rng.gen_range(1..=28);
    let seq = rng.gen_range(0..50) * 2 + rng.gen_range(0..5) * 100;
    // The 17th digit is odd for men and even for women.
    let seq = if male { seq + 1 } else { seq };
    let body = format!("{region}{year:04}{month:02}{day:02}{:03}", seq % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", char::from(CHECK[(sum % 11) as usize]))
}

/// The raw values of one customer, as someone would type them into the form.
struct Raw {
    name: String,
    company: Option<String>,
    gender: Gender,
    tier: &'static str,
    status: CustomerStatus,
    owner_id: String,
    id_number: Option<String>,
    address: Option<String>,
    notes: Option<String>,
    contacts: Vec<(ContactKind, String, &'static str)>,
    tags: Vec<&'static str>,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> DemoError {
    DemoError::Invalid(format!("{what}: {e}"))
}

impl Raw {
    /// Runs every value through the domain's validators.
    fn validate(self) -> Result<CustomerInput, DemoError> {
        let name = parse_name(&self.name).map_err(|e| invalid("name", e))?;
        let company = parse_optional_text("company", self.company.as_deref(), MAX_NAME_CHARS)
            .map_err(|e| invalid("company", e))?;
        let address = parse_optional_text("address", self.address.as_deref(), MAX_TEXT_CHARS)
            .map_err(|e| invalid("address", e))?;
        let notes = parse_optional_text("notes", self.notes.as_deref(), MAX_TEXT_CHARS)
            .map_err(|e| invalid("notes", e))?;
        let id_number =
            parse_optional_id_number(self.id_number.as_deref()).map_err(|e| invalid("id", e))?;
        let mut values = Vec::with_capacity(self.contacts.len());
        let mut labels = Vec::with_capacity(self.contacts.len());
        for (kind, raw, label) in &self.contacts {
            values.push(ContactValue::parse(*kind, raw).map_err(|e| invalid("contact", e))?);
            labels.push(*label);
        }
        check_distinct_contacts(&values).map_err(|e| invalid("contacts", e))?;
        let tags = parse_tags(&self.tags).map_err(|e| invalid("tags", e))?;
        Ok(CustomerInput {
            name,
            company,
            gender: self.gender,
            tier: self.tier.to_string(),
            status: self.status,
            owner_id: Some(self.owner_id),
            id_number,
            address,
            notes,
            contacts: values
                .into_iter()
                .zip(labels)
                .map(|(v, label)| ContactInput {
                    kind: v.kind,
                    value: v.value,
                    label: Some(label.to_string()),
                })
                .collect(),
            tags,
        })
    }
}

/// Generates `count` customers owned by `owners` (user ids), every mobile number unique.
pub(crate) fn generate(
    rng: &mut StdRng,
    count: usize,
    owners: &[String],
) -> Result<Vec<CustomerInput>, DemoError> {
    let mut mobiles: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(count);
    let mut next_mobile = |rng: &mut StdRng| loop {
        let m = format!("{}{}", pick(rng, MOBILE_PREFIXES), digits(rng, 8));
        if mobiles.insert(m.clone()) {
            return m;
        }
    };
    for _ in 0..count {
        let (surname, surname_py, _) = *SURNAMES
            .choose_weighted(rng, |s| s.2)
            .expect("non-empty weights");
        let roll = rng.gen_range(0..100);
        let gender = if roll < 3 {
            Gender::Unknown
        } else if roll < 52 {
            Gender::Male
        } else {
            Gender::Female
        };
        let chars = match gender {
            Gender::Male => MALE_CHARS,
            Gender::Female => FEMALE_CHARS,
            Gender::Unknown => {
                if rng.gen_bool(0.5) {
                    MALE_CHARS
                } else {
                    FEMALE_CHARS
                }
            }
        };
        let given_len = if rng.gen_bool(0.35) { 1 } else { 2 };
        let given: Vec<&(&str, &str)> = chars.choose_multiple(rng, given_len).collect();
        let name = format!("{surname}{}", given.iter().map(|g| g.0).collect::<String>());
        let pinyin = format!(
            "{surname_py}{}",
            given.iter().map(|g| g.1).collect::<String>()
        );

        let city = pick(rng, CITIES);
        let (district, region) = *pick(rng, city.districts);
        let company = rng.gen_bool(0.6).then(|| {
            let suffix = if rng.gen_bool(0.1) {
                "股份有限公司"
            } else {
                "有限公司"
            };
            format!(
                "{}{}{}{suffix}",
                city.name,
                pick(rng, TRADE_NAMES),
                pick(rng, INDUSTRIES)
            )
        });
        let tier = *weighted(rng, TIERS);
        let status = *weighted(rng, STATUSES);
        let owner_id = pick(rng, owners).clone();

        let mut contacts = vec![(ContactKind::Mobile, next_mobile(rng), "手机")];
        if rng.gen_bool(0.05) {
            contacts.push((ContactKind::Mobile, next_mobile(rng), "备用手机"));
        }
        let landline_chance = if company.is_some() { 0.4 } else { 0.1 };
        if rng.gen_bool(landline_chance) {
            let local = format!("{}{}", rng.gen_range(2..9), digits(rng, 7));
            let label = if company.is_some() {
                "办公"
            } else {
                "家庭"
            };
            let mut number = format!("{}-{local}", city.area_code);
            if company.is_some() && rng.gen_bool(0.2) {
                number.push_str(&format!("转{}", rng.gen_range(801..899)));
            }
            contacts.push((ContactKind::Landline, number, label));
        }
        if rng.gen_bool(0.25) {
            let email = if rng.gen_bool(0.3) {
                format!("{}{}@qq.com", rng.gen_range(1..10), digits(rng, 8))
            } else {
                let suffix = if rng.gen_bool(0.6) {
                    let n = rng.gen_range(2..5);
                    digits(rng, n)
                } else {
                    String::new()
                };
                format!("{pinyin}{suffix}@{}", pick(rng, MAIL_DOMAINS))
            };
            contacts.push((ContactKind::Email, email, "邮箱"));
        }
        if rng.gen_bool(0.1) {
            contacts.push((
                ContactKind::Im,
                format!("{pinyin}_{}", digits(rng, 4)),
                "微信",
            ));
        }

        // ID numbers only for some 实名认证 (verified or active) customers.
        let verified = matches!(status, CustomerStatus::Verified | CustomerStatus::Active);
        let id_number = (verified && gender != Gender::Unknown && rng.gen_bool(0.12))
            .then(|| id_number(rng, region, gender == Gender::Male));

        let address = rng.gen_bool(0.85).then(|| {
            let street = format!(
                "{}{}市{district}{}{}号",
                city.province,
                city.name,
                pick(rng, ROADS),
                rng.gen_range(1..400)
            );
            if company.is_some() {
                format!("{street}{}{}层", pick(rng, BUILDINGS), rng.gen_range(2..30))
            } else {
                format!(
                    "{street}{}栋{}单元{}{:02}室",
                    rng.gen_range(1..20),
                    rng.gen_range(1..5),
                    rng.gen_range(1..25),
                    rng.gen_range(1..5)
                )
            }
        });

        let mut tags: Vec<&'static str> = Vec::new();
        let key_account = match tier {
            "VIP" => 0.7,
            "A" => 0.2,
            _ => 0.0,
        };
        if rng.gen_bool(key_account) {
            tags.push(KEY_ACCOUNT);
        }
        // 重点客户 follows the tier; 老客户 and 续约客户 need a history with the company.
        let new_customer = matches!(
            status,
            CustomerStatus::Prospect | CustomerStatus::Registered
        );
        let candidates: Vec<&'static str> = TAGS
            .iter()
            .copied()
            .filter(|t| *t != KEY_ACCOUNT)
            .filter(|t| !(new_customer && matches!(*t, "老客户" | "续约客户")))
            .collect();
        let extra = match rng.gen_range(0..10) {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        for _ in 0..extra {
            if tags.len() >= 2 {
                break;
            }
            let t = *pick(rng, &candidates);
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let notes = rng.gen_bool(0.2).then(|| pick(rng, NOTES).to_string());

        out.push(
            Raw {
                name,
                company,
                gender,
                tier,
                status,
                owner_id,
                id_number,
                address,
                notes,
                contacts,
                tags,
            }
            .validate()?,
        );
    }
    Ok(out)
}
