//! `kefu-bench assign`: balanced assignment (issue 5, document 7: "assign 100,000
//! customers to 200 agents with skill weights: ≤ 1 s").
//!
//! Times (a) the pure plan (`kefu_domain::assignment::plan`) and (b) the whole commit
//! through the store on a fresh SQLite database — owners, 100,000 first-contact tasks,
//! 100,000 timeline entries and the audit entry in one transaction — plus the preview
//! and redistributing one leaving agent's customers.

use anyhow::{ensure, Context};
use chrono::Utc;
use kefu_domain::assignment::{plan, AgentLoad, SkillWeight};
use kefu_domain::customer::CustomerStatus;
use kefu_domain::org::StaffProfile;
use kefu_store::assignment::AssignSource;
use kefu_store::audit::Actor;
use kefu_store::customers::CustomerFilter;
use kefu_store::users::NewUser;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the benchmark; the SQLite database is created (replaced) at `database`.
pub async fn run(database: &Path, customers: u64, agents: usize, seed: u64) -> anyhow::Result<()> {
    ensure!(
        customers > 0 && agents > 0,
        "customers and agents must be positive"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let weights: Vec<i64> = (0..agents).map(|_| rng.gen_range(1..=5)).collect();

    // (a) The pure plan, agents starting empty and starting with uneven loads.
    for (label, start) in [("empty", 0u64), ("uneven", 1_000)] {
        let loads: Vec<AgentLoad> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| AgentLoad {
                id: format!("agent-{i:04}"),
                weight: SkillWeight::parse(*w).expect("weights 1 to 5"),
                current: if start == 0 {
                    0
                } else {
                    rng.gen_range(0..start)
                },
            })
            .collect();
        let mut times = Vec::new();
        for _ in 0..11 {
            let t = Instant::now();
            let p = plan(&loads, customers)?;
            times.push(t.elapsed());
            ensure!(p.assignment.len() as u64 == customers);
        }
        times.sort();
        println!(
            "assign_plan_{label}: customers={customers} agents={agents} median_ms={:.2} min_ms={:.2} max_ms={:.2}",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }

    // (b) Through the store on SQLite.
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
    let mut ids = Vec::with_capacity(agents);
    for (i, w) in weights.iter().enumerate() {
        let user = NewUser {
            username: format!("bench-agent-{i:04}"),
            display_name: format!("坐席{i:04}"),
            agent_no: None,
            password_hash: "-".into(),
            profile: StaffProfile::default(),
        };
        let id = db.create_user(&actor, now, &user).await?;
        db.set_skill_weight(&actor, now, &id, SkillWeight::parse(*w)?)
            .await?;
        ids.push(id);
    }
    let t = Instant::now();
    crate::seed::customers(
        &db,
        &actor,
        now,
        customers,
        CustomerStatus::Registered,
        &mut rng,
        |_| None,
    )
    .await?;
    println!(
        "seeded {customers} unassigned customers and {agents} agents in {:.0} ms",
        ms(t.elapsed())
    );

    let source = AssignSource::Unassigned {
        tier: None,
        status: None,
    };
    let t = Instant::now();
    let preview = db.preview_assignment(&source, &ids).await?;
    println!(
        "assign_preview_sqlite: customers={} ms={:.1}",
        preview.customers,
        ms(t.elapsed())
    );
    let t = Instant::now();
    let done = db.commit_assignment(&actor, now, &source, &ids).await?;
    println!(
        "assign_commit_sqlite: customers={} agents={agents} ms={:.1} (owners, {customers} contact tasks, {customers} timeline entries, 1 audit entry, one transaction)",
        done.plan.customers,
        ms(t.elapsed())
    );
    let placed: u64 = done.plan.shares.iter().map(|(s, _)| s.added).sum();
    ensure!(placed == customers, "placed {placed} of {customers}");
    let left = db
        .list_customers(&CustomerFilter::default(), None, 1)
        .await?;
    ensure!(left
        .items
        .first()
        .and_then(|c| c.owner_id.as_ref())
        .is_some());

    // An agent leaves: their customers go to the other 199.
    let leaving = ids[0].clone();
    let rest = ids[1..].to_vec();
    let t = Instant::now();
    let moved = db
        .commit_assignment(
            &actor,
            now,
            &AssignSource::Leaving { agent_id: leaving },
            &rest,
        )
        .await?;
    println!(
        "assign_leaving_sqlite: customers={} agents={} ms={:.1}",
        moved.plan.customers,
        rest.len(),
        ms(t.elapsed())
    );
    Ok(())
}
