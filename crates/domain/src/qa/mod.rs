//! Quality inspection (质检, issue 7; handbook documents 3 and 12): the inspector listens
//! to each agent 1–5 times a month, scores the handbook's five criteria on the evaluation
//! sheet (服务质量综合考评表), and sums up weekly and monthly.
//!
//! * [`scorecard`]: criteria, weights, critical items and the score arithmetic.
//! * [`sampling`]: the seeded, explained monthly sample of each agent's items.
//! * [`checks`]: automatic checks that run on every text conversation.
//! * [`appeal`]: an inspection's states and the agent's one appeal.
//! * [`sheet`]: the monthly evaluation sheet's averages and trends.
//!
//! Everything here is pure: callers load the items and pass them in.

pub mod appeal;
pub mod checks;
pub mod sampling;
pub mod scorecard;
pub mod sheet;

pub use appeal::{may_edit, may_inspect, transition, Action, Actor, FlowError, InspectionState};
pub use checks::{CheckRule, Checker, Finding, Message, Party, Rules, RulesError};
pub use sampling::{sample, Candidate, Choice, Plan, PlanError, Reason, Sample, Weights};
pub use scorecard::{
    score, Answer, Criterion, CriterionScore, ScoreError, ScoreResult, Scorecard, ScorecardError,
};
pub use sheet::{sheet, CriterionSheet, Sheet, SheetInput, Trend};

code_enum!(
    /// What an inspection looks at: a call (its recording), a chat, an e-mail thread or a
    /// work order.
    ItemKind {
        Call = "call",
        Chat = "chat",
        Email = "email",
        Ticket = "ticket",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_kind_codes_round_trip() {
        for kind in ItemKind::ALL {
            assert_eq!(ItemKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(ItemKind::from_code("fax"), None);
        assert_eq!(
            serde_json::to_string(&ItemKind::Email).unwrap(),
            "\"email\""
        );
    }
}
