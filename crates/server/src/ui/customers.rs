//! Customer pages: list with filters, detail with masked personal data and reveal,
//! create and edit.

use super::{query_string, render, Chrome, Page, UiError};
use crate::app::customers::ListParams;
use crate::app::customers::{
    self as app, summary_of, view_of, ContactPayload, CustomerPayload, CustomerView, RevealRequest,
};
use crate::app::page_limit;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::customer::{ContactKind, CustomerStatus, Gender};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/new", get(new_form))
        .route("/customers/{id}", get(detail))
        .route("/customers/{id}/edit", get(edit_form).post(update))
        .route("/customers/{id}/reveal", post(reveal))
}

pub struct Row {
    id: String,
    name: String,
    company: Option<String>,
    phone: Option<String>,
    tier: String,
    status_key: String,
    owner: Option<String>,
    tags: Vec<String>,
    created_at: String,
}

#[derive(Template)]
#[template(path = "customers_list.html")]
struct ListPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    items: Vec<Row>,
    next_cursor: Option<String>,
    cursor: String,
    q: String,
    f_tier: String,
    f_status: String,
    f_tag: String,
    f_owner: String,
    my_id: String,
    owners: Vec<(String, String)>,
    tiers: Vec<String>,
    statuses: Vec<(String, String)>,
    filter_query: String,
    can_write: bool,
    can_export: bool,
    can_assign: bool,
}

fn statuses(t: &Tr<'_>) -> Vec<(String, String)> {
    t.options("status", CustomerStatus::ALL.iter().map(|s| s.code()))
}

async fn tiers(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(state
        .db()
        .list_tiers()
        .await?
        .into_iter()
        .map(|t| t.code)
        .collect())
}

async fn list(page: Page, Query(p): Query<ListParams>) -> Result<Response, UiError> {
    let filter = p.filter();
    let result = app::list(
        &page.state,
        &page.ctx,
        &filter,
        p.cursor.as_deref(),
        page_limit(p.limit),
    )
    .await;
    let rows = result.map_err(|e| page.error(e))?;
    let t = page.t();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let items = rows
        .items
        .iter()
        .map(summary_of)
        .map(|c| Row {
            status_key: format!("status.{}", c.status),
            owner: c.owner.map(|o| o.name),
            created_at: c.created_at.get(..10).unwrap_or_default().to_string(),
            id: c.id,
            name: c.name,
            company: c.company,
            phone: c.phone,
            tier: c.tier,
            tags: c.tags,
        })
        .collect();
    let filter_query = query_string(&[
        ("q", &s(&filter.q)),
        ("tier", &s(&filter.tier)),
        ("status", &s(&filter.status)),
        ("tag", &s(&filter.tag)),
        ("owner_id", &s(&filter.owner_id)),
    ]);
    let list = ListPage {
        chrome: page.chrome("customers"),
        items,
        next_cursor: rows.next_cursor,
        cursor: s(&p.cursor),
        q: s(&filter.q),
        f_tier: s(&filter.tier),
        f_status: s(&filter.status),
        f_tag: s(&filter.tag),
        f_owner: s(&filter.owner_id),
        my_id: page.ctx.user_id.clone(),
        owners: page
            .state
            .db()
            .list_users()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .filter(|u| u.is_active())
            .map(|u| (u.id, u.display_name))
            .collect(),
        tiers: tiers(&page.state).await.map_err(|e| page.error(e))?,
        statuses: statuses(&t),
        filter_query,
        can_write: page.ctx.can(Permission::CustomerWrite),
        can_export: page.ctx.can(Permission::CustomerExport),
        can_assign: page.ctx.can(Permission::CustomerAssign),
        t,
    };
    Ok(render(&list))
}

pub struct ContactLine {
    id: String,
    kind_key: String,
    value: String,
    label: Option<String>,
}

pub struct EventLine {
    at: String,
    kind: String,
    kind_key: String,
    summary: String,
    actor: Option<String>,
}

#[derive(Template)]
#[template(path = "customer_detail.html")]
struct DetailPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    c: DetailView,
    status_key: String,
    gender_key: String,
    timeline: Vec<EventLine>,
    revealed: Option<String>,
    can_write: bool,
    can_reveal: bool,
    /// May send a survey link or record a survey on a callback.
    can_survey: bool,
    contact_tasks: Vec<super::assignment::CustomerTaskLine>,
}

struct DetailView {
    id: String,
    name: String,
    company: Option<String>,
    tier: String,
    owner: Option<crate::app::customers::OwnerView>,
    id_number: Option<String>,
    address: Option<String>,
    notes: Option<String>,
    tags: Vec<String>,
    created_at: String,
    contacts: Vec<ContactLine>,
}

async fn render_detail(
    page: &Page,
    id: &str,
    revealed: Option<String>,
) -> Result<Response, UiError> {
    let row = app::view(&page.state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let v: CustomerView = view_of(&row);
    let timeline = app::timeline(&page.state, &page.ctx, id)
        .await
        .map_err(|e| page.error(e))?;
    let detail = DetailPage {
        t: page.t(),
        chrome: page.chrome("customers"),
        status_key: format!("status.{}", v.status),
        gender_key: format!("gender.{}", v.gender),
        timeline: timeline
            .into_iter()
            .map(|e| EventLine {
                at: e.at.get(..16).unwrap_or_default().replace('T', " "),
                kind_key: format!("event.{}", e.kind),
                kind: e.kind,
                summary: e.summary,
                actor: e.actor,
            })
            .collect(),
        c: DetailView {
            contacts: v
                .contacts
                .into_iter()
                .map(|c| ContactLine {
                    id: c.id,
                    kind_key: format!("contact.{}", c.kind),
                    value: c.value,
                    label: c.label,
                })
                .collect(),
            id: v.id,
            name: v.name,
            company: v.company,
            tier: v.tier,
            owner: v.owner,
            id_number: v.id_number,
            address: v.address,
            notes: v.notes,
            tags: v.tags,
            created_at: v.created_at.get(..16).unwrap_or_default().replace('T', " "),
        },
        revealed,
        can_write: page.ctx.can(Permission::CustomerWrite),
        can_reveal: page.ctx.can(Permission::CustomerPiiRead),
        can_survey: page.ctx.can(Permission::SurveySend),
        contact_tasks: super::assignment::customer_task_lines(page, id).await?,
    };
    Ok(render(&detail))
}

async fn detail(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    render_detail(&page, &id, None).await
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    field: String,
    contact_id: Option<String>,
}

async fn reveal(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let req = RevealRequest {
        field: form.field,
        contact_id: form.contact_id,
    };
    let shown = app::reveal(&page.state, &page.ctx, &id, &req)
        .await
        .map_err(|e| page.error(e))?;
    render_detail(&page, &id, Some(shown.value)).await
}

pub struct ContactEdit {
    id: String,
    kind: String,
    value: String,
    placeholder: String,
    label: String,
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct FormPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    is_new: bool,
    action: String,
    cancel: String,
    error: Option<String>,
    name: String,
    company: String,
    gender: String,
    tier: String,
    status: String,
    owner_id: String,
    tags: String,
    notes: String,
    id_number_placeholder: String,
    address_placeholder: String,
    contacts: Vec<ContactEdit>,
    genders: Vec<(String, String)>,
    tiers: Vec<String>,
    statuses: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    contact_kinds: Vec<(String, String)>,
}

/// The values a customer form posts. Contacts come as parallel lists, one entry per row.
#[derive(Deserialize, Default)]
struct CustomerForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    company: String,
    gender: String,
    tier: String,
    status: String,
    owner_id: String,
    tags: String,
    notes: String,
    id_number: String,
    address: String,
    #[serde(default)]
    contact_id: Vec<String>,
    #[serde(default)]
    contact_kind: Vec<String>,
    #[serde(default)]
    contact_value: Vec<String>,
    #[serde(default)]
    contact_label: Vec<String>,
    /// Ids of existing contacts to remove.
    #[serde(default)]
    contact_delete: Vec<String>,
}

impl CustomerForm {
    fn payload(&self) -> CustomerPayload {
        let keep_if_blank = |v: &str| (!v.trim().is_empty()).then(|| v.to_string());
        let mut contacts = Vec::new();
        for (i, kind) in self.contact_kind.iter().enumerate() {
            let id = self.contact_id.get(i).filter(|s| !s.is_empty()).cloned();
            if id
                .as_ref()
                .is_some_and(|id| self.contact_delete.contains(id))
            {
                continue;
            }
            let value = self.contact_value.get(i).cloned().unwrap_or_default();
            // An empty new row is no contact; an empty existing row keeps its value.
            if id.is_none() && value.trim().is_empty() {
                continue;
            }
            contacts.push(ContactPayload {
                id,
                kind: kind.clone(),
                value: keep_if_blank(&value),
                label: self.contact_label.get(i).cloned(),
            });
        }
        CustomerPayload {
            name: Some(self.name.clone()),
            company: Some(self.company.clone()),
            gender: Some(self.gender.clone()),
            tier: Some(self.tier.clone()),
            status: Some(self.status.clone()),
            owner_id: Some(self.owner_id.clone()),
            id_number: keep_if_blank(&self.id_number),
            address: keep_if_blank(&self.address),
            notes: Some(self.notes.clone()),
            contacts: Some(contacts),
            tags: Some(self.tags.split([',', '，']).map(str::to_string).collect()),
        }
    }
}

async fn form_page(
    page: &Page,
    id: Option<&str>,
    form: CustomerForm,
    contacts: Vec<ContactEdit>,
    masks: (String, String),
    error: Option<String>,
) -> Result<Response, UiError> {
    let t = page.t();
    let owners = page
        .state
        .db()
        .list_users()
        .await
        .map_err(|e| page.error(e.into()))?;
    let with_blanks = contacts
        .into_iter()
        .chain((0..2).map(|_| ContactEdit {
            id: String::new(),
            kind: "mobile".into(),
            value: String::new(),
            placeholder: String::new(),
            label: String::new(),
        }))
        .collect();
    let body = FormPage {
        chrome: page.chrome("customers"),
        is_new: id.is_none(),
        action: id
            .map(|i| format!("/customers/{i}/edit"))
            .unwrap_or_else(|| "/customers".into()),
        cancel: id
            .map(|i| format!("/customers/{i}"))
            .unwrap_or_else(|| "/customers".into()),
        error,
        name: form.name,
        company: form.company,
        gender: form.gender,
        tier: if form.tier.is_empty() {
            "C".into()
        } else {
            form.tier
        },
        status: form.status,
        owner_id: form.owner_id,
        tags: form.tags,
        notes: form.notes,
        id_number_placeholder: masks.0,
        address_placeholder: masks.1,
        contacts: with_blanks,
        genders: t.options("gender", Gender::ALL.iter().map(|g| g.code())),
        tiers: tiers(&page.state).await.map_err(|e| page.error(e))?,
        statuses: statuses(&t),
        owners: owners
            .into_iter()
            .filter(|u| u.is_active())
            .map(|u| (u.id, u.display_name))
            .collect(),
        contact_kinds: t.options("contact", ContactKind::ALL.iter().map(|k| k.code())),
        t,
    };
    Ok(render(&body))
}

async fn new_form(page: Page) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CustomerWrite)
        .map_err(|e| page.error(e))?;
    form_page(
        &page,
        None,
        CustomerForm::default(),
        Vec::new(),
        (String::new(), String::new()),
        None,
    )
    .await
}

fn contacts_from(form: &CustomerForm) -> Vec<ContactEdit> {
    form.contact_kind
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            form.contact_id.get(*i).is_some_and(|s| !s.is_empty())
                || form
                    .contact_value
                    .get(*i)
                    .is_some_and(|s| !s.trim().is_empty())
        })
        .map(|(i, kind)| ContactEdit {
            id: form.contact_id.get(i).cloned().unwrap_or_default(),
            kind: kind.clone(),
            value: form.contact_value.get(i).cloned().unwrap_or_default(),
            placeholder: String::new(),
            label: form.contact_label.get(i).cloned().unwrap_or_default(),
        })
        .collect()
}

async fn create(page: Page, Form(form): Form<CustomerForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::create(&page.state, &page.ctx, &form.payload()).await {
        Ok(id) => Ok(Redirect::to(&format!("/customers/{id}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let contacts = contacts_from(&form);
            form_page(
                &page,
                None,
                form,
                contacts,
                (String::new(), String::new()),
                Some(e.to_string()),
            )
            .await
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn edit_form(page: Page, Path(id): Path<String>) -> Result<Response, UiError> {
    page.ctx
        .require(Permission::CustomerWrite)
        .map_err(|e| page.error(e))?;
    let row = page
        .state
        .db()
        .get_customer(&id)
        .await
        .map_err(|e| page.error(e.into()))?;
    let v = view_of(&row);
    let form = CustomerForm {
        name: v.name,
        company: v.company.unwrap_or_default(),
        gender: v.gender,
        tier: v.tier,
        status: v.status,
        owner_id: v.owner.map(|o| o.id).unwrap_or_default(),
        tags: v.tags.join(", "),
        notes: v.notes.unwrap_or_default(),
        ..Default::default()
    };
    let contacts = v
        .contacts
        .into_iter()
        .map(|c| ContactEdit {
            id: c.id,
            kind: c.kind,
            value: String::new(),
            placeholder: c.value,
            label: c.label.unwrap_or_default(),
        })
        .collect();
    form_page(
        &page,
        Some(&id),
        form,
        contacts,
        (
            v.id_number.unwrap_or_default(),
            v.address.unwrap_or_default(),
        ),
        None,
    )
    .await
}

async fn update(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CustomerForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    match app::update(&page.state, &page.ctx, &id, &form.payload()).await {
        Ok(()) => Ok(Redirect::to(&format!("/customers/{id}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let contacts = contacts_from(&form);
            form_page(
                &page,
                Some(&id),
                form,
                contacts,
                (String::new(), String::new()),
                Some(e.to_string()),
            )
            .await
        }
        Err(e) => Err(page.error(e)),
    }
}
