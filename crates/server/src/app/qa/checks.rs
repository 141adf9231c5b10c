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

/// The scheduler's turn: refresh the last two days' items of the current month (late
/// complaints and survey answers included), then check what is unchecked.
pub async fn background(state: &AppState) -> Result<usize, AppError> {
    refresh_recent(state, &Month::of(state.clock().now())).await?;
    run(state, 500).await
}

/// Brings `month`'s items of the last two days up to date (nothing for a past month:
/// drawing its sample refreshes it whole). Cheap enough for a page load.
pub async fn refresh_recent(state: &AppState, month: &Month) -> Result<(), AppError> {
    let now = state.clock().now();
    if now < month.start || now >= month.end + chrono::Duration::days(2) {
        return Ok(());
    }
    let from = (now - chrono::Duration::days(2)).max(month.start);
    let to = (now + chrono::Duration::seconds(1)).min(month.end);
    state
        .db()
        .refresh_qa_items(&month.code, month.start, from, to)
        .await?;
    Ok(())
}
