//! The weekly QA summary (周质检小结): the common problems the inspectors heard and the
//! training plan, each point linked to the inspections that show it.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use serde::{Deserialize, Serialize};

/// A problem or a training item, with its evidence (inspection ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryPoint {
    pub text: String,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// The Monday, `YYYY-MM-DD`.
    pub week: String,
    pub problems: Vec<SummaryPoint>,
    pub training: Vec<SummaryPoint>,
    pub updated_by_name: Option<String>,
    pub updated_at: i64,
}

impl Db {
    pub async fn get_qa_summary(&self, week: &str) -> Result<Option<SummaryRow>, StoreError> {
        let row: Option<(String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT s.week, s.problems, s.training, u.display_name, s.updated_at \
             FROM qa_summaries s LEFT JOIN users u ON u.id = s.updated_by WHERE s.week = $1",
        )
        .bind(week)
        .fetch_optional(&self.write)
        .await?;
        row.map(|(week, problems, training, updated_by_name, updated_at)| {
            Ok(SummaryRow {
                week,
                problems: serde_json::from_str(&problems)?,
                training: serde_json::from_str(&training)?,
                updated_by_name,
                updated_at,
            })
        })
        .transpose()
    }

    /// Writes the week's summary (replacing what was there). Audited.
    pub async fn save_qa_summary(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        week: &str,
        problems: &[SummaryPoint],
        training: &[SummaryPoint],
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO qa_summaries (week, problems, training, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (week) DO UPDATE SET \
             problems = excluded.problems, training = excluded.training, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(week)
        .bind(serde_json::to_string(problems)?)
        .bind(serde_json::to_string(training)?)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::QaSummarySaved).subject("qa_summary", week),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
