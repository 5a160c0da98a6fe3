//! [`Latencies`]: request latencies and their percentiles.

use std::time::Duration;

/// Samples kept at most; past it each new sample overwrites the oldest kept
/// one, so memory stays bounded on a long run.
const MAX_SAMPLES: usize = 1 << 20;

/// Latencies in microseconds, with percentiles on demand.
#[derive(Clone, Debug, Default)]
pub(super) struct Latencies {
    samples: Vec<u32>,
    /// Samples offered in all (more than kept once the bound is reached).
    seen: u64,
}

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub(super) struct Percentiles {
    pub(super) p50: f64,
    pub(super) p90: f64,
    pub(super) p99: f64,
    pub(super) max: f64,
}

impl Latencies {
    /// Records one latency.
    pub(super) fn record(&mut self, d: Duration) {
        let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(us);
        } else {
            // Overwrite in turn: the kept set stays a spread over the run.
            let slot = (self.seen % MAX_SAMPLES as u64) as usize;
            self.samples[slot] = us;
        }
        self.seen += 1;
    }

    /// How many were recorded.
    pub(super) fn count(&self) -> u64 {
        self.seen
    }

    /// The percentiles (all 0 with no samples).
    pub(super) fn percentiles(&self) -> Percentiles {
        if self.samples.is_empty() {
            return Percentiles::default();
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
            f64::from(sorted[i]) / 1000.0
        };
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_a_hundred_ms() {
        let mut l = Latencies::default();
        for ms in (1..=100).rev() {
            l.record(Duration::from_millis(ms));
        }
        let p = l.percentiles();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(l.count(), 100);
        assert_eq!(Latencies::default().percentiles(), Percentiles::default());
    }
}
