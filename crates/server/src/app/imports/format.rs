//! Reading an import file: its format and text encoding, the header row's columns, and
//! each row turned into a validated customer (or the reason it is not one).

use crate::error::AppError;
use kefu_domain::customer::{
    parse_name, parse_optional_id_number, parse_optional_text, parse_tags, ContactKind,
    ContactValue, CustomerStatus, Gender, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};
use kefu_store::customers::{ContactInput, CustomerInput};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn code(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }
}

/// Columns kefu understands, by the names people put in spreadsheet headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Column {
    Name,
    Company,
    Mobile,
    Landline,
    Email,
    Im,
    Tier,
    Status,
    Gender,
    IdNumber,
    Address,
    Tags,
    Notes,
    Owner,
}

pub(crate) fn column_of(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let h = h.split_whitespace().next().unwrap_or("");
    Some(match h {
        "姓名" | "客户姓名" | "客户名称" | "名称" | "name" => Column::Name,
        "公司" | "单位" | "公司名称" | "company" => Column::Company,
        "手机" | "手机号" | "手机号码" | "电话" | "联系电话" | "mobile" | "phone" => {
            Column::Mobile
        }
        "座机" | "固定电话" | "固话" | "landline" => Column::Landline,
        "邮箱" | "电子邮件" | "email" | "e-mail" => Column::Email,
        "qq" | "微信" | "im" => Column::Im,
        "等级" | "客户等级" | "级别" | "tier" => Column::Tier,
        "状态" | "客户状态" | "status" => Column::Status,
        "性别" | "gender" => Column::Gender,
        "身份证" | "身份证号" | "身份证号码" | "id_number" => Column::IdNumber,
        "地址" | "联系地址" | "address" => Column::Address,
        "标签" | "tags" => Column::Tags,
        "备注" | "notes" => Column::Notes,
        "负责人" | "客服" | "owner" => Column::Owner,
        _ => return None,
    })
}

pub(super) fn column_label(c: Column) -> &'static str {
    match c {
        Column::Name => "name",
        Column::Company => "company",
        Column::Mobile => "mobile",
        Column::Landline => "landline",
        Column::Email => "email",
        Column::Im => "im",
        Column::Tier => "tier",
        Column::Status => "status",
        Column::Gender => "gender",
        Column::IdNumber => "id_number",
        Column::Address => "address",
        Column::Tags => "tags",
        Column::Notes => "notes",
        Column::Owner => "owner",
    }
}

fn parse_status(v: &str) -> Option<CustomerStatus> {
    CustomerStatus::from_code(&v.to_lowercase()).or(match v {
        "潜在" | "潜在客户" | "意向" => Some(CustomerStatus::Prospect),
        "注册" | "已注册" => Some(CustomerStatus::Registered),
        "认证" | "已认证" | "实名" => Some(CustomerStatus::Verified),
        "活跃" => Some(CustomerStatus::Active),
        "流失" | "已流失" => Some(CustomerStatus::Lost),
        _ => None,
    })
}

fn parse_gender(v: &str) -> Option<Gender> {
    Gender::from_code(&v.to_lowercase()).or(match v {
        "男" => Some(Gender::Male),
        "女" => Some(Gender::Female),
        "" | "未知" => Some(Gender::Unknown),
        _ => None,
    })
}

/// Lookups a row needs that come from the database, loaded once per pass.
pub(super) struct Context {
    pub(super) tiers: HashMap<String, String>,
    pub(super) owners: HashMap<String, String>,
}

pub(super) struct Mapping {
    pub(super) columns: Vec<Option<Column>>,
}

/// Turns one row into a customer, or says what is wrong with it.
pub(super) fn parse_row(
    map: &Mapping,
    ctx: &Context,
    cells: &[String],
) -> Result<CustomerInput, String> {
    let mut get: HashMap<Column, &str> = HashMap::new();
    for (i, col) in map.columns.iter().enumerate() {
        if let (Some(col), Some(v)) = (col, cells.get(i)) {
            let v = v.trim();
            if !v.is_empty() {
                get.entry(*col).or_insert(v);
            }
        }
    }
    let field = |c: Column| get.get(&c).copied();
    if cells.iter().any(|c| c.contains('\u{FFFD}')) {
        return Err("undecodable characters (wrong file encoding?)".into());
    }
    let name = parse_name(field(Column::Name).unwrap_or("")).map_err(|e| e.to_string())?;
    let mut contacts = Vec::new();
    for (col, kind) in [
        (Column::Mobile, ContactKind::Mobile),
        (Column::Landline, ContactKind::Landline),
        (Column::Email, ContactKind::Email),
        (Column::Im, ContactKind::Im),
    ] {
        if let Some(v) = field(col) {
            // A landline in the mobile column is still a phone; file it as such.
            let parsed = ContactValue::parse(kind, v).or_else(|e| match kind {
                ContactKind::Mobile if !v.trim_start_matches('+').starts_with('1') => {
                    ContactValue::parse(ContactKind::Landline, v)
                }
                _ => Err(e),
            });
            let cv = parsed.map_err(|e| e.to_string())?;
            contacts.push(ContactInput {
                kind: cv.kind,
                value: cv.value,
                label: None,
            });
        }
    }
    let tier = match field(Column::Tier) {
        Some(t) => ctx
            .tiers
            .get(&t.to_uppercase())
            .cloned()
            .ok_or_else(|| format!("unknown tier {t:?}"))?,
        None => "C".to_string(),
    };
    let status = match field(Column::Status) {
        Some(s) => parse_status(s).ok_or_else(|| format!("unknown status {s:?}"))?,
        None => CustomerStatus::Prospect,
    };
    let gender = parse_gender(field(Column::Gender).unwrap_or("")).ok_or("unknown gender")?;
    let owner_id = match field(Column::Owner) {
        Some(o) => Some(
            ctx.owners
                .get(&o.to_lowercase())
                .cloned()
                .ok_or_else(|| format!("unknown owner {o:?}"))?,
        ),
        None => None,
    };
    let tags: Vec<&str> = field(Column::Tags)
        .map(|t| t.split([',', '，', ';', '；', '|']).collect())
        .unwrap_or_default();
    Ok(CustomerInput {
        name,
        company: parse_optional_text("company", field(Column::Company), MAX_NAME_CHARS)
            .map_err(|e| e.to_string())?,
        gender,
        tier,
        status,
        owner_id,
        id_number: parse_optional_id_number(field(Column::IdNumber)).map_err(|e| e.to_string())?,
        address: parse_optional_text("address", field(Column::Address), MAX_TEXT_CHARS)
            .map_err(|e| e.to_string())?,
        notes: parse_optional_text("notes", field(Column::Notes), MAX_TEXT_CHARS)
            .map_err(|e| e.to_string())?,
        contacts,
        tags: parse_tags(&tags).map_err(|e| e.to_string())?,
    })
}

/// Reads rows of cells from a stored upload, whatever its format and encoding.
pub(super) type Rows = Box<dyn Iterator<Item = Result<Vec<String>, String>> + Send>;

/// Guesses the text encoding of a CSV from its first bytes: a BOM wins; valid UTF-8 is
/// UTF-8; a sample whose header line is UTF-8 with Chinese in it is UTF-8 with a few
/// broken rows (those rows are rejected as undecodable); anything else is read as
/// GB18030, the superset of GBK and GB2312.
fn sniff_encoding(head: &[u8]) -> &'static encoding_rs::Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return encoding_rs::UTF_8;
    }
    if head.starts_with(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE;
    }
    if head.starts_with(b"\xFE\xFF") {
        return encoding_rs::UTF_16BE;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return encoding_rs::UTF_8,
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            return encoding_rs::UTF_8
        }
        Err(_) => {}
    }
    let header = head.split(|b| *b == b'\n').next().unwrap_or_default();
    if !header.is_ascii() && std::str::from_utf8(header).is_ok() {
        return encoding_rs::UTF_8;
    }
    encoding_rs::GB18030
}

pub(super) fn open_rows(path: &Path, format: FileFormat) -> Result<(Rows, String), String> {
    match format {
        FileFormat::Csv => {
            let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
            let mut head = vec![0u8; 64 * 1024];
            let n = read_up_to(&mut file, &mut head).map_err(|e| e.to_string())?;
            head.truncate(n);
            let encoding = sniff_encoding(&head);
            let label = match (encoding.name(), head.starts_with(b"\xEF\xBB\xBF")) {
                ("UTF-8", true) => "UTF-8 (BOM)".to_string(),
                (name, _) => name.to_string(),
            };
            let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
            let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(std::io::BufReader::with_capacity(256 * 1024, file));
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(decoder);
            let rows = reader.into_records().map(|r| {
                r.map(|rec| rec.iter().map(str::to_string).collect())
                    .map_err(|e| format!("unreadable CSV: {e}"))
            });
            Ok((Box::new(rows), label))
        }
        FileFormat::Xlsx => {
            use calamine::{open_workbook, Reader, Xlsx};
            let mut wb: Xlsx<_> =
                open_workbook(path).map_err(|e| format!("not a readable XLSX file: {e}"))?;
            let sheet = wb
                .sheet_names()
                .first()
                .cloned()
                .ok_or("the workbook has no sheet")?;
            // XLSX uploads are bounded by the upload limit; the sheet is read whole.
            let range = wb
                .worksheet_range(&sheet)
                .map_err(|e| format!("unreadable sheet: {e}"))?;
            let rows: Vec<Result<Vec<String>, String>> = range
                .rows()
                .map(|r| Ok(r.iter().map(cell_text).collect()))
                .collect();
            Ok((Box::new(rows.into_iter()), "XLSX".into()))
        }
    }
}

fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

pub fn detect_format(filename: &str, head: &[u8]) -> Result<FileFormat, AppError> {
    let lower = filename.to_lowercase();
    if head.starts_with(b"PK\x03\x04") {
        return Ok(FileFormat::Xlsx);
    }
    if lower.ends_with(".xlsx") {
        return Err(AppError::invalid(
            "unreadable_file",
            "the file is named .xlsx but is not an XLSX workbook",
        ));
    }
    if lower.ends_with(".xls") {
        return Err(AppError::invalid(
            "unsupported_format",
            "old .xls files are not supported; save as .xlsx or .csv",
        ));
    }
    Ok(FileFormat::Csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_sniffed() {
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBFname"), encoding_rs::UTF_8);
        assert_eq!(sniff_encoding("姓名,手机".as_bytes()), encoding_rs::UTF_8);
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,手机\n张三,13800000000");
        assert_eq!(sniff_encoding(&gbk), encoding_rs::GB18030);
        let cut = &"姓名".as_bytes()[..4];
        assert_eq!(sniff_encoding(cut), encoding_rs::UTF_8);
    }

    #[test]
    fn headers_are_recognized_in_chinese_and_english() {
        assert_eq!(column_of("姓名"), Some(Column::Name));
        assert_eq!(column_of("\u{feff}Name"), Some(Column::Name));
        assert_eq!(column_of("手机号码"), Some(Column::Mobile));
        assert_eq!(column_of("姓名 name"), Some(Column::Name));
        assert_eq!(column_of("whatever"), None);
    }
}
