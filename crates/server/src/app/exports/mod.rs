//! Exports of lists (导出): any list — customers, tickets, complaints, calls, the audit log —
//! under the filter its page shows, as XLSX (the list and its filter stated above the
//! table) or CSV. Written now for the API's direct download, or in the background for the
//! pages: the request returns at once, the file is written a page of rows at a time on a
//! task of its own while `export_jobs` records how far it got, and the exports page shows
//! the progress and then the download. Every export is audited with its filter and row
//! count; personal data is in the clear only for those who may read it.

mod lists;

use super::export::{exports_dir, rows_to_file, AsyncChunkSource, ExportFile, Format};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::Permission;
use kefu_store::audit::NewAuditEntry;
use kefu_store::exports::{ExportJobRow, NewExportJob};
use kefu_store::StoreError;
use lists::ListSource;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

/// How long a finished export's file is kept.
const KEEP_DAYS: i64 = 7;
/// Background exports one server writes at once; more wait their turn (queued).
static SLOTS: Semaphore = Semaphore::const_new(2);
/// A queued or running export silent this long was interrupted (its server stopped).
const STALE_SECS: i64 = 120;
/// How often a waiting or running export proves it is alive.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

/// The lists that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Customers,
    Tickets,
    Complaints,
    Calls,
    /// The callback queue (回访任务), under its tab and assignee.
    Callbacks,
    /// Chat conversations (会话记录), for reading transcripts.
    Chats,
    /// A month's quality inspections, as the person's QA list shows them.
    QaInspections,
    Audit,
}

impl ExportKind {
    pub const ALL: [ExportKind; 8] = [
        ExportKind::Customers,
        ExportKind::Tickets,
        ExportKind::Complaints,
        ExportKind::Calls,
        ExportKind::Callbacks,
        ExportKind::Chats,
        ExportKind::QaInspections,
        ExportKind::Audit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExportKind::Customers => "customers",
            ExportKind::Tickets => "tickets",
            ExportKind::Complaints => "complaints",
            ExportKind::Calls => "calls",
            ExportKind::Callbacks => "callbacks",
            ExportKind::Chats => "chats",
            ExportKind::QaInspections => "qa_inspections",
            ExportKind::Audit => "audit",
        }
    }

    pub fn parse(code: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_kind",
                    "kind",
                    format!(
                        "no list {code:?} to export; one of: {}",
                        Self::ALL.map(ExportKind::code).join(", ")
                    ),
                )
            })
    }

    /// Who may export the list: those who may read it, or those with the export
    /// permission where the list has one (customers, the audit log). Chats: managers and
    /// inspectors. QA inspections: everyone, each getting the rows their QA list shows
    /// them (an agent: their own published results).
    pub fn require(self, ctx: &Ctx) -> Result<(), AppError> {
        let permission = match self {
            ExportKind::Customers => Permission::CustomerExport,
            ExportKind::Tickets | ExportKind::Complaints => Permission::TicketRead,
            ExportKind::Calls => Permission::CallHandle,
            ExportKind::Callbacks => Permission::CallbackView,
            ExportKind::Chats => return crate::app::chat::agent::require_inspector(ctx),
            ExportKind::QaInspections => return Ok(()),
            ExportKind::Audit => Permission::AuditExport,
        };
        ctx.require(permission)
    }

    fn audit_action(self) -> AuditAction {
        match self {
            ExportKind::Customers => AuditAction::CustomersExported,
            ExportKind::Audit => AuditAction::AuditExported,
            _ => AuditAction::ListExported,
        }
    }
}

/// A list's query string as an export keeps it: its filter, without paging or format,
/// empty values dropped.
fn list_pairs(query: &str) -> Result<Vec<(String, String)>, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.trim_start_matches('?'))
        .map_err(|e| {
            AppError::invalid_field("invalid_query", "query", format!("the list's filter: {e}"))
        })?;
    Ok(pairs
        .into_iter()
        .filter(|(k, v)| {
            !matches!(k.as_str(), "cursor" | "limit" | "format") && !v.trim().is_empty()
        })
        .collect())
}

/// The filter as the sheet states it: `等级: VIP；状态: active`, or "all".
fn statement(t: &Tr<'_>, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return t.t("export.all").to_string();
    }
    pairs
        .iter()
        .map(|(k, v)| {
            let label = if PARAMS.contains(&k.as_str()) {
                t.t(&format!("export.param.{k}"))
            } else {
                k.as_str()
            };
            format!("{label}: {v}")
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The list parameters the sheet names in words (`export.param.*`).
const PARAMS: [&str; 23] = [
    "month",
    "tab",
    "assignee",
    "tier",
    "status",
    "owner_id",
    "tag",
    "q",
    "customer_id",
    "number",
    "severity",
    "cause_id",
    "department_id",
    "stage",
    "from",
    "to",
    "agent_id",
    "queue",
    "state",
    "actor_id",
    "action",
    "subject_id",
    "personal_data",
];

/// The lines above the table: what the list is, its filter, who exported it and when.
fn preamble(
    t: &Tr<'_>,
    kind: ExportKind,
    filter: &str,
    ctx: &Ctx,
    now: DateTime<Utc>,
) -> Vec<String> {
    vec![
        t.t(&format!("export.kind.{}", kind.code())).to_string(),
        format!("{}: {filter}", t.t("export.filter")),
        format!(
            "{}: {}  {}",
            t.t("export.by"),
            ctx.display_name,
            super::short_time(now.timestamp_millis())
        ),
    ]
}

async fn audit(
    state: &AppState,
    ctx: &Ctx,
    kind: ExportKind,
    format: Format,
    rows: u64,
    clear: bool,
    pairs: &[(String, String)],
) -> Result<(), AppError> {
    let filter = if pairs.is_empty() {
        "all".to_string()
    } else {
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.join("&")
    };
    let detail = format!(
        "list={} format={} rows={rows} personal_data={} filter={filter}",
        kind.code(),
        format.extension(),
        if clear { "clear" } else { "masked" },
    );
    let entry = NewAuditEntry::new(kind.audit_action()).detail(detail);
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(())
}

/// Writes the list now and returns the file (the API's direct download).
pub async fn now(
    state: &AppState,
    ctx: &Ctx,
    kind: ExportKind,
    format: Format,
    query: &str,
    t: &Tr<'_>,
) -> Result<ExportFile, AppError> {
    let pairs = list_pairs(query)?;
    let source = ListSource::open(state, ctx, kind, &pairs).await?;
    let clear = source.clear();
    let lines = preamble(t, kind, &statement(t, &pairs), ctx, state.clock().now());
    let header = source.header();
    let file = rows_to_file(state, kind.code(), format, lines, header, source).await?;
    audit(state, ctx, kind, format, file.rows, clear, &pairs).await?;
    Ok(file)
}

/// An export as the exports page and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportJobView {
    pub id: String,
    /// customers, tickets, complaints, calls or audit
    pub kind: String,
    /// xlsx or csv
    pub format: String,
    /// The filter, as the sheet states it.
    pub filter: String,
    /// queued, running, done, failed, or interrupted (its server stopped while writing)
    pub status: String,
    pub rows_done: i64,
    /// The list's size when it could be counted before writing.
    pub rows_total: Option<i64>,
    /// 0–100 when the size is known.
    pub percent: Option<i64>,
    pub bytes: Option<i64>,
    pub file_name: Option<String>,
    pub error: Option<String>,
    pub requested_at: String,
    pub short_requested: String,
    pub finished_at: Option<String>,
    pub expires_at: String,
    /// Where to download the file, once done.
    pub download: Option<String>,
}

fn view_of(r: ExportJobRow, wall: DateTime<Utc>) -> ExportJobView {
    let active = matches!(r.status.as_str(), "queued" | "running");
    let stale = active && wall.timestamp_millis() - r.heartbeat_at > STALE_SECS * 1000;
    let status = if stale {
        "interrupted".to_string()
    } else {
        r.status
    };
    let percent = r.rows_total.map(|total| {
        if status == "done" || total == 0 {
            100
        } else {
            (r.rows_done * 100 / total).clamp(0, 99)
        }
    });
    ExportJobView {
        download: (status == "done").then(|| format!("/api/v1/exports/{}/file", r.id)),
        id: r.id,
        kind: r.kind,
        format: r.format,
        filter: r.filter_text,
        status,
        rows_done: r.rows_done,
        rows_total: r.rows_total,
        percent,
        bytes: r.bytes,
        file_name: r.file_name,
        error: r.error,
        requested_at: super::rfc3339(r.requested_at),
        short_requested: super::short_time(r.requested_at),
        finished_at: r.finished_at.map(super::rfc3339),
        expires_at: super::rfc3339(r.expires_at),
    }
}

fn file_path(state: &AppState, id: &str, format: &str) -> Result<PathBuf, AppError> {
    Ok(exports_dir(state)?.join(format!("{id}.{format}")))
}

/// Forgets expired exports and removes their files.
async fn prune(state: &AppState) -> Result<(), AppError> {
    for (id, format) in state
        .db()
        .remove_expired_export_jobs(state.clock().now())
        .await?
    {
        let path = file_path(state, &id, &format)?;
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(export = %id, error = %e, "could not remove an expired export");
            }
        }
    }
    Ok(())
}

/// Starts writing the list in the background and returns the export as it stands
/// (queued). Its filter is checked first: a bad one is refused now.
pub async fn request(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    format: Option<&str>,
    query: &str,
    t: &Tr<'_>,
) -> Result<ExportJobView, AppError> {
    let kind = ExportKind::parse(kind)?;
    let format = Format::parse(format)?;
    let pairs = list_pairs(query)?;
    let source = ListSource::open(state, ctx, kind, &pairs).await?;
    prune(state).await?;
    let now = state.clock().now();
    let filter = statement(t, &pairs);
    let query = serde_urlencoded::to_string(&pairs).map_err(|e| AppError::Internal(e.into()))?;
    let id = state
        .db()
        .create_export_job(&NewExportJob {
            kind: kind.code(),
            format: format.extension(),
            query: &query,
            filter_text: &filter,
            requested_by: &ctx.user_id,
            requested_at: now,
            expires_at: now + Duration::days(KEEP_DAYS),
            heartbeat_at: Utc::now(),
        })
        .await?;
    let job = Job {
        state: state.clone(),
        ctx: ctx.clone(),
        id: id.clone(),
        kind,
        format,
        preamble: preamble(t, kind, &filter, ctx, now),
        pairs,
    };
    tokio::spawn(job.run(source));
    get(state, ctx, &id).await
}

/// One background export being written.
struct Job {
    state: AppState,
    ctx: Ctx,
    id: String,
    kind: ExportKind,
    format: Format,
    preamble: Vec<String>,
    pairs: Vec<(String, String)>,
}

impl Job {
    async fn run(self, source: ListSource) {
        let outcome = self.write(source).await;
        let db = self.state.db();
        let now = self.state.clock().now();
        let recorded = match &outcome {
            Ok((rows, name, bytes)) => {
                db.finish_export_job(&self.id, now, Utc::now(), Ok((*rows, name, *bytes)))
                    .await
            }
            Err(e) => {
                tracing::warn!(export = %self.id, kind = self.kind.code(), error = %e, "export failed");
                db.finish_export_job(&self.id, now, Utc::now(), Err(&e.to_string()))
                    .await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(export = %self.id, error = %e, "could not record the end of an export");
        }
    }

    /// Waits for a slot (saying it is alive meanwhile), then writes the file and moves it
    /// into the exports directory under the export's id.
    async fn write(&self, source: ListSource) -> Result<(i64, String, i64), AppError> {
        let db = self.state.db();
        let _slot = loop {
            match tokio::time::timeout(HEARTBEAT, SLOTS.acquire()).await {
                Ok(slot) => break slot.map_err(|e| AppError::Internal(e.into()))?,
                Err(_) => db.export_job_progress(&self.id, 0, Utc::now()).await?,
            }
        };
        let total = source.total().await?;
        db.start_export_job(&self.id, total, Utc::now()).await?;
        let clear = source.clear();
        let header = source.header();
        let tracked = Tracked {
            inner: source,
            state: self.state.clone(),
            id: self.id.clone(),
            rows: 0,
            told: Instant::now(),
        };
        let file = rows_to_file(
            &self.state,
            self.kind.code(),
            self.format,
            self.preamble.clone(),
            header,
            tracked,
        )
        .await?;
        let to = file_path(&self.state, &self.id, self.format.extension())?;
        tokio::fs::rename(&file.path, &to)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let bytes = tokio::fs::metadata(&to)
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .len();
        audit(
            &self.state,
            &self.ctx,
            self.kind,
            self.format,
            file.rows,
            clear,
            &self.pairs,
        )
        .await?;
        Ok((file.rows as i64, file.filename.clone(), bytes as i64))
    }
}

/// A list source that records how many rows have gone out (at most every half second).
struct Tracked {
    inner: ListSource,
    state: AppState,
    id: String,
    rows: i64,
    told: Instant,
}

impl AsyncChunkSource for Tracked {
    async fn next_chunk(&mut self) -> Result<Option<Vec<Vec<String>>>, AppError> {
        let chunk = self.inner.next_chunk().await?;
        if let Some(rows) = &chunk {
            self.rows += rows.len() as i64;
            if self.told.elapsed() >= std::time::Duration::from_millis(500) {
                self.told = Instant::now();
                self.state
                    .db()
                    .export_job_progress(&self.id, self.rows, Utc::now())
                    .await?;
            }
        }
        Ok(chunk)
    }
}

/// The person's exports, newest first.
pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Vec<ExportJobView>, AppError> {
    prune(state).await?;
    let wall = Utc::now();
    Ok(state
        .db()
        .list_export_jobs(&ctx.user_id, 50)
        .await?
        .into_iter()
        .map(|r| view_of(r, wall))
        .collect())
}

async fn mine(state: &AppState, ctx: &Ctx, id: &str) -> Result<ExportJobRow, AppError> {
    match state.db().get_export_job(id).await {
        Ok(r) if r.requested_by == ctx.user_id => Ok(r),
        // Someone else's export is not there, as far as this person can tell.
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound("export")),
        Err(e) => Err(e.into()),
    }
}

/// One of the person's exports.
pub async fn get(state: &AppState, ctx: &Ctx, id: &str) -> Result<ExportJobView, AppError> {
    Ok(view_of(mine(state, ctx, id).await?, Utc::now()))
}

/// A finished export's file: where it is, its name and format.
pub async fn file(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<(PathBuf, String, Format), AppError> {
    let r = mine(state, ctx, id).await?;
    let (Some(name), "done") = (r.file_name, r.status.as_str()) else {
        return Err(AppError::Conflict {
            code: "export_not_ready",
            message: "the export is not finished; its page shows the progress".into(),
        });
    };
    let format = Format::parse(Some(&r.format))?;
    let path = file_path(state, &r.id, &r.format)?;
    if !path.exists() {
        return Err(AppError::NotFound("export"));
    }
    Ok((path, name, format))
}
