//! The monthly sample: which of each agent's items the inspectors look at (handbook
//! document 12: each agent 1–5 times a month).
//!
//! Per agent the count is `min` plus the number of the agent's items that weigh more than
//! 1 (complaints, long calls, low satisfaction, flagged by the automatic checks), clamped
//! to `[min, max]` and to what is available. Items are drawn by weighted sampling without
//! replacement (Efraimidis–Spirakis keys: `u^(1/w)` with `u` uniform in (0, 1), the
//! largest keys win) and spread over the month's weeks: each pick goes to the week with
//! the fewest picks so far that still has items, and among those to the week whose best
//! remaining item has the largest key. Each chosen item goes to the least-loaded inspector
//! who is not its agent.
//!
//! The sample is reproducible: each agent's random stream is seeded from the plan's seed,
//! the agent and the agent's item keys (sorted), so the same plan and the same candidates,
//! in any order, give the same sample. Keys must be unique per item (the caller hashes the
//! item's id).

use super::ItemKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The most items one agent may be sampled for in a month.
pub const MAX_PER_AGENT: u32 = 50;

/// How much more likely an item is to be drawn when a factor applies. An item's weight is
/// 1.0 multiplied by each factor that applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    pub complaint: f64,
    pub long_call: f64,
    /// A call at least this long is a long call.
    pub long_call_secs: u32,
    pub low_satisfaction: f64,
    /// A satisfaction score (1–5) at or below this is low.
    pub low_satisfaction_max: u8,
    /// Applies when the automatic checks flagged the item.
    pub flagged: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            complaint: 3.0,
            long_call: 2.0,
            long_call_secs: 600,
            low_satisfaction: 2.0,
            low_satisfaction_max: 2,
            flagged: 2.0,
        }
    }
}

/// A sampling plan: per agent per month between `min` and `max` items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub min: u32,
    pub max: u32,
    pub weights: Weights,
    pub seed: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            min: 1,
            max: 5,
            weights: Weights::default(),
            seed: 0,
        }
    }
}

/// Why a plan is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the sample size must satisfy 0 ≤ min ≤ max ≤ {MAX_PER_AGENT}")]
    CountOutOfRange,
    #[error("the weight {0} must be a finite number of at least 1.0")]
    WeightInvalid(&'static str),
    #[error("a long call must be at least one second")]
    LongCallInvalid,
    #[error("low satisfaction must be a score from 1 to 5")]
    LowSatisfactionInvalid,
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::CountOutOfRange => "qa.sample_count_out_of_range",
            PlanError::WeightInvalid(_) => "qa.sample_weight_invalid",
            PlanError::LongCallInvalid => "qa.sample_long_call_invalid",
            PlanError::LowSatisfactionInvalid => "qa.sample_low_satisfaction_invalid",
        }
    }
}

impl Plan {
    /// Checks `0 ≤ min ≤ max ≤ 50`, every weight finite and ≥ 1.0, the long-call length
    /// ≥ 1 s and the low-satisfaction score within 1–5.
    pub fn parse(min: u32, max: u32, weights: Weights, seed: u64) -> Result<Plan, PlanError> {
        if min > max || max > MAX_PER_AGENT {
            return Err(PlanError::CountOutOfRange);
        }
        for (name, w) in [
            ("complaint", weights.complaint),
            ("long_call", weights.long_call),
            ("low_satisfaction", weights.low_satisfaction),
            ("flagged", weights.flagged),
        ] {
            if !w.is_finite() || w < 1.0 {
                return Err(PlanError::WeightInvalid(name));
            }
        }
        if weights.long_call_secs == 0 {
            return Err(PlanError::LongCallInvalid);
        }
        if !(1..=5).contains(&weights.low_satisfaction_max) {
            return Err(PlanError::LowSatisfactionInvalid);
        }
        Ok(Plan {
            min,
            max,
            weights,
            seed,
        })
    }
}

/// An item that may be sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// A dense index chosen by the caller (the same numbering as `inspectors`).
    pub agent: u32,
    /// A stable number per item (the caller hashes the item's id): the tie-breaker, and
    /// part of the agent's seed.
    pub key: u64,
    /// Day of the month, 1..=31 (clamped into the month).
    pub day: u8,
    pub kind: ItemKind,
    pub complaint: bool,
    pub duration_secs: Option<u32>,
    /// 1–5, if the customer rated the contact.
    pub satisfaction: Option<u8>,
    /// How many automatic-check findings the item has.
    pub flags: u16,
}

/// Why an item was chosen; rendered by the server ("chosen because: complaint, 14 min
/// call").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    Complaint,
    LongCall {
        secs: u32,
    },
    LowSatisfaction {
        score: u8,
    },
    Flagged {
        count: u16,
    },
    /// Chosen with no special factor.
    Random,
}

/// One chosen item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Index into the candidates slice.
    pub candidate: usize,
    pub inspector: u32,
    /// 1..=5: days 1–7, 8–14, 15–21, 22–28, 29–31.
    pub week: u8,
    pub reasons: Vec<Reason>,
}

/// The month's sample.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sample {
    /// Ordered by agent, week and item key.
    pub choices: Vec<Choice>,
    /// Agents with fewer items than `min`, with how many they have (all of them are
    /// sampled); ordered by agent. An agent with no candidate at all is unknown here:
    /// the caller reports those with `(agent, 0)` when `min > 0`.
    pub short: Vec<(u32, u32)>,
    /// Agents whose only possible inspector is themselves (or with no inspector at all):
    /// their items are not in `choices`. Ordered by agent.
    pub unassignable: Vec<u32>,
}

/// The week (1..=5) of a day of the month.
pub fn week_of(day: u8) -> u8 {
    (day.clamp(1, 31) - 1) / 7 + 1
}

impl Weights {
    /// The factors that apply to `c`, as reasons (empty: a plain item).
    fn reasons(&self, c: &Candidate) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if c.complaint && self.complaint > 1.0 {
            reasons.push(Reason::Complaint);
        }
        match c.duration_secs {
            Some(secs) if secs >= self.long_call_secs && self.long_call > 1.0 => {
                reasons.push(Reason::LongCall { secs })
            }
            _ => {}
        }
        match c.satisfaction {
            Some(score)
                if (1..=self.low_satisfaction_max).contains(&score)
                    && self.low_satisfaction > 1.0 =>
            {
                reasons.push(Reason::LowSatisfaction { score })
            }
            _ => {}
        }
        if c.flags > 0 && self.flagged > 1.0 {
            reasons.push(Reason::Flagged { count: c.flags });
        }
        reasons
    }

    /// 1.0 times each factor that applies.
    pub fn weight(&self, c: &Candidate) -> f64 {
        let mut w = 1.0;
        if c.complaint {
            w *= self.complaint;
        }
        if c.duration_secs.is_some_and(|s| s >= self.long_call_secs) {
            w *= self.long_call;
        }
        if c.satisfaction
            .is_some_and(|s| (1..=self.low_satisfaction_max).contains(&s))
        {
            w *= self.low_satisfaction;
        }
        if c.flags > 0 {
            w *= self.flagged;
        }
        w
    }
}

/// SplitMix64's finalizer: mixes the seed and the keys into the agent's stream seed.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Draws the month's sample; see the module documentation for the rules.
/// `days_in_month` is clamped to 28..=31 and each candidate's day into the month.
/// `inspectors` are agent indices (an inspector may have items of their own).
pub fn sample(
    plan: &Plan,
    days_in_month: u8,
    candidates: &[Candidate],
    inspectors: &[u32],
) -> Sample {
    let days_in_month = days_in_month.clamp(28, 31);
    let (min, max) = (plan.min, plan.max.max(plan.min));

    // Group by agent, each group ordered by key: the order of the input does not matter.
    let mut order: Vec<(u32, u64, u32)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let i = u32::try_from(i).expect("fewer than 2^32 candidates");
            (c.agent, c.key, i)
        })
        .collect();
    order.sort_unstable();

    let mut inspectors: Vec<u32> = inspectors.to_vec();
    inspectors.sort_unstable();
    inspectors.dedup();
    let mut loads: BinaryHeap<Reverse<(u32, u32)>> =
        inspectors.iter().map(|&i| Reverse((0, i))).collect();

    let mut out = Sample::default();
    // Scratch space reused across agents: (week, es key, candidate index).
    let mut items: Vec<(u8, f64, u32)> = Vec::new();
    let mut picked: Vec<(u8, u32)> = Vec::new();
    for group in order.chunk_by(|a, b| a.0 == b.0) {
        let agent = group[0].0;
        let available = group.len() as u32;
        let mut seed = mix(plan.seed ^ mix(u64::from(agent) ^ 0x9e37_79b9_7f4a_7c15));
        let mut weighted = 0u32;
        for &(_, key, _) in group {
            seed = mix(seed ^ key);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        items.clear();
        for &(_, _, i) in group {
            let c = &candidates[i as usize];
            let w = plan.weights.weight(c);
            if w > 1.0 {
                weighted += 1;
            }
            // u in (0, 1]; ln(u) / w orders items the same as u^(1/w) without pow().
            let u: f64 = 1.0 - rng.gen::<f64>();
            let day = c.day.clamp(1, days_in_month);
            items.push((week_of(day), u.ln() / w, i));
        }
        if available < min {
            out.short.push((agent, available));
        }
        let count = (min + weighted).clamp(min, max).min(available) as usize;
        if count == 0 {
            continue;
        }

        // Per week, items by descending key (ties by candidate key order, already sorted).
        items.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        // bounds[w]: the items of week w + 1; next[w]: its best item not yet picked.
        let mut bounds = [(0usize, 0usize); 5];
        let mut next = [0usize; 5];
        for (w, bound) in bounds.iter_mut().enumerate() {
            let lo = items.partition_point(|it| usize::from(it.0) <= w);
            let hi = items.partition_point(|it| usize::from(it.0) <= w + 1);
            *bound = (lo, hi);
            next[w] = lo;
        }
        let mut per_week = [0u32; 5];
        picked.clear();
        for _ in 0..count {
            let mut best: Option<usize> = None;
            for w in 0..5 {
                if next[w] >= bounds[w].1 {
                    continue;
                }
                best = match best {
                    None => Some(w),
                    Some(b) => {
                        let better = per_week[w] < per_week[b]
                            || (per_week[w] == per_week[b] && items[next[w]].1 > items[next[b]].1);
                        Some(if better { w } else { b })
                    }
                };
            }
            let w = best.expect("count ≤ available, so a week has items left");
            picked.push((w as u8 + 1, items[next[w]].2));
            next[w] += 1;
            per_week[w] += 1;
        }

        let assignable = match inspectors.as_slice() {
            [] => false,
            [only] => *only != agent,
            _ => true,
        };
        if !assignable {
            out.unassignable.push(agent);
            continue;
        }
        picked.sort_unstable_by_key(|&(week, i)| (week, candidates[i as usize].key));
        for &(week, i) in &picked {
            let inspector = assign(&mut loads, agent);
            let c = &candidates[i as usize];
            let mut reasons = plan.weights.reasons(c);
            if reasons.is_empty() {
                reasons.push(Reason::Random);
            }
            out.choices.push(Choice {
                candidate: i as usize,
                inspector,
                week,
                reasons,
            });
        }
    }
    out
}

/// Pops the least-loaded inspector other than `agent`, counts one more item for them and
/// returns them. The caller has checked that such an inspector exists.
fn assign(loads: &mut BinaryHeap<Reverse<(u32, u32)>>, agent: u32) -> u32 {
    let Reverse((load, inspector)) = loads.pop().expect("an inspector");
    if inspector != agent {
        loads.push(Reverse((load + 1, inspector)));
        return inspector;
    }
    let Reverse((load2, other)) = loads.pop().expect("another inspector");
    loads.push(Reverse((load, inspector)));
    loads.push(Reverse((load2 + 1, other)));
    other
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    fn plain(agent: u32, key: u64, day: u8) -> Candidate {
        Candidate {
            agent,
            key,
            day,
            kind: ItemKind::Chat,
            complaint: false,
            duration_secs: None,
            satisfaction: None,
            flags: 0,
        }
    }

    fn plan(min: u32, max: u32, seed: u64) -> Plan {
        Plan::parse(min, max, Weights::default(), seed).unwrap()
    }

    /// The sample as (agent, key, week, inspector, reasons): independent of input order.
    fn by_key(s: &Sample, candidates: &[Candidate]) -> Vec<(u32, u64, u8, u32, Vec<Reason>)> {
        s.choices
            .iter()
            .map(|c| {
                let cand = &candidates[c.candidate];
                (cand.agent, cand.key, c.week, c.inspector, c.reasons.clone())
            })
            .collect()
    }

    #[test]
    fn plan_parse_checks_counts_and_weights() {
        assert!(Plan::parse(0, 0, Weights::default(), 1).is_ok());
        assert!(Plan::parse(1, 50, Weights::default(), 1).is_ok());
        let code = |min, max, w: Weights| Plan::parse(min, max, w, 1).unwrap_err().code();
        assert_eq!(
            code(6, 5, Weights::default()),
            "qa.sample_count_out_of_range"
        );
        assert_eq!(
            code(1, 51, Weights::default()),
            "qa.sample_count_out_of_range"
        );
        for bad in [0.5, f64::NAN, f64::INFINITY] {
            let w = Weights {
                flagged: bad,
                ..Weights::default()
            };
            assert_eq!(code(1, 5, w), "qa.sample_weight_invalid");
        }
        let w = Weights {
            long_call_secs: 0,
            ..Weights::default()
        };
        assert_eq!(code(1, 5, w), "qa.sample_long_call_invalid");
        let w = Weights {
            low_satisfaction_max: 6,
            ..Weights::default()
        };
        assert_eq!(code(1, 5, w), "qa.sample_low_satisfaction_invalid");
        let d = Plan::default();
        assert_eq!((d.min, d.max, d.weights.complaint), (1, 5, 3.0));
    }

    #[test]
    fn weights_multiply_and_reasons_explain() {
        let w = Weights::default();
        let mut c = plain(0, 1, 3);
        assert_eq!(w.weight(&c), 1.0);
        c.complaint = true;
        c.kind = ItemKind::Call;
        c.duration_secs = Some(840);
        c.satisfaction = Some(2);
        c.flags = 3;
        assert_eq!(w.weight(&c), 3.0 * 2.0 * 2.0 * 2.0);
        assert_eq!(
            w.reasons(&c),
            [
                Reason::Complaint,
                Reason::LongCall { secs: 840 },
                Reason::LowSatisfaction { score: 2 },
                Reason::Flagged { count: 3 },
            ]
        );
        c.duration_secs = Some(599);
        c.satisfaction = Some(3);
        c.flags = 0;
        assert_eq!(w.weight(&c), 3.0);
        assert_eq!(
            serde_json::to_string(&Reason::LongCall { secs: 840 }).unwrap(),
            r#"{"reason":"long_call","secs":840}"#
        );
    }

    #[test]
    fn counts_follow_min_plus_weighted_items_clamped() {
        let mut cands = Vec::new();
        // Agent 0: 10 plain items → min = 2.
        cands.extend((0..10).map(|k| plain(0, k, (k % 28) as u8 + 1)));
        // Agent 1: 10 items, 2 complaints → 2 + 2 = 4.
        cands.extend((0..10).map(|k| Candidate {
            complaint: k < 2,
            ..plain(1, 100 + k, (k % 28) as u8 + 1)
        }));
        // Agent 2: 10 items, 8 flagged → clamped to max 5.
        cands.extend((0..10).map(|k| Candidate {
            flags: u16::from(k < 8),
            ..plain(2, 200 + k, (k % 28) as u8 + 1)
        }));
        // Agent 3: one item, short of min 2.
        cands.push(plain(3, 300, 5));
        let s = sample(&plan(2, 5, 7), 30, &cands, &[10, 11]);
        let mut per_agent: HashMap<u32, usize> = HashMap::new();
        for c in &s.choices {
            *per_agent.entry(cands[c.candidate].agent).or_default() += 1;
        }
        assert_eq!(per_agent[&0], 2);
        assert_eq!(per_agent[&1], 4);
        assert_eq!(per_agent[&2], 5);
        assert_eq!(per_agent[&3], 1);
        assert_eq!(s.short, [(3, 1)]);
        assert!(s.unassignable.is_empty());
        // Both complaints of agent 1 are in the sample? Not necessarily, but every choice
        // explains itself: complaint items say so, plain ones say Random.
        for c in &s.choices {
            let cand = &cands[c.candidate];
            assert_eq!(c.reasons.contains(&Reason::Complaint), cand.complaint);
            assert_eq!(
                c.reasons == [Reason::Random],
                !cand.complaint && cand.flags == 0
            );
        }
    }

    #[test]
    fn never_the_inspectors_own_items_and_loads_balance() {
        // Agents 0..6 have items; agents 0 and 1 are also the only inspectors.
        let cands: Vec<_> = (0..6u32)
            .flat_map(|a| (0..8u64).map(move |k| plain(a, u64::from(a) * 100 + k, 1 + k as u8 * 3)))
            .collect();
        let s = sample(&plan(3, 3, 1), 31, &cands, &[1, 0, 1]);
        assert_eq!(s.choices.len(), 18);
        let mut loads: HashMap<u32, u32> = HashMap::new();
        for c in &s.choices {
            assert_ne!(c.inspector, cands[c.candidate].agent);
            *loads.entry(c.inspector).or_default() += 1;
        }
        assert_eq!(loads[&0], 9);
        assert_eq!(loads[&1], 9);
    }

    #[test]
    fn unassignable_agents_are_reported() {
        let cands = vec![plain(0, 1, 1), plain(0, 2, 9), plain(1, 3, 1)];
        // Agent 0 is the only inspector: its own items cannot be assigned.
        let s = sample(&plan(1, 5, 1), 30, &cands, &[0]);
        assert_eq!(s.unassignable, [0]);
        assert_eq!(s.choices.len(), 1);
        assert_eq!(cands[s.choices[0].candidate].agent, 1);
        assert_eq!(s.choices[0].inspector, 0);
        // No inspectors at all: nobody can be assigned.
        let s = sample(&plan(1, 5, 1), 30, &cands, &[]);
        assert_eq!(s.unassignable, [0, 1]);
        assert!(s.choices.is_empty());
    }

    #[test]
    fn picks_spread_over_the_weeks() {
        // 5 items in every week of a 31-day month; 5 picks must take one from each week.
        let cands: Vec<_> = (1..=31u8)
            .flat_map(|d| (0..2u64).map(move |k| plain(0, u64::from(d) * 10 + k, d)))
            .collect();
        for seed in 0..20 {
            let s = sample(&plan(5, 5, seed), 31, &cands, &[9]);
            let weeks: Vec<u8> = s.choices.iter().map(|c| c.week).collect();
            assert_eq!(weeks, [1, 2, 3, 4, 5], "seed {seed}");
            for c in &s.choices {
                assert_eq!(week_of(cands[c.candidate].day), c.week);
            }
        }
        // Only weeks 1 and 3 have items: 4 picks go 2 and 2.
        let cands: Vec<_> = (0..10u64)
            .map(|k| plain(0, k, if k % 2 == 0 { 2 } else { 16 }))
            .collect();
        let s = sample(&plan(4, 4, 3), 30, &cands, &[9]);
        let weeks: Vec<u8> = s.choices.iter().map(|c| c.week).collect();
        assert_eq!(weeks, [1, 1, 3, 3]);
        // Days past the month's end are clamped into its last week.
        assert_eq!(week_of(31), 5);
        let s = sample(&plan(1, 1, 3), 28, &[plain(0, 1, 31)], &[9]);
        assert_eq!(s.choices[0].week, 4);
    }

    /// Fixed seed: complaints (weight 3) and flagged items (weight 2) are drawn markedly
    /// more often than plain ones. The margin is a one-sided z-test at 5 standard errors of
    /// the difference of two proportions under the null hypothesis that weights do nothing.
    #[test]
    fn weights_favour_complaints_and_flagged_items() {
        let agents = 5000u32;
        let mut cands = Vec::new();
        for a in 0..agents {
            for k in 0..20u64 {
                let key = u64::from(a) * 1000 + k;
                cands.push(Candidate {
                    complaint: k == 0,
                    flags: u16::from(k == 1),
                    ..plain(a, key, 10)
                });
            }
        }
        // min 0, max 5: each agent has 2 weighted items → 2 picks out of 20, all in week 2.
        let s = sample(&plan(0, 5, 42), 30, &cands, &[agents, agents + 1]);
        assert_eq!(s.choices.len(), 2 * agents as usize);
        let (mut complaint, mut flagged, mut plain_hits) = (0f64, 0f64, 0f64);
        for c in &s.choices {
            let cand = &cands[c.candidate];
            match (cand.complaint, cand.flags) {
                (true, _) => complaint += 1.0,
                (false, 1) => flagged += 1.0,
                _ => plain_hits += 1.0,
            }
        }
        let n = f64::from(agents);
        let (p_c, p_f, p_p) = (complaint / n, flagged / n, plain_hits / (18.0 * n));
        // Under the null every item is drawn with p0 = 2/20.
        let p0 = 2.0 / 20.0;
        let se = |n1: f64, n2: f64| (p0 * (1.0 - p0) * (1.0 / n1 + 1.0 / n2)).sqrt();
        let margin_vs_plain = 5.0 * se(n, 18.0 * n);
        let margin_c_vs_f = 5.0 * se(n, n);
        assert!(
            p_c - p_p > margin_vs_plain,
            "complaint {p_c} vs plain {p_p}"
        );
        assert!(p_f - p_p > margin_vs_plain, "flagged {p_f} vs plain {p_p}");
        assert!(
            p_c - p_f > margin_c_vs_f,
            "complaint {p_c} vs flagged {p_f}"
        );
    }

    #[test]
    fn all_weights_one_draws_evenly() {
        // The other direction: with every factor 1.0 complaints are drawn like plain items
        // (within 5 standard errors of p0).
        let weights = Weights {
            complaint: 1.0,
            flagged: 1.0,
            long_call: 1.0,
            low_satisfaction: 1.0,
            ..Weights::default()
        };
        let p = Plan::parse(2, 2, weights, 9).unwrap();
        let agents = 2000u32;
        let cands: Vec<_> = (0..agents)
            .flat_map(|a| {
                (0..10u64).map(move |k| Candidate {
                    complaint: k == 0,
                    ..plain(a, u64::from(a) * 100 + k, 4)
                })
            })
            .collect();
        let s = sample(&p, 30, &cands, &[agents]);
        let hits = s
            .choices
            .iter()
            .filter(|c| cands[c.candidate].complaint)
            .count();
        let n = f64::from(agents);
        let p0 = 0.2;
        let se = (p0 * (1.0 - p0) / n).sqrt();
        assert!((hits as f64 / n - p0).abs() < 5.0 * se, "{hits}");
        assert!(s.choices.iter().all(|c| c.reasons == [Reason::Random]));
    }

    fn arb_candidates() -> impl Strategy<Value = Vec<Candidate>> {
        proptest::collection::vec(
            (
                0u32..12,
                1u8..=31,
                any::<bool>(),
                0u16..3,
                proptest::option::of(1u8..=5),
            ),
            0..150,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(
                    |(i, (agent, day, complaint, flags, satisfaction))| Candidate {
                        complaint,
                        flags,
                        satisfaction,
                        ..plain(agent, (i as u64).wrapping_mul(0x9e37_79b9) ^ 0x55, day)
                    },
                )
                .collect()
        })
    }

    proptest! {
        #[test]
        fn sample_rules_hold(
            cands in arb_candidates(),
            min in 0u32..4,
            extra in 0u32..4,
            seed in any::<u64>(),
            inspectors in proptest::collection::vec(0u32..14, 0..4),
            shuffle_seed in any::<u64>(),
        ) {
            let p = plan(min, min + extra, seed);
            let s = sample(&p, 31, &cands, &inspectors);
            let inspector_set: HashSet<u32> = inspectors.iter().copied().collect();
            let mut per_agent: HashMap<u32, u32> = HashMap::new();
            let mut available: HashMap<u32, u32> = HashMap::new();
            for c in &cands {
                *available.entry(c.agent).or_default() += 1;
            }
            let mut seen = HashSet::new();
            for c in &s.choices {
                let cand = &cands[c.candidate];
                prop_assert!(seen.insert(c.candidate), "an item is chosen once");
                prop_assert_ne!(c.inspector, cand.agent);
                prop_assert!(inspector_set.contains(&c.inspector));
                prop_assert_eq!(c.week, week_of(cand.day));
                *per_agent.entry(cand.agent).or_default() += 1;
            }
            for (&agent, &n) in &available {
                let got = per_agent.get(&agent).copied().unwrap_or(0);
                if s.unassignable.contains(&agent) {
                    prop_assert_eq!(got, 0);
                    prop_assert!(inspector_set.iter().all(|&i| i == agent));
                } else if n >= p.min {
                    prop_assert!((p.min..=p.max).contains(&got), "agent {} got {}", agent, got);
                    prop_assert!(!s.short.iter().any(|&(a, _)| a == agent));
                } else {
                    prop_assert_eq!(got, n);
                    prop_assert!(s.short.contains(&(agent, n)));
                }
            }

            // Same seed, shuffled input and inspectors → the same sample.
            let mut shuffled = cands.clone();
            let mut rng = ChaCha8Rng::seed_from_u64(shuffle_seed);
            rand::seq::SliceRandom::shuffle(shuffled.as_mut_slice(), &mut rng);
            let mut insp = inspectors.clone();
            insp.reverse();
            let again = sample(&p, 31, &shuffled, &insp);
            prop_assert_eq!(by_key(&s, &cands), by_key(&again, &shuffled));
            prop_assert_eq!(&s.short, &again.short);
            prop_assert_eq!(&s.unassignable, &again.unassignable);
        }
    }

    #[test]
    fn another_seed_gives_another_sample() {
        let cands: Vec<_> = (0..200u64)
            .map(|k| plain((k % 4) as u32, k, (k % 28) as u8 + 1))
            .collect();
        let a = sample(&plan(3, 3, 1), 30, &cands, &[7, 8]);
        let b = sample(&plan(3, 3, 1), 30, &cands, &[7, 8]);
        let c = sample(&plan(3, 3, 2), 30, &cands, &[7, 8]);
        assert_eq!(a, b);
        assert_ne!(by_key(&a, &cands), by_key(&c, &cands));
    }
}
