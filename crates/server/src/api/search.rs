//! Search over HTTP: one query over tickets, customers and knowledge; suggestions beside a
//! ticket; an online rebuild of the index.

use super::{Json, Query};
use crate::app::search::{self as app, SearchParams, SearchResults, Suggestions};
use crate::app::tickets::load_checked;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::search::RebuildStats;
use crate::state::AppState;
use axum::extract::State;
use kefu_domain::Permission;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(suggestions))
        .routes(routes!(rebuild))
}

/// Search tickets (subject, description, replies, notes), customers (name, company,
/// contacts, notes) and knowledge articles. Chinese is matched by words and by
/// characters, digits whole and by their last four or more digits. You find only what you
/// may open; phone numbers in snippets are masked.
#[utoipa::path(get, path = "/search", tag = "search", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422), (status = 503)))]
async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResults>, AppError> {
    let (q, filters, offset, limit) = app::filters(&p)?;
    Ok(Json(
        app::search(&state, &ctx, &q, &filters, offset, limit).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// The ticket at hand.
    pub ticket_id: Option<String>,
    /// Or the call at hand (by its IVR choice and the caller's open tickets).
    pub call_id: Option<String>,
}

/// Knowledge articles and similar resolved tickets for the ticket or call at hand.
#[utoipa::path(get, path = "/search/suggestions", tag = "search", security(("bearer" = ["ticket.read"])),
    params(SuggestionParams),
    responses((status = 200, body = Suggestions), (status = 404), (status = 422)))]
async fn suggestions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<SuggestionParams>,
) -> Result<Json<Suggestions>, AppError> {
    match (p.ticket_id.as_deref(), p.call_id.as_deref()) {
        (Some(ticket_id), None) => {
            let (detail, _) = load_checked(&state, &ctx, ticket_id, None).await?;
            let text = format!("{} {}", detail.ticket.subject, detail.ticket.description);
            Ok(Json(
                app::suggestions(&state, &ctx, &text, Some(ticket_id)).await?,
            ))
        }
        (None, Some(call_id)) => {
            let call = crate::app::calls::detail(&state, &ctx, call_id).await?.call;
            Ok(Json(app::suggestions_for_call(&state, &ctx, &call).await?))
        }
        _ => Err(AppError::invalid(
            "ticket_or_call_required",
            "name either ticket_id or call_id",
        )),
    }
}

/// Rebuild the search index from the database (administrators). Searches keep answering
/// from the old index until the new one is complete.
#[utoipa::path(post, path = "/search/rebuild", tag = "search", security(("bearer" = ["service.configure"])),
    responses((status = 200, body = RebuildStats), (status = 403)))]
async fn rebuild(State(state): State<AppState>, ctx: Ctx) -> Result<Json<RebuildStats>, AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    Ok(Json(crate::search::rebuild(&state).await?))
}
