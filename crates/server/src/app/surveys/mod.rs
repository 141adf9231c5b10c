//! Satisfaction surveys (满意度调查): templates and the dissatisfied thresholds
//! (`survey.manage`), sending a signed link and recording an answer given on a callback
//! (`survey.send`, in [`answer`]), the customer's own answer through the link (no log-in,
//! in [`answer`]) and the results (`survey.view`, in [`results`]).

pub mod answer;
mod followup;
pub mod results;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::{AppState, Secret};
use kefu_domain::survey::{
    parse_template, Question, RawQuestion, TemplateError, ThresholdError, Thresholds,
};
use kefu_domain::Permission;
use kefu_store::surveys::{SurveyError, SurveySettings, TemplateInput, TemplateRow};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest template description.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// How long a link may be made to live, in days.
pub const MAX_LINK_DAYS: i64 = 90;

impl From<TemplateError> for AppError {
    fn from(e: TemplateError) -> Self {
        AppError::invalid_field(e.code(), e.field(), e.to_string())
    }
}

impl From<ThresholdError> for AppError {
    fn from(e: ThresholdError) -> Self {
        AppError::invalid_field("invalid_threshold", e.field(), e.to_string())
    }
}

impl From<SurveyError> for AppError {
    fn from(e: SurveyError) -> Self {
        let message = e.to_string();
        match e {
            SurveyError::Store(StoreError::NotFound) => AppError::NotFound("survey template"),
            SurveyError::Store(s) => s.into(),
            SurveyError::AlreadyAnswered => AppError::conflict("survey_already_answered", message),
            SurveyError::TemplateAnswered => AppError::conflict("template_answered", message),
            SurveyError::DuplicateName => AppError::InvalidField {
                code: "duplicate_name",
                field: "name",
                message,
            },
        }
    }
}

/// The key that signs links: read from the database once (made there by the first
/// server that needed it), then kept in memory. Never logged (`Secret` hides itself).
pub(crate) async fn link_secret(state: &AppState) -> Result<Secret, AppError> {
    let secret = state
        .survey_secret()
        .get_or_try_init(|| async {
            let candidate = hex::encode(rand::random::<[u8; 32]>());
            state
                .db()
                .survey_link_secret(&candidate, state.clock().now())
                .await
                .map(Secret)
        })
        .await?;
    Ok(secret.clone())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPayload {
    /// csat (1–5), nps (0–10), single, multiple, text
    pub kind: String,
    pub text: String,
    /// The options of a single or multiple choice.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePayload {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub questions: Vec<QuestionPayload>,
    /// Default true; inactive templates cannot be sent.
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionView {
    /// `q1`, `q2`, …: answers are keyed by it.
    pub id: String,
    pub kind: String,
    pub text: String,
    pub options: Vec<String>,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub questions: Vec<QuestionView>,
    pub active: bool,
    /// Answers so far; a template with answers keeps its questions.
    pub answers: i64,
}

pub fn question_view(q: &Question) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        kind: q.kind.code().to_string(),
        text: q.text.clone(),
        options: q.options.clone(),
        required: q.required,
    }
}

pub fn template_view(t: &TemplateRow) -> TemplateView {
    TemplateView {
        id: t.id.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        questions: t.questions.iter().map(question_view).collect(),
        active: t.active,
        answers: t.answers,
    }
}

fn template_input(p: &TemplatePayload) -> Result<TemplateInput, AppError> {
    let raw: Vec<RawQuestion<'_>> = p
        .questions
        .iter()
        .map(|q| RawQuestion {
            kind: &q.kind,
            text: &q.text,
            options: q.options.iter().map(String::as_str).collect(),
            required: q.required,
        })
        .collect();
    let (name, questions) = parse_template(&p.name, &raw)?;
    let description = kefu_domain::customer::parse_optional_text(
        "description",
        p.description.as_deref(),
        MAX_DESCRIPTION_CHARS,
    )
    .map_err(|e| AppError::invalid_field("invalid_description", "description", e.to_string()))?;
    Ok(TemplateInput {
        name,
        description,
        questions,
        active: p.active.unwrap_or(true),
    })
}

/// Templates: all of them for those who manage surveys, the active ones for senders.
pub async fn templates(state: &AppState, ctx: &Ctx) -> Result<Vec<TemplateView>, AppError> {
    let all = ctx.can(Permission::SurveyManage) || ctx.can(Permission::SurveyView);
    if !all {
        ctx.require(Permission::SurveySend)?;
    }
    let rows = state.db().list_survey_templates(!all).await?;
    Ok(rows.iter().map(template_view).collect())
}

/// A template by id (`not_found` for senders when it is inactive).
pub async fn template(state: &AppState, ctx: &Ctx, id: &str) -> Result<TemplateRow, AppError> {
    if !ctx.can(Permission::SurveyManage) && !ctx.can(Permission::SurveyView) {
        ctx.require(Permission::SurveySend)?;
    }
    match state.db().get_survey_template(id).await {
        Ok(t) if t.active || ctx.can(Permission::SurveyManage) => Ok(t),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound("survey template")),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_template(
    state: &AppState,
    ctx: &Ctx,
    p: &TemplatePayload,
) -> Result<String, AppError> {
    ctx.require(Permission::SurveyManage)?;
    let input = template_input(p)?;
    Ok(state
        .db()
        .create_survey_template(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

pub async fn update_template(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &TemplatePayload,
) -> Result<(), AppError> {
    ctx.require(Permission::SurveyManage)?;
    let input = template_input(p)?;
    Ok(state
        .db()
        .update_survey_template(&ctx.actor(), state.clock().now(), id, &input)
        .await?)
}

/// The dissatisfied thresholds and the life of a link. A threshold left empty switches
/// that score off.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPayload {
    /// A CSAT at or below this (1–4) is dissatisfied; default 2.
    pub csat_max: Option<i64>,
    /// An NPS at or below this (0–9) is dissatisfied; default 6.
    pub nps_max: Option<i64>,
    /// Days a link stays valid (1–90); default 7.
    pub link_days: i64,
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> Result<SettingsPayload, AppError> {
    if !ctx.can(Permission::SurveyView) {
        ctx.require(Permission::SurveyManage)?;
    }
    let s = state.db().get_survey_settings().await?;
    Ok(SettingsPayload {
        csat_max: s.thresholds.csat_max,
        nps_max: s.thresholds.nps_max,
        link_days: s.link_days,
    })
}

pub async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    p: &SettingsPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::SurveyManage)?;
    let thresholds = Thresholds::new(p.csat_max, p.nps_max)?;
    if !(1..=MAX_LINK_DAYS).contains(&p.link_days) {
        return Err(AppError::invalid_field(
            "invalid_link_days",
            "link_days",
            format!("a link lives 1 to {MAX_LINK_DAYS} days"),
        ));
    }
    let s = SurveySettings {
        thresholds,
        link_days: p.link_days,
    };
    Ok(state
        .db()
        .update_survey_settings(&ctx.actor(), state.clock().now(), &s)
        .await?)
}

#[cfg(test)]
mod tests {
    use crate::i18n::{I18n, Lang};
    use kefu_domain::survey::{LinkError, QuestionKind, SurveyChannel};

    /// The labels built at run time from survey codes exist in both languages.
    #[test]
    fn every_survey_code_has_a_label() {
        let i = I18n::load();
        for lang in [Lang::ZhCn, Lang::En] {
            let keys: std::collections::HashSet<&str> = i.keys(lang).into_iter().collect();
            let mut wanted: Vec<String> = QuestionKind::ALL
                .iter()
                .map(|k| format!("survey_kind.{}", k.code()))
                .collect();
            wanted.extend(
                SurveyChannel::ALL
                    .iter()
                    .map(|c| format!("survey_channel.{}", c.code())),
            );
            wanted.extend((1..=5).map(|n| format!("survey_csat.{n}")));
            for e in [
                LinkError::Forged,
                LinkError::Tampered,
                LinkError::Expired,
                LinkError::Used,
            ] {
                wanted.push(format!("survey_public.{}", e.code()));
                wanted.push(format!("survey_public.{}_title", e.code()));
            }
            wanted.extend(["survey_sent", "survey_answered"].map(|k| format!("event.{k}")));
            for key in &wanted {
                assert!(keys.contains(key.as_str()), "{lang:?} lacks {key}");
            }
        }
    }
}
