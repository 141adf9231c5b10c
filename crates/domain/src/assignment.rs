//! Balanced assignment of customers to agents (客户分配, handbook document 7: "按照负责客户
//! 数量均衡、兼顾业务能力的原则，分配给相关客服专员").
//!
//! # What "balanced" means here
//!
//! Each chosen agent `i` has a skill weight `wᵢ ≥ 1` (业务能力) and already looks after
//! `cᵢ` customers. `n` customers are to be placed, so the agents will end with
//! `T = Σcᵢ + n` customers between them. Their fair shares are the **water level**: the
//! one number `λ` (customers per unit of weight) with
//!
//! ```text
//! Σᵢ max(cᵢ, λ·wᵢ) = T
//! ```
//!
//! and agent `i`'s **ideal** final load is `eᵢ = max(cᵢ, λ·wᵢ)`. An agent who already
//! carries more than `λ·wᵢ` keeps what they have and gets nobody new (customers are never
//! taken away by a plan); everybody else is filled up to `λ·wᵢ`, in proportion to their
//! weight. The ideal is a real number; the plan rounds it by largest remainder:
//!
//! * every customer goes to exactly one agent, and an agent at or above the water level
//!   gets none;
//! * every agent's final load `xᵢ` is within **one customer** of the ideal,
//!   `|xᵢ − eᵢ| < 1`. Since weights are at least 1 that is also within one unit of
//!   weight (`|xᵢ/wᵢ − eᵢ/wᵢ| < 1/wᵢ ≤ 1`), the bound document 7's test asks for;
//! * the plan is deterministic: agents are taken in the order given (ties in level and in
//!   remainder go to the earlier agent), and customers are dealt out in their order,
//!   interleaved so that a list sorted by tier or age gives each agent a similar mix.
//!
//! Everything is exact integer arithmetic; no floating point decides anything.
//!
//! Redistributing the customers of an agent who leaves is the same plan: the leaving agent
//! is not among the chosen agents, and their customers are the ones to place.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

/// The highest skill weight; weights run 1 (new) to this (most experienced).
pub const MAX_SKILL_WEIGHT: u32 = 10;

/// An agent's skill weight (业务能力权重): a whole number from 1 to [`MAX_SKILL_WEIGHT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillWeight(u32);

impl SkillWeight {
    pub fn parse(value: i64) -> Result<Self, AssignError> {
        if (1..=i64::from(MAX_SKILL_WEIGHT)).contains(&value) {
            Ok(SkillWeight(value as u32))
        } else {
            Err(AssignError::BadWeight { weight: value })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for SkillWeight {
    fn default() -> Self {
        SkillWeight(1)
    }
}

/// One chosen agent as the plan sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub id: String,
    pub weight: SkillWeight,
    /// Customers the agent looks after now.
    pub current: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    #[error("choose at least one agent")]
    NoAgents,
    #[error("skill weight {weight} is not a whole number from 1 to {MAX_SKILL_WEIGHT}")]
    BadWeight { weight: i64 },
    #[error("agent {0} is chosen twice")]
    DuplicateAgent(String),
    #[error("there are no customers to assign")]
    NothingToAssign,
}

/// What one agent ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentShare {
    pub id: String,
    pub weight: u32,
    pub current: u64,
    /// Customers this plan gives the agent.
    pub added: u64,
    /// The ideal final load `eᵢ` as an exact fraction `ideal_num / ideal_den`.
    pub ideal_num: u128,
    pub ideal_den: u128,
}

impl AgentShare {
    pub fn new_count(&self) -> u64 {
        self.current + self.added
    }

    /// The ideal final load, for display (never used to decide anything).
    pub fn ideal(&self) -> f64 {
        self.ideal_num as f64 / self.ideal_den as f64
    }
}

/// A plan: the share of every agent (in the order given) and, for each customer to place
/// (in the order given), the index of the agent who gets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub shares: Vec<AgentShare>,
    pub assignment: Vec<usize>,
}

fn check(agents: &[AgentLoad], customers: u64) -> Result<(), AssignError> {
    if agents.is_empty() {
        return Err(AssignError::NoAgents);
    }
    let mut seen = HashSet::new();
    for a in agents {
        if !seen.insert(a.id.as_str()) {
            return Err(AssignError::DuplicateAgent(a.id.clone()));
        }
    }
    if customers == 0 {
        return Err(AssignError::NothingToAssign);
    }
    Ok(())
}

/// How many of `customers` new customers each agent gets (see the module documentation).
pub fn plan_counts(agents: &[AgentLoad], customers: u64) -> Result<Vec<AgentShare>, AssignError> {
    check(agents, customers)?;
    let w = |i: usize| u128::from(agents[i].weight.get());
    let c = |i: usize| u128::from(agents[i].current);
    // Agents by their level cᵢ/wᵢ, lowest first; the earlier agent first on a tie.
    let mut order: Vec<usize> = (0..agents.len()).collect();
    order.sort_by(|&a, &b| (c(a) * w(b)).cmp(&(c(b) * w(a))).then(a.cmp(&b)));
    // Water-filling: take agents while their level is below the level the water reaches
    // with the agents taken so far. λ = num / den.
    let n = u128::from(customers);
    let (mut num, mut den) = (n, 0u128);
    let mut active = 0;
    for &i in &order {
        // Agent i is below the water level (num + cᵢ) / (den + wᵢ) iff cᵢ·den < num·wᵢ;
        // for the first agent (den = 0) that holds because n > 0.
        if den > 0 && c(i) * den >= num * w(i) {
            break;
        }
        num += c(i);
        den += w(i);
        active += 1;
    }
    let active_set = &order[..active];
    let mut shares: Vec<AgentShare> = agents
        .iter()
        .map(|a| AgentShare {
            id: a.id.clone(),
            weight: a.weight.get(),
            current: a.current,
            added: 0,
            ideal_num: u128::from(a.current),
            ideal_den: 1,
        })
        .collect();
    // The quota of active agent i is λ·wᵢ − cᵢ = (num·wᵢ − cᵢ·den) / den > 0. Everyone gets
    // its whole part; the customers left over go to the largest remainders.
    let mut given = 0u128;
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(active);
    for &i in active_set {
        let quota = num * w(i) - c(i) * den;
        shares[i].added = (quota / den) as u64;
        shares[i].ideal_num = num * w(i);
        shares[i].ideal_den = den;
        given += quota / den;
        remainders.push((quota % den, i));
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = (n - given) as usize;
    for &(_, i) in remainders.iter().take(left) {
        shares[i].added += 1;
    }
    Ok(shares)
}

/// The full plan: counts as [`plan_counts`], and which customer goes to whom.
pub fn plan(agents: &[AgentLoad], customers: u64) -> Result<Plan, AssignError> {
    let shares = plan_counts(agents, customers)?;
    Ok(Plan {
        assignment: deal(&shares),
        shares,
    })
}

/// Deals the customers out so that each agent's customers are spread evenly over the
/// list: agent i's k-th customer sits at the point (2k+1) / (2·addedᵢ) of the list, and
/// the customers are handed out in the order of those points.
fn deal(shares: &[AgentShare]) -> Vec<usize> {
    #[derive(PartialEq, Eq)]
    struct Next {
        /// (2k+1) / (2·added), compared exactly.
        num: u128,
        den: u128,
        agent: usize,
        k: u64,
    }
    impl Ord for Next {
        fn cmp(&self, other: &Self) -> Ordering {
            // A min-heap on the point, then on the agent.
            (other.num * self.den)
                .cmp(&(self.num * other.den))
                .then(other.agent.cmp(&self.agent))
        }
    }
    impl PartialOrd for Next {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    let total: u64 = shares.iter().map(|s| s.added).sum();
    let mut heap: BinaryHeap<Next> = shares
        .iter()
        .enumerate()
        .filter(|(_, s)| s.added > 0)
        .map(|(agent, s)| Next {
            num: 1,
            den: 2 * u128::from(s.added),
            agent,
            k: 0,
        })
        .collect();
    let mut out = Vec::with_capacity(total as usize);
    while let Some(next) = heap.pop() {
        out.push(next.agent);
        let k = next.k + 1;
        if k < shares[next.agent].added {
            heap.push(Next {
                num: 2 * u128::from(k) + 1,
                k,
                ..next
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, weight: u32, current: u64) -> AgentLoad {
        AgentLoad {
            id: id.into(),
            weight: SkillWeight::parse(i64::from(weight)).unwrap(),
            current,
        }
    }

    fn added(shares: &[AgentShare]) -> Vec<u64> {
        shares.iter().map(|s| s.added).collect()
    }

    #[test]
    fn equal_weights_split_evenly_and_the_remainder_goes_to_the_first() {
        let agents = [agent("a", 1, 0), agent("b", 1, 0), agent("c", 1, 0)];
        assert_eq!(added(&plan_counts(&agents, 10).unwrap()), [4, 3, 3]);
    }

    #[test]
    fn weights_scale_the_share() {
        let agents = [agent("a", 1, 0), agent("b", 3, 0)];
        assert_eq!(added(&plan_counts(&agents, 100).unwrap()), [25, 75]);
    }

    #[test]
    fn an_agent_above_the_water_level_gets_nobody() {
        // T = 100 + 10 + 0 + 20 = 130 over weight 3: λ = 43⅓ would leave a below it, so
        // a keeps 100 and b, c share 30 up to λ = 20 each.
        let agents = [agent("a", 1, 100), agent("b", 1, 10), agent("c", 1, 0)];
        let shares = plan_counts(&agents, 30).unwrap();
        assert_eq!(added(&shares), [0, 10, 20]);
        assert_eq!(shares[0].ideal(), 100.0);
        assert_eq!(shares[1].ideal(), 20.0);
    }

    #[test]
    fn the_plan_deals_customers_interleaved() {
        let agents = [agent("a", 1, 0), agent("b", 1, 0)];
        let p = plan(&agents, 4).unwrap();
        assert_eq!(p.assignment, [0, 1, 0, 1]);
        let agents = [agent("a", 1, 0), agent("b", 2, 0)];
        let p = plan(&agents, 6).unwrap();
        assert_eq!(p.assignment, [1, 0, 1, 1, 0, 1]);
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(plan_counts(&[], 3), Err(AssignError::NoAgents));
        assert_eq!(
            plan_counts(&[agent("a", 1, 0)], 0),
            Err(AssignError::NothingToAssign)
        );
        assert_eq!(
            plan_counts(&[agent("a", 1, 0), agent("a", 2, 0)], 3),
            Err(AssignError::DuplicateAgent("a".into()))
        );
        assert_eq!(
            SkillWeight::parse(0),
            Err(AssignError::BadWeight { weight: 0 })
        );
        assert!(SkillWeight::parse(-2).is_err());
        assert!(SkillWeight::parse(i64::from(MAX_SKILL_WEIGHT) + 1).is_err());
        assert_eq!(SkillWeight::parse(5).unwrap().get(), 5);
    }

    /// An agent leaves (离职): their 90 customers are placed among the three who stay,
    /// who already look after 30, 10 and 50 customers with weights 1, 1 and 2. The total
    /// 180 over weight 4 puts the water level at 45: 15, 35 and 40 more.
    #[test]
    fn a_leaving_agents_customers_go_to_those_who_stay() {
        let leaving = agent("gone", 3, 90);
        let staying = [agent("a", 1, 30), agent("b", 1, 10), agent("c", 2, 50)];
        let p = plan(&staying, leaving.current).unwrap();
        assert_eq!(added(&p.shares), [15, 35, 40]);
        assert_eq!(p.assignment.len(), 90);
        assert!(p.shares.iter().all(|s| s.id != leaving.id));
        let counts: Vec<u64> = p.shares.iter().map(AgentShare::new_count).collect();
        assert_eq!(counts, [45, 45, 90]);
    }
}
