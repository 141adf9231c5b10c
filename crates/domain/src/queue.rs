//! Work queues (mine, my group, unassigned, overdue, due today, waiting on a department,
//! transferred to my department) and the counters behind their badges.
//!
//! A queue count must stay instant however many tickets pile up, so no page counts rows.
//! Instead every ticket belongs to a small set of counter keys, derived here from its
//! facts; a write computes the set before and after the change and the store applies
//! the difference in the same transaction. The sum over all tickets of their key sets
//! is, by construction, what the counters hold.

use crate::ticket::TicketStatus;
use chrono::NaiveDate;
use std::collections::BTreeSet;

code_enum!(
    /// The queues of the agent workspace.
    Queue {
        Mine = "mine",
        Group = "group",
        Unassigned = "unassigned",
        Overdue = "overdue",
        DueToday = "due_today",
        WaitingDepartment = "waiting_department",
        Transferred = "transferred",
    }
);

/// What decides which queues a ticket is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFacts {
    pub status: TicketStatus,
    pub department_id: String,
    pub assignee_id: Option<String>,
    pub first_owner_id: Option<String>,
    pub overdue: bool,
    /// The local day the current promise falls due on.
    pub promise_due_day: Option<NaiveDate>,
    /// Departments with an open task on the ticket (it was transferred to them).
    pub task_departments: BTreeSet<String>,
}

/// The counter key of a queue for one person (`Mine`) or one department (the others);
/// `DueToday` also names the day.
pub fn counter_key(queue: Queue, subject: &str, day: Option<NaiveDate>) -> String {
    match (queue, day) {
        (Queue::DueToday, Some(day)) => format!("due_today:{}:{subject}", day.format("%Y-%m-%d")),
        _ => format!("{}:{subject}", queue.code()),
    }
}

/// Every counter the ticket adds one to.
pub fn counter_keys(f: &QueueFacts) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if !f.status.is_open() {
        return keys;
    }
    let dept = f.department_id.as_str();
    for user in [&f.assignee_id, &f.first_owner_id].into_iter().flatten() {
        keys.insert(counter_key(Queue::Mine, user, None));
    }
    keys.insert(counter_key(Queue::Group, dept, None));
    if f.assignee_id.is_none() {
        keys.insert(counter_key(Queue::Unassigned, dept, None));
    }
    if f.overdue {
        keys.insert(counter_key(Queue::Overdue, dept, None));
    }
    if let Some(day) = f.promise_due_day {
        keys.insert(counter_key(Queue::DueToday, dept, Some(day)));
    }
    if f.status == TicketStatus::WaitingDepartment {
        keys.insert(counter_key(Queue::WaitingDepartment, dept, None));
    }
    for d in &f.task_departments {
        keys.insert(counter_key(Queue::Transferred, d, None));
    }
    keys
}

/// The changes to apply to the counters when a ticket goes from `before` (absent for a
/// new ticket) to `after`.
pub fn counter_deltas(before: Option<&QueueFacts>, after: &QueueFacts) -> Vec<(String, i64)> {
    let old = before.map(counter_keys).unwrap_or_default();
    let new = counter_keys(after);
    old.difference(&new)
        .map(|k| (k.clone(), -1))
        .chain(new.difference(&old).map(|k| (k.clone(), 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> QueueFacts {
        QueueFacts {
            status: TicketStatus::New,
            department_id: "intake".into(),
            assignee_id: None,
            first_owner_id: None,
            overdue: false,
            promise_due_day: NaiveDate::from_ymd_opt(2026, 11, 30),
            task_departments: BTreeSet::new(),
        }
    }

    #[test]
    fn a_new_unclaimed_ticket_waits_in_its_group() {
        let keys = counter_keys(&facts());
        assert_eq!(
            keys.into_iter().collect::<Vec<_>>(),
            vec![
                "due_today:2026-11-30:intake".to_string(),
                "group:intake".into(),
                "unassigned:intake".into()
            ]
        );
    }

    #[test]
    fn claiming_moves_it_from_unassigned_to_mine() {
        let before = facts();
        let after = QueueFacts {
            status: TicketStatus::Assigned,
            assignee_id: Some("u1".into()),
            first_owner_id: Some("u1".into()),
            ..before.clone()
        };
        let mut d = counter_deltas(Some(&before), &after);
        d.sort();
        assert_eq!(
            d,
            vec![("mine:u1".to_string(), 1), ("unassigned:intake".into(), -1)]
        );
    }

    #[test]
    fn closed_tickets_leave_every_queue() {
        let mut f = facts();
        f.task_departments.insert("tech".into());
        f.overdue = true;
        let closed = QueueFacts {
            status: TicketStatus::Closed,
            ..f.clone()
        };
        assert!(counter_keys(&closed).is_empty());
        assert_eq!(
            counter_deltas(Some(&f), &closed)
                .iter()
                .map(|(_, n)| n)
                .sum::<i64>(),
            -(counter_keys(&f).len() as i64)
        );
    }
}
