//! Daily rollups of the report metrics (migration 0035): for every past local day, each
//! metric's tally cut five ways — the whole center (`all`), and by department, agent,
//! channel and type one at a time. A month of the whole center is then thirty rows per
//! metric instead of the month's records.
//!
//! A day is rolled up by counting its records with the very definitions the reports use
//! ([`super::def`]), so a rollup cell and its drill-down list still come from one
//! definition. Triggers note the hour of every changed record in `report_changes`; a
//! report reads a rolled-up day's rollups only while no note touches the day, and the
//! records otherwise (and for today and every day not rolled up yet). The scheduler rolls
//! noted days up again and deletes the notes it read *before* counting: on SQLite every
//! note up to the highest id it read is committed (one writer); on PostgreSQL it takes a
//! SHARE lock on the notes to read that id, which waits for the writers still noting.
//! A note written while a day is being counted stays, so the day stays noted.

use super::{
    def, is_span, push_agents_of, push_list, push_scope, push_sums, read_sums, MetricTallies,
    ReportScope, Source,
};
use crate::{Arg, Backend, Db, Sql, StoreError};
use kefu_domain::calendar::BusinessCalendar;
use kefu_domain::report::{decode_seconds, encode_seconds, Grouping, Metric, Tally};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// How many days back a server keeps rolled up (a report covers at most 732 days; older
/// days are read from their records).
pub const DAYS_BACK: i64 = 800;

/// The cuts every source is rolled up by (those its records know).
const DIMS: [&str; 5] = ["all", "department", "agent", "channel", "type"];

/// How long a server keeps the rollups to itself after each refresh.
const LEASE_MS: i64 = 10 * 60 * 1000;

/// Rows per multi-row insert (10 values each).
const INSERT_ROWS: usize = 200;

/// The fingerprint of a working calendar: rollups of working times are valid only for
/// the calendar they were counted on.
pub fn calendar_fingerprint(cal: &BusinessCalendar) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{cal:?}").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// The local day of a moment.
fn day_of(ms: i64, offset: i64) -> i64 {
    (ms + offset).div_euclid(DAY_MS)
}

/// The moment local day `day` begins.
fn midnight(day: i64, offset: i64) -> i64 {
    day * DAY_MS - offset
}

/// The local days an hour note touches (two when the offset is not whole hours).
fn hour_days(hour: i64, offset: i64) -> [i64; 2] {
    [
        day_of(hour * HOUR_MS, offset),
        day_of((hour + 1) * HOUR_MS - 1, offset),
    ]
}

/// The whole local days `[first, end)` inside a scope's range.
fn whole_days(scope: &ReportScope) -> (i64, i64) {
    let first = (scope.from + scope.day_offset + DAY_MS - 1).div_euclid(DAY_MS);
    let end = day_of(scope.until, scope.day_offset);
    (first, end.max(first))
}

/// Which rollup rows stand for a report's records: one cut, narrowed to values.
pub(super) struct Cut {
    dim: &'static str,
    conds: Vec<Cond>,
}

enum Cond {
    Is(String),
    In(Vec<String>),
    /// Agents holding a position in one of the departments.
    AgentsOf(Vec<String>),
}

/// Takes `dim` as the cut's one dimension; `None` when the cut names another already.
fn take(cut: &mut Option<&'static str>, dim: &'static str) -> Option<()> {
    match cut {
        Some(d) if *d != dim => None,
        _ => {
            *cut = Some(dim);
            Some(())
        }
    }
}

/// The cut a report's grouping and filters read for a source, if the rollups hold it:
/// the grouping and the filters together name at most one dimension. A department
/// filter on a source without departments filters its agents, as the records' query does.
pub(super) fn cut(src: &Source, scope: &ReportScope, grouping: Grouping) -> Option<Cut> {
    let mut dim = None;
    let mut conds = Vec::new();
    match grouping {
        Grouping::Period => {}
        Grouping::Agent => take(&mut dim, "agent")?,
        Grouping::Channel => take(&mut dim, "channel")?,
        Grouping::TicketType => take(&mut dim, "type")?,
        Grouping::Cause | Grouping::Severity | Grouping::ComplaintDepartment => return None,
    }
    if let Some(depts) = &scope.departments {
        if src.department.is_some() {
            take(&mut dim, "department")?;
            conds.push(Cond::In(depts.clone()));
        } else {
            take(&mut dim, "agent")?;
            conds.push(Cond::AgentsOf(depts.clone()));
        }
    }
    for (value, d) in [
        (&scope.agent, "agent"),
        (&scope.channel, "channel"),
        (&scope.ticket_type, "type"),
    ] {
        if let Some(v) = value {
            take(&mut dim, d)?;
            conds.push(Cond::Is(v.clone()));
        }
    }
    Some(Cut {
        dim: dim.unwrap_or("all"),
        conds,
    })
}

/// The whole days of a report's range that its rollups stand for.
#[derive(Debug, Default)]
pub(super) struct RolledDays {
    /// Rolled up with the report's day offset and not noted since.
    pub counts: BTreeSet<i64>,
    /// Of those, the ones whose working times were counted on the report's calendar.
    pub spans: BTreeSet<i64>,
}

/// Consecutive days as `(first, last)` runs.
fn runs(days: &BTreeSet<i64>) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == d => *last = d,
            _ => out.push((d, d)),
        }
    }
    out
}

/// The parts of a scope's range outside `rolled` (whole days): what is read from records.
pub(super) fn base_parts(scope: &ReportScope, rolled: &BTreeSet<i64>) -> Vec<ReportScope> {
    let (first, end) = whole_days(scope);
    let mut parts = Vec::new();
    let mut at = scope.from;
    for &day in rolled.range(first..end) {
        let (a, b) = (
            midnight(day, scope.day_offset),
            midnight(day + 1, scope.day_offset),
        );
        if a > at {
            parts.push(ReportScope {
                from: at,
                until: a,
                ..scope.clone()
            });
        }
        at = b;
    }
    if at < scope.until {
        parts.push(ReportScope {
            from: at,
            ..scope.clone()
        });
    }
    parts
}

/// One refresh of the rollups: see [`Db::refresh_report_rollups`].
#[derive(Debug, Clone, Copy)]
pub struct RollupRun<'a> {
    /// The server's own clock, for the lease (epoch ms).
    pub wall_ms: i64,
    /// The oldest day kept rolled up.
    pub first_day: i64,
    /// Today: it and later days are never rolled up.
    pub today: i64,
    /// The center's offset from UTC in ms.
    pub day_offset: i64,
    /// The calendar working times are counted on.
    pub calendar: &'a BusinessCalendar,
    /// This server's name in the lease.
    pub owner: &'a str,
    /// The time to spend counting days.
    pub budget: Duration,
}

/// How far a refresh got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupProgress {
    /// Days (re)counted.
    pub days_rolled: usize,
    /// Days still to count: the refresh stopped at its time budget.
    pub pending: bool,
    /// Another server maintains the rollups (it holds the lease).
    pub elsewhere: bool,
    /// The rollups were emptied because the day offset or the calendar changed.
    pub reset: bool,
}

/// What the rollups hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupStatus {
    pub days: i64,
    pub first_day: Option<i64>,
    pub last_day: Option<i64>,
    /// When the most recent day was counted (epoch ms).
    pub made_at: Option<i64>,
    /// Changes noted and not yet handled.
    pub notes: i64,
}

/// Every source with the metrics it counts.
fn sources() -> Vec<(&'static Source, Vec<Metric>)> {
    let mut out: Vec<(&'static Source, Vec<Metric>)> = Vec::new();
    for m in Metric::ALL {
        let src = def(*m).source;
        match out.iter_mut().find(|(s, _)| s.key == src.key) {
            Some((_, ms)) => ms.push(*m),
            None => out.push((src, vec![*m])),
        }
    }
    out
}

/// Adds a record's tally to every cut it belongs to.
fn add_to_cuts(
    cells: &mut HashMap<(Metric, &'static str, String), Tally>,
    src: &Source,
    metric: Metric,
    values: &[String; 4],
    t: &Tally,
) {
    cells
        .entry((metric, "all", String::new()))
        .or_default()
        .add(t);
    for (i, (dim, col)) in src.dims().iter().enumerate() {
        if col.is_some() {
            cells
                .entry((metric, *dim, values[i].clone()))
                .or_default()
                .add(t);
        }
    }
}

impl Db {
    /// The whole days of the scope that reports may read from the rollups.
    pub(super) async fn rolled_days(&self, scope: &ReportScope) -> Result<RolledDays, StoreError> {
        let (first, end) = whole_days(scope);
        if first >= end {
            return Ok(RolledDays::default());
        }
        let stamp: Option<(i64, String)> =
            sqlx::query_as("SELECT day_offset, calendar FROM report_rollup_stamp WHERE id = 1")
                .fetch_optional(&self.read)
                .await?;
        let Some((offset, calendar)) = stamp else {
            return Ok(RolledDays::default());
        };
        if offset != scope.day_offset {
            return Ok(RolledDays::default());
        }
        let days: Vec<(i64,)> =
            sqlx::query_as("SELECT day FROM report_rollup_days WHERE day >= $1 AND day < $2")
                .bind(first)
                .bind(end)
                .fetch_all(&self.read)
                .await?;
        if days.is_empty() {
            return Ok(RolledDays::default());
        }
        let hours: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT hour FROM report_changes WHERE hour >= $1 AND hour <= $2",
        )
        .bind(midnight(first, offset).div_euclid(HOUR_MS) - 1)
        .bind(midnight(end, offset).div_euclid(HOUR_MS) + 1)
        .fetch_all(&self.read)
        .await?;
        let noted: BTreeSet<i64> = hours
            .iter()
            .flat_map(|(h,)| hour_days(*h, offset))
            .collect();
        let counts: BTreeSet<i64> = days
            .into_iter()
            .map(|(d,)| d)
            .filter(|d| !noted.contains(d))
            .collect();
        let spans = if scope.calendar.as_deref() == Some(calendar.as_str()) {
            counts.clone()
        } else {
            BTreeSet::new()
        };
        Ok(RolledDays { counts, spans })
    }

    /// Adds the rollups of `days` for `metrics` in the cut to the report's tallies. Rows
    /// by agent, channel or type are summed by the database (a month by 200 agents is
    /// 6,000 rollups per metric); times are read per day, they are lists to merge.
    pub(super) async fn read_rollups(
        &self,
        cut: &Cut,
        metrics: &[Metric],
        days: &BTreeSet<i64>,
        grouping: Grouping,
        out: &mut HashMap<Metric, MetricTallies>,
    ) -> Result<(), StoreError> {
        if days.is_empty() {
            return Ok(());
        }
        let summed = grouping != Grouping::Period && !metrics.iter().any(|m| is_span(*m));
        let mut q = Sql::new(if summed {
            "SELECT metric, CAST(MIN(day) AS BIGINT), value, CAST(SUM(n) AS BIGINT), \
             CAST(SUM(hits) AS BIGINT), CAST(SUM(total) AS BIGINT), \
             CAST(SUM(promoters) AS BIGINT), CAST(SUM(detractors) AS BIGINT) \
             FROM report_rollups WHERE metric IN "
        } else {
            "SELECT metric, day, value, n, hits, total, promoters, detractors, seconds \
             FROM report_rollups WHERE metric IN "
        });
        let codes: Vec<String> = metrics.iter().map(|m| m.code().to_string()).collect();
        push_list(&mut q, &codes);
        q.push(" AND dim = ").bind_text(cut.dim).push(" AND (");
        for (i, (a, b)) in runs(days).into_iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("day BETWEEN ").bind_int(a).push(" AND ").bind_int(b);
        }
        q.push(")");
        for cond in &cut.conds {
            match cond {
                Cond::Is(v) => {
                    q.push(" AND value = ").bind_text(v.clone());
                }
                Cond::In(values) => {
                    q.push(" AND value IN ");
                    push_list(&mut q, values);
                }
                Cond::AgentsOf(depts) => {
                    q.push(" AND value IN ");
                    push_agents_of(&mut q, depts);
                }
            }
        }
        if summed {
            q.push(" GROUP BY metric, value");
        }
        let rows = q.query().fetch_all(&self.read).await?;
        use sqlx::Row;
        for row in rows {
            let day: i64 = row.try_get(1)?;
            let code: String = row.try_get(0)?;
            let Some(metric) = Metric::from_code(&code) else {
                continue;
            };
            let seconds: Option<Vec<u8>> = if summed { None } else { row.try_get(8)? };
            let t = Tally {
                n: row.try_get(3)?,
                hits: row.try_get(4)?,
                sum: row.try_get(5)?,
                promoters: row.try_get(6)?,
                detractors: row.try_get(7)?,
                seconds: match seconds {
                    Some(bytes) => decode_seconds(&bytes).ok_or_else(|| {
                        StoreError::Corrupt(format!("report rollup {code} of day {day}: bad times"))
                    })?,
                    None => Vec::new(),
                },
            };
            let Some(tallies) = out.get_mut(&metric) else {
                continue;
            };
            if grouping == Grouping::Period {
                tallies.by_day.entry(day).or_default().add(&t);
            } else {
                let key: String = row.try_get(2)?;
                tallies.by_key.entry(key).or_default().add(&t);
            }
        }
        Ok(())
    }

    /// Brings the rollups up to date: the days noted as changed, then the days from
    /// `first_day` to yesterday not rolled up yet (newest first), until `budget` is
    /// spent. `today` and later days are never rolled up. `wall_ms` is the server's own clock
    /// (the lease); `owner` names this server. Rollups made with another day offset or
    /// calendar are emptied first.
    pub async fn refresh_report_rollups(
        &self,
        run: &RollupRun<'_>,
    ) -> Result<RollupProgress, StoreError> {
        let RollupRun {
            wall_ms,
            first_day,
            today,
            day_offset,
            calendar: cal,
            owner,
            budget,
        } = *run;
        let started = Instant::now();
        let calendar = calendar_fingerprint(cal);
        let mut progress = RollupProgress::default();
        sqlx::query(
            "INSERT INTO report_rollup_stamp (id, day_offset, calendar, lease_owner, lease_until) \
             VALUES (1, $1, $2, NULL, 0) ON CONFLICT (id) DO NOTHING",
        )
        .bind(day_offset)
        .bind(&calendar)
        .execute(&self.write)
        .await?;
        let leased = sqlx::query(
            "UPDATE report_rollup_stamp SET lease_owner = $1, lease_until = $2 \
             WHERE id = 1 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $3)",
        )
        .bind(owner)
        .bind(wall_ms + LEASE_MS)
        .bind(wall_ms)
        .execute(&self.write)
        .await?;
        if leased.rows_affected() == 0 {
            progress.elsewhere = true;
            return Ok(progress);
        }
        let (offset, made_with): (i64, String) =
            sqlx::query_as("SELECT day_offset, calendar FROM report_rollup_stamp WHERE id = 1")
                .fetch_one(&self.write)
                .await?;
        if offset != day_offset || made_with != calendar {
            let mut tx = self.write.begin().await?;
            sqlx::query("DELETE FROM report_rollups")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM report_rollup_days")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE report_rollup_stamp SET day_offset = $1, calendar = $2 WHERE id = 1",
            )
            .bind(day_offset)
            .bind(&calendar)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            progress.reset = true;
        }

        let watermark = self.change_watermark().await?;
        let hours: Vec<i64> = match watermark {
            None => Vec::new(),
            Some(m) => {
                let rows: Vec<(i64,)> =
                    sqlx::query_as("SELECT DISTINCT hour FROM report_changes WHERE id <= $1")
                        .bind(m)
                        .fetch_all(&self.read)
                        .await?;
                rows.into_iter().map(|(h,)| h).collect()
            }
        };
        let rolled: BTreeSet<i64> = {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT day FROM report_rollup_days")
                .fetch_all(&self.read)
                .await?;
            rows.into_iter().map(|(d,)| d).collect()
        };
        let noted: BTreeSet<i64> = hours
            .iter()
            .flat_map(|h| hour_days(*h, day_offset))
            .filter(|d| rolled.contains(d))
            .collect();
        let missing = (first_day..today).rev().filter(|d| !rolled.contains(d));
        let mut done = BTreeSet::new();
        for day in noted.iter().rev().copied().chain(missing) {
            if started.elapsed() >= budget {
                progress.pending = true;
                break;
            }
            self.roll_day(day, day_offset, cal, wall_ms).await?;
            done.insert(day);
            progress.days_rolled += 1;
        }

        // The notes read are handled, but for days noted and not counted again yet.
        if let Some(m) = watermark {
            let keep: Vec<String> = hours
                .iter()
                .filter(|h| {
                    hour_days(**h, day_offset)
                        .iter()
                        .any(|d| noted.contains(d) && !done.contains(d))
                })
                .map(|h| h.to_string())
                .collect();
            let mut q = Sql::new("DELETE FROM report_changes WHERE id <= ");
            q.bind_int(m);
            if !keep.is_empty() {
                q.push(" AND hour NOT IN (");
                q.push(&keep.join(", "));
                q.push(")");
            }
            q.query().execute(&self.write).await?;
        }
        Ok(progress)
    }

    /// The highest note id whose note, and every one below it, is committed.
    async fn change_watermark(&self) -> Result<Option<i64>, StoreError> {
        if self.backend() == Backend::Postgres {
            let mut tx = self.write.begin().await?;
            sqlx::query("LOCK TABLE report_changes IN SHARE MODE")
                .execute(&mut *tx)
                .await?;
            let (m,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM report_changes")
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(m)
        } else {
            let (m,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM report_changes")
                .fetch_one(&self.read)
                .await?;
            Ok(m)
        }
    }

    /// Counts one local day's records into its rollups, replacing what they held.
    async fn roll_day(
        &self,
        day: i64,
        offset: i64,
        cal: &BusinessCalendar,
        made_at: i64,
    ) -> Result<(), StoreError> {
        use sqlx::Row;
        let scope = ReportScope {
            from: midnight(day, offset),
            until: midnight(day + 1, offset),
            day_offset: offset,
            ..ReportScope::default()
        };
        let mut cells: HashMap<(Metric, &'static str, String), Tally> = HashMap::new();
        for (src, metrics) in sources() {
            let dims = |q: &mut Sql| {
                for (i, (_, col)) in src.dims().iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    match col {
                        Some(c) => q.push("COALESCE(").push(c).push(", '')"),
                        None => q.push("''"),
                    };
                }
            };
            let values = |row: &sqlx::any::AnyRow| -> Result<[String; 4], sqlx::Error> {
                Ok([
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                ])
            };
            let (spans, counted): (Vec<Metric>, Vec<Metric>) =
                metrics.iter().copied().partition(|m| is_span(*m));
            if !counted.is_empty() {
                let mut q = Sql::new("SELECT ");
                dims(&mut q);
                push_sums(&mut q, &counted);
                q.push(" FROM ").push(src.from);
                push_scope(&mut q, src, &scope);
                q.push(" GROUP BY 1, 2, 3, 4");
                for row in q.query().fetch_all(&self.read).await? {
                    let v = values(&row)?;
                    for (i, m) in counted.iter().enumerate() {
                        let t = read_sums(&row, 4, i)?;
                        if t.n > 0 {
                            add_to_cuts(&mut cells, src, *m, &v, &t);
                        }
                    }
                }
            }
            for m in spans {
                let d = def(m);
                let mut q = Sql::new("SELECT ");
                dims(&mut q);
                q.push(", ")
                    .push(d.value.expect("span metrics name their start"))
                    .push(", ")
                    .push(src.at)
                    .push(" FROM ")
                    .push(src.from);
                push_scope(&mut q, src, &scope);
                q.push(" AND ").push(d.records);
                let rows = q.query().fetch_all(&self.read).await?;
                let mut spans = Vec::with_capacity(rows.len());
                for row in &rows {
                    spans.push((row.try_get::<i64, _>(4)?, row.try_get::<i64, _>(5)?));
                }
                let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
                let meter = cal.meter(first, scope.until);
                for (row, (a, b)) in rows.iter().zip(spans) {
                    let t = Tally {
                        n: 1,
                        seconds: vec![meter.working_ms(a, b) / 1000],
                        ..Tally::default()
                    };
                    add_to_cuts(&mut cells, src, m, &values(row)?, &t);
                }
            }
        }

        let mut tx = self.write.begin().await?;
        let mut q = Sql::new("DELETE FROM report_rollups WHERE metric IN ");
        let codes: Vec<String> = Metric::ALL.iter().map(|m| m.code().to_string()).collect();
        push_list(&mut q, &codes);
        q.push(" AND dim IN ");
        push_list(&mut q, &DIMS.map(String::from));
        q.push(" AND day = ").bind_int(day);
        q.query().execute(&mut *tx).await?;
        let cells: Vec<_> = cells.into_iter().collect();
        for chunk in cells.chunks(INSERT_ROWS) {
            let mut q = Sql::for_backend(
                self.backend(),
                "INSERT INTO report_rollups (metric, dim, day, value, n, hits, total, \
                 promoters, detractors, seconds) VALUES ",
            );
            for (i, ((metric, dim, value), t)) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                let seconds = if is_span(*metric) {
                    Arg::Blob(encode_seconds(&t.seconds))
                } else {
                    Arg::NullBlob
                };
                q.push_row([
                    Arg::Text(metric.code().to_string()),
                    Arg::Text(dim.to_string()),
                    Arg::Int(day),
                    Arg::Text(value.clone()),
                    Arg::Int(t.n),
                    Arg::Int(t.hits),
                    Arg::Int(t.sum),
                    Arg::Int(t.promoters),
                    Arg::Int(t.detractors),
                    seconds,
                ]);
            }
            q.query().execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO report_rollup_days (day, made_at) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET made_at = excluded.made_at",
        )
        .bind(day)
        .bind(made_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What the rollups hold and how many changes wait.
    pub async fn report_rollup_status(&self) -> Result<RollupStatus, StoreError> {
        let (days, first_day, last_day, made_at): (i64, Option<i64>, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT COUNT(*), MIN(day), MAX(day), MAX(made_at) FROM report_rollup_days",
            )
            .fetch_one(&self.read)
            .await?;
        let (notes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM report_changes")
            .fetch_one(&self.read)
            .await?;
        Ok(RollupStatus {
            days,
            first_day,
            last_day,
            made_at,
            notes,
        })
    }
}
