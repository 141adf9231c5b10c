//! Complaint pages: the registration form (投诉登记表), the complaint section of the
//! ticket page with its rounds and actions (in [`panel`]), the archive with its filters
//! and the monthly statistics, and the root-cause settings (in [`causes`]).

mod causes;
mod panel;

pub(super) use panel::{panel, Panel};

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::complaints::{
    self as app, summary_view, ArchiveParams, ComplaintSummary, RegisterPayload, StatsView,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::complaint::{Severity, Stage};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/complaints", get(archive))
        .route("/complaints/new", get(new_form).post(register))
        .route("/complaints/{id}/act", post(panel::act))
        .merge(causes::routes())
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    form: RegisterForm,
    severities: Vec<(String, String)>,
    customer_name: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    complainant: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    desired_outcome: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    restatement: String,
    #[serde(default)]
    restatement_confirmed: Option<String>,
    #[serde(default)]
    customer_id: String,
}

impl RegisterForm {
    fn payload(&self) -> RegisterPayload {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        RegisterPayload {
            complainant: self.complainant.clone(),
            company: some(&self.company),
            address: some(&self.address),
            phone: self.phone.clone(),
            cause: self.cause.clone(),
            desired_outcome: self.desired_outcome.clone(),
            severity: self.severity.clone(),
            subject: some(&self.subject),
            restatement: some(&self.restatement),
            restatement_confirmed: Some(self.restatement_confirmed.is_some()),
            customer_id: some(&self.customer_id),
            channel: None,
            occurred_at: None,
        }
    }
}

#[derive(Deserialize)]
struct NewParams {
    customer_id: Option<String>,
}

async fn form_page(
    page: &Page,
    form: RegisterForm,
    error: Option<String>,
) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::TicketWrite)
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let customer_name = match form.customer_id.as_str() {
        "" => String::new(),
        id => page
            .state
            .db()
            .get_customer(id)
            .await
            .map(|c| c.core.name)
            .unwrap_or_default(),
    };
    Ok(render(&FormPage {
        severities: t.options("severity", Severity::ALL.iter().map(|s| s.code())),
        t,
        chrome: page.chrome("complaints"),
        form,
        customer_name,
        error,
    }))
}

async fn new_form(page: Page, Query(p): Query<NewParams>) -> Result<Response, UiError> {
    let form = RegisterForm {
        severity: Severity::General.code().into(),
        customer_id: p.customer_id.unwrap_or_default(),
        ..RegisterForm::default()
    };
    form_page(&page, form, None).await
}

async fn register(page: Page, Form(form): Form<RegisterForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::register(&page.state, &page.ctx, &form.payload()).await {
        Ok(r) => Ok(Redirect::to(&format!("/tickets/{}", r.ticket_id)).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => {
            form_page(&page, form, Some(e.to_string())).await
        }
        Err(e) => Err(page.error(e)),
    }
}

pub struct ArchiveLine {
    s: ComplaintSummary,
    severity_key: String,
    stage_key: String,
}

#[derive(Template)]
#[template(path = "complaints_archive.html")]
struct ArchivePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<ArchiveLine>,
    next_query: Option<String>,
    f: ArchiveFilter,
    severities: Vec<(String, String)>,
    stages: Vec<(String, String)>,
    causes: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    stats: Option<StatsView>,
    can_write: bool,
    error: Option<String>,
}

/// The filter as typed (kept in the form and the next-page link).
#[derive(Debug, Default, Deserialize)]
struct ArchiveFilter {
    #[serde(default)]
    severity: String,
    #[serde(default)]
    cause_id: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    cursor: String,
}

impl ArchiveFilter {
    /// The filter as a query string, with `extra` parameters after it.
    fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("severity", self.severity.as_str()),
            ("cause_id", &self.cause_id),
            ("department_id", &self.department_id),
            ("stage", &self.stage),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ];
        pairs.extend_from_slice(extra);
        query_string(&pairs)
    }

    /// The filter as the list's query string, for an export of the whole archive under it.
    fn export_query(&self) -> String {
        self.query(&[])
    }

    fn params(&self) -> ArchiveParams {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        ArchiveParams {
            severity: some(&self.severity),
            cause_id: some(&self.cause_id),
            department_id: some(&self.department_id),
            stage: some(&self.stage),
            from: some(&self.from),
            to: some(&self.to),
            q: some(&self.q),
            cursor: some(&self.cursor),
            limit: None,
        }
    }
}

async fn archive(page: Page, Query(mut f): Query<ArchiveFilter>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::TicketRead)
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let (items, next_query, mut error) =
        match app::archive(&page.state, &page.ctx, &f.params()).await {
            Ok(list) => {
                let next = list
                    .next_cursor
                    .map(|c| f.query(&[("month", &f.month), ("cursor", &c)]));
                let items = list
                    .items
                    .iter()
                    .map(|r| {
                        let s = summary_view(r);
                        ArchiveLine {
                            severity_key: format!("severity.{}", s.severity),
                            stage_key: format!("complaint_stage.{}", s.stage),
                            s,
                        }
                    })
                    .collect();
                (items, next, None)
            }
            Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => {
                (Vec::new(), None, Some(e.to_string()))
            }
            Err(e) => return Err(page.error(e)),
        };
    let stats = if page.ctx.can(Permission::TicketSupervise) {
        match app::stats(&page.state, &page.ctx, Some(f.month.as_str())).await {
            Ok(s) => {
                f.month = s.month.clone();
                Some(s)
            }
            Err(e @ AppError::InvalidField { .. }) => {
                error = Some(e.to_string());
                None
            }
            Err(e) => return Err(page.error(e)),
        }
    } else {
        None
    };
    let db = page.state.db();
    let causes = crate::app::complaints::causes::causes(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?
        .into_iter()
        .map(|c| (c.id, c.path))
        .collect();
    let departments = db
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(render(&ArchivePage {
        severities: t.options("severity", Severity::ALL.iter().map(|s| s.code())),
        stages: t.options("complaint_stage", Stage::ALL.iter().map(|s| s.code())),
        causes,
        departments,
        items,
        next_query,
        stats,
        can_write: page.ctx.can(Permission::TicketWrite),
        chrome: page.chrome("complaints"),
        t,
        f,
        error,
    }))
}
