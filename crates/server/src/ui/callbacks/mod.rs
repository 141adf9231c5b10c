//! Callback pages: the queue (today, overdue, by type; filtered by assignee) with the
//! manager's forms (a task by hand, a pre-sale list, "generate now"), the task page (the
//! filled-in script, the customer's facts, the attempt form with the handbook's record,
//! the attempts, a place for the satisfaction survey) and the plans (in [`plans`]).

mod plans;

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::callbacks::import::{self, PreSalePayload};
use crate::app::callbacks::{
    self as app, summary_view, AssignPayload, AttemptPayload, CreatePayload, TaskDetail,
    TaskSummary,
};
use crate::error::AppError;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::callback::{AttemptResult, CallbackKind, Outcome};
use kefu_domain::customer::Gender;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<crate::state::AppState> {
    Router::new()
        .route("/callbacks", get(queue))
        .route("/callbacks/new", post(create))
        .route("/callbacks/import", post(import_list))
        .route("/callbacks/generate", post(generate))
        .route("/callbacks/{id}", get(task))
        .route("/callbacks/{id}/attempt", post(attempt))
        .route("/callbacks/{id}/assign", post(assign))
        .merge(plans::routes())
}

pub struct Line {
    s: TaskSummary,
    kind_key: String,
}

#[derive(Template)]
#[template(path = "callbacks_queue.html")]
struct QueuePage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    tab: String,
    assignee: String,
    /// The queue's filter, for its export.
    export_query: String,
    items: Vec<Line>,
    next_query: Option<String>,
    today: i64,
    overdue: i64,
    kinds: Vec<(String, String, i64)>,
    can_manage: bool,
    message: Option<String>,
    error: Option<String>,
    create: CreateForm,
    import: ImportForm,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    msg: String,
}

#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    due_at: String,
}

#[derive(Debug, Default, Deserialize)]
struct ImportForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    list: String,
    #[serde(default)]
    csv: String,
}

fn some(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

async fn queue_page(
    page: &Page,
    q: QueueQuery,
    error: Option<String>,
    create: CreateForm,
    import: ImportForm,
) -> Result<Response, UiError> {
    let t = page.t();
    let assignee = if q.assignee.is_empty() && !page.ctx.can(Permission::CallbackManage) {
        "me".to_string()
    } else {
        q.assignee.clone()
    };
    let tab = if q.tab.is_empty() {
        "today".to_string()
    } else {
        q.tab.clone()
    };
    let params = app::QueueParams {
        tab: Some(tab.clone()),
        assignee: some(&assignee),
        cursor: some(&q.cursor),
        limit: None,
    };
    let (page_rows, counts) = app::queue(&page.state, &page.ctx, &params)
        .await
        .map_err(|e| page.error(e))?;
    let next_query = page_rows
        .next_cursor
        .map(|c| query_string(&[("tab", &tab), ("assignee", &assignee), ("cursor", &c)]));
    let items = page_rows
        .items
        .iter()
        .map(|r| Line {
            kind_key: format!("callback_kind.{}", r.kind),
            s: summary_view(r),
        })
        .collect();
    let kinds = counts
        .by_kind
        .iter()
        .map(|(k, n)| (k.clone(), t.label("callback_kind", k).to_string(), *n))
        .collect();
    let message = match q.msg.as_str() {
        "" => None,
        m => Some(m.to_string()),
    };
    Ok(render(&QueuePage {
        chrome: page.chrome("callbacks"),
        export_query: query_string(&[("tab", &tab), ("assignee", &assignee)]),
        tab,
        assignee,
        items,
        next_query,
        today: counts.due,
        overdue: counts.raised,
        kinds,
        can_manage: page.ctx.can(Permission::CallbackManage),
        message,
        error,
        create,
        import,
        t,
    }))
}

async fn queue(page: Page, Query(q): Query<QueueQuery>) -> Result<Response, UiError> {
    queue_page(&page, q, None, CreateForm::default(), ImportForm::default()).await
}

fn back_to_queue(msg: &str) -> Response {
    Redirect::to(&format!("/callbacks?{}", query_string(&[("msg", msg)]))).into_response()
}

async fn create(page: Page, Form(f): Form<CreateForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = CreatePayload {
        kind: some(&f.kind),
        customer_id: f.customer_id.clone(),
        title: some(&f.title),
        due_at: some(&f.due_at),
        ..CreatePayload::default()
    };
    match app::create(&page.state, &page.ctx, &p).await {
        Ok(id) => Ok(Redirect::to(&format!("/callbacks/{id}")).into_response()),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::InvalidField { .. }
            | AppError::Conflict { .. }),
        ) => {
            queue_page(
                &page,
                QueueQuery::default(),
                Some(e.to_string()),
                f,
                ImportForm::default(),
            )
            .await
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn import_list(page: Page, Form(f): Form<ImportForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = PreSalePayload {
        list: f.list.clone(),
        csv: f.csv.clone(),
        ..PreSalePayload::default()
    };
    match import::import_pre_sale(&page.state, &page.ctx, &p).await {
        Ok(v) => {
            let t = page.t();
            let msg = t.f(
                "callback.imported",
                &[
                    ("tasks", v.tasks_created.to_string().as_str()),
                    ("matched", v.customers_matched.to_string().as_str()),
                    ("created", v.customers_created.to_string().as_str()),
                    ("rejected", v.rejected.len().to_string().as_str()),
                ],
            );
            Ok(back_to_queue(&msg))
        }
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidField { .. })) => {
            queue_page(
                &page,
                QueueQuery::default(),
                Some(e.to_string()),
                CreateForm::default(),
                f,
            )
            .await
        }
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn generate(page: Page, Form(f): Form<CsrfForm>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let g = app::generate(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    let msg = page.t().f(
        "callback.generated",
        &[
            ("periodic", g.periodic.to_string().as_str()),
            ("care", g.care.to_string().as_str()),
            ("renewal", g.renewal.to_string().as_str()),
        ],
    );
    Ok(back_to_queue(&msg))
}

#[derive(Template)]
#[template(path = "callback_task.html")]
struct TaskPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    d: TaskDetail,
    kind_key: String,
    is_open: bool,
    can_work: bool,
    can_take: bool,
    can_manage: bool,
    is_repair: bool,
    outcomes: Vec<(String, String)>,
    results: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    staff: Vec<(String, String)>,
    form: AttemptForm,
    error: Option<String>,
    me: String,
    /// The satisfaction survey for this callback (`survey.send`).
    survey_href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AttemptForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    later_at: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_gender: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    opinions: String,
    #[serde(default)]
    suggestions: String,
    #[serde(default)]
    fee: String,
    #[serde(default)]
    fee_confirmed: Option<String>,
}

impl AttemptForm {
    fn payload(&self) -> AttemptPayload {
        AttemptPayload {
            result: self.result.clone(),
            later_at: some(&self.later_at),
            outcome: some(&self.outcome),
            notes: some(&self.notes),
            contact_name: some(&self.contact_name),
            contact_gender: some(&self.contact_gender),
            contact_phone: some(&self.contact_phone),
            opinions: some(&self.opinions),
            suggestions: some(&self.suggestions),
            fee: some(&self.fee),
            fee_confirmed: self.fee_confirmed.as_ref().map(|_| true),
        }
    }
}

async fn task_page(
    page: &Page,
    id: &str,
    form: AttemptForm,
    error: Option<String>,
) -> Result<Response, UiError> {
    let d = app::detail(&page.state, &page.ctx, id, page.lang)
        .await
        .map_err(|e| page.error(e))?;
    let t = page.t();
    let ctx = &page.ctx;
    let is_open = d.task.status == "open";
    let can_manage = ctx.can(Permission::CallbackManage);
    let staff = if can_manage {
        page.state
            .db()
            .list_users()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .filter(|u| u.active != 0)
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let outcomes = if d.task.kind == CallbackKind::Complaint.code() {
        vec![Outcome::Satisfied, Outcome::Dissatisfied]
    } else {
        vec![Outcome::Satisfied, Outcome::Dissatisfied, Outcome::Declined]
    };
    let survey_href = match (&d.task.customer, ctx.can(Permission::SurveySend)) {
        (Some(c), true) => Some(format!(
            "/surveys/answer?{}",
            query_string(&[
                ("customer", &c.id),
                ("ticket", d.ticket_id.as_deref().unwrap_or("")),
                ("callback", &d.task.id),
            ])
        )),
        _ => None,
    };
    Ok(render(&TaskPage {
        survey_href,
        kind_key: format!("callback_kind.{}", d.task.kind),
        is_open,
        can_work: is_open && ctx.can(Permission::CallbackWork),
        can_take: is_open && d.task.assignee.is_none() && ctx.can(Permission::CallbackWork),
        can_manage,
        is_repair: d.task.kind == CallbackKind::RepairVerify.code(),
        outcomes: t.options("callback_result", outcomes.iter().map(|o| o.code())),
        results: t.options(
            "attempt_result",
            AttemptResult::ALL.iter().map(|r| r.code()),
        ),
        genders: t.options("gender", Gender::ALL.iter().map(|g| g.code())),
        staff,
        chrome: page.chrome("callbacks"),
        t,
        d,
        form,
        error,
        me: ctx.user_id.clone(),
    }))
}

async fn task(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    task_page(&page, &id, AttemptForm::default(), None).await
}

async fn attempt(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<AttemptForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    match app::attempt(&page.state, &page.ctx, &id, &f.payload()).await {
        Ok(_) => Ok(Redirect::to(&format!("/callbacks/{id}")).into_response()),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::InvalidField { .. }
            | AppError::Conflict { .. }),
        ) => task_page(&page, &id, f, Some(e.to_string())).await,
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    assignee_id: String,
}

async fn assign(
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let p = AssignPayload {
        assignee_id: some(&f.assignee_id),
    };
    app::assign(&page.state, &page.ctx, &id, &p)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/callbacks/{id}")).into_response())
}
