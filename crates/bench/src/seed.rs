//! Seeding shared by the store benchmarks: customers written through the import batch.

use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::customer::{CustomerStatus, Gender};
use kefu_store::audit::{Actor, NewAuditEntry};
use kefu_store::customers::CustomerInput;
use kefu_store::Db;
use rand::rngs::StdRng;
use rand::Rng;

/// Writes `n` customers named `客户<i>`, of random tiers VIP/A/B/C, with `status` and the
/// owner `owner(i)`, 1,000 per insert, committed as one import.
pub async fn customers(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    n: u64,
    status: CustomerStatus,
    rng: &mut StdRng,
    mut owner: impl FnMut(&mut StdRng) -> Option<String>,
) -> anyhow::Result<()> {
    let mut batch = db.begin_customer_batch(n).await?;
    let mut chunk: Vec<CustomerInput> = Vec::with_capacity(1_000);
    for i in 0..n {
        chunk.push(CustomerInput {
            name: format!("客户{i:07}"),
            company: None,
            gender: Gender::Unknown,
            tier: ["VIP", "A", "B", "C"][rng.gen_range(0..4)].into(),
            status,
            owner_id: owner(rng),
            id_number: None,
            address: None,
            notes: None,
            contacts: Vec::new(),
            tags: Vec::new(),
        });
        if chunk.len() == 1_000 {
            batch.insert(None, now, &chunk).await?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        batch.insert(None, now, &chunk).await?;
    }
    batch
        .commit(
            actor,
            now,
            &NewAuditEntry::new(AuditAction::CustomersImported),
        )
        .await?;
    Ok(())
}
