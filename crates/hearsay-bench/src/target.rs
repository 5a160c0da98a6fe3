//! What the bench measures: a cluster it started ([`crate::cluster`]) or
//! one it attached to ([`crate::remote`]), seen the same way.

use hearsay_client::Client;
use hearsay_core::ReplicaStats;
use hearsay_replica::WireStats;

use crate::error::BenchError;

/// What the bench reads of one replica.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReplicaState {
    /// Records in the update log.
    pub(crate) log_len: u64,
    /// Nothing left to apply: no record held out of order (local), or
    /// caught up with everything it knows of (attached).
    pub(crate) settled: bool,
    /// The core's counters since the replica started.
    pub(crate) stats: ReplicaStats,
}

/// Peer frames and bytes the replicas delivered, summed over them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WireTotals {
    pub(crate) frames: u64,
    pub(crate) bytes: u64,
}

/// Resident memory of the replicas, bytes; `None` where it cannot be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Memory {
    /// Resident now.
    pub(crate) now: Option<u64>,
    /// Peak so far.
    pub(crate) peak: Option<u64>,
    /// Peak per replica: a process's peak over the replicas it holds (the
    /// largest such figure when the replicas run in several processes).
    pub(crate) peak_per_replica: Option<u64>,
}

/// A cluster under measurement.
pub(crate) trait Target {
    /// A client of the front end the load goes through.
    fn client(&self) -> &Client;

    /// Replicas measured.
    fn replicas(&self) -> usize;

    /// Every replica's state now.
    async fn states(&self) -> Result<Vec<ReplicaState>, BenchError>;

    /// What the replicas have put on the wire so far.
    async fn wire(&self) -> Result<WireTotals, BenchError>;

    /// The gossip senders' own breakdown of it, where the bench can see it.
    fn wire_detail(&self) -> Option<WireStats>;

    /// The replicas' memory now.
    async fn memory(&self) -> Memory;

    /// Stops what the bench started (a local cluster; an attached one's
    /// polling).
    async fn shutdown(self);
}

/// The core's counters summed over every replica.
pub(crate) fn sum_stats<'a>(all: impl Iterator<Item = &'a ReplicaStats>) -> ReplicaStats {
    let mut t = ReplicaStats::default();
    for s in all {
        t.updates_accepted += s.updates_accepted;
        t.duplicate_requests += s.duplicate_requests;
        t.push_sent += s.push_sent;
        t.push_bytes += s.push_bytes;
        t.repair_sent += s.repair_sent;
        t.repair_bytes += s.repair_bytes;
        t.digests_sent += s.digests_sent;
        t.digest_bytes += s.digest_bytes;
        t.snapshots_sent += s.snapshots_sent;
        t.snapshot_bytes += s.snapshot_bytes;
        t.records_reordered += s.records_reordered;
        t.reorder_dropped += s.reorder_dropped;
    }
    t
}

/// What the counters grew by from `before` to `after` (an attached cluster
/// has counted since it started, not since the bench did).
pub(crate) fn stats_since(after: &ReplicaStats, before: &ReplicaStats) -> ReplicaStats {
    let d = |a: u64, b: u64| a.saturating_sub(b);
    ReplicaStats {
        updates_accepted: d(after.updates_accepted, before.updates_accepted),
        duplicate_requests: d(after.duplicate_requests, before.duplicate_requests),
        push_sent: d(after.push_sent, before.push_sent),
        push_bytes: d(after.push_bytes, before.push_bytes),
        repair_sent: d(after.repair_sent, before.repair_sent),
        repair_bytes: d(after.repair_bytes, before.repair_bytes),
        digests_sent: d(after.digests_sent, before.digests_sent),
        digest_bytes: d(after.digest_bytes, before.digest_bytes),
        snapshots_sent: d(after.snapshots_sent, before.snapshots_sent),
        snapshot_bytes: d(after.snapshot_bytes, before.snapshot_bytes),
        records_reordered: d(after.records_reordered, before.records_reordered),
        reorder_dropped: d(after.reorder_dropped, before.reorder_dropped),
        ..after.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_since_a_baseline_never_go_negative() {
        let before = ReplicaStats {
            updates_accepted: 10,
            push_bytes: 500,
            ..ReplicaStats::default()
        };
        let after = ReplicaStats {
            updates_accepted: 25,
            push_bytes: 400, // a replica restarted: counted from zero again
            ..ReplicaStats::default()
        };
        let d = stats_since(&after, &before);
        assert_eq!((d.updates_accepted, d.push_bytes), (15, 0));
        let sum = sum_stats([&before, &after].into_iter());
        assert_eq!((sum.updates_accepted, sum.push_bytes), (35, 900));
    }
}
