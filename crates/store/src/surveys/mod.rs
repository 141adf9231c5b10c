//! Satisfaction surveys (满意度调查): templates, the dissatisfied thresholds and link
//! lifetime, the links' signing key, invitations with their outbox message, and (in
//! [`responses`]) the answers with the follow-up ticket a dissatisfied answer opens.

mod responses;

pub use responses::{NewResponse, Recorded, ResponseFilter, ResponseRow, ResponseSummary};

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::customers::append_event;
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::survey::{Question, SurveyChannel, Thresholds};

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The link was answered already (or the callback has an answer to this template).
    #[error("this survey has already been answered")]
    AlreadyAnswered,
    /// Questions of a template with answers do not change (the answers refer to them).
    #[error("the template has answers; its questions can no longer change (make a new template)")]
    TemplateAnswered,
    #[error("a template with this name exists")]
    DuplicateName,
}

impl From<sqlx::Error> for SurveyError {
    fn from(e: sqlx::Error) -> Self {
        SurveyError::Store(e.into())
    }
}

/// A template and how many answers it has.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
    pub active: bool,
    pub answers: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct RawTemplate {
    id: String,
    name: String,
    description: Option<String>,
    questions: String,
    active: i64,
    answers: i64,
    updated_at: i64,
}

impl TryFrom<RawTemplate> for TemplateRow {
    type Error = StoreError;
    fn try_from(r: RawTemplate) -> Result<Self, StoreError> {
        Ok(TemplateRow {
            questions: serde_json::from_str(&r.questions)?,
            id: r.id,
            name: r.name,
            description: r.description,
            active: r.active != 0,
            answers: r.answers,
            updated_at: r.updated_at,
        })
    }
}

/// A checked template, ready to be written.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
    pub active: bool,
}

/// The admin's survey settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveySettings {
    pub thresholds: Thresholds,
    /// How long a link stays valid.
    pub link_days: i64,
}

/// A link to send: the caller makes the id (the link is signed over it) and renders
/// the message with the link in it.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: String,
    pub template_id: String,
    pub customer_id: String,
    pub ticket_id: Option<String>,
    pub channel: SurveyChannel,
    /// The phone number or e-mail address, normalized.
    pub recipient: String,
    pub expires_at: DateTime<Utc>,
    pub message: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub template_id: String,
    pub customer_id: String,
    pub ticket_id: Option<String>,
    pub channel: String,
    pub recipient: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.name, t.description, t.questions, t.active, \
    (SELECT COUNT(*) FROM survey_responses r WHERE r.template_id = t.id) AS answers, \
    t.updated_at FROM survey_templates t";

fn name_taken(e: sqlx::Error) -> SurveyError {
    match StoreError::from(e) {
        StoreError::Conflict { .. } => SurveyError::DuplicateName,
        e => e.into(),
    }
}

impl Db {
    /// The key that signs survey links: the stored one, or `candidate` when none is
    /// stored yet (the first server to ask stores it; the others read it back).
    pub async fn survey_link_secret(
        &self,
        candidate: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO survey_link_keys (id, secret, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        let (secret,): (String,) =
            sqlx::query_as("SELECT secret FROM survey_link_keys WHERE id = 1")
                .fetch_one(&self.write)
                .await?;
        Ok(secret)
    }

    pub async fn get_survey_settings(&self) -> Result<SurveySettings, StoreError> {
        let (csat_max, nps_max, link_days): (Option<i64>, Option<i64>, i64) =
            sqlx::query_as("SELECT csat_max, nps_max, link_days FROM survey_settings WHERE id = 1")
                .fetch_one(&self.read)
                .await?;
        Ok(SurveySettings {
            thresholds: Thresholds { csat_max, nps_max },
            link_days,
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_survey_settings(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        s: &SurveySettings,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE survey_settings SET csat_max = $1, nps_max = $2, link_days = $3, \
             updated_by = $4, updated_at = $5 WHERE id = 1",
        )
        .bind(s.thresholds.csat_max)
        .bind(s.thresholds.nps_max)
        .bind(s.link_days)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "csat_max={:?} nps_max={:?} link_days={}",
            s.thresholds.csat_max, s.thresholds.nps_max, s.link_days
        );
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::SurveySettingsSaved).detail(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Templates by name; only active ones when `active_only`.
    pub async fn list_survey_templates(
        &self,
        active_only: bool,
    ) -> Result<Vec<TemplateRow>, StoreError> {
        let sql = if active_only {
            format!("{TEMPLATE_SELECT} WHERE t.active = 1 ORDER BY t.name")
        } else {
            format!("{TEMPLATE_SELECT} ORDER BY t.name")
        };
        let rows: Vec<RawTemplate> = sqlx::query_as(&sql).fetch_all(&self.read).await?;
        rows.into_iter().map(TemplateRow::try_from).collect()
    }

    pub async fn get_survey_template(&self, id: &str) -> Result<TemplateRow, StoreError> {
        let sql = format!("{TEMPLATE_SELECT} WHERE t.id = $1");
        let row: RawTemplate = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        row.try_into()
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_survey_template(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        t: &TemplateInput,
    ) -> Result<String, SurveyError> {
        let id = new_id();
        let at = to_millis(now);
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO survey_templates (id, name, description, questions, active, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&t.name)
        .bind(t.description.as_deref())
        .bind(serde_json::to_string(&t.questions).map_err(StoreError::from)?)
        .bind(i64::from(t.active))
        .bind(actor.user_id.as_deref())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(name_taken)?;
        let entry = NewAuditEntry::new(AuditAction::SurveyTemplateSaved)
            .subject("survey_template", id.clone())
            .detail(t.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames, (de)activates or rewrites a template; its questions only while it has no
    /// answers (checked in the transaction that writes).
    #[tracing::instrument(skip_all)]
    pub async fn update_survey_template(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        t: &TemplateInput,
    ) -> Result<(), SurveyError> {
        let questions = serde_json::to_string(&t.questions).map_err(StoreError::from)?;
        let mut tx = self.write.begin().await?;
        crate::backend::lock_row(self.backend(), &mut tx, "survey_templates", id).await?;
        let current: Option<(String,)> =
            sqlx::query_as("SELECT questions FROM survey_templates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((current,)) = current else {
            return Err(StoreError::NotFound.into());
        };
        let before: Vec<Question> = serde_json::from_str(&current).map_err(StoreError::from)?;
        if before != t.questions {
            let (answered,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM survey_responses WHERE template_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if answered > 0 {
                return Err(SurveyError::TemplateAnswered);
            }
        }
        sqlx::query(
            "UPDATE survey_templates SET name = $1, description = $2, questions = $3, \
             active = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&t.name)
        .bind(t.description.as_deref())
        .bind(&questions)
        .bind(i64::from(t.active))
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(name_taken)?;
        let entry = NewAuditEntry::new(AuditAction::SurveyTemplateSaved)
            .subject("survey_template", id.to_string())
            .detail(t.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a link to send: the invitation, its message in the outbox (queued for a
    /// gateway), the customer's timeline and the audit — one transaction.
    #[tracing::instrument(skip_all, fields(channel = inv.channel.code()))]
    pub async fn create_survey_invitation(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        inv: &NewInvitation,
        template_name: &str,
    ) -> Result<(), StoreError> {
        let at = to_millis(now);
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO survey_invitations (id, template_id, customer_id, ticket_id, channel, \
             recipient, created_by, created_at, expires_at, answered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
        )
        .bind(&inv.id)
        .bind(&inv.template_id)
        .bind(&inv.customer_id)
        .bind(inv.ticket_id.as_deref())
        .bind(inv.channel.code())
        .bind(&inv.recipient)
        .bind(actor.user_id.as_deref())
        .bind(at)
        .bind(to_millis(inv.expires_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO survey_outbox (id, invitation_id, channel, recipient, message, status, \
             created_at, sent_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, NULL)",
        )
        .bind(new_id())
        .bind(&inv.id)
        .bind(inv.channel.code())
        .bind(&inv.recipient)
        .bind(&inv.message)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        append_event(
            &mut tx,
            &inv.customer_id,
            actor,
            now,
            "survey_sent",
            template_name,
            None,
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::SurveySent)
            .subject("customer", inv.customer_id.clone())
            .detail(format!("{} {}", inv.channel.code(), inv.id));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_survey_invitation(
        &self,
        id: &str,
    ) -> Result<Option<InvitationRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, template_id, customer_id, ticket_id, channel, recipient, created_at, \
             expires_at, answered_at FROM survey_invitations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The queued messages of an invitation (what a gateway would send).
    pub async fn survey_outbox_of(
        &self,
        invitation_id: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT channel, message, status FROM survey_outbox WHERE invitation_id = $1 \
             ORDER BY created_at",
        )
        .bind(invitation_id)
        .fetch_all(&self.read)
        .await?)
    }
}
