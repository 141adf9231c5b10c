//! The audit trail's vocabulary: what was done to whom. Entries are append-only.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($variant:ident = $code:literal),* $(,)?) => {
        /// What an audit entry records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(AuditAction::$variant => $code,)* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(AuditAction::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    LoginSucceeded = "auth.login",
    LoginFailed = "auth.login_failed",
    Logout = "auth.logout",
    TokenCreated = "auth.token_created",
    TokenRevoked = "auth.token_revoked",
    CustomerViewed = "customer.view",
    CustomerListed = "customer.list",
    CustomerPiiRevealed = "customer.pii_reveal",
    CustomerCreated = "customer.create",
    CustomerUpdated = "customer.update",
    CustomersImported = "customer.import",
    CustomersExported = "customer.export",
    DepartmentCreated = "org.department_create",
    DepartmentUpdated = "org.department_update",
    DepartmentDeleted = "org.department_delete",
    PositionCreated = "org.position_create",
    PositionUpdated = "org.position_update",
    PositionDeleted = "org.position_delete",
    StaffCreated = "org.staff_create",
    StaffUpdated = "org.staff_update",
    PositionAssigned = "org.position_assign",
    PositionUnassigned = "org.position_unassign",
    OrgTemplateLoaded = "org.template_load",
    AuditExported = "audit.export",
    ListExported = "export.list",
    TierSaved = "settings.tier_save",
    TicketCreated = "ticket.create",
    TicketChanged = "ticket.change",
    TicketPiiRevealed = "ticket.pii_reveal",
    CalendarSaved = "settings.calendar_save",
    CalendarDaySaved = "settings.calendar_day_save",
    CalendarDayDeleted = "settings.calendar_day_delete",
    CalendarYearImported = "settings.calendar_year_import",
    SlaPolicyCreated = "settings.sla_policy_create",
    SlaPolicyUpdated = "settings.sla_policy_update",
    SlaPolicyDeleted = "settings.sla_policy_delete",
    CallViewed = "call.view",
    CallIdentityChecked = "call.identity_check",
    CallTicketAttached = "call.ticket_attach",
    CallRecordingDownloaded = "call.recording_download",
    IvrMenuSaved = "settings.ivr_save",
    WorkLogSaved = "log.work_save",
    DutyLogSaved = "log.duty_save",
    DutyTaskCompleted = "duty.complete",
    ArticleCreated = "knowledge.article_create",
    ArticleUpdated = "knowledge.article_update",
    ArticlePublished = "knowledge.article_publish",
    ArticleRestored = "knowledge.article_restore",
    ArticleArchived = "knowledge.article_archive",
    ArticleAttachmentAdded = "knowledge.attachment_add",
    KnowledgeCategoryCreated = "knowledge.category_create",
    KnowledgeCategoryUpdated = "knowledge.category_update",
    KnowledgeCategoryDeleted = "knowledge.category_delete",
    CustomersAssigned = "customer.assign",
    CustomerContacted = "customer.contact",
    SkillWeightSet = "org.skill_weight_set",
    AssignmentSettingsSaved = "settings.assignment_save",
    ComplaintRegistered = "complaint.register",
    ComplaintChanged = "complaint.change",
    ComplaintAddressRevealed = "complaint.pii_reveal",
    ComplaintCauseCreated = "complaint.cause_create",
    ComplaintCauseUpdated = "complaint.cause_update",
    ComplaintCauseDeleted = "complaint.cause_delete",
    CallbackCreated = "callback.create",
    CallbackAttempted = "callback.attempt",
    CallbackChanged = "callback.change",
    CallbackViewed = "callback.view",
    CallbackPlanSaved = "settings.callback_plan_save",
    CallbacksImported = "callback.import",
    SurveyTemplateSaved = "survey.template_save",
    SurveySettingsSaved = "survey.settings_save",
    SurveySent = "survey.send",
    SurveyAnswered = "survey.answer",
    CampaignCreated = "campaign.create",
    CampaignUpdated = "campaign.update",
    CampaignStatusChanged = "campaign.status",
    CampaignTargetsAdded = "campaign.targets_add",
    CampaignCalled = "campaign.call",
    CustomerDoNotCallSet = "customer.do_not_call",
    ChatTopicSaved = "settings.chat_topic_save",
    ChatAgentSaved = "chat.agent_save",
    ChatTransferred = "chat.transfer",
    ChatClosed = "chat.close",
    ChatConverted = "chat.convert",
    ChatCustomerLinked = "chat.customer_link",
    ChatTranscriptViewed = "chat.transcript_view",
    ChatScriptSaved = "settings.chat_script_save",
    ChatScriptDeleted = "settings.chat_script_delete",
    MailboxChanged = "mail.mailbox_change",
    MailReviewed = "mail.review",
    MailOutboxDiscarded = "mail.outbox_discard",
    MailRemoteImagesShown = "mail.remote_images",
    QaSettingsSaved = "settings.qa_save",
    QaScorecardSaved = "settings.qa_scorecard_save",
    QaSampled = "qa.sample",
    QaInspectionAdded = "qa.add",
    QaInspectionPublished = "qa.publish",
    QaAppealed = "qa.appeal",
    QaAppealDecided = "qa.decide",
    QaSummarySaved = "qa.summary_save",
    ScheduleSettingsSaved = "settings.schedule_save",
    ShiftTemplateSaved = "settings.shift_template_save",
    ScheduleAgentSaved = "schedule.agent_save",
    RosterGenerated = "schedule.generate",
    RosterEdited = "schedule.edit",
    RosterPublished = "schedule.publish",
    RosterDeleted = "schedule.delete",
    LeaveRequested = "schedule.leave_request",
    LeaveDecided = "schedule.leave_decide",
    LeaveCancelled = "schedule.leave_cancel",
    SwapRequested = "schedule.swap_request",
    SwapStepped = "schedule.swap_step",
    DutySaved = "schedule.duty_save",
    DutyDeleted = "schedule.duty_delete",
    PerformanceSchemeSaved = "performance.scheme_save",
    PerformanceRulesSaved = "performance.rules_save",
    CommissionRatesSaved = "performance.rates_save",
    CommissionRecorded = "performance.commission",
    PerformanceIncidentRecorded = "performance.incident",
    PerformanceIncidentWithdrawn = "performance.incident_withdraw",
    CommissionWithdrawn = "performance.commission_withdraw",
    PerformanceKept = "performance.keep",
    PerformanceRecomputed = "performance.recompute",
}

/// Whether the action touched personal data (PII); the audit page can filter on it.
impl AuditAction {
    pub fn is_personal_data_access(self) -> bool {
        matches!(
            self,
            AuditAction::CustomerViewed
                | AuditAction::CustomerPiiRevealed
                | AuditAction::CustomersExported
                | AuditAction::ListExported
                | AuditAction::CustomerListed
                | AuditAction::CallViewed
                | AuditAction::CallRecordingDownloaded
                | AuditAction::ComplaintAddressRevealed
                | AuditAction::CallbackViewed
                | AuditAction::ChatTranscriptViewed
        )
    }
}
