//! Data generation: a realistic, seeded customer CSV (`gen-customers`), streamed row by
//! row with unique mobiles; its names are shared with the ticket text generator.

use anyhow::{ensure, Context};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "欧阳", "司马", "诸葛", "上官",
];

pub(crate) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "华", "玉兰", "萍", "鹏", "辉", "建华",
    "红", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林",
    "欢", "阳", "佳", "博", "文", "晨", "雪", "琳", "倩", "婷", "颖", "璐", "晶", "莉", "子涵",
    "欣怡", "梓轩", "浩然", "雨桐", "一诺", "思远", "嘉怡", "志强", "海燕", "国庆", "建国", "晓东",
    "春梅", "丹丹",
];

const CITIES: &[&str] = &[
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "西安",
    "重庆",
    "天津",
    "苏州",
    "长沙",
    "郑州",
    "青岛",
    "宁波",
    "厦门",
    "合肥",
    "福州",
    "济南",
    "昆明",
    "无锡",
    "佛山",
    "东莞",
    "沈阳",
    "大连",
    "哈尔滨",
    "南昌",
    "贵阳",
    "石家庄",
];

const BRANDS: &[&str] = &[
    "华信", "恒达", "中科", "宏图", "鼎盛", "天元", "永泰", "博远", "新锐", "金桥", "瑞丰", "汇通",
    "联创", "正阳", "凯旋", "明德", "万象", "东方", "海纳", "星河", "云帆", "远航", "诚信", "安和",
    "嘉禾", "盛世", "同心", "光华", "长城", "信达",
];

const TRADES: &[&str] = &[
    "科技",
    "贸易",
    "物流",
    "电子",
    "网络",
    "餐饮",
    "教育",
    "医疗器械",
    "建设工程",
    "文化传媒",
    "食品",
    "服饰",
    "汽车服务",
    "信息技术",
    "咨询",
    "家居",
    "环保",
    "制药",
    "新能源",
    "农业",
];

const SUFFIXES: &[&str] = &[
    "有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "工作室",
    "商行",
];

const STATUSES: &[(&str, u32)] = &[
    ("潜在客户", 30),
    ("已注册", 25),
    ("已认证", 15),
    ("活跃", 25),
    ("流失", 5),
];
const TIERS: &[(&str, u32)] = &[("VIP", 3), ("A", 12), ("B", 30), ("C", 55)];
const TAGS: &[&str] = &[
    "老客户",
    "高价值",
    "投诉过",
    "回访",
    "企业客户",
    "个人客户",
    "潜在升级",
    "电商",
    "线下门店",
    "需跟进",
];
const NOTES: &[&str] = &[
    "客户希望工作日下午联系",
    "已发送产品资料，等待回复",
    "对价格比较敏感",
    "推荐人：老客户转介绍",
    "上次来电咨询售后政策",
    "要求开具增值税专用发票",
];

/// Mobile prefixes: 1, then 3–9, then one more digit; eight digits follow.
pub(crate) const MOBILE_PREFIXES: &[u32] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 172, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191,
    195, 198, 199,
];

/// A bijection from row numbers onto (prefix, 8-digit suffix) pairs, so every row gets a
/// distinct, random-looking mobile without remembering the ones already handed out.
struct Mobiles {
    modulus: u128,
    mult: u128,
    offset: u128,
}

impl Mobiles {
    fn new(rng: &mut StdRng) -> Self {
        let modulus = MOBILE_PREFIXES.len() as u128 * 100_000_000;
        // A prime that divides neither 2, 5 nor the prefix count: coprime to the modulus.
        let mult = 2_654_435_761u128;
        Mobiles {
            modulus,
            mult,
            offset: rng.gen_range(0..modulus),
        }
    }

    fn write(&self, row: u64, out: &mut String) {
        let x = (row as u128 * self.mult + self.offset) % self.modulus;
        let prefix = MOBILE_PREFIXES[(x / 100_000_000) as usize];
        let _ = write!(out, "{prefix}{:08}", x % 100_000_000);
    }
}

fn weighted<'a>(rng: &mut StdRng, items: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    items[items.len() - 1].0
}

pub(crate) fn gen_customers(
    rows: u64,
    out: &std::path::Path,
    seed: u64,
    phones_out: Option<&std::path::Path>,
    phones_sample: u64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mobiles = Mobiles::new(&mut rng);
    ensure!(
        (rows as u128) <= mobiles.modulus,
        "at most {} rows",
        mobiles.modulus
    );
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w =
        csv::WriterBuilder::new().from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    w.write_record([
        "姓名", "手机", "公司", "等级", "状态", "性别", "标签", "备注",
    ])?;
    let mut phones = match phones_out {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let every = (rows / phones_sample.max(1)).max(1);
    let (mut name, mut mobile, mut company, mut tags) =
        (String::new(), String::new(), String::new(), String::new());
    for row in 0..rows {
        name.clear();
        name.push_str(SURNAMES.choose(&mut rng).expect("not empty"));
        name.push_str(GIVEN.choose(&mut rng).expect("not empty"));
        mobile.clear();
        mobiles.write(row, &mut mobile);
        company.clear();
        // About a third are private persons without a company.
        if rng.gen_ratio(2, 3) {
            company.push_str(CITIES.choose(&mut rng).expect("not empty"));
            company.push_str(BRANDS.choose(&mut rng).expect("not empty"));
            company.push_str(TRADES.choose(&mut rng).expect("not empty"));
            company.push_str(SUFFIXES.choose(&mut rng).expect("not empty"));
        }
        let tier = weighted(&mut rng, TIERS);
        let status = weighted(&mut rng, STATUSES);
        let gender = match rng.gen_range(0..10) {
            0..=4 => "男",
            5..=8 => "女",
            _ => "",
        };
        tags.clear();
        let n_tags = rng.gen_range(0..=2);
        for (i, t) in TAGS.choose_multiple(&mut rng, n_tags).enumerate() {
            if i > 0 {
                tags.push(',');
            }
            tags.push_str(t);
        }
        let notes = if rng.gen_ratio(1, 5) {
            NOTES.choose(&mut rng).expect("not empty")
        } else {
            ""
        };
        w.write_record([
            name.as_str(),
            mobile.as_str(),
            company.as_str(),
            tier,
            status,
            gender,
            tags.as_str(),
            notes,
        ])?;
        if let Some(p) = phones.as_mut() {
            if row % every == 0 {
                writeln!(p, "{mobile}")?;
            }
        }
    }
    w.flush()?;
    if let Some(mut p) = phones {
        p.flush()?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {rows} customers to {} in {secs:.1} s ({:.0} rows/s)",
        out.display(),
        rows as f64 / secs.max(1e-9)
    );
    Ok(())
}
