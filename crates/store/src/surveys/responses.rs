//! Answers: storing one (through a link or from an agent during a callback) together with
//! the follow-up ticket a dissatisfied answer opens — one transaction, so the follow-up
//! exists exactly when the answer does — and the results page's list and scores.

use super::SurveyError;
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::customers::append_event;
use crate::tickets::{create_tickets_in, TicketToOpen};
use crate::{to_millis, Db, Page, Sql, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::survey::{Answers, SurveyChannel};
use kefu_domain::ticket::TicketNumber;

/// A checked answer, ready to be written.
#[derive(Debug, Clone)]
pub struct NewResponse {
    /// Made by the caller, so the follow-up ticket can name it.
    pub id: String,
    /// Set for an answer through a link; that link is then used up.
    pub invitation_id: Option<String>,
    pub template_id: String,
    pub customer_id: String,
    pub ticket_id: Option<String>,
    /// The callback (回访) the agent asked the questions on.
    pub callback_id: Option<String>,
    pub channel: SurveyChannel,
    pub answers: Answers,
    pub dissatisfied: bool,
}

/// What storing an answer did.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub response_id: String,
    /// The follow-up ticket opened for a dissatisfied answer.
    pub followup: Option<(String, TicketNumber)>,
}

/// One answer on the results page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResponseRow {
    pub id: String,
    pub template_id: String,
    pub template_name: String,
    pub customer_id: String,
    pub customer_name: String,
    pub ticket_number: Option<String>,
    pub callback_id: Option<String>,
    pub answered_by_name: Option<String>,
    pub channel: String,
    /// JSON: question id → answer.
    pub answers: String,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub dissatisfied: i64,
    pub followup_ticket_id: Option<String>,
    pub followup_number: Option<String>,
    pub created_at: i64,
}

/// The results page's filters; `from`/`to` bound the answer time in milliseconds (`to`
/// exclusive).
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub template_id: Option<String>,
    pub customer_id: Option<String>,
    pub dissatisfied_only: bool,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The scores of the answers a filter selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ResponseSummary {
    pub answers: i64,
    pub dissatisfied: i64,
    pub csat_count: i64,
    pub csat_sum: i64,
    pub nps_count: i64,
    pub promoters: i64,
    pub detractors: i64,
}

const RESPONSE_SELECT: &str = "SELECT r.id, r.template_id, t.name AS template_name, \
    r.customer_id, c.name AS customer_name, k.number AS ticket_number, r.callback_id, \
    u.display_name AS answered_by_name, r.channel, r.answers, r.csat, r.nps, r.dissatisfied, \
    r.followup_ticket_id, f.number AS followup_number, r.created_at \
    FROM survey_responses r JOIN survey_templates t ON t.id = r.template_id \
    JOIN customers c ON c.id = r.customer_id \
    LEFT JOIN tickets k ON k.id = r.ticket_id \
    LEFT JOIN users u ON u.id = r.answered_by \
    LEFT JOIN tickets f ON f.id = r.followup_ticket_id";

fn push_filter(sql: &mut Sql, f: &ResponseFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(t) = &f.template_id {
        sql.push(" AND r.template_id = ").bind_text(t.clone());
    }
    if let Some(c) = &f.customer_id {
        sql.push(" AND r.customer_id = ").bind_text(c.clone());
    }
    if f.dissatisfied_only {
        sql.push(" AND r.dissatisfied = 1");
    }
    if let Some(from) = f.from {
        sql.push(" AND r.created_at >= ").bind_int(from);
    }
    if let Some(to) = f.to {
        sql.push(" AND r.created_at < ").bind_int(to);
    }
}

fn already_answered(e: StoreError) -> SurveyError {
    match e {
        StoreError::Conflict { constraint } if !constraint.contains("followup") => {
            SurveyError::AlreadyAnswered
        }
        e => e.into(),
    }
}

impl Db {
    /// Stores an answer. A link's answer marks its invitation answered — a second answer
    /// (even one racing this one) is `AlreadyAnswered` and changes nothing. `followup`,
    /// given for a dissatisfied answer, is opened in the same transaction and linked to
    /// the answer, so it exists exactly once.
    #[tracing::instrument(skip_all, fields(channel = r.channel.code(), dissatisfied = r.dissatisfied))]
    pub async fn record_survey_response(
        &self,
        actor: &Actor,
        answered_by: Option<&str>,
        now: DateTime<Utc>,
        r: &NewResponse,
        template_name: &str,
        followup: Option<&TicketToOpen>,
    ) -> Result<Recorded, SurveyError> {
        let at = to_millis(now);
        let id = r.id.clone();
        let mut tx = self.write.begin().await?;
        if let Some(inv) = &r.invitation_id {
            // On PostgreSQL a racing answer waits here for the row, then finds it answered.
            let done = sqlx::query(
                "UPDATE survey_invitations SET answered_at = $1 \
                 WHERE id = $2 AND answered_at IS NULL",
            )
            .bind(at)
            .bind(inv)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(SurveyError::AlreadyAnswered);
            }
        }
        let answers = serde_json::to_string(&r.answers.answers).map_err(StoreError::from)?;
        sqlx::query(
            "INSERT INTO survey_responses (id, invitation_id, template_id, customer_id, ticket_id, \
             callback_id, answered_by, channel, answers, csat, nps, dissatisfied, \
             followup_ticket_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13)",
        )
        .bind(&id)
        .bind(r.invitation_id.as_deref())
        .bind(&r.template_id)
        .bind(&r.customer_id)
        .bind(r.ticket_id.as_deref())
        .bind(r.callback_id.as_deref())
        .bind(answered_by)
        .bind(r.channel.code())
        .bind(&answers)
        .bind(r.answers.csat)
        .bind(r.answers.nps)
        .bind(i64::from(r.dissatisfied))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(|e| already_answered(e.into()))?;
        let followup = match followup {
            None => None,
            Some(item) => {
                let opened = create_tickets_in(&mut tx, self.backend(), &[item])
                    .await?
                    .remove(0);
                sqlx::query("UPDATE survey_responses SET followup_ticket_id = $1 WHERE id = $2")
                    .bind(&opened.0)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                Some(opened)
            }
        };
        let scores = serde_json::json!({
            "response_id": id,
            "csat": r.answers.csat,
            "nps": r.answers.nps,
            "dissatisfied": r.dissatisfied,
            "followup": followup.as_ref().map(|(_, n)| n.as_str()),
        })
        .to_string();
        append_event(
            &mut tx,
            &r.customer_id,
            actor,
            now,
            "survey_answered",
            template_name,
            Some(&scores),
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::SurveyAnswered)
            .subject("survey_response", id.clone())
            .detail(r.channel.code());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(Recorded {
            response_id: id,
            followup,
        })
    }

    /// The results page: newest first, keyset-paged (cursor `<created_at>_<id>`).
    pub async fn list_survey_responses(
        &self,
        f: &ResponseFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ResponseRow>, StoreError> {
        let mut sql = Sql::new(RESPONSE_SELECT);
        push_filter(&mut sql, f);
        if let Some((at, id)) = cursor
            .and_then(|c| c.split_once('_'))
            .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
        {
            sql.push(" AND (r.created_at < ")
                .bind_int(at)
                .push(" OR (r.created_at = ")
                .bind_int(at)
                .push(" AND r.id < ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY r.created_at DESC, r.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r: &ResponseRow| {
            format!("{}_{}", r.created_at, r.id)
        }))
    }

    /// CSAT and NPS counts of the answers the filter selects.
    pub async fn summarize_survey_responses(
        &self,
        f: &ResponseFilter,
    ) -> Result<ResponseSummary, StoreError> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) AS answers, \
             CAST(COALESCE(SUM(r.dissatisfied), 0) AS BIGINT) AS dissatisfied, \
             COUNT(r.csat) AS csat_count, \
             CAST(COALESCE(SUM(r.csat), 0) AS BIGINT) AS csat_sum, \
             COUNT(r.nps) AS nps_count, \
             CAST(COALESCE(SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters, \
             CAST(COALESCE(SUM(CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors \
             FROM survey_responses r",
        );
        push_filter(&mut sql, f);
        Ok(sql.query_as().fetch_one(&self.read).await?)
    }
}
