//! One search over tickets, customers and knowledge: who may find what, filters, and
//! results with highlighted snippets in which phone numbers stay masked.

use crate::app::tickets::scope_of;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::search::docs::{department_term, user_term};
use crate::state::AppState;
use chrono::{NaiveDate, TimeZone};
use kefu_domain::phone::mask_phones_in_text;
use kefu_domain::Permission;
use kefu_search::snippet::snippet;
use kefu_search::{highlight_terms, Access, Filters, Hit, Kind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest accepted query.
const MAX_QUERY_CHARS: usize = 200;
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 50;
/// Characters of a snippet.
const SNIPPET_CHARS: usize = 120;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: Chinese words, names, phone digits (the last four find the
    /// whole number), order and ticket numbers, English words.
    pub q: Option<String>,
    /// Comma-separated kinds: `ticket`, `customer`, `article`; default all you may see.
    pub kind: Option<String>,
    /// Ticket type (`complaint`, …) or article kind (`faq`, `script`, …).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub subtype: Option<String>,
    /// Ticket status, customer status or article state.
    pub status: Option<String>,
    /// Department id (a ticket's own department or one it was transferred to).
    pub department: Option<String>,
    /// Customer tier code (a customer's, or a ticket's customer's).
    pub tier: Option<String>,
    /// Created on or after this day (YYYY-MM-DD, local time).
    pub from: Option<String>,
    /// Created on or before this day (YYYY-MM-DD, local time).
    pub to: Option<String>,
    pub offset: Option<usize>,
    /// 1–50, default 20.
    pub limit: Option<usize>,
}

/// One result. `title_html` and `snippet_html` are escaped HTML whose only markup is
/// `<mark>` around matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchItem {
    /// `ticket`, `customer` or `article`.
    pub kind: String,
    pub id: String,
    pub url: String,
    pub title_html: String,
    pub snippet_html: String,
    #[serde(rename = "type")]
    pub subtype: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SearchItem>,
    pub offset: usize,
    /// Where the next page starts, when there may be one.
    pub next_offset: Option<usize>,
    /// True while the index is being rebuilt: results may be incomplete.
    pub rebuilding: bool,
}

fn local_day_start(raw: &str, field: &'static str) -> Result<i64, AppError> {
    let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            "invalid_date",
            format!("{field}: {raw:?} is not a day like 2026-11-28"),
        )
    })?;
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Ok(kefu_store::tickets::local_offset()
        .from_local_datetime(&start)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default())
}

/// Parses and checks the parameters (422 with the offending field on bad input).
pub fn filters(p: &SearchParams) -> Result<(String, Filters, usize, usize), AppError> {
    let q = p.q.as_deref().unwrap_or("").trim().to_string();
    if q.is_empty() {
        return Err(AppError::invalid(
            "query_required",
            "q: say what to search for",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid(
            "query_too_long",
            format!("q: at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let mut kinds = Vec::new();
    for k in p.kind.as_deref().unwrap_or("").split(',').map(str::trim) {
        if k.is_empty() {
            continue;
        }
        kinds.push(Kind::from_code(k).ok_or_else(|| {
            AppError::invalid(
                "unknown_kind",
                format!("kind: {k:?} is not ticket, customer or article"),
            )
        })?);
    }
    let from = p
        .from
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| local_day_start(s, "from"))
        .transpose()?;
    let to =
        p.to.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| local_day_start(s, "to").map(|ms| ms + 86_400_000))
            .transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(AppError::invalid(
                "invalid_range",
                "from: must not be after to",
            ));
        }
    }
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid(
            "invalid_limit",
            format!("limit: 1 to {MAX_LIMIT}"),
        ));
    }
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let filters = Filters {
        kinds,
        subtype: nonempty(&p.subtype),
        statuses: nonempty(&p.status).into_iter().collect(),
        department: nonempty(&p.department),
        tier: nonempty(&p.tier),
        from,
        to,
        exclude: None,
    };
    Ok((q, filters, p.offset.unwrap_or(0), limit))
}

/// What the user may find: tickets they may open, customers if they may read them,
/// knowledge articles (drafts only for writers).
async fn access(state: &AppState, ctx: &Ctx) -> Result<Access, AppError> {
    let tickets = if ctx.can(Permission::TicketRead) {
        let scope = scope_of(state, ctx).await?;
        let mut terms = vec![user_term(&ctx.user_id)];
        terms.extend(scope.iter().map(|d| department_term(d)));
        Some(terms)
    } else {
        None
    };
    Ok(Access {
        tickets,
        customers: ctx.can(Permission::CustomerRead),
        articles: ctx
            .can(Permission::KnowledgeRead)
            .then(|| ctx.can(Permission::KnowledgeWrite)),
    })
}

/// Runs a search as `ctx`.
pub async fn search(
    state: &AppState,
    ctx: &Ctx,
    q: &str,
    filters: &Filters,
    offset: usize,
    limit: usize,
) -> Result<SearchResults, AppError> {
    let access = access(state, ctx).await?;
    let index = state.search().index()?;
    let (text, f) = (q.to_string(), filters.clone());
    let hits =
        tokio::task::spawn_blocking(move || index.search(&text, &access, &f, offset, limit + 1))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(anyhow::Error::from)?;
    let more = hits.len() > limit;
    let items = visible_items(state, ctx, q, hits.into_iter().take(limit).collect()).await?;
    Ok(SearchResults {
        items,
        offset,
        next_offset: more.then_some(offset + limit),
        rebuilding: state.search().is_rebuilding(),
    })
}

/// Drops tickets the index still lists for the user but the database no longer lets them
/// open (the index follows the database within a second), and renders the rest.
async fn visible_items(
    state: &AppState,
    ctx: &Ctx,
    q: &str,
    hits: Vec<Hit>,
) -> Result<Vec<SearchItem>, AppError> {
    let ticket_ids: Vec<String> = hits
        .iter()
        .filter(|h| h.kind == Kind::Ticket)
        .map(|h| h.id.clone())
        .collect();
    let visible = if ticket_ids.is_empty() {
        Default::default()
    } else {
        let scope: Vec<String> = scope_of(state, ctx).await?.into_iter().collect();
        state
            .db()
            .visible_ticket_ids(&ctx.user_id, &scope, &ticket_ids)
            .await?
    };
    let marks = highlight_terms(q);
    Ok(hits
        .into_iter()
        .filter(|h| h.kind != Kind::Ticket || visible.contains(&h.id))
        .map(|h| item(h, &marks))
        .collect())
}

fn item(h: Hit, marks: &[String]) -> SearchItem {
    let url = match h.kind {
        Kind::Ticket => format!("/tickets/{}", h.id),
        Kind::Customer => format!("/customers/{}", h.id),
        Kind::Article => format!("/knowledge/{}", h.id),
    };
    // Phone numbers typed into free text are masked before anything is cut or marked.
    SearchItem {
        title_html: snippet(&mask_phones_in_text(&h.title), marks, SNIPPET_CHARS),
        snippet_html: snippet(&mask_phones_in_text(&h.body), marks, SNIPPET_CHARS),
        kind: h.kind.code().to_string(),
        url,
        id: h.id,
        subtype: h.subtype,
        status: h.status,
        tier: h.tier,
        created_at: kefu_store::from_millis(h.created_at).to_rfc3339(),
    }
}

/// What to show beside a ticket: the knowledge articles and the resolved tickets most
/// like it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Suggestions {
    pub articles: Vec<SearchItem>,
    pub tickets: Vec<SearchItem>,
}

/// Suggestions for a ticket (or call) described by `text`, leaving out the ticket itself.
pub async fn suggestions(
    state: &AppState,
    ctx: &Ctx,
    text: &str,
    exclude_ticket: Option<&str>,
) -> Result<Suggestions, AppError> {
    if text.trim().is_empty() {
        return Ok(Suggestions::default());
    }
    let articles = Filters {
        kinds: vec![Kind::Article],
        statuses: vec!["published".into()],
        ..Filters::default()
    };
    let tickets = Filters {
        kinds: vec![Kind::Ticket],
        statuses: vec!["resolved".into(), "closed".into()],
        exclude: exclude_ticket.map(|id| (Kind::Ticket, id.to_string())),
        ..Filters::default()
    };
    Ok(Suggestions {
        articles: search(state, ctx, text, &articles, 0, 5).await?.items,
        tickets: search(state, ctx, text, &tickets, 0, 5).await?.items,
    })
}

/// Suggestions while a call is handled: from what the caller chose in the IVR menu (its
/// label, e.g. 投诉建议) and the subjects of the caller's open tickets.
pub async fn suggestions_for_call(
    state: &AppState,
    ctx: &Ctx,
    call: &crate::app::calls::CallView,
) -> Result<Suggestions, AppError> {
    let db = state.db();
    let mut text = String::new();
    if let Some(key) = &call.ivr_key {
        let menu = db.list_ivr_options().await?;
        if let Some(option) = menu.iter().find(|o| &o.key == key) {
            text.push_str(&option.label);
        }
    }
    if let Some(customer) = &call.customer_id {
        for t in db.open_tickets_of_customer(customer, 3).await? {
            text.push(' ');
            text.push_str(&t.subject);
        }
    }
    suggestions(state, ctx, &text, None).await
}
