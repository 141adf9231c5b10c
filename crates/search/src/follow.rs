//! Following the database's search change log without ever missing an entry.
//!
//! On SQLite entries become visible in sequence order. On PostgreSQL a transaction that
//! took sequence number 7 can commit after the one that took 8, so a reader that has seen
//! 8 cannot yet say "everything up to 8 is applied": 7 is a *gap*. Gaps are asked for
//! again on every poll until they show up, or until they are older than
//! [`GAP_GRACE_MS`] — then the transaction that took the number rolled back (sequence
//! numbers are not returned), and the gap is dropped. The durable checkpoint is the
//! *watermark*: below the oldest open gap, or the highest sequence seen.

use std::collections::BTreeMap;

/// How long a missing sequence number is waited for. Kefu's write transactions last
/// milliseconds; anything missing this long was rolled back.
pub const GAP_GRACE_MS: i64 = 60_000;
/// More open gaps than this (a sequence jump after a PostgreSQL crash) drops the oldest.
const MAX_GAPS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCursor {
    high: i64,
    /// Missing sequence number → when it was first noticed (ms).
    gaps: BTreeMap<i64, i64>,
}

impl LogCursor {
    /// A cursor resuming after `watermark` (everything up to it is applied).
    pub fn resume(watermark: i64) -> Self {
        LogCursor {
            high: watermark,
            gaps: BTreeMap::new(),
        }
    }

    /// The highest sequence number seen: read new entries after it.
    pub fn high(&self) -> i64 {
        self.high
    }

    /// Sequence numbers still missing below [`Self::high`].
    pub fn gaps(&self) -> Vec<i64> {
        self.gaps.keys().copied().collect()
    }

    /// Everything up to here is applied: the checkpoint to persist.
    pub fn watermark(&self) -> i64 {
        match self.gaps.keys().next() {
            Some(&oldest) => oldest - 1,
            None => self.high,
        }
    }

    /// Records entries read after [`Self::high`] (in ascending order) or found in
    /// gaps, at `now_ms`; expires old gaps.
    pub fn saw(&mut self, seqs: &[i64], now_ms: i64) {
        for &s in seqs {
            if s > self.high {
                for missing in self.high + 1..s {
                    self.gaps.insert(missing, now_ms);
                }
                self.high = s;
            } else {
                self.gaps.remove(&s);
            }
        }
        self.gaps.retain(|_, first| now_ms - *first < GAP_GRACE_MS);
        while self.gaps.len() > MAX_GAPS {
            self.gaps.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_entries_move_the_watermark() {
        let mut c = LogCursor::resume(0);
        c.saw(&[1, 2, 3], 0);
        assert_eq!((c.high(), c.watermark()), (3, 3));
    }

    #[test]
    fn a_late_commit_holds_the_watermark_until_it_arrives() {
        let mut c = LogCursor::resume(5);
        c.saw(&[6, 8, 9], 0);
        assert_eq!((c.high(), c.watermark(), c.gaps()), (9, 6, vec![7]));
        c.saw(&[7], 10);
        assert_eq!((c.watermark(), c.gaps()), (9, vec![]));
    }

    #[test]
    fn a_rolled_back_number_is_given_up_after_the_grace() {
        let mut c = LogCursor::resume(0);
        c.saw(&[2], 0);
        c.saw(&[], GAP_GRACE_MS - 1);
        assert_eq!(c.watermark(), 0);
        c.saw(&[], GAP_GRACE_MS);
        assert_eq!(c.watermark(), 2);
    }

    #[test]
    fn resuming_from_the_watermark_rereads_only_what_may_be_missing() {
        let mut c = LogCursor::resume(0);
        c.saw(&[1, 3, 4], 0);
        let again = LogCursor::resume(c.watermark());
        assert_eq!(
            again.high(),
            1,
            "2 may still come, so 3 and 4 are read again"
        );
    }
}
