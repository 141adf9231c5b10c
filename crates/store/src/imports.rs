//! Customer import jobs: the record of an uploaded file, its preview and its commit.
//! The files themselves (the upload and the rejected-rows report) live in the data
//! directory; this table says what became of them.

use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportJobRow {
    pub id: String,
    pub created_by: String,
    pub created_at: i64,
    pub filename: String,
    pub format: String,
    pub encoding: String,
    pub status: String,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rejected_rows: i64,
    pub committed_at: Option<i64>,
    pub error: Option<String>,
}

pub struct NewImportJob<'a> {
    pub created_by: &'a str,
    pub filename: &'a str,
    pub format: &'a str,
    pub encoding: &'a str,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rejected_rows: i64,
}

const SELECT: &str = "SELECT id, created_by, created_at, filename, format, encoding, status, \
    total_rows, valid_rows, rejected_rows, committed_at, error FROM import_jobs";

impl Db {
    pub async fn create_import_job(
        &self,
        now: DateTime<Utc>,
        job: &NewImportJob<'_>,
    ) -> Result<String, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO import_jobs (id, created_by, created_at, filename, format, encoding, status, \
             total_rows, valid_rows, rejected_rows) VALUES ($1, $2, $3, $4, $5, $6, 'previewed', $7, $8, $9)",
        )
        .bind(&id)
        .bind(job.created_by)
        .bind(to_millis(now))
        .bind(job.filename)
        .bind(job.format)
        .bind(job.encoding)
        .bind(job.total_rows)
        .bind(job.valid_rows)
        .bind(job.rejected_rows)
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    pub async fn get_import_job(&self, id: &str) -> Result<ImportJobRow, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.write).await?)
    }

    pub async fn list_import_jobs(&self, limit: usize) -> Result<Vec<ImportJobRow>, StoreError> {
        let sql = format!("{SELECT} ORDER BY created_at DESC LIMIT $1");
        Ok(sqlx::query_as(&sql)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await?)
    }

    /// Moves a previewed job to `committing`; returns false if it was not previewed (a
    /// double submit, or a job already committed), so it is committed at most once.
    pub async fn claim_import_job(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE import_jobs SET status = 'committing' WHERE id = $1 AND status = 'previewed'",
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn finish_import_job(
        &self,
        id: &str,
        now: DateTime<Utc>,
        outcome: Result<(i64, i64), &str>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok((valid, rejected)) => {
                sqlx::query(
                    "UPDATE import_jobs SET status = 'committed', committed_at = $1, valid_rows = $2, \
                     rejected_rows = $3 WHERE id = $4",
                )
                .bind(to_millis(now))
                .bind(valid)
                .bind(rejected)
                .bind(id)
                .execute(&self.write)
                .await?;
            }
            Err(reason) => {
                sqlx::query("UPDATE import_jobs SET status = 'failed', error = $1 WHERE id = $2")
                    .bind(reason)
                    .bind(id)
                    .execute(&self.write)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn discard_import_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE import_jobs SET status = 'discarded' WHERE id = $1 AND status = 'previewed'",
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
