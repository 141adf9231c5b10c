//! Inspections: the inspector's list, one inspection with its item (the recording, or the
//! chat or e-mail thread with numbers masked for those without `customer.pii.read`),
//! scoring with the revision it was created with, comments at moments of the recording,
//! publishing, the agent's one appeal and the lead's decision. The rules are
//! `kefu_domain::qa::appeal`; every step lands in the inspection's record.

use super::sampling::{current_scorecard, Person};
use super::sees_all;
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::qa::{
    may_inspect, score, transition, Action, Actor, Answer, Criterion, InspectionState, Reason,
    ScoreResult,
};
use kefu_domain::Permission;
use kefu_store::qa::{
    AppealDecision, InspectionFilter, InspectionRow, NewComment, NewInspection, Scored,
};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: String,
    pub item_id: String,
    /// call, chat, email or ticket.
    pub kind: String,
    /// The call, conversation or ticket inspected.
    pub source_id: String,
    pub title: String,
    pub occurred_at: String,
    pub duration_s: Option<i64>,
    pub complaint: bool,
    /// Findings of the automatic checks.
    pub flags: i64,
    pub agent: Person,
    pub inspector: Person,
    pub month: String,
    pub week: i64,
    /// Why the sample chose it (empty when added by hand).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Reason>,
    /// draft, published, appealed, upheld or rejected.
    pub state: String,
    pub scorecard_id: String,
    pub scorecard_name: String,
    pub revision: i64,
    #[schema(value_type = Option<Vec<Object>>)]
    pub answers: Option<Vec<Answer>>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<ScoreResult>,
    /// 0–100 (0 after a critical failure); `None` until scored.
    pub total: Option<f64>,
    pub critical_failure: Option<String>,
    pub summary: String,
    pub appeal_reason: Option<String>,
    pub appealed_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub published_at: Option<String>,
}

pub fn view_of(r: InspectionRow) -> Result<InspectionView, AppError> {
    let json = |e: serde_json::Error| AppError::Internal(e.into());
    Ok(InspectionView {
        reasons: serde_json::from_str(&r.reasons).map_err(json)?,
        answers: r
            .answers
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(json)?,
        result: r
            .result
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(json)?,
        total: r.total_tenths.map(|t| t as f64 / 10.0),
        occurred_at: rfc3339(r.occurred_at),
        appealed_at: r.appealed_at.map(rfc3339),
        decided_at: r.decided_at.map(rfc3339),
        published_at: r.published_at.map(rfc3339),
        agent: Person {
            id: r.agent_id,
            name: r.agent_name,
        },
        inspector: Person {
            id: r.inspector_id,
            name: r.inspector_name,
        },
        complaint: r.complaint != 0,
        id: r.id,
        item_id: r.item_id,
        kind: r.kind,
        source_id: r.source_id,
        title: r.title,
        duration_s: r.duration_s,
        flags: r.flags,
        month: r.month,
        week: r.week,
        state: r.state,
        scorecard_id: r.scorecard_id,
        scorecard_name: r.scorecard_name,
        revision: r.revision,
        critical_failure: r.critical_failure,
        summary: r.summary,
        appeal_reason: r.appeal_reason,
        decided_by: r.decided_by_name,
        decision_note: r.decision_note,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    pub id: String,
    /// The moment of the recording, in milliseconds (`None`: on the whole).
    pub at_ms: Option<i64>,
    pub body: String,
    /// A coaching point (辅导要点).
    pub coaching: bool,
    pub by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QaEventView {
    pub at: String,
    pub by: Option<String>,
    /// sampled, added, scored, published, appealed, upheld, rejected.
    pub action: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    /// greeting_missing, self_id_missing, closing_missing, forbidden_phrase,
    /// slow_first_response, slow_response, unresolved.
    pub rule: String,
    pub message_index: Option<i64>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    /// customer, agent or system.
    pub from: String,
    pub at: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionDetail {
    pub inspection: InspectionView,
    /// The criteria of the revision it is scored with.
    #[schema(value_type = Vec<Object>)]
    pub criteria: Vec<Criterion>,
    pub comments: Vec<CommentView>,
    pub events: Vec<QaEventView>,
    pub findings: Vec<FindingView>,
    /// A chat's messages or an e-mail thread (numbers masked without `customer.pii.read`).
    pub conversation: Vec<LineView>,
    /// A call with a recording (`GET /api/v1/qa/inspections/{id}/recording`).
    pub recording: bool,
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("inspection")(e)
}

/// An inspection the caller may see: everyone in quality inspection sees all; an agent
/// only their own, once published. Anything else is "not found".
async fn load(state: &AppState, ctx: &Ctx, id: &str) -> Result<InspectionRow, AppError> {
    let row = state.db().get_qa_inspection(id).await.map_err(not_found)?;
    if sees_all(ctx) {
        return Ok(row);
    }
    let published = InspectionState::from_code(&row.state).is_some_and(|s| s.visible_to_agent());
    if row.agent_id == ctx.user_id && published {
        return Ok(row);
    }
    Err(AppError::NotFound("inspection"))
}

/// The store refuses a change from a state that is no longer the one checked (someone
/// else acted first): a conflict named `code`.
fn moved(code: &'static str, message: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::conflict(code, message),
        e => e.into(),
    }
}

fn actor_of(ctx: &Ctx, row: &InspectionRow) -> Actor {
    Actor {
        is_inspector: row.inspector_id == ctx.user_id,
        is_agent: row.agent_id == ctx.user_id,
        is_lead: ctx.can(Permission::QaDecide),
    }
}

fn state_of(row: &InspectionRow) -> Result<InspectionState, AppError> {
    InspectionState::from_code(&row.state)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown inspection state")))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `YYYY-MM`.
    pub month: Option<String>,
    /// `me` for the caller's own work to inspect.
    pub inspector: Option<String>,
    /// `me` for the caller's own results.
    pub agent: Option<String>,
    /// draft, published, appealed, upheld or rejected.
    pub state: Option<String>,
}

/// Inspections by the query. Without quality-inspection permissions the caller gets
/// their own published results only, whatever they asked for.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> Result<Vec<InspectionView>, AppError> {
    let me = |v: &Option<String>| {
        v.as_deref().map(|v| {
            if v == "me" {
                ctx.user_id.clone()
            } else {
                v.to_string()
            }
        })
    };
    let mut f = InspectionFilter {
        month: q
            .month
            .as_deref()
            .map(super::Month::parse)
            .transpose()?
            .map(|m| m.code),
        inspector_id: me(&q.inspector),
        agent_id: me(&q.agent),
        states: Vec::new(),
    };
    if let Some(s) = q.state.as_deref() {
        let s = InspectionState::from_code(s).ok_or_else(|| {
            AppError::invalid_field(
                "qa.invalid_state",
                "state",
                "use draft, published, appealed, upheld or rejected",
            )
        })?;
        f.states.push(s.code().to_string());
    }
    if !sees_all(ctx) {
        f.agent_id = Some(ctx.user_id.clone());
        f.inspector_id = None;
        let visible: Vec<String> = InspectionState::ALL
            .iter()
            .filter(|s| s.visible_to_agent())
            .map(|s| s.code().to_string())
            .collect();
        f.states = if f.states.is_empty() {
            visible
        } else {
            f.states
                .into_iter()
                .filter(|s| visible.contains(s))
                .collect()
        };
        if f.states.is_empty() {
            return Ok(Vec::new());
        }
    }
    state
        .db()
        .list_qa_inspections(&f)
        .await?
        .into_iter()
        .map(view_of)
        .collect()
}

pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<InspectionDetail, AppError> {
    let row = load(state, ctx, id).await?;
    let db = state.db();
    let card = db
        .qa_scorecard_revision(&row.scorecard_id, row.revision)
        .await?;
    let comments = db
        .list_qa_comments(id)
        .await?
        .into_iter()
        .map(|c| CommentView {
            id: c.id,
            at_ms: c.at_ms,
            body: c.body,
            coaching: c.coaching != 0,
            by: c.created_by_name,
            created_at: rfc3339(c.created_at),
        })
        .collect();
    let events = db
        .list_qa_events(id)
        .await?
        .into_iter()
        .map(|e| QaEventView {
            at: rfc3339(e.at),
            by: e.actor_name,
            action: e.action,
            detail: e.detail,
        })
        .collect();
    let findings = db
        .qa_findings(&row.item_id)
        .await?
        .into_iter()
        .map(|f| FindingView {
            rule: f.rule,
            message_index: f.message_index,
            detail: f.detail,
        })
        .collect();
    let pii = ctx.can(Permission::CustomerPiiRead);
    let conversation = db
        .qa_conversation(&row.kind, &row.source_id)
        .await?
        .into_iter()
        .map(|l| LineView {
            from: l.from,
            at: rfc3339(l.at),
            text: if pii {
                l.text
            } else {
                kefu_domain::id_number::mask_personal_numbers_in_text(&l.text)
            },
        })
        .collect();
    let recording = row.kind == "call"
        && db
            .get_call(&row.source_id)
            .await
            .map(|c| c.recording_sha256.is_some())
            .unwrap_or(false);
    Ok(InspectionDetail {
        criteria: card.criteria().to_vec(),
        inspection: view_of(row)?,
        comments,
        events,
        findings,
        conversation,
        recording,
    })
}

/// The recording of an inspected call, for the inspection's people; audited.
pub async fn recording(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<crate::app::calls::RecordingFile, AppError> {
    let row = load(state, ctx, id).await?;
    if row.kind != "call" {
        return Err(AppError::NotFound("recording"));
    }
    crate::app::calls::recording_file(state, ctx, &row.source_id).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AddPayload {
    pub item_id: String,
    /// Who inspects it (`qa.manage` only; otherwise the caller).
    pub inspector_id: Option<String>,
}

/// An item added by hand to the inspector's list.
pub async fn add(state: &AppState, ctx: &Ctx, p: &AddPayload) -> Result<InspectionView, AppError> {
    ctx.require(Permission::QaInspect)?;
    let inspector = match p.inspector_id.as_deref() {
        Some(other) if other != ctx.user_id => {
            ctx.require(Permission::QaManage)?;
            other.to_string()
        }
        _ => ctx.user_id.clone(),
    };
    let item = state
        .db()
        .get_qa_item(&p.item_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::Unknown {
                code: "qa.unknown_item",
                message: "no such item".into(),
            },
            e => e.into(),
        })?;
    may_inspect(&inspector, &item.agent_id)?;
    let (scorecard_id, revision) = current_scorecard(state).await?;
    let n = NewInspection {
        week: i64::from(kefu_domain::qa::sampling::week_of(
            item.day.clamp(1, 31) as u8
        )),
        item_id: item.id,
        agent_id: item.agent_id,
        inspector_id: inspector,
        month: item.month,
        reasons: "[]".into(),
        scorecard_id,
        revision,
    };
    let id = state
        .db()
        .add_qa_inspection(&ctx.actor(), state.clock().now(), &n)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                AppError::conflict("qa.item_taken", "this item is already being inspected")
            }
            StoreError::Refused(_) => AppError::Unknown {
                code: "qa.unknown_inspector",
                message: "no such inspector".into(),
            },
            e => e.into(),
        })?;
    view_of(state.db().get_qa_inspection(&id).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScorePayload {
    /// One answer per criterion of the inspection's scorecard revision.
    #[schema(value_type = Vec<Object>)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub summary: String,
}

fn scored(
    card: &kefu_domain::qa::Scorecard,
    answers: &[Answer],
    summary: &str,
) -> Result<Scored, AppError> {
    let result = score(card, answers)?;
    let json = |e: serde_json::Error| AppError::Internal(e.into());
    Ok(Scored {
        answers: serde_json::to_string(answers).map_err(json)?,
        total_tenths: (result.total * 10.0).round() as i64,
        critical_failure: result.critical_failure.clone(),
        result: serde_json::to_string(&result).map_err(json)?,
        summary: summary.to_string(),
    })
}

/// Scores a draft (the inspector; scored again as often as needed until published).
pub async fn score_draft(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &ScorePayload,
) -> Result<InspectionView, AppError> {
    let row = load(state, ctx, id).await?;
    kefu_domain::qa::appeal::may_edit(state_of(&row)?, actor_of(ctx, &row))?;
    let summary = p.summary.trim();
    if summary.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "qa.summary_too_long",
            "summary",
            "the summary is at most 2000 characters",
        ));
    }
    let card = state
        .db()
        .qa_scorecard_revision(&row.scorecard_id, row.revision)
        .await?;
    let s = scored(&card, &p.answers, summary)?;
    state
        .db()
        .score_qa_inspection(&ctx.actor(), state.clock().now(), id, &s)
        .await
        .map_err(moved("qa.not_draft", "the inspection is not a draft"))?;
    view_of(state.db().get_qa_inspection(id).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CommentPayload {
    /// The moment of the recording in milliseconds, or none for the whole.
    pub at_ms: Option<i64>,
    pub body: String,
    #[serde(default)]
    pub coaching: bool,
}

pub async fn comment(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &CommentPayload,
) -> Result<CommentView, AppError> {
    let row = load(state, ctx, id).await?;
    kefu_domain::qa::appeal::may_edit(state_of(&row)?, actor_of(ctx, &row))?;
    let body = p.body.trim();
    if body.is_empty() || body.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "qa.comment_invalid",
            "body",
            "a comment is 1–2000 characters",
        ));
    }
    if p.at_ms
        .is_some_and(|t| !(0..=24 * 3600 * 1000).contains(&t))
    {
        return Err(AppError::invalid_field(
            "qa.comment_time_invalid",
            "at_ms",
            "the moment must be within the recording (0–24 h)",
        ));
    }
    let c = NewComment {
        at_ms: p.at_ms,
        body: body.to_string(),
        coaching: p.coaching,
    };
    let now = state.clock().now();
    let cid = state.db().add_qa_comment(&ctx.actor(), now, id, &c).await?;
    Ok(CommentView {
        id: cid,
        at_ms: c.at_ms,
        body: c.body,
        coaching: c.coaching,
        by: Some(ctx.display_name.clone()),
        created_at: rfc3339(kefu_store::to_millis(now)),
    })
}

pub async fn publish(state: &AppState, ctx: &Ctx, id: &str) -> Result<InspectionView, AppError> {
    let row = load(state, ctx, id).await?;
    transition(
        state_of(&row)?,
        row.appealed_at.is_some(),
        &Action::Publish,
        actor_of(ctx, &row),
    )?;
    if row.result.is_none() {
        return Err(AppError::conflict(
            "qa.not_scored",
            "score every criterion before publishing",
        ));
    }
    state
        .db()
        .publish_qa_inspection(&ctx.actor(), state.clock().now(), id)
        .await
        .map_err(moved("qa.not_draft", "the inspection is not a draft"))?;
    view_of(state.db().get_qa_inspection(id).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AppealPayload {
    pub reason: String,
}

pub async fn appeal(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &AppealPayload,
) -> Result<InspectionView, AppError> {
    let row = load(state, ctx, id).await?;
    let action = Action::Appeal {
        reason: p.reason.clone(),
    };
    transition(
        state_of(&row)?,
        row.appealed_at.is_some(),
        &action,
        actor_of(ctx, &row),
    )?;
    state
        .db()
        .appeal_qa_inspection(&ctx.actor(), state.clock().now(), id, p.reason.trim())
        .await
        .map_err(moved(
            "qa.already_appealed",
            "an inspection can be appealed only once",
        ))?;
    view_of(state.db().get_qa_inspection(id).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionPayload {
    /// Accept the appeal (the inspection is rescored with `answers`, when given) or not.
    pub accept: bool,
    #[serde(default)]
    pub note: String,
    #[schema(value_type = Option<Vec<Object>>)]
    pub answers: Option<Vec<Answer>>,
}

pub async fn decide(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &DecisionPayload,
) -> Result<InspectionView, AppError> {
    ctx.require(Permission::QaDecide)?;
    let row = load(state, ctx, id).await?;
    let action = if p.accept {
        Action::Accept
    } else {
        Action::Reject
    };
    let next = transition(
        state_of(&row)?,
        row.appealed_at.is_some(),
        &action,
        actor_of(ctx, &row),
    )?;
    let note = p.note.trim();
    if note.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "qa.note_too_long",
            "note",
            "the note is at most 2000 characters",
        ));
    }
    let rescored = match (&p.answers, p.accept) {
        (Some(answers), true) => {
            let card = state
                .db()
                .qa_scorecard_revision(&row.scorecard_id, row.revision)
                .await?;
            Some(scored(&card, answers, &row.summary)?)
        }
        (Some(_), false) => {
            return Err(AppError::invalid_field(
                "qa.rescore_needs_accept",
                "answers",
                "new scores come only with an accepted appeal",
            ))
        }
        (None, _) => None,
    };
    let d = AppealDecision {
        state: next.code().to_string(),
        note: note.to_string(),
        rescored,
    };
    state
        .db()
        .decide_qa_appeal(&ctx.actor(), state.clock().now(), id, &d)
        .await
        .map_err(moved(
            "qa.not_appealed",
            "the inspection has no open appeal",
        ))?;
    view_of(state.db().get_qa_inspection(id).await?)
}
