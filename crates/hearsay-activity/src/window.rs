//! [`Window`]: counters over the last minute, in one-second buckets.

use hearsay_wire::node::Counters;

use crate::counter::{Counter, add_all};

/// How many one-second buckets the window keeps: the last minute.
pub const WINDOW_SECONDS: u64 = 60;

/// Counts over the last [`WINDOW_SECONDS`] seconds. Time is given by the
/// caller as whole seconds since some start, so tests need no clock.
///
/// Bucket `s % 60` holds second `s`; a bucket still marked with an older
/// second is stale and is cleared before reuse and skipped when summing. So
/// memory is fixed whatever the rate, and a quiet minute needs no sweeping.
#[derive(Clone, Debug)]
pub struct Window {
    /// `(second, counts)`; `None` for a bucket never used.
    buckets: Vec<(Option<u64>, Counters)>,
}

impl Default for Window {
    fn default() -> Self {
        Self::new()
    }
}

impl Window {
    /// An empty window.
    pub fn new() -> Self {
        Self {
            buckets: vec![(None, Counters::default()); WINDOW_SECONDS as usize],
        }
    }

    /// Counts `n` of `counter` at `second`. A second older than the window
    /// (a caller's clock going backwards) is ignored.
    pub fn add(&mut self, second: u64, counter: Counter, n: u64) {
        let slot = &mut self.buckets[(second % WINDOW_SECONDS) as usize];
        match slot.0 {
            Some(s) if s == second => {}
            Some(s) if s > second => return,
            _ => *slot = (Some(second), Counters::default()),
        }
        counter.add(&mut slot.1, n);
    }

    /// The sum over the minute ending at `second` (that second included).
    pub fn sum(&self, second: u64) -> Counters {
        let mut total = Counters::default();
        for (s, counts) in &self.buckets {
            if let Some(s) = *s {
                if s <= second && second - s < WINDOW_SECONDS {
                    add_all(&mut total, counts);
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_minute_and_forgets_older_seconds() {
        let mut w = Window::new();
        w.add(0, Counter::ClaimsSent, 1);
        w.add(30, Counter::ClaimsSent, 2);
        w.add(59, Counter::ClaimsSent, 4);
        assert_eq!(w.sum(59).claims_sent, 7);
        // At 60, second 0 has left the window; 30 and 59 remain.
        assert_eq!(w.sum(60).claims_sent, 6);
        assert_eq!(w.sum(89).claims_sent, 6);
        assert_eq!(w.sum(90).claims_sent, 4);
        assert_eq!(w.sum(119).claims_sent, 0);
    }

    #[test]
    fn a_reused_bucket_starts_from_zero() {
        let mut w = Window::new();
        w.add(5, Counter::GossipBytes, 100);
        w.add(65, Counter::GossipBytes, 1); // same bucket, a minute later
        assert_eq!(w.sum(65).gossip_bytes, 1);
        // A late count for the old second does not corrupt the new one.
        w.add(5, Counter::GossipBytes, 50);
        assert_eq!(w.sum(65).gossip_bytes, 1);
    }

    #[test]
    fn counters_stay_apart_and_many_adds_in_one_second_sum() {
        let mut w = Window::new();
        for _ in 0..1000 {
            w.add(7, Counter::ClientRequests, 1);
        }
        w.add(7, Counter::WrongAnswers, 0);
        w.add(8, Counter::AnswersFalse, 3);
        let s = w.sum(8);
        assert_eq!(s.client_requests, 1000);
        assert_eq!(s.answers_false, 3);
        assert_eq!(s.wrong_answers, 0);
        assert_eq!(s.claims_sent, 0);
    }

    #[test]
    fn the_window_sums_before_a_bucket_is_reused() {
        let mut w = Window::new();
        for s in 0..120 {
            w.add(s, Counter::ClaimsReceived, 1);
            assert_eq!(w.sum(s).claims_received, (s + 1).min(WINDOW_SECONDS));
        }
    }
}
