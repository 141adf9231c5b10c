//! Inspectable items: a month's refresh writes one row per answered call, chat with an
//! agent, ticket that came in by e-mail (the e-mail thread) and other work order, with
//! the facts the sample weighs (complaint, length, satisfaction, the automatic checks'
//! findings). Item ids are `<kind>:<source id>`, so refreshing again updates in place.

use crate::{to_millis, Arg, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Ids bound per statement in the batched reads and writes of the automatic checks.
const IDS_PER_STATEMENT: usize = 1_000;

/// An item as the lists show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: String,
    pub kind: String,
    pub source_id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub agent_no: Option<String>,
    pub occurred_at: i64,
    pub month: String,
    pub day: i64,
    pub duration_s: Option<i64>,
    pub complaint: i64,
    pub satisfaction: Option<i64>,
    pub flags: i64,
    pub checked_at: Option<i64>,
    pub title: String,
}

/// What the sample needs of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRow {
    pub id: String,
    /// `call`, `chat`, `email` or `ticket`.
    pub kind: &'static str,
    /// The agent: an index into [`Candidates::agents`].
    pub agent: u32,
    pub day: i64,
    pub duration_s: Option<i64>,
    pub complaint: i64,
    pub satisfaction: Option<i64>,
    pub flags: i64,
}

/// A month's items as the sample reads them: the agents, and every item, an agent's
/// together (in the agents' order) and by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    pub agents: Vec<String>,
    pub items: Vec<CandidateRow>,
}

/// A text item the automatic checks have not read yet, with its agent's number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TextItem {
    pub id: String,
    pub kind: String,
    pub source_id: String,
    pub agent_no: Option<String>,
}

/// One line of a conversation, for the automatic checks: `from` is `customer`, `agent`
/// or `system`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationLine {
    pub from: String,
    pub at: i64,
    pub text: String,
}

/// A conversation line with the item source it belongs to (the batched read).
#[derive(sqlx::FromRow)]
struct SourcedLine {
    source_id: String,
    from: String,
    at: i64,
    text: String,
}

/// A finding of the automatic checks.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FindingRow {
    pub rule: String,
    pub message_index: Option<i64>,
    pub detail: String,
}

pub(crate) const ITEM_SELECT: &str = "SELECT q.id, q.kind, q.source_id, q.agent_id, \
    u.display_name AS agent_name, u.agent_no, q.occurred_at, q.month, q.day, q.duration_s, \
    q.complaint, q.satisfaction, q.flags, q.checked_at, q.title \
    FROM qa_items q JOIN users u ON u.id = q.agent_id";

/// The lowest CSAT answer on a ticket (NULL without one), as SQL over `ticket`.
fn satisfaction_of(ticket: &str) -> String {
    format!("(SELECT MIN(sr.csat) FROM survey_responses sr WHERE sr.ticket_id = {ticket})")
}

fn complaint_of(ticket: &str) -> String {
    format!("(CASE WHEN EXISTS (SELECT 1 FROM complaints cp WHERE cp.ticket_id = {ticket}) THEN 1 ELSE 0 END)")
}

/// A month as the item refresh needs it: its code ('YYYY-MM') and where it begins and
/// ends, in UTC, in the center's time zone.
#[derive(Debug, Clone, Copy)]
pub struct QaMonth<'a> {
    pub code: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Which of a month's sources a refresh reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Whole,
    /// Those noted in `qa_changes`, and the calls and chats of the tickets noted there.
    Changed,
}

impl Scope {
    /// The condition on `alias.id` of a `table` that keeps the sources in scope.
    fn filter(self, kind: &str, table: &str, alias: &str) -> String {
        match (self, kind) {
            (Scope::Whole, _) => String::new(),
            (Scope::Changed, "ticket") => format!(
                " AND {alias}.id IN (SELECT source_id FROM qa_changes WHERE kind = 'ticket')"
            ),
            (Scope::Changed, _) => format!(
                " AND {alias}.id IN (SELECT source_id FROM qa_changes WHERE kind = '{kind}' \
                 UNION SELECT s.id FROM qa_changes d JOIN {table} s ON s.ticket_id = d.source_id \
                 WHERE d.kind = 'ticket')"
            ),
        }
    }
}

/// Writes or updates the month's items of the sources in `scope`. Rows that did not
/// change are not written again.
async fn refresh_items_in(
    tx: &mut Tx<'_>,
    month: &QaMonth<'_>,
    scope: Scope,
) -> Result<(), StoreError> {
    let conflict = "ON CONFLICT (kind, source_id) DO UPDATE SET agent_id = excluded.agent_id, \
         duration_s = excluded.duration_s, complaint = excluded.complaint, \
         satisfaction = excluded.satisfaction, title = excluded.title \
         WHERE qa_items.agent_id <> excluded.agent_id \
         OR qa_items.duration_s IS DISTINCT FROM excluded.duration_s \
         OR qa_items.complaint <> excluded.complaint \
         OR qa_items.satisfaction IS DISTINCT FROM excluded.satisfaction \
         OR qa_items.title <> excluded.title";
    // A call without a transcript has nothing for the automatic checks to read: it is
    // written as read (no findings) so it stays out of their work list until a
    // transcript comes (attaching one marks it unread).
    let calls = format!(
        "INSERT INTO qa_items (id, kind, source_id, agent_id, occurred_at, month, day, \
         duration_s, complaint, satisfaction, title, checked_at) \
         SELECT 'call:' || c.id, 'call', c.id, c.agent_id, c.started_at, $1, \
         (c.started_at - $2) / 86400000 + 1, c.duration_s, {complaint}, {satisfaction}, \
         COALESCE(c.queue, ''), CASE WHEN EXISTS (SELECT 1 FROM call_transcript_lines l \
         WHERE l.call_id = c.id) THEN NULL ELSE c.started_at END FROM calls c \
         WHERE c.started_at >= $2 AND c.started_at < $3 AND c.agent_id IS NOT NULL \
         AND c.answered_at IS NOT NULL{scope} {conflict}",
        complaint = complaint_of("c.ticket_id"),
        satisfaction = satisfaction_of("c.ticket_id"),
        scope = scope.filter("call", "calls", "c"),
    );
    let chats = format!(
        "INSERT INTO qa_items (id, kind, source_id, agent_id, occurred_at, month, day, \
         duration_s, complaint, satisfaction, title) \
         SELECT 'chat:' || c.id, 'chat', c.id, c.agent_id, c.created_at, $1, \
         (c.created_at - $2) / 86400000 + 1, \
         CASE WHEN c.closed_at IS NULL OR c.assigned_at IS NULL THEN NULL \
         ELSE (c.closed_at - c.assigned_at) / 1000 END, {complaint}, {satisfaction}, \
         c.visitor_name FROM chat_conversations c \
         WHERE c.created_at >= $2 AND c.created_at < $3 AND c.agent_id IS NOT NULL{scope} \
         {conflict}",
        complaint = complaint_of("c.ticket_id"),
        satisfaction = satisfaction_of("c.ticket_id"),
        scope = scope.filter("chat", "chat_conversations", "c"),
    );
    // A ticket that came in by e-mail is its e-mail thread; any other is a work order of
    // its first owner (首问负责).
    let tickets = format!(
        "INSERT INTO qa_items (id, kind, source_id, agent_id, occurred_at, month, day, \
         duration_s, complaint, satisfaction, title) \
         SELECT CASE WHEN t.channel = 'email' THEN 'email:' ELSE 'ticket:' END || t.id, \
         CASE WHEN t.channel = 'email' THEN 'email' ELSE 'ticket' END, t.id, \
         COALESCE(t.assignee_id, t.first_owner_id), t.created_at, $1, \
         (t.created_at - $2) / 86400000 + 1, NULL, {complaint}, {satisfaction}, t.subject \
         FROM tickets t WHERE t.created_at >= $2 AND t.created_at < $3 \
         AND COALESCE(t.assignee_id, t.first_owner_id) IS NOT NULL \
         AND (t.channel = 'email' OR t.first_owner_id IS NOT NULL){scope} {conflict}",
        complaint = complaint_of("t.id"),
        satisfaction = satisfaction_of("t.id"),
        scope = scope.filter("ticket", "tickets", "t"),
    );
    for sql in [&calls, &chats, &tickets] {
        sqlx::query(sql)
            .bind(month.code)
            .bind(to_millis(month.start))
            .bind(to_millis(month.end))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Agents with their items' facts packed (as [`Db::qa_candidates`] reads them), unpacked:
/// sized once, each agent's items in place and in id order.
fn unpack_agents(agents: Vec<(String, String)>) -> Result<Candidates, StoreError> {
    let total = agents
        .iter()
        .map(|(_, packed)| packed.bytes().filter(|b| *b == b';').count() + 1)
        .sum();
    let mut out = Candidates {
        agents: Vec::with_capacity(agents.len()),
        items: Vec::with_capacity(total),
    };
    for (agent_id, packed) in agents {
        let agent = out.agents.len() as u32;
        out.agents.push(agent_id);
        let start = out.items.len();
        for item in packed.split(';') {
            out.items.push(unpack_candidate(agent, item)?);
        }
        // The index keeps an agent's items in order; a backend may not say so.
        let mine = &mut out.items[start..];
        if !mine.is_sorted_by(|a, b| a.id <= b.id) {
            mine.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        }
    }
    Ok(out)
}

/// One item of [`Db::qa_candidates`]' packed list.
fn unpack_candidate(agent: u32, packed: &str) -> Result<CandidateRow, StoreError> {
    let bad = || StoreError::Corrupt(format!("qa candidate {packed:?}"));
    let mut f = packed.split(',');
    let mut next = || f.next().ok_or_else(bad);
    let id = next()?.to_string();
    let kind = match next()? {
        "call" => "call",
        "chat" => "chat",
        "email" => "email",
        "ticket" => "ticket",
        _ => return Err(bad()),
    };
    let int = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let opt = |s: &str| {
        if s.is_empty() {
            Ok(None)
        } else {
            int(s).map(Some)
        }
    };
    let day = int(next()?)?;
    let duration_s = opt(next()?)?;
    let complaint = int(next()?)?;
    let satisfaction = opt(next()?)?;
    let flags = int(next()?)?;
    Ok(CandidateRow {
        id,
        kind,
        agent,
        day,
        duration_s,
        complaint,
        satisfaction,
        flags,
    })
}

impl Db {
    /// True when `month`'s items are maintained from the noted changes (see
    /// [`Db::refresh_qa_changes`]); otherwise they must be refreshed whole before they
    /// are read.
    pub async fn qa_month_maintained(&self, month: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT refreshed_at FROM qa_refreshes WHERE month = $1")
                .bind(month)
                .fetch_optional(&self.read)
                .await?;
        Ok(row.is_some())
    }

    /// Writes (or updates) every item of the month and records that the month is
    /// maintained from the noted changes from now on. A million items take seconds:
    /// this runs once per month, when the month is first read.
    #[tracing::instrument(skip_all, fields(month = month.code))]
    pub async fn refresh_qa_month(
        &self,
        month: &QaMonth<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        refresh_items_in(&mut tx, month, Scope::Whole).await?;
        sqlx::query(
            "INSERT INTO qa_refreshes (month, refreshed_at) VALUES ($1, $2) \
             ON CONFLICT (month) DO UPDATE SET refreshed_at = excluded.refreshed_at",
        )
        .bind(month.code)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Brings the items of `months` up to date with the calls, chats and tickets noted in
    /// `qa_changes` (by triggers, whoever changed them): a late complaint or survey
    /// answer about an older call included, and without recomputing the month.
    ///
    /// With `drain` (the scheduler's turn) the noted changes are forgotten afterwards,
    /// and so is every maintained month not among `months`: such a month is refreshed
    /// whole when it is read again. Without it (a draw, a page) they stay for the
    /// scheduler. On PostgreSQL a draining refresh locks `qa_changes` so that no change
    /// noted while it runs is forgotten unread; writers of calls, chats and tickets wait
    /// for it, so it must stay short: every minute's changes, not a month's.
    #[tracing::instrument(skip_all, fields(months = months.len(), drain))]
    pub async fn refresh_qa_changes(
        &self,
        months: &[QaMonth<'_>],
        drain: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        if drain && self.backend() == crate::Backend::Postgres {
            sqlx::query("LOCK TABLE qa_changes IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        for month in months {
            refresh_items_in(&mut tx, month, Scope::Changed).await?;
        }
        if drain {
            sqlx::query("DELETE FROM qa_changes")
                .execute(&mut *tx)
                .await?;
            let mut forget = Sql::for_backend(self.backend(), "DELETE FROM qa_refreshes");
            for (i, month) in months.iter().enumerate() {
                forget.push(if i == 0 {
                    " WHERE month NOT IN ("
                } else {
                    ", "
                });
                forget.bind_text(month.code);
            }
            if !months.is_empty() {
                forget.push(")");
            }
            forget.query().execute(&mut *tx).await?;
            for month in months {
                sqlx::query("UPDATE qa_refreshes SET refreshed_at = $1 WHERE month = $2")
                    .bind(to_millis(now))
                    .bind(month.code)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many items the month has.
    pub async fn count_qa_items(&self, month: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM qa_items WHERE month = $1")
            .bind(month)
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }

    /// The month's items as the sample reads them, an agent's together and ordered by
    /// agent and id. A month is a million items, and the draw reads them all: one row per
    /// agent comes back, its items' `sample_facts` (`id,kind,day,duration,complaint,
    /// satisfaction,flags`, a column the database keeps) joined by `;`, from the index
    /// `qa_items_sample`. A row per item made the driver's per-value work the slowest part
    /// of the draw (6 of 8.5 s), and packing the columns in the query most of what was
    /// left (migration 0028). The agents are read in two halves side by side, on two
    /// connections.
    pub async fn qa_candidates(&self, month: &str) -> Result<Candidates, StoreError> {
        let users: Vec<(String,)> = sqlx::query_as("SELECT id FROM users ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        let halves = match users.get(users.len() / 2) {
            Some((middle,)) => vec![(None, Some(middle.as_str())), (Some(middle.as_str()), None)],
            None => vec![(None, None)],
        };
        // Each half is unpacked on a blocking thread as soon as it is read, while the
        // other may still be reading.
        let parts =
            futures::future::try_join_all(halves.into_iter().map(|(from, to)| async move {
                let agents = self.qa_candidates_between(month, from, to).await?;
                tokio::task::spawn_blocking(move || unpack_agents(agents))
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("unpacking qa candidates: {e}")))?
            }))
            .await?;
        let mut out = Candidates::default();
        for part in parts {
            let first = out.agents.len() as u32;
            out.agents.extend(part.agents);
            if out.items.is_empty() {
                out.items = part.items;
            } else {
                out.items
                    .extend(part.items.into_iter().map(|r| CandidateRow {
                        agent: r.agent + first,
                        ..r
                    }));
            }
        }
        Ok(out)
    }

    /// [`Db::qa_candidates`] of the agents with ids in `[from, to)` (unbounded where
    /// `None`): each agent with its items' facts packed.
    async fn qa_candidates_between(
        &self,
        month: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let packed = match self.backend() {
            crate::Backend::Sqlite => "group_concat(q.sample_facts, ';')",
            crate::Backend::Postgres => "string_agg(q.sample_facts, ';')",
        };
        let mut sql = Sql::for_backend(
            self.backend(),
            &format!("SELECT q.agent_id, {packed} FROM qa_items q WHERE q.month = "),
        );
        sql.bind_text(month);
        if let Some(from) = from {
            sql.push(" AND q.agent_id >= ").bind_text(from);
        }
        if let Some(to) = to {
            sql.push(" AND q.agent_id < ").bind_text(to);
        }
        sql.push(" GROUP BY q.agent_id ORDER BY q.agent_id");
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    pub async fn get_qa_item(&self, id: &str) -> Result<ItemRow, StoreError> {
        let sql = format!("{ITEM_SELECT} WHERE q.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// One agent's items of a month, newest first (the hand-picking list).
    pub async fn list_qa_items(
        &self,
        month: &str,
        agent_id: Option<&str>,
        flagged_only: bool,
        limit: usize,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let mut sql = format!("{ITEM_SELECT} WHERE q.month = $1");
        if agent_id.is_some() {
            sql.push_str(" AND q.agent_id = $2");
        }
        if flagged_only {
            sql.push_str(" AND q.flags > 0");
        }
        sql.push_str(&format!(
            " ORDER BY q.occurred_at DESC, q.id LIMIT {}",
            limit.min(500)
        ));
        let mut q = sqlx::query_as(&sql).bind(month);
        if let Some(a) = agent_id {
            q = q.bind(a);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// Chat, e-mail and call items the automatic checks have not read, oldest first. A
    /// chat is read once it is closed, a call once it has a transcript. The conditions on
    /// `checked_at` and `kind` are those of the partial index `qa_items_to_check`, which
    /// holds only the items still to read, in this order.
    ///
    /// SQLite is told to use that index (`INDEXED BY`): left to itself it chose
    /// `qa_items_source` for `kind IN (…)` and read every chat, e-mail and call item of
    /// all time to find none unread — a second per draw at a million items.
    pub async fn unchecked_qa_items(&self, limit: usize) -> Result<Vec<TextItem>, StoreError> {
        let indexed_by = match self.backend() {
            crate::Backend::Sqlite => "INDEXED BY qa_items_to_check",
            crate::Backend::Postgres => "",
        };
        Ok(sqlx::query_as(&format!(
            "SELECT q.id, q.kind, q.source_id, u.agent_no FROM qa_items q {indexed_by} \
             JOIN users u ON u.id = q.agent_id \
             WHERE q.checked_at IS NULL AND q.kind IN ('chat', 'email', 'call') \
             AND (q.kind <> 'chat' OR EXISTS (SELECT 1 FROM chat_conversations c \
                  WHERE c.id = q.source_id AND c.closed_at IS NOT NULL)) \
             AND (q.kind <> 'call' OR EXISTS (SELECT 1 FROM call_transcript_lines l \
                  WHERE l.call_id = q.source_id)) \
             ORDER BY q.occurred_at, q.id LIMIT {}",
            limit.min(10_000)
        ))
        .fetch_all(&self.read)
        .await?)
    }

    /// The conversation of a text item in order: a chat's messages, an e-mail thread (the
    /// opening mail, the customer's later mails, the agents' replies), or a call's
    /// transcript.
    pub async fn qa_conversation(
        &self,
        kind: &str,
        source_id: &str,
    ) -> Result<Vec<ConversationLine>, StoreError> {
        let mut all = self
            .qa_conversations(kind, std::slice::from_ref(&source_id.to_string()))
            .await?;
        Ok(all.remove(source_id).unwrap_or_default())
    }

    /// The conversations of several text items of one kind, by source id, in one query
    /// (the automatic checks read a thousand at a time; a query each made checking a
    /// month of chats take minutes). Sources without lines are absent.
    pub async fn qa_conversations(
        &self,
        kind: &str,
        source_ids: &[String],
    ) -> Result<HashMap<String, Vec<ConversationLine>>, StoreError> {
        let (select, in_lists) = match kind {
            "chat" => (
                "SELECT conversation_id AS source_id, CASE sender WHEN 'visitor' THEN 'customer' \
                 WHEN 'agent' THEN 'agent' ELSE 'system' END AS \"from\", at, body AS text \
                 FROM chat_messages WHERE conversation_id IN (#) ORDER BY conversation_id, seq",
                1,
            ),
            "email" => (
                "SELECT id AS source_id, 'customer' AS \"from\", created_at AS at, \
                 description AS text FROM tickets WHERE id IN (#) \
                 UNION ALL SELECT e.ticket_id, CASE WHEN e.kind = 'email' THEN 'customer' \
                 ELSE 'agent' END, e.at, COALESCE(e.body, '') FROM ticket_events e \
                 WHERE e.ticket_id IN (#) \
                 AND (e.kind = 'email' OR (e.kind = 'reply' AND e.internal = 0)) \
                 ORDER BY source_id, at",
                2,
            ),
            "call" => (
                "SELECT l.call_id AS source_id, l.speaker AS \"from\", \
                 c.started_at + l.at_ms AS at, l.text FROM call_transcript_lines l \
                 JOIN calls c ON c.id = l.call_id WHERE l.call_id IN (#) \
                 ORDER BY l.call_id, l.position",
                1,
            ),
            _ => return Ok(HashMap::new()),
        };
        let mut out: HashMap<String, Vec<ConversationLine>> = HashMap::new();
        for ids in source_ids.chunks(IDS_PER_STATEMENT) {
            if ids.is_empty() {
                continue;
            }
            let parts: Vec<&str> = select.split('#').collect();
            debug_assert_eq!(parts.len(), in_lists + 1);
            let mut sql = Sql::for_backend(self.backend(), parts[0]);
            for part in &parts[1..] {
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_text(id.as_str());
                }
                sql.push(part);
            }
            let lines: Vec<SourcedLine> = sql.query_as().fetch_all(&self.read).await?;
            for l in lines {
                out.entry(l.source_id).or_default().push(ConversationLine {
                    from: l.from,
                    at: l.at,
                    text: l.text,
                });
            }
        }
        Ok(out)
    }

    /// Stores what the automatic checks found on an item (replacing earlier findings).
    pub async fn save_qa_findings(
        &self,
        now: DateTime<Utc>,
        item_id: &str,
        findings: &[FindingRow],
    ) -> Result<(), StoreError> {
        self.save_qa_findings_many(now, &[(item_id.to_string(), findings.to_vec())])
            .await
    }

    /// Stores the findings of several items (replacing earlier ones) in one transaction
    /// of a few statements, however many items.
    pub async fn save_qa_findings_many(
        &self,
        now: DateTime<Utc>,
        checked: &[(String, Vec<FindingRow>)],
    ) -> Result<(), StoreError> {
        let backend = self.backend();
        let mut tx = self.write.begin().await?;
        for items in checked.chunks(IDS_PER_STATEMENT) {
            let mut delete =
                Sql::for_backend(backend, "DELETE FROM qa_findings WHERE item_id IN (");
            for (i, (id, _)) in items.iter().enumerate() {
                if i > 0 {
                    delete.push(", ");
                }
                delete.bind_text(id.as_str());
            }
            delete.push(")");
            delete.query().execute(&mut *tx).await?;
        }
        let rows: Vec<[Arg; 5]> = checked
            .iter()
            .flat_map(|(id, findings)| {
                findings.iter().enumerate().map(move |(i, f)| {
                    [
                        Arg::Text(id.clone()),
                        Arg::Int(i as i64),
                        Arg::Text(f.rule.clone()),
                        f.message_index.map_or(Arg::NullInt, Arg::Int),
                        Arg::Text(f.detail.clone()),
                    ]
                })
            })
            .collect();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut insert = Sql::for_backend(
                backend,
                "INSERT INTO qa_findings (item_id, position, rule, message_index, detail) VALUES ",
            );
            for (i, row) in rows.by_ref().take(IDS_PER_STATEMENT).enumerate() {
                if i > 0 {
                    insert.push(", ");
                }
                insert.push_row(row);
            }
            insert.query().execute(&mut *tx).await?;
        }
        // One update per number of findings (a handful), not one per item.
        let mut by_flags: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (id, findings) in checked {
            by_flags.entry(findings.len()).or_default().push(id);
        }
        for (flags, ids) in by_flags {
            for ids in ids.chunks(IDS_PER_STATEMENT) {
                let mut update = Sql::for_backend(backend, "UPDATE qa_items SET flags = ");
                update.bind_int(flags as i64);
                update.push(", checked_at = ");
                update.bind_int(to_millis(now));
                update.push(" WHERE id IN (");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        update.push(", ");
                    }
                    update.bind_text(*id);
                }
                update.push(")");
                update.query().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn qa_findings(&self, item_id: &str) -> Result<Vec<FindingRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT rule, message_index, detail FROM qa_findings WHERE item_id = $1 \
             ORDER BY position",
        )
        .bind(item_id)
        .fetch_all(&self.read)
        .await?)
    }
}
