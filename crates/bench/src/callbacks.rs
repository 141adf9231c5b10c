//! `kefu-bench callbacks`: periodic callback generation (issue 5: "generate one month's
//! periodic callback tasks for 1,000,000 customers: ≤ 10 s on SQLite").
//!
//! Seeds N customers (owners spread over 50 agents) in a fresh SQLite database, adds a
//! monthly plan for every tier, and times the month's generation — one set-based
//! `INSERT … SELECT … ON CONFLICT DO NOTHING` — then a rerun, which must add nothing.

use anyhow::{ensure, Context};
use chrono::{NaiveDate, Utc};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::org::StaffProfile;
use kefu_store::audit::Actor;
use kefu_store::callbacks::PlanInput;
use kefu_store::users::NewUser;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Instant;

/// Runs the benchmark; the SQLite database is created (replaced) at `database`.
pub async fn run(database: &Path, customers: u64, seed: u64) -> anyhow::Result<()> {
    ensure!(customers > 0, "customers must be positive");
    let mut rng = StdRng::seed_from_u64(seed);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let url = format!("sqlite://{}", database.display());
    let db = Db::connect(&url)
        .await
        .context("open the SQLite database")?;
    let actor = Actor {
        user_id: None,
        name: "kefu-bench".into(),
        client_addr: None,
    };
    let now = Utc::now();
    let mut agents = Vec::new();
    for i in 0..50 {
        let user = NewUser {
            username: format!("bench-agent-{i:02}"),
            display_name: format!("坐席{i:02}"),
            agent_no: None,
            password_hash: "-".into(),
            profile: StaffProfile::default(),
        };
        agents.push(db.create_user(&actor, now, &user).await?);
    }
    let t = Instant::now();
    crate::seed::customers(
        &db,
        &actor,
        now,
        customers,
        CustomerStatus::Active,
        &mut rng,
        |rng| Some(agents[rng.gen_range(0..agents.len())].clone()),
    )
    .await?;
    println!(
        "seeded {customers} customers in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let plan = PlanInput {
        kind: "periodic".into(),
        name: "全体客户月度回访".into(),
        tier: None,
        period: Some("month".into()),
        holidays: false,
        special_dates: String::new(),
        lead_days: 0,
        script: None,
        active: true,
    };
    let plan_id = db.save_callback_plan(&actor, now, None, &plan).await?;
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
    let t = Instant::now();
    let created = db.generate_periodic_callbacks(now, &plan_id, day).await?;
    let first = t.elapsed();
    ensure!(created == customers, "created {created} of {customers}");
    println!(
        "callbacks_generate_month_sqlite: customers={customers} tasks={created} s={:.2}",
        first.as_secs_f64()
    );
    let t = Instant::now();
    let again = db.generate_periodic_callbacks(now, &plan_id, day).await?;
    ensure!(again == 0, "a rerun created {again}");
    println!(
        "callbacks_generate_rerun_sqlite: customers={customers} tasks=0 s={:.2}",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
