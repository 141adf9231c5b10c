//! Staff accounts, log-in state (failures, lock-out), sessions and API tokens.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{new_id, to_millis, Db, StoreError};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::org::{Education, StaffProfile};
use kefu_domain::PermissionSet;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub agent_no: Option<String>,
    pub active: i64,
    pub education: Option<String>,
    pub years_experience: i64,
    pub certificates: String,
    pub created_at: i64,
}

impl UserRow {
    pub fn profile(&self) -> StaffProfile {
        StaffProfile {
            education: self.education.as_deref().and_then(Education::from_code),
            years_experience: self.years_experience.max(0) as u32,
            certificates: serde_json::from_str(&self.certificates).unwrap_or_default(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.active != 0
    }
}

/// What log-in needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: String,
    pub display_name: String,
    pub password_hash: String,
    pub active: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub agent_no: Option<String>,
    pub password_hash: String,
    pub profile: StaffProfile,
}

#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub display_name: String,
    pub agent_no: Option<String>,
    pub active: bool,
    pub profile: StaffProfile,
}

/// A signed-in principal as found by a session or token lookup.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenPrincipal {
    pub token_id: String,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, username, display_name, agent_no, active, education, \
    years_experience, certificates, created_at";

impl Db {
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }

    #[tracing::instrument(skip_all, fields(username = %user.username))]
    pub async fn create_user(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user: &NewUser,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, agent_no, password_hash, education, \
             years_experience, certificates, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.agent_no.as_deref())
        .bind(&user.password_hash)
        .bind(user.profile.education.map(Education::code))
        .bind(i64::from(user.profile.years_experience))
        .bind(serde_json::to_string(&user.profile.certificates)?)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::StaffCreated)
            .subject("user", id.clone())
            .detail(format!("username={}", user.username));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_user(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        update: &UserUpdate,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET display_name = $1, agent_no = $2, active = $3, education = $4, \
             years_experience = $5, certificates = $6 WHERE id = $7",
        )
        .bind(&update.display_name)
        .bind(update.agent_no.as_deref())
        .bind(i64::from(update.active))
        .bind(update.profile.education.map(Education::code))
        .bind(i64::from(update.profile.years_experience))
        .bind(serde_json::to_string(&update.profile.certificates)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !update.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        append_in(
            &mut tx,
            actor,
            now,
            &NewAuditEntry::new(AuditAction::StaffUpdated).subject("user", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_password_hash(&self, id: &str, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn get_user(&self, id: &str) -> Result<UserRow, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    pub async fn get_user_by_username(&self, username: &str) -> Result<UserRow, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(sqlx::query_as(&sql)
            .bind(username)
            .fetch_one(&self.read)
            .await?)
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        Ok(sqlx::query_as(&sql).fetch_all(&self.read).await?)
    }

    pub async fn get_credentials(&self, username: &str) -> Result<Credentials, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, display_name, password_hash, active, failed_logins, locked_until \
             FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_one(&self.write)
        .await?)
    }

    /// Records a failed log-in: the new failure count and the lock (if any).
    pub async fn record_login_failure(
        &self,
        user_id: &str,
        failures: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(locked_until.map(to_millis))
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn record_login_success(&self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The union of the permissions of every position the user holds.
    pub async fn permissions_of(&self, user_id: &str) -> Result<PermissionSet, StoreError> {
        Ok(self.grants_of(user_id).await?.permissions)
    }

    /// Active users one of whose positions grants `permission` (a code such as
    /// `qa.inspect`): (id, display name), by name.
    pub async fn users_with_permission(
        &self,
        permission: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        // Positions keep their permissions as a JSON list of codes.
        let pattern = format!("%\"{permission}\"%");
        Ok(sqlx::query_as(
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN staff_positions sp ON sp.user_id = u.id \
             JOIN positions p ON p.id = sp.position_id \
             WHERE u.active = 1 AND p.permissions LIKE $1 ORDER BY u.display_name, u.id",
        )
        .bind(pattern)
        .fetch_all(&self.read)
        .await?)
    }

    /// What the user's positions grant (as a session would carry it).
    pub async fn grants_of(&self, user_id: &str) -> Result<Grants, StoreError> {
        let rows: Vec<PositionGrant> = sqlx::query_as(
            "SELECT p.permissions, p.department_id FROM staff_positions sp \
             JOIN positions p ON p.id = sp.position_id WHERE sp.user_id = $1 \
             ORDER BY sp.assigned_at, p.department_id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        grants_of(rows.iter())
    }

    // ---- sessions -------------------------------------------------------------------

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now: DateTime<Utc>,
        client_addr: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, \
             client_addr) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(to_millis(now))
        .bind(client_addr)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The live session with this token hash and what the user's positions grant, in one
    /// round trip (every authenticated request asks).
    pub async fn get_session(&self, token_hash: &str) -> Result<(SessionRow, Grants), StoreError> {
        let rows: Vec<SessionPermRow> = sqlx::query_as(
            "SELECT s.user_id, u.username, u.display_name, s.csrf_token, s.created_at, \
             s.last_seen_at, p.permissions, p.department_id \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN staff_positions sp ON sp.user_id = u.id \
             LEFT JOIN positions p ON p.id = sp.position_id \
             WHERE s.token_hash = $1 AND u.active = 1 ORDER BY sp.assigned_at, p.department_id",
        )
        .bind(token_hash)
        .fetch_all(&self.read)
        .await?;
        let grants = grants_of(rows.iter().map(|r| &r.position))?;
        let first = rows.into_iter().next().ok_or(StoreError::NotFound)?;
        Ok((first.session, grants))
    }

    pub async fn touch_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(to_millis(now))
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Removes sessions created before `created_before` or idle since `idle_before`.
    pub async fn delete_expired_sessions(
        &self,
        created_before: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write.begin().await?;
        let n = delete_expired_sessions_in(&mut tx, created_before, idle_before).await?;
        tx.commit().await?;
        Ok(n)
    }

    // ---- API tokens -----------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        name: &str,
        token_hash: &str,
        prefix: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(prefix)
        .bind(to_millis(now))
        .bind(expires_at.map(to_millis))
        .execute(&mut *tx)
        .await?;
        let entry = NewAuditEntry::new(AuditAction::TokenCreated).subject("api_token", id.clone());
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_api_tokens(&self, user_id: &str) -> Result<Vec<ApiTokenRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, created_at, last_used_at, expires_at, revoked_at \
             FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Revokes one of the user's own tokens. Revoking twice is harmless.
    pub async fn revoke_api_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        user_id: &str,
        token_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3",
        )
        .bind(to_millis(now))
        .bind(token_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::TokenRevoked).subject("api_token", token_id);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds the live (not revoked, not expired) token with this hash, with what the
    /// user's positions grant.
    pub async fn get_token_principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(TokenPrincipal, Grants), StoreError> {
        let rows: Vec<TokenPermRow> = sqlx::query_as(
            "SELECT t.id AS token_id, t.user_id, u.username, u.display_name, t.expires_at, \
             t.last_used_at, p.permissions, p.department_id \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             LEFT JOIN staff_positions sp ON sp.user_id = u.id \
             LEFT JOIN positions p ON p.id = sp.position_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1 \
             AND (t.expires_at IS NULL OR t.expires_at > $2) \
             ORDER BY sp.assigned_at, p.department_id",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_all(&self.read)
        .await?;
        let grants = grants_of(rows.iter().map(|r| &r.position))?;
        let first = rows.into_iter().next().ok_or(StoreError::NotFound)?;
        Ok((first.principal, grants))
    }

    pub async fn touch_api_token(
        &self,
        token_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(token_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// What a user's positions give them: the union of their permissions, and the
/// departments the positions are in, without repeats, in the order the positions were
/// given (the first is where their tickets go by default; the departments below them are
/// not included).
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub permissions: PermissionSet,
    pub departments: Vec<String>,
}

/// One of the user's positions (both `NULL` when they hold none).
#[derive(sqlx::FromRow)]
struct PositionGrant {
    permissions: Option<String>,
    department_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SessionPermRow {
    #[sqlx(flatten)]
    session: SessionRow,
    #[sqlx(flatten)]
    position: PositionGrant,
}

#[derive(sqlx::FromRow)]
struct TokenPermRow {
    #[sqlx(flatten)]
    principal: TokenPrincipal,
    #[sqlx(flatten)]
    position: PositionGrant,
}

fn grants_of<'a>(positions: impl Iterator<Item = &'a PositionGrant>) -> Result<Grants, StoreError> {
    let positions: Vec<&PositionGrant> = positions.collect();
    let permissions = union_of(positions.iter().map(|p| p.permissions.as_deref()))?;
    let mut departments: Vec<String> = Vec::new();
    for d in positions.iter().filter_map(|p| p.department_id.as_ref()) {
        if !departments.contains(d) {
            departments.push(d.clone());
        }
    }
    Ok(Grants {
        permissions,
        departments,
    })
}

/// The union of positions' permission lists (stored as JSON arrays of codes).
fn union_of<'a>(lists: impl Iterator<Item = Option<&'a str>>) -> Result<PermissionSet, StoreError> {
    let mut set = PermissionSet::default();
    for json in lists.flatten() {
        let codes: Vec<String> = serde_json::from_str(json)?;
        set.extend(PermissionSet::from_codes(codes.iter().map(String::as_str)).iter());
    }
    Ok(set)
}

/// Removes sessions created before `created_before` or idle since `idle_before`, inside
/// the caller's transaction (the scheduler's clean-up job).
pub async fn delete_expired_sessions_in(
    tx: &mut crate::Tx<'_>,
    created_before: DateTime<Utc>,
    idle_before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE created_at < $1 OR last_seen_at < $2")
        .bind(to_millis(created_before))
        .bind(to_millis(idle_before))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}
