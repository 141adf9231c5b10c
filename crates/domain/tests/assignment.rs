//! Property tests of balanced assignment (document 7): every customer placed once, every
//! agent within one unit of weight of the ideal, the same plan for the same input.

use kefu_domain::assignment::{plan, AgentLoad, SkillWeight};
use proptest::prelude::*;

fn agents() -> impl Strategy<Value = Vec<AgentLoad>> {
    prop::collection::vec((1i64..=5, 0u64..300), 1..12).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (w, current))| AgentLoad {
                id: format!("agent-{i}"),
                weight: SkillWeight::parse(w).unwrap(),
                current,
            })
            .collect()
    })
}

/// The water level λ with Σ max(cᵢ, λ·wᵢ) = T, found by bisection in floating point: an
/// oracle independent of the plan's exact integer method.
fn water_level(agents: &[AgentLoad], customers: u64) -> f64 {
    let total = agents.iter().map(|a| a.current).sum::<u64>() + customers;
    let filled = |l: f64| -> f64 {
        agents
            .iter()
            .map(|a| (a.current as f64).max(l * f64::from(a.weight.get())))
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, total as f64 + 1.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < total as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

proptest! {
    /// Every customer goes to exactly one of the chosen agents, and the per-agent counts
    /// of the dealt list are the plan's counts.
    #[test]
    fn every_customer_is_assigned_exactly_once(agents in agents(), n in 1u64..2000) {
        let p = plan(&agents, n).unwrap();
        prop_assert_eq!(p.assignment.len() as u64, n);
        let mut dealt = vec![0u64; agents.len()];
        for &i in &p.assignment {
            prop_assert!(i < agents.len());
            dealt[i] += 1;
        }
        let added: Vec<u64> = p.shares.iter().map(|s| s.added).collect();
        prop_assert_eq!(&dealt, &added);
        prop_assert_eq!(added.iter().sum::<u64>(), n);
        for (s, a) in p.shares.iter().zip(&agents) {
            prop_assert_eq!(&s.id, &a.id);
            prop_assert_eq!(s.current, a.current);
        }
    }

    /// Balanced by count, weighted by skill: against the water level λ of an independent
    /// oracle, each agent's ideal is eᵢ = max(cᵢ, λ·wᵢ) and the final count xᵢ satisfies
    /// |xᵢ − eᵢ| < 1 customer — hence |xᵢ/wᵢ − λ| < 1/wᵢ ≤ 1 unit of weight for everyone
    /// who received customers. Agents at or above the level receive nobody. The plan's
    /// own exact ideal agrees with the oracle.
    #[test]
    fn counts_are_within_one_unit_of_weight_of_the_ideal(agents in agents(), n in 1u64..2000) {
        let p = plan(&agents, n).unwrap();
        let lambda = water_level(&agents, n);
        let eps = 1e-6;
        for (s, a) in p.shares.iter().zip(&agents) {
            let w = f64::from(a.weight.get());
            let ideal = (a.current as f64).max(lambda * w);
            let x = s.new_count() as f64;
            prop_assert!((x - ideal).abs() < 1.0 + eps,
                "{}: x = {x}, ideal = {ideal}, λ = {lambda}", a.id);
            prop_assert!((x / w - ideal / w).abs() <= 1.0 + eps, "one unit of weight");
            prop_assert!((s.ideal() - ideal).abs() < 1e-6 * ideal.max(1.0),
                "exact ideal {} vs oracle {ideal}", s.ideal());
            // Exactly: |x·den − num| < den.
            let xd = u128::from(s.new_count()) * s.ideal_den;
            prop_assert!(xd.abs_diff(s.ideal_num) < s.ideal_den);
            if a.current as f64 >= lambda * w + eps {
                prop_assert_eq!(s.added, 0, "{} is above the level", a.id);
            }
        }
    }

    /// The same input gives the same plan, and the plan does not depend on the history
    /// of earlier calls.
    #[test]
    fn plans_are_deterministic(agents in agents(), n in 1u64..2000, other in agents()) {
        let first = plan(&agents, n).unwrap();
        let _ = plan(&other, n + 7);
        prop_assert_eq!(first, plan(&agents, n).unwrap());
    }

    /// Placing customers in two rounds never does worse than the bound either: the second
    /// round starts from the first round's counts (a leaving agent's customers after an
    /// import, say) and is again within one customer of its own ideal.
    #[test]
    fn a_second_round_is_balanced_from_where_the_first_left(
        agents in agents(), n1 in 1u64..500, n2 in 1u64..500,
    ) {
        let first = plan(&agents, n1).unwrap();
        let after: Vec<AgentLoad> = agents
            .iter()
            .zip(&first.shares)
            .map(|(a, s)| AgentLoad { current: s.new_count(), ..a.clone() })
            .collect();
        let second = plan(&after, n2).unwrap();
        for s in &second.shares {
            let xd = u128::from(s.new_count()) * s.ideal_den;
            prop_assert!(xd.abs_diff(s.ideal_num) < s.ideal_den);
        }
    }
}
