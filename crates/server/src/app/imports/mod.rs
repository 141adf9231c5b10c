//! Customer import from CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX.
//!
//! Two passes over the stored upload, both streaming: the preview validates every row and
//! writes the rejected ones to a downloadable report; the commit validates again (the
//! database may have changed) and writes all valid rows in one transaction — all or
//! nothing. Parsing runs on a blocking thread and hands batches to the database side, so
//! the two cores work at once and memory stays flat.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::audit::AuditAction;
use kefu_domain::customer::ContactKind;
use kefu_domain::Permission;
use kefu_store::audit::NewAuditEntry;
use kefu_store::customers::CustomerInput;
use kefu_store::imports::{ImportJobRow, NewImportJob};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

pub(crate) mod format;

use format::{column_label, column_of, open_rows, parse_row, read_up_to, Column, Context, Mapping};
pub use format::{detect_format, FileFormat};

const BATCH: usize = 2000;
const SAMPLE_ROWS: usize = 10;
const SHOWN_ERRORS: usize = 100;

/// What the importer sees before committing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportPreview {
    pub id: String,
    pub filename: String,
    pub format: String,
    pub encoding: String,
    pub status: String,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rejected_rows: i64,
    /// The recognized columns, in file order (unrecognized ones are ignored).
    pub columns: Vec<String>,
    pub sample: Vec<SampleRow>,
    /// The first rejected rows; the whole list is in the report.
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleRow {
    pub line: u64,
    pub name: String,
    pub company: Option<String>,
    /// Masked.
    pub mobile: Option<String>,
    pub tier: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    /// Line (CSV) or row (XLSX) number in the file, 1-based, header included.
    pub line: u64,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobView {
    pub id: String,
    pub filename: String,
    pub format: String,
    pub encoding: String,
    pub status: String,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rejected_rows: i64,
    pub created_at: String,
    pub committed_at: Option<String>,
    pub error: Option<String>,
}

pub fn job_view(j: ImportJobRow) -> ImportJobView {
    ImportJobView {
        id: j.id,
        filename: j.filename,
        format: j.format,
        encoding: j.encoding,
        status: j.status,
        total_rows: j.total_rows,
        valid_rows: j.valid_rows,
        rejected_rows: j.rejected_rows,
        created_at: super::rfc3339(j.created_at),
        committed_at: j.committed_at.map(super::rfc3339),
        error: j.error,
    }
}

/// One parsed data row on its way from the parser thread to the database side.
struct Parsed {
    line: u64,
    raw: Vec<String>,
    result: Result<CustomerInput, String>,
}

enum Batch {
    Header(Vec<String>),
    Rows(Vec<Parsed>),
    Failed(String),
}

fn spawn_parser(
    path: PathBuf,
    format: FileFormat,
    ctx: Context,
) -> (
    tokio::sync::mpsc::Receiver<Batch>,
    tokio::sync::oneshot::Receiver<String>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let (enc_tx, enc_rx) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let (mut rows, encoding) = match open_rows(&path, format) {
            Ok(v) => v,
            Err(e) => {
                let _ = tx.blocking_send(Batch::Failed(e));
                return;
            }
        };
        let _ = enc_tx.send(encoding);
        let mut line = 0u64;
        // The header is the first row that is not empty.
        let header = loop {
            line += 1;
            match rows.next() {
                Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
                Some(Ok(r)) => break r,
                Some(Err(e)) => {
                    let _ = tx.blocking_send(Batch::Failed(e));
                    return;
                }
                None => {
                    let _ = tx.blocking_send(Batch::Failed("the file is empty".into()));
                    return;
                }
            }
        };
        let map = Mapping {
            columns: header.iter().map(|h| column_of(h)).collect(),
        };
        if !map.columns.contains(&Some(Column::Name)) {
            let _ = tx.blocking_send(Batch::Failed(
                "no name column found: the first row must be a header with 姓名 (or name)".into(),
            ));
            return;
        }
        let labels = map
            .columns
            .iter()
            .flatten()
            .map(|c| column_label(*c).to_string())
            .collect();
        if tx.blocking_send(Batch::Header(labels)).is_err() {
            return;
        }
        let mut batch = Vec::with_capacity(BATCH);
        for row in rows {
            line += 1;
            let parsed = match row {
                Ok(cells) if cells.iter().all(|c| c.trim().is_empty()) => continue,
                Ok(cells) => Parsed {
                    line,
                    result: parse_row(&map, &ctx, &cells),
                    raw: cells,
                },
                Err(e) => Parsed {
                    line,
                    raw: Vec::new(),
                    result: Err(e),
                },
            };
            batch.push(parsed);
            if batch.len() == BATCH
                && tx
                    .blocking_send(Batch::Rows(std::mem::take(&mut batch)))
                    .is_err()
            {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Batch::Rows(batch));
        }
    });
    (rx, enc_rx)
}

async fn load_context(state: &AppState) -> Result<Context, AppError> {
    let tiers = state
        .db()
        .list_tiers()
        .await?
        .into_iter()
        .map(|t| (t.code.to_uppercase(), t.code))
        .collect();
    let mut owners = HashMap::new();
    for u in state.db().list_users().await? {
        if let Some(no) = &u.agent_no {
            owners.insert(no.to_lowercase(), u.id.clone());
        }
        owners.insert(u.display_name.to_lowercase(), u.id.clone());
        owners.insert(u.username.to_lowercase(), u.id);
    }
    Ok(Context { tiers, owners })
}

/// The outcome of one pass over a file.
struct Pass {
    columns: Vec<String>,
    encoding: String,
    total: i64,
    valid: i64,
    rejected: i64,
    sample: Vec<SampleRow>,
    errors: Vec<RowError>,
}

/// Where rows go in a pass: counted (preview) or written (commit).
enum Sink<'a> {
    Preview,
    Commit(
        &'a mut kefu_store::customers::CustomerBatch,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    ),
}

async fn run_pass(
    state: &AppState,
    path: &Path,
    format: FileFormat,
    report: &Path,
    mut sink: Sink<'_>,
) -> Result<Pass, AppError> {
    let ctx = load_context(state).await?;
    let (mut rx, enc_rx) = spawn_parser(path.to_path_buf(), format, ctx);
    let mut report_writer = ReportWriter::create(report)?;
    let mut pass = Pass {
        columns: Vec::new(),
        encoding: String::new(),
        total: 0,
        valid: 0,
        rejected: 0,
        sample: Vec::new(),
        errors: Vec::new(),
    };
    // Mobile numbers are 11 digits: kept as integers, a million of them take ~16 MB
    // instead of ~60 MB as strings.
    let mut seen_mobiles: HashSet<u64> = HashSet::new();
    while let Some(batch) = rx.recv().await {
        let rows = match batch {
            Batch::Failed(e) => return Err(AppError::invalid("unreadable_file", e)),
            Batch::Header(cols) => {
                pass.columns = cols;
                continue;
            }
            Batch::Rows(rows) => rows,
        };
        let mobiles: Vec<String> = rows
            .iter()
            .filter_map(|r| r.result.as_ref().ok())
            .flat_map(|c| {
                c.contacts
                    .iter()
                    .filter(|ct| ct.kind == ContactKind::Mobile)
                    .map(|ct| ct.value.clone())
            })
            .collect();
        let taken = match &mut sink {
            Sink::Preview => state.db().existing_mobiles(&mobiles).await?,
            Sink::Commit(batch, ..) => batch.taken_mobiles(&mobiles).await?,
        };
        let mut valid = Vec::with_capacity(rows.len());
        for row in rows {
            pass.total += 1;
            let outcome = row.result.and_then(|c| {
                for ct in c
                    .contacts
                    .iter()
                    .filter(|ct| ct.kind == ContactKind::Mobile)
                {
                    if let Some((_, name)) = taken.get(&ct.value) {
                        return Err(format!(
                            "duplicate: mobile {} already belongs to customer {name}",
                            kefu_domain::phone::mask_phone(&ct.value)
                        ));
                    }
                    let key = ct.value.parse::<u64>().unwrap_or_default();
                    if !seen_mobiles.insert(key) {
                        return Err(format!(
                            "duplicate: mobile {} appears earlier in the file",
                            kefu_domain::phone::mask_phone(&ct.value)
                        ));
                    }
                }
                Ok(c)
            });
            match outcome {
                Ok(c) => {
                    pass.valid += 1;
                    if pass.sample.len() < SAMPLE_ROWS {
                        pass.sample.push(SampleRow {
                            line: row.line,
                            name: c.name.clone(),
                            company: c.company.clone(),
                            mobile: c
                                .contacts
                                .iter()
                                .find(|ct| ct.kind == ContactKind::Mobile)
                                .map(|ct| kefu_domain::phone::mask_phone(&ct.value)),
                            tier: c.tier.clone(),
                            status: c.status.code().to_string(),
                        });
                    }
                    valid.push(c);
                }
                Err(e) => {
                    pass.rejected += 1;
                    if pass.errors.len() < SHOWN_ERRORS {
                        pass.errors.push(RowError {
                            line: row.line,
                            error: e.clone(),
                        });
                    }
                    report_writer.write(row.line, &e, &row.raw)?;
                }
            }
        }
        if let Sink::Commit(batch, created_by, now) = &mut sink {
            batch.insert(created_by.as_deref(), *now, &valid).await?;
        }
    }
    report_writer.finish()?;
    pass.encoding = enc_rx.await.unwrap_or_default();
    Ok(pass)
}

/// The downloadable list of rejected rows: line, reason, then the original cells.
struct ReportWriter(csv::Writer<std::io::BufWriter<std::fs::File>>);

impl ReportWriter {
    fn create(path: &Path) -> Result<Self, AppError> {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| AppError::Internal(e.into()))?,
        );
        std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF")
            .map_err(|e| AppError::Internal(e.into()))?;
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(file);
        w.write_record(["行号 line", "错误 error", "原始数据 original cells →"])
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(ReportWriter(w))
    }

    fn write(&mut self, line: u64, error: &str, raw: &[String]) -> Result<(), AppError> {
        let mut record = vec![line.to_string(), error.to_string()];
        record.extend(
            raw.iter()
                .map(|c| kefu_domain::export::neutralize_cell(c).into_owned()),
        );
        self.0
            .write_record(&record)
            .map_err(|e| AppError::Internal(e.into()))
    }

    fn finish(mut self) -> Result<(), AppError> {
        self.0.flush().map_err(|e| AppError::Internal(e.into()))
    }
}

pub fn imports_dir(state: &AppState) -> Result<PathBuf, AppError> {
    let dir = state.config().data_dir.join("imports");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(e.into()))?;
    Ok(dir)
}

fn job_dir(state: &AppState, id: &str) -> Result<PathBuf, AppError> {
    if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound("import"));
    }
    Ok(imports_dir(state)?.join(id))
}

/// Validates an uploaded file (already on disk in `upload_dir`) and records the job.
pub async fn preview(
    state: &AppState,
    ctx: &Ctx,
    upload_dir: tempfile::TempDir,
    filename: &str,
) -> Result<ImportPreview, AppError> {
    ctx.require(Permission::CustomerImport)?;
    let source = upload_dir.path().join("source");
    let mut head = [0u8; 8];
    let n = std::fs::File::open(&source)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .map_err(|e| AppError::Internal(e.into()))?;
    let format = detect_format(filename, &head[..n])?;
    let report = upload_dir.path().join("report.csv");
    let pass = run_pass(state, &source, format, &report, Sink::Preview).await?;
    let filename: String = filename.chars().take(200).collect();
    let id = state
        .db()
        .create_import_job(
            state.clock().now(),
            &NewImportJob {
                created_by: &ctx.user_id,
                filename: &filename,
                format: format.code(),
                encoding: &pass.encoding,
                total_rows: pass.total,
                valid_rows: pass.valid,
                rejected_rows: pass.rejected,
            },
        )
        .await?;
    let kept = upload_dir.keep();
    std::fs::rename(&kept, job_dir(state, &id)?).map_err(|e| AppError::Internal(e.into()))?;
    Ok(ImportPreview {
        id,
        filename,
        format: format.code().into(),
        encoding: pass.encoding,
        status: "previewed".into(),
        total_rows: pass.total,
        valid_rows: pass.valid,
        rejected_rows: pass.rejected,
        columns: pass.columns,
        sample: pass.sample,
        errors: pass.errors,
    })
}

/// Writes every valid row of a previewed import, or nothing.
pub async fn commit(state: &AppState, ctx: &Ctx, id: &str) -> Result<ImportJobView, AppError> {
    ctx.require(Permission::CustomerImport)?;
    let dir = job_dir(state, id)?;
    let job = get_job(state, id).await?;
    if !state.db().claim_import_job(id).await? {
        return Err(AppError::conflict(
            "import_not_pending",
            format!("this import is {} and cannot be committed", job.status),
        ));
    }
    let format = if job.format == "xlsx" {
        FileFormat::Xlsx
    } else {
        FileFormat::Csv
    };
    let now = state.clock().now();
    let result = async {
        let mut batch = state
            .db()
            .begin_customer_batch(job.valid_rows.max(0) as u64)
            .await?;
        let pass = run_pass(
            state,
            &dir.join("source"),
            format,
            &dir.join("report.csv"),
            Sink::Commit(&mut batch, Some(ctx.user_id.clone()), now),
        )
        .await?;
        let entry = NewAuditEntry::new(AuditAction::CustomersImported)
            .subject("import", id)
            .detail(format!(
                "file={} rows={} written={} rejected={}",
                job.filename, pass.total, pass.valid, pass.rejected
            ));
        batch.commit(&ctx.actor(), now, &entry).await?;
        Ok::<_, AppError>(pass)
    }
    .await;
    match result {
        Ok(pass) => {
            state
                .db()
                .finish_import_job(id, state.clock().now(), Ok((pass.valid, pass.rejected)))
                .await?;
        }
        Err(e) => {
            state
                .db()
                .finish_import_job(id, state.clock().now(), Err(&e.to_string()))
                .await?;
            return Err(e);
        }
    }
    Ok(job_view(get_job(state, id).await?))
}

pub async fn get_job(state: &AppState, id: &str) -> Result<ImportJobRow, AppError> {
    state
        .db()
        .get_import_job(id)
        .await
        .map_err(AppError::store_missing("import"))
}

pub async fn discard(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::CustomerImport)?;
    get_job(state, id).await?;
    state.db().discard_import_job(id).await?;
    Ok(())
}

pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<ImportJobView>, AppError> {
    ctx.require(Permission::CustomerImport)?;
    Ok(state
        .db()
        .list_import_jobs(50)
        .await?
        .into_iter()
        .map(job_view)
        .collect())
}

/// The path of the rejected-rows report of an import.
pub async fn report_path(state: &AppState, ctx: &Ctx, id: &str) -> Result<PathBuf, AppError> {
    ctx.require(Permission::CustomerImport)?;
    get_job(state, id).await?;
    let path = job_dir(state, id)?.join("report.csv");
    if !path.exists() {
        return Err(AppError::NotFound("report"));
    }
    Ok(path)
}

/// A new private directory for an upload on its way to becoming an import.
pub fn new_upload_dir(state: &AppState) -> Result<tempfile::TempDir, AppError> {
    tempfile::Builder::new()
        .prefix("upload-")
        .tempdir_in(imports_dir(state)?)
        .map_err(|e| AppError::Internal(e.into()))
}
