//! Rate limits for the public pages, per client address: a fixed window per address and
//! kind of request, in memory (a limit that resets when kefu restarts is good enough to
//! stop a script flooding the intake queue). Windows follow the server's clock, so the
//! simulated clock moves them in tests.
//!
//! The address is the TCP peer's. `X-Forwarded-For` is not trusted (anyone can send
//! it), so behind a reverse proxy every customer shares the proxy's limits.

use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// New tickets one address may open per window.
pub const TICKETS_PER_WINDOW: u32 = 5;
pub const TICKET_WINDOW_SECS: i64 = 10 * 60;
/// Status lookups one address may make per window (guessing numbers and phones is slow).
pub const LOOKUPS_PER_WINDOW: u32 = 30;
pub const LOOKUP_WINDOW_SECS: i64 = 60;
/// New chats one address may start per window (the widget's visitors; a company behind
/// one address opens a few at once, a script opens hundreds).
pub const CHATS_PER_WINDOW: u32 = 10;
pub const CHAT_WINDOW_SECS: i64 = 60;
/// Addresses remembered at most; beyond it expired windows are pruned, then the oldest.
pub const MAX_TRACKED_CLIENTS: usize = 10_000;

/// How many requests of one kind an address may make per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// The public pages' limits (see the constants above for the defaults).
#[derive(Debug, Clone, Copy)]
pub struct PublicLimits {
    pub tickets: Limit,
    pub lookups: Limit,
    /// New web chats (`POST /api/v1/chat/visitor/conversations`).
    pub chats: Limit,
    pub max_clients: usize,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            tickets: Limit {
                max: TICKETS_PER_WINDOW,
                window: Duration::seconds(TICKET_WINDOW_SECS),
            },
            lookups: Limit {
                max: LOOKUPS_PER_WINDOW,
                window: Duration::seconds(LOOKUP_WINDOW_SECS),
            },
            chats: Limit {
                max: CHATS_PER_WINDOW,
                window: Duration::seconds(CHAT_WINDOW_SECS),
            },
            max_clients: MAX_TRACKED_CLIENTS,
        }
    }
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    NewTicket,
    Lookup,
    NewChat,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    count: u32,
}

/// Counts requests per (address, kind); bounded by `max_clients` entries per kind.
#[derive(Debug)]
pub struct RateLimiter {
    limits: PublicLimits,
    windows: Mutex<HashMap<(Kind, String), Window>>,
}

impl RateLimiter {
    pub fn new(limits: PublicLimits) -> Self {
        RateLimiter {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, kind: Kind) -> Limit {
        match kind {
            Kind::NewTicket => self.limits.tickets,
            Kind::Lookup => self.limits.lookups,
            Kind::NewChat => self.limits.chats,
        }
    }

    /// Counts one request; refuses it with the seconds until the window ends when the
    /// address has used up its window.
    pub fn check(&self, kind: Kind, addr: &str, now: DateTime<Utc>) -> Result<(), AppError> {
        let limit = self.limit(kind);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let key = (kind, addr.to_string());
        if !windows.contains_key(&key) && windows.len() >= self.limits.max_clients * 2 {
            self.prune(&mut windows, now);
        }
        let w = windows.entry(key).or_insert(Window {
            start: now,
            count: 0,
        });
        if now - w.start >= limit.window {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        if w.count >= limit.max {
            let left = (w.start + limit.window - now).num_seconds().max(1);
            return Err(AppError::RateLimited {
                retry_after_secs: left,
            });
        }
        w.count += 1;
        Ok(())
    }

    /// Drops expired windows; when that frees nothing, the oldest window.
    fn prune(&self, windows: &mut HashMap<(Kind, String), Window>, now: DateTime<Utc>) {
        windows.retain(|(kind, _), w| now - w.start < self.limit(*kind).window);
        if windows.len() >= self.limits.max_clients * 2 {
            if let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, w)| w.start)
                .map(|(k, _)| k.clone())
            {
                windows.remove(&oldest);
            }
        }
    }

    /// Addresses currently tracked (for tests of the bound).
    pub fn tracked(&self) -> usize {
        self.windows.lock().map(|w| w.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn limiter(max_clients: usize) -> RateLimiter {
        RateLimiter::new(PublicLimits {
            tickets: Limit {
                max: 2,
                window: Duration::minutes(10),
            },
            lookups: Limit {
                max: 3,
                window: Duration::minutes(1),
            },
            chats: Limit {
                max: 1,
                window: Duration::minutes(1),
            },
            max_clients,
        })
    }

    #[test]
    fn a_window_refuses_then_reopens() {
        let l = limiter(100);
        let t0 = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        l.check(Kind::NewTicket, "10.0.0.1", t0).unwrap();
        l.check(Kind::NewTicket, "10.0.0.1", t0).unwrap();
        let refused = l
            .check(Kind::NewTicket, "10.0.0.1", t0 + Duration::minutes(4))
            .unwrap_err();
        assert_eq!(refused.retry_after_secs(), Some(6 * 60));
        // Another address and another kind have their own windows.
        l.check(Kind::NewTicket, "10.0.0.2", t0).unwrap();
        l.check(Kind::Lookup, "10.0.0.1", t0).unwrap();
        l.check(Kind::NewTicket, "10.0.0.1", t0 + Duration::minutes(10))
            .unwrap();
    }

    #[test]
    fn memory_stays_bounded() {
        let l = limiter(5);
        let t0 = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        for i in 0..1_000 {
            let at = t0 + Duration::seconds(i);
            l.check(Kind::Lookup, &format!("10.0.{}.{}", i / 256, i % 256), at)
                .unwrap();
            assert!(l.tracked() <= 10, "{} tracked", l.tracked());
        }
    }
}
