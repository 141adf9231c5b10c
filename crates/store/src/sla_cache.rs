//! An in-memory copy of what every new work order reads: the active SLA policies, the
//! calendars' weeks and the shared holidays and make-up days. Without it each ticket
//! created costs three reads before its write.
//!
//! Invalidation: every write to those tables goes through a `Db` method in `sla` or
//! `calendars`, which bumps the generation after its commit; a copy loaded under an older
//! generation is not served again, so this process sees its own edits at once. Writes
//! from elsewhere (another kefu on the same PostgreSQL, another process on the SQLite
//! file) are seen once the copy is [`MAX_AGE`] old: a ticket opened in between gets the
//! deadlines it would have had a few seconds earlier.

use crate::calendars::CalendarRow;
use crate::sla::SlaPolicyRow;
use crate::{Db, StoreError};
use kefu_domain::calendar::HolidayLine;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a copy may serve without a write from this process invalidating it.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// The tables as loaded at one generation.
#[derive(Debug)]
pub(crate) struct SlaSnapshot {
    generation: u64,
    loaded: Instant,
    /// Active policies, oldest first (the order `match_policy` breaks ties by).
    pub active_policies: Vec<SlaPolicyRow>,
    pub calendars: Vec<CalendarRow>,
    /// Holidays and make-up days in date order.
    pub days: Vec<HolidayLine>,
}

#[derive(Debug, Default)]
pub(crate) struct SlaCache {
    generation: AtomicU64,
    current: Mutex<Option<Arc<SlaSnapshot>>>,
}

impl SlaCache {
    /// Called after a write to policies, calendars or calendar days commits.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The current copy, loaded from `db` when there is none, it is from an older
    /// generation, or it has reached [`MAX_AGE`].
    pub async fn snapshot(&self, db: &Db) -> Result<Arc<SlaSnapshot>, StoreError> {
        // Read the generation before loading: a write committing during the load bumps
        // it, and the copy stored below is then already stale and not served again.
        let generation = self.generation.load(Ordering::Acquire);
        {
            let current = self.current.lock().expect("sla cache lock");
            if let Some(s) = current.as_ref() {
                if s.generation == generation && s.loaded.elapsed() < MAX_AGE {
                    return Ok(s.clone());
                }
            }
        }
        let fresh = Arc::new(SlaSnapshot {
            generation,
            loaded: Instant::now(),
            active_policies: db.load_active_sla_policies().await?,
            calendars: db.list_calendars().await?,
            days: db.list_calendar_days(None).await?,
        });
        let mut current = self.current.lock().expect("sla cache lock");
        if current.as_ref().is_none_or(|s| s.generation <= generation) {
            *current = Some(fresh.clone());
        }
        Ok(fresh)
    }
}
