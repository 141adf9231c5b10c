//! Background exports: the record of a list being written to a file on a task of its own,
//! how far it got and where the file is. The file itself lives in the data directory;
//! this table says what became of it (see migration 0034).

use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportJobRow {
    pub id: String,
    pub kind: String,
    pub format: String,
    pub query: String,
    pub filter_text: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub status: String,
    pub rows_done: i64,
    pub rows_total: Option<i64>,
    pub bytes: Option<i64>,
    pub file_name: Option<String>,
    pub error: Option<String>,
    pub heartbeat_at: i64,
    pub finished_at: Option<i64>,
    pub expires_at: i64,
}

/// What a new export is.
pub struct NewExportJob<'a> {
    pub kind: &'a str,
    pub format: &'a str,
    pub query: &'a str,
    pub filter_text: &'a str,
    pub requested_by: &'a str,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The server's wall clock.
    pub heartbeat_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, kind, format, query, filter_text, requested_by, requested_at, \
    status, rows_done, rows_total, bytes, file_name, error, heartbeat_at, finished_at, \
    expires_at FROM export_jobs";

impl Db {
    pub async fn create_export_job(&self, job: &NewExportJob<'_>) -> Result<String, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO export_jobs (id, kind, format, query, filter_text, requested_by, \
             requested_at, status, heartbeat_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)",
        )
        .bind(&id)
        .bind(job.kind)
        .bind(job.format)
        .bind(job.query)
        .bind(job.filter_text)
        .bind(job.requested_by)
        .bind(to_millis(job.requested_at))
        .bind(to_millis(job.heartbeat_at))
        .bind(to_millis(job.expires_at))
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    pub async fn get_export_job(&self, id: &str) -> Result<ExportJobRow, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// One person's exports, newest first (walks `export_jobs_requester`).
    pub async fn list_export_jobs(
        &self,
        requested_by: &str,
        limit: usize,
    ) -> Result<Vec<ExportJobRow>, StoreError> {
        let sql = format!(
            "{SELECT} WHERE requested_by = $1 ORDER BY requested_at DESC, id DESC LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(requested_by)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await?)
    }

    /// Marks a queued export running, with the list's size when it was counted.
    pub async fn start_export_job(
        &self,
        id: &str,
        rows_total: Option<i64>,
        heartbeat: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE export_jobs SET status = 'running', rows_total = $1, heartbeat_at = $2 \
             WHERE id = $3 AND status = 'queued'",
        )
        .bind(rows_total)
        .bind(to_millis(heartbeat))
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// How many rows are written so far; also proves the export is alive.
    pub async fn export_job_progress(
        &self,
        id: &str,
        rows_done: i64,
        heartbeat: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE export_jobs SET rows_done = $1, heartbeat_at = $2 WHERE id = $3")
            .bind(rows_done)
            .bind(to_millis(heartbeat))
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The export's end: its file (name and size) or why it failed.
    pub async fn finish_export_job(
        &self,
        id: &str,
        now: DateTime<Utc>,
        heartbeat: DateTime<Utc>,
        outcome: Result<(i64, &str, i64), &str>,
    ) -> Result<(), StoreError> {
        let (status, rows, file_name, bytes, error) = match outcome {
            Ok((rows, name, bytes)) => ("done", Some(rows), Some(name), Some(bytes), None),
            Err(reason) => ("failed", None, None, None, Some(reason)),
        };
        sqlx::query(
            "UPDATE export_jobs SET status = $1, rows_done = COALESCE($2, rows_done), \
             file_name = $3, bytes = $4, error = $5, finished_at = $6, heartbeat_at = $7 \
             WHERE id = $8",
        )
        .bind(status)
        .bind(rows)
        .bind(file_name)
        .bind(bytes)
        .bind(error)
        .bind(to_millis(now))
        .bind(to_millis(heartbeat))
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Forgets exports that expired before `now` and returns their ids and formats, so the
    /// caller can remove the files.
    pub async fn remove_expired_export_jobs(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("DELETE FROM export_jobs WHERE expires_at < $1 RETURNING id, format")
                .bind(to_millis(now))
                .fetch_all(&self.write)
                .await?,
        )
    }
}
