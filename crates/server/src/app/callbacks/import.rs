//! Pre-sale lists (售前回访名单) from the sales department: a CSV with a header row
//! (the customer import's header names: 姓名/name, 手机/mobile, 备注/notes). Each row's
//! mobile number finds its customer or a new prospect is created (needs
//! `customer.write`); each customer gets one pre-sale task per list name.

use super::parse_local_time;
use crate::app::imports::format::{column_of, Column};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::customer::{parse_name, ContactKind, ContactValue, CustomerStatus, Gender};
use kefu_domain::Permission;
use kefu_store::callbacks::PreSaleRow;
use kefu_store::customers::{ContactInput, CustomerInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most rows one list may have (larger lists go through the customer import first).
const MAX_ROWS: usize = 5000;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreSalePayload {
    /// The list's name (e.g. `2026-12 新品推介`): importing the same list twice adds
    /// nothing.
    pub list: String,
    /// CSV text with a header row.
    pub csv: String,
    /// When the calls fall due (default: now).
    pub due_at: Option<String>,
    pub assignee_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedRow {
    /// 1-based line in the file.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreSaleView {
    pub tasks_created: u64,
    pub customers_matched: usize,
    pub customers_created: usize,
    pub rejected: Vec<RejectedRow>,
}

struct Parsed {
    name: String,
    mobile: String,
    note: Option<String>,
}

/// The rows read (with their line numbers) and the rows refused.
type ParsedList = (Vec<(usize, Parsed)>, Vec<RejectedRow>);

fn parse_csv(text: &str) -> Result<ParsedList, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            return Err(AppError::invalid_field(
                "empty_list",
                "csv",
                "the list is empty",
            ))
        }
    };
    let cols: Vec<Option<Column>> = header.iter().map(column_of).collect();
    let find = |c: Column| cols.iter().position(|x| *x == Some(c));
    let (Some(name_col), Some(mobile_col)) = (find(Column::Name), find(Column::Mobile)) else {
        return Err(AppError::invalid_field(
            "missing_columns",
            "csv",
            "the header needs a name column (姓名) and a mobile column (手机)",
        ));
    };
    let note_col = find(Column::Notes);
    let (mut ok, mut rejected) = (Vec::new(), Vec::new());
    for (i, rec) in records.enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rejected.push(RejectedRow {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if ok.len() + rejected.len() >= MAX_ROWS {
            return Err(AppError::invalid_field(
                "too_many_rows",
                "csv",
                format!("a list has at most {MAX_ROWS} rows"),
            ));
        }
        let cell = |c: usize| rec.get(c).unwrap_or("").trim();
        let name = match parse_name(cell(name_col)) {
            Ok(n) => n,
            Err(e) => {
                rejected.push(RejectedRow {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let mobile = match ContactValue::parse(ContactKind::Mobile, cell(mobile_col)) {
            Ok(v) => v.value,
            Err(e) => {
                rejected.push(RejectedRow {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let note = note_col
            .map(cell)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect());
        ok.push((line, Parsed { name, mobile, note }));
    }
    Ok((ok, rejected))
}

/// Imports a pre-sale list (`callback.manage`; new customers also need `customer.write`).
pub async fn import_pre_sale(
    state: &AppState,
    ctx: &Ctx,
    p: &PreSalePayload,
) -> Result<PreSaleView, AppError> {
    ctx.require(Permission::CallbackManage)?;
    let list = p.list.trim();
    if list.is_empty() || list.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "invalid_list",
            "list",
            "name the list (at most 100 characters)",
        ));
    }
    let now = state.clock().now();
    let due_at = match p.due_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => parse_local_time("due_at", raw)?,
        None => now,
    };
    let assignee = p
        .assignee_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(a) = assignee {
        state.db().get_user(a).await.map_err(|_| {
            AppError::invalid_field("unknown_assignee", "assignee_id", "no such user")
        })?;
    }
    let (parsed, mut rejected) = parse_csv(&p.csv)?;
    let db = state.db();
    let mobiles: Vec<String> = parsed.iter().map(|(_, r)| r.mobile.clone()).collect();
    let existing = db.existing_mobiles(&mobiles).await?;
    let tiers = db.list_tiers().await?;
    // New prospects start in the lowest tier.
    let tier = tiers
        .iter()
        .max_by_key(|t| t.sort_order)
        .map(|t| t.code.clone())
        .unwrap_or_else(|| "C".into());
    let (mut matched, mut created) = (0, 0);
    let mut rows = Vec::new();
    for (line, r) in parsed {
        let customer_id = match existing.get(&r.mobile) {
            Some((id, _)) => {
                matched += 1;
                id.clone()
            }
            None => {
                ctx.require(Permission::CustomerWrite)?;
                let input = CustomerInput {
                    name: r.name.clone(),
                    company: None,
                    gender: Gender::Unknown,
                    tier: tier.clone(),
                    status: CustomerStatus::Prospect,
                    owner_id: None,
                    id_number: None,
                    address: None,
                    notes: None,
                    contacts: vec![ContactInput {
                        kind: ContactKind::Mobile,
                        value: r.mobile.clone(),
                        label: None,
                    }],
                    tags: Vec::new(),
                };
                match db.create_customer(&ctx.actor(), now, &input).await {
                    Ok(id) => {
                        created += 1;
                        id
                    }
                    Err(e) => {
                        rejected.push(RejectedRow {
                            line,
                            reason: e.to_string(),
                        });
                        continue;
                    }
                }
            }
        };
        rows.push(PreSaleRow {
            customer_id,
            title: r.note,
        });
    }
    let tasks_created = db
        .create_pre_sale_tasks(&ctx.actor(), now, list, &rows, due_at, assignee)
        .await?;
    Ok(PreSaleView {
        tasks_created,
        customers_matched: matched,
        customers_created: created,
        rejected,
    })
}
