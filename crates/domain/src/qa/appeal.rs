//! An inspection's life: the inspector drafts and publishes it, the inspected agent may
//! appeal once with a reason, and a shift lead decides the appeal (handbook document 12:
//! director, shift lead, quality inspector, agents).
//!
//! ```text
//! Draft ──publish (inspector)──▶ Published ──appeal (agent, once)──▶ Appealed
//!                                                                      │
//!                             accept (lead): Upheld ◀──────────────────┤
//!                             reject (lead): Rejected ◀────────────────┘
//! ```
//! Upheld (the appeal was accepted and the inspection rescored) and Rejected are final.

code_enum!(
    /// Where an inspection stands.
    InspectionState {
        Draft = "draft",
        Published = "published",
        Appealed = "appealed",
        /// The appeal was accepted: the inspection was rescored.
        Upheld = "upheld",
        /// The appeal was refused: the published score stands.
        Rejected = "rejected",
    }
);

impl InspectionState {
    /// No further action is possible.
    pub fn is_final(self) -> bool {
        matches!(self, InspectionState::Upheld | InspectionState::Rejected)
    }

    /// The agent sees the inspection (everything but a draft).
    pub fn visible_to_agent(self) -> bool {
        self != InspectionState::Draft
    }
}

/// The longest appeal reason, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// What someone does to an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Publish,
    Appeal {
        reason: String,
    },
    /// The lead accepts the appeal (the inspection is rescored).
    Accept,
    /// The lead refuses the appeal.
    Reject,
}

/// Who acts, relative to this inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actor {
    /// The inspection's inspector.
    pub is_inspector: bool,
    /// The inspected agent.
    pub is_agent: bool,
    /// A shift lead (班长) of the agent's team.
    pub is_lead: bool,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("only the inspector edits or publishes a draft")]
    NotInspector,
    #[error("only the inspected agent may appeal")]
    NotAgent,
    #[error("only a shift lead decides an appeal")]
    NotLead,
    #[error("a shift lead cannot decide an appeal on an inspection they are part of")]
    LeadInvolved,
    #[error("the inspection is not a draft")]
    NotDraft,
    #[error("only a published inspection can be appealed")]
    NotPublished,
    #[error("an inspection can be appealed only once")]
    AlreadyAppealed,
    #[error("the inspection has no open appeal")]
    NotAppealed,
    #[error("the appeal has been decided; the inspection is final")]
    Final,
    #[error("an appeal needs a reason")]
    ReasonRequired,
    #[error("the appeal reason is at most {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("an inspector cannot inspect their own work")]
    OwnWork,
}

impl FlowError {
    pub fn code(&self) -> &'static str {
        match self {
            FlowError::NotInspector => "qa.not_inspector",
            FlowError::NotAgent => "qa.not_inspected_agent",
            FlowError::NotLead => "qa.not_lead",
            FlowError::LeadInvolved => "qa.lead_involved",
            FlowError::NotDraft => "qa.not_draft",
            FlowError::NotPublished => "qa.not_published",
            FlowError::AlreadyAppealed => "qa.already_appealed",
            FlowError::NotAppealed => "qa.not_appealed",
            FlowError::Final => "qa.inspection_final",
            FlowError::ReasonRequired => "qa.appeal_reason_required",
            FlowError::ReasonTooLong => "qa.appeal_reason_too_long",
            FlowError::OwnWork => "qa.own_work",
        }
    }
}

/// The state after `action`, or why it is refused. `appealed_before` is true when the
/// inspection has an appeal on record (an agent appeals once). A lead who is the
/// inspection's inspector or agent cannot decide its appeal.
pub fn transition(
    state: InspectionState,
    appealed_before: bool,
    action: &Action,
    actor: Actor,
) -> Result<InspectionState, FlowError> {
    use InspectionState::*;
    if state.is_final() {
        return Err(FlowError::Final);
    }
    match action {
        Action::Publish => {
            may_edit(state, actor)?;
            Ok(Published)
        }
        Action::Appeal { reason } => {
            match state {
                Draft => return Err(FlowError::NotPublished),
                Appealed => return Err(FlowError::AlreadyAppealed),
                _ if appealed_before => return Err(FlowError::AlreadyAppealed),
                _ => {}
            }
            if !actor.is_agent {
                return Err(FlowError::NotAgent);
            }
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(FlowError::ReasonRequired);
            }
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(FlowError::ReasonTooLong);
            }
            Ok(Appealed)
        }
        Action::Accept | Action::Reject => {
            if state != Appealed {
                return Err(FlowError::NotAppealed);
            }
            if !actor.is_lead {
                return Err(FlowError::NotLead);
            }
            if actor.is_agent || actor.is_inspector {
                return Err(FlowError::LeadInvolved);
            }
            Ok(if *action == Action::Accept {
                Upheld
            } else {
                Rejected
            })
        }
    }
}

/// May `actor` change the scores and comments? Only the inspector, only on a draft.
pub fn may_edit(state: InspectionState, actor: Actor) -> Result<(), FlowError> {
    if state.is_final() {
        return Err(FlowError::Final);
    }
    if state != InspectionState::Draft {
        return Err(FlowError::NotDraft);
    }
    if !actor.is_inspector {
        return Err(FlowError::NotInspector);
    }
    Ok(())
}

/// An inspector never inspects their own work (ids compared after trimming).
pub fn may_inspect(inspector: &str, agent: &str) -> Result<(), FlowError> {
    if inspector.trim() == agent.trim() {
        return Err(FlowError::OwnWork);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use InspectionState::*;

    const INSPECTOR: Actor = Actor {
        is_inspector: true,
        is_agent: false,
        is_lead: false,
    };
    const AGENT: Actor = Actor {
        is_inspector: false,
        is_agent: true,
        is_lead: false,
    };
    const LEAD: Actor = Actor {
        is_inspector: false,
        is_agent: false,
        is_lead: true,
    };
    const NOBODY: Actor = Actor {
        is_inspector: false,
        is_agent: false,
        is_lead: false,
    };

    fn appeal(reason: &str) -> Action {
        Action::Appeal {
            reason: reason.into(),
        }
    }

    fn err(state: InspectionState, before: bool, action: &Action, actor: Actor) -> &'static str {
        transition(state, before, action, actor).unwrap_err().code()
    }

    #[test]
    fn the_whole_life_of_an_inspection() {
        let s = transition(Draft, false, &Action::Publish, INSPECTOR).unwrap();
        assert_eq!(s, Published);
        let s = transition(
            s,
            false,
            &appeal("通话中客户先辱骂，我的回应符合规范"),
            AGENT,
        )
        .unwrap();
        assert_eq!(s, Appealed);
        assert_eq!(transition(s, true, &Action::Accept, LEAD), Ok(Upheld));
        assert_eq!(transition(s, true, &Action::Reject, LEAD), Ok(Rejected));
    }

    #[test]
    fn only_the_inspector_publishes_a_draft() {
        for actor in [AGENT, LEAD, NOBODY] {
            assert_eq!(
                err(Draft, false, &Action::Publish, actor),
                "qa.not_inspector"
            );
        }
        assert_eq!(
            err(Published, false, &Action::Publish, INSPECTOR),
            "qa.not_draft"
        );
        assert_eq!(may_edit(Draft, INSPECTOR), Ok(()));
        assert_eq!(
            may_edit(Draft, LEAD).unwrap_err().code(),
            "qa.not_inspector"
        );
        assert_eq!(
            may_edit(Published, INSPECTOR).unwrap_err().code(),
            "qa.not_draft"
        );
        assert_eq!(
            may_edit(Upheld, INSPECTOR).unwrap_err().code(),
            "qa.inspection_final"
        );
    }

    #[test]
    fn only_the_agent_appeals_once_with_a_reason() {
        assert_eq!(
            err(Published, false, &appeal("理由"), INSPECTOR),
            "qa.not_inspected_agent"
        );
        assert_eq!(
            err(Published, false, &appeal("理由"), LEAD),
            "qa.not_inspected_agent"
        );
        assert_eq!(
            err(Draft, false, &appeal("理由"), AGENT),
            "qa.not_published"
        );
        assert_eq!(
            err(Appealed, true, &appeal("再申诉"), AGENT),
            "qa.already_appealed"
        );
        assert_eq!(
            err(Published, true, &appeal("再申诉"), AGENT),
            "qa.already_appealed"
        );
        assert_eq!(
            err(Published, false, &appeal("  \n "), AGENT),
            "qa.appeal_reason_required"
        );
        let long = "理".repeat(1001);
        assert_eq!(
            err(Published, false, &appeal(&long), AGENT),
            "qa.appeal_reason_too_long"
        );
        let edge = format!(" {} ", "理".repeat(1000));
        assert_eq!(
            transition(Published, false, &appeal(&edge), AGENT),
            Ok(Appealed)
        );
    }

    #[test]
    fn only_an_uninvolved_lead_decides() {
        for action in [Action::Accept, Action::Reject] {
            assert_eq!(err(Appealed, true, &action, AGENT), "qa.not_lead");
            assert_eq!(err(Appealed, true, &action, INSPECTOR), "qa.not_lead");
            let lead_inspector = Actor {
                is_inspector: true,
                ..LEAD
            };
            assert_eq!(
                err(Appealed, true, &action, lead_inspector),
                "qa.lead_involved"
            );
            let lead_agent = Actor {
                is_agent: true,
                ..LEAD
            };
            assert_eq!(err(Appealed, true, &action, lead_agent), "qa.lead_involved");
            assert_eq!(err(Published, false, &action, LEAD), "qa.not_appealed");
            assert_eq!(err(Draft, false, &action, LEAD), "qa.not_appealed");
        }
    }

    #[test]
    fn decided_inspections_are_final() {
        let all = [
            Action::Publish,
            appeal("理由"),
            Action::Accept,
            Action::Reject,
        ];
        for state in [Upheld, Rejected] {
            for action in &all {
                for actor in [INSPECTOR, AGENT, LEAD] {
                    assert_eq!(err(state, true, action, actor), "qa.inspection_final");
                }
            }
        }
        assert!(!Draft.visible_to_agent());
        assert!(Rejected.visible_to_agent());
    }

    #[test]
    fn an_inspector_never_inspects_their_own_work() {
        assert_eq!(may_inspect("u-7", "u-7").unwrap_err().code(), "qa.own_work");
        assert_eq!(
            may_inspect(" u-7", "u-7 ").unwrap_err().code(),
            "qa.own_work"
        );
        assert_eq!(may_inspect("u-7", "u-8"), Ok(()));
    }

    #[test]
    fn state_codes_round_trip() {
        for s in InspectionState::ALL {
            assert_eq!(InspectionState::from_code(s.code()), Some(*s));
        }
    }
}
