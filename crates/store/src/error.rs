//! Store errors: what callers can act on (not found, conflict) and what they cannot.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; `constraint` names it (index name).
    #[error("conflicts with an existing record ({constraint})")]
    Conflict { constraint: String },
    /// A foreign key or check refused the write.
    #[error("refused by the database: {0}")]
    Refused(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        if let Some(db) = e.as_database_error() {
            use sqlx::error::ErrorKind;
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    // PostgreSQL names the index; SQLite says "UNIQUE constraint failed: t.c".
                    let constraint = db.constraint().map(str::to_string).unwrap_or_else(|| {
                        db.message()
                            .trim_start_matches("UNIQUE constraint failed: ")
                            .to_string()
                    });
                    return StoreError::Conflict { constraint };
                }
                ErrorKind::ForeignKeyViolation
                | ErrorKind::CheckViolation
                | ErrorKind::NotNullViolation => {
                    return StoreError::Refused(db.message().to_string());
                }
                _ => {}
            }
        }
        StoreError::Database(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
