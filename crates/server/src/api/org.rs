//! The organization over HTTP: departments, positions, staff and assignments.

use super::customers::Created;
use super::{Json, Path};
use crate::app::org::{
    self as app, AssignmentPayload, DepartmentPayload, DepartmentView, PositionPayload,
    PositionView, StaffPayload, StaffView,
};
use crate::app::org_templates::{self, TemplateLoadedView, TemplateView};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(update_department, delete_department))
        .routes(routes!(list_positions, create_position))
        .routes(routes!(update_position, delete_position))
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(update_staff))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        .routes(routes!(list_templates))
        .routes(routes!(load_template))
}

/// The organizations of the handbook as templates: departments, positions, duties with
/// cadences, qualifications, headcounts and ratios, 兼任 rules. `existing` names the
/// template's departments that are already here (loading would be refused).
#[utoipa::path(get, path = "/org/templates", tag = "org", security(("bearer" = ["org.read"])),
    responses((status = 200, body = Vec<TemplateView>)))]
async fn list_templates(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<TemplateView>>, AppError> {
    Ok(Json(org_templates::list(&state, &ctx).await?))
}

/// Load a template into the organization in one transaction. 409 `template_conflict`,
/// and nothing written, when one of its departments already exists.
#[utoipa::path(post, path = "/org/templates/{code}/import", tag = "org", security(("bearer" = ["org.manage"])),
    params(("code" = String, Path)),
    responses((status = 201, body = TemplateLoadedView), (status = 404), (status = 409)))]
async fn load_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<(StatusCode, Json<TemplateLoadedView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(org_templates::load(&state, &ctx, &code).await?),
    ))
}

/// All departments (a tree through `parent_id`).
#[utoipa::path(get, path = "/departments", tag = "org", security(("bearer" = ["org.read"])),
    responses((status = 200, body = Vec<DepartmentView>)))]
async fn list_departments(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<DepartmentView>>, AppError> {
    Ok(Json(app::departments(&state, &ctx).await?))
}

#[utoipa::path(post, path = "/departments", tag = "org", security(("bearer" = ["org.manage"])),
    request_body = DepartmentPayload, responses((status = 201, body = Created), (status = 409), (status = 422)))]
async fn create_department(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<DepartmentPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: app::create_department(&state, &ctx, &p).await?,
        }),
    ))
}

/// Rename or move a department (a move under its own sub-department is refused).
#[utoipa::path(put, path = "/departments/{id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), request_body = DepartmentPayload, responses((status = 204), (status = 422)))]
async fn update_department(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<DepartmentPayload>,
) -> Result<StatusCode, AppError> {
    app::update_department(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an empty department.
#[utoipa::path(delete, path = "/departments/{id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), responses((status = 204), (status = 409)))]
async fn delete_department(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::delete_department(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All positions with duties, qualifications, headcount, permissions and 兼任 rules.
#[utoipa::path(get, path = "/positions", tag = "org", security(("bearer" = ["org.read"])),
    responses((status = 200, body = Vec<PositionView>)))]
async fn list_positions(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<PositionView>>, AppError> {
    Ok(Json(app::positions(&state, &ctx).await?))
}

#[utoipa::path(post, path = "/positions", tag = "org", security(("bearer" = ["org.manage"])),
    request_body = PositionPayload, responses((status = 201, body = Created), (status = 422)))]
async fn create_position(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<PositionPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: app::create_position(&state, &ctx, &p).await?,
        }),
    ))
}

#[utoipa::path(put, path = "/positions/{id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), request_body = PositionPayload, responses((status = 204), (status = 422)))]
async fn update_position(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<PositionPayload>,
) -> Result<StatusCode, AppError> {
    app::update_position(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a position nobody holds.
#[utoipa::path(delete, path = "/positions/{id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), responses((status = 204), (status = 409)))]
async fn delete_position(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    app::delete_position(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All staff with the positions they hold.
#[utoipa::path(get, path = "/staff", tag = "org", security(("bearer" = ["org.read"])),
    responses((status = 200, body = Vec<StaffView>)))]
async fn list_staff(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<StaffView>>, AppError> {
    Ok(Json(app::staff(&state, &ctx).await?))
}

/// Create a staff account (username and password required).
#[utoipa::path(post, path = "/staff", tag = "org", security(("bearer" = ["org.manage"])),
    request_body = StaffPayload, responses((status = 201, body = Created), (status = 409), (status = 422)))]
async fn create_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<StaffPayload>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: app::create_staff(&state, &ctx, &p).await?,
        }),
    ))
}

/// Change a staff member's details, deactivate them, or set a new password.
#[utoipa::path(put, path = "/staff/{id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), request_body = StaffPayload, responses((status = 204), (status = 404)))]
async fn update_staff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<StaffPayload>,
) -> Result<StatusCode, AppError> {
    app::update_staff(&state, &ctx, &id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a staff member a position. Refused with 409 (兼任 rule, headcount limit) or 422
/// (qualification) naming the rule.
#[utoipa::path(post, path = "/staff/{id}/positions", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path)), request_body = AssignmentPayload,
    responses((status = 204), (status = 409), (status = 422)))]
async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(p): Json<AssignmentPayload>,
) -> Result<StatusCode, AppError> {
    app::assign(&state, &ctx, &id, &p.position_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a position away from a staff member.
#[utoipa::path(delete, path = "/staff/{id}/positions/{position_id}", tag = "org", security(("bearer" = ["org.manage"])),
    params(("id" = String, Path), ("position_id" = String, Path)), responses((status = 204), (status = 404)))]
async fn unassign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, position_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    app::unassign(&state, &ctx, &id, &position_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
