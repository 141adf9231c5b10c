//! A campaign's progress and conversion: targets by state and last outcome, calls today,
//! and per-agent numbers. Every count is a grouped scan of one campaign's rows over an
//! index that starts with the campaign (`campaign_targets_due`, `campaign_targets_outcome`,
//! `campaign_calls_day`), so the page stays cheap however many campaigns there are.

use crate::{Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::campaign::call_day;

#[derive(Debug, Clone, Default)]
pub struct CampaignProgress {
    pub targets: i64,
    pub pending: i64,
    pub done: i64,
    /// Pending targets whose customer is flagged do-not-call.
    pub do_not_call: i64,
    /// Targets by their last outcome (`(code, count)`), never-called ones excluded.
    pub by_outcome: Vec<(String, i64)>,
    pub calls_total: i64,
    pub calls_today: i64,
    pub agents: Vec<AgentProgress>,
}

#[derive(Debug, Clone, Default)]
pub struct AgentProgress {
    pub agent_id: String,
    pub name: String,
    pub calls_today: i64,
    pub calls_total: i64,
    pub reached: i64,
    pub converted: i64,
}

impl CampaignProgress {
    pub fn outcome(&self, code: &str) -> i64 {
        self.by_outcome
            .iter()
            .find(|(c, _)| c == code)
            .map_or(0, |(_, n)| *n)
    }
}

impl Db {
    #[tracing::instrument(skip_all)]
    pub async fn campaign_progress(
        &self,
        campaign_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CampaignProgress, StoreError> {
        let day = call_day(now).to_string();
        let mut conn = self.read.acquire().await?;
        let states: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM campaign_targets WHERE campaign_id = $1 GROUP BY state",
        )
        .bind(campaign_id)
        .fetch_all(&mut *conn)
        .await?;
        let by_outcome: Vec<(String, i64)> = sqlx::query_as(
            "SELECT last_outcome, COUNT(*) FROM campaign_targets WHERE campaign_id = $1 \
             AND last_outcome IS NOT NULL GROUP BY last_outcome ORDER BY last_outcome",
        )
        .bind(campaign_id)
        .fetch_all(&mut *conn)
        .await?;
        let (do_not_call,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM campaign_targets t JOIN customers c ON c.id = t.customer_id \
             WHERE t.campaign_id = $1 AND t.state = 'pending' AND c.do_not_call <> 0",
        )
        .bind(campaign_id)
        .fetch_one(&mut *conn)
        .await?;
        let per_agent: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT a.agent_id, u.display_name, COALESCE(x.outcome, ''), \
             COALESCE(x.n, 0), COALESCE(x.today, 0) FROM campaign_agents a \
             JOIN users u ON u.id = a.agent_id LEFT JOIN (\
             SELECT agent_id, outcome, COUNT(*) AS n, \
             SUM(CASE WHEN call_day = $2 THEN 1 ELSE 0 END) AS today \
             FROM campaign_calls WHERE campaign_id = $1 GROUP BY agent_id, outcome) x \
             ON x.agent_id = a.agent_id WHERE a.campaign_id = $1 ORDER BY u.username",
        )
        .bind(campaign_id)
        .bind(&day)
        .fetch_all(&mut *conn)
        .await?;
        let mut agents: Vec<AgentProgress> = Vec::new();
        for (agent_id, name, outcome, n, today) in per_agent {
            if agents.last().map(|a| &a.agent_id) != Some(&agent_id) {
                agents.push(AgentProgress {
                    agent_id: agent_id.clone(),
                    name,
                    ..AgentProgress::default()
                });
            }
            let a = agents.last_mut().expect("just pushed");
            a.calls_total += n;
            a.calls_today += today;
            if !outcome.is_empty() && outcome != "unreachable" {
                a.reached += n;
            }
            if outcome == "converted" {
                a.converted += n;
            }
        }
        let count = |s: &str| states.iter().find(|(x, _)| x == s).map_or(0, |(_, n)| *n);
        Ok(CampaignProgress {
            targets: states.iter().map(|(_, n)| n).sum(),
            pending: count("pending"),
            done: count("done"),
            do_not_call,
            by_outcome,
            calls_total: agents.iter().map(|a| a.calls_total).sum(),
            calls_today: agents.iter().map(|a| a.calls_today).sum(),
            agents,
        })
    }
}
