//! Complaints (投诉闭环): the registration form on its ticket, the handling rounds and
//! their callbacks (in [`flow`]), the root-cause tree (in [`causes`]), the archive and the
//! monthly statistics. Every change is one transaction with its timeline event and audit
//! entry; the ticket moves through the ordinary ticket change path in that transaction.

use crate::tickets::{bind_list, TicketChangeError};
use crate::{like_escape, Db, Page, Sql, StoreError};
use kefu_domain::complaint::{CallbackOutcome, CauseTreeError, Refusal, RoundFacts, Stage};

mod causes;
mod flow;

pub use causes::{CauseInput, CauseRow};
pub(crate) use flow::{close_allowed_in, complaint_callback_in, reopened_in};
pub use flow::{Callback, Handling, NewComplaint, Registered};

#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ticket(#[from] TicketChangeError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Tree(#[from] CauseTreeError),
    #[error("unknown or inactive root-cause category {0}")]
    UnknownCause(String),
    #[error("unknown department {0}")]
    UnknownDepartment(String),
    #[error("the category has complaints or subcategories; deactivate it instead")]
    CauseInUse,
}

impl From<sqlx::Error> for ComplaintError {
    fn from(e: sqlx::Error) -> Self {
        ComplaintError::Store(e.into())
    }
}

/// A complaint with its ticket's facts. `phone` is the ticket's contact phone in the
/// clear: the server masks it (and the address) before anything leaves it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintRow {
    pub ticket_id: String,
    pub number: String,
    pub subject: String,
    pub ticket_status: String,
    pub department_of_ticket: String,
    pub first_owner_id: Option<String>,
    pub assignee_id: Option<String>,
    pub complainant: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub cause: String,
    pub desired_outcome: String,
    pub severity: String,
    pub recorder_id: String,
    pub recorder_name: Option<String>,
    pub restatement: Option<String>,
    pub restatement_confirmed_at: Option<i64>,
    pub restatement_confirmed_by_name: Option<String>,
    pub cause_id: Option<String>,
    pub cause_name: Option<String>,
    pub cause_parent_name: Option<String>,
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub stage: String,
    pub round: i64,
    pub escalated_to_id: Option<String>,
    pub escalated_to_name: Option<String>,
    pub close_reason: Option<String>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ComplaintRow {
    pub fn stage(&self) -> Stage {
        Stage::from_code(&self.stage).unwrap_or(Stage::Handling)
    }
}

/// One round of handling and the callback that ended it (if it has).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundRow {
    /// What a callback record of the general callback module points at.
    pub id: String,
    pub round: i64,
    /// registered, dissatisfied or reopened
    pub opened_because: String,
    pub opened_at: i64,
    pub opened_by_name: Option<String>,
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub analysis: Option<String>,
    pub corrective_action: Option<String>,
    pub handled_at: Option<i64>,
    pub handled_by_name: Option<String>,
    pub callback_outcome: Option<String>,
    pub callback_notes: Option<String>,
    pub callback_at: Option<i64>,
    pub callback_by_name: Option<String>,
}

impl RoundRow {
    pub fn facts(&self) -> RoundFacts {
        RoundFacts {
            number: self.round,
            handled: self.handled_at.is_some(),
            outcome: self
                .callback_outcome
                .as_deref()
                .and_then(CallbackOutcome::from_code),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ComplaintDetail {
    pub complaint: ComplaintRow,
    /// Oldest first.
    pub rounds: Vec<RoundRow>,
}

/// One line of the complaint archive.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintSummaryRow {
    pub ticket_id: String,
    pub number: String,
    pub subject: String,
    pub ticket_status: String,
    pub complainant: Option<String>,
    pub company: Option<String>,
    pub severity: String,
    pub stage: String,
    pub round: i64,
    pub cause_name: Option<String>,
    pub department_name: Option<String>,
    pub recorder_name: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// The archive's filters; all optional. `cause_ids` is a category with its
/// subcategories (the caller expands it); `from`/`to` bound the registration time in
/// milliseconds (`to` exclusive).
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub severity: Option<String>,
    pub cause_ids: Option<Vec<String>>,
    pub department_id: Option<String>,
    pub stage: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub text: Option<String>,
}

/// One line of a statistics table: the key (`None`: not set yet), its label and count.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatLine {
    #[sqlx(rename = "stat_key")]
    pub key: Option<String>,
    #[sqlx(rename = "stat_label")]
    pub label: Option<String>,
    #[sqlx(rename = "stat_count")]
    pub count: i64,
}

/// Complaints registered in a period, counted three ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintStats {
    pub total: i64,
    pub by_cause: Vec<StatLine>,
    pub by_department: Vec<StatLine>,
    pub by_severity: Vec<StatLine>,
}

const COMPLAINT_SELECT: &str = "SELECT c.ticket_id, t.number, t.subject, \
    t.status AS ticket_status, t.department_id AS department_of_ticket, t.first_owner_id, \
    t.assignee_id, t.contact_name AS complainant, t.contact_phone AS phone, c.company, \
    c.address, c.cause, c.desired_outcome, c.severity, c.recorder_id, \
    ru.display_name AS recorder_name, c.restatement, c.restatement_confirmed_at, \
    cu.display_name AS restatement_confirmed_by_name, c.cause_id, cc.name AS cause_name, \
    cp.name AS cause_parent_name, c.department_id, d.name AS department_name, c.stage, \
    c.round, c.escalated_to_id, eu.display_name AS escalated_to_name, c.close_reason, \
    xu.display_name AS closed_by_name, c.closed_at, c.created_at, c.updated_at \
    FROM complaints c JOIN tickets t ON t.id = c.ticket_id \
    LEFT JOIN users ru ON ru.id = c.recorder_id \
    LEFT JOIN users cu ON cu.id = c.restatement_confirmed_by \
    LEFT JOIN complaint_causes cc ON cc.id = c.cause_id \
    LEFT JOIN complaint_causes cp ON cp.id = cc.parent_id \
    LEFT JOIN departments d ON d.id = c.department_id \
    LEFT JOIN users eu ON eu.id = c.escalated_to_id \
    LEFT JOIN users xu ON xu.id = c.closed_by";

const SUMMARY_SELECT: &str = "SELECT c.ticket_id, t.number, t.subject, \
    t.status AS ticket_status, t.contact_name AS complainant, c.company, c.severity, c.stage, \
    c.round, cc.name AS cause_name, d.name AS department_name, \
    ru.display_name AS recorder_name, c.created_at, c.closed_at \
    FROM complaints c JOIN tickets t ON t.id = c.ticket_id \
    LEFT JOIN complaint_causes cc ON cc.id = c.cause_id \
    LEFT JOIN departments d ON d.id = c.department_id \
    LEFT JOIN users ru ON ru.id = c.recorder_id";

/// The archive's keyset cursor: registration time and ticket id of the last row.
fn cursor_of(r: &ComplaintSummaryRow) -> String {
    format!("{}_{}", r.created_at, r.ticket_id)
}

impl Db {
    /// The complaint on a ticket with its rounds, or `NotFound`.
    pub async fn get_complaint(&self, ticket_id: &str) -> Result<ComplaintDetail, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("{COMPLAINT_SELECT} WHERE c.ticket_id = $1");
        let complaint: ComplaintRow = sqlx::query_as(&sql)
            .bind(ticket_id)
            .fetch_one(&mut *conn)
            .await?;
        let rounds = sqlx::query_as(
            "SELECT r.id, r.round, r.opened_because, r.opened_at, \
             ou.display_name AS opened_by_name, r.department_id, d.name AS department_name, \
             r.analysis, r.corrective_action, r.handled_at, hu.display_name AS handled_by_name, \
             r.callback_outcome, r.callback_notes, r.callback_at, \
             bu.display_name AS callback_by_name \
             FROM complaint_rounds r LEFT JOIN users ou ON ou.id = r.opened_by \
             LEFT JOIN departments d ON d.id = r.department_id \
             LEFT JOIN users hu ON hu.id = r.handled_by \
             LEFT JOIN users bu ON bu.id = r.callback_by \
             WHERE r.ticket_id = $1 ORDER BY r.round",
        )
        .bind(ticket_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(ComplaintDetail { complaint, rounds })
    }

    /// The complaint archive, newest first, keyset-paged. Only complaints whose tickets
    /// `user_id` may see (the scope rule of the ticket lists).
    pub async fn list_complaints(
        &self,
        f: &ComplaintFilter,
        user_id: &str,
        scope: &[String],
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ComplaintSummaryRow>, StoreError> {
        let mut sql = Sql::new(SUMMARY_SELECT);
        sql.push(" WHERE (t.first_owner_id = ")
            .bind_text(user_id)
            .push(" OR t.assignee_id = ")
            .bind_text(user_id)
            .push(" OR t.department_id IN (");
        bind_list(&mut sql, scope);
        sql.push(") OR t.id IN (SELECT k.ticket_id FROM ticket_tasks k WHERE k.department_id IN (");
        bind_list(&mut sql, scope);
        sql.push(")))");
        if let Some(s) = &f.severity {
            sql.push(" AND c.severity = ").bind_text(s.clone());
        }
        if let Some(ids) = &f.cause_ids {
            sql.push(" AND c.cause_id IN (");
            bind_list(&mut sql, ids);
            sql.push(")");
        }
        if let Some(d) = &f.department_id {
            sql.push(" AND c.department_id = ").bind_text(d.clone());
        }
        if let Some(s) = &f.stage {
            sql.push(" AND c.stage = ").bind_text(s.clone());
        }
        if let Some(from) = f.from {
            sql.push(" AND c.created_at >= ").bind_int(from);
        }
        if let Some(to) = f.to {
            sql.push(" AND c.created_at < ").bind_int(to);
        }
        if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", like_escape(text));
            sql.push(" AND (");
            for (i, column) in [
                "t.number",
                "t.subject",
                "c.cause",
                "c.company",
                "t.contact_name",
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push(column)
                    .push(" LIKE ")
                    .bind_text(pattern.clone())
                    .push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
        if let Some((at, id)) = cursor.and_then(|c| c.split_once('_')) {
            let at: i64 = at
                .parse()
                .map_err(|_| StoreError::Refused("bad cursor".into()))?;
            sql.push(" AND (c.created_at < ")
                .bind_int(at)
                .push(" OR (c.created_at = ")
                .bind_int(at)
                .push(" AND c.ticket_id < ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY c.created_at DESC, c.ticket_id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, cursor_of))
    }

    /// Complaints registered in `[from, to)` (milliseconds), counted by root cause, by
    /// responsible department and by severity. Whole-center numbers for the reports.
    pub async fn complaint_stats(&self, from: i64, to: i64) -> Result<ComplaintStats, StoreError> {
        let mut conn = self.read.acquire().await?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM complaints WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let by_cause = sqlx::query_as(
            "SELECT c.cause_id AS stat_key, \
             CASE WHEN cp.name IS NULL THEN cc.name ELSE cp.name || ' / ' || cc.name END AS stat_label, \
             COUNT(*) AS stat_count FROM complaints c \
             LEFT JOIN complaint_causes cc ON cc.id = c.cause_id \
             LEFT JOIN complaint_causes cp ON cp.id = cc.parent_id \
             WHERE c.created_at >= $1 AND c.created_at < $2 \
             GROUP BY c.cause_id, cc.name, cp.name ORDER BY stat_count DESC, stat_key",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        let by_department = sqlx::query_as(
            "SELECT c.department_id AS stat_key, d.name AS stat_label, COUNT(*) AS stat_count \
             FROM complaints c LEFT JOIN departments d ON d.id = c.department_id \
             WHERE c.created_at >= $1 AND c.created_at < $2 \
             GROUP BY c.department_id, d.name ORDER BY stat_count DESC, stat_key",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        let by_severity = sqlx::query_as(
            "SELECT c.severity AS stat_key, c.severity AS stat_label, COUNT(*) AS stat_count FROM complaints c \
             WHERE c.created_at >= $1 AND c.created_at < $2 \
             GROUP BY c.severity ORDER BY stat_count DESC, stat_key",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        Ok(ComplaintStats {
            total,
            by_cause,
            by_department,
            by_severity,
        })
    }
}
