//! How searches running side by side share their best rosters. At each checkpoint every search
//! posts its best; a helper search (any but the first) then takes the best posted at that
//! checkpoint if it is better than its own, so the helpers work where the team's best roster
//! is while the first search keeps to its own path (the one-thread search's). A helper waits
//! for the others' posts of the same checkpoint, so the result does not depend on which thread
//! runs faster; a search that stops says so, and nobody waits for it.

use super::model::Roster;
use super::state::Cost;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub(crate) struct Exchange {
    board: Mutex<Board>,
    posted: Condvar,
}

struct Board {
    /// Per search, its best at each checkpoint so far (while the best cost stays the same, the
    /// same `Arc`, so a long run holds few copies).
    posts: Vec<Vec<(Cost, Arc<Roster>)>>,
    stopped: Vec<bool>,
}

impl Exchange {
    pub(crate) fn new(searches: usize) -> Exchange {
        Exchange {
            board: Mutex::new(Board {
                posts: vec![Vec::new(); searches],
                stopped: vec![false; searches],
            }),
            posted: Condvar::new(),
        }
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A search that panicked leaves a usable board: its panic is reported at the join.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Posts search `me`'s best at its next checkpoint.
    pub(crate) fn post(&self, me: usize, cost: Cost, best: Arc<Roster>) {
        self.board().posts[me].push((cost, best));
        self.posted.notify_all();
    }

    /// Says that search `me` will post no more.
    pub(crate) fn stop(&self, me: usize) {
        self.board().stopped[me] = true;
        self.posted.notify_all();
    }

    /// The best roster the other searches posted at `checkpoint` (the lowest search on ties),
    /// once each has posted it or stopped.
    pub(crate) fn best_at(&self, me: usize, checkpoint: usize) -> Option<(Cost, Arc<Roster>)> {
        let mut board = self.board();
        loop {
            let ready = (0..board.posts.len())
                .all(|j| j == me || board.stopped[j] || board.posts[j].len() > checkpoint);
            if ready {
                break;
            }
            board = self.posted.wait(board).unwrap_or_else(|e| e.into_inner());
        }
        (0..board.posts.len())
            .filter(|&j| j != me)
            .filter_map(|j| board.posts[j].get(checkpoint))
            .min_by_key(|(cost, _)| *cost)
            .cloned()
    }
}

/// Where a search stands among those side by side; when dropped (the search has ended, or
/// panicked), the others stop waiting for it.
pub(crate) struct Seat<'x> {
    pub exchange: &'x Exchange,
    pub me: usize,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.exchange.stop(self.me);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn roster(days: u32) -> Arc<Roster> {
        Arc::new(Roster::empty(1, days))
    }

    #[test]
    fn a_helper_waits_for_every_post_of_the_checkpoint_and_takes_the_best() {
        let x = Exchange::new(3);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(30));
                x.post(0, 7, roster(1));
                x.post(0, 2, roster(2));
            });
            s.spawn(|| {
                let _seat = Seat {
                    exchange: &x,
                    me: 2,
                };
                std::thread::sleep(Duration::from_millis(60));
                x.post(2, 6, roster(3));
            });
            x.post(1, 9, roster(4));
            // Checkpoint 0: 7 from search 0 and 6 from search 2, whichever posts first; the
            // later, better post of search 0 belongs to checkpoint 1, where search 2 has
            // stopped.
            assert_eq!(x.best_at(1, 0), Some((6, roster(3))));
            assert_eq!(x.best_at(1, 1), Some((2, roster(2))));
        });
    }

    #[test]
    fn nobody_waits_for_a_search_that_stopped() {
        let x = Exchange::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                let _seat = Seat {
                    exchange: &x,
                    me: 0,
                };
                x.post(0, 4, roster(1));
                std::thread::sleep(Duration::from_millis(30));
            });
            assert_eq!(x.best_at(1, 0), Some((4, roster(1))));
            // Search 0 ends without posting checkpoint 1: its seat says so when dropped.
            assert_eq!(x.best_at(1, 1), None);
        });
    }
}
