//! Which agents have a console open on this server. An agent whose last console socket
//! closes (the browser closed, the laptop slept) is marked away once [`AWAY_GRACE_SECS`]
//! have passed on the server's clock without a console coming back, so a page reload
//! does not flap their availability, and a closed browser stops getting new chats.
//!
//! Consoles are counted per server, and behind a load balancer an agent's console may
//! move to another server (a reload lands elsewhere). So every open console also sends a
//! [`Signal::Console`] beat through the chat hub (PostgreSQL LISTEN/NOTIFY) when it opens
//! and every [`CONSOLE_BEAT`] after; a server that saw the agent's last console close
//! here counts the grace period from the latest beat heard from elsewhere, so the agent
//! is marked away only once no server has had their console for the grace period.

use super::hub::{ChatHub, Signal, PRESENCE_KEY};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast::{self, error::TryRecvError};

/// How long an agent may be without a console before they are marked away.
pub const AWAY_GRACE_SECS: i64 = 30;

/// How often an open console tells the other servers it is there: well inside the grace
/// period, so a beat lost now and then does not mark anyone away.
pub const CONSOLE_BEAT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Default)]
pub struct Presence {
    agents: Mutex<HashMap<String, Entry>>,
    /// Other servers' console beats, once [`Presence::follow`] subscribed.
    beats: Mutex<Option<broadcast::Receiver<Signal>>>,
}

#[derive(Debug, Default)]
struct Entry {
    consoles: usize,
    /// When the last console closed here (`None` while one is open).
    left_at: Option<DateTime<Utc>>,
    /// When a console of the agent on another server was last heard of.
    elsewhere_at: Option<DateTime<Utc>>,
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

    /// A console of `user_id` is open on another server (its beat arrived at `now`).
    /// Only agents whose console closed here matter: the others are that server's.
    pub fn seen_elsewhere(&self, user_id: &str, now: DateTime<Utc>) {
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = agents.get_mut(user_id) {
            e.elsewhere_at = Some(now);
        }
    }

    /// Subscribes to the console beats of other servers (once; later calls do nothing).
    pub fn follow(&self, hub: &ChatHub) {
        let mut beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        if beats.is_none() {
            *beats = Some(hub.subscribe(PRESENCE_KEY));
        }
    }

    /// Takes in the beats that arrived since the last call, as heard at `now`. Returns
    /// `false` when some were lost (the receiver fell behind): nobody should be marked
    /// away on this round, since a lost beat may have been theirs.
    pub fn absorb_beats(&self, now: DateTime<Utc>) -> bool {
        let mut beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rx) = beats.as_mut() else {
            return true;
        };
        let mut complete = true;
        loop {
            match rx.try_recv() {
                Ok(Signal::Console { a }) => self.seen_elsewhere(&a, now),
                Ok(_) => {}
                Err(TryRecvError::Lagged(_)) => complete = false,
                Err(TryRecvError::Empty | TryRecvError::Closed) => return complete,
            }
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
            .filter(|(_, e)| {
                e.consoles == 0
                    && e.left_at
                        .is_some_and(|t| now - t.max(e.elsewhere_at.unwrap_or(t)) >= grace)
            })
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

    #[test]
    fn a_console_on_another_server_keeps_the_agent_present() {
        let p = Presence::default();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
        let later = |s| t0 + Duration::seconds(s);
        // A beat for an agent this server never saw changes nothing.
        p.seen_elsewhere("b", t0);
        p.opened("a");
        p.closed("a", t0);
        // The console reopened on another server, which beats every 10 s.
        for s in [5, 15, 25, 35, 45] {
            p.seen_elsewhere("a", later(s));
            assert!(p.gone(later(s + 1)).is_empty(), "beat at {s}");
        }
        // The beats stop: away one grace period after the last one.
        assert!(p.gone(later(45 + AWAY_GRACE_SECS - 1)).is_empty());
        assert_eq!(p.gone(later(45 + AWAY_GRACE_SECS)), ["a"]);
        assert!(p.gone(later(1000)).is_empty(), "b was never here");
    }

    #[test]
    fn beats_arrive_through_the_hub() {
        let hub = ChatHub::default();
        let p = Presence::default();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
        p.follow(&hub);
        p.opened("a");
        p.closed("a", t0);
        hub.deliver_for_test(Signal::Console { a: "a".into() });
        let heard = t0 + Duration::seconds(20);
        assert!(p.absorb_beats(heard));
        assert!(p
            .gone(heard + Duration::seconds(AWAY_GRACE_SECS - 1))
            .is_empty());
        assert_eq!(p.gone(heard + Duration::seconds(AWAY_GRACE_SECS)), ["a"]);
    }
}
