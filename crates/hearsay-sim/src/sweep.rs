//! Many seeds at once, spread over threads, and their summary.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::{ConfigError, SimConfig};
use crate::report::SeedReport;
use crate::run_seed;

/// Runs every seed in `seeds` on up to `threads` threads (at least one) and
/// returns the reports in seed order. `progress` is called (from any of the
/// threads) with each report as it finishes.
///
/// Each seed is simulated on one thread from start to end, so the reports are
/// the same whatever the thread count.
pub fn run_seeds(
    config: &SimConfig,
    seeds: Range<u64>,
    threads: usize,
    progress: &(dyn Fn(&SeedReport) + Sync),
) -> Result<Vec<SeedReport>, ConfigError> {
    config.validate()?;
    let total = seeds.end.saturating_sub(seeds.start);
    let next = AtomicU64::new(seeds.start);
    let done = Mutex::new(Vec::with_capacity(usize::try_from(total).unwrap_or(0)));
    let workers = threads
        .max(1)
        .min(usize::try_from(total).unwrap_or(usize::MAX).max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end || seed < seeds.start {
                        return;
                    }
                    // Validated above, so a seed cannot fail to start.
                    let Ok(report) = run_seed(config, seed) else {
                        return;
                    };
                    progress(&report);
                    // A poisoned lock means another worker panicked; the scope
                    // re-raises that panic, so the reports are moot.
                    if let Ok(mut d) = done.lock() {
                        d.push(report);
                    }
                }
            });
        }
    });
    let mut reports = done.into_inner().unwrap_or_default();
    reports.sort_by_key(|r| r.seed);
    Ok(reports)
}

/// Totals over many seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Client requests issued.
    pub operations: u64,
    /// Messages delivered.
    pub messages: u64,
    /// Violations found, all kinds.
    pub violations: u64,
    /// Seeds with at least one violation, in order.
    pub failing_seeds: Vec<u64>,
    /// Forced operations issued (forced updates and forced queries).
    pub forced_operations: u64,
    /// Of those, answered from the forced order (committed or read).
    pub forced_acked: u64,
    /// Of the committed forced updates, those the app refused.
    pub forced_refused: u64,
    /// Forced operations that ended "unavailable" or busy.
    pub forced_unavailable: u64,
    /// Crashes of the forced order's primary of the moment.
    pub primary_crashes: u64,
    /// Partitions that left the primary without a majority of voters.
    pub primary_isolations: u64,
    /// Forced-register histories too large to check for linearizability.
    pub unchecked_histories: u64,
}

impl Summary {
    /// Adds up `reports`.
    pub fn of(reports: &[SeedReport]) -> Self {
        let mut s = Summary::default();
        for r in reports {
            s.seeds += 1;
            s.operations += r.ops.issued;
            s.messages += r.net.delivered;
            s.violations += r.violation_count;
            s.forced_operations += r.ops.forced_operations;
            s.forced_acked += r.ops.forced_acked;
            s.forced_refused += r.ops.forced_refused;
            s.forced_unavailable += r.ops.forced_unavailable;
            s.primary_crashes += r.replicas.primary_crashes;
            s.primary_isolations += r.replicas.primary_isolations;
            s.unchecked_histories += r.unchecked_histories;
            if !r.is_clean() {
                s.failing_seeds.push(r.seed);
            }
        }
        s
    }
}
