//! The raw figures of a month's evaluation, per agent, read in a fixed number of queries
//! whatever the number of agents:
//!
//! - workload, SLA, CSAT and QA come from the reports engine
//!   ([`Db::report_tallies`] grouped by agent), so a figure is the same number the report
//!   shows for that agent and month and drills down to the same records;
//! - complaints against the agent and violations are what the manager recorded for the
//!   month (`performance_incidents`): a complaint names no agent in its own record (its
//!   `recorder` is whoever registered it), so which agent it is against is a judgement;
//! - attendance is the share of the agent's published, non-on-call shifts of the month
//!   that had ended by `now`, days of approved leave left out, in which the agent left a
//!   trace of work: a ticket event they made (reply, note, status change …) or a call
//!   they answered between the shift's start and end. kefu has no clock-in; work done is
//!   the evidence it has.

use crate::reports::ReportScope;
use crate::{Arg, Db, Sql, StoreError};
use kefu_domain::performance::{Figures, Ratio};
use kefu_domain::report::{Grouping, Metric};
use std::collections::{BTreeMap, HashMap};

/// The month to read: `[from, until)` in epoch ms, the days as `YYYY-MM-DD` (`until_day`
/// excluded), the center's offset, the month key, and `now` (shifts not yet over do not
/// count).
#[derive(Debug, Clone)]
pub struct MonthRange {
    pub from: i64,
    pub until: i64,
    pub from_day: String,
    pub until_day: String,
    pub day_offset: i64,
    pub month: String,
    pub now: i64,
}

/// The metrics that add up to an agent's workload.
pub const WORKLOAD: &[Metric] = &[
    Metric::TicketsResolved,
    Metric::CallsAnswered,
    Metric::Chats,
    Metric::CallbacksDone,
    Metric::OutboundCalls,
];
/// The metrics whose hits over records make SLA compliance.
pub const SLA: &[Metric] = &[Metric::SlaFirstResponse, Metric::SlaResolution];

impl Db {
    /// The active people to evaluate with their names: the holders of `positions`, or
    /// when none are named everyone holding a position (the caller keeps only those with
    /// figures).
    #[tracing::instrument(skip_all, fields(positions = positions.len()))]
    pub async fn performance_agents(
        &self,
        positions: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut q = Sql::new(
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN staff_positions sp ON sp.user_id = u.id WHERE u.active = 1",
        );
        if !positions.is_empty() {
            q.push(" AND sp.position_id IN (");
            for (i, p) in positions.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(Arg::Text(p.clone()));
            }
            q.push(")");
        }
        q.push(" ORDER BY u.id");
        Ok(q.query_as::<(String, String)>()
            .fetch_all(&self.read)
            .await?)
    }

    /// Every agent's figures for the month (agents without any are absent).
    #[tracing::instrument(skip_all, fields(month = %range.month))]
    pub async fn performance_figures(
        &self,
        range: &MonthRange,
    ) -> Result<HashMap<String, Figures>, StoreError> {
        let mut out: HashMap<String, Figures> = HashMap::new();
        let scope = ReportScope {
            from: range.from,
            until: range.until,
            day_offset: range.day_offset,
            ..ReportScope::default()
        };
        let metrics: Vec<Metric> = WORKLOAD
            .iter()
            .chain(SLA)
            .chain([Metric::Csat, Metric::QaScore].iter())
            .copied()
            .collect();
        let tallies = self
            .report_tallies(&scope, Grouping::Agent, &metrics)
            .await?;
        for (metric, t) in &tallies {
            for (agent, tally) in &t.by_key {
                if agent.is_empty() {
                    continue;
                }
                let f = out.entry(agent.clone()).or_default();
                if WORKLOAD.contains(metric) {
                    f.workload += tally.n;
                } else if SLA.contains(metric) {
                    f.sla.part += tally.hits;
                    f.sla.n += tally.n;
                } else if *metric == Metric::Csat {
                    f.csat = Ratio {
                        part: tally.sum,
                        n: tally.n,
                    };
                } else if *metric == Metric::QaScore {
                    f.qa = Ratio {
                        part: tally.sum,
                        n: tally.n,
                    };
                }
            }
        }

        let incidents: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT agent_id, kind, CAST(COUNT(*) AS BIGINT) FROM performance_incidents \
             WHERE month = $1 GROUP BY agent_id, kind",
        )
        .bind(&range.month)
        .fetch_all(&self.read)
        .await?;
        for (agent, kind, n) in incidents {
            let f = out.entry(agent).or_default();
            match kind.as_str() {
                "complaint" => f.complaints += n,
                _ => f.violations += n,
            }
        }

        for (agent, (attended, rostered)) in self.attendance(range).await? {
            out.entry(agent).or_default().shifts = Ratio {
                part: attended,
                n: rostered,
            };
        }
        Ok(out)
    }

    /// `(attended, rostered)` shifts per agent (see the module's comment).
    async fn attendance(
        &self,
        range: &MonthRange,
    ) -> Result<BTreeMap<String, (i64, i64)>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT s.staff_id, CAST(COALESCE(SUM(CASE WHEN \
               EXISTS (SELECT 1 FROM ticket_events e WHERE e.actor_id = s.staff_id \
                       AND e.at >= s.starts_at AND e.at < s.ends_at) \
               OR EXISTS (SELECT 1 FROM calls c WHERE c.agent_id = s.staff_id \
                       AND c.started_at >= s.starts_at AND c.started_at < s.ends_at \
                       AND c.answered_at IS NOT NULL) \
             THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
             FROM roster_shifts s JOIN rosters r ON r.id = s.roster_id \
             WHERE r.status = 'published' AND s.day >= $1 AND s.day < $2 \
               AND s.on_call = 0 AND s.ends_at <= $3 \
               AND NOT EXISTS (SELECT 1 FROM leave_requests l WHERE l.staff_id = s.staff_id \
                       AND l.status = 'approved' AND l.start_date <= s.day \
                       AND l.end_date >= s.day) \
             GROUP BY s.staff_id",
        )
        .bind(&range.from_day)
        .bind(&range.until_day)
        .bind(range.now)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(agent, attended, rostered)| (agent, (attended, rostered)))
            .collect())
    }
}
