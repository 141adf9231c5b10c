//! The month's sample and the inspections: who inspects which item with which scorecard
//! revision, the scores, comments at moments of the recording, the agent's one appeal and
//! the lead's decision, and every step on the record (`qa_events`, and the audit log for
//! publishing, appeals and decisions). The flow's rules are `kefu_domain::qa::appeal`;
//! the store writes a change only from the state the caller checked (`WHERE state = …`),
//! so two people acting at once cannot both win.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Arg, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;

/// An inspection to create (by the sample or by hand).
#[derive(Debug, Clone)]
pub struct NewInspection {
    pub item_id: String,
    pub agent_id: String,
    pub inspector_id: String,
    pub month: String,
    pub week: i64,
    /// JSON: why the sample chose it (`[]` by hand).
    pub reasons: String,
    pub scorecard_id: String,
    pub revision: i64,
}

/// A drawn sample.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleRow {
    pub id: String,
    pub month: String,
    pub plan: String,
    pub chosen: i64,
    pub report: String,
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// An inspection with its item, people and scorecard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InspectionRow {
    pub id: String,
    pub item_id: String,
    pub kind: String,
    pub source_id: String,
    pub title: String,
    pub occurred_at: i64,
    pub duration_s: Option<i64>,
    pub complaint: i64,
    pub flags: i64,
    pub agent_id: String,
    pub agent_name: String,
    pub inspector_id: String,
    pub inspector_name: String,
    pub sample_id: Option<String>,
    pub month: String,
    pub week: i64,
    pub reasons: String,
    pub state: String,
    pub scorecard_id: String,
    pub scorecard_name: String,
    pub revision: i64,
    pub answers: Option<String>,
    pub result: Option<String>,
    pub total_tenths: Option<i64>,
    pub critical_failure: Option<String>,
    pub summary: String,
    pub appeal_reason: Option<String>,
    pub appealed_at: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

const INSPECTION_SELECT: &str = "SELECT i.id, i.item_id, q.kind, q.source_id, q.title, \
    q.occurred_at, q.duration_s, q.complaint, q.flags, i.agent_id, a.display_name AS agent_name, \
    i.inspector_id, n.display_name AS inspector_name, i.sample_id, i.month, i.week, i.reasons, \
    i.state, i.scorecard_id, s.name AS scorecard_name, i.revision, i.answers, i.result, \
    i.total_tenths, i.critical_failure, i.summary, i.appeal_reason, i.appealed_at, \
    d.display_name AS decided_by_name, i.decided_at, i.decision_note, i.created_at, \
    i.updated_at, i.published_at FROM qa_inspections i \
    JOIN qa_items q ON q.id = i.item_id JOIN users a ON a.id = i.agent_id \
    JOIN users n ON n.id = i.inspector_id JOIN qa_scorecards s ON s.id = i.scorecard_id \
    LEFT JOIN users d ON d.id = i.decided_by";

/// Which inspections to list.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub month: Option<String>,
    pub inspector_id: Option<String>,
    pub agent_id: Option<String>,
    /// Only these states (any when empty).
    pub states: Vec<String>,
}

/// Scores as computed by the domain, ready to store.
#[derive(Debug, Clone)]
pub struct Scored {
    pub answers: String,
    pub result: String,
    pub total_tenths: i64,
    pub critical_failure: Option<String>,
    pub summary: String,
}

/// The lead's decision on an appeal.
#[derive(Debug, Clone)]
pub struct AppealDecision {
    /// `upheld` or `rejected`.
    pub state: String,
    pub note: String,
    /// New scores when the appeal is upheld with a rescore.
    pub rescored: Option<Scored>,
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub at_ms: Option<i64>,
    pub body: String,
    pub coaching: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    pub id: String,
    pub at_ms: Option<i64>,
    pub body: String,
    pub coaching: i64,
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QaEventRow {
    pub at: i64,
    pub actor_name: Option<String>,
    pub action: String,
    pub detail: Option<String>,
}

async fn event(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    inspection_id: &str,
    action: &str,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO qa_events (id, inspection_id, at, actor_id, action, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(inspection_id)
    .bind(to_millis(now))
    .bind(actor.user_id.as_deref())
    .bind(action)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `NotFound` when a guarded `UPDATE … WHERE state = …` changed nothing: the inspection
/// is not in the state the caller checked (any more).
fn moved(done: sqlx::any::AnyQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Puts a step on the inspection's record and in the audit log, then commits.
async fn record_step(
    mut tx: Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    step: &str,
    detail: Option<&str>,
    audit: NewAuditEntry,
) -> Result<(), StoreError> {
    event(&mut tx, actor, now, id, step, detail).await?;
    append_in(&mut tx, actor, now, &audit.subject("qa_inspection", id)).await?;
    tx.commit().await?;
    Ok(())
}

/// An inspection added by hand (sampled ones: [`insert_sampled`]); `None` when the item
/// has one already.
async fn insert_inspection(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    n: &NewInspection,
) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let done = sqlx::query(
        "INSERT INTO qa_inspections (id, item_id, agent_id, inspector_id, sample_id, month, \
         week, reasons, state, scorecard_id, revision, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, 'draft', $8, $9, $10, $11, $11) \
         ON CONFLICT (item_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&n.item_id)
    .bind(&n.agent_id)
    .bind(&n.inspector_id)
    .bind(&n.month)
    .bind(n.week)
    .bind(&n.reasons)
    .bind(&n.scorecard_id)
    .bind(n.revision)
    .bind(actor.user_id.as_deref())
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    event(tx, actor, now, &id, "added", None).await?;
    Ok(Some(id))
}

/// Rows per statement when storing a sample: 14 parameters each, well inside both
/// engines' limits.
const SAMPLED_PER_STATEMENT: usize = 500;

/// Stores sampled inspections, each with its `sampled` step on the record, in two
/// multi-row statements per chunk: a month's sample is about 10,000 inspections, and two
/// statements per inspection made storing them the slowest step of the draw. Items that
/// already have an inspection keep theirs; returns how many were created.
async fn insert_sampled(
    tx: &mut Tx<'_>,
    backend: crate::Backend,
    actor: &Actor,
    now: DateTime<Utc>,
    sample_id: &str,
    chosen: &[NewInspection],
) -> Result<i64, StoreError> {
    let at = to_millis(now);
    let by = || actor.user_id.clone().map_or(Arg::Null, Arg::Text);
    let mut sql = Sql::for_backend(
        backend,
        "INSERT INTO qa_inspections (id, item_id, agent_id, inspector_id, sample_id, month, \
         week, reasons, state, scorecard_id, revision, created_by, created_at, updated_at) \
         VALUES ",
    );
    for (i, n) in chosen.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_row([
            Arg::Text(new_id()),
            Arg::Text(n.item_id.clone()),
            Arg::Text(n.agent_id.clone()),
            Arg::Text(n.inspector_id.clone()),
            Arg::Text(sample_id.to_string()),
            Arg::Text(n.month.clone()),
            Arg::Int(n.week),
            Arg::Text(n.reasons.clone()),
            Arg::Text("draft".into()),
            Arg::Text(n.scorecard_id.clone()),
            Arg::Int(n.revision),
            by(),
            Arg::Int(at),
            Arg::Int(at),
        ]);
    }
    sql.push(" ON CONFLICT (item_id) DO NOTHING RETURNING id");
    let created: Vec<(String,)> = sql.query_as().fetch_all(&mut **tx).await?;
    if created.is_empty() {
        return Ok(0);
    }
    let mut events =
        sql.like("INSERT INTO qa_events (id, inspection_id, at, actor_id, action, detail) VALUES ");
    for (i, (inspection,)) in created.iter().enumerate() {
        if i > 0 {
            events.push(", ");
        }
        events.push_row([
            Arg::Text(new_id()),
            Arg::Text(inspection.clone()),
            Arg::Int(at),
            by(),
            Arg::Text("sampled".into()),
            Arg::Null,
        ]);
    }
    events.query().execute(&mut **tx).await?;
    Ok(created.len() as i64)
}

impl Db {
    /// Stores a month's sample and its inspections in one transaction. A month is drawn
    /// once: `Conflict { constraint: "qa_sample_month" }` when it has a sample already.
    /// Items that already have an inspection (added by hand) keep theirs.
    pub async fn create_qa_sample(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        month: &str,
        plan: &str,
        report: &str,
        chosen: &[NewInspection],
    ) -> Result<(String, i64), StoreError> {
        let mut tx = self.write.begin().await?;
        let (drawn,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM qa_samples WHERE month = $1")
            .bind(month)
            .fetch_one(&mut *tx)
            .await?;
        if drawn > 0 {
            return Err(StoreError::Conflict {
                constraint: "qa_sample_month".into(),
            });
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO qa_samples (id, month, plan, chosen, report, created_by, created_at) \
             VALUES ($1, $2, $3, 0, $4, $5, $6)",
        )
        .bind(&id)
        .bind(month)
        .bind(plan)
        .bind(report)
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let mut created = 0i64;
        for rows in chosen.chunks(SAMPLED_PER_STATEMENT) {
            created += insert_sampled(&mut tx, self.backend(), actor, now, &id, rows).await?;
        }
        sqlx::query("UPDATE qa_samples SET chosen = $1 WHERE id = $2")
            .bind(created)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::QaSampled)
                .subject("qa_sample", &id)
                .detail(format!("month={month} chosen={created}")),
        )
        .await?;
        tx.commit().await?;
        Ok((id, created))
    }

    pub async fn list_qa_samples(&self, month: &str) -> Result<Vec<SampleRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.month, s.plan, s.chosen, s.report, u.display_name AS created_by_name, \
             s.created_at FROM qa_samples s LEFT JOIN users u ON u.id = s.created_by \
             WHERE s.month = $1 ORDER BY s.created_at",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await?)
    }

    /// An inspection added by hand. `Conflict { constraint: "qa_inspections_item" }` when
    /// the item has one already.
    pub async fn add_qa_inspection(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        n: &NewInspection,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = insert_inspection(&mut tx, actor, now, n)
            .await?
            .ok_or_else(|| StoreError::Conflict {
                constraint: "qa_inspections_item".into(),
            })?;
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::QaInspectionAdded)
                .subject("qa_inspection", &id)
                .detail(&n.item_id),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_qa_inspection(&self, id: &str) -> Result<InspectionRow, StoreError> {
        let sql = format!("{INSPECTION_SELECT} WHERE i.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.write).await?)
    }

    /// Inspections by the filter, by week and agent (at most 2,000).
    pub async fn list_qa_inspections(
        &self,
        f: &InspectionFilter,
    ) -> Result<Vec<InspectionRow>, StoreError> {
        let mut sql = crate::Sql::new(&format!("{INSPECTION_SELECT} WHERE 1 = 1"));
        if let Some(m) = &f.month {
            sql.push(" AND i.month = ").bind_text(m);
        }
        if let Some(a) = &f.inspector_id {
            sql.push(" AND i.inspector_id = ").bind_text(a);
        }
        if let Some(a) = &f.agent_id {
            sql.push(" AND i.agent_id = ").bind_text(a);
        }
        if !f.states.is_empty() {
            sql.push(" AND i.state IN (");
            for (n, s) in f.states.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.bind_text(s);
            }
            sql.push(")");
        }
        sql.push(" ORDER BY i.month DESC, i.week, a.display_name, q.occurred_at, i.id");
        // A month holds its sample (a few per agent) and is read whole; across months, the
        // newest 2,000.
        if f.month.is_none() {
            sql.push(" LIMIT 2000");
        }
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    /// Writes the scores of a draft; `NotFound` when it is not a draft (any more).
    pub async fn score_qa_inspection(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        s: &Scored,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE qa_inspections SET answers = $1, result = $2, total_tenths = $3, \
             critical_failure = $4, summary = $5, updated_at = $6 \
             WHERE id = $7 AND state = 'draft'",
        )
        .bind(&s.answers)
        .bind(&s.result)
        .bind(s.total_tenths)
        .bind(s.critical_failure.as_deref())
        .bind(&s.summary)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        moved(done)?;
        let detail = format!("total={:.1}", s.total_tenths as f64 / 10.0);
        event(&mut tx, actor, now, id, "scored", Some(&detail)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Publishes a scored draft to the agent; `NotFound` when it is not a scored draft.
    pub async fn publish_qa_inspection(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE qa_inspections SET state = 'published', published_at = $1, updated_at = $1 \
             WHERE id = $2 AND state = 'draft' AND result IS NOT NULL",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        moved(done)?;
        let audit = NewAuditEntry::new(AuditAction::QaInspectionPublished);
        record_step(tx, actor, now, id, "published", None, audit).await
    }

    /// The agent's appeal of a published inspection (once: `NotFound` otherwise).
    pub async fn appeal_qa_inspection(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE qa_inspections SET state = 'appealed', appeal_reason = $1, appealed_at = $2, \
             updated_at = $2 WHERE id = $3 AND state = 'published' AND appealed_at IS NULL",
        )
        .bind(reason)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        moved(done)?;
        let audit = NewAuditEntry::new(AuditAction::QaAppealed);
        record_step(tx, actor, now, id, "appealed", Some(reason), audit).await
    }

    /// The lead's decision on an appealed inspection (`NotFound` when not appealed).
    pub async fn decide_qa_appeal(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        d: &AppealDecision,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let at = to_millis(now);
        let done = sqlx::query(
            "UPDATE qa_inspections SET state = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4, updated_at = $3 WHERE id = $5 AND state = 'appealed'",
        )
        .bind(&d.state)
        .bind(actor.user_id.as_deref())
        .bind(at)
        .bind(&d.note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        moved(done)?;
        let mut detail = d.note.clone();
        if let Some(s) = &d.rescored {
            sqlx::query(
                "UPDATE qa_inspections SET answers = $1, result = $2, total_tenths = $3, \
                 critical_failure = $4 WHERE id = $5",
            )
            .bind(&s.answers)
            .bind(&s.result)
            .bind(s.total_tenths)
            .bind(s.critical_failure.as_deref())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            detail = format!("{detail} (total={:.1})", s.total_tenths as f64 / 10.0);
        }
        let audit = NewAuditEntry::new(AuditAction::QaAppealDecided).detail(&d.state);
        record_step(tx, actor, now, id, &d.state, Some(&detail), audit).await
    }

    pub async fn add_qa_comment(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        inspection_id: &str,
        c: &NewComment,
    ) -> Result<String, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO qa_comments (id, inspection_id, at_ms, body, coaching, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(inspection_id)
        .bind(c.at_ms)
        .bind(&c.body)
        .bind(i64::from(c.coaching))
        .bind(actor.user_id.as_deref())
        .bind(to_millis(now))
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    /// Comments in the order of the recording (those on the whole last), then written.
    pub async fn list_qa_comments(
        &self,
        inspection_id: &str,
    ) -> Result<Vec<CommentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.at_ms, c.body, c.coaching, u.display_name AS created_by_name, \
             c.created_at FROM qa_comments c LEFT JOIN users u ON u.id = c.created_by \
             WHERE c.inspection_id = $1 \
             ORDER BY CASE WHEN c.at_ms IS NULL THEN 1 ELSE 0 END, c.at_ms, c.created_at, c.id",
        )
        .bind(inspection_id)
        .fetch_all(&self.write)
        .await?)
    }

    pub async fn list_qa_events(&self, inspection_id: &str) -> Result<Vec<QaEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.at, u.display_name AS actor_name, e.action, e.detail FROM qa_events e \
             LEFT JOIN users u ON u.id = e.actor_id WHERE e.inspection_id = $1 \
             ORDER BY e.at, e.id",
        )
        .bind(inspection_id)
        .fetch_all(&self.write)
        .await?)
    }
}
