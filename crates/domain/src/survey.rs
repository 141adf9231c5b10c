//! Satisfaction surveys (满意度调查): the questions a survey template may ask (CSAT 1–5,
//! NPS 0–10, single and multiple choice, free text), the template's checks, an answer's
//! checks against its template, the dissatisfied rule that reopens work, and the signed
//! link a customer answers through (one answer per link, no log-in).
//!
//! A link is `<invitation id>.<expiry, Unix seconds>.<MAC>`: the MAC is HMAC-SHA256 with
//! the server's secret over both, truncated to 128 bits and compared in constant time.
//! Nothing about the customer is in the link; the invitation row holds the rest.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};

code_enum!(
    /// What a question asks for.
    QuestionKind {
        /// Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
        Csat = "csat",
        /// Net promoter score: how likely to recommend, 0 to 10.
        Nps = "nps",
        Single = "single",
        Multiple = "multiple",
        Text = "text",
    }
);

code_enum!(
    /// How an answer reached kefu: through a link sent by SMS or e-mail, or given to an
    /// agent during a callback (回访).
    SurveyChannel {
        Sms = "sms",
        Email = "email",
        Callback = "callback",
    }
);

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_QUESTIONS: usize = 30;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_TEXT_ANSWER_CHARS: usize = 2_000;

/// One question of a template. `id` is `q1`, `q2`, … in order (given by [`parse_template`]);
/// answers refer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub text: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A question as typed in (kind as its code; options one per entry).
#[derive(Debug, Clone, Default)]
pub struct RawQuestion<'a> {
    pub kind: &'a str,
    pub text: &'a str,
    pub options: Vec<&'a str>,
    pub required: bool,
}

/// Why a template was refused. Questions are numbered from 1, as the form shows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the name must be 1 to {MAX_NAME_CHARS} characters")]
    Name,
    #[error("a survey has 1 to {MAX_QUESTIONS} questions")]
    QuestionCount,
    #[error("question {0}: the text must be 1 to {MAX_QUESTION_CHARS} characters")]
    QuestionText(usize),
    #[error("question {0}: unknown kind {1:?}")]
    UnknownKind(usize, String),
    #[error("question {0}: a choice needs 2 to {MAX_OPTIONS} different options of 1 to {MAX_OPTION_CHARS} characters")]
    Options(usize),
    #[error("question {0}: only choice questions have options")]
    UnexpectedOptions(usize),
    #[error("a survey asks at most one CSAT and one NPS question")]
    DuplicateScore,
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::Name => "invalid_name",
            TemplateError::QuestionCount => "invalid_question_count",
            TemplateError::QuestionText(_) => "invalid_question_text",
            TemplateError::UnknownKind(..) => "invalid_question_kind",
            TemplateError::Options(_) | TemplateError::UnexpectedOptions(_) => "invalid_options",
            TemplateError::DuplicateScore => "duplicate_score_question",
        }
    }

    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            TemplateError::Name => "name",
            _ => "questions",
        }
    }
}

fn chars_within(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max
}

/// Checks a template's name and questions; gives the questions their ids.
pub fn parse_template(
    name: &str,
    questions: &[RawQuestion<'_>],
) -> Result<(String, Vec<Question>), TemplateError> {
    let name = name.trim();
    if !chars_within(name, MAX_NAME_CHARS) {
        return Err(TemplateError::Name);
    }
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(TemplateError::QuestionCount);
    }
    let mut out = Vec::with_capacity(questions.len());
    let (mut csat, mut nps) = (0, 0);
    for (i, q) in questions.iter().enumerate() {
        let n = i + 1;
        let kind = QuestionKind::from_code(q.kind.trim())
            .ok_or_else(|| TemplateError::UnknownKind(n, q.kind.trim().to_string()))?;
        let text = q.text.trim();
        if !chars_within(text, MAX_QUESTION_CHARS) {
            return Err(TemplateError::QuestionText(n));
        }
        let options: Vec<String> = q
            .options
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        match kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                let distinct: BTreeSet<&String> = options.iter().collect();
                if options.len() < 2
                    || options.len() > MAX_OPTIONS
                    || distinct.len() != options.len()
                    || options.iter().any(|o| o.chars().count() > MAX_OPTION_CHARS)
                {
                    return Err(TemplateError::Options(n));
                }
            }
            _ if !options.is_empty() => return Err(TemplateError::UnexpectedOptions(n)),
            QuestionKind::Csat => csat += 1,
            QuestionKind::Nps => nps += 1,
            QuestionKind::Text => {}
        }
        out.push(Question {
            id: format!("q{n}"),
            kind,
            text: text.to_string(),
            options,
            required: q.required,
        });
    }
    if csat > 1 || nps > 1 {
        return Err(TemplateError::DuplicateScore);
    }
    Ok((name.to_string(), out))
}

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Score(i64),
    Choices(Vec<String>),
    Text(String),
}

/// Why an answer was refused; `question` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("question {question}: an answer is required")]
    Missing { question: usize },
    #[error("question {question}: choose a score from {min} to {max}")]
    OutOfRange { question: usize, min: i64, max: i64 },
    #[error("question {question}: choose one of the options")]
    UnknownOption { question: usize },
    #[error("question {question}: choose only one option")]
    NotOne { question: usize },
    #[error("question {question}: at most {MAX_TEXT_ANSWER_CHARS} characters")]
    TooLong { question: usize },
    #[error("no question {0} in this survey")]
    UnknownQuestion(String),
}

impl AnswerError {
    pub fn code(&self) -> &'static str {
        match self {
            AnswerError::Missing { .. } => "answer_required",
            AnswerError::OutOfRange { .. } => "score_out_of_range",
            AnswerError::UnknownOption { .. } | AnswerError::NotOne { .. } => "invalid_choice",
            AnswerError::TooLong { .. } => "answer_too_long",
            AnswerError::UnknownQuestion(_) => "unknown_question",
        }
    }

    /// The question the error is about (1-based), for the page to mark.
    pub fn question(&self) -> Option<usize> {
        match self {
            AnswerError::Missing { question }
            | AnswerError::OutOfRange { question, .. }
            | AnswerError::UnknownOption { question }
            | AnswerError::NotOne { question }
            | AnswerError::TooLong { question } => Some(*question),
            AnswerError::UnknownQuestion(_) => None,
        }
    }
}

/// A checked set of answers, with the CSAT and NPS scores pulled out for statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    /// By question id, only the questions answered.
    pub answers: BTreeMap<String, Answer>,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
}

/// Checks raw answers (question id → the values sent; a form sends one value per
/// checked box) against the template's questions.
pub fn parse_answers(
    questions: &[Question],
    raw: &BTreeMap<String, Vec<String>>,
) -> Result<Answers, AnswerError> {
    if let Some(unknown) = raw.keys().find(|k| !questions.iter().any(|q| &q.id == *k)) {
        return Err(AnswerError::UnknownQuestion(unknown.clone()));
    }
    let mut out = Answers::default();
    for (i, q) in questions.iter().enumerate() {
        let n = i + 1;
        let values: Vec<&str> = raw
            .get(&q.id)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if q.required {
                return Err(AnswerError::Missing { question: n });
            }
            continue;
        }
        let answer = match q.kind {
            QuestionKind::Csat | QuestionKind::Nps => {
                let (min, max) = if q.kind == QuestionKind::Csat {
                    (1, 5)
                } else {
                    (0, 10)
                };
                let range = AnswerError::OutOfRange {
                    question: n,
                    min,
                    max,
                };
                if values.len() != 1 {
                    return Err(range);
                }
                let score: i64 = values[0].parse().map_err(|_| range.clone())?;
                if !(min..=max).contains(&score) {
                    return Err(range);
                }
                if q.kind == QuestionKind::Csat {
                    out.csat = Some(score);
                } else {
                    out.nps = Some(score);
                }
                Answer::Score(score)
            }
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.kind == QuestionKind::Single && values.len() != 1 {
                    return Err(AnswerError::NotOne { question: n });
                }
                let mut chosen: Vec<String> = Vec::with_capacity(values.len());
                for v in values {
                    if !q.options.iter().any(|o| o == v) {
                        return Err(AnswerError::UnknownOption { question: n });
                    }
                    if !chosen.iter().any(|c| c == v) {
                        chosen.push(v.to_string());
                    }
                }
                Answer::Choices(chosen)
            }
            QuestionKind::Text => {
                let text = values.join("\n");
                if text.chars().count() > MAX_TEXT_ANSWER_CHARS {
                    return Err(AnswerError::TooLong { question: n });
                }
                Answer::Text(text)
            }
        };
        out.answers.insert(q.id.clone(), answer);
    }
    Ok(out)
}

/// When an answer counts as dissatisfied (不满意): a CSAT at or below `csat_max`, or an
/// NPS at or below `nps_max`. `None` switches that score off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub csat_max: Option<i64>,
    pub nps_max: Option<i64>,
}

impl Default for Thresholds {
    /// CSAT ≤ 2 (dissatisfied or very dissatisfied) or NPS ≤ 6 (a detractor).
    fn default() -> Self {
        Thresholds {
            csat_max: Some(2),
            nps_max: Some(6),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("the CSAT threshold is 1 to 4 (or empty: off)")]
    Csat,
    #[error("the NPS threshold is 0 to 9 (or empty: off)")]
    Nps,
}

impl ThresholdError {
    pub fn field(&self) -> &'static str {
        match self {
            ThresholdError::Csat => "csat_max",
            ThresholdError::Nps => "nps_max",
        }
    }
}

impl Thresholds {
    /// A threshold that would make every answer dissatisfied (CSAT 5, NPS 10) is refused.
    pub fn new(csat_max: Option<i64>, nps_max: Option<i64>) -> Result<Self, ThresholdError> {
        if csat_max.is_some_and(|c| !(1..=4).contains(&c)) {
            return Err(ThresholdError::Csat);
        }
        if nps_max.is_some_and(|n| !(0..=9).contains(&n)) {
            return Err(ThresholdError::Nps);
        }
        Ok(Thresholds { csat_max, nps_max })
    }

    pub fn is_dissatisfied(&self, csat: Option<i64>, nps: Option<i64>) -> bool {
        let low = |score: Option<i64>, max: Option<i64>| matches!((score, max), (Some(s), Some(m)) if s <= m);
        low(csat, self.csat_max) || low(nps, self.nps_max)
    }
}

/// The average CSAT and the NPS (% promoters 9–10 minus % detractors 0–6) of a set of
/// answers; `None` when there is nothing to average.
pub fn csat_average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| sum as f64 / count as f64)
}

pub fn nps_score(promoters: i64, detractors: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| ((promoters - detractors) as f64 * 100.0 / count as f64).round() as i64)
}

/// Bytes of MAC a link carries (128 bits).
const LINK_MAC_BYTES: usize = 16;
const LINK_CONTEXT: &[u8] = b"kefu-survey-link:v1:";

/// What a link claims before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub invitation_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    mac: Vec<u8>,
}

/// Why a link is refused. None of them says anything about the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link kefu made: malformed, or naming no invitation.
    #[error("this survey link is not valid")]
    Forged,
    /// A real invitation's link with its expiry or signature changed.
    #[error("this survey link has been altered")]
    Tampered,
    #[error("this survey link has expired")]
    Expired,
    #[error("this survey has already been answered")]
    Used,
}

impl LinkError {
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Forged => "survey_link_forged",
            LinkError::Tampered => "survey_link_tampered",
            LinkError::Expired => "survey_link_expired",
            LinkError::Used => "survey_link_used",
        }
    }
}

fn link_mac(secret: &[u8], invitation_id: &str, expires_at: i64) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(LINK_CONTEXT);
    mac.update(invitation_id.as_bytes());
    mac.update(b".");
    mac.update(expires_at.to_string().as_bytes());
    mac
}

/// The token of an invitation's link.
pub fn sign_link(secret: &[u8], invitation_id: &str, expires_at: DateTime<Utc>) -> String {
    let exp = expires_at.timestamp();
    let tag = link_mac(secret, invitation_id, exp).finalize().into_bytes();
    format!(
        "{invitation_id}.{exp}.{}",
        hex::encode(&tag[..LINK_MAC_BYTES])
    )
}

/// Reads a token's parts; a token that is not shaped like one of kefu's is forged.
pub fn parse_link(token: &str) -> Result<LinkClaims, LinkError> {
    let mut parts = token.trim().split('.');
    let (Some(id), Some(exp), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Forged);
    };
    let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    let exp_ok = !exp.is_empty() && exp.len() <= 12 && exp.bytes().all(|b| b.is_ascii_digit());
    let mac = hex::decode(mac).map_err(|_| LinkError::Forged)?;
    if !id_ok || !exp_ok || mac.len() != LINK_MAC_BYTES {
        return Err(LinkError::Forged);
    }
    Ok(LinkClaims {
        invitation_id: id.to_string(),
        expires_at: exp.parse().map_err(|_| LinkError::Forged)?,
        mac,
    })
}

/// What the database knows of the invitation a link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitationFacts {
    pub expires_at: DateTime<Utc>,
    pub answered: bool,
}

/// Decides whether a parsed link may be answered now. `invitation` is the row the link
/// names (`None`: no such invitation). An answered link is reported as used even once
/// it has also expired (the customer is told the answer arrived).
pub fn check_link(
    secret: &[u8],
    claims: &LinkClaims,
    invitation: Option<InvitationFacts>,
    now: DateTime<Utc>,
) -> Result<(), LinkError> {
    let Some(inv) = invitation else {
        return Err(LinkError::Forged);
    };
    // `verify_truncated_left` compares in constant time.
    link_mac(secret, &claims.invitation_id, claims.expires_at)
        .verify_truncated_left(&claims.mac)
        .map_err(|_| LinkError::Tampered)?;
    if claims.expires_at != inv.expires_at.timestamp() {
        return Err(LinkError::Tampered);
    }
    if inv.answered {
        return Err(LinkError::Used);
    }
    if now.timestamp() >= claims.expires_at {
        return Err(LinkError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
