//! Agent performance evaluation (绩效考核, handbook document 8) and sales commission
//! (提成, document 17).
//!
//! A month's evaluation turns each agent's raw figures (workload, SLA compliance, CSAT, QA
//! score, complaints against them, attendance to rostered shifts) into six component
//! scores of 0–100, weighs them by the center's scheme into a total, ranks the agents and
//! applies the rewards and fines rules. A component an agent has no data for (no survey
//! answered about their tickets, no inspection published, no rostered shift) is left out
//! and its weight is shared among the others in proportion to their weights, so nobody is
//! rewarded or punished for what was not measured. Scores and amounts are integers:
//! scores in hundredths of a point, money in cents (分), rates in basis points.

use serde::{Deserialize, Serialize};

mod commission;
mod money;
pub use commission::{commission, CommissionError, MAX_RATE_BP};
pub use money::{format_hundredths, parse_hundredths, MoneyError, Month};

code_enum!(
    /// The parts of an evaluation.
    Component {
        /// Tickets resolved, calls answered, chats, callbacks done and outbound calls.
        Workload = "workload",
        /// First responses and resolutions within their SLA deadline.
        Sla = "sla",
        /// Mean satisfaction (1–5) of the answers about the agent's tickets.
        Csat = "csat",
        /// Mean published QA score.
        Qa = "qa",
        /// Complaints against the agent, recorded by the manager.
        Complaints = "complaints",
        /// Rostered shifts attended.
        Attendance = "attendance",
    }
);

/// The weight of each component, in percent; they add up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub workload: u32,
    pub sla: u32,
    pub csat: u32,
    pub qa: u32,
    pub complaints: u32,
    pub attendance: u32,
}

impl Weights {
    pub fn get(&self, c: Component) -> u32 {
        match c {
            Component::Workload => self.workload,
            Component::Sla => self.sla,
            Component::Csat => self.csat,
            Component::Qa => self.qa,
            Component::Complaints => self.complaints,
            Component::Attendance => self.attendance,
        }
    }
}

/// The center's evaluation scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    pub weights: Weights,
    /// The total (0–100) at or above which an agent passes (考核达标).
    pub pass_line: u32,
    /// Points taken off the complaints score for each complaint against the agent.
    pub complaint_deduction: u32,
    /// The month's workload that scores 100; 0 means the month's best agent scores 100
    /// and the others in proportion.
    pub workload_target: u32,
}

impl Default for Scheme {
    /// A balanced scheme: quality (SLA, CSAT, QA) weighs most; passing at 80.
    fn default() -> Self {
        Scheme {
            weights: Weights {
                workload: 20,
                sla: 20,
                csat: 15,
                qa: 25,
                complaints: 10,
                attendance: 10,
            },
            pass_line: 80,
            complaint_deduction: 20,
            workload_target: 0,
        }
    }
}

/// Why a scheme or a rule was refused. `code()` names it for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    #[error("the weights must add up to 100, not {0}")]
    InvalidWeights(u32),
    #[error("the pass line is a score from 0 to 100, not {0}")]
    InvalidPassLine(u32),
    #[error("the deduction per complaint is 0 to 100 points, not {0}")]
    InvalidDeduction(u32),
    #[error("a rule needs a name of 1 to 100 characters")]
    InvalidRuleName,
    #[error("a rule's amount must be more than 0 and at most 1,000,000 yuan")]
    InvalidAmount,
    #[error("at most {MAX_RULES} rules")]
    TooManyRules,
}

impl SchemeError {
    pub fn code(&self) -> &'static str {
        match self {
            SchemeError::InvalidWeights(_) => "invalid_weights",
            SchemeError::InvalidPassLine(_) => "invalid_pass_line",
            SchemeError::InvalidDeduction(_) => "invalid_deduction",
            SchemeError::InvalidRuleName => "invalid_rule",
            SchemeError::InvalidAmount => "invalid_amount",
            SchemeError::TooManyRules => "invalid_rule",
        }
    }
}

impl Scheme {
    pub fn validate(&self) -> Result<(), SchemeError> {
        let sum: u32 = Component::ALL
            .iter()
            .map(|c| self.weights.get(*c).min(1000))
            .sum();
        if sum != 100 {
            return Err(SchemeError::InvalidWeights(sum));
        }
        if self.pass_line > 100 {
            return Err(SchemeError::InvalidPassLine(self.pass_line));
        }
        if self.complaint_deduction > 100 {
            return Err(SchemeError::InvalidDeduction(self.complaint_deduction));
        }
        Ok(())
    }
}

code_enum!(
    /// Whether a rule pays the agent or takes from them.
    RuleKind {
        Reward = "reward",
        Fine = "fine",
    }
);

code_enum!(
    /// When a rule applies, and how many times.
    RuleCondition {
        /// Once, when the total reaches the pass line (考核达标).
        Passed = "passed",
        /// Once, when the total stays below the pass line.
        Failed = "failed",
        /// For each complaint against the agent.
        PerComplaint = "per_complaint",
        /// For each rostered shift not attended.
        PerMissedShift = "per_missed_shift",
        /// For each violation recorded against the agent (违反一次).
        PerViolation = "per_violation",
    }
);

/// The most rules a center keeps.
pub const MAX_RULES: usize = 50;
/// The largest amount of a rule: one million yuan, in cents.
pub const MAX_RULE_CENTS: i64 = 100_000_000;

/// A reward or fine (奖罚) rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub kind: RuleKind,
    pub condition: RuleCondition,
    /// Per time the rule applies, in cents.
    pub amount_cents: i64,
}

impl Rule {
    pub fn validate(&self) -> Result<(), SchemeError> {
        let n = self.name.trim().chars().count();
        if n == 0 || n > 100 {
            return Err(SchemeError::InvalidRuleName);
        }
        if self.amount_cents <= 0 || self.amount_cents > MAX_RULE_CENTS {
            return Err(SchemeError::InvalidAmount);
        }
        Ok(())
    }
}

/// Checks a whole set of rules.
pub fn validate_rules(rules: &[Rule]) -> Result<(), SchemeError> {
    if rules.len() > MAX_RULES {
        return Err(SchemeError::TooManyRules);
    }
    rules.iter().try_for_each(Rule::validate)
}

/// The handbook's rules (document 8): 当月考核达标者奖励100元购物卡，违反者一次罚款10元.
pub fn handbook_rules() -> Vec<Rule> {
    vec![
        Rule {
            name: "考核达标奖励（购物卡）".into(),
            kind: RuleKind::Reward,
            condition: RuleCondition::Passed,
            amount_cents: 10_000,
        },
        Rule {
            name: "违规罚款".into(),
            kind: RuleKind::Fine,
            condition: RuleCondition::PerViolation,
            amount_cents: 1_000,
        },
    ]
}

/// A share and what it is a share of: `hits` of `n` (SLA), or a `sum` over `n` (CSAT in
/// points 1–5, QA in tenths of a point).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub part: i64,
    pub n: i64,
}

/// What an agent did in the month, before scoring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Tickets resolved + calls answered + chats + callbacks done + outbound calls.
    pub workload: i64,
    /// SLA deadlines met (`part`) of those that applied (`n`).
    pub sla: Ratio,
    /// Sum of CSAT answers (1–5) over the number of answers.
    pub csat: Ratio,
    /// Sum of QA totals in tenths of a point over the number of inspections.
    pub qa: Ratio,
    pub complaints: i64,
    pub violations: i64,
    /// Shifts attended (`part`) of the rostered shifts that count (`n`).
    pub shifts: Ratio,
}

/// One component of an agent's evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub component: Component,
    /// 0–100 in hundredths; `None` when there is no data (the weight went to the others).
    pub score: Option<i64>,
    /// The scheme's weight (percent).
    pub weight: u32,
    /// The weight that applied after sharing out the weights of components without data,
    /// in hundredths of a percent.
    pub effective_weight: i64,
    /// Points this component adds to the total, in hundredths.
    pub contribution: i64,
}

/// One rule that applied to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub name: String,
    pub kind: RuleKind,
    pub condition: RuleCondition,
    pub times: i64,
    pub amount_cents: i64,
}

/// An agent's evaluation for the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub agent_id: String,
    pub agent_name: String,
    pub figures: Figures,
    pub parts: Vec<Part>,
    /// 0–100 in hundredths.
    pub total: i64,
    pub passed: bool,
    /// 1 for the best; agents with equal totals share a rank (1, 2, 2, 4).
    pub rank: i64,
    pub applied: Vec<Applied>,
    pub reward_cents: i64,
    pub fine_cents: i64,
}

/// An agent to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub figures: Figures,
}

/// `num / den` rounded half up; `den` > 0.
fn div_round(num: i64, den: i64) -> i64 {
    (num * 2 + den).div_euclid(2 * den)
}

/// `num / den` in hundredths, rounded half up; `den` > 0.
fn hundredths(num: i64, den: i64) -> i64 {
    div_round(num * 100, den)
}

/// The component scores of one agent (hundredths, 0–100 points), `None` for no data.
/// `best_workload` is the month's highest workload among the evaluated agents.
pub fn scores(scheme: &Scheme, f: &Figures, best_workload: i64) -> [Option<i64>; 6] {
    let workload = if scheme.workload_target > 0 {
        Some(hundredths(f.workload * 100, i64::from(scheme.workload_target)).min(10_000))
    } else if best_workload > 0 {
        Some(hundredths(f.workload * 100, best_workload))
    } else {
        None
    };
    let ratio = |r: Ratio| (r.n > 0).then(|| hundredths(r.part * 100, r.n));
    // CSAT: 1 is 0 points, 5 is 100: (mean − 1) / 4 × 100 = (sum − n) × 25 / n.
    let csat = (f.csat.n > 0).then(|| hundredths((f.csat.part - f.csat.n) * 25, f.csat.n));
    // QA totals are in tenths of a point.
    let qa = (f.qa.n > 0).then(|| hundredths(f.qa.part, f.qa.n * 10));
    let complaints = (10_000 - f.complaints * i64::from(scheme.complaint_deduction) * 100).max(0);
    [
        workload,
        ratio(f.sla),
        csat.map(|s| s.clamp(0, 10_000)),
        qa.map(|s| s.clamp(0, 10_000)),
        Some(complaints),
        ratio(f.shifts),
    ]
}

/// The weighted parts and the total (hundredths). The weights of components without data
/// are shared among those with data in proportion to their weights; with no data at all
/// the total is 0.
pub fn weigh(scheme: &Scheme, scores: &[Option<i64>; 6]) -> (Vec<Part>, i64) {
    let present: i64 = Component::ALL
        .iter()
        .zip(scores)
        .filter(|(_, s)| s.is_some())
        .map(|(c, _)| i64::from(scheme.weights.get(*c)))
        .sum();
    let mut parts = Vec::with_capacity(6);
    // Total computed from the exact products, rounded once.
    let mut exact: i64 = 0; // score hundredths × weight
    for (c, s) in Component::ALL.iter().zip(scores) {
        let w = i64::from(scheme.weights.get(*c));
        let (effective, contribution) = match s {
            Some(s) if present > 0 => {
                exact += s * w;
                (hundredths(w * 100, present), div_round(s * w, present))
            }
            _ => (0, 0),
        };
        parts.push(Part {
            component: *c,
            score: *s,
            weight: w as u32,
            effective_weight: effective,
            contribution,
        });
    }
    let total = if present > 0 {
        hundredths(exact, present * 100)
    } else {
        0
    };
    (parts, total)
}

/// The rules that apply to an agent with these figures and total.
pub fn apply_rules(rules: &[Rule], passed: bool, f: &Figures) -> Vec<Applied> {
    rules
        .iter()
        .filter_map(|r| {
            let times = match r.condition {
                RuleCondition::Passed => i64::from(passed),
                RuleCondition::Failed => i64::from(!passed),
                RuleCondition::PerComplaint => f.complaints,
                RuleCondition::PerMissedShift => (f.shifts.n - f.shifts.part).max(0),
                RuleCondition::PerViolation => f.violations,
            };
            (times > 0).then(|| Applied {
                name: r.name.clone(),
                kind: r.kind,
                condition: r.condition,
                times,
                amount_cents: times * r.amount_cents,
            })
        })
        .collect()
}

/// The month's evaluation: every agent scored, weighed, ranked (highest total first;
/// equal totals share a rank and are listed by name, then id) and rewarded or fined.
pub fn evaluate(scheme: &Scheme, rules: &[Rule], agents: Vec<Agent>) -> Vec<Evaluation> {
    let best = agents.iter().map(|a| a.figures.workload).max().unwrap_or(0);
    let mut out: Vec<Evaluation> = agents
        .into_iter()
        .map(|a| {
            let s = scores(scheme, &a.figures, best);
            let (parts, total) = weigh(scheme, &s);
            let passed = total >= i64::from(scheme.pass_line) * 100;
            let applied = apply_rules(rules, passed, &a.figures);
            let sum = |k: RuleKind| {
                applied
                    .iter()
                    .filter(|x| x.kind == k)
                    .map(|x| x.amount_cents)
                    .sum()
            };
            Evaluation {
                reward_cents: sum(RuleKind::Reward),
                fine_cents: sum(RuleKind::Fine),
                agent_id: a.id,
                agent_name: a.name,
                figures: a.figures,
                parts,
                total,
                passed,
                rank: 0,
                applied,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| a.agent_name.cmp(&b.agent_name))
            .then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    let mut prev: Option<i64> = None;
    let mut rank = 0;
    for (i, e) in out.iter_mut().enumerate() {
        if prev != Some(e.total) {
            rank = i as i64 + 1;
            prev = Some(e.total);
        }
        e.rank = rank;
    }
    out
}

#[cfg(test)]
mod tests;
