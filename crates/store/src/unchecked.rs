//! The SQLite writer with foreign-key enforcement off, for bulk writes whose every row
//! refers to parents the same transaction read or wrote. SQLite has one writer, so
//! nothing can remove those parents in between, and the per-row parent lookups check
//! nothing: in the assignment commit they were 0.16 s of 1.1 s for 100,000 customers, in
//! a bulk import about a sixth of the insert time (BENCHMARKS.md, foundation B1).
//!
//! SQLite ignores the pragma inside a transaction, so it is set on the connection around
//! it. If the enforcement is not restored (an error, or the request dropped mid-way), the
//! connection is closed instead of going back to the pool, and the pool opens a new one
//! with the usual settings. On PostgreSQL nothing changes.

use crate::StoreError;

pub(crate) struct UncheckedWriter {
    pub(crate) conn: sqlx::pool::PoolConnection<sqlx::Any>,
    unchecked: bool,
}

impl UncheckedWriter {
    pub(crate) async fn acquire(
        pool: &sqlx::AnyPool,
        backend: crate::Backend,
    ) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await?;
        let unchecked = backend == crate::Backend::Sqlite;
        if unchecked {
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
        }
        Ok(UncheckedWriter { conn, unchecked })
    }

    /// Turns enforcement back on; call after the transaction has ended.
    pub(crate) async fn restore(&mut self) {
        if self.unchecked
            && sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *self.conn)
                .await
                .is_ok()
        {
            self.unchecked = false;
        }
    }
}

impl Drop for UncheckedWriter {
    fn drop(&mut self) {
        if self.unchecked {
            self.conn.close_on_drop();
        }
    }
}

/// A write transaction that owns its connection, for a bulk write that outlives one
/// function (an import streams its file into it): sqlx's `Transaction` on a borrowed
/// connection cannot live in a struct beside that connection, and one that owns its pool
/// connection hands it back to the pool at commit, before enforcement is restored. So the
/// transaction is begun and committed with plain statements. Dropped without
/// [`OwnedTx::commit`], the connection is closed, which rolls the transaction back.
pub(crate) struct OwnedTx {
    writer: UncheckedWriter,
    open: bool,
}

impl OwnedTx {
    /// Begins on the writer, with enforcement off on SQLite.
    pub(crate) async fn begin(
        pool: &sqlx::AnyPool,
        backend: crate::Backend,
    ) -> Result<Self, StoreError> {
        let mut writer = UncheckedWriter::acquire(pool, backend).await?;
        sqlx::query("BEGIN").execute(&mut *writer.conn).await?;
        Ok(OwnedTx { writer, open: true })
    }

    /// True when parent rows are not checked by the database in this transaction.
    pub(crate) fn is_unchecked(&self) -> bool {
        self.writer.unchecked
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.writer.conn
    }

    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        sqlx::query("COMMIT")
            .execute(&mut *self.writer.conn)
            .await?;
        self.open = false;
        self.writer.restore().await;
        Ok(())
    }
}

impl Drop for OwnedTx {
    fn drop(&mut self) {
        if self.open {
            self.writer.conn.close_on_drop();
        }
    }
}
