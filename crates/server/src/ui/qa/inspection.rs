//! The scoring page (`/qa/inspections/{id}`): the item (the recording in an audio player
//! with seeking and speed, or the chat or e-mail thread), the automatic checks' findings,
//! the scorecard form, comments at moments of the recording with coaching points, and
//! publishing — for the inspector; the result and the appeal form for the agent; the
//! decision for the shift lead; and the inspection's record for all of them.

use super::{reasons_text, render, Chrome, Page, UiError};
use crate::app::qa::inspections::{
    self, AppealPayload, CommentPayload, DecisionPayload, InspectionDetail, ScorePayload,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::qa::{Answer, InspectionState};
use kefu_domain::Permission;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/qa/inspections/{id}", get(page_get).post(act))
        .route(
            "/static/qa.js",
            get(|| async {
                super::super::static_file(
                    "text/javascript; charset=utf-8",
                    include_str!("../../../static/qa.js"),
                )
            }),
        )
}

/// A criterion on the form, with the score shown (stored, or typed before a refusal).
pub struct CriterionForm {
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: u32,
    /// The scale from the top down, with the option shown selected.
    pub scale: Vec<(u8, bool)>,
    pub critical: bool,
    pub score: Option<u8>,
    pub failed: bool,
    /// The scored percent, after scoring.
    pub percent: Option<f64>,
}

pub struct CommentLine {
    pub at: Option<String>,
    pub at_s: Option<f64>,
    pub body: String,
    pub coaching: bool,
    pub by: String,
}

/// What was typed, kept when the page refuses it.
#[derive(Default)]
pub struct Draft {
    pub summary: String,
    pub body: String,
    pub at: String,
    pub reason: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "qa_inspection.html")]
struct InspectionPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    d: InspectionDetail,
    v: crate::app::qa::inspections::InspectionView,
    duration: Option<String>,
    reasons: String,
    when: String,
    state_label: String,
    criteria: Vec<CriterionForm>,
    comments: Vec<CommentLine>,
    can_edit: bool,
    can_publish: bool,
    can_appeal: bool,
    can_decide: bool,
    error: Option<String>,
    draft: Draft,
}

/// `m:ss` for a moment of the recording.
fn clock(ms: i64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Reads `m:ss`, `h:mm:ss` or seconds into milliseconds.
fn parse_clock(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut total: f64 = 0.0;
    for p in &parts {
        let v: f64 = p.trim().parse().ok()?;
        if !(v.is_finite() && v >= 0.0) {
            return None;
        }
        total = total * 60.0 + v;
    }
    Some((total * 1000.0).round() as i64)
}

async fn show(
    page: &Page,
    id: &str,
    error: Option<String>,
    typed: Option<&[(String, String)]>,
    draft: Draft,
) -> Result<Response, UiError> {
    let d = inspections::get(&page.state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let v = &d.inspection;
    let state = InspectionState::from_code(&v.state).unwrap_or(InspectionState::Draft);
    let me = &page.ctx.user_id;
    let is_inspector = &v.inspector.id == me;
    let is_agent = &v.agent.id == me;
    let can_edit = is_inspector && state == InspectionState::Draft;
    let can_publish = can_edit && v.result.is_some();
    let can_appeal = is_agent && state == InspectionState::Published && v.appeal_reason.is_none();
    let can_decide = page.ctx.can(Permission::QaDecide)
        && state == InspectionState::Appealed
        && !is_agent
        && !is_inspector;
    let stored = |code: &str| -> (Option<u8>, bool) {
        if let Some(pairs) = typed {
            let score = super::super::form_field(pairs, &format!("score_{code}"))
                .parse()
                .ok();
            let failed = !super::super::form_field(pairs, &format!("failed_{code}")).is_empty();
            return (score, failed);
        }
        v.answers
            .as_ref()
            .and_then(|a| a.iter().find(|a| a.code == code))
            .map_or((None, false), |a| (Some(a.score), a.failed))
    };
    let criteria = d
        .criteria
        .iter()
        .map(|c| {
            let (score, failed) = stored(&c.code);
            CriterionForm {
                code: c.code.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                weight: c.weight,
                scale: (0..=c.scale_max)
                    .rev()
                    .map(|n| (n, score == Some(n)))
                    .collect(),
                critical: c.critical,
                score,
                failed,
                percent: v
                    .result
                    .as_ref()
                    .and_then(|r| r.criteria.iter().find(|s| s.code == c.code))
                    .map(|s| s.percent),
            }
        })
        .collect();
    let comments = d
        .comments
        .iter()
        .map(|c| CommentLine {
            at: c.at_ms.map(clock),
            at_s: c.at_ms.map(|m| m as f64 / 1000.0),
            body: c.body.clone(),
            coaching: c.coaching,
            by: c.by.clone().unwrap_or_default(),
        })
        .collect();
    Ok(render(&InspectionPage {
        chrome: page.chrome("qa"),
        v: v.clone(),
        duration: v.duration_s.map(|s| clock(s * 1000)),
        reasons: reasons_text(&t, &v.reasons),
        when: v
            .occurred_at
            .get(..16)
            .unwrap_or_default()
            .replace('T', " "),
        state_label: t.label("qa_state", &v.state).to_string(),
        criteria,
        comments,
        can_edit,
        can_publish,
        can_appeal,
        can_decide,
        error,
        draft,
        t,
        d,
    }))
}

async fn page_get(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    show(&page, &id, None, None, Draft::default()).await
}

async fn act(
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let field = |n: &str| super::super::form_field(&pairs, n);
    page.check_csrf(&field("_csrf"))?;
    let op = field("op");
    let draft = Draft {
        summary: field("summary"),
        body: field("body"),
        at: field("at"),
        reason: field("reason"),
        note: field("note"),
    };
    let result: Result<(), AppError> = match op.as_str() {
        "score" => {
            let d = inspections::get(&page.state, &page.ctx, &id)
                .await
                .map_err(|e| page.error(e))?;
            let mut answers = Vec::new();
            let mut missing = None;
            for c in &d.criteria {
                match field(&format!("score_{}", c.code)).parse::<u8>() {
                    Ok(score) => answers.push(Answer {
                        code: c.code.clone(),
                        score,
                        failed: c.critical && !field(&format!("failed_{}", c.code)).is_empty(),
                    }),
                    Err(_) => {
                        missing = Some(c.name.clone());
                        break;
                    }
                }
            }
            match missing {
                Some(name) => Err(AppError::invalid_field(
                    "qa.criterion_missing",
                    "answers",
                    page.t().f("qa.score_missing", &[("name", &name)]),
                )),
                None => {
                    let p = ScorePayload {
                        answers,
                        summary: draft.summary.clone(),
                    };
                    inspections::score_draft(&page.state, &page.ctx, &id, &p)
                        .await
                        .map(|_| ())
                }
            }
        }
        "comment" => {
            let at_ms = if draft.at.trim().is_empty() {
                Ok(None)
            } else {
                parse_clock(&draft.at).map(Some).ok_or_else(|| {
                    AppError::invalid_field(
                        "qa.comment_time_invalid",
                        "at_ms",
                        page.t().t("qa.bad_moment"),
                    )
                })
            };
            match at_ms {
                Ok(at_ms) => {
                    let p = CommentPayload {
                        at_ms,
                        body: draft.body.clone(),
                        coaching: !field("coaching").is_empty(),
                    };
                    inspections::comment(&page.state, &page.ctx, &id, &p)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e),
            }
        }
        "publish" => inspections::publish(&page.state, &page.ctx, &id)
            .await
            .map(|_| ()),
        "appeal" => {
            let p = AppealPayload {
                reason: draft.reason.clone(),
            };
            inspections::appeal(&page.state, &page.ctx, &id, &p)
                .await
                .map(|_| ())
        }
        "decide" => {
            let p = DecisionPayload {
                accept: field("decision") == "accept",
                note: draft.note.clone(),
                answers: None,
            };
            inspections::decide(&page.state, &page.ctx, &id, &p)
                .await
                .map(|_| ())
        }
        _ => Err(AppError::bad_request("invalid_op", "unknown action")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/qa/inspections/{id}#{op}")).into_response()),
        Err(e @ (AppError::Internal(_) | AppError::NotFound(_))) => Err(page.error(e)),
        Err(e) => {
            let typed = (op == "score").then_some(pairs.as_slice());
            show(&page, &id, Some(e.to_string()), typed, draft).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_and_print() {
        assert_eq!(parse_clock("1:05"), Some(65_000));
        assert_eq!(parse_clock("1:02:03"), Some(3_723_000));
        assert_eq!(parse_clock("90"), Some(90_000));
        assert_eq!(parse_clock("1:x"), None);
        assert_eq!(parse_clock("-3"), None);
        assert_eq!(clock(65_000), "1:05");
    }
}
