//! Work orders (工单): their vocabulary, numbering, status machine and the first-contact
//! ownership rule (首问负责制). The store and the pages build on these rules.

use crate::ids::UserId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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
/// contact and stays responsible until closure, whoever works on it meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    first_owner: UserId,
    assignee: Option<UserId>,
}

impl Ownership {
    pub fn new(first_owner: UserId) -> Self {
        Ownership {
            assignee: Some(first_owner.clone()),
            first_owner,
        }
    }

    pub fn first_owner(&self) -> &UserId {
        &self.first_owner
    }

    pub fn assignee(&self) -> Option<&UserId> {
        self.assignee.as_ref()
    }

    /// Hands the work to someone else (or to nobody, into a group queue); the first
    /// owner does not change.
    pub fn reassign(&self, to: Option<UserId>) -> Ownership {
        Ownership {
            first_owner: self.first_owner.clone(),
            assignee: to,
        }
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
}
