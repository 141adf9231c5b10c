//! Scheduled reports as generated and kept (报表存档), and the notifications that tell the
//! positions which must hand them in.

use crate::{Db, Page, Sql, StoreError};

/// A scheduled report as generated and kept.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportDocumentRow {
    pub id: String,
    pub kind: String,
    pub period_key: String,
    pub from_day: String,
    pub to_day: String,
    pub due_day: Option<String>,
    pub title: String,
    pub created_at: i64,
}

/// A report to keep.
#[derive(Debug, Clone)]
pub struct NewReportDocument<'a> {
    pub kind: &'a str,
    pub period_key: &'a str,
    pub from_day: &'a str,
    pub to_day: &'a str,
    pub due_day: Option<&'a str>,
    pub title: &'a str,
    pub html: &'a str,
    pub xlsx: &'a [u8],
}

/// Keeps a scheduled report unless one of its kind already covers the period; returns its
/// id when it was kept (the unique index makes a second generation, a rerun after a
/// restart or a second server's, a no-op).
pub async fn insert_report_document_in(
    tx: &mut crate::Tx<'_>,
    now: chrono::DateTime<chrono::Utc>,
    doc: &NewReportDocument<'_>,
) -> Result<Option<String>, StoreError> {
    let id = crate::new_id();
    let done = sqlx::query(
        "INSERT INTO report_documents (id, kind, period_key, from_day, to_day, due_day, title, \
         html, xlsx, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (kind, period_key) DO NOTHING",
    )
    .bind(&id)
    .bind(doc.kind)
    .bind(doc.period_key)
    .bind(doc.from_day)
    .bind(doc.to_day)
    .bind(doc.due_day)
    .bind(doc.title)
    .bind(doc.html)
    .bind(doc.xlsx)
    .bind(crate::to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

const DOCUMENT_COLUMNS: &str = "id, kind, period_key, from_day, to_day, due_day, title, created_at";

impl Db {
    /// Keeps a scheduled report and tells `people`, in one short transaction of its own;
    /// `body` words the notification from the kept report's id. `None` (and no
    /// notification) when the period's report was kept already.
    pub async fn keep_report_document(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        doc: &NewReportDocument<'_>,
        people: &[String],
        body: impl Fn(&str) -> String,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write.begin().await?;
        let Some(id) = insert_report_document_in(&mut tx, now, doc).await? else {
            return Ok(None);
        };
        crate::tickets::timeline::notify_in(&mut tx, people, now, "report", None, &body(&id))
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Whether a report of `kind` for `period_key` was kept already.
    pub async fn report_document_exists(
        &self,
        kind: &str,
        period_key: &str,
    ) -> Result<bool, StoreError> {
        let n: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM report_documents WHERE kind = $1 AND period_key = $2",
        )
        .bind(kind)
        .bind(period_key)
        .fetch_one(&self.read)
        .await?;
        Ok(n.0 > 0)
    }

    /// The kept reports, newest first, a page at a time; the cursor is the last row's
    /// `created_at:id`.
    pub async fn list_report_documents(
        &self,
        kind: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<ReportDocumentRow>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM report_documents WHERE 1 = 1"
        ));
        let after = cursor
            .and_then(|c| c.split_once(':'))
            .and_then(|(a, i)| Some((a.parse::<i64>().ok()?, i.to_string())));
        if let Some((at, id)) = after {
            q.push(" AND (created_at < ")
                .bind_int(at)
                .push(" OR (created_at = ")
                .bind_int(at)
                .push(" AND id < ")
                .bind_text(id)
                .push("))");
        }
        if let Some(k) = kind {
            q.push(" AND kind = ").bind_text(k);
        }
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<ReportDocumentRow> = q.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| {
            format!("{}:{}", r.created_at, r.id)
        }))
    }

    pub async fn get_report_document(&self, id: &str) -> Result<ReportDocumentRow, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM report_documents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The readable page of a kept report.
    pub async fn report_document_html(&self, id: &str) -> Result<String, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT html FROM report_documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| r.0).ok_or(StoreError::NotFound)
    }

    /// The workbook of a kept report.
    pub async fn report_document_xlsx(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT xlsx FROM report_documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| r.0).ok_or(StoreError::NotFound)
    }
}
