//! Web chat (在线客服): conversation states, message and name rules, skills, and routing —
//! which waiting chat goes to which agent. Routing is a pure function of the queue and
//! the agents' loads, so the store runs it inside one locked transaction and tests can
//! check it without a database.

use std::collections::BTreeSet;

code_enum!(
    /// Where a conversation stands: waiting in its topic's queue, with an agent, or over.
    ChatState {
        Queued = "queued",
        Active = "active",
        Closed = "closed",
    }
);

code_enum!(
    /// How a topic picks among the agents who may take a chat.
    Routing {
        /// The agent who got a chat longest ago.
        RoundRobin = "round_robin",
        /// The agent with the fewest chats now (then longest ago).
        LeastBusy = "least_busy",
    }
);

code_enum!(
    /// Who wrote a message.
    Sender {
        Visitor = "visitor",
        Agent = "agent",
        /// kefu itself: assigned, transferred, closed.
        System = "system",
    }
);

/// The longest message accepted.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// The longest visitor name accepted.
pub const MAX_NAME_CHARS: usize = 50;
/// The most chats one agent may hold at once (a guard against typos: 300 instead of 3).
pub const MAX_CAPACITY: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatInputError {
    #[error("the message is empty")]
    EmptyMessage,
    #[error("the message is longer than {MAX_MESSAGE_CHARS} characters")]
    LongMessage,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    LongName,
    #[error("capacity must be between 0 and {MAX_CAPACITY}")]
    Capacity,
    #[error("a skill is a word of letters, digits, - or _ (got {0:?})")]
    Skill(String),
}

/// A message's text, trimmed; never empty.
pub fn parse_message(raw: &str) -> Result<String, ChatInputError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ChatInputError::EmptyMessage);
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ChatInputError::LongMessage);
    }
    Ok(text.to_string())
}

/// The name a visitor gives; `None` when they gave none (the pages then say 访客).
pub fn parse_visitor_name(raw: Option<&str>) -> Result<Option<String>, ChatInputError> {
    let Some(name) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ChatInputError::LongName);
    }
    Ok(Some(name.to_string()))
}

pub fn parse_capacity(n: i64) -> Result<u32, ChatInputError> {
    u32::try_from(n)
        .ok()
        .filter(|n| i64::from(*n) <= MAX_CAPACITY)
        .ok_or(ChatInputError::Capacity)
}

/// The words of a typed list of skills, separated by commas (also full-width), 、 or
/// spaces.
pub fn skill_words(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ' ', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses a typed list of skills ([`skill_words`]) into a set (stored comma-joined).
pub fn parse_skills(raw: &str) -> Result<BTreeSet<String>, ChatInputError> {
    skill_words(raw)
        .map(|s| {
            if s.chars().count() <= 40
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                Ok(s.to_string())
            } else {
                Err(ChatInputError::Skill(s.to_string()))
            }
        })
        .collect()
}

/// The stored form of a skill set.
pub fn join_skills(skills: &BTreeSet<String>) -> String {
    skills.iter().cloned().collect::<Vec<_>>().join(",")
}

/// An agent who takes chats now, with their load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub user_id: String,
    pub skills: BTreeSet<String>,
    /// Active conversations they hold.
    pub active: u32,
    pub capacity: u32,
    /// When they last got a chat (milliseconds); `None` = never.
    pub last_assigned_at: Option<i64>,
}

impl AgentLoad {
    fn can_take(&self, required: &BTreeSet<String>) -> bool {
        self.active < self.capacity && required.is_subset(&self.skills)
    }
}

/// A conversation waiting for an agent, in queue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub conversation_id: String,
    pub routing: Routing,
    /// The skills its topic needs.
    pub skills: BTreeSet<String>,
    /// The agent who handed it back to the queue: anyone but them.
    pub not_agent: Option<String>,
}

/// The agent `routing` picks for a chat needing `required`, if anyone may take it.
pub fn pick_agent<'a>(
    routing: Routing,
    required: &BTreeSet<String>,
    not_agent: Option<&str>,
    agents: &'a [AgentLoad],
) -> Option<&'a AgentLoad> {
    let eligible = agents
        .iter()
        .filter(|a| a.can_take(required) && Some(a.user_id.as_str()) != not_agent);
    // `None` (never assigned) sorts before any time: a newcomer is next in line.
    match routing {
        Routing::RoundRobin => eligible
            .min_by(|a, b| (a.last_assigned_at, &a.user_id).cmp(&(b.last_assigned_at, &b.user_id))),
        Routing::LeastBusy => eligible.min_by(|a, b| {
            // Compare active/capacity as fractions without floats.
            let la = u64::from(a.active) * u64::from(b.capacity);
            let lb = u64::from(b.active) * u64::from(a.capacity);
            la.cmp(&lb)
                .then(a.last_assigned_at.cmp(&b.last_assigned_at))
                .then(a.user_id.cmp(&b.user_id))
        }),
    }
}

/// Routes the queue, oldest first: each waiting chat goes to the agent its topic's rule
/// picks, and that agent's load grows before the next pick, so nobody ever goes over
/// capacity. A chat nobody may take stays waiting without holding up the ones behind
/// it (another topic's chat may find an agent). `now` is recorded as each pick's time.
pub fn route(queue: &[Waiting], agents: &[AgentLoad], now: i64) -> Vec<(String, String)> {
    let mut loads = agents.to_vec();
    let mut out = Vec::new();
    for (i, w) in queue.iter().enumerate() {
        let Some(pos) = pick_agent(w.routing, &w.skills, w.not_agent.as_deref(), &loads)
            .and_then(|a| loads.iter().position(|l| l.user_id == a.user_id))
        else {
            continue;
        };
        let agent = &mut loads[pos];
        agent.active += 1;
        // Later picks in the same pass count as later, keeping round-robin's order.
        agent.last_assigned_at = Some(now.saturating_add(i as i64));
        out.push((w.conversation_id.clone(), agent.user_id.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn skills(s: &str) -> BTreeSet<String> {
        parse_skills(s).unwrap()
    }

    fn agent(id: &str, active: u32, capacity: u32, last: Option<i64>, sk: &str) -> AgentLoad {
        AgentLoad {
            user_id: id.into(),
            skills: skills(sk),
            active,
            capacity,
            last_assigned_at: last,
        }
    }

    fn waiting(id: &str, routing: Routing, sk: &str) -> Waiting {
        Waiting {
            conversation_id: id.into(),
            routing,
            skills: skills(sk),
            not_agent: None,
        }
    }

    #[test]
    fn a_chat_handed_back_goes_to_someone_else() {
        let agents = [agent("a", 0, 3, None, ""), agent("b", 2, 3, Some(1), "")];
        let mut w = waiting("1", Routing::LeastBusy, "");
        w.not_agent = Some("a".into());
        assert_eq!(
            route(&[w.clone()], &agents, 0),
            vec![("1".into(), "b".into())]
        );
        // Nobody else: it waits.
        assert!(route(&[w], &agents[..1], 0).is_empty());
    }

    #[test]
    fn round_robin_takes_turns_by_last_assignment() {
        let agents = [
            agent("a", 0, 3, Some(5), ""),
            agent("b", 2, 3, Some(1), ""),
            agent("c", 0, 3, None, ""),
        ];
        let q: Vec<_> = (0..4)
            .map(|i| waiting(&format!("w{i}"), Routing::RoundRobin, ""))
            .collect();
        let got = route(&q, &agents, 100);
        let who: Vec<&str> = got.iter().map(|(_, a)| a.as_str()).collect();
        // c never had one, then b (oldest), then a; b is then full.
        assert_eq!(who, ["c", "b", "a", "c"]);
    }

    #[test]
    fn least_busy_prefers_the_lightest_load() {
        let agents = [agent("a", 2, 4, None, ""), agent("b", 0, 2, Some(9), "")];
        let q = [
            waiting("1", Routing::LeastBusy, ""),
            waiting("2", Routing::LeastBusy, ""),
            waiting("3", Routing::LeastBusy, ""),
        ];
        let got = route(&q, &agents, 100);
        let who: Vec<&str> = got.iter().map(|(_, a)| a.as_str()).collect();
        // b 0/2 first; then a 2/4 and b 1/2 tie, a was assigned longer ago; then b 1/2 < a 3/4.
        assert_eq!(who, ["b", "a", "b"]);
    }

    #[test]
    fn skills_are_required_and_unmatched_chats_do_not_block_the_queue() {
        let agents = [
            agent("en", 0, 1, None, "english"),
            agent("x", 0, 1, None, ""),
        ];
        let q = [
            waiting("needs-fr", Routing::RoundRobin, "french"),
            waiting("needs-en", Routing::RoundRobin, "english"),
            waiting("any", Routing::RoundRobin, ""),
        ];
        let got = route(&q, &agents, 0);
        assert_eq!(
            got,
            vec![
                ("needs-en".to_string(), "en".to_string()),
                ("any".to_string(), "x".to_string())
            ]
        );
    }

    #[test]
    fn nobody_available_routes_nothing() {
        let q = [waiting("1", Routing::LeastBusy, "")];
        assert!(route(&q, &[], 0).is_empty());
        assert!(route(&q, &[agent("full", 2, 2, None, "")], 0).is_empty());
        assert!(route(&q, &[agent("off", 0, 0, None, "")], 0).is_empty());
    }

    #[test]
    fn input_rules() {
        assert_eq!(parse_message("  你好 "), Ok("你好".to_string()));
        assert_eq!(parse_message(" \n "), Err(ChatInputError::EmptyMessage));
        assert_eq!(
            parse_message(&"字".repeat(MAX_MESSAGE_CHARS + 1)),
            Err(ChatInputError::LongMessage)
        );
        assert_eq!(parse_visitor_name(Some("  ")), Ok(None));
        assert_eq!(
            parse_visitor_name(Some(&"名".repeat(51))),
            Err(ChatInputError::LongName)
        );
        assert_eq!(parse_capacity(-1), Err(ChatInputError::Capacity));
        assert_eq!(parse_capacity(51), Err(ChatInputError::Capacity));
        assert_eq!(parse_capacity(5), Ok(5));
        assert_eq!(
            join_skills(&skills("billing，english, billing")),
            "billing,english"
        );
        // The UI and the API split the same way, 、 included.
        assert_eq!(
            join_skills(&skills("退款、english 物流")),
            "english,物流,退款"
        );
        assert!(parse_skills("a;b").is_err());
    }

    proptest! {
        /// Whatever the queue and the loads: no agent ends over capacity, every routed
        /// chat's skills are held by its agent, and no chat is routed twice.
        #[test]
        fn never_over_capacity(
            loads in proptest::collection::vec((0u32..4, 0u32..5, proptest::option::of(0i64..50), 0usize..3), 0..6),
            queue in proptest::collection::vec((any::<bool>(), 0usize..3), 0..40),
        ) {
            let names = ["", "billing", "english"];
            let agents: Vec<AgentLoad> = loads.iter().enumerate().map(|(i, (active, cap, last, sk))| {
                agent(&format!("a{i}"), (*active).min(*cap), *cap, *last, names[*sk])
            }).collect();
            let q: Vec<Waiting> = queue.iter().enumerate().map(|(i, (rr, sk))| {
                let routing = if *rr { Routing::RoundRobin } else { Routing::LeastBusy };
                waiting(&format!("w{i}"), routing, names[*sk])
            }).collect();
            let got = route(&q, &agents, 1000);
            let mut seen = BTreeSet::new();
            for (w, a) in &got {
                prop_assert!(seen.insert(w.clone()));
                let agent = agents.iter().find(|x| &x.user_id == a).unwrap();
                let needs = &q.iter().find(|x| &x.conversation_id == w).unwrap().skills;
                prop_assert!(needs.is_subset(&agent.skills));
            }
            for a in &agents {
                let added = got.iter().filter(|(_, x)| x == &a.user_id).count() as u32;
                prop_assert!(a.active + added <= a.capacity.max(a.active));
            }
            // Work conservation: a chat left waiting had no eligible agent with room.
            let total_room: u32 = agents.iter().map(|a| a.capacity - a.active).sum();
            prop_assert!(got.len() as u32 <= total_room);
        }
    }
}
