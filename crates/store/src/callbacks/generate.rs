//! The rules that create tasks from plans, set-based: one `INSERT … SELECT … ON CONFLICT
//! (dedupe_key) DO NOTHING` per plan and period (or care date, or expiry date), so a
//! month of a million customers' periodic callbacks is a handful of statements, and a
//! rerun — the next day's job, a restart, a second server — adds nothing already there.

use super::plans::{active_plans_in, PlanRow};
use crate::tickets::local_offset;
use crate::{new_id, to_millis, Db, Sql, StoreError, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kefu_domain::callback::{
    care_dates, local_at, local_day, parse_special_dates, Period, PlanKind, DUE_HOUR,
};

/// How many tasks one run created, per rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub periodic: u64,
    pub care: u64,
    pub renewal: u64,
}

impl Generated {
    pub fn total(&self) -> u64 {
        self.periodic + self.care + self.renewal
    }
}

/// What one set-based insert writes for each selected customer.
struct Batch<'a> {
    kind: &'static str,
    plan: &'a PlanRow,
    /// The dedupe key without the customer id, which is appended.
    key_prefix: String,
    period_key: Option<String>,
    due_at: DateTime<Utc>,
    watch_from: DateTime<Utc>,
    /// An extra condition on `c` (e.g. the expiry date), with its one text argument.
    extra: Option<(&'static str, String)>,
}

async fn insert_batch(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    b: &Batch<'_>,
) -> Result<u64, StoreError> {
    // Ids: a fresh time-ordered id for the statement followed by the customer's id —
    // unique, and generated in SQL so the insert stays one statement.
    let mut sql = Sql::new(
        "INSERT INTO callback_tasks (id, dedupe_key, kind, customer_id, plan_id, period_key, \
         due_at, next_at, watch_from, assignee_id, status, created_at, updated_at) SELECT ",
    );
    sql.bind_text(new_id())
        .push(" || c.id, ")
        .bind_text(b.key_prefix.clone())
        .push(" || c.id, ")
        .bind_text(b.kind)
        .push(", c.id, ")
        .bind_text(b.plan.id.clone())
        .push(", ");
    match &b.period_key {
        Some(k) => sql.bind_text(k.clone()),
        None => sql.push("NULL"),
    };
    let due = to_millis(b.due_at);
    sql.push(", ")
        .bind_int(due)
        .push(", ")
        .bind_int(due)
        .push(", ")
        .bind_int(to_millis(b.watch_from))
        .push(", c.owner_id, 'open', ")
        .bind_int(to_millis(now))
        .push(", ")
        .bind_int(to_millis(now))
        .push(" FROM customers c WHERE c.status <> 'lost'");
    if let Some(tier) = &b.plan.tier {
        sql.push(" AND c.tier = ").bind_text(tier.clone());
    }
    if let Some((cond, arg)) = &b.extra {
        sql.push(cond).bind_text(arg.clone());
    }
    sql.push(" ON CONFLICT (dedupe_key) DO NOTHING");
    Ok(sql.query().execute(&mut **tx).await?.rows_affected())
}

/// The periodic tasks of `plan` for the period that holds `day`: each customer of the
/// plan's tier is due on the period's first day and has until its end before the
/// follow-up watch counts.
pub(crate) async fn periodic_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    plan: &PlanRow,
    day: NaiveDate,
) -> Result<u64, StoreError> {
    let Some(period) = plan.period.as_deref().and_then(Period::from_code) else {
        return Ok(0);
    };
    let off = local_offset();
    let (start, end) = period.window(day);
    let key = period.key(day);
    let batch = Batch {
        kind: "periodic",
        plan,
        key_prefix: format!("periodic:{}:{key}:", plan.id),
        period_key: Some(key),
        due_at: local_at(start, DUE_HOUR, off),
        watch_from: local_at(end, DUE_HOUR, off),
        extra: None,
    };
    insert_batch(tx, now, &batch).await
}

/// The named holidays (dated) between two days, for the care rule.
async fn holidays_in(
    tx: &mut Tx<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, String)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT day, name FROM calendar_days WHERE kind = 'holiday' AND day >= $1 AND day <= $2",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, n)| Some((d.parse().ok()?, n)))
        .collect())
}

async fn care_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    plan: &PlanRow,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let until = today + Duration::days(plan.lead_days.max(0));
    // From a little before today, so a holiday already under way is not taken as
    // starting today.
    let holidays = if plan.holidays {
        holidays_in(tx, today - Duration::days(31), until).await?
    } else {
        Vec::new()
    };
    let special = parse_special_dates(&plan.special_dates).unwrap_or_default();
    let off = local_offset();
    let mut created = 0;
    for date in care_dates(today, until, &holidays, &special) {
        let due = local_at(date, DUE_HOUR, off);
        let batch = Batch {
            kind: "care",
            plan,
            key_prefix: format!("care:{}:{date}:", plan.id),
            period_key: Some(date.to_string()),
            due_at: due,
            watch_from: due,
            extra: None,
        };
        created += insert_batch(tx, now, &batch).await?;
    }
    Ok(created)
}

async fn renewal_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    plan: &PlanRow,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let lead = plan.lead_days.max(0);
    let off = local_offset();
    let mut created = 0;
    for ahead in 0..=lead {
        let expiry = today + Duration::days(ahead);
        let remind_on = (expiry - Duration::days(lead)).max(today);
        let due = local_at(remind_on, DUE_HOUR, off);
        let batch = Batch {
            kind: "renewal",
            plan,
            key_prefix: format!("renewal:{}:{expiry}:", plan.id),
            period_key: Some(expiry.to_string()),
            due_at: due,
            watch_from: due,
            extra: Some((" AND c.expires_on = ", expiry.to_string())),
        };
        created += insert_batch(tx, now, &batch).await?;
    }
    Ok(created)
}

/// Runs every active plan for the local day of `now`: periodic plans for the period
/// that holds today, care plans for the care dates within their lead days, renewal
/// plans for the expiry dates within theirs.
pub async fn generate_callbacks_in(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
) -> Result<Generated, StoreError> {
    let today = local_day(now, local_offset());
    let mut out = Generated::default();
    for plan in active_plans_in(tx).await? {
        match PlanKind::from_code(&plan.kind) {
            Some(PlanKind::Periodic) => out.periodic += periodic_in(tx, now, &plan, today).await?,
            Some(PlanKind::Care) => out.care += care_in(tx, now, &plan, today).await?,
            Some(PlanKind::Renewal) => out.renewal += renewal_in(tx, now, &plan, today).await?,
            None => {}
        }
    }
    Ok(out)
}

impl Db {
    /// [`generate_callbacks_in`] in its own transaction (a manager's "generate now", the
    /// benchmark).
    #[tracing::instrument(skip_all)]
    pub async fn generate_callbacks(&self, now: DateTime<Utc>) -> Result<Generated, StoreError> {
        let mut tx = self.write.begin().await?;
        let out = generate_callbacks_in(&mut tx, now).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// One periodic plan's tasks for the period holding `day`, in its own transaction.
    pub async fn generate_periodic_callbacks(
        &self,
        now: DateTime<Utc>,
        plan_id: &str,
        day: NaiveDate,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write.begin().await?;
        let plan = super::plans::plan_in(&mut tx, plan_id).await?;
        let n = periodic_in(&mut tx, now, &plan, day).await?;
        tx.commit().await?;
        Ok(n)
    }
}
