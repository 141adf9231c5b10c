//! The complaint section of the ticket page: the registration form, every round
//! (handling, callback, outcome) and the step that is due — restatement, handling,
//! callback, or the manager's close with a reason. Each step posts to
//! `/complaints/{id}/act` and comes back to the ticket page.

use super::super::{Page, UiError};
use crate::app::complaints::{
    self as app, complaint_view, CallbackPayload, CausePick, ClosePayload, ComplaintView,
    HandlingPayload, RestatementPayload, RoundView,
};
use crate::error::AppError;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kefu_domain::complaint::CallbackOutcome;
use kefu_domain::Permission;
use kefu_store::tickets::TicketDetail;
use serde::Deserialize;
use std::collections::BTreeSet;

pub struct RoundLine {
    pub r: RoundView,
    pub because_key: String,
    pub outcome_key: String,
}

/// What the ticket page shows of a complaint, and which steps the viewer may take.
pub struct Panel {
    pub v: ComplaintView,
    pub severity_key: String,
    pub stage_key: String,
    pub rounds: Vec<RoundLine>,
    /// Restatement, callback (the ticket's own department, owner or assignee).
    pub can_work: bool,
    /// Handling and root cause (also the department the ticket was transferred to).
    pub can_handle: bool,
    /// Close without a satisfied callback, with a reason (the manager).
    pub can_override: bool,
    pub causes: Vec<(String, String)>,
    pub departments: Vec<(String, String)>,
    pub my_department: String,
    pub outcomes: Vec<(String, String)>,
}

/// The panel for a ticket, when it carries a complaint.
pub async fn panel(
    page: &Page,
    detail: &TicketDetail,
    scope: &BTreeSet<String>,
) -> Result<Option<Panel>, UiError> {
    let db = page.state.db();
    let d = match db.get_complaint(&detail.ticket.id).await {
        Ok(d) => d,
        Err(kefu_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(page.error(e.into())),
    };
    let t = page.t();
    let v = complaint_view(&d);
    let me = Some(page.ctx.user_id.as_str());
    let own = scope.contains(&detail.ticket.department_id)
        || detail.ticket.first_owner_id.as_deref() == me
        || detail.ticket.assignee_id.as_deref() == me;
    let can_write = page.ctx.can(Permission::TicketWrite);
    let causes = crate::app::complaints::causes::causes(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.id, c.path))
        .collect();
    let departments = db
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(Some(Panel {
        severity_key: format!("severity.{}", v.severity),
        stage_key: format!("complaint_stage.{}", v.stage),
        rounds: v
            .rounds
            .iter()
            .map(|r| RoundLine {
                because_key: format!("complaint.because_{}", r.opened_because),
                outcome_key: r
                    .callback
                    .as_ref()
                    .map(|c| format!("callback_outcome.{}", c.outcome))
                    .unwrap_or_default(),
                r: r.clone(),
            })
            .collect(),
        can_work: can_write && own,
        can_handle: can_write,
        can_override: can_write && own && page.ctx.can(Permission::ComplaintCloseOverride),
        causes,
        departments,
        my_department: page.ctx.departments.first().cloned().unwrap_or_default(),
        outcomes: t.options(
            "callback_outcome",
            CallbackOutcome::ALL.iter().map(|o| o.code()),
        ),
        v,
    }))
}

/// Every complaint step on the ticket page posts here with `op` naming it.
#[derive(Debug, Default, Deserialize)]
pub struct ActForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    analysis: String,
    #[serde(default)]
    corrective_action: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    cause_id: String,
    #[serde(default)]
    outcome: String,
}

pub async fn act(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let (state, ctx) = (&page.state, &page.ctx);
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let outcome = match f.op.as_str() {
        "restatement" => {
            let p = RestatementPayload {
                restatement: f.body.clone(),
            };
            app::confirm_restatement(state, ctx, &id, &p).await
        }
        "cause" => {
            let p = CausePick {
                cause_id: f.cause_id.clone(),
            };
            app::set_cause(state, ctx, &id, &p).await
        }
        "handling" => {
            let p = HandlingPayload {
                department_id: some(&f.department_id),
                analysis: f.analysis.clone(),
                corrective_action: f.corrective_action.clone(),
                cause_id: some(&f.cause_id),
            };
            app::record_handling(state, ctx, &id, &p).await
        }
        "callback" => {
            let p = CallbackPayload {
                outcome: f.outcome.clone(),
                notes: f.body.clone(),
            };
            app::record_callback(state, ctx, &id, &p).await.map(|_| ())
        }
        "close" => {
            let p = ClosePayload {
                reason: some(&f.body),
            };
            app::close(state, ctx, &id, &p).await
        }
        other => Err(AppError::bad_request(
            "unknown_action",
            format!("unknown action {other}"),
        )),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::InvalidField { .. }
            | AppError::Conflict { .. }
            | AppError::Refused { .. }
            | AppError::BadRequest { .. }),
        ) => super::super::tickets::detail_with_error(&page, &id, e.to_string()).await,
        Err(e) => Err(page.error(e)),
    }
}
