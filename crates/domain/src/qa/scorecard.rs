//! Scorecards (评分表) and the score arithmetic.
//!
//! A scorecard is a list of criteria, each with a weight, a scale (a score is
//! `0..=scale_max`) and whether it is critical: a critical failure (e.g. a rude or abusive
//! call under 服务态度) sets the inspection's total to zero. A scorecard in use is revised by
//! storing a new [`Scorecard`]; a past [`ScoreResult`] carries its own weights and scales,
//! so it never changes when the scorecard does.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// At most this many criteria on one scorecard.
pub const MAX_CRITERIA: usize = 30;
/// A criterion's name, trimmed, is at most this many characters.
pub const MAX_NAME_CHARS: usize = 40;
/// A criterion's description is at most this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// A criterion's code is at most this many characters of `[a-z0-9_]`.
pub const MAX_CODE_CHARS: usize = 32;

/// One thing the inspector scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable across revisions: the evaluation sheet matches criteria by code.
    pub code: String,
    pub name: String,
    /// What the inspector listens for.
    pub description: String,
    /// 1..=100, relative to the other criteria's weights.
    pub weight: u32,
    /// 1..=10; a score is `0..=scale_max`.
    pub scale_max: u8,
    /// A failure on a critical criterion sets the whole inspection's total to 0.
    pub critical: bool,
}

/// A checked list of criteria (build it with [`Scorecard::parse`]). Serialized as the JSON
/// array of its criteria, and checked again when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Criterion>", into = "Vec<Criterion>")]
pub struct Scorecard {
    criteria: Vec<Criterion>,
}

/// Why a list of criteria is not a scorecard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScorecardError {
    #[error("a scorecard needs at least one criterion")]
    Empty,
    #[error("a scorecard has at most {MAX_CRITERIA} criteria")]
    TooMany,
    #[error("criterion code {0:?} must be 1–{MAX_CODE_CHARS} characters of a–z, 0–9 and _")]
    CodeInvalid(String),
    #[error("criterion code {0:?} is used twice")]
    CodeDuplicate(String),
    #[error("criterion {0:?}: the name must be 1–{MAX_NAME_CHARS} characters")]
    NameInvalid(String),
    #[error("criterion {0:?}: the description is at most {MAX_DESCRIPTION_CHARS} characters")]
    DescriptionTooLong(String),
    #[error("criterion {0:?}: the weight must be 1–100")]
    WeightOutOfRange(String),
    #[error("criterion {0:?}: the scale must be 1–10")]
    ScaleOutOfRange(String),
}

impl ScorecardError {
    pub fn code(&self) -> &'static str {
        match self {
            ScorecardError::Empty => "qa.scorecard_empty",
            ScorecardError::TooMany => "qa.scorecard_too_many",
            ScorecardError::CodeInvalid(_) => "qa.criterion_code_invalid",
            ScorecardError::CodeDuplicate(_) => "qa.criterion_code_duplicate",
            ScorecardError::NameInvalid(_) => "qa.criterion_name_invalid",
            ScorecardError::DescriptionTooLong(_) => "qa.criterion_description_too_long",
            ScorecardError::WeightOutOfRange(_) => "qa.criterion_weight_out_of_range",
            ScorecardError::ScaleOutOfRange(_) => "qa.criterion_scale_out_of_range",
        }
    }
}

fn valid_code(code: &str) -> bool {
    (1..=MAX_CODE_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Scorecard {
    /// Checks the criteria (names and descriptions are trimmed) and builds the scorecard.
    pub fn parse(criteria: Vec<Criterion>) -> Result<Scorecard, ScorecardError> {
        if criteria.is_empty() {
            return Err(ScorecardError::Empty);
        }
        if criteria.len() > MAX_CRITERIA {
            return Err(ScorecardError::TooMany);
        }
        let mut seen = HashSet::new();
        let mut checked = Vec::with_capacity(criteria.len());
        for mut c in criteria {
            if !valid_code(&c.code) {
                return Err(ScorecardError::CodeInvalid(c.code));
            }
            if !seen.insert(c.code.clone()) {
                return Err(ScorecardError::CodeDuplicate(c.code));
            }
            c.name = c.name.trim().to_owned();
            if c.name.is_empty() || c.name.chars().count() > MAX_NAME_CHARS {
                return Err(ScorecardError::NameInvalid(c.code));
            }
            c.description = c.description.trim().to_owned();
            if c.description.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(ScorecardError::DescriptionTooLong(c.code));
            }
            if !(1..=100).contains(&c.weight) {
                return Err(ScorecardError::WeightOutOfRange(c.code));
            }
            if !(1..=10).contains(&c.scale_max) {
                return Err(ScorecardError::ScaleOutOfRange(c.code));
            }
            checked.push(c);
        }
        Ok(Scorecard { criteria: checked })
    }

    /// The handbook's five criteria (document 12: 服务用语、服务态度、语气语调、客户需求的归纳
    /// 能力、接待客户应变能力), each weight 20 on a 0–10 scale; 服务态度 is critical.
    pub fn handbook() -> Scorecard {
        let c = |code: &str, name: &str, description: &str, critical: bool| Criterion {
            code: code.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            weight: 20,
            scale_max: 10,
            critical,
        };
        Scorecard::parse(vec![
            c(
                "language",
                "服务用语",
                "使用规范服务用语：问候、自报工号、礼貌称呼和结束语，不说服务禁语。",
                false,
            ),
            c(
                "attitude",
                "服务态度",
                "热情耐心、主动服务，不推诿、不顶撞；辱骂或恶劣对待客户判为致命差错，本次质检计零分。",
                true,
            ),
            c(
                "tone",
                "语气语调",
                "语气亲切平和，语速适中，吐字清晰，不急躁、不生硬。",
                false,
            ),
            c(
                "needs",
                "客户需求归纳能力",
                "准确倾听并归纳客户的问题和需求，复述确认，不答非所问。",
                false,
            ),
            c(
                "response",
                "接待应变能力",
                "面对疑难问题或情绪激动的客户能灵活应对、及时安抚，给出可行方案或正确转接。",
                false,
            ),
        ])
        .expect("the handbook scorecard is valid")
    }

    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    pub fn criterion(&self, code: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.code == code)
    }

    /// True when both scorecards score the same way: the same codes in the same order with
    /// the same weights, scales and critical flags (names and descriptions may differ). A
    /// revision that is not the same shape must be stored as a new revision.
    pub fn same_shape(&self, other: &Scorecard) -> bool {
        self.criteria.len() == other.criteria.len()
            && self.criteria.iter().zip(&other.criteria).all(|(a, b)| {
                a.code == b.code
                    && a.weight == b.weight
                    && a.scale_max == b.scale_max
                    && a.critical == b.critical
            })
    }
}

impl TryFrom<Vec<Criterion>> for Scorecard {
    type Error = ScorecardError;
    fn try_from(criteria: Vec<Criterion>) -> Result<Self, Self::Error> {
        Scorecard::parse(criteria)
    }
}

impl From<Scorecard> for Vec<Criterion> {
    fn from(card: Scorecard) -> Self {
        card.criteria
    }
}

/// The inspector's score on one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub code: String,
    pub score: u8,
    /// A critical failure; only allowed on a critical criterion.
    #[serde(default)]
    pub failed: bool,
}

/// One criterion's part of a result, with the weight and scale it was scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub code: String,
    pub score: u8,
    pub scale_max: u8,
    pub weight: u32,
    /// score / scale_max × 100, one decimal.
    pub percent: f64,
}

/// A scored inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResult {
    /// 0.0..=100.0, one decimal; 0.0 on a critical failure.
    pub total: f64,
    /// In the scorecard's order.
    pub criteria: Vec<CriterionScore>,
    /// The code of the first critical criterion marked failed.
    pub critical_failure: Option<String>,
}

/// Why a set of answers cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("criterion {0:?} is not scored")]
    CriterionMissing(String),
    #[error("criterion {0:?} is scored twice")]
    CriterionDuplicate(String),
    #[error("criterion {0:?} is not on this scorecard")]
    CriterionUnknown(String),
    #[error("criterion {code:?}: the score {score} is above the scale's {scale_max}")]
    ScoreOutOfRange {
        code: String,
        score: u8,
        scale_max: u8,
    },
    #[error("criterion {0:?} is not critical, so it cannot be marked as a critical failure")]
    FailedNotCritical(String),
}

impl ScoreError {
    pub fn code(&self) -> &'static str {
        match self {
            ScoreError::CriterionMissing(_) => "qa.criterion_missing",
            ScoreError::CriterionDuplicate(_) => "qa.criterion_duplicate",
            ScoreError::CriterionUnknown(_) => "qa.criterion_unknown",
            ScoreError::ScoreOutOfRange { .. } => "qa.score_out_of_range",
            ScoreError::FailedNotCritical(_) => "qa.failed_not_critical",
        }
    }
}

/// Rounds to one decimal.
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores `answers` against `card`: every criterion answered exactly once, no unknown
/// codes, no score above its scale. Total = Σ(weight × score/scale_max) / Σweight × 100,
/// one decimal; any critical failure makes the total 0.0.
pub fn score(card: &Scorecard, answers: &[Answer]) -> Result<ScoreResult, ScoreError> {
    let mut seen = HashSet::new();
    for a in answers {
        let Some(c) = card.criterion(&a.code) else {
            return Err(ScoreError::CriterionUnknown(a.code.clone()));
        };
        if !seen.insert(a.code.as_str()) {
            return Err(ScoreError::CriterionDuplicate(a.code.clone()));
        }
        if a.score > c.scale_max {
            return Err(ScoreError::ScoreOutOfRange {
                code: a.code.clone(),
                score: a.score,
                scale_max: c.scale_max,
            });
        }
        if a.failed && !c.critical {
            return Err(ScoreError::FailedNotCritical(a.code.clone()));
        }
    }
    let mut criteria = Vec::with_capacity(card.criteria.len());
    let mut critical_failure = None;
    let (mut weighted, mut weights) = (0.0, 0.0);
    for c in &card.criteria {
        let Some(a) = answers.iter().find(|a| a.code == c.code) else {
            return Err(ScoreError::CriterionMissing(c.code.clone()));
        };
        if a.failed && critical_failure.is_none() {
            critical_failure = Some(c.code.clone());
        }
        let fraction = f64::from(a.score) / f64::from(c.scale_max);
        weighted += f64::from(c.weight) * fraction;
        weights += f64::from(c.weight);
        criteria.push(CriterionScore {
            code: c.code.clone(),
            score: a.score,
            scale_max: c.scale_max,
            weight: c.weight,
            percent: round1(fraction * 100.0),
        });
    }
    let total = if critical_failure.is_some() {
        0.0
    } else {
        round1(weighted / weights * 100.0)
    };
    Ok(ScoreResult {
        total,
        criteria,
        critical_failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crit(code: &str, weight: u32, scale_max: u8, critical: bool) -> Criterion {
        Criterion {
            code: code.into(),
            name: format!("名称{code}"),
            description: String::new(),
            weight,
            scale_max,
            critical,
        }
    }

    fn ans(code: &str, score: u8) -> Answer {
        Answer {
            code: code.into(),
            score,
            failed: false,
        }
    }

    fn handbook_answers(scores: [u8; 5]) -> Vec<Answer> {
        ["language", "attitude", "tone", "needs", "response"]
            .iter()
            .zip(scores)
            .map(|(c, s)| ans(c, s))
            .collect()
    }

    #[test]
    fn handbook_scorecard_has_the_five_criteria() {
        let card = Scorecard::handbook();
        let names: Vec<_> = card.criteria().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "服务用语",
                "服务态度",
                "语气语调",
                "客户需求归纳能力",
                "接待应变能力"
            ]
        );
        let critical: Vec<_> = card
            .criteria()
            .iter()
            .filter(|c| c.critical)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(critical, ["attitude"]);
        assert!(card
            .criteria()
            .iter()
            .all(|c| c.weight == 20 && c.scale_max == 10 && !c.description.is_empty()));
    }

    #[test]
    fn parse_rejects_bad_scorecards_with_stable_codes() {
        let code = |v: Vec<Criterion>| Scorecard::parse(v).unwrap_err().code();
        assert_eq!(code(vec![]), "qa.scorecard_empty");
        let many = (0..31)
            .map(|i| crit(&format!("c{i}"), 1, 5, false))
            .collect();
        assert_eq!(code(many), "qa.scorecard_too_many");
        assert_eq!(
            code(vec![crit("Tone", 1, 5, false)]),
            "qa.criterion_code_invalid"
        );
        assert_eq!(
            code(vec![crit("", 1, 5, false)]),
            "qa.criterion_code_invalid"
        );
        assert_eq!(
            code(vec![crit(&"a".repeat(33), 1, 5, false)]),
            "qa.criterion_code_invalid"
        );
        assert_eq!(
            code(vec![crit("a", 1, 5, false), crit("a", 2, 5, false)]),
            "qa.criterion_code_duplicate"
        );
        let mut blank = crit("a", 1, 5, false);
        blank.name = "   ".into();
        assert_eq!(code(vec![blank]), "qa.criterion_name_invalid");
        let mut long = crit("a", 1, 5, false);
        long.name = "长".repeat(41);
        assert_eq!(code(vec![long]), "qa.criterion_name_invalid");
        let mut desc = crit("a", 1, 5, false);
        desc.description = "说".repeat(501);
        assert_eq!(code(vec![desc]), "qa.criterion_description_too_long");
        assert_eq!(
            code(vec![crit("a", 0, 5, false)]),
            "qa.criterion_weight_out_of_range"
        );
        assert_eq!(
            code(vec![crit("a", 101, 5, false)]),
            "qa.criterion_weight_out_of_range"
        );
        assert_eq!(
            code(vec![crit("a", 1, 0, false)]),
            "qa.criterion_scale_out_of_range"
        );
        assert_eq!(
            code(vec![crit("a", 1, 11, false)]),
            "qa.criterion_scale_out_of_range"
        );
        // The limits themselves are accepted, and names are trimmed.
        let mut edge = crit("a_9", 100, 10, true);
        edge.name = format!(" {} ", "长".repeat(40));
        let card = Scorecard::parse(vec![edge, crit("b", 1, 1, false)]).unwrap();
        assert_eq!(card.criteria()[0].name, "长".repeat(40));
    }

    #[test]
    fn total_is_the_weighted_percentage_rounded_to_one_decimal() {
        let card = Scorecard::handbook();
        let full = score(&card, &handbook_answers([10; 5])).unwrap();
        assert_eq!(full.total, 100.0);
        assert_eq!(full.critical_failure, None);
        let r = score(&card, &handbook_answers([8, 9, 7, 10, 6])).unwrap();
        assert_eq!(r.total, 80.0);
        assert_eq!(r.criteria[2].percent, 70.0);
        assert_eq!(score(&card, &handbook_answers([0; 5])).unwrap().total, 0.0);

        // Unequal weights and scales: (3×2/3 + 1×1/5) / 4 × 100 = 55.0
        let card = Scorecard::parse(vec![crit("a", 3, 3, false), crit("b", 1, 5, false)]).unwrap();
        let r = score(&card, &[ans("b", 1), ans("a", 2)]).unwrap();
        assert_eq!(r.total, 55.0);
        assert_eq!(
            r.criteria[0].code, "a",
            "results follow the scorecard's order"
        );
        assert_eq!(r.criteria[0].percent, 66.7);
        assert_eq!(r.criteria[1].percent, 20.0);
        // 1/3 → 33.333… → 33.3
        let card = Scorecard::parse(vec![crit("a", 1, 3, false)]).unwrap();
        assert_eq!(score(&card, &[ans("a", 1)]).unwrap().total, 33.3);
    }

    #[test]
    fn a_critical_failure_zeroes_the_total() {
        let card = Scorecard::handbook();
        let mut answers = handbook_answers([10, 9, 10, 10, 10]);
        answers[1].failed = true;
        let r = score(&card, &answers).unwrap();
        assert_eq!(r.total, 0.0);
        assert_eq!(r.critical_failure.as_deref(), Some("attitude"));
        // The criteria still carry what was scored.
        assert_eq!(r.criteria[1].score, 9);
        assert_eq!(r.criteria[0].percent, 100.0);
    }

    #[test]
    fn bad_answers_are_refused_with_stable_codes() {
        let card = Scorecard::handbook();
        let code = |a: Vec<Answer>| score(&card, &a).unwrap_err().code();
        let mut missing = handbook_answers([5; 5]);
        missing.pop();
        assert_eq!(code(missing), "qa.criterion_missing");
        let mut twice = handbook_answers([5; 5]);
        twice.push(ans("tone", 3));
        assert_eq!(code(twice), "qa.criterion_duplicate");
        let mut unknown = handbook_answers([5; 5]);
        unknown.push(ans("speed", 3));
        assert_eq!(code(unknown), "qa.criterion_unknown");
        assert_eq!(
            code(handbook_answers([5, 5, 11, 5, 5])),
            "qa.score_out_of_range"
        );
        let mut not_critical = handbook_answers([5; 5]);
        not_critical[0].failed = true;
        assert_eq!(code(not_critical), "qa.failed_not_critical");
    }

    #[test]
    fn a_past_result_is_unchanged_by_a_revision() {
        let rev1 = Scorecard::handbook();
        let answers = handbook_answers([8, 9, 7, 10, 6]);
        let past = score(&rev1, &answers).unwrap();
        let stored = serde_json::to_string(&past).unwrap();

        // Revision 2 doubles the weight of attitude, changes tone's scale and adds a criterion.
        let mut criteria = rev1.criteria().to_vec();
        criteria[1].weight = 40;
        criteria[2].scale_max = 5;
        criteria.push(crit("script", 10, 5, false));
        let rev2 = Scorecard::parse(criteria).unwrap();
        assert!(!rev1.same_shape(&rev2));
        let mut renamed = rev1.criteria().to_vec();
        renamed[0].name = "规范用语".into();
        assert!(rev1.same_shape(&Scorecard::parse(renamed).unwrap()));

        // Scoring against revision 1 again gives the same result, and what was stored reads
        // back identical: the result carries its own weights and scales.
        assert_eq!(score(&rev1, &answers).unwrap(), past);
        let back: ScoreResult = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, past);
        assert_eq!(back.criteria[1].weight, 20);
        assert_eq!(back.criteria[2].scale_max, 10);
        // The old answers do not fit revision 2 (a criterion is missing, tone's 7 > 5).
        assert_eq!(
            score(&rev2, &answers).unwrap_err().code(),
            "qa.score_out_of_range"
        );
    }

    #[test]
    fn scorecard_json_is_checked_when_read_back() {
        let card = Scorecard::handbook();
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.starts_with('['));
        assert_eq!(serde_json::from_str::<Scorecard>(&json).unwrap(), card);
        let bad = r#"[{"code":"a","name":"x","description":"","weight":0,"scale_max":5,"critical":false}]"#;
        assert!(serde_json::from_str::<Scorecard>(bad).is_err());
    }
}
