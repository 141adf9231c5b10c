//! One error type for the whole server, rendered as `{"error":{"code","message"}}` by the
//! API and as an error page by the UI. Codes are stable; clients may match on them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_domain::Permission;
use kefu_store::customers::CustomerWriteError;
use kefu_store::org::OrgError;
use kefu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("permission {0} required")]
    Forbidden(Permission),
    #[error("CSRF token missing or wrong; reload the page and try again")]
    Csrf,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// Input refused because of one field, which the error body names (`field`).
    #[error("{field}: {message}")]
    InvalidField {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Signed in and allowed in general, but not to do this to this record.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("too many failed log-ins; try again after {retry_after_secs} s")]
    Locked { retry_after_secs: i64 },
    /// Too many requests from one client address (the public pages); retry later.
    #[error("too many requests; try again after {retry_after_secs} s")]
    RateLimited { retry_after_secs: i64 },
    #[error("the upload is larger than {limit_mb} MB")]
    TooLarge { limit_mb: u64 },
    /// A request body over a limit too small to name in MB.
    #[error("{message}")]
    TooLargeBody { message: String },
    /// A request authenticated by something other than a log-in (a webhook signature)
    /// that did not prove itself.
    #[error("{message}")]
    BadCredentials { code: &'static str, message: String },
    /// A record the caller names by its own id that kefu does not have.
    #[error("{message}")]
    Unknown { code: &'static str, message: String },
    #[error("{message}")]
    UnsupportedMedia { code: &'static str, message: String },
    /// A feature that is switched off by configuration.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A store error with its "not found" naming what was missing (`.map_err(
    /// AppError::store_missing("commission"))`); any other store error as usual.
    pub fn store_missing(what: &'static str) -> impl Fn(StoreError) -> AppError {
        move |e| match e {
            StoreError::NotFound => AppError::NotFound(what),
            e => e.into(),
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Seconds a client should wait before trying again (sent as `Retry-After`).
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            AppError::Locked { retry_after_secs } | AppError::RateLimited { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Forbidden(_) | AppError::Csrf | AppError::Refused { .. } => {
                StatusCode::FORBIDDEN
            }
            AppError::Unauthenticated | AppError::BadCredentials { .. } => StatusCode::UNAUTHORIZED,
            AppError::Unknown { .. } => StatusCode::NOT_FOUND,
            AppError::UnsupportedMedia { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } | AppError::InvalidField { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Locked { .. } | AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge { .. } | AppError::TooLargeBody { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code (see the README's error table).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf_failed",
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { code, .. }
            | AppError::InvalidField { code, .. }
            | AppError::BadRequest { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Refused { code, .. } => code,
            AppError::BadCredentials { code, .. }
            | AppError::Unknown { code, .. }
            | AppError::UnsupportedMedia { code, .. }
            | AppError::Unavailable { code, .. } => code,
            AppError::Locked { .. } => "account_locked",
            AppError::TooLarge { .. } | AppError::TooLargeBody { .. } => "payload_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %format!("{e:#}"), "internal error");
        }
        let mut error = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        if let AppError::InvalidField { field, .. } = &self {
            error["field"] = serde_json::Value::from(*field);
        }
        let body = serde_json::json!({ "error": error });
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(retry_after_secs) = self.retry_after_secs() {
            if let Ok(v) = retry_after_secs.max(1).to_string().parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict { constraint } => AppError::conflict(
                "conflict",
                format!("conflicts with an existing record ({constraint})"),
            ),
            StoreError::Refused(m) => AppError::invalid("refused", m),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<CustomerWriteError> for AppError {
    fn from(e: CustomerWriteError) -> Self {
        match e {
            CustomerWriteError::Store(s) => s.into(),
            e @ CustomerWriteError::DuplicatePhone { .. } => {
                AppError::conflict("duplicate_phone", e.to_string())
            }
            e @ CustomerWriteError::UnknownTier(_) => {
                AppError::invalid("unknown_tier", e.to_string())
            }
            e @ CustomerWriteError::UnknownOwner(_) => {
                AppError::invalid("unknown_owner", e.to_string())
            }
        }
    }
}

impl From<OrgError> for AppError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::Store(s) => s.into(),
            OrgError::Assignment(v) if v.is_conflict() => {
                AppError::conflict(v.code(), v.to_string())
            }
            OrgError::Assignment(v) => AppError::invalid(v.code(), v.to_string()),
            e @ OrgError::DepartmentCycle => AppError::invalid("department_cycle", e.to_string()),
            e @ OrgError::DepartmentNotEmpty => {
                AppError::conflict("department_not_empty", e.to_string())
            }
            e @ OrgError::PositionHeld(_) => AppError::conflict("position_held", e.to_string()),
            e @ OrgError::Unknown(_) => AppError::invalid("unknown_reference", e.to_string()),
            e @ OrgError::TemplateConflict(_) => {
                AppError::conflict("template_conflict", e.to_string())
            }
        }
    }
}

impl From<kefu_domain::assignment::AssignError> for AppError {
    fn from(e: kefu_domain::assignment::AssignError) -> Self {
        use kefu_domain::assignment::AssignError as E;
        let message = e.to_string();
        match e {
            E::NoAgents => AppError::invalid_field("no_agents", "agent_ids", message),
            E::BadWeight { .. } => AppError::invalid_field("invalid_weight", "weight", message),
            E::DuplicateAgent(_) => {
                AppError::invalid_field("duplicate_agent", "agent_ids", message)
            }
            E::NothingToAssign => AppError::invalid("nothing_to_assign", message),
        }
    }
}

impl From<kefu_store::assignment::AssignmentError> for AppError {
    fn from(e: kefu_store::assignment::AssignmentError) -> Self {
        use kefu_store::assignment::AssignmentError as E;
        let message = e.to_string();
        match e {
            E::Store(s) => s.into(),
            E::Plan(p) => p.into(),
            E::UnknownAgent(_) => AppError::invalid_field("unknown_agent", "agent_ids", message),
            E::InactiveAgent(_) => AppError::invalid_field("inactive_agent", "agent_ids", message),
            E::LeavingAgentChosen(_) => {
                AppError::invalid_field("leaving_agent_chosen", "agent_ids", message)
            }
        }
    }
}

impl From<kefu_domain::customer::CustomerError> for AppError {
    fn from(e: kefu_domain::customer::CustomerError) -> Self {
        AppError::invalid("invalid_customer", e.to_string())
    }
}

impl From<kefu_store::tickets::TicketChangeError> for AppError {
    fn from(e: kefu_store::tickets::TicketChangeError) -> Self {
        use kefu_store::tickets::TicketChangeError as E;
        let message = e.to_string();
        match e {
            E::Store(s) => s.into(),
            E::Transition(_) => AppError::conflict("invalid_transition", message),
            E::Closed => AppError::conflict("ticket_closed", message),
            E::OverdueNoticeRequired => AppError::conflict("overdue_notice_required", message),
            E::NotOverdue => AppError::conflict("not_overdue", message),
            E::TaskOpen => AppError::conflict("task_open", message),
            E::PromiseInPast => AppError::invalid("promise_in_past", message),
            E::UnknownAssignee(_) => AppError::invalid("unknown_assignee", message),
            E::NotSupervisor(_) => AppError::invalid("not_supervisor", message),
            E::UnknownDepartment(_) => AppError::invalid("unknown_department", message),
            E::UnknownTask(_) => AppError::invalid("unknown_task", message),
            E::SameTicket => AppError::invalid("same_ticket", message),
            E::UnknownOther => AppError::invalid("unknown_ticket", message),
            E::ComplaintNotSatisfied => AppError::invalid("complaint_not_satisfied", message),
        }
    }
}

impl AppError {
    pub fn invalid_field(
        code: &'static str,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        AppError::InvalidField {
            code,
            field,
            message: message.into(),
        }
    }
}

impl From<kefu_domain::knowledge::FieldError> for AppError {
    fn from(e: kefu_domain::knowledge::FieldError) -> Self {
        let code = match e.field {
            "title" => "invalid_title",
            "body" => "invalid_body",
            "tags" => "invalid_tags",
            "name" => "invalid_name",
            _ => "invalid_field",
        };
        AppError::invalid_field(code, e.field, e.message)
    }
}

impl From<kefu_store::knowledge::KnowledgeError> for AppError {
    fn from(e: kefu_store::knowledge::KnowledgeError) -> Self {
        use kefu_store::knowledge::KnowledgeError as E;
        let message = e.to_string();
        match e {
            E::Store(StoreError::NotFound) => AppError::NotFound("article"),
            E::Store(StoreError::Conflict { .. }) => AppError::conflict(
                "duplicate_category",
                "a category with this name already exists at this place",
            ),
            E::Store(s) => s.into(),
            E::Stale { .. } => AppError::conflict("stale_version", message),
            E::UnknownCategory(_) => {
                AppError::invalid_field("unknown_category", "category_id", message)
            }
            E::UnknownVersion(_) => AppError::NotFound("version"),
            E::AlreadyInState("published") => AppError::conflict("already_published", message),
            E::AlreadyInState(_) => AppError::conflict("already_archived", message),
            E::CategoryNotEmpty => AppError::conflict("category_not_empty", message),
            E::CategoryCycle => AppError::invalid_field("category_cycle", "parent_id", message),
        }
    }
}

impl From<kefu_domain::complaint::FieldError> for AppError {
    fn from(e: kefu_domain::complaint::FieldError) -> Self {
        let code = match (e.field, e.code) {
            (_, "invalid_phone") => "invalid_phone",
            (_, "invalid_severity") => "invalid_severity",
            ("complainant", _) => "invalid_complainant",
            ("company", _) => "invalid_company",
            ("address", _) => "invalid_address",
            ("phone", _) => "invalid_phone",
            ("cause", _) => "invalid_cause",
            ("desired_outcome", _) => "invalid_desired_outcome",
            ("severity", _) => "invalid_severity",
            ("restatement", _) => "invalid_restatement",
            ("analysis", _) => "invalid_analysis",
            ("corrective_action", _) => "invalid_corrective_action",
            ("notes", _) => "invalid_notes",
            ("name", _) => "invalid_name",
            _ => "invalid_field",
        };
        AppError::invalid_field(code, e.field, e.message)
    }
}

impl From<kefu_store::complaints::ComplaintError> for AppError {
    fn from(e: kefu_store::complaints::ComplaintError) -> Self {
        use kefu_domain::complaint::Refusal;
        use kefu_store::complaints::ComplaintError as E;
        let message = e.to_string();
        match e {
            E::Store(StoreError::NotFound) => AppError::NotFound("complaint"),
            E::Store(StoreError::Conflict { .. }) => AppError::conflict(
                "duplicate_cause",
                "a category with this name already exists at this place",
            ),
            E::Store(s) => s.into(),
            E::Ticket(t) => t.into(),
            E::Refused(r @ Refusal::ReasonRequired) => {
                AppError::invalid_field(r.code(), "reason", message)
            }
            E::Refused(r @ Refusal::CauseRequired) => {
                AppError::invalid_field(r.code(), "cause_id", message)
            }
            E::Refused(r) if r.is_invalid_input() => AppError::invalid(r.code(), message),
            E::Refused(r) => AppError::conflict(r.code(), message),
            E::Tree(t) => AppError::invalid_field(t.code(), "parent_id", message),
            E::UnknownCause(_) => AppError::invalid_field("unknown_cause", "cause_id", message),
            E::UnknownDepartment(_) => {
                AppError::invalid_field("unknown_department", "department_id", message)
            }
            E::CauseInUse => AppError::conflict("cause_in_use", message),
        }
    }
}

impl From<kefu_store::callbacks::CallbackError> for AppError {
    fn from(e: kefu_store::callbacks::CallbackError) -> Self {
        use kefu_domain::callback::Refusal;
        use kefu_store::callbacks::CallbackError as E;
        let message = e.to_string();
        match e {
            E::Store(StoreError::NotFound) => AppError::NotFound("callback"),
            E::Store(s) => s.into(),
            E::Refused(Refusal::NotOpen) => AppError::conflict("callback_closed", message),
            E::Refused(Refusal::LaterInThePast) => {
                AppError::invalid_field("later_in_the_past", "later_at", message)
            }
            E::Refused(Refusal::OutcomeNotRecordable) => {
                AppError::invalid_field("invalid_outcome", "outcome", message)
            }
            E::Field(f) => AppError::invalid_field("invalid_field", f.field, message),
            E::Complaint(r) => AppError::conflict(r.code(), message),
            E::Ticket(t) => t.into(),
            E::ComplaintOutcome => AppError::invalid_field("invalid_outcome", "outcome", message),
        }
    }
}
