//! Loading an organization template (组织模板) into the organization: all of it in one
//! transaction, or nothing when any of its departments already exists.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::org::{permissions_json, ratio_json, OrgError};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::template::OrgTemplate;

/// What a template load created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateLoaded {
    pub departments: usize,
    pub positions: usize,
    pub exclusions: usize,
    /// The ids of the created departments, in the template's order.
    pub department_ids: Vec<String>,
}

impl Db {
    /// Creates the template's departments, positions and 兼任 rules. Refused with
    /// [`OrgError::TemplateConflict`] — and nothing written — when the organization
    /// already has a department of the same name as one of the template's.
    #[tracing::instrument(skip_all, fields(template = %template.code))]
    pub async fn load_org_template(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        template: &OrgTemplate,
    ) -> Result<TemplateLoaded, OrgError> {
        let mut tx = self.write.begin().await?;
        for d in &template.departments {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM departments WHERE name = $1")
                .bind(&d.name)
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Err(OrgError::TemplateConflict(d.name.clone()));
            }
        }
        let created = to_millis(now);
        let mut department_ids: Vec<String> = Vec::with_capacity(template.departments.len());
        for (order, d) in template.departments.iter().enumerate() {
            let id = new_id();
            sqlx::query(
                "INSERT INTO departments (id, parent_id, name, description, sort_order, \
                 created_at, quantities) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(d.parent.map(|p| department_ids[p].clone()))
            .bind(&d.name)
            .bind(d.description.as_deref())
            .bind(order as i64)
            .bind(created)
            .bind(serde_json::to_string(&d.quantities).map_err(StoreError::from)?)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            department_ids.push(id);
        }
        let mut position_ids: Vec<String> = Vec::with_capacity(template.positions.len());
        for p in &template.positions {
            let id = new_id();
            sqlx::query(
                "INSERT INTO positions (id, department_id, title, duties, qualifications, \
                 headcount_limit, permissions, created_at, headcount_ratio) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(&department_ids[p.department])
            .bind(&p.title)
            .bind(serde_json::to_string(&p.duties).map_err(StoreError::from)?)
            .bind(serde_json::to_string(&p.qualifications).map_err(StoreError::from)?)
            .bind(p.headcount_limit.map(i64::from))
            .bind(permissions_json(&p.permissions)?)
            .bind(created)
            .bind(ratio_json(p.headcount_ratio.as_ref())?)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            position_ids.push(id);
        }
        for (a, b) in &template.exclusions {
            let (a, b) = (&position_ids[*a], &position_ids[*b]);
            let (a, b) = if a < b { (a, b) } else { (b, a) };
            sqlx::query("INSERT INTO position_exclusions (position_a, position_b) VALUES ($1, $2)")
                .bind(a)
                .bind(b)
                .execute(&mut *tx)
                .await?;
        }
        let entry = NewAuditEntry::new(AuditAction::OrgTemplateLoaded)
            .subject("org_template", template.code.clone())
            .detail(format!(
                "{}: {} departments, {} positions, {} 兼任 rules",
                template.name,
                department_ids.len(),
                position_ids.len(),
                template.exclusions.len()
            ));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(TemplateLoaded {
            departments: department_ids.len(),
            positions: position_ids.len(),
            exclusions: template.exclusions.len(),
            department_ids,
        })
    }
}
