//! The organization: departments, positions with their 兼任 rules, staff and who holds
//! which position. Reading needs `org.read`; every change needs `org.manage`.

use crate::auth::{hash_password, Ctx, MIN_PASSWORD_CHARS};
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::org::{Education, Qualifications, StaffProfile};
use kefu_domain::Permission;
use kefu_store::org::{DepartmentInput, PositionInput, PositionRow};
use kefu_store::users::{NewUser, UserRow, UserUpdate};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPayload {
    pub name: String,
    pub parent_id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub sort_order: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionPayload {
    pub department_id: String,
    pub title: String,
    /// 岗位职责: one duty per item.
    #[serde(default)]
    pub duties: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
    /// Permission codes, e.g. `customer.read`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Positions that may not be held together with this one (兼任 rule).
    #[serde(default)]
    pub excluded_with: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionView {
    pub id: String,
    pub department_id: String,
    pub title: String,
    pub duties: Vec<String>,
    #[schema(value_type = Object)]
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
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
    Ok(state
        .db()
        .create_department(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

pub async fn update_department(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &DepartmentPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = department_input(p)?;
    Ok(state
        .db()
        .update_department(&ctx.actor(), state.clock().now(), id, &input)
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
    let duties: Vec<String> = p
        .duties
        .iter()
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    if duties.len() > 100 || duties.iter().any(|d| d.chars().count() > 500) {
        return Err(AppError::invalid(
            "invalid_duties",
            "at most 100 duties of at most 500 characters",
        ));
    }
    Ok(PositionInput {
        department_id: p.department_id.clone(),
        title: title.to_string(),
        duties,
        qualifications: p.qualifications.clone(),
        headcount_limit: p.headcount_limit,
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
    Ok(state
        .db()
        .create_position(&ctx.actor(), state.clock().now(), &input)
        .await?)
}

pub async fn update_position(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &PositionPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::OrgManage)?;
    let input = position_input(p)?;
    Ok(state
        .db()
        .update_position(&ctx.actor(), state.clock().now(), id, &input)
        .await?)
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
    Ok(state
        .db()
        .assign_position(&ctx.actor(), state.clock().now(), user_id, position_id)
        .await?)
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
