//! The records behind one cell of a report, a page at a time: the same list the cell was
//! counted from (`kefu_store::reports::report_drill`), with links to the records' pages
//! and times in working hours.

use super::{
    blank, center_today, meter_for, parse_day, scope, working_calendar, working_seconds,
    ReportQuery, Spec,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::report::{periods, Grouping, Measure, Metric};
use kefu_domain::Permission;
use kefu_store::reports::CellRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which cell to list: a metric, and the row's key (a period's first day, or a group's
/// key; absent for the total).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct DrillQuery {
    pub metric: String,
    pub row: Option<String>,
    /// Paging: at most 500 a page (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrillItem {
    /// `ticket`, `call`, `chat`, `campaign`, `callback`, `customer` or `qa`.
    pub kind: String,
    pub id: String,
    pub label: String,
    pub at: String,
    /// Rate: whether the record met the condition (1/0). CSAT, NPS: the answer. QA: the
    /// score. Times: the working hours.
    pub value: Option<f64>,
    /// The page that shows the record.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrillView {
    pub metric: String,
    /// The cell's days, the last included.
    pub from: String,
    pub to: String,
    pub row: Option<String>,
    /// How many records are behind the cell (the cell's `n`).
    pub total: i64,
    pub items: Vec<DrillItem>,
}

fn link(kind: &str, id: &str) -> String {
    match kind {
        "ticket" => format!("/tickets/{id}"),
        "call" => format!("/calls/{id}"),
        "chat" => format!("/chat/transcripts/{id}"),
        "campaign" => format!("/campaigns/{id}"),
        "callback" => format!("/callbacks/{id}"),
        "customer" => format!("/customers/{id}"),
        "qa" => format!("/qa/inspections/{id}"),
        _ => String::new(),
    }
}

/// The records behind one cell of the report `q`.
pub async fn drill(
    state: &AppState,
    ctx: &Ctx,
    q: &ReportQuery,
    d: &DrillQuery,
) -> Result<DrillView, AppError> {
    ctx.require(Permission::ReportView)?;
    let today = center_today(state);
    let mut spec = Spec::parse(q, today)?;
    let metric = Metric::from_code(d.metric.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_metric",
            "metric",
            format!("unknown metric {:?}", d.metric),
        )
    })?;
    let row = blank(&d.row).map(str::to_string);
    let mut key = None;
    if let Some(r) = &row {
        if spec.grouping == Grouping::Period {
            let start = parse_day("row", r)?;
            let period = periods(spec.granularity, spec.from, spec.to)
                .into_iter()
                .find(|p| p.from == start)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "invalid_row",
                        "row",
                        format!("{r} begins no period of this report"),
                    )
                })?;
            spec.from = period.from;
            spec.to = period.until - Duration::days(1);
        } else {
            key = Some(r.clone());
        }
    }
    let limit = d.limit.unwrap_or(100).clamp(1, 500);
    let offset = d.offset.unwrap_or(0).max(0);
    let scope = scope(state, &spec, None).await?;
    let cell = CellRef {
        metric,
        grouping: spec.grouping,
        key,
    };
    let (rows, total) = state
        .db()
        .report_drill(&scope, &cell, limit, offset)
        .await?;
    let spans = matches!(metric.measure(), Measure::Median | Measure::P90);
    let worked = if spans {
        let pairs: Vec<(i64, i64)> = rows
            .iter()
            .map(|r| (r.value.unwrap_or(r.at), r.at))
            .collect();
        let cal = working_calendar(state).await?;
        working_seconds(&meter_for(&cal, &pairs), &pairs)
    } else {
        Vec::new()
    };
    let items = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| DrillItem {
            link: link(&r.kind, &r.id),
            value: if spans {
                Some(worked[i] as f64 / 3600.0)
            } else if metric == Metric::QaScore {
                r.value.map(|v| v as f64 / 10.0)
            } else {
                r.value.map(|v| v as f64)
            },
            at: crate::app::rfc3339(r.at),
            kind: r.kind,
            id: r.id,
            label: r.label,
        })
        .collect();
    Ok(DrillView {
        metric: metric.code().into(),
        from: spec.from.to_string(),
        to: spec.to.to_string(),
        row,
        total,
        items,
    })
}
