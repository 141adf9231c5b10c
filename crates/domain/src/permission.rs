//! Permissions follow positions (岗位): a position grants a set of permissions and a person
//! holds the union of the sets of all their positions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

macro_rules! permissions {
    ($($variant:ident = $code:literal),* $(,)?) => {
        /// One thing a person may do. The string code is what the API, the OpenAPI document
        /// and the database use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(Permission::$variant => $code,)* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

permissions! {
    CustomerRead = "customer.read",
    CustomerWrite = "customer.write",
    CustomerPiiRead = "customer.pii.read",
    CustomerImport = "customer.import",
    CustomerExport = "customer.export",
    OrgRead = "org.read",
    OrgManage = "org.manage",
    AuditRead = "audit.read",
    AuditExport = "audit.export",
    TicketRead = "ticket.read",
    TicketWrite = "ticket.write",
    TicketSupervise = "ticket.supervise",
    CallHandle = "call.handle",
    ServiceConfigure = "service.configure",
    KnowledgeRead = "knowledge.read",
    KnowledgeWrite = "knowledge.write",
    CustomerAssign = "customer.assign",
    // Close a complaint without a satisfied callback, with a written reason; serious
    // complaints are escalated to whoever holds it over the department (the manager).
    ComplaintCloseOverride = "complaint.close_override",
    // Callbacks (回访): see the queue and the tasks, record attempts, and keep the plans,
    // create tasks by hand and import lists.
    CallbackView = "callback.view",
    CallbackWork = "callback.work",
    CallbackManage = "callback.manage",
    // Satisfaction surveys: templates and the dissatisfied thresholds; sending links and
    // recording answers given on a callback; the results page.
    SurveyManage = "survey.manage",
    SurveySend = "survey.send",
    SurveyView = "survey.view",
    // Outbound campaigns (主动拨打): set up, start, pause and finish them …
    CampaignManage = "campaign.manage",
    // … and work one's daily calling list.
    CampaignCall = "campaign.call",
    // Web chat (在线客服): answer chats in the console (take, reply, transfer, convert to a
    // ticket) …
    ChatAnswer = "chat.answer",
    // … and keep the topics, the agents' capacity and skills, and read any transcript.
    ChatManage = "chat.manage",
    // … and read transcripts without answering chats (质检: quality inspectors).
    ChatInspect = "chat.inspect",
    // E-mail: keep the mailboxes (servers, secrets, signatures) …
    MailManage = "mail.manage",
    // … and decide about held messages and see the ones that could not be read.
    MailReview = "mail.review",
    // Quality inspection (质检): inspect the items one is given (score, comment, publish),
    // add items by hand, write the weekly summary …
    QaInspect = "qa.inspect",
    // … keep the scorecards, the sampling plan and the automatic-check rules, draw the
    // month's sample, and read every agent's evaluation sheet …
    QaManage = "qa.manage",
    // … and decide agents' appeals (班长).
    QaDecide = "qa.decide",
    // Shift operations (排班, 班长): shift templates, scheduling settings and agents' rules,
    // generating, editing and publishing rosters, deciding leave and swap requests, and the
    // on-duty roster. Everyone signed in sees the published schedule and asks for leave
    // and swaps.
    ScheduleManage = "schedule.manage",
    // Reports (报表): the center's numbers, dashboards and the live wallboard (班长, 经理).
    ReportView = "report.view",
    // Performance evaluation (绩效考核, 经理): the scheme's weights and pass line, the
    // rewards and fines rules, commission rates, recording complaints and violations
    // against agents and commissions, recomputing a kept month.
    PerformanceManage = "performance.manage",
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The permissions a person holds right now (the union over their positions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn all() -> Self {
        Self(Permission::ALL.iter().copied().collect())
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Parses stored codes, skipping codes this version no longer knows (a downgrade must
    /// not lock everybody out).
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Self {
        Self(
            codes
                .into_iter()
                .filter_map(Permission::from_code)
                .collect(),
        )
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<Permission> for PermissionSet {
    fn extend<I: IntoIterator<Item = Permission>>(&mut self, iter: I) {
        self.0.extend(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for p in Permission::ALL {
            assert_eq!(Permission::from_code(p.code()), Some(*p));
            assert!(seen.insert(p.code()), "duplicate code {}", p.code());
        }
        assert_eq!(Permission::from_code("nope"), None);
    }

    #[test]
    fn union_skips_unknown_codes() {
        let set = PermissionSet::from_codes(["customer.read", "gone.permission"]);
        assert!(set.contains(Permission::CustomerRead));
        assert!(!set.contains(Permission::AuditRead));
    }
}
