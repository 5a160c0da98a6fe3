//! The open loop's clock: requests fall due at a fixed rate whatever the
//! answers do, so a slow system meets a queue instead of a slower client.
//! The bench's hearsay load and its bare QUIC floor pace through this one
//! [`Pacer`], so the two are measured under the same schedule.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::time::{Interval, MissedTickBehavior};

/// Hands out each request's index and due time as they come due, checked on
/// a 1 ms tick, from `origin` until `end`.
pub(crate) struct Pacer {
    origin: Instant,
    interval: Duration,
    end: Instant,
    /// The index of the next request to fall due.
    next: u64,
    tick: Interval,
}

impl Pacer {
    /// A pacer for `rate` requests per second from `origin` until `end`.
    pub(crate) fn new(origin: Instant, rate: f64, end: Instant) -> Self {
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Self {
            origin,
            interval: Duration::from_secs_f64(1.0 / rate),
            end,
            next: 0,
            tick,
        }
    }

    /// Waits for the next tick, then gives every request due by now as
    /// `(index, due)`, in order; `None` once `end` has passed.
    pub(crate) async fn due(&mut self) -> Option<Vec<(u64, Instant)>> {
        self.tick.tick().await;
        let now = Instant::now();
        if now >= self.end {
            return None;
        }
        let mut due = Vec::new();
        loop {
            let at = self.origin + self.interval.mul_f64(self.next as f64);
            if at > now || at >= self.end {
                return Some(due);
            }
            due.push((self.next, at));
            self.next += 1;
        }
    }
}

/// Locks a mutex of counts and histograms, even one a panicking holder left:
/// holders only add to them, so it is never half-changed.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_fall_due_at_the_rate_until_the_end() {
        let origin = Instant::now();
        let mut pacer = Pacer::new(origin, 1000.0, origin + Duration::from_millis(10));
        let mut all = Vec::new();
        while let Some(due) = pacer.due().await {
            all.extend(due);
        }
        let indices: Vec<u64> = all.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, (0..indices.len() as u64).collect::<Vec<_>>());
        assert!(
            all.iter()
                .all(|(_, at)| *at < origin + Duration::from_millis(10))
        );
        // The first tick is at once, so the first request always goes out;
        // a late last tick may leave the window's tail unsent, never more.
        assert!(!all.is_empty() && all.len() <= 10, "{} requests", all.len());
    }
}
