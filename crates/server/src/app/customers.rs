//! Customers: validated writes, masked reads, audited views and reveals.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::audit::AuditAction;
use kefu_domain::customer::{
    check_distinct_contacts, parse_name, parse_optional_id_number, parse_optional_text, parse_tags,
    ContactKind, ContactValue, CustomerStatus, Gender, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};
use kefu_domain::id_number::mask_id_number;
use kefu_domain::phone::mask_phone;
use kefu_domain::Permission;
use kefu_store::audit::NewAuditEntry;
use kefu_store::customers::{
    ContactInput, ContactRow, CustomerFilter, CustomerInput, CustomerRow, CustomerSummaryRow,
};
use kefu_store::Page;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;

/// A contact as sent by a client. For an existing contact, send its `id`; leaving out
/// `value` keeps the stored value (people without the right to see it only saw it masked).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPayload {
    pub id: Option<String>,
    /// mobile, landline, email or im
    pub kind: String,
    pub value: Option<String>,
    pub label: Option<String>,
}

/// Create or change a customer. On change, absent fields stay as they are and an empty
/// string clears an optional field; `contacts` and `tags`, when present, replace the lists.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPayload {
    pub name: Option<String>,
    pub company: Option<String>,
    /// male, female or unknown
    pub gender: Option<String>,
    /// A configured tier code (default VIP, A, B, C)
    pub tier: Option<String>,
    /// prospect, registered, verified, active or lost
    pub status: Option<String>,
    pub owner_id: Option<String>,
    pub id_number: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub contacts: Option<Vec<ContactPayload>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub kind: String,
    /// Masked (`138****5678`) unless revealed.
    pub value: String,
    pub masked: bool,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerView {
    pub id: String,
    pub name: String,
}

/// A customer as the API and the pages show it: personal data masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub company: Option<String>,
    pub gender: String,
    pub tier: String,
    pub status: String,
    pub owner: Option<OwnerView>,
    /// Masked; reveal with `POST /api/v1/customers/{id}/reveal`.
    pub id_number: Option<String>,
    /// Masked; reveal with `POST /api/v1/customers/{id}/reveal`.
    pub address: Option<String>,
    pub notes: Option<String>,
    pub contacts: Vec<ContactView>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: String,
    pub name: String,
    pub company: Option<String>,
    pub tier: String,
    pub status: String,
    pub owner: Option<OwnerView>,
    /// The first phone, masked.
    pub phone: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<CustomerSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub at: String,
    pub kind: String,
    pub summary: String,
    pub actor: Option<String>,
}

/// Which piece of personal data to reveal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// `contact`, `id_number` or `address`
    pub field: String,
    /// For `contact`: which contact.
    pub contact_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevealResponse {
    pub field: String,
    pub value: String,
}

/// Masks a contact value for display.
pub fn mask_contact(kind: &str, value: &str) -> String {
    match kind {
        "mobile" | "landline" => mask_phone(value),
        "email" => match value.split_once('@') {
            Some((local, domain)) => {
                let head: String = local.chars().take(2).collect();
                format!("{head}***@{domain}")
            }
            None => "***".into(),
        },
        _ => {
            let head: String = value.chars().take(2).collect();
            format!("{head}***")
        }
    }
}

/// Keeps the beginning of an address (province, city) and hides the rest.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    format!("{head}****")
}

pub fn view_of(row: &CustomerRow) -> CustomerView {
    let c = &row.core;
    CustomerView {
        id: c.id.clone(),
        name: c.name.clone(),
        company: c.company.clone(),
        gender: c.gender.clone(),
        tier: c.tier.clone(),
        status: c.status.clone(),
        owner: owner(&c.owner_id, &c.owner_name),
        id_number: c.id_number.as_deref().map(mask_id_number),
        address: c.address.as_deref().map(mask_address),
        notes: c.notes.clone(),
        contacts: row.contacts.iter().map(contact_view).collect(),
        tags: row.tags.clone(),
        created_at: super::rfc3339(c.created_at),
        updated_at: super::rfc3339(c.updated_at),
    }
}

fn contact_view(c: &ContactRow) -> ContactView {
    ContactView {
        id: c.id.clone(),
        kind: c.kind.clone(),
        value: mask_contact(&c.kind, &c.value),
        masked: true,
        label: c.label.clone(),
    }
}

fn owner(id: &Option<String>, name: &Option<String>) -> Option<OwnerView> {
    id.as_ref().map(|id| OwnerView {
        id: id.clone(),
        name: name.clone().unwrap_or_default(),
    })
}

pub fn summary_of(r: &CustomerSummaryRow) -> CustomerSummary {
    CustomerSummary {
        id: r.id.clone(),
        name: r.name.clone(),
        company: r.company.clone(),
        tier: r.tier.clone(),
        status: r.status.clone(),
        owner: owner(&r.owner_id, &r.owner_name),
        phone: r.primary_phone.as_deref().map(mask_phone),
        tags: r.tags.clone(),
        created_at: super::rfc3339(r.created_at),
    }
}

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    filter: &CustomerFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<CustomerSummaryRow>, AppError> {
    ctx.require(Permission::CustomerRead)?;
    if let Some(q) = &filter.q {
        if q.chars().count() > 100 {
            return Err(AppError::invalid(
                "query_too_long",
                "search text is longer than 100 characters",
            ));
        }
    }
    Ok(state.db().list_customers(filter, cursor, limit).await?)
}

/// Reads one customer for display and records the view in the audit log.
pub async fn view(state: &AppState, ctx: &Ctx, id: &str) -> Result<CustomerRow, AppError> {
    ctx.require(Permission::CustomerRead)?;
    let row = state.db().get_customer(id).await.map_err(not_found)?;
    let entry = NewAuditEntry::new(AuditAction::CustomerViewed).subject("customer", id);
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(row)
}

pub async fn timeline(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<Vec<TimelineEvent>, AppError> {
    ctx.require(Permission::CustomerRead)?;
    let events = state.db().list_customer_events(id, 200).await?;
    Ok(events
        .into_iter()
        .map(|e| TimelineEvent {
            at: super::rfc3339(e.at),
            kind: e.kind,
            summary: e.summary,
            actor: e.actor_name,
        })
        .collect())
}

/// Shows one piece of personal data in the clear: needs `customer.pii.read`, and is
/// audited with the field revealed.
pub async fn reveal(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    req: &RevealRequest,
) -> Result<RevealResponse, AppError> {
    ctx.require(Permission::CustomerPiiRead)?;
    let row = state.db().get_customer(id).await.map_err(not_found)?;
    let (value, what) = match req.field.as_str() {
        "contact" => {
            let contact_id = req.contact_id.as_deref().ok_or_else(|| {
                AppError::invalid(
                    "missing_contact_id",
                    "contact_id is required for field contact",
                )
            })?;
            let c = row
                .contacts
                .iter()
                .find(|c| c.id == contact_id)
                .ok_or(AppError::NotFound("contact"))?;
            (c.value.clone(), format!("contact:{}:{}", c.kind, c.id))
        }
        "id_number" => (
            row.core
                .id_number
                .clone()
                .ok_or(AppError::NotFound("id_number"))?,
            "id_number".into(),
        ),
        "address" => (
            row.core
                .address
                .clone()
                .ok_or(AppError::NotFound("address"))?,
            "address".into(),
        ),
        other => {
            return Err(AppError::invalid(
                "unknown_field",
                format!("cannot reveal {other:?}; use contact, id_number or address"),
            ))
        }
    };
    let entry = NewAuditEntry::new(AuditAction::CustomerPiiRevealed)
        .subject("customer", id)
        .detail(what);
    state
        .db()
        .append_audit(&ctx.actor(), state.clock().now(), &entry)
        .await?;
    Ok(RevealResponse {
        field: req.field.clone(),
        value,
    })
}

pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    payload: &CustomerPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::CustomerWrite)?;
    let input = merge(None, payload)?;
    Ok(state
        .db()
        .create_customer(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    payload: &CustomerPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::CustomerWrite)?;
    let current = state.db().get_customer(id).await.map_err(not_found)?;
    let input = merge(Some(&current), payload)?;
    state
        .db()
        .update_customer(&ctx.actor(), state.clock().now(), id, &input)
        .await?;
    Ok(())
}

fn not_found(e: kefu_store::StoreError) -> AppError {
    AppError::store_missing("customer")(e)
}

/// Applies a payload to the current record (or to an empty one for a create) and
/// validates the result.
pub fn merge(
    current: Option<&CustomerRow>,
    p: &CustomerPayload,
) -> Result<CustomerInput, AppError> {
    let cur = current.map(|c| &c.core);
    let name = match (&p.name, cur) {
        (Some(n), _) => parse_name(n)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => parse_name("")?,
    };
    let text =
        |field: &'static str, new: &Option<String>, old: Option<&String>, max: usize| match new {
            Some(v) => parse_optional_text(field, Some(v), max),
            None => Ok(old.cloned()),
        };
    let company = text(
        "company",
        &p.company,
        cur.and_then(|c| c.company.as_ref()),
        MAX_NAME_CHARS,
    )?;
    let address = text(
        "address",
        &p.address,
        cur.and_then(|c| c.address.as_ref()),
        MAX_TEXT_CHARS,
    )?;
    let notes = text(
        "notes",
        &p.notes,
        cur.and_then(|c| c.notes.as_ref()),
        MAX_TEXT_CHARS,
    )?;
    let id_number = match &p.id_number {
        Some(v) => parse_optional_id_number(Some(v))?,
        None => cur.and_then(|c| c.id_number.clone()),
    };
    let gender = match (&p.gender, cur) {
        (Some(g), _) => Gender::from_code(g)
            .ok_or_else(|| AppError::invalid("invalid_gender", format!("unknown gender {g:?}")))?,
        (None, Some(c)) => Gender::from_code(&c.gender).unwrap_or(Gender::Unknown),
        (None, None) => Gender::Unknown,
    };
    let status = match (&p.status, cur) {
        (Some(s), _) => CustomerStatus::from_code(s)
            .ok_or_else(|| AppError::invalid("invalid_status", format!("unknown status {s:?}")))?,
        (None, Some(c)) => CustomerStatus::from_code(&c.status).unwrap_or(CustomerStatus::Prospect),
        (None, None) => CustomerStatus::Prospect,
    };
    let tier = match (&p.tier, cur) {
        (Some(t), _) => t.trim().to_string(),
        (None, Some(c)) => c.tier.clone(),
        (None, None) => "C".to_string(),
    };
    let owner_id = match &p.owner_id {
        Some(o) if o.trim().is_empty() => None,
        Some(o) => Some(o.trim().to_string()),
        None => cur.and_then(|c| c.owner_id.clone()),
    };
    let contacts = match &p.contacts {
        Some(list) => merge_contacts(current.map(|c| c.contacts.as_slice()).unwrap_or(&[]), list)?,
        None => current
            .map(|c| {
                c.contacts
                    .iter()
                    .filter_map(|ct| {
                        Some(ContactInput {
                            kind: ContactKind::from_code(&ct.kind)?,
                            value: ct.value.clone(),
                            label: ct.label.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let tags = match &p.tags {
        Some(t) => parse_tags(t)?,
        None => current.map(|c| c.tags.clone()).unwrap_or_default(),
    };
    Ok(CustomerInput {
        name,
        company,
        gender,
        tier,
        status,
        owner_id,
        id_number,
        address,
        notes,
        contacts,
        tags,
    })
}

fn merge_contacts(
    existing: &[ContactRow],
    list: &[ContactPayload],
) -> Result<Vec<ContactInput>, AppError> {
    let mut out = Vec::with_capacity(list.len());
    let mut values = Vec::with_capacity(list.len());
    for c in list {
        let kind = ContactKind::from_code(&c.kind).ok_or_else(|| {
            AppError::invalid(
                "invalid_contact_kind",
                format!("unknown contact kind {:?}", c.kind),
            )
        })?;
        let kept =
            c.id.as_deref()
                .and_then(|id| existing.iter().find(|e| e.id == id));
        let value = match (&c.value, kept) {
            (Some(v), Some(old))
                if v.trim().is_empty() || *v == mask_contact(&old.kind, &old.value) =>
            {
                old.value.clone()
            }
            (Some(v), _) => ContactValue::parse(kind, v)?.value,
            (None, Some(old)) => old.value.clone(),
            (None, None) => {
                return Err(AppError::invalid(
                    "missing_contact_value",
                    "a new contact needs a value",
                ))
            }
        };
        let label = parse_optional_text("label", c.label.as_deref(), 30)?;
        values.push(ContactValue {
            kind,
            value: value.clone(),
        });
        out.push(ContactInput { kind, value, label });
    }
    check_distinct_contacts(&values)?;
    Ok(out)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub tier: Option<String>,
    pub status: Option<String>,
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    /// Name, company, phone number or its last digits.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    /// For export: xlsx (default) or csv.
    pub format: Option<String>,
}

impl ListParams {
    pub fn filter(&self) -> CustomerFilter {
        let clean = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        CustomerFilter {
            tier: clean(&self.tier),
            status: clean(&self.status),
            owner_id: clean(&self.owner_id),
            tag: clean(&self.tag),
            q: clean(&self.q),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierView {
    pub code: String,
    pub name: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierPayload {
    pub name: String,
    #[serde(default)]
    pub sort_order: i64,
}

pub async fn tiers(state: &AppState, ctx: &Ctx) -> Result<Vec<TierView>, AppError> {
    ctx.require(Permission::CustomerRead)?;
    Ok(state
        .db()
        .list_tiers()
        .await?
        .into_iter()
        .map(|t| TierView {
            code: t.code,
            name: t.name,
            sort_order: t.sort_order,
        })
        .collect())
}

/// Adds or renames a customer tier (客户等级). Codes are short (`VIP`, `A`, `S1`): letters
/// and digits, because import files and filters use them.
pub async fn save_tier(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    p: &TierPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    let code = code.trim().to_uppercase();
    if code.is_empty() || code.len() > 10 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::invalid(
            "invalid_tier_code",
            "a tier code is 1 to 10 letters or digits",
        ));
    }
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::invalid(
            "invalid_tier_name",
            "a tier name is 1 to 30 characters",
        ));
    }
    let row = kefu_store::customers::TierRow {
        code,
        name: name.to_string(),
        sort_order: p.sort_order,
    };
    Ok(state
        .db()
        .save_tier(&ctx.actor(), state.clock().now(), &row)
        .await?)
}
