//! Which agents have a console open on this server. An agent whose last console socket
//! closes (the browser closed, the laptop slept) is marked away once [`AWAY_GRACE_SECS`]
//! have passed on the server's clock without a console coming back, so a page reload
//! does not flap their availability, and a closed browser stops getting new chats.
//!
//! The count is per server: behind a load balancer without sticky sessions, an agent
//! whose console moved to another server is marked away by the first one after the grace
//! period, and switches back on in the console.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long an agent may be without a console before they are marked away.
pub const AWAY_GRACE_SECS: i64 = 30;

#[derive(Debug, Default)]
pub struct Presence {
    agents: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug, Default)]
struct Entry {
    consoles: usize,
    /// When the last console closed (`None` while one is open).
    left_at: Option<DateTime<Utc>>,
}

impl Presence {
    /// A console socket of `user_id` opened.
    pub fn opened(&self, user_id: &str) {
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let e = agents.entry(user_id.to_string()).or_default();
        e.consoles += 1;
        e.left_at = None;
    }

    /// A console socket of `user_id` closed at `now`.
    pub fn closed(&self, user_id: &str, now: DateTime<Utc>) {
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let e = agents.entry(user_id.to_string()).or_default();
        e.consoles = e.consoles.saturating_sub(1);
        if e.consoles == 0 {
            e.left_at = Some(now);
        }
    }

    /// The console sockets `user_id` has open on this server.
    pub fn consoles(&self, user_id: &str) -> usize {
        let agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        agents.get(user_id).map_or(0, |e| e.consoles)
    }

    /// The agents whose last console closed at least the grace period before `now`;
    /// each is returned once (and forgotten).
    pub fn gone(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let grace = Duration::seconds(AWAY_GRACE_SECS);
        let gone: Vec<String> = agents
            .iter()
            .filter(|(_, e)| e.consoles == 0 && e.left_at.is_some_and(|t| now - t >= grace))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            agents.remove(k);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn away_only_after_the_last_console_stays_closed_for_the_grace_period() {
        let p = Presence::default();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
        let later = |s| t0 + Duration::seconds(s);
        p.opened("a");
        p.opened("a");
        p.closed("a", t0);
        assert!(
            p.gone(later(AWAY_GRACE_SECS)).is_empty(),
            "one console left"
        );
        p.closed("a", t0);
        assert!(
            p.gone(later(AWAY_GRACE_SECS - 1)).is_empty(),
            "within grace"
        );
        // A reload: the console comes back within the grace period.
        p.opened("a");
        assert!(p.gone(later(AWAY_GRACE_SECS * 2)).is_empty());
        p.closed("a", later(100));
        assert_eq!(p.gone(later(100 + AWAY_GRACE_SECS)), ["a"]);
        assert!(p.gone(later(1000)).is_empty(), "returned once");
    }
}
