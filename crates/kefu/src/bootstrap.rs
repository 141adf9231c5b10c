//! Start-up chores: the `admin` account, the demo center, CLI imports.

use anyhow::Context;
use chrono::{DateTime, Utc};
use kefu_domain::org::{Duty, Qualifications};
use kefu_domain::Permission;
use kefu_server::auth::{hash_password, Ctx, Via};
use kefu_server::AppState;
use kefu_store::audit::Actor;
use kefu_store::org::{DepartmentInput, PositionInput};
use kefu_store::users::NewUser;
use kefu_store::{Db, StoreError};
use rand::distributions::{Alphanumeric, DistString};

fn system() -> Actor {
    Actor {
        user_id: None,
        name: "system".into(),
        client_addr: None,
    }
}

/// Makes sure an `admin` account exists, holding a 系统管理员 position with every
/// permission. Its password comes from settings or is generated and printed once.
///
/// Several servers may start at once on one PostgreSQL database, and a start may have been
/// cut short before the account was made: each step finds the department and position
/// another start already made, and a step that loses a race to another server (a unique
/// index refuses its row) is tried again, finding the winner's row the second time.
pub async fn ensure_admin(
    db: &Db,
    now: DateTime<Utc>,
    password: Option<String>,
) -> anyhow::Result<()> {
    if admin_exists(db).await? {
        return Ok(());
    }
    let generated = password.is_none();
    let password =
        password.unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::thread_rng(), 16));
    anyhow::ensure!(
        password.chars().count() >= 8,
        "the admin password must have at least 8 characters"
    );
    const TRIES: u32 = 5;
    let mut attempt = 1;
    let created = loop {
        match create_admin(db, now, &password).await {
            Ok(created) => break created,
            Err(e) if attempt < TRIES => {
                tracing::info!(error = %format!("{e:#}"), attempt, "creating the admin account again");
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    if created && generated {
        println!("created the admin account: username admin, password {password} (shown once; set KEFU_ADMIN_PASSWORD to choose it)");
    } else if created {
        println!("created the admin account with the password from the settings");
    }
    Ok(())
}

async fn admin_exists(db: &Db) -> anyhow::Result<bool> {
    match db.get_user_by_username("admin").await {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One pass of [`ensure_admin`]; true when this pass created the account.
async fn create_admin(db: &Db, now: DateTime<Utc>, password: &str) -> anyhow::Result<bool> {
    if admin_exists(db).await? {
        return Ok(false);
    }
    let actor = system();
    const DEPARTMENT: &str = "系统管理";
    const TITLE: &str = "系统管理员";
    let existing = db
        .list_departments()
        .await?
        .into_iter()
        .find(|d| d.parent_id.is_none() && d.name == DEPARTMENT);
    let dept = match existing {
        Some(d) => d.id,
        None => db
            .create_department(
                &actor,
                now,
                &DepartmentInput {
                    parent_id: None,
                    name: DEPARTMENT.into(),
                    description: Some("kefu administration".into()),
                    sort_order: 99,
                },
            )
            .await
            .context("creating the administration department")?,
    };
    let existing = db
        .list_positions()
        .await?
        .into_iter()
        .find(|p| p.department_id == dept && p.title == TITLE);
    let position = match existing {
        Some(p) => p.id,
        None => db
            .create_position(
                &actor,
                now,
                &PositionInput {
                    department_id: dept,
                    title: TITLE.into(),
                    duties: vec![
                        Duty::new("管理组织架构、岗位与权限", None)?,
                        Duty::new("查阅审计日志", None)?,
                    ],
                    qualifications: Qualifications::default(),
                    headcount_limit: Some(3),
                    headcount_ratio: None,
                    permissions: Permission::ALL.to_vec(),
                    excluded_with: Vec::new(),
                },
            )
            .await
            .context("creating the administrator position")?,
    };
    let hash = tokio::task::spawn_blocking({
        let password = password.to_string();
        move || hash_password(&password)
    })
    .await?;
    let user = NewUser {
        username: "admin".into(),
        display_name: TITLE.into(),
        agent_no: None,
        password_hash: hash,
        profile: Default::default(),
    };
    let id = db
        .create_user(&actor, now, &user)
        .await
        .context("creating the admin account")?;
    db.assign_position(&actor, now, &id, &position)
        .await
        .context("giving admin its position")?;
    Ok(true)
}

/// Loads the demo center into an empty database, or gives the demo accounts fresh
/// passwords when it is already there; prints the log-ins either way.
pub async fn demo(db: &Db, now: DateTime<Utc>) -> anyhow::Result<()> {
    let hasher = |p: &str| hash_password(p);
    let logins = match kefu_demo::load_demo(db, now, &hasher).await {
        Ok(logins) => {
            let tickets = kefu_demo::load_demo_tickets(db, now).await?;
            let complaints = kefu_demo::load_demo_complaints(db, now).await?;
            let articles = kefu_demo::load_demo_knowledge(db, now).await?;
            let callbacks = kefu_demo::load_demo_callbacks(db, now).await?;
            let surveys = kefu_demo::load_demo_surveys(db, now).await?;
            let campaigns = kefu_demo::load_demo_campaigns(db, now).await?;
            kefu_demo::load_demo_schedule(db, now).await?;
            kefu_demo::load_demo_performance(db, now).await?;
            println!(
                "loaded the demo customer service center (500 customers, {tickets} tickets, \
                 {complaints} complaints, {articles} knowledge articles, {callbacks} callback \
                 tasks, {surveys} survey answers, {campaigns} campaigns, shifts a/b/c for 4 agents)"
            );
            logins
        }
        Err(kefu_demo::DemoError::NotEmpty(_)) => {
            kefu_demo::reset_demo_passwords(db, &hasher).await?
        }
        Err(e) => return Err(e.into()),
    };
    if logins.is_empty() {
        println!("the database already holds other data; the demo was not loaded");
        return Ok(());
    }
    println!("demo log-ins (new passwords at every start with --demo):");
    for l in &logins {
        println!(
            "  {:<10} {:<14} {} ({})",
            l.username, l.password, l.display_name, l.position
        );
    }
    Ok(())
}

/// `kefu import customers FILE`: the same validation and all-or-nothing commit as the
/// web import, recorded for `as_user`.
pub async fn import_customers(
    state: &AppState,
    file: &std::path::Path,
    as_user: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    let user = state
        .db()
        .get_user_by_username(as_user)
        .await
        .with_context(|| format!("no user named {as_user}"))?;
    let grants = state.db().grants_of(&user.id).await?;
    let ctx = Ctx {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        permissions: grants.permissions,
        departments: grants.departments,
        client_addr: Some("cli".into()),
        via: Via::Token,
    };
    let started = std::time::Instant::now();
    let dir =
        kefu_server::app::imports::new_upload_dir(state).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::copy(file, dir.path().join("source"))
        .with_context(|| format!("cannot read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let preview = kefu_server::app::imports::preview(state, &ctx, dir, &name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}: {} rows, {} valid, {} rejected ({}; {:.1} s)",
        name,
        preview.total_rows,
        preview.valid_rows,
        preview.rejected_rows,
        preview.encoding,
        started.elapsed().as_secs_f64()
    );
    for e in preview.errors.iter().take(10) {
        println!("  line {}: {}", e.line, e.error);
    }
    if dry_run {
        return Ok(());
    }
    let committed = std::time::Instant::now();
    let job = kefu_server::app::imports::commit(state, &ctx, &preview.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = committed.elapsed().as_secs_f64();
    println!(
        "imported {} customers in {:.1} s ({:.0} rows/s); rejected rows: {}",
        job.valid_rows,
        secs,
        job.valid_rows as f64 / secs.max(1e-9),
        state
            .config()
            .data_dir
            .join("imports")
            .join(&job.id)
            .join("report.csv")
            .display()
    );
    Ok(())
}

/// `kefu org templates`: the organization templates of the handbook.
pub fn list_org_templates() {
    println!(
        "{:<16} {:>4}  {:>5} {:>5} {:>5} {:>5}  name",
        "code", "doc", "depts", "posts", "rules", "cycle"
    );
    let mut all: Vec<_> = kefu_domain::org::template::builtin().iter().collect();
    all.sort_by_key(|t| t.document);
    for t in all {
        println!(
            "{:<16} {:>4}  {:>5} {:>5} {:>5} {:>5}  {}",
            t.code,
            t.document,
            t.departments.len(),
            t.positions.len(),
            t.exclusions.len(),
            t.recurring_duties(),
            t.name
        );
    }
}

/// `kefu org import CODE`: loads a template in one transaction; refused, with nothing
/// written, when one of its departments already exists.
pub async fn import_org_template(db: &Db, now: DateTime<Utc>, code: &str) -> anyhow::Result<()> {
    let template = kefu_domain::org::template::find(code).with_context(|| {
        format!("no organization template {code:?}; `kefu org templates` lists them")
    })?;
    let actor = Actor {
        user_id: None,
        name: "cli".into(),
        client_addr: Some("cli".into()),
    };
    let loaded = db
        .load_org_template(&actor, now, template)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "loaded {} ({}): {} departments, {} positions, {} 兼任 rules",
        template.name, template.code, loaded.departments, loaded.positions, loaded.exclusions
    );
    Ok(())
}
