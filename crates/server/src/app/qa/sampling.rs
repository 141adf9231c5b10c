//! The month's sample: bring the month's items (calls, chats, e-mail threads and work
//! orders) up to date, read what the automatic checks have not yet, then draw with the plan
//! (`kefu_domain::qa::sample`) and store one draft inspection per chosen item, each with
//! its inspector and the reasons it was chosen. A month is drawn once; inspectors add
//! more items by hand.

use super::{checks, Month};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::qa::{sample, Candidate, ItemKind};
use kefu_domain::Permission;
use kefu_store::qa::{CandidateRow, NewInspection};
use kefu_store::StoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// Someone named in a result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShortAgent {
    pub id: String,
    pub name: String,
    /// Items the agent has this month (all of them were taken).
    pub available: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleView {
    pub id: String,
    pub month: String,
    /// Inspections created.
    pub chosen: i64,
    /// Items the month has.
    pub items: i64,
    /// Agents with fewer items than the plan's minimum.
    pub short: Vec<ShortAgent>,
    /// Agents nobody but themselves could inspect.
    pub unassignable: Vec<Person>,
}

/// A stable number for an item id (the sample's tie-breaker; independent of order).
fn key_of(id: &str) -> u64 {
    let d = Sha256::digest(id.as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

/// The sample's view of the items, made on two threads (hashing a million ids is a fifth
/// of a draw). An item's agent number is its index in the read's agents, which come
/// first in the dense numbering.
fn candidates_of(rows: &[CandidateRow]) -> Vec<Candidate> {
    let convert = |rows: &[CandidateRow]| {
        rows.iter()
            .map(|r| Candidate {
                agent: r.agent,
                key: key_of(&r.id),
                day: r.day.clamp(1, 31) as u8,
                kind: ItemKind::from_code(r.kind).unwrap_or(ItemKind::Ticket),
                complaint: r.complaint != 0,
                duration_secs: r.duration_s.and_then(|d| u32::try_from(d).ok()),
                satisfaction: r.satisfaction.and_then(|s| u8::try_from(s).ok()),
                flags: u16::try_from(r.flags).unwrap_or(u16::MAX),
            })
            .collect::<Vec<_>>()
    };
    let (first, second) = rows.split_at(rows.len() / 2);
    std::thread::scope(|s| {
        let later = s.spawn(|| convert(second));
        let mut out = convert(first);
        out.extend(later.join().expect("converting candidates does not panic"));
        out
    })
}

/// The scorecard new inspections are scored with: the first active one by name.
pub(crate) async fn current_scorecard(state: &AppState) -> Result<(String, i64), AppError> {
    let cards = state.db().list_qa_scorecards(state.clock().now()).await?;
    cards
        .into_iter()
        .find(|c| c.active)
        .map(|c| (c.id, c.revision))
        .ok_or_else(|| {
            AppError::conflict(
                "qa.no_active_scorecard",
                "no scorecard is active; activate one first",
            )
        })
}

/// Draws the month's sample.
pub async fn draw(state: &AppState, ctx: &Ctx, month: &str) -> Result<SampleView, AppError> {
    ctx.require(Permission::QaManage)?;
    let month = Month::parse(month)?;
    let db = state.db();
    if !db.list_qa_samples(&month.code).await?.is_empty() {
        return Err(AppError::conflict(
            "qa.month_sampled",
            "this month has been sampled; add further items by hand",
        ));
    }
    let mut phases = Phases::start();
    checks::refresh(state, &month, checks::Unmaintained::RefreshWhole).await?;
    phases.done("refresh");
    // Flagged items weigh more: read the conversations not checked yet first.
    while checks::run(state, 1000).await? == 1000 {}
    phases.done("checks");
    let settings = db.get_qa_settings().await?;
    let (scorecard_id, revision) = current_scorecard(state).await?;
    let read = db.qa_candidates(&month.code).await?;
    let items = read.items.len() as i64;
    let inspectors = db
        .users_with_permission(Permission::QaInspect.code())
        .await?;
    phases.done("read");

    // Dense agent numbers: everyone with items (in the read's order), then the inspectors
    // who have none.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (id, name) in &inspectors {
        names.insert(id.clone(), name.clone());
    }
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    for id in read.agents.iter().chain(inspectors.iter().map(|i| &i.0)) {
        let next = index.len() as u32;
        index.entry(id.clone()).or_insert(next);
    }
    let ids: Vec<&String> = {
        let mut v: Vec<(&String, &u32)> = index.iter().collect();
        v.sort_by_key(|(_, n)| **n);
        v.into_iter().map(|(id, _)| id).collect()
    };
    let rows = &read.items;
    let candidates = candidates_of(rows);
    let inspector_ids: Vec<u32> = inspectors.iter().map(|(id, _)| index[id]).collect();
    phases.done("candidates");
    let drawn = sample(&settings.plan, month.days, &candidates, &inspector_ids);
    phases.done("sample");

    let chosen: Vec<NewInspection> = drawn
        .choices
        .iter()
        .map(|c| {
            let row = &rows[c.candidate];
            Ok(NewInspection {
                item_id: row.id.clone(),
                agent_id: read.agents[row.agent as usize].clone(),
                inspector_id: ids[c.inspector as usize].clone(),
                month: month.code.clone(),
                week: i64::from(c.week),
                reasons: serde_json::to_string(&c.reasons).map_err(anyhow::Error::from)?,
                scorecard_id: scorecard_id.clone(),
                revision,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let short: Vec<(String, u32)> = drawn
        .short
        .iter()
        .map(|(a, n)| (ids[*a as usize].clone(), *n))
        .collect();
    let unassignable: Vec<String> = drawn
        .unassignable
        .iter()
        .map(|a| ids[*a as usize].clone())
        .collect();
    let report = serde_json::json!({"short": short, "unassignable": unassignable}).to_string();
    let plan = serde_json::to_string(&settings.plan).map_err(anyhow::Error::from)?;
    let (id, created) = db
        .create_qa_sample(
            &ctx.actor(),
            state.clock().now(),
            &month.code,
            &plan,
            &report,
            &chosen,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::conflict(
                "qa.month_sampled",
                "this month has been sampled; add further items by hand",
            ),
            e => e.into(),
        })?;
    phases.done("store");
    tracing::debug!(month = %month.code, items, chosen = created, phases = %phases, "qa sample drawn");
    let named = |id: &String| names.get(id).cloned().unwrap_or_default();
    let mut view = SampleView {
        id,
        month: month.code,
        chosen: created,
        items,
        short: short
            .iter()
            .map(|(id, n)| ShortAgent {
                id: id.clone(),
                name: named(id),
                available: *n,
            })
            .collect(),
        unassignable: unassignable
            .iter()
            .map(|id| Person {
                id: id.clone(),
                name: named(id),
            })
            .collect(),
    };
    fill_names(state, &mut view).await?;
    Ok(view)
}

/// How long each step of a draw took, for the debug log (the draw of a busy month is
/// the slowest request kefu serves; this says where its time goes).
struct Phases {
    last: Instant,
    took: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            last: Instant::now(),
            took: Vec::new(),
        }
    }

    fn done(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.took.push((phase, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (phase, took)) in self.took.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{phase}_ms={:.1}", took.as_secs_f64() * 1000.0)?;
        }
        Ok(())
    }
}

/// Agents' names for a sample's report (those who are not inspectors are not in the
/// inspectors' list).
async fn fill_names(state: &AppState, view: &mut SampleView) -> Result<(), AppError> {
    for s in view.short.iter_mut().filter(|s| s.name.is_empty()) {
        s.name = state.db().get_user(&s.id).await?.display_name;
    }
    for p in view.unassignable.iter_mut().filter(|p| p.name.is_empty()) {
        p.name = state.db().get_user(&p.id).await?.display_name;
    }
    Ok(())
}

/// The samples drawn for a month (normally one), with their reports.
pub async fn list(state: &AppState, ctx: &Ctx, month: &str) -> Result<Vec<SampleView>, AppError> {
    ctx.require(Permission::QaManage)?;
    let month = Month::parse(month)?;
    let mut out = Vec::new();
    for s in state.db().list_qa_samples(&month.code).await? {
        #[derive(serde::Deserialize)]
        struct Report {
            short: Vec<(String, u32)>,
            unassignable: Vec<String>,
        }
        let r: Report = serde_json::from_str(&s.report).map_err(anyhow::Error::from)?;
        let mut view = SampleView {
            id: s.id,
            month: s.month,
            chosen: s.chosen,
            items: 0,
            short: r
                .short
                .into_iter()
                .map(|(id, available)| ShortAgent {
                    id,
                    name: String::new(),
                    available,
                })
                .collect(),
            unassignable: r
                .unassignable
                .into_iter()
                .map(|id| Person {
                    id,
                    name: String::new(),
                })
                .collect(),
        };
        fill_names(state, &mut view).await?;
        out.push(view);
    }
    Ok(out)
}
