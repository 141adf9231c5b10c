//! What kefu does, independent of how it was asked: permission checks, validation,
//! masking and auditing, shared by the JSON API and the web pages.

pub mod assignment;
pub mod audit;
pub mod auth;
pub mod calendars;
pub mod callbacks;
pub mod calls;
pub mod campaigns;
pub mod chat;
pub mod complaints;
pub mod cti;
pub mod customers;
pub mod dashboard;
pub mod duties;
pub mod export;
pub mod exports;
pub mod files;
pub mod imports;
pub mod knowledge;
pub mod logs;
pub mod mail;
pub mod org;
pub mod org_templates;
pub mod performance;
pub mod public;
pub mod qa;
pub mod report_documents;
pub mod reports;
pub mod schedule;
pub mod search;
pub mod sla;
pub mod surveys;
pub mod tickets;
pub mod wallboard;

/// Formats a stored millisecond timestamp as RFC 3339 with the China offset (+08:00),
/// which is what people in the center read.
pub fn rfc3339(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    kefu_store::from_millis(ms)
        .with_timezone(&offset)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The same, shortened for dense tables: `2026-11-28 09:30`.
pub fn short_time(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    kefu_store::from_millis(ms)
        .with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Page sizes: what a list asks for, bounded.
pub fn page_limit(requested: Option<usize>) -> usize {
    requested.unwrap_or(50).clamp(1, 200)
}
