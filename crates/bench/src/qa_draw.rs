//! `kefu-bench qa-draw` and `kefu-bench qa-undraw`: the server's monthly QA draw
//! (`POST /api/v1/qa/samples`) timed end to end over loopback (issue 7, `bench/qa.sh`),
//! and taking a drawn sample back out of a stopped server's database so the same month
//! can be drawn again with its items already refreshed and checked, and only the latest
//! changes pending, as the scheduler leaves them.

use anyhow::{ensure, Context};
use sqlx::Connection;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct DrawArgs {
    #[arg(long)]
    base: String,
    /// A user with qa.manage.
    #[arg(long)]
    token: String,
    /// `YYYY-MM`.
    #[arg(long)]
    month: String,
    /// A label for the RESULT line (e.g. first, refreshed).
    #[arg(long, default_value = "draw")]
    label: String,
}

#[derive(clap::Args)]
pub struct UndrawArgs {
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    month: String,
    /// Calls and as many tickets of the month left noted as changed (`qa_changes`), as if
    /// they changed since the scheduler's last turn; every other noted change is dropped
    /// (the first draw's whole refresh has read them).
    #[arg(long, default_value_t = 1000)]
    pending: i64,
}

/// `kefu-bench qa-draw`: one draw, timed from sending the request to the whole answer.
pub async fn draw(args: DrawArgs) -> anyhow::Result<()> {
    kefu_server::install_tls_provider();
    // A first draw refreshes a whole month: far longer than an ordinary request.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(900))
        .build()?;
    let started = Instant::now();
    let resp = client
        .post(format!("{}/api/v1/qa/samples", args.base))
        .bearer_auth(&args.token)
        .json(&serde_json::json!({ "month": args.month }))
        .send()
        .await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.context("the draw's answer is not JSON")?;
    let elapsed = started.elapsed();
    ensure!(status.as_u16() == 201, "draw failed: {status} {body}");
    let count = |key: &str| body[key].as_array().map_or(0, Vec::len);
    println!(
        "RESULT scenario=qa_draw_{} month={} ms={:.0} items={} chosen={} short={} unassignable={}",
        args.label,
        args.month,
        elapsed.as_secs_f64() * 1000.0,
        body["items"],
        body["chosen"],
        count("short"),
        count("unassignable")
    );
    Ok(())
}

/// `kefu-bench qa-undraw`: deletes the month's sample and the inspections it made (with
/// their records). Benchmark use only, on a stopped server's copy of the data.
pub async fn undraw(args: UndrawArgs) -> anyhow::Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(&args.database_url).await?;
    let mut tx = conn.begin().await?;
    let of_month = "SELECT i.id FROM qa_inspections i JOIN qa_samples s ON s.id = i.sample_id \
                    WHERE s.month = ?";
    let mut deleted = Vec::new();
    for sql in [
        format!("DELETE FROM qa_events WHERE inspection_id IN ({of_month})"),
        format!("DELETE FROM qa_comments WHERE inspection_id IN ({of_month})"),
        format!("DELETE FROM qa_inspections WHERE id IN ({of_month})"),
        "DELETE FROM qa_samples WHERE month = ?".to_string(),
    ] {
        let done = sqlx::query(&sql)
            .bind(&args.month)
            .execute(&mut *tx)
            .await?;
        deleted.push(done.rows_affected());
    }
    // What the scheduler leaves between its turns: only the latest changes noted.
    sqlx::query("DELETE FROM qa_changes")
        .execute(&mut *tx)
        .await?;
    let mut pending = 0;
    for sql in [
        "INSERT INTO qa_changes (kind, source_id) \
         SELECT 'call', id FROM calls ORDER BY started_at DESC LIMIT ?",
        "INSERT INTO qa_changes (kind, source_id) \
         SELECT 'ticket', id FROM tickets ORDER BY created_at DESC LIMIT ?",
    ] {
        pending += sqlx::query(sql)
            .bind(args.pending)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    println!(
        "qa-undraw {}: {} samples, {} inspections, {} events deleted; {pending} changes pending",
        args.month, deleted[3], deleted[2], deleted[0]
    );
    Ok(())
}
