//! The automatic checks (自动质检) on every text conversation: each chat (once closed)
//! and each e-mail thread is read once with the center's rules (greeting, the agent's
//! number, closing, forbidden phrases, response times, unresolved questions); the
//! findings are stored on the item and make it weigh more in the month's sample. The
//! scheduler keeps the current month's items fresh and checked (see `jobs`).

use super::Month;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::qa::{Checker, Message, Party};
use kefu_store::qa::FindingRow;
use std::collections::{BTreeMap, HashMap};

/// Checks up to `limit` unchecked conversations; returns how many it read. The
/// conversations are read in one query per kind and the findings stored in one
/// transaction (a month of chats is tens of thousands of them).
pub async fn run(state: &AppState, limit: usize) -> Result<usize, AppError> {
    let db = state.db();
    let items = db.unchecked_qa_items(limit).await?;
    if items.is_empty() {
        return Ok(0);
    }
    let rules = db.get_qa_settings().await?.rules;
    let checker = Checker::new(&rules)?;
    let now = state.clock().now();
    let mut sources: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for item in &items {
        sources
            .entry(item.kind.as_str())
            .or_default()
            .push(item.source_id.clone());
    }
    let mut conversations = HashMap::new();
    for (kind, ids) in sources {
        conversations.insert(kind, db.qa_conversations(kind, &ids).await?);
    }
    let checked: Vec<(String, Vec<FindingRow>)> = items
        .iter()
        .map(|item| {
            let lines = conversations
                .get(item.kind.as_str())
                .and_then(|c| c.get(&item.source_id))
                .map_or(&[][..], Vec::as_slice);
            let messages: Vec<Message<'_>> = lines
                .iter()
                .map(|l| Message {
                    from: match l.from.as_str() {
                        "customer" => Party::Customer,
                        "agent" => Party::Agent,
                        _ => Party::System,
                    },
                    at: l.at.div_euclid(1000),
                    text: &l.text,
                })
                .collect();
            let findings = checker
                .check(&messages, item.agent_no.as_deref())
                .into_iter()
                .map(|f| FindingRow {
                    rule: f.rule.code().to_string(),
                    message_index: f.message.map(|i| i as i64),
                    detail: f.detail,
                })
                .collect();
            (item.id.clone(), findings)
        })
        .collect();
    db.save_qa_findings_many(now, &checked).await?;
    Ok(items.len())
}

/// The scheduler's turn: bring the maintained months' items up to date with what changed
/// since its last turn — the current month (refreshed whole the first time) and the
/// previous one while it is still maintained — then check what is unchecked.
pub async fn background(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock().now();
    let db = state.db();
    let current = Month::of(now);
    let previous = current.previous();
    if !db.qa_month_maintained(&current.code).await? {
        db.refresh_qa_month(&current.store(), now).await?;
    }
    let mut months = vec![current.store()];
    if db.qa_month_maintained(&previous.code).await? {
        months.push(previous.store());
    }
    db.refresh_qa_changes(&months, true, now).await?;
    run(state, 500).await
}

/// When a month's items are read and the month is not maintained yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmaintained {
    /// Refresh it whole (seconds for a million items): a draw.
    RefreshWhole,
    /// Refresh it whole only if it is the current month; show an older one as it is: a
    /// page.
    ShowAsIs,
}

/// Brings `month`'s items up to date before they are read: from what changed since the
/// scheduler's last turn when the month is maintained, otherwise as `unmaintained` says.
/// The changes stay noted for the scheduler.
pub async fn refresh(
    state: &AppState,
    month: &Month,
    unmaintained: Unmaintained,
) -> Result<(), AppError> {
    let now = state.clock().now();
    let db = state.db();
    if db.qa_month_maintained(&month.code).await? {
        db.refresh_qa_changes(&[month.store()], false, now).await?;
    } else if unmaintained == Unmaintained::RefreshWhole || Month::of(now).code == month.code {
        db.refresh_qa_month(&month.store(), now).await?;
    }
    Ok(())
}
