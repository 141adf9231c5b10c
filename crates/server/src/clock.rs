//! The one clock every deadline is computed from. `--clock simulated` starts a clock that
//! only moves when told to, so a 48-hour promise can be exercised in seconds.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub enum Clock {
    Real,
    Simulated(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn simulated(start: DateTime<Utc>) -> Self {
        Clock::Simulated(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Real => Utc::now(),
            Clock::Simulated(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }

    /// Moves a simulated clock forward; a real clock cannot be moved.
    pub fn advance(&self, by: Duration) -> Option<DateTime<Utc>> {
        match self {
            Clock::Real => None,
            Clock::Simulated(t) => {
                let mut guard = t.lock().unwrap_or_else(|e| e.into_inner());
                *guard += by;
                Some(*guard)
            }
        }
    }
}
