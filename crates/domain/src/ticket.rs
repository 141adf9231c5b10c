//! Work orders (工单): their vocabulary, numbering, status machine and the first-contact
//! ownership rule (首问负责制). The store and the pages build on these rules.

use crate::ids::UserId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

code_enum!(
    /// What the customer came for.
    TicketType {
        Consultation = "consultation",
        Inquiry = "inquiry",
        Complaint = "complaint",
        Suggestion = "suggestion",
        Repair = "repair",
        ReturnExchange = "return_exchange",
        Bug = "bug",
        Feature = "feature",
    }
);

code_enum!(
    /// How the contact reached the department.
    Channel {
        Phone = "phone",
        WebForm = "web_form",
        Chat = "chat",
        Email = "email",
        Sms = "sms",
        WalkIn = "walk_in",
        Api = "api",
    }
);

code_enum!(
    Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

code_enum!(
    /// Where a work order stands.
    TicketStatus {
        New = "new",
        Assigned = "assigned",
        InProgress = "in_progress",
        WaitingCustomer = "waiting_customer",
        WaitingDepartment = "waiting_department",
        Resolved = "resolved",
        Closed = "closed",
    }
);

/// A change of status someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Assign,
    Start,
    WaitForCustomer,
    WaitForDepartment,
    Resume,
    Resolve,
    Close,
    Reopen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from:?} work order cannot {action:?}")]
pub struct TransitionError {
    pub from: TicketStatus,
    pub action: StatusAction,
}

/// The status machine: new → assigned → in progress → waiting on customer / waiting on
/// department → resolved → closed, with reopen from resolved or closed.
pub fn transition(
    from: TicketStatus,
    action: StatusAction,
) -> Result<TicketStatus, TransitionError> {
    use StatusAction as A;
    use TicketStatus as S;
    let to = match (from, action) {
        (
            S::New | S::Assigned | S::InProgress | S::WaitingCustomer | S::WaitingDepartment,
            A::Assign,
        ) => S::Assigned,
        (
            S::New | S::Assigned | S::WaitingCustomer | S::WaitingDepartment,
            A::Start | A::Resume,
        ) => S::InProgress,
        (S::Assigned | S::InProgress | S::WaitingDepartment, A::WaitForCustomer) => {
            S::WaitingCustomer
        }
        (S::Assigned | S::InProgress | S::WaitingCustomer, A::WaitForDepartment) => {
            S::WaitingDepartment
        }
        (S::Assigned | S::InProgress | S::WaitingCustomer | S::WaitingDepartment, A::Resolve) => {
            S::Resolved
        }
        (S::Resolved, A::Close) => S::Closed,
        (S::Resolved | S::Closed, A::Reopen) => S::InProgress,
        _ => return Err(TransitionError { from, action }),
    };
    Ok(to)
}

impl TicketStatus {
    /// Open work orders count in queues and keep their promises running.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

/// A work order number: `GD` + local date + daily sequence, e.g. `GD20261128-0007`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    pub fn new(date: NaiveDate, sequence: u32) -> Self {
        Self(format!("GD{}-{sequence:04}", date.format("%Y%m%d")))
    }

    /// Accepts what people type: any case, surrounding spaces.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_uppercase();
        let rest = s.strip_prefix("GD")?;
        let (date, seq) = rest.split_once('-')?;
        NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
        (seq.len() >= 4 && seq.chars().all(|c| c.is_ascii_digit())).then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who answers for a work order. The first owner (首问负责人) is whoever took the first
/// contact and stays responsible until closure, whoever works on it meanwhile. A ticket
/// that arrived without an agent (web form, API) gets its first owner when someone first
/// takes it; from then on it never changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    first_owner: Option<UserId>,
    assignee: Option<UserId>,
}

impl Ownership {
    pub fn new(first_owner: UserId) -> Self {
        Ownership {
            assignee: Some(first_owner.clone()),
            first_owner: Some(first_owner),
        }
    }

    /// A ticket nobody has taken yet.
    pub fn unclaimed() -> Self {
        Ownership {
            first_owner: None,
            assignee: None,
        }
    }

    pub fn first_owner(&self) -> Option<&UserId> {
        self.first_owner.as_ref()
    }

    pub fn assignee(&self) -> Option<&UserId> {
        self.assignee.as_ref()
    }

    /// Hands the work to someone else (or to nobody, into a group queue). The first
    /// person ever to hold it becomes the first owner; after that it does not change.
    pub fn reassign(&self, to: Option<UserId>) -> Ownership {
        Ownership {
            first_owner: self.first_owner.clone().or_else(|| to.clone()),
            assignee: to,
        }
    }
}

/// Who is looking at a ticket: their departments (with every department below them) and
/// what their positions allow.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    pub user_id: &'a str,
    pub scope: &'a BTreeSet<String>,
    pub can_write: bool,
    pub can_supervise: bool,
}

/// How a viewer stands to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The ticket's own department (or above it), or its owner or assignee.
    Department,
    /// Another department the ticket was transferred to.
    Transferred,
    /// Cannot see it at all.
    Outsider,
}

/// The ticket facts the access rule needs.
#[derive(Debug, Clone, Copy)]
pub struct AccessFacts<'a> {
    pub department_id: &'a str,
    pub first_owner_id: Option<&'a str>,
    pub assignee_id: Option<&'a str>,
    /// Departments the ticket was ever transferred to.
    pub task_departments: &'a [&'a str],
}

pub fn standing(viewer: &Viewer<'_>, t: &AccessFacts<'_>) -> Standing {
    let me = Some(viewer.user_id);
    if viewer.scope.contains(t.department_id) || t.first_owner_id == me || t.assignee_id == me {
        Standing::Department
    } else if t.task_departments.iter().any(|d| viewer.scope.contains(*d)) {
        Standing::Transferred
    } else {
        Standing::Outsider
    }
}

/// Something done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    /// Internal note, or the answer to a task transferred to one's department.
    Note,
    /// Reply, status change, promise, transfer, escalation, link, edit.
    Work,
    /// Take an unassigned ticket, or one's own.
    Claim,
    /// Give the ticket to someone: the supervisor, or its current holder handing it on.
    Assign,
    /// Merge into another ticket (a supervisor's or the holder's decision).
    Merge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the ticket does not exist or is not visible to you")]
    NotVisible,
    #[error("your positions do not allow handling tickets")]
    ReadOnly,
    #[error("the ticket was transferred to your department: you may add notes and answer your department's task")]
    TransferredOnly,
    #[error("only a supervisor or the person holding the ticket may do this")]
    NotHolder,
    #[error("the ticket is already taken by someone else")]
    AlreadyTaken,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotVisible => "not_found",
            Refusal::ReadOnly => "read_only",
            Refusal::TransferredOnly => "transferred_only",
            Refusal::NotHolder => "not_ticket_holder",
            Refusal::AlreadyTaken => "already_taken",
        }
    }
}

/// May this viewer do this to that ticket?
pub fn permits(
    viewer: &Viewer<'_>,
    t: &AccessFacts<'_>,
    action: TicketAction,
) -> Result<(), Refusal> {
    let standing = standing(viewer, t);
    if standing == Standing::Outsider {
        return Err(Refusal::NotVisible);
    }
    if !viewer.can_write {
        return Err(Refusal::ReadOnly);
    }
    if standing == Standing::Transferred {
        return match action {
            TicketAction::Note => Ok(()),
            _ => Err(Refusal::TransferredOnly),
        };
    }
    let me = Some(viewer.user_id);
    let holder = t.assignee_id == me || t.first_owner_id == me;
    match action {
        TicketAction::Note | TicketAction::Work => Ok(()),
        TicketAction::Claim if t.assignee_id.is_none() || t.assignee_id == me => Ok(()),
        TicketAction::Claim if viewer.can_supervise => Ok(()),
        TicketAction::Claim => Err(Refusal::AlreadyTaken),
        TicketAction::Assign | TicketAction::Merge if viewer.can_supervise || holder => Ok(()),
        TicketAction::Assign | TicketAction::Merge => Err(Refusal::NotHolder),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_and_parse() {
        let n = TicketNumber::new(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), 7);
        assert_eq!(n.as_str(), "GD20261128-0007");
        assert_eq!(TicketNumber::parse(" gd20261128-0007 "), Some(n));
        assert_eq!(TicketNumber::parse("GD20261328-0007"), None);
        assert_eq!(TicketNumber::parse("GD20261128-07"), None);
        assert_eq!(
            TicketNumber::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 12345).as_str(),
            "GD20260101-12345"
        );
    }

    #[test]
    fn the_status_machine_follows_the_handbook() {
        use StatusAction as A;
        use TicketStatus as S;
        assert_eq!(transition(S::New, A::Assign), Ok(S::Assigned));
        assert_eq!(
            transition(S::InProgress, A::WaitForDepartment),
            Ok(S::WaitingDepartment)
        );
        assert_eq!(transition(S::Resolved, A::Close), Ok(S::Closed));
        assert_eq!(transition(S::Closed, A::Reopen), Ok(S::InProgress));
        assert!(
            transition(S::New, A::Close).is_err(),
            "closing needs a resolution first"
        );
        assert!(transition(S::Closed, A::Resolve).is_err());
        assert!(!S::Resolved.is_open() && S::WaitingCustomer.is_open());
    }

    #[test]
    fn other_departments_see_only_what_was_transferred_to_them() {
        let intake: BTreeSet<String> = ["intake".to_string()].into();
        let tech: BTreeSet<String> = ["tech".to_string()].into();
        let agent = Viewer {
            user_id: "a1",
            scope: &intake,
            can_write: true,
            can_supervise: false,
        };
        let engineer = Viewer {
            user_id: "t1",
            scope: &tech,
            can_write: true,
            can_supervise: false,
        };
        let mut t = AccessFacts {
            department_id: "intake",
            first_owner_id: Some("a2"),
            assignee_id: Some("a2"),
            task_departments: &[],
        };
        assert_eq!(
            permits(&engineer, &t, TicketAction::Note),
            Err(Refusal::NotVisible)
        );
        assert_eq!(permits(&agent, &t, TicketAction::Work), Ok(()));
        assert_eq!(
            permits(&agent, &t, TicketAction::Claim),
            Err(Refusal::AlreadyTaken)
        );
        assert_eq!(
            permits(&agent, &t, TicketAction::Assign),
            Err(Refusal::NotHolder)
        );
        t.task_departments = &["tech"];
        assert_eq!(permits(&engineer, &t, TicketAction::Note), Ok(()));
        assert_eq!(
            permits(&engineer, &t, TicketAction::Work),
            Err(Refusal::TransferredOnly)
        );
        let lead = Viewer {
            can_supervise: true,
            ..agent.clone()
        };
        assert_eq!(permits(&lead, &t, TicketAction::Assign), Ok(()));
        let reader = Viewer {
            can_write: false,
            ..agent
        };
        assert_eq!(
            permits(&reader, &t, TicketAction::Note),
            Err(Refusal::ReadOnly)
        );
    }

    #[test]
    fn an_unclaimed_ticket_gets_its_first_owner_when_first_taken() {
        let o = Ownership::unclaimed();
        assert_eq!(o.first_owner(), None);
        let o = o.reassign(Some(UserId("a".into())));
        let o = o.reassign(Some(UserId("b".into()))).reassign(None);
        assert_eq!(o.first_owner().map(UserId::as_str), Some("a"));
        assert_eq!(o.assignee(), None);
    }
}
