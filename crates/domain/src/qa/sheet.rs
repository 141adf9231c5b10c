//! The monthly evaluation sheet (服务质量综合考评表, handbook document 12: "把每人每次检查
//! 情况，详细填写在服务质量综合考评表上……每月汇总上交考核"): an agent's inspections of a
//! month, their average, each criterion's average, weekly values and trend, critical
//! failures and appeals.
//!
//! Criteria are matched by code, so inspections scored on different revisions of a
//! scorecard add up per criterion; a criterion's averages count only the inspections
//! that had it.

use super::appeal::InspectionState;
use super::scorecard::{round1, CriterionScore};
use serde::{Deserialize, Serialize};

/// One inspection of the month (drafts are left out by the caller and ignored here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetInput {
    /// 1..=5, the week of the month of the inspected item.
    pub week: u8,
    /// The final total (after a rescore, if the appeal was upheld).
    pub total: f64,
    pub criteria: Vec<CriterionScore>,
    pub critical_failure: Option<String>,
    pub state: InspectionState,
}

code_enum!(
    /// How a criterion moved from the first half of the month (weeks 1–2, days 1–14) to
    /// the second (weeks 3–5): by at least [`TREND_POINTS`] percentage points up or down,
    /// or less (flat); `none` when a half has no inspection.
    Trend {
        Up = "up",
        Down = "down",
        Flat = "flat",
        None = "none",
    }
);

/// A change of at least this many percentage points is a trend.
pub const TREND_POINTS: f64 = 5.0;

/// One criterion's line on the sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionSheet {
    pub code: String,
    /// The mean percent over the inspections that had this criterion, one decimal.
    pub average_percent: f64,
    /// The mean percent per week (index 0 = week 1), one decimal.
    pub by_week: [Option<f64>; 5],
    pub trend: Trend,
}

/// The month's sheet for one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub count: u32,
    /// The mean total, one decimal; none without inspections.
    pub average: Option<f64>,
    /// In order of first appearance in the inputs.
    pub per_criterion: Vec<CriterionSheet>,
    pub critical_failures: u32,
    /// Inspections the agent appealed (open or decided).
    pub appeals: u32,
    /// Appeals accepted.
    pub upheld: u32,
}

fn mean(sum: f64, n: u32) -> Option<f64> {
    (n > 0).then(|| sum / f64::from(n))
}

/// Sums up the month. Inputs in the order the sheet should list criteria (e.g. by time).
pub fn sheet(inputs: &[SheetInput]) -> Sheet {
    let inputs: Vec<&SheetInput> = inputs
        .iter()
        .filter(|i| i.state != InspectionState::Draft)
        .collect();
    let count = inputs.len() as u32;
    let total: f64 = inputs.iter().map(|i| i.total).sum();

    // Per code: (sum, n) overall, per week, and per half.
    struct Acc {
        code: String,
        all: (f64, u32),
        weeks: [(f64, u32); 5],
        halves: [(f64, u32); 2],
    }
    let mut accs: Vec<Acc> = Vec::new();
    for input in &inputs {
        let week = usize::from(input.week.clamp(1, 5)) - 1;
        let half = usize::from(week >= 2);
        for c in &input.criteria {
            let idx = match accs.iter().position(|a| a.code == c.code) {
                Some(i) => i,
                None => {
                    accs.push(Acc {
                        code: c.code.clone(),
                        all: (0.0, 0),
                        weeks: [(0.0, 0); 5],
                        halves: [(0.0, 0); 2],
                    });
                    accs.len() - 1
                }
            };
            let acc = &mut accs[idx];
            for slot in [&mut acc.all, &mut acc.weeks[week], &mut acc.halves[half]] {
                slot.0 += c.percent;
                slot.1 += 1;
            }
        }
    }

    let per_criterion = accs
        .into_iter()
        .map(|acc| {
            let trend = match (
                mean(acc.halves[0].0, acc.halves[0].1),
                mean(acc.halves[1].0, acc.halves[1].1),
            ) {
                (Some(first), Some(second)) if second - first >= TREND_POINTS => Trend::Up,
                (Some(first), Some(second)) if first - second >= TREND_POINTS => Trend::Down,
                (Some(_), Some(_)) => Trend::Flat,
                _ => Trend::None,
            };
            CriterionSheet {
                average_percent: round1(mean(acc.all.0, acc.all.1).unwrap_or(0.0)),
                by_week: acc.weeks.map(|(sum, n)| mean(sum, n).map(round1)),
                trend,
                code: acc.code,
            }
        })
        .collect();

    let count_if = |f: &dyn Fn(&SheetInput) -> bool| inputs.iter().filter(|i| f(i)).count() as u32;
    Sheet {
        count,
        average: mean(total, count).map(round1),
        per_criterion,
        critical_failures: count_if(&|i| i.critical_failure.is_some()),
        appeals: count_if(&|i| {
            matches!(
                i.state,
                InspectionState::Appealed | InspectionState::Upheld | InspectionState::Rejected
            )
        }),
        upheld: count_if(&|i| i.state == InspectionState::Upheld),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa::scorecard::{score, Answer, Scorecard};

    fn input(week: u8, scores: &[(&str, u8)], state: InspectionState) -> SheetInput {
        let card = Scorecard::handbook();
        let answers: Vec<Answer> = card
            .criteria()
            .iter()
            .map(|c| Answer {
                code: c.code.clone(),
                score: scores
                    .iter()
                    .find(|(code, _)| *code == c.code)
                    .map_or(8, |(_, s)| *s),
                failed: false,
            })
            .collect();
        let r = score(&card, &answers).unwrap();
        SheetInput {
            week,
            total: r.total,
            criteria: r.criteria,
            critical_failure: r.critical_failure,
            state,
        }
    }

    fn line<'a>(sheet: &'a Sheet, code: &str) -> &'a CriterionSheet {
        sheet.per_criterion.iter().find(|c| c.code == code).unwrap()
    }

    #[test]
    fn an_empty_month() {
        let s = sheet(&[]);
        assert_eq!(s.count, 0);
        assert_eq!(s.average, None);
        assert!(s.per_criterion.is_empty());
        assert_eq!((s.critical_failures, s.appeals, s.upheld), (0, 0, 0));
    }

    #[test]
    fn averages_weeks_and_trends() {
        use InspectionState::*;
        let inputs = [
            // Tone 60 → 90 (up), attitude 90 → 70 (down), language 80 → 80 (flat).
            input(
                1,
                &[("tone", 6), ("attitude", 9), ("language", 8)],
                Published,
            ),
            input(
                2,
                &[("tone", 6), ("attitude", 9), ("language", 8)],
                Rejected,
            ),
            input(3, &[("tone", 9), ("attitude", 7), ("language", 7)], Upheld),
            input(
                5,
                &[("tone", 9), ("attitude", 7), ("language", 9)],
                Appealed,
            ),
        ];
        let s = sheet(&inputs);
        assert_eq!(s.count, 4);
        // Totals: 78, 78, 78, 82 → 79.0
        assert_eq!(s.average, Some(79.0));
        assert_eq!(s.appeals, 3);
        assert_eq!(s.upheld, 1);
        assert_eq!(s.critical_failures, 0);
        let codes: Vec<_> = s.per_criterion.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["language", "attitude", "tone", "needs", "response"]);

        let tone = line(&s, "tone");
        assert_eq!(tone.average_percent, 75.0);
        assert_eq!(
            tone.by_week,
            [Some(60.0), Some(60.0), Some(90.0), None, Some(90.0)]
        );
        assert_eq!(tone.trend, Trend::Up);
        assert_eq!(line(&s, "attitude").trend, Trend::Down);
        let language = line(&s, "language");
        assert_eq!(language.trend, Trend::Flat);
        assert_eq!(language.average_percent, 80.0);
        assert_eq!(
            language.by_week,
            [Some(80.0), Some(80.0), Some(70.0), None, Some(90.0)]
        );
        assert_eq!(line(&s, "needs").trend, Trend::Flat);
    }

    #[test]
    fn trend_needs_both_halves_and_five_points() {
        use InspectionState::*;
        let only_first = sheet(&[input(1, &[], Published), input(2, &[], Published)]);
        assert!(only_first
            .per_criterion
            .iter()
            .all(|c| c.trend == Trend::None));
        // Exactly 5 points (70 → 75 on average: 7 and 7 → 7 and 8) is a trend.
        let s = sheet(&[
            input(1, &[("tone", 7)], Published),
            input(4, &[("tone", 7)], Published),
            input(4, &[("tone", 8)], Published),
        ]);
        assert_eq!(line(&s, "tone").trend, Trend::Up);
        assert_eq!(line(&s, "tone").by_week[3], Some(75.0));
        // 4 points is not.
        let mut a = input(1, &[], Published);
        a.criteria[2].percent = 70.0;
        let mut b = input(3, &[], Published);
        b.criteria[2].percent = 74.0;
        assert_eq!(line(&sheet(&[a, b]), "tone").trend, Trend::Flat);
    }

    #[test]
    fn critical_failures_drafts_and_revisions() {
        use InspectionState::*;
        let mut failed = input(2, &[], Published);
        failed.total = 0.0;
        failed.critical_failure = Some("attitude".into());
        let draft = input(1, &[("tone", 0)], Draft);
        // A later revision renamed nothing but dropped "response" and added "script".
        let mut revised = input(4, &[], Published);
        revised.criteria.retain(|c| c.code != "response");
        revised.criteria.push(CriterionScore {
            code: "script".into(),
            score: 4,
            scale_max: 5,
            weight: 10,
            percent: 80.0,
        });
        let s = sheet(&[failed, draft, revised]);
        assert_eq!(s.count, 2, "drafts are not counted");
        assert_eq!(s.critical_failures, 1);
        assert_eq!(s.average, Some(40.0));
        assert_eq!(
            line(&s, "tone").average_percent,
            80.0,
            "the draft's 0 is ignored"
        );
        let response = line(&s, "response");
        assert_eq!(response.by_week, [None, Some(80.0), None, None, None]);
        assert_eq!(response.trend, Trend::None);
        let script = line(&s, "script");
        assert_eq!(script.by_week[3], Some(80.0));
        assert_eq!(s.per_criterion.last().unwrap().code, "script");
    }
}
