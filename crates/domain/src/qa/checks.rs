//! Automatic checks that run on every text conversation (chat, e-mail, a call's
//! transcript): greeting, self-identification with the agent number, closing, forbidden
//! phrases, response times and unresolved-question patterns. Flagged items weigh more in
//! the monthly sample.
//!
//! What each rule looks at:
//! * `greeting_missing`: the agent's first message has none of the greeting phrases (a
//!   greeting in a later message does not count).
//! * `self_id_missing`: with `self_id` on and an agent number given, the number is in
//!   neither of the agent's first two messages (as a whole number: 1024 is not found in
//!   10245; full-width digits count). Without an agent number the rule is skipped.
//! * `closing_missing`: none of the closing phrases in the agent's last two messages.
//! * `forbidden_phrase`: one finding per forbidden phrase per agent message. What the
//!   customer writes is never checked for forbidden phrases.
//! * `slow_first_response`: the first customer message waited longer than
//!   `first_response_secs` for an agent message. When no agent message follows, the wait
//!   is known only up to the conversation's last message (e.g. the system's "conversation
//!   closed"): the finding is made when that already exceeds the limit.
//! * `slow_response`: a later customer message (the first of a run of customer messages)
//!   waited longer than `response_secs` for the next agent message, with the same rule
//!   at the end of the conversation.
//! * `unresolved`: an unresolved-question phrase in the customer's final turn (the
//!   customer messages after the agent's last message, or the customer's last run of
//!   messages before it).
//!
//! A conversation with no agent message has no agent-side findings (greeting, self-id,
//! closing, forbidden): only `slow_first_response` when the customer demonstrably waited
//! past the limit, and `unresolved`.
//!
//! Texts and phrases are compared after normalizing full-width letters and digits to
//! ASCII, the ideographic space to a space, and ASCII letters to lower case.

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// At most this many phrases in one list.
pub const MAX_PHRASES: usize = 200;
/// A phrase is at most this many characters.
pub const MAX_PHRASE_CHARS: usize = 50;

code_enum!(
    /// Who wrote a message.
    Party {
        Customer = "customer",
        Agent = "agent",
        System = "system",
    }
);

code_enum!(
    /// What an automatic check found.
    CheckRule {
        GreetingMissing = "greeting_missing",
        SelfIdMissing = "self_id_missing",
        ClosingMissing = "closing_missing",
        ForbiddenPhrase = "forbidden_phrase",
        SlowFirstResponse = "slow_first_response",
        SlowResponse = "slow_response",
        Unresolved = "unresolved",
    }
);

/// The configurable rules (an admin edits them; see [`Rules::parse`]). An empty phrase
/// list turns its rule off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub greeting: Vec<String>,
    /// The agent number must appear in the agent's first two messages.
    pub self_id: bool,
    pub closing: Vec<String>,
    pub forbidden: Vec<String>,
    pub first_response_secs: u32,
    /// The longest a customer message may wait for the next agent message.
    pub response_secs: u32,
    /// Customer phrases near the end that say the problem is not solved.
    pub unresolved: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            greeting: strings(&["您好", "你好"]),
            self_id: true,
            closing: strings(&["感谢", "谢谢", "再见"]),
            forbidden: strings(&[
                "不知道",
                "不归我管",
                "你自己看",
                "没办法",
                "不清楚",
                "找别人",
                "不是我负责",
                "听不懂吗",
                "爱找谁找谁",
                "随便你",
            ]),
            first_response_secs: 60,
            response_secs: 180,
            unresolved: strings(&[
                "还是不行",
                "没解决",
                "没有解决",
                "怎么还没",
                "我要投诉",
                "还是没用",
                "问题还在",
            ]),
        }
    }
}

/// Why the rules are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the {0} list has an empty phrase")]
    EmptyPhrase(&'static str),
    #[error("the {0} list has more than {MAX_PHRASES} phrases")]
    TooManyPhrases(&'static str),
    #[error("a phrase in the {0} list is longer than {MAX_PHRASE_CHARS} characters")]
    PhraseTooLong(&'static str),
    #[error("{0} must be more than 0 seconds")]
    LimitZero(&'static str),
    #[error("the {0} phrases could not be compiled")]
    Compile(&'static str),
}

impl RulesError {
    pub fn code(&self) -> &'static str {
        match self {
            RulesError::EmptyPhrase(_) => "qa.rules_empty_phrase",
            RulesError::TooManyPhrases(_) => "qa.rules_too_many_phrases",
            RulesError::PhraseTooLong(_) => "qa.rules_phrase_too_long",
            RulesError::LimitZero(_) => "qa.rules_limit_zero",
            RulesError::Compile(_) => "qa.rules_compile",
        }
    }
}

impl Rules {
    /// Trims every phrase and checks: no empty phrase, at most 200 phrases of at most 50
    /// characters per list, both time limits above 0.
    pub fn parse(mut self) -> Result<Rules, RulesError> {
        for (name, list) in [
            ("greeting", &mut self.greeting),
            ("closing", &mut self.closing),
            ("forbidden", &mut self.forbidden),
            ("unresolved", &mut self.unresolved),
        ] {
            if list.len() > MAX_PHRASES {
                return Err(RulesError::TooManyPhrases(name));
            }
            for phrase in list.iter_mut() {
                let trimmed = phrase.trim();
                if trimmed.is_empty() {
                    return Err(RulesError::EmptyPhrase(name));
                }
                if trimmed.chars().count() > MAX_PHRASE_CHARS {
                    return Err(RulesError::PhraseTooLong(name));
                }
                *phrase = trimmed.to_owned();
            }
        }
        if self.first_response_secs == 0 {
            return Err(RulesError::LimitZero("first_response_secs"));
        }
        if self.response_secs == 0 {
            return Err(RulesError::LimitZero("response_secs"));
        }
        Ok(self)
    }
}

/// One message of a conversation, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub from: Party,
    /// Seconds (any epoch, the same for the whole conversation).
    pub at: i64,
    pub text: &'a str,
}

/// One finding of the automatic checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: CheckRule,
    /// Index of the message it is about.
    pub message: Option<usize>,
    /// The phrase found, the seconds waited, the agent number looked for, or empty.
    pub detail: String,
}

/// Full-width letters and digits to ASCII, U+3000 to a space, ASCII to lower case.
/// Borrows when nothing changes (most Chinese text).
pub fn normalize(text: &str) -> Cow<'_, str> {
    let changes = |c: char| {
        c.is_ascii_uppercase()
            || c == '\u{3000}'
            || matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}')
    };
    if !text.chars().any(changes) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{3000}' => ' ',
                '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                    char::from_u32(c as u32 - 0xFEE0).map_or(c, |a| a.to_ascii_lowercase())
                }
                c => c.to_ascii_lowercase(),
            })
            .collect(),
    )
}

/// A compiled phrase list: the automaton over normalized phrases and the phrases as
/// configured (for the finding's detail).
#[derive(Debug, Clone)]
struct Phrases {
    automaton: AhoCorasick,
    phrases: Vec<String>,
}

impl Phrases {
    fn compile(name: &'static str, list: &[String]) -> Result<Option<Phrases>, RulesError> {
        if list.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(list.iter().map(|p| normalize(p).into_owned()))
            .map_err(|_| RulesError::Compile(name))?;
        Ok(Some(Phrases {
            automaton,
            phrases: list.to_vec(),
        }))
    }

    fn any(&self, normalized: &str) -> bool {
        self.automaton.is_match(normalized)
    }

    /// Each distinct phrase found, in order of first appearance.
    fn found(&self, normalized: &str, mut each: impl FnMut(&str)) {
        let mut seen: Vec<usize> = Vec::new();
        for m in self.automaton.find_iter(normalized) {
            let id = m.pattern().as_usize();
            if !seen.contains(&id) {
                seen.push(id);
                each(&self.phrases[id]);
            }
        }
    }
}

/// The rules compiled once, to check many conversations.
#[derive(Debug, Clone)]
pub struct Checker {
    greeting: Option<Phrases>,
    closing: Option<Phrases>,
    forbidden: Option<Phrases>,
    unresolved: Option<Phrases>,
    self_id: bool,
    first_response_secs: i64,
    response_secs: i64,
}

/// Is `number` in `text` as a whole number (no ASCII digit right before or after)?
fn contains_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(at, _)| {
        let before = text[..at].bytes().next_back();
        let after = text[at + number.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

impl Checker {
    /// Checks the rules ([`Rules::parse`]) and compiles the phrase lists.
    pub fn new(rules: &Rules) -> Result<Checker, RulesError> {
        let rules = rules.clone().parse()?;
        Ok(Checker {
            greeting: Phrases::compile("greeting", &rules.greeting)?,
            closing: Phrases::compile("closing", &rules.closing)?,
            forbidden: Phrases::compile("forbidden", &rules.forbidden)?,
            unresolved: Phrases::compile("unresolved", &rules.unresolved)?,
            self_id: rules.self_id,
            first_response_secs: i64::from(rules.first_response_secs),
            response_secs: i64::from(rules.response_secs),
        })
    }

    /// Runs every rule on one conversation (messages in time order). Findings are ordered
    /// by message, then by rule (in [`CheckRule::ALL`]'s order), then by detail.
    pub fn check(&self, messages: &[Message<'_>], agent_number: Option<&str>) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_times(messages, &mut out);

        let agent: Vec<usize> = (0..messages.len())
            .filter(|&i| messages[i].from == Party::Agent)
            .collect();
        if let (Some(&first), Some(&last)) = (agent.first(), agent.last()) {
            if let Some(greeting) = &self.greeting {
                if !greeting.any(&normalize(messages[first].text)) {
                    out.push(finding(CheckRule::GreetingMissing, first, String::new()));
                }
            }
            let number = agent_number.map(|n| normalize(n.trim()).into_owned());
            if let Some(number) = number.filter(|n| self.self_id && !n.is_empty()) {
                let said = agent
                    .iter()
                    .take(2)
                    .any(|&i| contains_number(&normalize(messages[i].text), &number));
                if !said {
                    out.push(finding(CheckRule::SelfIdMissing, first, number));
                }
            }
            if let Some(closing) = &self.closing {
                let said = agent
                    .iter()
                    .rev()
                    .take(2)
                    .any(|&i| closing.any(&normalize(messages[i].text)));
                if !said {
                    out.push(finding(CheckRule::ClosingMissing, last, String::new()));
                }
            }
            if let Some(forbidden) = &self.forbidden {
                for &i in &agent {
                    forbidden.found(&normalize(messages[i].text), |p| {
                        out.push(finding(CheckRule::ForbiddenPhrase, i, p.to_owned()))
                    });
                }
            }
        }

        if let Some(unresolved) = &self.unresolved {
            for i in final_customer_turn(messages) {
                unresolved.found(&normalize(messages[i].text), |p| {
                    out.push(finding(CheckRule::Unresolved, i, p.to_owned()))
                });
            }
        }

        let rank = |r: CheckRule| CheckRule::ALL.iter().position(|x| *x == r);
        out.sort_by(|a, b| {
            (a.message.unwrap_or(usize::MAX), rank(a.rule), &a.detail).cmp(&(
                b.message.unwrap_or(usize::MAX),
                rank(b.rule),
                &b.detail,
            ))
        });
        out
    }

    fn check_times(&self, messages: &[Message<'_>], out: &mut Vec<Finding>) {
        let Some(first) = messages.iter().position(|m| m.from == Party::Customer) else {
            return;
        };
        // The customer message waiting for an agent, if any, and which limit applies.
        let mut waiting: Option<(usize, CheckRule, i64)> = Some((
            first,
            CheckRule::SlowFirstResponse,
            self.first_response_secs,
        ));
        for (i, m) in messages.iter().enumerate().skip(first + 1) {
            match m.from {
                Party::Agent => {
                    if let Some((w, rule, limit)) = waiting.take() {
                        let waited = m.at - messages[w].at;
                        if waited > limit {
                            out.push(finding(rule, w, waited.to_string()));
                        }
                    }
                }
                Party::Customer => {
                    if waiting.is_none() {
                        waiting = Some((i, CheckRule::SlowResponse, self.response_secs));
                    }
                }
                Party::System => {}
            }
        }
        // Nobody answered the last customer turn: judge by the conversation's last message.
        if let Some((w, rule, limit)) = waiting {
            let end = messages[w..]
                .iter()
                .map(|m| m.at)
                .max()
                .unwrap_or(messages[w].at);
            let waited = end - messages[w].at;
            if waited > limit {
                out.push(finding(rule, w, waited.to_string()));
            }
        }
    }
}

fn finding(rule: CheckRule, message: usize, detail: String) -> Finding {
    Finding {
        rule,
        message: Some(message),
        detail,
    }
}

/// The customer messages of the final turn: those after the agent's last message or, when
/// the agent wrote last, the customer's run of messages just before it.
fn final_customer_turn(messages: &[Message<'_>]) -> Vec<usize> {
    let Some(last_customer) = messages.iter().rposition(|m| m.from == Party::Customer) else {
        return Vec::new();
    };
    let mut turn = Vec::new();
    for i in (0..=last_customer).rev() {
        match messages[i].from {
            Party::Customer => turn.push(i),
            Party::System => {}
            Party::Agent => break,
        }
    }
    turn.reverse();
    turn
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckRule::*;

    fn c(at: i64, text: &str) -> Message<'_> {
        Message {
            from: Party::Customer,
            at,
            text,
        }
    }
    fn a(at: i64, text: &str) -> Message<'_> {
        Message {
            from: Party::Agent,
            at,
            text,
        }
    }
    fn s(at: i64, text: &str) -> Message<'_> {
        Message {
            from: Party::System,
            at,
            text,
        }
    }
    fn f(rule: CheckRule, message: usize, detail: &str) -> Finding {
        Finding {
            rule,
            message: Some(message),
            detail: detail.into(),
        }
    }
    fn check(messages: &[Message<'_>]) -> Vec<Finding> {
        Checker::new(&Rules::default())
            .unwrap()
            .check(messages, Some("1024"))
    }

    #[test]
    fn t01_a_good_conversation_has_no_findings() {
        let chat = [
            c(0, "你好，我家宽带断网了"),
            a(20, "您好，工号1024为您服务，请问您的宽带账号是多少？"),
            c(50, "账号是 ab123456"),
            a(80, "好的，已为您查到，线路正在维修，预计下午三点恢复。"),
            c(120, "好的，明白了"),
            a(130, "感谢您的耐心等待，请问还有其他问题吗？"),
            c(150, "没有了"),
            a(160, "再见，祝您生活愉快！"),
        ];
        assert_eq!(check(&chat), []);
    }

    #[test]
    fn t02_number_in_the_second_message_and_system_lines_are_fine() {
        let chat = [
            s(0, "访客进入会话"),
            c(5, "请问退货怎么办理"),
            a(30, "您好，很高兴为您服务。"),
            a(35, "我是1024号客服，请提供订单号。"),
            c(90, "订单号 20240501"),
            s(100, "客服正在输入"),
            a(150, "已为您提交退货申请，快递员明天上门取件。"),
            c(170, "好的"),
            a(175, "谢谢您的来访！"),
            s(300, "会话已结束"),
        ];
        assert_eq!(check(&chat), []);
    }

    #[test]
    fn t03_a_greeting_only_in_a_later_message_does_not_count() {
        let chat = [
            c(0, "在吗"),
            a(10, "请问有什么可以帮您？工号1024。"),
            c(20, "我想改套餐"),
            a(40, "您好，已为您办理，感谢来电，再见"),
        ];
        assert_eq!(check(&chat), [f(GreetingMissing, 1, "")]);
    }

    #[test]
    fn t04_self_id_missing_or_another_number() {
        let chat = [
            c(0, "你好"),
            a(10, "您好，请问有什么可以帮您？"),
            c(20, "查话费"),
            a(30, "您本月话费 58 元，工号10245为您服务。"),
            a(40, "我是1024号，感谢您的来电，再见"),
        ];
        // 10245 is not 1024, and the third message is too late.
        assert_eq!(check(&chat), [f(SelfIdMissing, 1, "1024")]);
        // Without an agent number, or with self_id off, the rule is skipped.
        let checker = Checker::new(&Rules::default()).unwrap();
        assert_eq!(checker.check(&chat, None), []);
        let off = Rules {
            self_id: false,
            ..Rules::default()
        };
        assert_eq!(Checker::new(&off).unwrap().check(&chat, Some("1024")), []);
    }

    #[test]
    fn t05_full_width_digits_in_the_agent_number() {
        let chat = [
            c(0, "你好"),
            a(10, "您好，工号１０２４为您服务。"),
            c(20, "没事了"),
            a(30, "好的，谢谢，再见"),
        ];
        assert_eq!(check(&chat), []);
        // A full-width number given by the caller matches ASCII digits in the text too.
        let chat = [
            c(0, "你好"),
            a(10, "您好，1024号为您服务。"),
            a(30, "感谢您的咨询"),
        ];
        let checker = Checker::new(&Rules::default()).unwrap();
        assert_eq!(checker.check(&chat, Some(" １０２４ ")), []);
    }

    #[test]
    fn t06_closing_must_be_in_the_last_two_agent_messages() {
        let chat = [
            c(0, "你好，发票怎么开"),
            a(10, "您好，工号1024，谢谢您的耐心。"),
            c(20, "好"),
            a(30, "在订单页面点申请发票。"),
            c(40, "找到了"),
            a(50, "好的。"),
        ];
        assert_eq!(check(&chat), [f(ClosingMissing, 5, "")]);
    }

    #[test]
    fn t07_forbidden_phrases_in_the_agents_text() {
        let chat = [
            c(0, "你好，积分怎么没到账"),
            a(
                10,
                "您好，工号1024。这个我不知道，你自己看说明，不知道就找别人。",
            ),
            c(30, "你们什么态度"),
            a(40, "这个不归我管，谢谢"),
        ];
        assert_eq!(
            check(&chat),
            [
                f(ForbiddenPhrase, 1, "不知道"),
                f(ForbiddenPhrase, 1, "你自己看"),
                f(ForbiddenPhrase, 1, "找别人"),
                f(ForbiddenPhrase, 3, "不归我管"),
            ]
        );
    }

    #[test]
    fn t08_forbidden_phrases_in_the_customers_text_do_not_flag() {
        let chat = [
            c(0, "你好，上次的客服说不知道，还说没办法，让我找别人"),
            a(15, "您好，工号1024，非常抱歉给您带来不便，我来为您处理。"),
            c(40, "好的"),
            a(60, "已经为您处理完毕，感谢您的耐心。"),
        ];
        assert_eq!(check(&chat), []);
    }

    #[test]
    fn t09_slow_first_response() {
        let chat = [
            c(0, "你好，在吗"),
            c(30, "有人吗"),
            a(95, "您好，工号1024，让您久等了。"),
            c(100, "查快递"),
            a(120, "已经发出，明天送达，谢谢"),
        ];
        assert_eq!(check(&chat), [f(SlowFirstResponse, 0, "95")]);
    }

    #[test]
    fn t10_slow_response_is_measured_from_the_first_waiting_message() {
        let chat = [
            c(0, "你好"),
            a(10, "您好，工号1024为您服务"),
            c(100, "我的退款到哪了"),
            c(150, "快点"),
            s(200, "客服正在输入"),
            a(400, "已原路退回，请注意查收。"),
            c(420, "收到"),
            a(600, "感谢您的耐心，再见"),
        ];
        // 400 - 100 = 300 > 180; 600 - 420 = 180 is within the limit.
        assert_eq!(check(&chat), [f(SlowResponse, 2, "300")]);
    }

    #[test]
    fn t11_no_agent_message_only_the_wait_can_be_judged() {
        let chat = [
            c(0, "你好，在吗"),
            c(30, "有人吗"),
            s(200, "会话超时已关闭"),
        ];
        assert_eq!(check(&chat), [f(SlowFirstResponse, 0, "200")]);
        // The customer left after 40 s: nothing shows a wait past the limit.
        let chat = [c(0, "不知道怎么操作"), c(40, "算了")];
        assert_eq!(check(&chat), []);
        assert_eq!(check(&[]), []);
    }

    #[test]
    fn t12_unresolved_in_the_customers_final_turn() {
        let chat = [
            c(0, "你好，网页打不开"),
            a(10, "您好，工号1024，请清除缓存后重试。"),
            c(100, "还是不行，我要投诉"),
            a(
                120,
                "非常抱歉，已为您登记，技术人员会联系您，感谢您的耐心。",
            ),
        ];
        assert_eq!(
            check(&chat),
            [f(Unresolved, 2, "我要投诉"), f(Unresolved, 2, "还是不行")]
        );
    }

    #[test]
    fn t13_unresolved_earlier_but_solved_at_the_end() {
        let chat = [
            c(0, "你好，网页打不开"),
            a(10, "您好，工号1024，请清除缓存后重试。"),
            c(60, "还是不行"),
            a(90, "请换一个浏览器试试。"),
            c(120, "好了，谢谢"),
            a(130, "不客气，再见"),
        ];
        assert_eq!(check(&chat), []);
    }

    #[test]
    fn t14_everything_wrong_at_once() {
        let chat = [
            c(0, "喂"),
            a(300, "什么事"),
            c(310, "问题没解决"),
            a(320, "没办法"),
            c(330, "怎么还没处理"),
            s(700, "会话已结束"),
        ];
        assert_eq!(
            check(&chat),
            [
                f(SlowFirstResponse, 0, "300"),
                f(GreetingMissing, 1, ""),
                f(SelfIdMissing, 1, "1024"),
                f(ClosingMissing, 3, ""),
                f(ForbiddenPhrase, 3, "没办法"),
                f(SlowResponse, 4, "370"),
                f(Unresolved, 4, "怎么还没"),
            ]
        );
    }

    #[test]
    fn t15_custom_rules_match_full_width_and_case() {
        let rules = Rules {
            greeting: vec!["Hello".into(), "您好".into()],
            closing: vec!["Bye".into()],
            forbidden: vec!["NO WAY".into()],
            unresolved: vec![],
            ..Rules::default()
        };
        let checker = Checker::new(&rules).unwrap();
        let chat = [
            c(0, "hi"),
            a(5, "ＨＥＬＬＯ，I am agent Ａ７"),
            a(6, "no way, no　way"),
            a(7, "ｂｙｅ"),
        ];
        assert_eq!(
            checker.check(&chat, Some("a7")),
            [f(ForbiddenPhrase, 2, "NO WAY")]
        );
    }

    #[test]
    fn rules_parse_trims_and_refuses_bad_lists() {
        let r = Rules {
            greeting: vec!["  您好 ".into()],
            ..Rules::default()
        }
        .parse()
        .unwrap();
        assert_eq!(r.greeting, ["您好"]);
        let code = |r: Rules| Checker::new(&r).unwrap_err().code();
        assert_eq!(
            code(Rules {
                forbidden: vec!["不知道".into(), " ".into()],
                ..Rules::default()
            }),
            "qa.rules_empty_phrase"
        );
        assert_eq!(
            code(Rules {
                closing: (0..201).map(|i| format!("谢{i}")).collect(),
                ..Rules::default()
            }),
            "qa.rules_too_many_phrases"
        );
        assert_eq!(
            code(Rules {
                unresolved: vec!["长".repeat(51)],
                ..Rules::default()
            }),
            "qa.rules_phrase_too_long"
        );
        assert_eq!(
            code(Rules {
                response_secs: 0,
                ..Rules::default()
            }),
            "qa.rules_limit_zero"
        );
        // Empty lists turn their rules off.
        let off = Rules {
            greeting: vec![],
            closing: vec![],
            ..Rules::default()
        };
        let chat = [c(0, "你好"), a(5, "工号1024，请讲")];
        assert_eq!(Checker::new(&off).unwrap().check(&chat, Some("1024")), []);
        let json = serde_json::to_string(&Rules::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<Rules>(&json).unwrap(),
            Rules::default()
        );
        assert_eq!(
            serde_json::from_str::<Rules>("{}").unwrap(),
            Rules::default()
        );
    }

    #[test]
    fn normalize_folds_full_width_and_case() {
        assert_eq!(normalize("工号１０２４ ＡｂC　x"), "工号1024 abc x");
        assert!(matches!(normalize("您好，工号1024"), Cow::Borrowed(_)));
        for rule in CheckRule::ALL {
            assert_eq!(CheckRule::from_code(rule.code()), Some(*rule));
        }
    }
}
