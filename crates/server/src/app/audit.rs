//! The audit log: browse and export. There is deliberately no way to change it.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::Permission;
use kefu_store::audit::{AuditFilter, AuditRow};
use kefu_store::Page;
use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_ids: Vec<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

pub fn view_of(r: AuditRow) -> AuditEntryView {
    AuditEntryView {
        seq: r.seq,
        at: super::rfc3339(r.at),
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        action: r.action,
        subject_type: r.subject_type,
        subject_ids: r
            .subject_ids
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        detail: r.detail,
        client_addr: r.client_addr,
    }
}

pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, AppError> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| AppError::invalid("invalid_cursor", "cursor is not valid"))
        })
        .transpose()
}

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    filter: &AuditFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<AuditRow>, AppError> {
    ctx.require(Permission::AuditRead)?;
    if let Some(action) = &filter.action {
        if AuditAction::from_code(action).is_none() {
            return Err(AppError::invalid(
                "unknown_action",
                format!("unknown audit action {action:?}"),
            ));
        }
    }
    Ok(state
        .db()
        .list_audit(filter, parse_cursor(cursor)?, limit)
        .await?)
}

/// One entry as a sheet row (the audit log's export).
pub fn line(r: AuditRow) -> Vec<String> {
    vec![
        r.seq.to_string(),
        super::rfc3339(r.at),
        r.actor_name,
        r.action,
        r.subject_type.unwrap_or_default(),
        r.subject_ids.unwrap_or_default(),
        r.detail.unwrap_or_default(),
        r.client_addr.unwrap_or_default(),
    ]
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub actor_id: Option<String>,
    /// An action code such as `customer.pii_reveal`.
    pub action: Option<String>,
    /// Entries about this record (e.g. a customer id).
    pub subject_id: Option<String>,
    /// From this date (YYYY-MM-DD, China time) or instant (RFC 3339).
    pub from: Option<String>,
    /// Until this date (inclusive) or instant (exclusive).
    pub to: Option<String>,
    /// Only views, reveals and exports of personal data.
    pub personal_data: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    pub format: Option<String>,
}

pub(crate) fn parse_bound(v: &str, end: bool) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            "invalid_date",
            format!("{v:?} is neither YYYY-MM-DD nor RFC 3339"),
        )
    })?;
    let date = if end {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let local = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(offset)
        .single();
    local
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid("invalid_date", v.to_string()))
}

impl AuditParams {
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Ok(AuditFilter {
            actor_id: clean(&self.actor_id),
            action: clean(&self.action),
            subject_id: clean(&self.subject_id),
            from: clean(&self.from)
                .map(|v| parse_bound(&v, false))
                .transpose()?,
            to: clean(&self.to).map(|v| parse_bound(&v, true)).transpose()?,
            personal_data_only: self.personal_data.unwrap_or(false),
        })
    }
}
