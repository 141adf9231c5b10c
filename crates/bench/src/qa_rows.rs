//! Multi-row inserts for seeding SQLite straight (`seed-qa`): rows are buffered and
//! written a few hundred per statement with plain `?` placeholders, so seeding millions
//! of rows costs a few thousand statements, not millions.

use sqlx::SqliteConnection;

/// SQLite's default limit on bound parameters per statement is 32,766; stay below.
const MAX_PARAMS: usize = 30_000;

/// A value of a seeded row.
pub enum Value {
    Text(String),
    Int(i64),
    Null,
}

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

/// Buffered rows for one table.
pub struct Rows {
    /// `table (col, col, …)`.
    target: &'static str,
    columns: usize,
    per_statement: usize,
    values: Vec<Value>,
    written: u64,
}

impl Rows {
    /// `target` is `table (col, col, …)` with `columns` columns.
    pub fn new(target: &'static str, columns: usize) -> Rows {
        let per_statement = (MAX_PARAMS / columns).min(1_000);
        Rows {
            target,
            columns,
            per_statement,
            values: Vec::with_capacity(per_statement * columns),
            written: 0,
        }
    }

    /// Adds one row (exactly `columns` values), writing the buffer when it is full.
    pub async fn push(
        &mut self,
        conn: &mut SqliteConnection,
        row: impl IntoIterator<Item = Value>,
    ) -> anyhow::Result<()> {
        let before = self.values.len();
        self.values.extend(row);
        anyhow::ensure!(
            self.values.len() - before == self.columns,
            "{}: a row of {} values",
            self.target,
            self.values.len() - before
        );
        if self.values.len() == self.per_statement * self.columns {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes what is left; returns how many rows were written in all.
    pub async fn finish(mut self, conn: &mut SqliteConnection) -> anyhow::Result<u64> {
        self.flush(conn).await?;
        Ok(self.written)
    }

    async fn flush(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        let rows = self.values.len() / self.columns;
        if rows == 0 {
            return Ok(());
        }
        let row = format!("({})", vec!["?"; self.columns].join(", "));
        let sql = format!(
            "INSERT INTO {} VALUES {}",
            self.target,
            vec![row.as_str(); rows].join(", ")
        );
        let mut q = sqlx::query(&sql);
        for v in self.values.drain(..) {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::Null => q.bind(None::<String>),
            };
        }
        q.execute(&mut *conn).await?;
        self.written += rows as u64;
        Ok(())
    }
}
