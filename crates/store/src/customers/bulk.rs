//! SQLite's bulk-load mode for large imports: the contact indexes keyed by the number
//! itself are dropped inside the import's transaction and built again, from sorted data,
//! just before it commits.
//!
//! A million inserts into an index keyed by a random value (the mobile number, its
//! reversal) touch pages all over a B-tree that no longer fits the page cache; building
//! the same index at the end sorts the keys once and writes each page once. The other
//! indexes of the customer tables lead with a time-ordered id or a handful of values
//! (tier, status, tag), so new rows land on a few hot pages: maintaining them costs less
//! than rebuilding them (each rebuild scans the table and sorts; measured in
//! BENCHMARKS.md), and they stay.
//!
//! Everything happens in the one write transaction: readers (WAL) keep seeing the old
//! snapshot with its indexes, a failure anywhere rolls back the drop together with the
//! rows, and the re-created `UNIQUE` index checks mobile uniqueness over the whole
//! import — a conflict fails the commit and nothing is written.
//!
//! PostgreSQL keeps its indexes during an import (see [`super::CustomerBatch`]).

use crate::StoreError;

/// From this many rows on, an import on SQLite rebuilds the indexes instead of
/// maintaining them row by row (measured in BENCHMARKS.md, foundation B1).
pub const BULK_ROWS: u64 = 50_000;

/// The indexes a bulk load drops and rebuilds: those keyed by a random value.
const REBUILT: &str = "'customer_contacts_value_rev', 'customer_contacts_mobile_unique'";

/// Secondary indexes dropped for a bulk load, each with the statement that created it.
/// The statements are read from `sqlite_master`, so the rebuilt indexes are exactly those
/// the migrations made; there is no second copy of their definitions to drift.
#[derive(Debug)]
pub(super) struct DroppedIndexes(Vec<(String, String)>);

impl DroppedIndexes {
    /// Drops the [`REBUILT`] indexes, remembering how they were made.
    pub(super) async fn drop_in(tx: &mut sqlx::AnyConnection) -> Result<Self, StoreError> {
        let indexes: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND name IN ({REBUILT}) ORDER BY name"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for (name, _) in &indexes {
            let quoted = name.replace('"', "\"\"");
            sqlx::query(&format!("DROP INDEX \"{quoted}\""))
                .execute(&mut *tx)
                .await?;
        }
        tracing::debug!(
            indexes = indexes.len(),
            "bulk load: customer indexes dropped"
        );
        Ok(DroppedIndexes(indexes))
    }

    /// Creates the indexes again inside the same transaction. A `UNIQUE` index that the
    /// loaded rows violate fails with [`StoreError::Conflict`].
    pub(super) async fn rebuild_in(self, tx: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        for (_, sql) in &self.0 {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tracing::debug!(
            indexes = self.0.len(),
            "bulk load: customer indexes rebuilt"
        );
        Ok(())
    }
}
