//! A script (话术) filled for the ticket or call at hand: the customer's name, the
//! agent's 工号 and name, the ticket's number and subject, when its promise falls due.
//! The ticket is read through the ticket access rules ([`load_checked`]: a ticket one
//! may not see is 404 here too), the call needs `call.handle`. Phone numbers are never
//! filled in.

use super::render::{markdown_escape, markdown_html};
use crate::app::short_time;
use crate::app::tickets::load_checked;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::knowledge::{fill, Placeholder, ScriptValues};
use kefu_domain::Permission;
use kefu_store::tickets::{local_offset, TicketRow};
use kefu_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a script's values come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSource {
    pub ticket_id: Option<String>,
    pub call_id: Option<String>,
}

impl ScriptSource {
    pub fn new(ticket: Option<&str>, call: Option<&str>) -> Self {
        let some = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        ScriptSource {
            ticket_id: some(ticket),
            call_id: some(call),
        }
    }
}

/// A script filled in: the plain text to copy, the rendered HTML, and what is left.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilledScript {
    /// The Markdown text with the values filled in, to read out or copy.
    pub text: String,
    pub html: String,
    /// Known placeholders without a value here (e.g. 工单号 without a ticket).
    pub missing: Vec<String>,
    /// Placeholders kefu does not know (typos), left as written.
    pub unknown: Vec<String>,
    /// The ticket the values came from.
    pub ticket_number: Option<String>,
    pub ticket_id: Option<String>,
    pub call_id: Option<String>,
}

fn ticket_values(values: &mut ScriptValues, t: &TicketRow) {
    let customer = t.customer_name.clone().or_else(|| t.contact_name.clone());
    values
        .set(Placeholder::CustomerName, customer.unwrap_or_default())
        .set(Placeholder::TicketNumber, t.number.clone())
        .set(Placeholder::TicketSubject, t.subject.clone())
        .set(
            Placeholder::PromiseDue,
            t.promise_due_at.map(short_time).unwrap_or_default(),
        );
}

/// The values for `source`, checking the viewer may read the ticket or call.
pub async fn values_for(
    state: &AppState,
    ctx: &Ctx,
    source: &ScriptSource,
) -> Result<(ScriptValues, Option<TicketRow>), AppError> {
    let mut values = ScriptValues::new();
    let me = state.db().get_user(&ctx.user_id).await?;
    values
        .set(
            Placeholder::AgentNo,
            me.agent_no.clone().unwrap_or_else(|| me.username.clone()),
        )
        .set(Placeholder::AgentName, me.display_name.clone())
        .set(
            Placeholder::Today,
            state
                .clock()
                .now()
                .with_timezone(&local_offset())
                .format("%Y-%m-%d")
                .to_string(),
        );
    let mut ticket = None;
    if let Some(call_id) = &source.call_id {
        ctx.require(Permission::CallHandle)?;
        let call = match state.db().get_call(call_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("call")),
            Err(e) => return Err(e.into()),
        };
        values.set(
            Placeholder::CustomerName,
            call.customer_name.clone().unwrap_or_default(),
        );
        // The call's ticket fills the ticket's placeholders when the agent may see it.
        if source.ticket_id.is_none() && ctx.can(Permission::TicketRead) {
            if let Some(ticket_id) = &call.ticket_id {
                match load_checked(state, ctx, ticket_id, None).await {
                    Ok((detail, _)) => ticket = Some(detail.ticket),
                    Err(AppError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    if let Some(reference) = &source.ticket_id {
        // By id or by number (GD20261128-0007), as an agent would type it.
        let ticket_id = crate::app::tickets::resolve_ref(state, reference).await?;
        let (detail, _) = load_checked(state, ctx, &ticket_id, None).await?;
        ticket = Some(detail.ticket);
    }
    if let Some(t) = &ticket {
        ticket_values(&mut values, t);
    }
    Ok((values, ticket))
}

/// Fills `body` for `source`.
pub async fn fill_script(
    state: &AppState,
    ctx: &Ctx,
    body: &str,
    source: &ScriptSource,
) -> Result<FilledScript, AppError> {
    let (values, ticket) = values_for(state, ctx, source).await?;
    let plain = fill(body, &values, str::to_string);
    let rendered = fill(body, &values, markdown_escape);
    Ok(FilledScript {
        html: markdown_html(&rendered.text),
        text: plain.text,
        missing: plain.missing.iter().map(|p| p.code().to_string()).collect(),
        unknown: plain.unknown,
        ticket_number: ticket.as_ref().map(|t| t.number.clone()),
        ticket_id: ticket.map(|t| t.id),
        call_id: source.call_id.clone(),
    })
}
