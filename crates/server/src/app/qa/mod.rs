//! Quality inspection (质检) in the server: the settings and scorecards (here), the
//! month's items and sample ([`sampling`]), the automatic checks on text conversations
//! ([`checks`]), inspections with scores, comments and the appeal ([`inspections`]), and
//! the evaluation sheet, monthly report and weekly summary ([`sheets`]).
//!
//! Who sees what: `qa.manage` and `qa.decide` see every inspection; `qa.inspect` sees
//! the ones they inspect and every published one (for the sheets and summaries); an
//! agent sees only their own, once published — never another agent's.

pub mod checks;
pub mod inspections;
pub mod sampling;
pub mod sheets;
pub mod xlsx;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use kefu_domain::qa::{
    Criterion, FlowError, PlanError, Rules, RulesError, ScoreError, Scorecard, ScorecardError,
    Weights,
};
use kefu_domain::Permission;
use kefu_store::qa::{QaSettings, ScorecardRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The center's time zone (China Standard Time) for months, weeks and days.
pub(crate) fn center_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A calendar month of the center: `YYYY-MM`, its bounds and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    pub code: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub days: u8,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, AppError> {
        let bad =
            || AppError::invalid_field("qa.invalid_month", "month", "use YYYY-MM, e.g. 2026-11");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        if !(2000..=2999).contains(&y) {
            return Err(bad());
        }
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        }
        .ok_or_else(bad)?;
        let at = |d: NaiveDate| {
            center_offset()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
                .single()
                .expect("a fixed offset has no gaps")
                .with_timezone(&Utc)
        };
        Ok(Month {
            code: format!("{y:04}-{m:02}"),
            start: at(first),
            end: at(next),
            days: (next - first).num_days() as u8,
        })
    }

    /// The month `now` falls in (center time).
    pub fn of(now: DateTime<Utc>) -> Month {
        let local = now.with_timezone(&center_offset());
        Month::parse(&format!("{:04}-{:02}", local.year(), local.month()))
            .expect("a real month parses")
    }

    /// The month before this one.
    pub fn previous(&self) -> Month {
        Month::of(self.start - chrono::Duration::days(1))
    }

    /// The month as the store's item refresh takes it.
    pub fn store(&self) -> kefu_store::qa::QaMonth<'_> {
        kefu_store::qa::QaMonth {
            code: &self.code,
            start: self.start,
            end: self.end,
        }
    }
}

/// The Monday of the week `s` (`YYYY-MM-DD`, any day of it) falls in.
pub fn week_monday(s: &str) -> Result<NaiveDate, AppError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid_field("qa.invalid_week", "week", "use a date YYYY-MM-DD"))?;
    Ok(d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday())))
}

impl From<ScorecardError> for AppError {
    fn from(e: ScorecardError) -> Self {
        AppError::invalid(e.code(), e.to_string())
    }
}

impl From<ScoreError> for AppError {
    fn from(e: ScoreError) -> Self {
        AppError::invalid(e.code(), e.to_string())
    }
}

impl From<PlanError> for AppError {
    fn from(e: PlanError) -> Self {
        AppError::invalid(e.code(), e.to_string())
    }
}

impl From<RulesError> for AppError {
    fn from(e: RulesError) -> Self {
        AppError::invalid(e.code(), e.to_string())
    }
}

impl From<FlowError> for AppError {
    fn from(e: FlowError) -> Self {
        let message = e.to_string();
        match e {
            FlowError::NotInspector
            | FlowError::NotAgent
            | FlowError::NotLead
            | FlowError::LeadInvolved
            | FlowError::OwnWork => AppError::Refused {
                code: e.code(),
                message,
            },
            FlowError::ReasonRequired | FlowError::ReasonTooLong => {
                AppError::invalid_field(e.code(), "reason", message)
            }
            FlowError::NotDraft
            | FlowError::NotPublished
            | FlowError::AlreadyAppealed
            | FlowError::NotAppealed
            | FlowError::Final => AppError::conflict(e.code(), message),
        }
    }
}

/// Whether the caller may read every inspection (not only their own).
pub(crate) fn sees_all(ctx: &Ctx) -> bool {
    ctx.can(Permission::QaManage) || ctx.can(Permission::QaDecide) || ctx.can(Permission::QaInspect)
}

// ---- settings --------------------------------------------------------------------------

/// The sampling plan and the automatic-check rules as the API shows and takes them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QaSettingsPayload {
    /// Inspections per agent per month: at least …
    pub min: u32,
    /// … and at most (the handbook: 1–5).
    pub max: u32,
    /// The sample's seed: the same seed and items give the same sample.
    pub seed: u64,
    #[schema(value_type = Object)]
    pub weights: Weights,
    #[schema(value_type = Object)]
    pub rules: Rules,
}

impl From<QaSettings> for QaSettingsPayload {
    fn from(s: QaSettings) -> Self {
        QaSettingsPayload {
            min: s.plan.min,
            max: s.plan.max,
            seed: s.plan.seed,
            weights: s.plan.weights,
            rules: s.rules,
        }
    }
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> Result<QaSettingsPayload, AppError> {
    if !sees_all(ctx) {
        return Err(AppError::Forbidden(Permission::QaManage));
    }
    Ok(state.db().get_qa_settings().await?.into())
}

pub async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    p: &QaSettingsPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::QaManage)?;
    let plan = kefu_domain::qa::Plan::parse(p.min, p.max, p.weights.clone(), p.seed)?;
    let rules = p.rules.clone().parse()?;
    let s = QaSettings { plan, rules };
    state
        .db()
        .save_qa_settings(&ctx.actor(), state.clock().now(), &s)
        .await?;
    Ok(())
}

// ---- scorecards ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardView {
    pub id: String,
    pub name: String,
    pub active: bool,
    /// The revision new inspections are scored with; earlier inspections keep theirs.
    pub revision: i64,
    #[schema(value_type = Vec<Object>)]
    pub criteria: Vec<Criterion>,
    pub inspections: i64,
}

impl From<ScorecardRow> for ScorecardView {
    fn from(r: ScorecardRow) -> Self {
        ScorecardView {
            id: r.id,
            name: r.name,
            active: r.active,
            revision: r.revision,
            criteria: r.criteria,
            inspections: r.inspections,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScorecardPayload {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[schema(value_type = Vec<Object>)]
    pub criteria: Vec<Criterion>,
}

fn yes() -> bool {
    true
}

pub async fn scorecards(state: &AppState, ctx: &Ctx) -> Result<Vec<ScorecardView>, AppError> {
    if !sees_all(ctx) {
        return Err(AppError::Forbidden(Permission::QaInspect));
    }
    Ok(state
        .db()
        .list_qa_scorecards(state.clock().now())
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Creates (`id` = `None`) or revises a scorecard.
pub async fn save_scorecard(
    state: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    p: &ScorecardPayload,
) -> Result<ScorecardView, AppError> {
    ctx.require(Permission::QaManage)?;
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid_field(
            "qa.scorecard_name_invalid",
            "name",
            "a scorecard needs a name of 1–60 characters",
        ));
    }
    let card = Scorecard::parse(p.criteria.clone())?;
    if let Some(id) = id {
        state
            .db()
            .get_qa_scorecard(id)
            .await
            .map_err(AppError::store_missing("scorecard"))?;
    }
    let id = state
        .db()
        .save_qa_scorecard(&ctx.actor(), state.clock().now(), id, name, p.active, &card)
        .await
        .map_err(|e| match e {
            kefu_store::StoreError::Conflict { .. } => AppError::conflict(
                "qa.scorecard_name_taken",
                "a scorecard with this name exists",
            ),
            e => e.into(),
        })?;
    Ok(state.db().get_qa_scorecard(&id).await?.into())
}
