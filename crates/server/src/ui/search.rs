//! The search page: one box over tickets, customers and knowledge, with filters and
//! highlighted snippets.

use super::{render, Chrome, Page, UiError};
use crate::app::search::{self as app, SearchParams, SearchResults};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kefu_domain::knowledge::ArticleKind;
use kefu_domain::ticket::{TicketStatus, TicketType};

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    q: String,
    kind: String,
    subtype: String,
    status: String,
    department: String,
    tier: String,
    from: String,
    to: String,
    types: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    tiers: Vec<(String, String)>,
    results: Option<SearchResults>,
    /// The message of a rejected query (bad date, unknown kind …).
    problem: Option<String>,
    /// Query string of the next page.
    next: Option<String>,
}

async fn search_page(page: Page, Query(p): Query<SearchParams>) -> Result<Response, UiError> {
    let t = page.t();
    let db = page.state.db();
    let departments = db
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let tiers = db
        .list_tiers()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|x| (x.code, x.name))
        .collect();
    let asked = p.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let (results, problem) = if asked {
        match app::filters(&p) {
            Ok((q, filters, offset, limit)) => {
                match app::search(&page.state, &page.ctx, &q, &filters, offset, limit).await {
                    Ok(r) => (Some(r), None),
                    Err(e) => (None, Some(problem(&t, &e))),
                }
            }
            Err(e) => (None, Some(problem(&t, &e))),
        }
    } else {
        (None, None)
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let next = results.as_ref().and_then(|r| r.next_offset).map(|offset| {
        let mut pairs = vec![("q", s(&p.q)), ("offset", offset.to_string())];
        for (k, v) in [
            ("kind", &p.kind),
            ("type", &p.subtype),
            ("status", &p.status),
            ("department", &p.department),
            ("tier", &p.tier),
            ("from", &p.from),
            ("to", &p.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.to_string()));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    });
    Ok(render(&SearchPage {
        chrome: page.chrome("search"),
        q: s(&p.q),
        kind: s(&p.kind),
        subtype: s(&p.subtype),
        status: s(&p.status),
        department: s(&p.department),
        tier: s(&p.tier),
        from: s(&p.from),
        to: s(&p.to),
        types: t
            .options("ticket_type", TicketType::ALL.iter().map(|x| x.code()))
            .into_iter()
            .chain(t.options("kb_kind", ArticleKind::ALL.iter().map(|x| x.code())))
            .collect(),
        statuses: t.options("ticket_status", TicketStatus::ALL.iter().map(|x| x.code())),
        departments,
        tiers,
        results,
        problem,
        next,
        t,
    }))
}

fn problem(t: &Tr<'_>, e: &crate::AppError) -> String {
    t.f("search.bad_query", &[("reason", &e.to_string())])
}
