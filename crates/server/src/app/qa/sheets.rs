//! What inspection adds up to: the evaluation sheet per agent per month (服务质量综合考评表:
//! every inspection, the average and trend per criterion, critical failures, appeals),
//! the monthly QA report over all agents, the weekly summary (common problems and the
//! training plan, linked to inspections); their workbooks are in [`super::xlsx`].

use super::inspections::{self, InspectionView};
use super::sampling::Person;
use super::{sees_all, week_monday, Month};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::qa::{sheet, InspectionState, SheetInput};
use kefu_domain::Permission;
use kefu_store::qa::SummaryPoint;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionLine {
    pub code: String,
    pub name: String,
    pub average_percent: f64,
    /// Weeks 1–5 of the month.
    pub by_week: Vec<Option<f64>>,
    /// up, down, flat or none (first half of the month against the second).
    pub trend: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetView {
    pub agent: Person,
    pub month: String,
    pub count: u32,
    pub average: Option<f64>,
    pub criteria: Vec<CriterionLine>,
    pub critical_failures: u32,
    pub appeals: u32,
    pub upheld: u32,
    pub inspections: Vec<InspectionView>,
}

/// The states that count on a sheet (not drafts).
fn counted() -> Vec<String> {
    InspectionState::ALL
        .iter()
        .filter(|s| s.visible_to_agent())
        .map(|s| s.code().to_string())
        .collect()
}

/// Criterion names by code, from the revisions the inspections were scored with (the
/// newest name wins when a revision renamed one).
async fn criterion_names(
    state: &AppState,
    views: &[InspectionView],
) -> Result<BTreeMap<String, String>, AppError> {
    let mut revisions: Vec<(String, i64)> = views
        .iter()
        .map(|v| (v.scorecard_id.clone(), v.revision))
        .collect();
    revisions.sort();
    revisions.dedup();
    let mut names = BTreeMap::new();
    for (id, rev) in revisions {
        for c in state.db().qa_scorecard_revision(&id, rev).await?.criteria() {
            names.insert(c.code.clone(), c.name.clone());
        }
    }
    Ok(names)
}

fn sum_up(
    agent: Person,
    month: &str,
    views: Vec<InspectionView>,
    names: &BTreeMap<String, String>,
) -> SheetView {
    let inputs: Vec<SheetInput> = views
        .iter()
        .filter_map(|v| {
            let result = v.result.as_ref()?;
            Some(SheetInput {
                week: v.week.clamp(1, 5) as u8,
                total: result.total,
                criteria: result.criteria.clone(),
                critical_failure: result.critical_failure.clone(),
                state: InspectionState::from_code(&v.state)?,
            })
        })
        .collect();
    let s = sheet(&inputs);
    SheetView {
        agent,
        month: month.to_string(),
        count: s.count,
        average: s.average,
        criteria: s
            .per_criterion
            .into_iter()
            .map(|c| CriterionLine {
                name: names
                    .get(&c.code)
                    .cloned()
                    .unwrap_or_else(|| c.code.clone()),
                code: c.code,
                average_percent: c.average_percent,
                by_week: c.by_week.to_vec(),
                trend: c.trend.code().to_string(),
            })
            .collect(),
        critical_failures: s.critical_failures,
        appeals: s.appeals,
        upheld: s.upheld,
        inspections: views,
    }
}

/// One agent's evaluation sheet: their own, or anyone's for quality inspection.
pub async fn agent_sheet(
    state: &AppState,
    ctx: &Ctx,
    agent_id: &str,
    month: &str,
) -> Result<SheetView, AppError> {
    let agent_id = if agent_id == "me" {
        ctx.user_id.as_str()
    } else {
        agent_id
    };
    if agent_id != ctx.user_id && !sees_all(ctx) {
        return Err(AppError::NotFound("evaluation sheet"));
    }
    let month = Month::parse(month)?;
    let user = state
        .db()
        .get_user(agent_id)
        .await
        .map_err(AppError::store_missing("agent"))?;
    let f = kefu_store::qa::InspectionFilter {
        month: Some(month.code.clone()),
        agent_id: Some(agent_id.to_string()),
        inspector_id: None,
        states: counted(),
    };
    let mut views: Vec<InspectionView> = state
        .db()
        .list_qa_inspections(&f)
        .await?
        .into_iter()
        .map(inspections::view_of)
        .collect::<Result<_, _>>()?;
    views.sort_by(|a, b| (a.week, &a.occurred_at).cmp(&(b.week, &b.occurred_at)));
    let names = criterion_names(state, &views).await?;
    Ok(sum_up(
        Person {
            id: user.id,
            name: user.display_name,
        },
        &month.code,
        views,
        &names,
    ))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportLine {
    pub agent: Person,
    pub count: u32,
    pub average: Option<f64>,
    pub critical_failures: u32,
    pub appeals: u32,
    pub upheld: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlyReport {
    pub month: String,
    pub inspections: u32,
    pub average: Option<f64>,
    /// Per criterion over every agent.
    pub criteria: Vec<CriterionLine>,
    pub agents: Vec<ReportLine>,
    /// The month's weekly summaries' problems (the common problems of the month).
    pub problems: Vec<String>,
}

/// The monthly QA report (月度质检报告): every agent's line and the center's averages.
pub async fn monthly_report(
    state: &AppState,
    ctx: &Ctx,
    month: &str,
) -> Result<MonthlyReport, AppError> {
    if !sees_all(ctx) {
        return Err(AppError::Forbidden(Permission::QaManage));
    }
    let month = Month::parse(month)?;
    let f = kefu_store::qa::InspectionFilter {
        month: Some(month.code.clone()),
        states: counted(),
        ..Default::default()
    };
    let views: Vec<InspectionView> = state
        .db()
        .list_qa_inspections(&f)
        .await?
        .into_iter()
        .map(inspections::view_of)
        .collect::<Result<_, _>>()?;
    let names = criterion_names(state, &views).await?;
    let center = sum_up(
        Person {
            id: String::new(),
            name: String::new(),
        },
        &month.code,
        views.clone(),
        &names,
    );
    let mut by_agent: BTreeMap<(String, String), Vec<InspectionView>> = BTreeMap::new();
    for v in views {
        by_agent
            .entry((v.agent.name.clone(), v.agent.id.clone()))
            .or_default()
            .push(v);
    }
    let agents = by_agent
        .into_iter()
        .map(|((name, id), vs)| {
            let s = sum_up(Person { id, name }, &month.code, vs, &names);
            ReportLine {
                agent: s.agent,
                count: s.count,
                average: s.average,
                critical_failures: s.critical_failures,
                appeals: s.appeals,
                upheld: s.upheld,
            }
        })
        .collect();
    // The weeks whose Monday falls in the month.
    let mut problems = Vec::new();
    let mut day = week_monday(
        &month
            .start
            .with_timezone(&super::center_offset())
            .format("%Y-%m-%d")
            .to_string(),
    )?;
    let last = month
        .end
        .with_timezone(&super::center_offset())
        .date_naive();
    while day < last {
        if let Some(s) = state
            .db()
            .get_qa_summary(&day.format("%Y-%m-%d").to_string())
            .await?
        {
            problems.extend(s.problems.into_iter().map(|p| p.text));
        }
        day += chrono::Duration::days(7);
    }
    Ok(MonthlyReport {
        month: month.code,
        inspections: center.count,
        average: center.average,
        criteria: center.criteria,
        agents,
        problems,
    })
}

// ---- the weekly summary ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PointPayload {
    pub text: String,
    /// Inspections that show it.
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummaryPayload {
    pub problems: Vec<PointPayload>,
    pub training: Vec<PointPayload>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryView {
    /// The Monday, `YYYY-MM-DD`.
    pub week: String,
    pub problems: Vec<PointPayload>,
    pub training: Vec<PointPayload>,
    pub updated_by: Option<String>,
    /// The inspections of items of that week (what the points may link to).
    pub inspections: Vec<InspectionView>,
}

fn points(p: Vec<SummaryPoint>) -> Vec<PointPayload> {
    p.into_iter()
        .map(|p| PointPayload {
            text: p.text,
            evidence: p.evidence,
        })
        .collect()
}

/// The inspections (not drafts) of items that happened in the week of `monday`.
async fn week_inspections(
    state: &AppState,
    monday: chrono::NaiveDate,
) -> Result<Vec<InspectionView>, AppError> {
    let start = Month::parse(&monday.format("%Y-%m").to_string())?;
    let sunday = monday + chrono::Duration::days(6);
    let mut months = vec![start.code.clone()];
    let end_month = sunday.format("%Y-%m").to_string();
    if end_month != start.code {
        months.push(end_month);
    }
    let from = monday.format("%Y-%m-%d").to_string();
    let to = sunday.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    for m in months {
        let f = kefu_store::qa::InspectionFilter {
            month: Some(m),
            states: counted(),
            ..Default::default()
        };
        for r in state.db().list_qa_inspections(&f).await? {
            let v = inspections::view_of(r)?;
            let day = &v.occurred_at[..10];
            if day >= from.as_str() && day <= to.as_str() {
                out.push(v);
            }
        }
    }
    Ok(out)
}

pub async fn summary(state: &AppState, ctx: &Ctx, week: &str) -> Result<SummaryView, AppError> {
    if !sees_all(ctx) {
        return Err(AppError::Forbidden(Permission::QaInspect));
    }
    let monday = week_monday(week)?;
    let code = monday.format("%Y-%m-%d").to_string();
    let stored = state.db().get_qa_summary(&code).await?;
    let inspections = week_inspections(state, monday).await?;
    Ok(match stored {
        Some(s) => SummaryView {
            week: s.week,
            problems: points(s.problems),
            training: points(s.training),
            updated_by: s.updated_by_name,
            inspections,
        },
        None => SummaryView {
            week: code,
            problems: Vec::new(),
            training: Vec::new(),
            updated_by: None,
            inspections,
        },
    })
}

/// The longest point, in characters, and the most points per list.
const MAX_POINT_CHARS: usize = 500;
const MAX_POINTS: usize = 30;

fn check_points(
    field: &'static str,
    list: &[PointPayload],
    known: &[String],
) -> Result<Vec<SummaryPoint>, AppError> {
    if list.len() > MAX_POINTS {
        return Err(AppError::invalid_field(
            "qa.too_many_points",
            field,
            format!("at most {MAX_POINTS} points"),
        ));
    }
    list.iter()
        .filter(|p| !p.text.trim().is_empty())
        .map(|p| {
            let text = p.text.trim();
            if text.chars().count() > MAX_POINT_CHARS {
                return Err(AppError::invalid_field(
                    "qa.point_too_long",
                    field,
                    format!("a point is at most {MAX_POINT_CHARS} characters"),
                ));
            }
            if let Some(bad) = p.evidence.iter().find(|e| !known.contains(e)) {
                return Err(AppError::invalid_field(
                    "qa.unknown_evidence",
                    field,
                    format!("{bad} is not an inspection of this week"),
                ));
            }
            Ok(SummaryPoint {
                text: text.to_string(),
                evidence: p.evidence.clone(),
            })
        })
        .collect()
}

pub async fn save_summary(
    state: &AppState,
    ctx: &Ctx,
    week: &str,
    p: &SummaryPayload,
) -> Result<SummaryView, AppError> {
    ctx.require(Permission::QaInspect)?;
    let monday = week_monday(week)?;
    let code = monday.format("%Y-%m-%d").to_string();
    let known: Vec<String> = week_inspections(state, monday)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let problems = check_points("problems", &p.problems, &known)?;
    let training = check_points("training", &p.training, &known)?;
    state
        .db()
        .save_qa_summary(
            &ctx.actor(),
            state.clock().now(),
            &code,
            &problems,
            &training,
        )
        .await?;
    summary(state, ctx, &code).await
}
