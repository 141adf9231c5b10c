//! Reports: the records behind every metric, counted by group, and listed for a cell.
//!
//! Each metric is defined once, as a record source (a table, the moment that puts a record
//! in a period, the columns a filter or a grouping reads) and a condition. The counts and
//! the drill-down list of a cell are built from that same definition, so a cell's number
//! is always the length of its list. All the metrics of one source are counted in one
//! pass over the range (one `SUM(CASE …)` per metric), read through the index on the
//! source's moment.

use crate::{Arg, Db, Sql, StoreError};
use kefu_domain::report::{Grouping, Measure, Metric, Tally};
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod documents;
mod rollups;
mod spans;
pub use documents::*;
pub use rollups::{calendar_fingerprint, RollupProgress, RollupRun, RollupStatus, DAYS_BACK};

/// Where a metric's records come from. Column expressions are SQL over the source's
/// aliases; `None` where the source does not know the dimension.
#[derive(Clone, Copy)]
struct Source {
    key: &'static str,
    from: &'static str,
    /// `from` without the joins that only bring in dimensions (each joined row has its
    /// parent by a foreign key, or the join is a LEFT JOIN): what a report with no
    /// filter and rows by period reads.
    bare: &'static str,
    /// The moment that puts a record in a period (epoch ms).
    at: &'static str,
    /// What a drill-down row links to: its kind and id, and a short label.
    kind: &'static str,
    id: &'static str,
    label: &'static str,
    department: Option<&'static str>,
    agent: Option<&'static str>,
    channel: Option<&'static str>,
    ticket_type: Option<&'static str>,
    cause: Option<&'static str>,
    severity: Option<&'static str>,
    complaint_department: Option<&'static str>,
    /// A condition every record of the source meets (narrows the index range).
    base: &'static str,
}

impl Source {
    /// The dimensions a rollup cuts this source by, with the column each is read from.
    fn dims(&self) -> [(&'static str, Option<&'static str>); 4] {
        [
            ("department", self.department),
            ("agent", self.agent),
            ("channel", self.channel),
            ("type", self.ticket_type),
        ]
    }
}

const TICKET_LABEL: &str = "t.number || ' ' || t.subject";

const TICKETS_OPENED: Source = Source {
    key: "tickets_opened",
    from: "tickets t",
    bare: "tickets t",
    at: "t.created_at",
    kind: "'ticket'",
    id: "t.id",
    label: TICKET_LABEL,
    department: Some("t.department_id"),
    agent: Some("t.first_owner_id"),
    channel: Some("t.channel"),
    ticket_type: Some("t.ticket_type"),
    cause: None,
    severity: None,
    complaint_department: None,
    base: "1 = 1",
};

const TICKETS_RESOLVED: Source = Source {
    key: "tickets_resolved",
    at: "t.resolved_at",
    agent: Some("t.assignee_id"),
    ..TICKETS_OPENED
};

const TICKETS_RESPONDED: Source = Source {
    key: "tickets_responded",
    at: "t.first_responded_at",
    agent: Some("t.assignee_id"),
    ..TICKETS_OPENED
};

const TICKET_EVENTS: Source = Source {
    key: "ticket_events",
    from: "ticket_events e JOIN tickets t ON t.id = e.ticket_id",
    bare: "ticket_events e",
    at: "e.at",
    agent: Some("t.assignee_id"),
    base: "e.kind IN ('status', 'reply', 'overdue_notice', 'overdue')",
    ..TICKETS_OPENED
};

const CALLS: Source = Source {
    key: "calls",
    from: "calls c LEFT JOIN tickets t ON t.id = c.ticket_id",
    bare: "calls c",
    at: "c.started_at",
    kind: "'call'",
    id: "c.id",
    label: "COALESCE(c.queue, '')",
    department: None,
    agent: Some("c.agent_id"),
    channel: Some("'phone'"),
    ticket_type: Some("t.ticket_type"),
    cause: None,
    severity: None,
    complaint_department: None,
    base: "1 = 1",
};

const CHATS: Source = Source {
    key: "chats",
    from: "chat_conversations h LEFT JOIN tickets t ON t.id = h.ticket_id",
    bare: "chat_conversations h",
    at: "h.created_at",
    kind: "'chat'",
    id: "h.id",
    label: "h.visitor_name",
    agent: Some("h.agent_id"),
    channel: Some("'chat'"),
    ..CALLS
};

const CAMPAIGN_CALLS: Source = Source {
    key: "campaign_calls",
    from: "campaign_calls k JOIN campaigns m ON m.id = k.campaign_id",
    bare: "campaign_calls k JOIN campaigns m ON m.id = k.campaign_id",
    at: "k.called_at",
    kind: "'campaign'",
    id: "k.campaign_id",
    label: "m.name",
    agent: Some("k.agent_id"),
    ticket_type: None,
    ..CALLS
};

const CONVERSIONS: Source = Source {
    key: "conversions",
    from: "campaign_targets g JOIN campaigns m ON m.id = g.campaign_id",
    bare: "campaign_targets g JOIN campaigns m ON m.id = g.campaign_id",
    at: "g.converted_at",
    id: "g.campaign_id",
    agent: Some("g.agent_id"),
    ..CAMPAIGN_CALLS
};

const COMPLAINTS: Source = Source {
    key: "complaints",
    from: "complaints p JOIN tickets t ON t.id = p.ticket_id",
    bare: "complaints p",
    at: "p.created_at",
    kind: "'ticket'",
    id: "p.ticket_id",
    label: TICKET_LABEL,
    department: Some("COALESCE(p.department_id, t.department_id)"),
    agent: Some("p.recorder_id"),
    channel: Some("t.channel"),
    ticket_type: Some("t.ticket_type"),
    cause: Some("COALESCE(p.cause_id, '')"),
    severity: Some("p.severity"),
    complaint_department: Some("COALESCE(p.department_id, '')"),
    base: "1 = 1",
};

const CALLBACKS_DUE: Source = Source {
    key: "callbacks_due",
    from: "callback_tasks b LEFT JOIN tickets t ON t.id = b.ticket_id",
    bare: "callback_tasks b",
    at: "b.due_at",
    kind: "'callback'",
    id: "b.id",
    label: "COALESCE(b.title, b.kind)",
    department: Some("t.department_id"),
    agent: Some("b.assignee_id"),
    channel: None,
    ticket_type: Some("t.ticket_type"),
    cause: None,
    severity: None,
    complaint_department: None,
    base: "1 = 1",
};

const CALLBACK_ATTEMPTS: Source = Source {
    key: "callback_attempts",
    from: "callback_attempts a JOIN callback_tasks b ON b.id = a.task_id \
           LEFT JOIN tickets t ON t.id = b.ticket_id",
    bare: "callback_attempts a",
    at: "a.at",
    agent: Some("a.by_id"),
    ..CALLBACKS_DUE
};

const SURVEYS: Source = Source {
    key: "surveys",
    from: "survey_responses s LEFT JOIN tickets t ON t.id = s.ticket_id",
    bare: "survey_responses s",
    at: "s.created_at",
    kind: "CASE WHEN s.ticket_id IS NULL THEN 'customer' ELSE 'ticket' END",
    id: "COALESCE(s.ticket_id, s.customer_id)",
    label: "COALESCE(t.number, '')",
    department: Some("t.department_id"),
    agent: Some("t.assignee_id"),
    channel: Some("t.channel"),
    ticket_type: Some("t.ticket_type"),
    cause: None,
    severity: None,
    complaint_department: None,
    base: "1 = 1",
};

const QA: Source = Source {
    key: "qa",
    from: "qa_inspections i",
    bare: "qa_inspections i",
    at: "i.published_at",
    kind: "'qa'",
    id: "i.id",
    label: "i.month",
    department: None,
    agent: Some("i.agent_id"),
    channel: None,
    ticket_type: None,
    cause: None,
    severity: None,
    complaint_department: None,
    base: "i.state IN ('published', 'appealed', 'upheld', 'rejected')",
};

/// How a metric reads its source's records.
struct Def {
    source: &'static Source,
    /// The records behind the metric (for a rate: those it is a share of).
    records: &'static str,
    /// Rate: the records that met the condition. Average: the value. Spans: the moment the
    /// working time is counted from (it ends at the source's moment).
    value: Option<&'static str>,
    /// A narrower condition than the source's `base` that every record of the metric
    /// meets (one kind of event), for a pass that counts only such metrics: a day's broken
    /// promises read the day's overdue events, not all its replies too.
    narrow: Option<&'static str>,
}

fn def(metric: Metric) -> Def {
    use Metric::*;
    let d = |source, records| Def {
        source,
        records,
        value: None,
        narrow: None,
    };
    let v = |source, records, value| Def {
        source,
        records,
        value: Some(value),
        narrow: None,
    };
    let event = |kind: &'static str, records| Def {
        narrow: Some(kind),
        ..d(&TICKET_EVENTS, records)
    };
    match metric {
        CallsOffered => d(&CALLS, "c.offered_at IS NOT NULL"),
        CallsAnswered => d(&CALLS, "c.answered_at IS NOT NULL"),
        Chats => d(&CHATS, "1 = 1"),
        OutboundCalls => d(&CAMPAIGN_CALLS, "1 = 1"),
        TicketsOpened => d(&TICKETS_OPENED, "1 = 1"),
        TicketsOverdue => d(&TICKETS_OPENED, "t.overdue_count > 0"),
        TicketsResolved => d(&TICKETS_RESOLVED, "1 = 1"),
        ResolutionMedian | ResolutionP90 => v(&TICKETS_RESOLVED, "1 = 1", "t.created_at"),
        SlaResolution => v(
            &TICKETS_RESOLVED,
            "t.resolution_due IS NOT NULL",
            "t.resolved_at <= t.resolution_due",
        ),
        FirstResponseMedian | FirstResponseP90 => v(&TICKETS_RESPONDED, "1 = 1", "t.created_at"),
        SlaFirstResponse => v(
            &TICKETS_RESPONDED,
            "t.first_response_due IS NOT NULL",
            "t.first_responded_at <= t.first_response_due",
        ),
        // A status event's detail is `{"from":…,"to":…}`: from resolved or closed is a
        // reopening (the status machine allows no other move out of those).
        TicketsReopened => event(
            "e.kind = 'status'",
            "e.kind = 'status' AND (e.detail LIKE '{\"from\":\"resolved\"%' \
             OR e.detail LIKE '{\"from\":\"closed\"%')",
        ),
        // A reply's detail names the promise it kept, or `null`.
        PromisesKept => event(
            "e.kind = 'reply'",
            "e.kind = 'reply' AND e.detail LIKE '%\"promise_kept\":%' \
             AND e.detail NOT LIKE '%\"promise_kept\":null%'",
        ),
        PromisesRenewed => event("e.kind = 'overdue_notice'", "e.kind = 'overdue_notice'"),
        PromisesBroken => event("e.kind = 'overdue'", "e.kind = 'overdue'"),
        Complaints => d(&COMPLAINTS, "1 = 1"),
        CallbacksPlanned => d(&CALLBACKS_DUE, "b.status <> 'cancelled'"),
        CallbacksDone => d(&CALLBACK_ATTEMPTS, "a.result = 'done'"),
        CallbacksReached => d(&CALLBACK_ATTEMPTS, "a.result IN ('done', 'later')"),
        CallbacksUnreachable => d(&CALLBACK_ATTEMPTS, "a.result IN ('unreachable', 'busy')"),
        Csat => v(&SURVEYS, "s.csat IS NOT NULL", "s.csat"),
        Nps => v(&SURVEYS, "s.nps IS NOT NULL", "s.nps"),
        QaScore => v(&QA, "i.total_tenths IS NOT NULL", "i.total_tenths"),
        Conversions => d(&CONVERSIONS, "1 = 1"),
    }
}

/// The records a report counts: a range of moments, and the filters.
#[derive(Debug, Clone, Default)]
pub struct ReportScope {
    /// `[from, until)` in epoch ms.
    pub from: i64,
    pub until: i64,
    /// The center's offset from UTC in ms: a record's local day is
    /// `(at + day_offset) / 86_400_000`.
    pub day_offset: i64,
    /// The departments (a department and the groups under it). A source without a
    /// department of its own is filtered by the departments its agent holds positions in.
    pub departments: Option<Vec<String>>,
    pub agent: Option<String>,
    pub channel: Option<String>,
    pub ticket_type: Option<String>,
    /// The fingerprint ([`calendar_fingerprint`]) of the calendar the caller counts working
    /// times on: median and P90 metrics read the daily rollups only when it is the one they
    /// were made with. `None`: those metrics read their records.
    pub calendar: Option<String>,
    /// Read every record, not the rollups (to check them against).
    pub records_only: bool,
}

/// The tallies of one metric, by group: the local day number (days since 1970-01-01)
/// when grouping by period, else the group's key (`""` for records without one).
#[derive(Debug, Clone, Default)]
pub struct MetricTallies {
    pub by_day: BTreeMap<i64, Tally>,
    pub by_key: BTreeMap<String, Tally>,
    /// Median and P90: each record's `(from, to)` moments, by group, for the caller to
    /// turn into working time on the business calendar.
    pub spans_by_day: BTreeMap<i64, Vec<(i64, i64)>>,
    pub spans_by_key: BTreeMap<String, Vec<(i64, i64)>>,
}

/// One record behind a cell.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DrillRow {
    pub kind: String,
    pub id: String,
    pub label: String,
    pub at: i64,
    /// Rate: 1 when the record met the condition. Average and NPS: the value. Spans: the
    /// moment the working time is counted from.
    pub value: Option<i64>,
}

/// A cell: the metric, and for a non-period grouping the group's key (the scope's range
/// is then the period).
#[derive(Debug, Clone)]
pub struct CellRef {
    pub metric: Metric,
    pub grouping: Grouping,
    pub key: Option<String>,
}

fn group_expr(src: &Source, grouping: Grouping) -> Option<&'static str> {
    match grouping {
        Grouping::Period => Some(src.at),
        Grouping::Agent => src.agent,
        Grouping::Channel => src.channel,
        Grouping::TicketType => src.ticket_type,
        Grouping::Cause => src.cause,
        Grouping::Severity => src.severity,
        Grouping::ComplaintDepartment => src.complaint_department,
    }
}

/// Whether a metric can be shown under these filters and this grouping (its source knows
/// every dimension asked about).
pub fn applies(metric: Metric, scope: &ReportScope, grouping: Grouping) -> bool {
    let src = def(metric).source;
    group_expr(src, grouping).is_some()
        && (scope.departments.is_none() || src.department.is_some() || src.agent.is_some())
        && (scope.agent.is_none() || src.agent.is_some())
        && (scope.channel.is_none() || src.channel.is_some())
        && (scope.ticket_type.is_none() || src.ticket_type.is_some())
}

/// `(a, b, …)` of text values (`(NULL)` for none: matches nothing).
fn push_list(q: &mut Sql, values: &[String]) {
    q.push("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(Arg::Text(v.clone()));
    }
    if values.is_empty() {
        q.push("NULL");
    }
    q.push(")");
}

/// `(SELECT …)`: the agents holding a position in one of the departments — how a
/// department filter reaches records that know only their agent.
fn push_agents_of(q: &mut Sql, departments: &[String]) {
    q.push(
        "(SELECT sp.user_id FROM staff_positions sp \
         JOIN positions po ON po.id = sp.position_id WHERE po.department_id IN ",
    );
    push_list(q, departments);
    q.push(")");
}

/// `WHERE` for a source's records in the scope (without the metric's own condition).
fn push_scope(q: &mut Sql, src: &Source, scope: &ReportScope) {
    q.push(" WHERE ")
        .push(src.at)
        .push(" >= ")
        .bind_int(scope.from)
        .push(" AND ")
        .push(src.at)
        .push(" < ")
        .bind_int(scope.until)
        .push(" AND ")
        .push(src.base);
    if let Some(depts) = &scope.departments {
        if let Some(col) = src.department {
            q.push(" AND ").push(col).push(" IN ");
            push_list(q, depts);
        } else if let Some(agent) = src.agent {
            q.push(" AND ").push(agent).push(" IN ");
            push_agents_of(q, depts);
        }
    }
    for (value, col) in [
        (&scope.agent, src.agent),
        (&scope.channel, src.channel),
        (&scope.ticket_type, src.ticket_type),
    ] {
        if let (Some(v), Some(col)) = (value, col) {
            q.push(" AND ").push(col).push(" = ").bind_text(v.clone());
        }
    }
}

fn day_key(q: &mut Sql, src: &Source, scope: &ReportScope) {
    q.push("(")
        .push(src.at)
        .push(" + ")
        .bind_int(scope.day_offset);
    q.push(") / 86400000");
}

/// Five sums per metric: the records, the hits, the values' sum, promoters, detractors.
fn push_sums(q: &mut Sql, metrics: &[Metric]) {
    for m in metrics {
        let d = def(*m);
        let sum = |q: &mut Sql, cond: &str| {
            q.push(", CAST(COALESCE(SUM(CASE WHEN ")
                .push(d.records)
                .push(" AND ")
                .push(cond)
                .push(" THEN 1 ELSE 0 END), 0) AS BIGINT)");
        };
        sum(q, "1 = 1");
        match (m.measure(), d.value) {
            (Measure::Rate, Some(hit)) => sum(q, hit),
            _ => {
                q.push(", CAST(0 AS BIGINT)");
            }
        }
        match (m.measure(), d.value) {
            (Measure::Average, Some(v)) => {
                q.push(", CAST(COALESCE(SUM(CASE WHEN ")
                    .push(d.records)
                    .push(" THEN ")
                    .push(v)
                    .push(" ELSE 0 END), 0) AS BIGINT)");
            }
            _ => {
                q.push(", CAST(0 AS BIGINT)");
            }
        }
        match (m.measure(), d.value) {
            (Measure::Nps, Some(v)) => {
                sum(q, &format!("{v} >= 9"));
                sum(q, &format!("{v} <= 6"));
            }
            _ => {
                q.push(", CAST(0 AS BIGINT), CAST(0 AS BIGINT)");
            }
        }
    }
}

/// The tally of the `i`th metric summed by [`push_sums`] from column `first` on.
fn read_sums(row: &sqlx::any::AnyRow, first: usize, i: usize) -> Result<Tally, sqlx::Error> {
    use sqlx::Row;
    let col = first + i * 5;
    Ok(Tally {
        n: row.try_get(col)?,
        hits: row.try_get(col + 1)?,
        sum: row.try_get(col + 2)?,
        promoters: row.try_get(col + 3)?,
        detractors: row.try_get(col + 4)?,
        seconds: Vec::new(),
    })
}

fn is_span(m: Metric) -> bool {
    matches!(m.measure(), Measure::Median | Measure::P90)
}

impl Db {
    /// The tallies of `metrics` over the scope, grouped. Metrics that do not apply (see
    /// [`applies`]) are left out of the result. Whole days that are rolled up and clean
    /// are read from the daily rollups where the grouping and filters allow
    /// (`rollups`), the rest from the records.
    pub async fn report_tallies(
        &self,
        scope: &ReportScope,
        grouping: Grouping,
        metrics: &[Metric],
    ) -> Result<HashMap<Metric, MetricTallies>, StoreError> {
        let mut out: HashMap<Metric, MetricTallies> = HashMap::new();
        // The metrics of each source, counted in one pass.
        let mut by_source: BTreeMap<&'static str, Vec<Metric>> = BTreeMap::new();
        for m in metrics {
            if applies(*m, scope, grouping) {
                by_source.entry(def(*m).source.key).or_default().push(*m);
            }
        }
        let rolled = if scope.records_only {
            rollups::RolledDays::default()
        } else {
            self.rolled_days(scope).await?
        };
        // Each source in its own pass, side by side (each on a connection of the pool):
        // a dashboard's headline figures read seven sources.
        let passes = by_source
            .values()
            .map(|ms| self.tally_source(scope, grouping, ms, &rolled));
        for part in futures::future::try_join_all(passes).await? {
            out.extend(part);
        }
        Ok(out)
    }

    /// The tallies of the metrics of one source.
    async fn tally_source(
        &self,
        scope: &ReportScope,
        grouping: Grouping,
        ms: &[Metric],
        rolled: &rollups::RolledDays,
    ) -> Result<HashMap<Metric, MetricTallies>, StoreError> {
        let mut out: HashMap<Metric, MetricTallies> =
            ms.iter().map(|m| (*m, MetricTallies::default())).collect();
        let none = BTreeSet::new();
        let src = def(ms[0]).source;
        let group = group_expr(src, grouping).expect("applies checked it");
        let cut = rollups::cut(src, scope, grouping);
        let (spans, counted): (Vec<Metric>, Vec<Metric>) =
            ms.iter().copied().partition(|m| is_span(*m));
        let (count_days, span_days) = match &cut {
            Some(_) => (&rolled.counts, &rolled.spans),
            None => (&none, &none),
        };
        if !counted.is_empty() {
            for part in rollups::base_parts(scope, count_days) {
                self.count_source(src, &part, grouping, group, &counted, &mut out)
                    .await?;
            }
            if let Some(cut) = &cut {
                self.read_rollups(cut, &counted, count_days, grouping, &mut out)
                    .await?;
            }
        }
        for m in spans {
            for part in rollups::base_parts(scope, span_days) {
                self.spans_of(src, &part, grouping, group, m, &mut out)
                    .await?;
            }
            if let Some(cut) = &cut {
                self.read_rollups(cut, &[m], span_days, grouping, &mut out)
                    .await?;
            }
        }
        Ok(out)
    }

    async fn count_source(
        &self,
        src: &Source,
        scope: &ReportScope,
        grouping: Grouping,
        group: &str,
        metrics: &[Metric],
        out: &mut HashMap<Metric, MetricTallies>,
    ) -> Result<(), StoreError> {
        // Metrics that all read one kind of record read only that kind.
        let narrowed;
        let src = match metrics
            .iter()
            .map(|m| def(*m).narrow)
            .reduce(|a, b| if a == b { a } else { None })
            .flatten()
        {
            Some(base) => {
                narrowed = Source { base, ..*src };
                &narrowed
            }
            None => src,
        };
        let mut q = Sql::new("SELECT ");
        if grouping == Grouping::Period {
            day_key(&mut q, src, scope);
            q.push(" AS g");
        } else {
            q.push(group).push(" AS g");
        }
        push_sums(&mut q, metrics);
        let plain = grouping == Grouping::Period
            && scope.departments.is_none()
            && scope.agent.is_none()
            && scope.channel.is_none()
            && scope.ticket_type.is_none();
        q.push(" FROM ")
            .push(if plain { src.bare } else { src.from });
        push_scope(&mut q, src, scope);
        q.push(" GROUP BY 1");
        let rows = q.query().fetch_all(&self.read).await?;
        use sqlx::Row;
        for row in rows {
            let (day, key) = if grouping == Grouping::Period {
                (Some(row.try_get::<i64, _>(0)?), None)
            } else {
                let key: Option<String> = row.try_get(0)?;
                (None, Some(key.unwrap_or_default()))
            };
            for (i, m) in metrics.iter().enumerate() {
                let t = read_sums(&row, 1, i)?;
                if t.n == 0 {
                    continue;
                }
                let tallies = out.get_mut(m).expect("inserted above");
                match (day, &key) {
                    (Some(day), _) => tallies.by_day.entry(day).or_default().add(&t),
                    (None, Some(key)) => tallies.by_key.entry(key.clone()).or_default().add(&t),
                    _ => unreachable!("one of the two is set"),
                }
            }
        }
        Ok(())
    }

    /// The records behind a cell, oldest first, a page at a time; and how many there are.
    pub async fn report_drill(
        &self,
        scope: &ReportScope,
        cell: &CellRef,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DrillRow>, i64), StoreError> {
        if !applies(cell.metric, scope, cell.grouping) {
            return Ok((Vec::new(), 0));
        }
        let d = def(cell.metric);
        let src = d.source;
        let filter = |q: &mut Sql| {
            q.push(" FROM ").push(src.from);
            push_scope(q, src, scope);
            q.push(" AND ").push(d.records);
            if let (Some(key), Some(group)) = (&cell.key, group_expr(src, cell.grouping)) {
                if cell.grouping != Grouping::Period {
                    q.push(" AND COALESCE(")
                        .push(group)
                        .push(", '') = ")
                        .bind_text(key.clone());
                }
            }
        };
        let mut count = Sql::new("SELECT COUNT(*)");
        filter(&mut count);
        let total: i64 = {
            use sqlx::Row;
            count.query().fetch_one(&self.read).await?.try_get(0)?
        };
        let value = match (cell.metric.measure(), d.value) {
            (Measure::Rate, Some(hit)) => {
                format!("CAST(CASE WHEN {hit} THEN 1 ELSE 0 END AS BIGINT)")
            }
            (_, Some(v)) => format!("CAST({v} AS BIGINT)"),
            (_, None) => "CAST(NULL AS BIGINT)".into(),
        };
        let mut q = Sql::new("SELECT ");
        q.push(src.kind)
            .push(" AS kind, ")
            .push(src.id)
            .push(" AS id, COALESCE(")
            .push(src.label)
            .push(", '') AS label, ")
            .push(src.at)
            .push(" AS at, ")
            .push(&value)
            .push(" AS value");
        filter(&mut q);
        q.push(" ORDER BY 4, 2 LIMIT ")
            .bind_int(limit)
            .push(" OFFSET ")
            .bind_int(offset);
        let rows = q.query_as::<DrillRow>().fetch_all(&self.read).await?;
        Ok((rows, total))
    }
}
