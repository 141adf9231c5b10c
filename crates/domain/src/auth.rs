//! Log-in rules: session lifetimes and lock-out with back-off after repeated failures.

use chrono::{DateTime, Duration, Utc};

/// How long a session lives: an absolute limit from log-in, and an idle limit from the
/// last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub absolute: Duration,
    pub idle: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            absolute: Duration::hours(12),
            idle: Duration::minutes(30),
        }
    }
}

impl SessionPolicy {
    pub fn is_expired(
        &self,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now >= created_at + self.absolute || now >= last_seen_at + self.idle
    }
}

/// Lock-out after repeated failed log-ins: the first `free_attempts` failures cost nothing;
/// each one after that locks the account for `base` doubled per extra failure, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub free_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            base: Duration::seconds(30),
            max: Duration::hours(1),
        }
    }
}

impl LockoutPolicy {
    /// Given the number of consecutive failures including the one that just happened,
    /// returns until when the account is locked (if at all).
    pub fn locked_until(&self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if failures < self.free_attempts {
            return None;
        }
        let doublings = (failures - self.free_attempts).min(20);
        let wait = self.base * 2i32.pow(doublings);
        Some(now + wait.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
    }

    #[test]
    fn sessions_expire_on_idle_and_on_absolute_age() {
        let p = SessionPolicy::default();
        let start = t0();
        assert!(!p.is_expired(start, start, start + Duration::minutes(29)));
        assert!(p.is_expired(start, start, start + Duration::minutes(30)));
        let busy = start + Duration::hours(11) + Duration::minutes(50);
        assert!(!p.is_expired(
            start,
            busy,
            start + Duration::hours(11) + Duration::minutes(59)
        ));
        assert!(p.is_expired(start, busy, start + Duration::hours(12)));
    }

    #[test]
    fn lockout_backs_off_and_is_capped() {
        let p = LockoutPolicy::default();
        let now = t0();
        assert_eq!(p.locked_until(4, now), None);
        assert_eq!(p.locked_until(5, now), Some(now + Duration::seconds(30)));
        assert_eq!(p.locked_until(6, now), Some(now + Duration::seconds(60)));
        assert_eq!(p.locked_until(7, now), Some(now + Duration::seconds(120)));
        assert_eq!(p.locked_until(40, now), Some(now + Duration::hours(1)));
    }
}
