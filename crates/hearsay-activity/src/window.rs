//! [`Window`]: counters over the last minute, in one-second buckets — the
//! node's [`Counters`], or any other [`Tally`] (an application's
//! [`crate::MetricsExtension`] keeps its own).

use hearsay_wire::node::Counters;

use crate::counter::{Counter, add_all};

/// Counts a [`Window`] keeps per second and sums.
pub trait Tally: Clone + Default {
    /// Adds every count of `other` into `self` (saturating).
    fn merge(&mut self, other: &Self);
}

impl Tally for Counters {
    fn merge(&mut self, other: &Self) {
        add_all(self, other);
    }
}

/// How many one-second buckets the window keeps: the last minute.
pub const WINDOW_SECONDS: u64 = 60;

/// Counts over the last [`WINDOW_SECONDS`] seconds. Time is given by the
/// caller as whole seconds since some start, so tests need no clock.
///
/// Bucket `s % 60` holds second `s`; a bucket still marked with an older
/// second is stale and is cleared before reuse and skipped when summing. So
/// memory is fixed whatever the rate, and a quiet minute needs no sweeping.
#[derive(Clone, Debug)]
pub struct Window<T = Counters> {
    /// `(second, counts)`; `None` for a bucket never used.
    buckets: Vec<(Option<u64>, T)>,
}

impl<T: Tally> Default for Window<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Tally> Window<T> {
    /// An empty window.
    pub fn new() -> Self {
        Self {
            buckets: vec![(None, T::default()); WINDOW_SECONDS as usize],
        }
    }

    /// Counts at `second` what `count` adds to that second's bucket. A
    /// second older than the window (a caller's clock going backwards) is
    /// ignored.
    pub fn add_with(&mut self, second: u64, count: impl FnOnce(&mut T)) {
        let slot = &mut self.buckets[(second % WINDOW_SECONDS) as usize];
        match slot.0 {
            Some(s) if s == second => {}
            Some(s) if s > second => return,
            _ => *slot = (Some(second), T::default()),
        }
        count(&mut slot.1);
    }

    /// The sum over the minute ending at `second` (that second included).
    pub fn sum(&self, second: u64) -> T {
        let mut total = T::default();
        for (s, counts) in &self.buckets {
            if let Some(s) = *s {
                if s <= second && second - s < WINDOW_SECONDS {
                    total.merge(counts);
                }
            }
        }
        total
    }
}

impl Window<Counters> {
    /// Counts `n` of `counter` at `second`.
    pub fn add(&mut self, second: u64, counter: Counter, n: u64) {
        self.add_with(second, |c| counter.add(c, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_minute_and_forgets_older_seconds() {
        let mut w = Window::new();
        w.add(0, Counter::TrackerCalls, 1);
        w.add(30, Counter::TrackerCalls, 2);
        w.add(59, Counter::TrackerCalls, 4);
        assert_eq!(w.sum(59).tracker_calls, 7);
        // At 60, second 0 has left the window; 30 and 59 remain.
        assert_eq!(w.sum(60).tracker_calls, 6);
        assert_eq!(w.sum(89).tracker_calls, 6);
        assert_eq!(w.sum(90).tracker_calls, 4);
        assert_eq!(w.sum(119).tracker_calls, 0);
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
        w.add(7, Counter::TrackerFailures, 0);
        w.add(8, Counter::StatusChanges, 3);
        let s = w.sum(8);
        assert_eq!(s.client_requests, 1000);
        assert_eq!(s.status_changes, 3);
        assert_eq!(s.tracker_failures, 0);
        assert_eq!(s.tracker_calls, 0);
    }

    #[test]
    fn the_window_sums_before_a_bucket_is_reused() {
        let mut w = Window::new();
        for s in 0..120 {
            w.add(s, Counter::GossipMessages, 1);
            assert_eq!(w.sum(s).gossip_messages, (s + 1).min(WINDOW_SECONDS));
        }
    }
}
