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
    /// SQLite: temporary data (sorts, statement journals) goes to files, not memory.
    temp_on_disk: bool,
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
        Ok(UncheckedWriter {
            conn,
            unchecked,
            temp_on_disk: false,
        })
    }

    /// Turns enforcement back on, and temporary data back to memory; call after the
    /// transaction has ended.
    pub(crate) async fn restore(&mut self) {
        let changed = [
            (&mut self.unchecked, "PRAGMA foreign_keys = ON"),
            (&mut self.temp_on_disk, "PRAGMA temp_store = MEMORY"),
        ];
        for (changed, usual) in changed {
            if *changed && sqlx::query(usual).execute(&mut *self.conn).await.is_ok() {
                *changed = false;
            }
        }
    }
}

impl Drop for UncheckedWriter {
    fn drop(&mut self) {
        if self.unchecked || self.temp_on_disk {
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
    /// Begins on the writer, with enforcement off on SQLite. With `temp_on_disk`, SQLite
    /// sorts and journals through temporary files instead of memory, for a transaction
    /// that builds large indexes: sorting a million keys in memory would raise the
    /// process's peak memory by a third (foundation B1). The setting can only change
    /// outside a transaction, so it is made here.
    pub(crate) async fn begin(
        pool: &sqlx::AnyPool,
        backend: crate::Backend,
        temp_on_disk: bool,
    ) -> Result<Self, StoreError> {
        let mut writer = UncheckedWriter::acquire(pool, backend).await?;
        if temp_on_disk && backend == crate::Backend::Sqlite {
            writer.temp_on_disk = true;
            sqlx::query("PRAGMA temp_store = FILE")
                .execute(&mut *writer.conn)
                .await?;
        }
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

impl crate::Db {
    /// Whether the writer connection has its usual settings: it checks foreign keys and
    /// keeps temporary data in memory (always, outside the moments this module
    /// describes); for tests and diagnostics.
    pub async fn writer_has_usual_settings(&self) -> Result<bool, StoreError> {
        if self.backend() != crate::Backend::Sqlite {
            return Ok(true);
        }
        let mut conn = self.write.acquire().await?;
        let (foreign_keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?;
        // 2 is MEMORY.
        let (temp_store,): (i64,) = sqlx::query_as("PRAGMA temp_store")
            .fetch_one(&mut *conn)
            .await?;
        Ok(foreign_keys == 1 && temp_store == 2)
    }
}
