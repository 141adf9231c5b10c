//! `kefu-bench qa-sample` and `kefu-bench qa-checks`: the two numbers of issue 7
//! (quality inspection).
//!
//! * `qa-sample`: the pure monthly sample (`kefu_domain::qa::sample`) for N agents over M
//!   items. The candidates are generated in memory first (not timed); what is timed is
//!   the sampling the server runs after it has loaded the month's candidates, not the
//!   loading. Target: ≤ 1 s for 2,000 agents and 1,000,000 items.
//! * `qa-checks`: the automatic checks (`Checker::check`) over generated Chinese chat
//!   conversations of 10–20 messages, good and bad mixed, on one thread. Target:
//!   ≥ 200,000 messages/s on one core.

use anyhow::ensure;
use kefu_domain::qa::{
    sample, Candidate, CheckRule, Checker, ItemKind, Message, Party, Plan, Reason, Rules,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and maximum of the runs' durations.
fn median_max(mut runs: Vec<Duration>) -> (Duration, Duration) {
    runs.sort();
    (runs[runs.len() / 2], runs[runs.len() - 1])
}

fn candidate(rng: &mut StdRng, agents: u32) -> Candidate {
    let kind = match rng.gen_range(0..10) {
        0..=3 => ItemKind::Call,
        4..=7 => ItemKind::Chat,
        8 => ItemKind::Email,
        _ => ItemKind::Ticket,
    };
    Candidate {
        agent: rng.gen_range(0..agents),
        key: rng.gen(),
        day: rng.gen_range(1..=30),
        kind,
        complaint: rng.gen_bool(0.03),
        // Calls last 30 s to 30 min, most of them short.
        duration_secs: (kind == ItemKind::Call)
            .then(|| 30 + (rng.gen::<f64>().powi(3) * 1770.0) as u32),
        satisfaction: rng.gen_bool(0.6).then(|| rng.gen_range(1..=5)),
        flags: if rng.gen_bool(0.08) {
            rng.gen_range(1..=3)
        } else {
            0
        },
    }
}

/// `kefu-bench qa-sample`.
pub fn sample_bench(
    agents: u32,
    items: u64,
    inspectors: u32,
    seed: u64,
    runs: usize,
) -> anyhow::Result<()> {
    ensure!(
        agents > 1 && items > 0 && runs > 0,
        "agents > 1, items > 0 and runs > 0"
    );
    ensure!(
        inspectors > 1 && inspectors <= agents,
        "1 < inspectors ≤ agents"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let candidates: Vec<Candidate> = (0..items).map(|_| candidate(&mut rng, agents)).collect();
    // The inspectors are agents too (indices 0..inspectors), so the own-work rule is used.
    let inspector_ids: Vec<u32> = (0..inspectors).collect();
    let plan = Plan::parse(1, 5, Default::default(), seed)?;
    println!(
        "qa-sample: {agents} agents, {items} items, {inspectors} inspectors (generated in {:.0} ms, not timed)",
        ms(started.elapsed())
    );

    let mut durations = Vec::with_capacity(runs);
    let mut first = None;
    for _ in 0..runs {
        let t = Instant::now();
        let s = black_box(sample(&plan, 30, black_box(&candidates), &inspector_ids));
        durations.push(t.elapsed());
        match &first {
            None => first = Some(s),
            Some(f) => ensure!(*f == s, "the same plan gave a different sample"),
        }
    }
    let s = first.expect("at least one run");
    let weighted = s
        .choices
        .iter()
        .filter(|c| c.reasons != [Reason::Random])
        .count();
    let (median, max) = median_max(durations);
    println!(
        "qa-sample: {} items chosen ({} with a reason other than random), {} agents short, {} unassignable",
        s.choices.len(),
        weighted,
        s.short.len(),
        s.unassignable.len()
    );
    println!(
        "qa-sample: {runs} runs, median {:.1} ms, max {:.1} ms, {:.0} items/s (median); target ≤ 1000 ms",
        ms(median),
        ms(max),
        items as f64 / median.as_secs_f64()
    );
    Ok(())
}

const CUSTOMER_OPENERS: &[&str] = &[
    "你好，我家宽带从早上开始就断网了",
    "在吗？我想查一下上个月的话费",
    "你好，我的订单三天了还没发货",
    "请问退货怎么办理",
    "您好，积分为什么没有到账",
    "我要改一下收货地址",
];
const CUSTOMER_LINES: &[&str] = &[
    "账号是 ab12345678",
    "好的，我等一下",
    "订单号是 20260412883",
    "什么时候能处理好？",
    "上次也是这样，已经打了三次电话了",
    "好的，明白了",
    "可以，麻烦你了",
    "那大概要多久",
    "我刚才试了一下",
    "嗯",
];
const CUSTOMER_ENDINGS: &[&str] = &[
    "好了，谢谢",
    "没有了，谢谢",
    "好的",
    "明白了",
    "可以了",
    "好了",
    "还是不行，我要投诉",
    "问题还在",
];
const AGENT_LINES: &[&str] = &[
    "好的，已为您查到，线路正在维修，预计下午三点恢复。",
    "请您提供一下订单号，我帮您查询。",
    "非常抱歉给您带来不便，我马上为您处理。",
    "已经为您提交申请，快递员明天上门取件。",
    "请您稍等，我为您查询一下。",
    "您本月话费 58 元，已于 3 日自动扣款。",
    "请您清除浏览器缓存后再试一次。",
    "已为您登记，技术人员会在两小时内联系您。",
];
const AGENT_BAD_LINES: &[&str] = &[
    "这个我不知道，你自己看说明吧。",
    "这个不归我管，你找别人吧。",
    "没办法，系统就是这样。",
    "我也不清楚，你明天再问。",
];
const AGENT_CLOSINGS: &[&str] = &[
    "感谢您的耐心等待，祝您生活愉快，再见！",
    "谢谢您的来电，再见。",
    "感谢您的咨询，再见。",
    "不客气，祝您生活愉快，再见。",
    "好的。",
];

/// One generated conversation: the agent's number and its messages (who, second, text).
pub(crate) struct Conversation {
    pub number: String,
    pub messages: Vec<(Party, i64, String)>,
}

fn conversation(rng: &mut StdRng) -> Conversation {
    let len = rng.gen_range(10..=20usize);
    let number = rng.gen_range(1000..10000u32).to_string();
    conversation_of(rng, len, number)
}

/// A conversation with the agent whose number (工号) is `number` (`seed-qa`).
pub(crate) fn agent_conversation(rng: &mut StdRng, number: &str) -> Conversation {
    let len = rng.gen_range(10..=20usize);
    conversation_of(rng, len, number.to_string())
}

fn conversation_of(rng: &mut StdRng, len: usize, number: String) -> Conversation {
    let mut messages = Vec::with_capacity(len);
    let mut at = rng.gen_range(0..1_000_000i64);
    messages.push((
        Party::Customer,
        at,
        CUSTOMER_OPENERS.choose(rng).expect("lines").to_string(),
    ));
    at += rng.gen_range(3..70);
    // Most agents greet and give their number (some in full-width digits); some do not.
    let greeting = match rng.gen_range(0..10) {
        0 if rng.gen_bool(0.5) => "请问有什么可以帮您？".to_string(),
        1 => {
            let wide: String = number
                .chars()
                .map(|d| char::from_u32(d as u32 + 0xFEE0).unwrap_or(d))
                .collect();
            format!("您好，工号{wide}为您服务。")
        }
        2 if rng.gen_bool(0.5) => "您好，很高兴为您服务。".to_string(),
        _ => format!("您好，工号{number}为您服务，请问有什么可以帮您？"),
    };
    messages.push((Party::Agent, at, greeting));
    let mut previous = Party::Agent;
    while messages.len() < len - 2 {
        // Mostly turn by turn; agents answer within a minute or two, now and then late.
        let from = match previous {
            Party::Agent if rng.gen_bool(0.85) => Party::Customer,
            Party::Customer if rng.gen_bool(0.8) => Party::Agent,
            other => other,
        };
        at += match from {
            Party::Agent if rng.gen_bool(0.04) => rng.gen_range(200..400),
            Party::Agent => rng.gen_range(5..100),
            _ => rng.gen_range(5..60),
        };
        previous = from;
        let text = match from {
            Party::Agent if rng.gen_bool(0.02) => AGENT_BAD_LINES.choose(rng),
            Party::Agent => AGENT_LINES.choose(rng),
            _ => CUSTOMER_LINES.choose(rng),
        };
        messages.push((from, at, text.expect("lines").to_string()));
    }
    at += rng.gen_range(5..120);
    messages.push((
        Party::Customer,
        at,
        CUSTOMER_ENDINGS.choose(rng).expect("lines").to_string(),
    ));
    at += rng.gen_range(5..120);
    messages.push((
        Party::Agent,
        at,
        AGENT_CLOSINGS.choose(rng).expect("lines").to_string(),
    ));
    if rng.gen_bool(0.3) {
        messages.push((Party::System, at + 60, "会话已结束".to_string()));
    }
    Conversation { number, messages }
}

/// `kefu-bench qa-checks`.
pub fn checks_bench(messages: u64, seed: u64, runs: usize) -> anyhow::Result<()> {
    ensure!(messages > 0 && runs > 0, "messages > 0 and runs > 0");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut conversations = Vec::new();
    let mut total = 0u64;
    while total < messages {
        let c = conversation(&mut rng);
        total += c.messages.len() as u64;
        conversations.push(c);
    }
    let views: Vec<(Option<&str>, Vec<Message<'_>>)> = conversations
        .iter()
        .map(|c| {
            let msgs = c
                .messages
                .iter()
                .map(|(from, at, text)| Message {
                    from: *from,
                    at: *at,
                    text,
                })
                .collect();
            (Some(c.number.as_str()), msgs)
        })
        .collect();
    let checker = Checker::new(&Rules::default())?;
    println!(
        "qa-checks: {} conversations, {total} messages (generated in {:.0} ms, not timed)",
        views.len(),
        ms(started.elapsed())
    );

    let mut durations = Vec::with_capacity(runs);
    let mut by_rule = [0usize; CheckRule::ALL.len()];
    let mut flagged = 0usize;
    for run in 0..runs {
        let t = Instant::now();
        let mut n = 0usize;
        for (number, msgs) in &views {
            let found = checker.check(black_box(msgs), *number);
            n += usize::from(!found.is_empty());
            if run == 0 {
                for f in &found {
                    by_rule[CheckRule::ALL
                        .iter()
                        .position(|r| *r == f.rule)
                        .unwrap_or(0)] += 1;
                }
            }
        }
        durations.push(t.elapsed());
        flagged = black_box(n);
    }
    let findings: Vec<String> = CheckRule::ALL
        .iter()
        .zip(by_rule)
        .map(|(r, n)| format!("{} {n}", r.code()))
        .collect();
    let (median, max) = median_max(durations);
    println!(
        "qa-checks: {flagged} of {} conversations flagged; findings: {}",
        views.len(),
        findings.join(", ")
    );
    println!(
        "qa-checks: {runs} runs on one thread, median {:.1} ms, max {:.1} ms, {:.0} messages/s (median); target ≥ 200000",
        ms(median),
        ms(max),
        total as f64 / median.as_secs_f64()
    );
    Ok(())
}
