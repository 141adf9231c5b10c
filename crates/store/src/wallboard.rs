//! The shift lead's wallboard (监控大屏): what waits now, what is late, how today goes.
//!
//! It refreshes every few seconds on a screen on the wall, so every figure comes from an
//! index range over what is live or from today (calls ringing, chats queued, today's
//! calls, chats and callback attempts, open duty tasks by due), or from the ticket queue
//! counters — never from a scan of the history, however many tickets the center has.

use crate::{Db, Sql, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use kefu_domain::queue::{counter_key, Queue};

use crate::to_millis;

/// Calls ringing in one queue, or chats waiting for one topic.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Waiting {
    /// The call queue, or the chat topic's name.
    pub queue: String,
    pub waiting: i64,
    /// When the longest-waiting one began to wait (epoch ms).
    pub oldest_at: i64,
}

/// Today's contacts of one channel so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Today {
    /// Calls offered to a queue, chats started.
    pub offered: i64,
    /// Answered by an agent (a chat: assigned to one).
    pub answered: i64,
    /// Answered within the service target's seconds.
    pub answered_in_target: i64,
    /// Given up before an agent answered.
    pub abandoned: i64,
}

/// Today's callbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CallbacksToday {
    /// Open tasks whose next attempt is due before the day ends.
    pub due: i64,
    /// … of which already late.
    pub late: i64,
    /// Attempts recorded today.
    pub attempts: i64,
    /// … that reached the customer (done, or asked to be called later).
    pub reached: i64,
}

/// Everything on the wallboard but the people on shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    pub calls_waiting: Vec<Waiting>,
    pub chats_waiting: Vec<Waiting>,
    pub calls_today: Today,
    pub chats_today: Today,
    /// Open tickets past their promise.
    pub tickets_overdue: i64,
    /// Open tickets nobody is assigned.
    pub tickets_unassigned: i64,
    /// Open tickets promised for today.
    pub tickets_due_today: i64,
    pub callbacks: CallbacksToday,
    /// Open duty tasks past their due time, everyone's.
    pub duties_overdue: i64,
}

/// What one person is doing now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentNow {
    /// Calls they answered that have not ended.
    pub calls: i64,
    /// Chats they are answering.
    pub chats: i64,
    /// Open to new chats (their console is open and they are not away).
    pub chat_available: bool,
}

/// The day the wallboard reports on, in UTC: `[start, end)`, `today` its date in the
/// center's time (the counters' key), and the seconds within which an answer counts
/// towards the service level.
#[derive(Debug, Clone, Copy)]
pub struct BoardDay {
    pub now: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub today: NaiveDate,
    pub answer_seconds: i64,
}

impl Db {
    pub async fn wallboard(&self, day: &BoardDay) -> Result<Board, StoreError> {
        let (start, end, now) = (to_millis(day.start), to_millis(day.end), to_millis(day.now));
        let within_ms = day.answer_seconds.saturating_mul(1000);
        let calls_waiting: Vec<Waiting> = sqlx::query_as(
            "SELECT COALESCE(queue, '') AS queue, COUNT(*) AS waiting, \
             MIN(COALESCE(offered_at, started_at)) AS oldest_at FROM calls \
             WHERE state = 'offered' GROUP BY COALESCE(queue, '') ORDER BY 1",
        )
        .fetch_all(&self.read)
        .await?;
        let chats_waiting: Vec<Waiting> = sqlx::query_as(
            "SELECT t.name AS queue, COUNT(*) AS waiting, MIN(c.queued_at) AS oldest_at \
             FROM chat_conversations c JOIN chat_topics t ON t.id = c.topic_id \
             WHERE c.state = 'queued' GROUP BY t.name ORDER BY 1",
        )
        .fetch_all(&self.read)
        .await?;
        // Calls that reached a queue today; one that ended unanswered was abandoned.
        let calls_today: Today = sqlx::query_as(
            "SELECT COUNT(*) AS offered, COUNT(answered_at) AS answered, \
             COALESCE(SUM(CASE WHEN answered_at - offered_at <= $3 THEN 1 ELSE 0 END), 0) \
             AS answered_in_target, \
             COALESCE(SUM(CASE WHEN answered_at IS NULL AND state = 'ended' THEN 1 ELSE 0 END), 0) \
             AS abandoned \
             FROM calls WHERE started_at >= $1 AND started_at < $2 AND offered_at IS NOT NULL",
        )
        .bind(start)
        .bind(end)
        .bind(within_ms)
        .fetch_one(&self.read)
        .await?;
        let chats_today: Today = sqlx::query_as(
            "SELECT COUNT(*) AS offered, COUNT(assigned_at) AS answered, \
             COALESCE(SUM(CASE WHEN assigned_at - queued_at <= $3 THEN 1 ELSE 0 END), 0) \
             AS answered_in_target, \
             COALESCE(SUM(CASE WHEN assigned_at IS NULL AND state = 'closed' THEN 1 ELSE 0 END), 0) \
             AS abandoned \
             FROM chat_conversations WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(start)
        .bind(end)
        .bind(within_ms)
        .fetch_one(&self.read)
        .await?;
        let callbacks: CallbacksToday = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM callback_tasks WHERE status = 'open' AND next_at < $2) \
             AS due, \
             (SELECT COUNT(*) FROM callback_tasks WHERE status = 'open' AND next_at < $3) AS late, \
             (SELECT COUNT(*) FROM callback_attempts WHERE at >= $1 AND at < $2) AS attempts, \
             (SELECT COUNT(*) FROM callback_attempts WHERE at >= $1 AND at < $2 \
              AND result IN ('done', 'later')) AS reached",
        )
        .bind(start)
        .bind(end)
        .bind(now)
        .fetch_one(&self.read)
        .await?;
        // The ticket queue counters, one per department and queue.
        let departments = self.list_departments().await?;
        let key = |queue: Queue, dept: &str| {
            let day = (queue == Queue::DueToday).then_some(day.today);
            counter_key(queue, dept, day)
        };
        let queues = [Queue::Overdue, Queue::Unassigned, Queue::DueToday];
        let keys: Vec<String> = departments
            .iter()
            .flat_map(|d| queues.iter().map(|q| key(*q, &d.id)))
            .collect();
        let counts = self.queue_counts(&keys).await?;
        let duties_overdue = self.count_overdue_duty_tasks(day.now).await?;
        let total = |queue: Queue| -> i64 {
            departments
                .iter()
                .map(|d| counts.get(&key(queue, &d.id)).copied().unwrap_or(0))
                .sum()
        };
        Ok(Board {
            calls_waiting,
            chats_waiting,
            calls_today,
            chats_today,
            tickets_overdue: total(Queue::Overdue),
            tickets_unassigned: total(Queue::Unassigned),
            tickets_due_today: total(Queue::DueToday),
            callbacks,
            duties_overdue,
        })
    }

    /// What each of `user_ids` is doing now (the people on shift: a handful to a hundred).
    pub async fn agents_now(
        &self,
        user_ids: &[String],
    ) -> Result<std::collections::HashMap<String, AgentNow>, StoreError> {
        let mut now: std::collections::HashMap<String, AgentNow> = user_ids
            .iter()
            .map(|id| (id.clone(), AgentNow::default()))
            .collect();
        if user_ids.is_empty() {
            return Ok(now);
        }
        let of = |head: &str, tail: &str| {
            let mut sql = Sql::for_backend(self.backend(), head);
            for (i, id) in user_ids.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " });
                sql.bind_text(id.clone());
            }
            sql.push(tail);
            sql
        };
        let calls = of(
            "SELECT agent_id, COUNT(*) FROM calls WHERE state <> 'ended' AND agent_id IN (",
            ") GROUP BY agent_id",
        );
        for (id, n) in calls
            .query_as::<(String, i64)>()
            .fetch_all(&self.read)
            .await?
        {
            if let Some(a) = now.get_mut(&id) {
                a.calls = n;
            }
        }
        let chats = of(
            "SELECT agent_id, COUNT(*) FROM chat_conversations WHERE state = 'active' \
             AND agent_id IN (",
            ") GROUP BY agent_id",
        );
        for (id, n) in chats
            .query_as::<(String, i64)>()
            .fetch_all(&self.read)
            .await?
        {
            if let Some(a) = now.get_mut(&id) {
                a.chats = n;
            }
        }
        let available = of(
            "SELECT user_id, available FROM chat_agents WHERE user_id IN (",
            ")",
        );
        for (id, on) in available
            .query_as::<(String, i64)>()
            .fetch_all(&self.read)
            .await?
        {
            if let Some(a) = now.get_mut(&id) {
                a.chat_available = on != 0;
            }
        }
        Ok(now)
    }
}
