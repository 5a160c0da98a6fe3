//! Counters a replica keeps about its own work.

use serde::{Deserialize, Serialize};

/// Counters since the replica started; read by metrics, status and benches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaStats {
    /// Updates accepted from front ends (new ones, not retries).
    pub updates_accepted: u64,
    /// Updates applied to the state (each at most once).
    pub updates_applied: u64,
    /// Records skipped because their update id was already applied.
    pub duplicates_skipped: u64,
    /// Client retries of an update already held, answered without a new record.
    pub duplicate_requests: u64,
    /// Queries answered.
    pub queries_answered: u64,
    /// Queries that had to wait for their causal past.
    pub queries_held: u64,
    /// Queries answered "not yet".
    pub queries_not_yet: u64,
    /// Gossip messages sent.
    pub gossip_sent: u64,
    /// Records sent in gossip.
    pub records_sent: u64,
    /// Gossip messages received.
    pub gossip_in: u64,
    /// New records received by gossip.
    pub records_in: u64,
    /// Records dropped because they broke the counter rules.
    pub bad_records: u64,
    /// Digests sent.
    pub digests_sent: u64,
    /// Digests received.
    pub digests_in: u64,
    /// Snapshots sent to peers behind the discarded horizon.
    pub snapshots_sent: u64,
    /// Snapshots received.
    pub snapshots_in: u64,
    /// Snapshots adopted as this replica's state.
    pub snapshots_adopted: u64,
    /// Of the gossip sent, eager pushes of new records: messages.
    pub push_sent: u64,
    /// Records in eager pushes.
    pub push_records: u64,
    /// Encoded bytes of eager pushes (postcard, as `PeerMessage`).
    pub push_bytes: u64,
    /// Of the gossip sent, answers to digests (anti-entropy repair): messages.
    pub repair_sent: u64,
    /// Records in repair gossip.
    pub repair_records: u64,
    /// Encoded bytes of repair gossip.
    pub repair_bytes: u64,
    /// Encoded bytes of the digests sent.
    pub digest_bytes: u64,
    /// Encoded bytes of the snapshots sent.
    pub snapshot_bytes: u64,
    /// Records that arrived ahead of a gap and were held until it filled.
    pub records_reordered: u64,
    /// Records ahead of a gap dropped because the reorder buffer was full.
    pub reorder_dropped: u64,
    /// Updates that had to wait for their causal past before being accepted.
    pub updates_held: u64,
    /// Updates answered "not yet": their causal past did not arrive in time.
    pub updates_not_yet: u64,
    /// Updates refused because their context names records that cannot
    /// exist (of this replica, beyond what it has, or of a non-member).
    pub updates_bad_context: u64,
}
