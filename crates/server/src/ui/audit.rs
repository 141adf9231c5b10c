//! The audit log page: filter, browse, export. Read-only by design.

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::audit::{self as app, view_of, AuditEntryView, AuditParams};
use crate::app::page_limit;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kefu_domain::audit::AuditAction;
use kefu_domain::Permission;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPageT<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<AuditEntryView>,
    next_cursor: Option<String>,
    actions: Vec<&'static str>,
    actors: Vec<(String, String)>,
    f_action: String,
    f_actor: String,
    f_subject: String,
    f_from: String,
    f_to: String,
    f_pii: bool,
    filter_query: String,
    can_export: bool,
}

async fn audit_page(page: Page, Query(p): Query<AuditParams>) -> Result<Response, UiError> {
    let filter = p.filter().map_err(|e| page.error(e))?;
    let rows = app::list(
        &page.state,
        &page.ctx,
        &filter,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await
    .map_err(|e| page.error(e))?;
    let users = page
        .state
        .db()
        .list_users()
        .await
        .map_err(|e| page.error(e.into()))?;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let pii = if p.personal_data.unwrap_or(false) {
        "true"
    } else {
        ""
    };
    let filter_query = query_string(&[
        ("action", &s(&p.action)),
        ("actor_id", &s(&p.actor_id)),
        ("subject_id", &s(&p.subject_id)),
        ("from", &s(&p.from)),
        ("to", &s(&p.to)),
        ("personal_data", pii),
    ]);
    let body = AuditPageT {
        t: page.t(),
        chrome: page.chrome("audit"),
        items: rows
            .items
            .into_iter()
            .map(|r| {
                // Dense, local time for people: 2026-11-29 08:43:20.
                let mut v = view_of(r);
                v.at =
                    v.at.replace('T', " ")
                        .trim_end_matches("+08:00")
                        .to_string();
                v
            })
            .collect(),
        next_cursor: rows.next_cursor,
        actions: AuditAction::ALL.iter().map(|a| a.code()).collect(),
        actors: users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        f_action: s(&p.action),
        f_actor: s(&p.actor_id),
        f_subject: s(&p.subject_id),
        f_from: s(&p.from),
        f_to: s(&p.to),
        f_pii: p.personal_data.unwrap_or(false),
        filter_query,
        can_export: page.ctx.can(Permission::AuditExport),
    };
    Ok(render(&body))
}
