//! Spreadsheet exports (XLSX and CSV) that stream: rows come from the database a chunk at
//! a time and go to a file on a blocking thread, so memory stays flat however many rows
//! there are. Every cell is neutralized against formula injection.

use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::export::neutralize_cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn parse(s: Option<&str>) -> Result<Self, AppError> {
        match s.unwrap_or("xlsx") {
            "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            other => Err(AppError::invalid(
                "invalid_format",
                format!("unknown format {other:?}; use xlsx or csv"),
            )),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// A finished export file; removed from disk when dropped.
pub struct ExportFile {
    pub path: PathBuf,
    pub filename: String,
    pub format: Format,
    pub rows: u64,
    _dir: tempfile::TempDir,
}

enum Msg {
    Row(Vec<String>),
}

/// Writes rows sent over a channel into a sheet on a blocking thread.
struct SheetSink {
    tx: mpsc::SyncSender<Msg>,
    handle: tokio::task::JoinHandle<Result<u64, anyhow::Error>>,
}

impl SheetSink {
    fn start(path: PathBuf, format: Format, layout: Layout, header: Vec<String>) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Msg>(2048);
        let handle =
            tokio::task::spawn_blocking(move || write_sheet(&path, format, &layout, &header, rx));
        SheetSink { tx, handle }
    }

    async fn send(&self, row: Vec<String>) -> Result<(), AppError> {
        let tx = self.tx.clone();
        // A full channel blocks; do that off the async worker.
        tokio::task::spawn_blocking(move || tx.send(Msg::Row(row)))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|_| AppError::Internal(anyhow::anyhow!("export writer stopped")))
    }

    async fn finish(self) -> Result<u64, AppError> {
        drop(self.tx);
        self.handle
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)
    }
}

/// How a sheet is laid out around its rows.
#[derive(Debug, Clone)]
struct Layout {
    /// The worksheet's name.
    title: String,
    /// XLSX: lines above the header (a title, the filters the rows were chosen by).
    preamble: Vec<String>,
    /// XLSX: every column after the first holds numbers (an empty cell stays empty).
    numbers: bool,
}

fn write_sheet(
    path: &Path,
    format: Format,
    layout: &Layout,
    header: &[String],
    rx: mpsc::Receiver<Msg>,
) -> Result<u64, anyhow::Error> {
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            let file = std::io::BufWriter::new(std::fs::File::create(path)?);
            let mut file = file;
            file.write_all(b"\xEF\xBB\xBF")?; // BOM: Excel then reads UTF-8 correctly
            let mut w = csv::Writer::from_writer(file);
            w.write_record(header.iter().map(|h| neutralize_cell(h).into_owned()))?;
            while let Ok(Msg::Row(r)) = rx.recv() {
                w.write_record(r.iter().map(|c| neutralize_cell(c).into_owned()))?;
                rows += 1;
            }
            w.flush()?;
        }
        Format::Xlsx => {
            use rust_xlsxwriter::{Format as CellFormat, Workbook};
            let mut wb = Workbook::new();
            let sheet = wb.add_worksheet_with_constant_memory();
            sheet.set_name(&layout.title)?;
            let bold = CellFormat::new().set_bold();
            for (i, line) in layout.preamble.iter().enumerate() {
                let f = if i == 0 { &bold } else { &CellFormat::new() };
                sheet.write_string_with_format(i as u32, 0, neutralize_cell(line), f)?;
            }
            let top = layout.preamble.len() as u32 + u32::from(!layout.preamble.is_empty());
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(top, c as u16, neutralize_cell(h), &bold)?;
                sheet.set_column_width(c as u16, 16)?;
            }
            sheet.set_freeze_panes(top + 1, 0)?;
            while let Ok(Msg::Row(r)) = rx.recv() {
                rows += 1;
                let at = top + rows as u32;
                for (c, v) in r.iter().enumerate() {
                    match v.parse::<f64>() {
                        Ok(n) if layout.numbers && c > 0 => {
                            sheet.write_number(at, c as u16, n)?;
                        }
                        _ if layout.numbers && c > 0 && v.is_empty() => {}
                        _ => {
                            sheet.write_string(at, c as u16, neutralize_cell(v))?;
                        }
                    }
                }
            }
            wb.save(path)?;
        }
    }
    Ok(rows)
}

pub(crate) fn exports_dir(state: &AppState) -> Result<PathBuf, AppError> {
    let dir = state.config().data_dir.join("exports");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(e.into()))?;
    Ok(dir)
}

/// Streams a sheet of rows (a list) with lines stating what it is above it (XLSX only;
/// a CSV stays one header and its rows).
pub async fn rows_to_file(
    state: &AppState,
    title: &str,
    format: Format,
    preamble: Vec<String>,
    header: Vec<String>,
    next_chunk: impl AsyncChunkSource,
) -> Result<ExportFile, AppError> {
    let layout = Layout {
        title: title.to_string(),
        preamble,
        numbers: false,
    };
    sheet_to_file(state, layout, format, header, next_chunk).await
}

/// Writes a small table already in memory (a report) with lines stating what it is above
/// it (XLSX only; a CSV stays one header and its rows) and numbers after the first column.
pub async fn table_to_file(
    state: &AppState,
    title: &str,
    format: Format,
    preamble: Vec<String>,
    header: Vec<String>,
    lines: Vec<Vec<String>>,
) -> Result<ExportFile, AppError> {
    let layout = Layout {
        title: title.to_string(),
        preamble,
        numbers: true,
    };
    sheet_to_file(state, layout, format, header, InMemory(Some(lines))).await
}

/// Rows already in memory, as one chunk.
struct InMemory(Option<Vec<Vec<String>>>);

impl AsyncChunkSource for InMemory {
    async fn next_chunk(&mut self) -> Result<Option<Vec<Vec<String>>>, AppError> {
        Ok(self.0.take())
    }
}

async fn sheet_to_file(
    state: &AppState,
    layout: Layout,
    format: Format,
    header: Vec<String>,
    mut next_chunk: impl AsyncChunkSource,
) -> Result<ExportFile, AppError> {
    let dir =
        tempfile::tempdir_in(exports_dir(state)?).map_err(|e| AppError::Internal(e.into()))?;
    let filename = format!(
        "{}-{}.{}",
        layout.title,
        state.clock().now().format("%Y%m%d-%H%M%S"),
        format.extension()
    );
    let path = dir.path().join(&filename);
    let sink = SheetSink::start(path.clone(), format, layout, header);
    while let Some(rows) = next_chunk.next_chunk().await? {
        for r in rows {
            sink.send(r).await?;
        }
    }
    let rows = sink.finish().await?;
    Ok(ExportFile {
        path,
        filename,
        format,
        rows,
        _dir: dir,
    })
}

/// A source of rows fetched a chunk at a time; `None` when exhausted.
pub trait AsyncChunkSource {
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<Vec<Vec<String>>>, AppError>> + Send;
}
