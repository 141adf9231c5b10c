//! The spans behind a time metric (each record's start and end), read one row per group:
//! through the sqlx `Any` driver a row costs more than the database's own work for it, and
//! a day of the dashboard is 13,600 tickets at 10 M.

use super::{day_key, def, push_scope, MetricTallies, ReportScope, Source};
use crate::{Db, Sql, StoreError};
use kefu_domain::report::{Grouping, Metric};
use std::collections::HashMap;

impl Db {
    /// Adds the spans of `metric` in the scope to its tallies, by day or by key.
    pub(super) async fn spans_of(
        &self,
        src: &Source,
        scope: &ReportScope,
        grouping: Grouping,
        group: &str,
        metric: Metric,
        out: &mut HashMap<Metric, MetricTallies>,
    ) -> Result<(), StoreError> {
        let d = def(metric);
        let from = d.value.expect("span metrics name their start");
        let mut q = Sql::new("SELECT ");
        if grouping == Grouping::Period {
            day_key(&mut q, src, scope);
        } else {
            q.push(group);
        }
        // A group's spans come as one text, "start,end;start,end;…": a day of 13,600
        // tickets is then one row instead of 13,600, each of which costs the driver more
        // than the database.
        q.push(", string_agg(CAST(")
            .push(from)
            .push(" AS TEXT) || ',' || CAST(")
            .push(src.at)
            .push(" AS TEXT), ';')");
        q.push(" FROM ").push(src.from);
        push_scope(&mut q, src, scope);
        q.push(" AND ").push(d.records);
        q.push(" GROUP BY 1");
        let rows = q.query().fetch_all(&self.read).await?;
        use sqlx::Row;
        let tallies = out.get_mut(&metric).expect("inserted by the caller");
        for row in rows {
            // NULL when every span of the group lacks an end (the records exclude those).
            let Some(text) = row.try_get::<Option<String>, _>(1)? else {
                continue;
            };
            let spans = parse_spans(&text)?;
            if grouping == Grouping::Period {
                let day: i64 = row.try_get(0)?;
                tallies.spans_by_day.entry(day).or_default().extend(spans);
            } else {
                let key: Option<String> = row.try_get(0)?;
                tallies
                    .spans_by_key
                    .entry(key.unwrap_or_default())
                    .or_default()
                    .extend(spans);
            }
        }
        Ok(())
    }
}

/// The spans of one group as `Db::spans_of` reads them: `start,end` pairs joined by `;`.
fn parse_spans(text: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let bad = || {
        StoreError::Corrupt(format!(
            "a report's spans are not start,end pairs: {text:.80}"
        ))
    };
    text.split(';')
        .map(|pair| {
            let (a, b) = pair.split_once(',').ok_or_else(bad)?;
            Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_spans;

    #[test]
    fn spans_read_back_as_pairs_and_anything_else_is_refused() {
        assert_eq!(
            parse_spans("1,5;-3,20;1700000000000,1700000360000").unwrap(),
            vec![(1, 5), (-3, 20), (1_700_000_000_000, 1_700_000_360_000)]
        );
        for bad in ["", "1,5;", "1;5", "1,x", "1,5,6"] {
            assert!(parse_spans(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
