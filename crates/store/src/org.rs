//! Departments, positions, 兼任 (separation-of-duties) rules and who holds which position.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::{
    check_assignment, would_create_cycle, AssignmentViolation, Duty, HeadcountRatio, HeldPosition,
    PositionFacts, Qualifications, Quantities,
};
use kefu_domain::{DepartmentId, Permission, PositionId};
use std::collections::HashMap;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
    /// JSON object of what the department counts (see [`DepartmentRow::quantities`]).
    pub quantities: String,
}

impl DepartmentRow {
    /// What the department counts and manages (营运车辆: 120), for headcount ratios.
    pub fn quantities(&self) -> Quantities {
        serde_json::from_str(&self.quantities).unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct DepartmentInput {
    pub parent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct PositionDbRow {
    id: String,
    department_id: String,
    title: String,
    duties: String,
    qualifications: String,
    headcount_limit: Option<i64>,
    headcount_ratio: Option<String>,
    permissions: String,
    holders: i64,
}

/// A position with its decoded lists and how many people hold it now.
#[derive(Debug, Clone)]
pub struct PositionRow {
    pub id: String,
    pub department_id: String,
    pub title: String,
    pub duties: Vec<Duty>,
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
    pub headcount_ratio: Option<HeadcountRatio>,
    pub permissions: Vec<Permission>,
    pub holders: i64,
    /// Positions that may not be held together with this one.
    pub excluded_with: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PositionInput {
    pub department_id: String,
    pub title: String,
    pub duties: Vec<Duty>,
    pub qualifications: Qualifications,
    pub headcount_limit: Option<i64>,
    pub headcount_ratio: Option<HeadcountRatio>,
    pub permissions: Vec<Permission>,
    pub excluded_with: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub user_id: String,
    pub position_id: String,
    pub assigned_at: i64,
}

/// Why a change to the organization was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Assignment(#[from] AssignmentViolation),
    #[error("a department cannot be moved under itself or one of its own sub-departments")]
    DepartmentCycle,
    #[error("the department still has sub-departments or positions")]
    DepartmentNotEmpty,
    #[error("the position is still held by {0} people")]
    PositionHeld(i64),
    #[error("unknown {0}")]
    Unknown(&'static str),
    /// Loading a template would duplicate departments that already exist.
    #[error("the organization already has a department named {0}; the template was not loaded")]
    TemplateConflict(String),
}

impl From<sqlx::Error> for OrgError {
    fn from(e: sqlx::Error) -> Self {
        OrgError::Store(e.into())
    }
}

const POSITION_SELECT: &str = "SELECT p.id, p.department_id, p.title, p.duties, p.qualifications, \
    p.headcount_limit, p.headcount_ratio, p.permissions, \
    (SELECT COUNT(*) FROM staff_positions sp WHERE sp.position_id = p.id) AS holders \
    FROM positions p";

impl Db {
    pub async fn list_departments(&self) -> Result<Vec<DepartmentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, parent_id, name, description, sort_order, quantities FROM departments \
             ORDER BY sort_order, name",
        )
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn get_department(&self, id: &str) -> Result<DepartmentRow, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, parent_id, name, description, sort_order, quantities FROM departments \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.read)
        .await?)
    }

    pub async fn create_department(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &DepartmentInput,
    ) -> Result<String, OrgError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        if let Some(parent) = &input.parent_id {
            exists(&mut tx, "departments", parent)
                .await?
                .then_some(())
                .ok_or(OrgError::Unknown("parent department"))?;
        }
        sqlx::query(
            "INSERT INTO departments (id, parent_id, name, description, sort_order, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.description.as_deref())
        .bind(input.sort_order)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let entry = NewAuditEntry::new(AuditAction::DepartmentCreated)
            .subject("department", id.clone())
            .detail(input.name.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_department(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &DepartmentInput,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        if let Some(parent) = &input.parent_id {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT id, parent_id FROM departments")
                    .fetch_all(&mut *tx)
                    .await?;
            let parents: HashMap<DepartmentId, Option<DepartmentId>> = rows
                .into_iter()
                .map(|(id, p)| (DepartmentId(id), p.map(DepartmentId)))
                .collect();
            if !parents.contains_key(&DepartmentId(parent.clone())) {
                return Err(OrgError::Unknown("parent department"));
            }
            if would_create_cycle(
                &DepartmentId(id.into()),
                &DepartmentId(parent.clone()),
                &parents,
            ) {
                return Err(OrgError::DepartmentCycle);
            }
        }
        let done = sqlx::query(
            "UPDATE departments SET parent_id = $1, name = $2, description = $3, sort_order = $4 \
             WHERE id = $5",
        )
        .bind(input.parent_id.as_deref())
        .bind(&input.name)
        .bind(input.description.as_deref())
        .bind(input.sort_order)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::DepartmentUpdated).subject("department", id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_department(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        let (children,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM departments WHERE parent_id = $1) + \
             (SELECT COUNT(*) FROM positions WHERE department_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if children > 0 {
            return Err(OrgError::DepartmentNotEmpty);
        }
        let done = sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::DepartmentDeleted).subject("department", id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records what the department counts (营运车辆: 120); headcount ratios of its
    /// positions and of its sub-departments' positions follow it.
    pub async fn set_department_quantities(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        quantities: &Quantities,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE departments SET quantities = $1 WHERE id = $2")
            .bind(serde_json::to_string(quantities).map_err(StoreError::from)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::DepartmentUpdated)
            .subject("department", id)
            .detail(format!("quantities: {}", quantities.to_text()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_positions(&self) -> Result<Vec<PositionRow>, StoreError> {
        let sql = format!("{POSITION_SELECT} ORDER BY p.department_id, p.title");
        let rows: Vec<PositionDbRow> = sqlx::query_as(&sql).fetch_all(&self.read).await?;
        let exclusions = self.list_exclusions().await?;
        rows.into_iter()
            .map(|r| decode_position(r, &exclusions))
            .collect()
    }

    pub async fn get_position(&self, id: &str) -> Result<PositionRow, StoreError> {
        let sql = format!("{POSITION_SELECT} WHERE p.id = $1");
        let row: PositionDbRow = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        let exclusions = self.list_exclusions().await?;
        decode_position(row, &exclusions)
    }

    async fn list_exclusions(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT position_a, position_b FROM position_exclusions")
                .fetch_all(&self.read)
                .await?,
        )
    }

    pub async fn create_position(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &PositionInput,
    ) -> Result<String, OrgError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        if !exists(&mut tx, "departments", &input.department_id).await? {
            return Err(OrgError::Unknown("department"));
        }
        sqlx::query(
            "INSERT INTO positions (id, department_id, title, duties, qualifications, \
             headcount_limit, permissions, created_at, headcount_ratio) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&input.department_id)
        .bind(&input.title)
        .bind(serde_json::to_string(&input.duties).map_err(StoreError::from)?)
        .bind(serde_json::to_string(&input.qualifications).map_err(StoreError::from)?)
        .bind(input.headcount_limit)
        .bind(permissions_json(&input.permissions)?)
        .bind(to_millis(now))
        .bind(ratio_json(input.headcount_ratio.as_ref())?)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        replace_exclusions(&mut tx, &id, &input.excluded_with).await?;
        let entry = NewAuditEntry::new(AuditAction::PositionCreated)
            .subject("position", id.clone())
            .detail(input.title.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_position(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        input: &PositionInput,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        if !exists(&mut tx, "departments", &input.department_id).await? {
            return Err(OrgError::Unknown("department"));
        }
        let done = sqlx::query(
            "UPDATE positions SET department_id = $1, title = $2, duties = $3, qualifications = $4, \
             headcount_limit = $5, permissions = $6, headcount_ratio = $7 WHERE id = $8",
        )
        .bind(&input.department_id)
        .bind(&input.title)
        .bind(serde_json::to_string(&input.duties).map_err(StoreError::from)?)
        .bind(serde_json::to_string(&input.qualifications).map_err(StoreError::from)?)
        .bind(input.headcount_limit)
        .bind(permissions_json(&input.permissions)?)
        .bind(ratio_json(input.headcount_ratio.as_ref())?)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        replace_exclusions(&mut tx, id, &input.excluded_with).await?;
        let entry = NewAuditEntry::new(AuditAction::PositionUpdated).subject("position", id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_position(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        let (holders,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM staff_positions WHERE position_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if holders > 0 {
            return Err(OrgError::PositionHeld(holders));
        }
        let done = sqlx::query("DELETE FROM positions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::PositionDeleted).subject("position", id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_assignments(&self) -> Result<Vec<AssignmentRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT user_id, position_id, assigned_at FROM staff_positions")
                .fetch_all(&self.read)
                .await?,
        )
    }

    pub async fn positions_of(&self, user_id: &str) -> Result<Vec<AssignmentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT user_id, position_id, assigned_at FROM staff_positions WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Gives `user_id` the position, enforcing the 兼任 rules, the headcount limit and the
    /// qualifications inside one write transaction (the single writer serializes them on
    /// SQLite; on PostgreSQL the position row is locked first).
    pub async fn assign_position(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        position_id: &str,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        crate::backend::lock_row(self.backend(), &mut tx, "positions", position_id).await?;
        let sql = format!("{POSITION_SELECT} WHERE p.id = $1");
        let position: PositionDbRow = sqlx::query_as(&sql)
            .bind(position_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(OrgError::Unknown("position"))?;
        let user: crate::users::UserRow = sqlx::query_as(
            "SELECT id, username, display_name, agent_no, active, education, years_experience, \
             certificates, created_at FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(OrgError::Unknown("staff member"))?;
        let held: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.id, p.title FROM staff_positions sp JOIN positions p ON p.id = sp.position_id \
             WHERE sp.user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        let exclusions: Vec<(String, String)> = sqlx::query_as(
            "SELECT position_a, position_b FROM position_exclusions \
             WHERE position_a = $1 OR position_b = $1",
        )
        .bind(position_id)
        .fetch_all(&mut *tx)
        .await?;
        let ratio = match position.headcount_ratio.as_deref() {
            Some(json) => {
                let ratio: HeadcountRatio = serde_json::from_str(json).map_err(StoreError::from)?;
                let count =
                    counted_quantity(&mut tx, &position.department_id, &ratio.quantity).await?;
                Some((ratio, count))
            }
            None => None,
        };
        let facts = PositionFacts {
            id: PositionId(position.id.clone()),
            title: position.title.clone(),
            headcount_limit: position.headcount_limit.map(|n| n.max(0) as u32),
            current_holders: position.holders.max(0) as u32,
            qualifications: serde_json::from_str(&position.qualifications)
                .map_err(StoreError::from)?,
            ratio,
        };
        let held: Vec<HeldPosition> = held
            .into_iter()
            .map(|(id, title)| HeldPosition {
                id: PositionId(id),
                title,
            })
            .collect();
        let exclusions: Vec<(PositionId, PositionId)> = exclusions
            .into_iter()
            .map(|(a, b)| (PositionId(a), PositionId(b)))
            .collect();
        check_assignment(&facts, &held, &exclusions, &user.profile())?;
        sqlx::query(
            "INSERT INTO staff_positions (user_id, position_id, assigned_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(position_id)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let entry = NewAuditEntry::new(AuditAction::PositionAssigned)
            .subject("user", user_id)
            .detail(format!("position={} ({})", position.title, position_id));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unassign_position(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        position_id: &str,
    ) -> Result<(), OrgError> {
        let mut tx = self.write.begin().await?;
        let done =
            sqlx::query("DELETE FROM staff_positions WHERE user_id = $1 AND position_id = $2")
                .bind(user_id)
                .bind(position_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let entry = NewAuditEntry::new(AuditAction::PositionUnassigned)
            .subject("user", user_id)
            .detail(format!("position={position_id}"));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The count of `quantity` the department records, or the nearest ancestor that does.
async fn counted_quantity(
    tx: &mut Tx<'_>,
    department_id: &str,
    quantity: &str,
) -> Result<Option<u64>, StoreError> {
    let mut cursor = Some(department_id.to_string());
    let mut seen = 0;
    while let Some(id) = cursor {
        let row: Option<(Option<String>, String)> =
            sqlx::query_as("SELECT parent_id, quantities FROM departments WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some((parent, quantities)) = row else {
            break;
        };
        let quantities: Quantities = serde_json::from_str(&quantities)?;
        if let Some(count) = quantities.get(quantity) {
            return Ok(Some(count));
        }
        seen += 1;
        if seen > 1000 {
            break; // a broken tree; the caller reports the quantity as missing
        }
        cursor = parent;
    }
    Ok(None)
}

pub(crate) async fn exists(
    tx: &mut Tx<'_>,
    table: &'static str,
    id: &str,
) -> Result<bool, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    let (n,): (i64,) = sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?;
    Ok(n > 0)
}

async fn replace_exclusions(tx: &mut Tx<'_>, id: &str, others: &[String]) -> Result<(), OrgError> {
    sqlx::query("DELETE FROM position_exclusions WHERE position_a = $1 OR position_b = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for other in others {
        if other == id {
            continue;
        }
        if !exists(tx, "positions", other).await? {
            return Err(OrgError::Unknown("position in the 兼任 rule"));
        }
        let (a, b) = if id < other.as_str() {
            (id, other.as_str())
        } else {
            (other.as_str(), id)
        };
        sqlx::query(
            "INSERT INTO position_exclusions (position_a, position_b) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(a)
        .bind(b)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) fn ratio_json(ratio: Option<&HeadcountRatio>) -> Result<Option<String>, StoreError> {
    Ok(ratio.map(serde_json::to_string).transpose()?)
}

pub(crate) fn permissions_json(perms: &[Permission]) -> Result<String, StoreError> {
    let codes: Vec<&str> = perms.iter().map(|p| p.code()).collect();
    Ok(serde_json::to_string(&codes)?)
}

fn decode_position(
    r: PositionDbRow,
    exclusions: &[(String, String)],
) -> Result<PositionRow, StoreError> {
    let codes: Vec<String> = serde_json::from_str(&r.permissions)?;
    let excluded_with = exclusions
        .iter()
        .filter_map(|(a, b)| {
            if *a == r.id {
                Some(b.clone())
            } else if *b == r.id {
                Some(a.clone())
            } else {
                None
            }
        })
        .collect();
    Ok(PositionRow {
        duties: serde_json::from_str(&r.duties)?,
        qualifications: serde_json::from_str(&r.qualifications)?,
        permissions: codes
            .iter()
            .filter_map(|c| Permission::from_code(c))
            .collect(),
        id: r.id,
        department_id: r.department_id,
        title: r.title,
        headcount_limit: r.headcount_limit,
        headcount_ratio: r
            .headcount_ratio
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?,
        holders: r.holders,
        excluded_with,
    })
}
