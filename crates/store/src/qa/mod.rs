//! Quality inspection (质检): the settings (sampling plan, automatic-check rules), the
//! scorecards and their revisions, and (in the submodules) the inspectable items with
//! the automatic checks' findings ([`items`]), the month's sample and the inspections
//! with their comments, appeal and record ([`inspections`]), and the weekly summaries
//! ([`summaries`]). The rules themselves live in `kefu_domain::qa`; this stores them.

mod inspections;
mod items;
mod summaries;

pub use inspections::{
    AppealDecision, CommentRow, InspectionFilter, InspectionRow, NewComment, NewInspection,
    QaEventRow, SampleRow, Scored,
};
pub use items::{
    CandidateRow, Candidates, ConversationLine, FindingRow, ItemRow, QaMonth, TextItem,
};
pub use summaries::{SummaryPoint, SummaryRow};

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::qa::{Criterion, Plan, Rules, Scorecard};

/// The sampling plan and the automatic-check rules.
#[derive(Debug, Clone, PartialEq)]
pub struct QaSettings {
    pub plan: Plan,
    pub rules: Rules,
}

/// A scorecard with its current revision's criteria.
#[derive(Debug, Clone)]
pub struct ScorecardRow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub revision: i64,
    pub criteria: Vec<Criterion>,
    pub updated_at: i64,
    /// Inspections scored with any revision of it.
    pub inspections: i64,
}

#[derive(sqlx::FromRow)]
struct RawScorecard {
    id: String,
    name: String,
    active: i64,
    revision: i64,
    criteria: String,
    updated_at: i64,
    inspections: i64,
}

impl TryFrom<RawScorecard> for ScorecardRow {
    type Error = StoreError;
    fn try_from(r: RawScorecard) -> Result<Self, StoreError> {
        Ok(ScorecardRow {
            criteria: serde_json::from_str(&r.criteria)?,
            id: r.id,
            name: r.name,
            active: r.active != 0,
            revision: r.revision,
            updated_at: r.updated_at,
            inspections: r.inspections,
        })
    }
}

const SCORECARD_SELECT: &str = "SELECT s.id, s.name, s.active, s.revision, r.criteria, \
    s.updated_at, (SELECT COUNT(*) FROM qa_inspections i WHERE i.scorecard_id = s.id) \
    AS inspections FROM qa_scorecards s JOIN qa_scorecard_revisions r \
    ON r.scorecard_id = s.id AND r.revision = s.revision";

/// The name of the scorecard kefu starts with (the handbook's five criteria).
pub const HANDBOOK_SCORECARD: &str = "服务质量综合考评";

impl Db {
    /// The plan and rules; the defaults until someone saves them.
    pub async fn get_qa_settings(&self) -> Result<QaSettings, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT plan, rules FROM qa_settings WHERE id = 1")
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some((plan, rules)) => QaSettings {
                plan: serde_json::from_str(&plan)?,
                rules: serde_json::from_str(&rules)?,
            },
            None => QaSettings {
                plan: Plan::default(),
                rules: Rules::default(),
            },
        })
    }

    /// Saves checked settings. Audited.
    pub async fn save_qa_settings(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        s: &QaSettings,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO qa_settings (id, plan, rules, updated_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET plan = excluded.plan, rules = excluded.rules, \
             updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(&s.plan)?)
        .bind(serde_json::to_string(&s.rules)?)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!("min={} max={} seed={}", s.plan.min, s.plan.max, s.plan.seed);
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::QaSettingsSaved).detail(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every scorecard by name (the handbook's is made on the first call when there is
    /// none, so a center always has one to score with).
    pub async fn list_qa_scorecards(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScorecardRow>, StoreError> {
        let sql = format!("{SCORECARD_SELECT} ORDER BY s.name, s.id");
        let mut rows: Vec<RawScorecard> = sqlx::query_as(&sql).fetch_all(&self.read).await?;
        if rows.is_empty() {
            self.ensure_handbook_scorecard(now).await?;
            rows = sqlx::query_as(&sql).fetch_all(&self.write).await?;
        }
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn get_qa_scorecard(&self, id: &str) -> Result<ScorecardRow, StoreError> {
        let sql = format!("{SCORECARD_SELECT} WHERE s.id = $1");
        let raw: RawScorecard = sqlx::query_as(&sql).bind(id).fetch_one(&self.write).await?;
        raw.try_into()
    }

    /// The criteria of one revision (what an inspection was scored with).
    pub async fn qa_scorecard_revision(
        &self,
        id: &str,
        revision: i64,
    ) -> Result<Scorecard, StoreError> {
        let (criteria,): (String,) = sqlx::query_as(
            "SELECT criteria FROM qa_scorecard_revisions WHERE scorecard_id = $1 AND revision = $2",
        )
        .bind(id)
        .bind(revision)
        .fetch_one(&self.read)
        .await?;
        let criteria: Vec<Criterion> = serde_json::from_str(&criteria)?;
        Scorecard::parse(criteria).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Makes the handbook's scorecard when no scorecard exists (two servers racing make
    /// one: the name is unique).
    pub async fn ensure_handbook_scorecard(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM qa_scorecards")
            .fetch_one(&mut *tx)
            .await?;
        if n == 0 {
            let id = new_id();
            insert_scorecard(&mut tx, &id, HANDBOOK_SCORECARD, true, now).await?;
            insert_revision(&mut tx, None, &id, 1, &Scorecard::handbook(), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates a scorecard (`id` = `None`) or revises one: the criteria become a new
    /// revision when they changed; inspections keep theirs. Audited.
    pub async fn save_qa_scorecard(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: Option<&str>,
        name: &str,
        active: bool,
        card: &Scorecard,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = match id {
            None => {
                let id = new_id();
                insert_scorecard(&mut tx, &id, name, active, now).await?;
                insert_revision(&mut tx, actor.user_id.as_deref(), &id, 1, card, now).await?;
                id
            }
            Some(id) => {
                let (revision, criteria): (i64, String) = sqlx::query_as(
                    "SELECT s.revision, r.criteria FROM qa_scorecards s \
                     JOIN qa_scorecard_revisions r ON r.scorecard_id = s.id \
                     AND r.revision = s.revision WHERE s.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let current: Vec<Criterion> = serde_json::from_str(&criteria)?;
                let revision = if current == card.criteria() {
                    revision
                } else {
                    insert_revision(
                        &mut tx,
                        actor.user_id.as_deref(),
                        id,
                        revision + 1,
                        card,
                        now,
                    )
                    .await?;
                    revision + 1
                };
                sqlx::query(
                    "UPDATE qa_scorecards SET name = $1, active = $2, revision = $3, \
                     updated_at = $4 WHERE id = $5",
                )
                .bind(name)
                .bind(i64::from(active))
                .bind(revision)
                .bind(to_millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id.to_string()
            }
        };
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::QaScorecardSaved)
                .subject("qa_scorecard", &id)
                .detail(name),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn insert_scorecard(
    tx: &mut crate::Tx<'_>,
    id: &str,
    name: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO qa_scorecards (id, name, active, revision, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4)",
    )
    .bind(id)
    .bind(name)
    .bind(i64::from(active))
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_revision(
    tx: &mut crate::Tx<'_>,
    by: Option<&str>,
    id: &str,
    revision: i64,
    card: &Scorecard,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO qa_scorecard_revisions (scorecard_id, revision, criteria, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(revision)
    .bind(serde_json::to_string(card.criteria())?)
    .bind(by)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
