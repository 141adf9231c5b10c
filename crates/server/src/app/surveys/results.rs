//! The results (`survey.view`): answers newest first, filtered by template, answer days
//! and dissatisfied only, with the average CSAT and the NPS of the same selection.

use crate::app::complaints::{day_start, parse_day};
use crate::app::{page_limit, rfc3339, short_time};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::survey::{csat_average, nps_score, Answer, Question};
use kefu_domain::Permission;
use kefu_store::surveys::{ResponseFilter, ResponseRow, ResponseSummary};
use kefu_store::Page;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsParams {
    pub template_id: Option<String>,
    pub customer_id: Option<String>,
    /// First answer day, `2026-11-01` (China time).
    pub from: Option<String>,
    /// Last answer day, inclusive.
    pub to: Option<String>,
    /// Only dissatisfied answers.
    pub dissatisfied: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerLine {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponseView {
    pub id: String,
    pub template_id: String,
    pub template_name: String,
    pub customer_id: String,
    pub customer_name: String,
    pub ticket_number: Option<String>,
    pub callback_id: Option<String>,
    /// The agent who recorded it (answers through a link have none).
    pub answered_by: Option<String>,
    /// sms, email or callback
    pub channel: String,
    pub answers: Vec<AnswerLine>,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub dissatisfied: bool,
    pub followup_ticket_id: Option<String>,
    pub followup_number: Option<String>,
    pub created_at: String,
    #[serde(skip)]
    pub short_created: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryView {
    pub answers: i64,
    pub dissatisfied: i64,
    pub csat_count: i64,
    /// Average CSAT (1–5), two decimals.
    pub csat_average: Option<f64>,
    pub nps_count: i64,
    /// % promoters (9–10) minus % detractors (0–6).
    pub nps: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultsView {
    pub summary: SummaryView,
    pub items: Vec<ResponseView>,
    pub next_cursor: Option<String>,
}

pub fn summary_view(s: &ResponseSummary) -> SummaryView {
    SummaryView {
        answers: s.answers,
        dissatisfied: s.dissatisfied,
        csat_count: s.csat_count,
        csat_average: csat_average(s.csat_sum, s.csat_count).map(|a| (a * 100.0).round() / 100.0),
        nps_count: s.nps_count,
        nps: nps_score(s.promoters, s.detractors, s.nps_count),
    }
}

fn answer_lines(questions: Option<&Vec<Question>>, json: &str) -> Vec<AnswerLine> {
    let answers: BTreeMap<String, Answer> = serde_json::from_str(json).unwrap_or_default();
    let Some(questions) = questions else {
        return Vec::new();
    };
    questions
        .iter()
        .filter_map(|q| {
            let answer = match answers.get(&q.id)? {
                Answer::Score(n) => n.to_string(),
                Answer::Choices(c) => c.join("、"),
                Answer::Text(t) => t.clone(),
            };
            Some(AnswerLine {
                question: q.text.clone(),
                answer,
            })
        })
        .collect()
}

pub fn response_view(r: &ResponseRow, questions: Option<&Vec<Question>>) -> ResponseView {
    ResponseView {
        id: r.id.clone(),
        template_id: r.template_id.clone(),
        template_name: r.template_name.clone(),
        customer_id: r.customer_id.clone(),
        customer_name: r.customer_name.clone(),
        ticket_number: r.ticket_number.clone(),
        callback_id: r.callback_id.clone(),
        answered_by: r.answered_by_name.clone(),
        channel: r.channel.clone(),
        answers: answer_lines(questions, &r.answers),
        csat: r.csat,
        nps: r.nps,
        dissatisfied: r.dissatisfied != 0,
        followup_ticket_id: r.followup_ticket_id.clone(),
        followup_number: r.followup_number.clone(),
        created_at: rfc3339(r.created_at),
        short_created: short_time(r.created_at),
    }
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The answers and scores a filter selects.
pub async fn results(
    state: &AppState,
    ctx: &Ctx,
    p: &ResultsParams,
) -> Result<ResultsView, AppError> {
    ctx.require(Permission::SurveyView)?;
    let from = parse_day("from", p.from.as_deref())?;
    let to = parse_day("to", p.to.as_deref())?;
    let filter = ResponseFilter {
        template_id: some(&p.template_id),
        customer_id: some(&p.customer_id),
        dissatisfied_only: p.dissatisfied.unwrap_or(false),
        from: from.map(day_start),
        to: to.map(|d| day_start(d + Duration::days(1))),
    };
    let page: Page<ResponseRow> = state
        .db()
        .list_survey_responses(&filter, p.cursor.as_deref(), page_limit(p.limit))
        .await?;
    let summary = state.db().summarize_survey_responses(&filter).await?;
    // One read of the templates for every row's question texts.
    let questions: HashMap<String, Vec<Question>> = state
        .db()
        .list_survey_templates(false)
        .await?
        .into_iter()
        .map(|t| (t.id, t.questions))
        .collect();
    Ok(ResultsView {
        summary: summary_view(&summary),
        items: page
            .items
            .iter()
            .map(|r| response_view(r, questions.get(&r.template_id)))
            .collect(),
        next_cursor: page.next_cursor,
    })
}
