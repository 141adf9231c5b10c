//! The organization: departments, positions with their 兼任 rules, staff and who holds
//! which position. Reading needs `org.read`; every change needs `org.manage`.

use crate::auth::{hash_password, Ctx, MIN_PASSWORD_CHARS};
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::org::{Duty, Education, HeadcountRatio, Qualifications, Quantities, StaffProfile};
use kefu_domain::Permission;
use kefu_store::org::{DepartmentInput, PositionInput, PositionRow};
use kefu_store::users::{NewUser, UserRow, UserUpdate};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A duty (岗位职责) as the API reads and writes it. A plain string is also accepted
/// and means a duty without cadence.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the JSON shape of kefu_domain::org::Duty
pub struct DutySchema {
    /// 1 to 500 characters.
    text: String,
    cadence: Option<CadenceSchema>,
}

/// How often a duty recurs.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the JSON shape of kefu_domain::org::Cadence
pub struct CadenceSchema {
    /// daily, weekly (needs `weekday`), monthly (needs `day`), before_shift or after_shift
    every: String,
    /// mon, tue, wed, thu, fri, sat or sun
    weekday: Option<String>,
    /// 1 to 31; a month without that day falls due on its last day
    day: Option<u8>,
}

/// A headcount that follows a counted quantity (document 6: 1 per 50 vehicles).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the JSON shape of kefu_domain::org::HeadcountRatio
pub struct RatioSchema {
    /// Holders per block (default 1).
    holders: Option<u32>,
    /// Units of the quantity per block (at least 1).
    per: u32,
    /// The quantity's name as departments record it, e.g. 营运车辆.
    quantity: String,
    /// ceil (a started block counts, the default) or floor
    rounding: Option<String>,
    /// Never fewer than this many (default 0).
    at_least: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPayload {
    pub name: String,
    pub parent_id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub sort_order: i64,
    /// What the department counts and manages, e.g. `{"营运车辆": 120}`; headcount ratios
    /// of its positions follow it. Left unchanged when absent.
    #[schema(value_type = Option<BTreeMap<String, u64>>)]
    pub quantities: Option<Quantities>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
    #[schema(value_type = BTreeMap<String, u64>)]
    pub quantities: Quantities,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionPayload {
    pub department_id: String,
    pub title: String,
    /// 岗位职责: one duty per item, each with an optional cadence; blank items are
    /// dropped.
    #[serde(default, deserialize_with = "duties_skipping_blanks")]
    #[schema(value_type = Vec<DutySchema>)]
    pub duties: Vec<Duty>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
    /// Headcount by ratio of a quantity the department (or a parent) records.
    #[serde(default)]
    #[schema(value_type = Option<RatioSchema>)]
    pub headcount_ratio: Option<HeadcountRatio>,
    /// Permission codes, e.g. `customer.read`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Positions that may not be held together with this one (兼任 rule).
    #[serde(default)]
    pub excluded_with: Vec<String>,
}

/// Reads the duties of a payload, dropping blank strings (an empty line of a form) and
/// naming the item a bad duty was found at.
fn duties_skipping_blanks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Duty>, D::Error> {
    let items: Vec<serde_json::Value> = Deserialize::deserialize(d)?;
    let mut duties = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if item.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        let duty = serde_json::from_value(item)
            .map_err(|e| serde::de::Error::custom(format!("duty {}: {e}", i + 1)))?;
        duties.push(duty);
    }
    Ok(duties)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionView {
    pub id: String,
    pub department_id: String,
    pub title: String,
    #[schema(value_type = Vec<DutySchema>)]
    pub duties: Vec<Duty>,
    #[schema(value_type = Object)]
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
    #[schema(value_type = Option<RatioSchema>)]
    pub headcount_ratio: Option<HeadcountRatio>,
    pub holders: i64,
    pub permissions: Vec<String>,
    pub excluded_with: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPayload {
    pub username: Option<String>,
    pub display_name: String,
    /// 工号
    pub agent_no: Option<String>,
    /// Required when creating; at least 8 characters.
    pub password: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// high_school, associate, bachelor, master or doctorate
    pub education: Option<String>,
    #[serde(default)]
    pub years_experience: u32,
    #[serde(default)]
    pub certificates: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub agent_no: Option<String>,
    pub active: bool,
    pub education: Option<String>,
    pub years_experience: i64,
    pub certificates: Vec<String>,
    pub position_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentPayload {
    pub position_id: String,
}

pub async fn departments(state: &AppState, ctx: &Ctx) -> Result<Vec<DepartmentView>, AppError> {
    ctx.require(Permission::OrgRead)?;
    Ok(state
        .db()
        .list_departments()
        .await?
        .into_iter()
        .map(|d| DepartmentView {
            quantities: d.quantities(),
            id: d.id,
            parent_id: d.parent_id,
            name: d.name,
            description: d.description,
            sort_order: d.sort_order,
        })
        .collect())
}

fn department_input(p: &DepartmentPayload) -> Result<DepartmentInput, AppError> {
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid(
            "invalid_name",
            "department name must be 1 to 60 characters",
        ));
    }
    Ok(DepartmentInput {
        parent_id: p.parent_id.clone().filter(|s| !s.trim().is_empty()),
        name: name.to_string(),
        description: p.description.clone().filter(|s| !s.trim().is_empty()),
        sort_order: p.sort_order,
    })
}

pub async fn create_department(
    state: &AppState,
    ctx: &Ctx,
    p: &DepartmentPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = department_input(p)?;
    let id = state
        .db()
        .create_department(&ctx.actor(), state.clock().now(), &input)
        .await?;
    if let Some(q) = p.quantities.as_ref().filter(|q| !q.is_empty()) {
        state
            .db()
            .set_department_quantities(&ctx.actor(), state.clock().now(), &id, q)
            .await?;
    }
    Ok(id)
}

pub async fn update_department(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &DepartmentPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = department_input(p)?;
    state
        .db()
        .update_department(&ctx.actor(), state.clock().now(), id, &input)
        .await?;
    if let Some(q) = &p.quantities {
        state
            .db()
            .set_department_quantities(&ctx.actor(), state.clock().now(), id, q)
            .await?;
    }
    Ok(())
}

/// Records only what a department counts (the org page's quantity field).
pub async fn set_department_quantities(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    quantities: &Quantities,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    Ok(state
        .db()
        .set_department_quantities(&ctx.actor(), state.clock().now(), id, quantities)
        .await?)
}

pub async fn delete_department(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    Ok(state
        .db()
        .delete_department(&ctx.actor(), state.clock().now(), id)
        .await?)
}

pub fn position_view(p: PositionRow) -> PositionView {
    PositionView {
        id: p.id,
        department_id: p.department_id,
        title: p.title,
        duties: p.duties,
        qualifications: p.qualifications,
        headcount_limit: p.headcount_limit,
        headcount_ratio: p.headcount_ratio,
        holders: p.holders,
        permissions: p.permissions.iter().map(|p| p.code().to_string()).collect(),
        excluded_with: p.excluded_with,
    }
}

pub async fn positions(state: &AppState, ctx: &Ctx) -> Result<Vec<PositionView>, AppError> {
    ctx.require(Permission::OrgRead)?;
    Ok(state
        .db()
        .list_positions()
        .await?
        .into_iter()
        .map(position_view)
        .collect())
}

fn position_input(p: &PositionPayload) -> Result<PositionInput, AppError> {
    let title = p.title.trim();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(AppError::invalid(
            "invalid_title",
            "position title must be 1 to 60 characters",
        ));
    }
    let mut permissions = Vec::new();
    for code in &p.permissions {
        permissions.push(Permission::from_code(code).ok_or_else(|| {
            AppError::invalid("unknown_permission", format!("unknown permission {code:?}"))
        })?);
    }
    if p.headcount_limit.is_some_and(|n| n < 0) {
        return Err(AppError::invalid(
            "invalid_headcount",
            "headcount limit cannot be negative",
        ));
    }
    // Each duty was checked when it was read (text 1 to 500 characters, a valid cadence).
    let duties = p.duties.clone();
    if duties.len() > 100 {
        return Err(AppError::invalid("invalid_duties", "at most 100 duties"));
    }
    Ok(PositionInput {
        department_id: p.department_id.clone(),
        title: title.to_string(),
        duties,
        qualifications: p.qualifications.clone(),
        headcount_limit: p.headcount_limit,
        headcount_ratio: p.headcount_ratio.clone(),
        permissions,
        excluded_with: p.excluded_with.clone(),
    })
}

pub async fn create_position(
    state: &AppState,
    ctx: &Ctx,
    p: &PositionPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = position_input(p)?;
    let id = state
        .db()
        .create_position(&ctx.actor(), state.clock().now(), &input)
        .await?;
    crate::app::duties::generate_ahead(state).await?;
    Ok(id)
}

pub async fn update_position(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &PositionPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = position_input(p)?;
    state
        .db()
        .update_position(&ctx.actor(), state.clock().now(), id, &input)
        .await?;
    crate::app::duties::generate_ahead(state).await
}

pub async fn delete_position(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    Ok(state
        .db()
        .delete_position(&ctx.actor(), state.clock().now(), id)
        .await?)
}

pub async fn staff(state: &AppState, ctx: &Ctx) -> Result<Vec<StaffView>, AppError> {
    ctx.require(Permission::OrgRead)?;
    let users = state.db().list_users().await?;
    let assignments = state.db().list_assignments().await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let position_ids = assignments
                .iter()
                .filter(|a| a.user_id == u.id)
                .map(|a| a.position_id.clone())
                .collect();
            staff_view(u, position_ids)
        })
        .collect())
}

fn staff_view(u: UserRow, position_ids: Vec<String>) -> StaffView {
    let profile = u.profile();
    StaffView {
        active: u.is_active(),
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        agent_no: u.agent_no,
        education: u.education,
        years_experience: u.years_experience,
        certificates: profile.certificates,
        position_ids,
    }
}

fn profile(p: &StaffPayload) -> Result<StaffProfile, AppError> {
    let education = match p.education.as_deref().filter(|e| !e.is_empty()) {
        Some(code) => Some(Education::from_code(code).ok_or_else(|| {
            AppError::invalid("invalid_education", format!("unknown education {code:?}"))
        })?),
        None => None,
    };
    Ok(StaffProfile {
        education,
        years_experience: p.years_experience,
        certificates: p
            .certificates
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    })
}

fn display_name(p: &StaffPayload) -> Result<String, AppError> {
    let name = p.display_name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(AppError::invalid(
            "invalid_display_name",
            "name must be 1 to 40 characters",
        ));
    }
    Ok(name.to_string())
}

pub async fn create_staff(
    state: &AppState,
    ctx: &Ctx,
    p: &StaffPayload,
) -> Result<String, AppError> {
    ctx.require(Permission::OrgManage)?;
    let username = p
        .username
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_lowercase();
    let valid_username = (2..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid_username {
        return Err(AppError::invalid(
            "invalid_username",
            "username must be 2 to 32 letters, digits, '.', '_' or '-'",
        ));
    }
    let password = p.password.clone().unwrap_or_default();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "weak_password",
            format!("password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let user = NewUser {
        username: username.clone(),
        display_name: display_name(p)?,
        agent_no: p.agent_no.clone().filter(|a| !a.trim().is_empty()),
        password_hash,
        profile: profile(p)?,
    };
    state
        .db()
        .create_user(&ctx.actor(), state.clock().now(), &user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { constraint } if constraint.contains("agent_no") => {
                AppError::conflict("duplicate_agent_no", "this agent number (工号) is taken")
            }
            StoreError::Conflict { .. } => AppError::conflict(
                "duplicate_username",
                format!("username {username} is taken"),
            ),
            e => e.into(),
        })
}

pub async fn update_staff(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &StaffPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    if p.username.is_some() {
        return Err(AppError::invalid(
            "username_immutable",
            "a username cannot be changed",
        ));
    }
    let update = UserUpdate {
        display_name: display_name(p)?,
        agent_no: p.agent_no.clone().filter(|a| !a.trim().is_empty()),
        active: p.active,
        profile: profile(p)?,
    };
    state
        .db()
        .update_user(&ctx.actor(), state.clock().now(), id, &update)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("staff member"),
            StoreError::Conflict { .. } => {
                AppError::conflict("duplicate_agent_no", "this agent number (工号) is taken")
            }
            e => e.into(),
        })?;
    if let Some(password) = p.password.clone().filter(|p| !p.is_empty()) {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AppError::invalid(
                "weak_password",
                format!("password needs at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        state.db().set_password_hash(id, &hash).await?;
    }
    Ok(())
}

pub async fn assign(
    state: &AppState,
    ctx: &Ctx,
    user_id: &str,
    position_id: &str,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    state
        .db()
        .assign_position(&ctx.actor(), state.clock().now(), user_id, position_id)
        .await?;
    crate::app::duties::generate_ahead(state).await
}

pub async fn unassign(
    state: &AppState,
    ctx: &Ctx,
    user_id: &str,
    position_id: &str,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    Ok(state
        .db()
        .unassign_position(&ctx.actor(), state.clock().now(), user_id, position_id)
        .await?)
}
