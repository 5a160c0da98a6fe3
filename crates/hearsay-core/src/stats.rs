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
    /// Held updates accepted once their causal past arrived.
    pub updates_released: u64,
    /// Updates answered "not yet": their causal past did not arrive in time.
    pub updates_not_yet: u64,
    /// Updates refused because their context names records that cannot
    /// exist (of this replica, beyond what it has, or of a non-member).
    pub updates_bad_context: u64,
    /// Forced updates this replica ordered as primary (decided and appended).
    pub forced_updates_ordered: u64,
    /// Of those, refused by `App::decide_forced`.
    pub forced_refused: u64,
    /// Forced queries this replica ordered as primary.
    pub forced_queries_ordered: u64,
    /// Forced requests answered to clients here (outcomes, answers,
    /// reconfigurations), forwarded ones included.
    pub forced_answered: u64,
    /// Forced requests forwarded to the primary (resends included).
    pub forced_forwarded: u64,
    /// Forced requests answered "unavailable" (no quorum, or too many waiting).
    pub forced_unavailable: u64,
    /// Forced records this replica wrote itself on commit (as a voter),
    /// rather than receiving them by gossip.
    pub forced_records_made: u64,
}

/// What an output costs in the traffic counters, counted when it leaves the
/// replica (as quinn-proto counts frames where they are written), not when
/// it is queued: a counter never includes a message that was not handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendCost {
    /// Not traffic: a reply or an applied notice.
    None,
    /// Gossip: an eager push (`push`) or an answer to a digest.
    Gossip {
        /// Whether it is an eager push rather than repair.
        push: bool,
        /// Records it carries.
        records: u64,
        /// Its encoded size.
        bytes: u64,
    },
    /// A digest of `bytes` encoded bytes.
    Digest {
        /// Its encoded size.
        bytes: u64,
    },
    /// A snapshot of `bytes` encoded bytes.
    Snapshot {
        /// Its encoded size.
        bytes: u64,
    },
}

impl ReplicaStats {
    /// Counts an output that leaves the replica.
    pub(crate) fn count_sent(&mut self, cost: SendCost) {
        match cost {
            SendCost::None => {}
            SendCost::Gossip {
                push,
                records,
                bytes,
            } => {
                self.gossip_sent += 1;
                self.records_sent += records;
                if push {
                    self.push_sent += 1;
                    self.push_records += records;
                    self.push_bytes += bytes;
                } else {
                    self.repair_sent += 1;
                    self.repair_records += records;
                    self.repair_bytes += bytes;
                }
            }
            SendCost::Digest { bytes } => {
                self.digests_sent += 1;
                self.digest_bytes += bytes;
            }
            SendCost::Snapshot { bytes } => {
                self.snapshots_sent += 1;
                self.snapshot_bytes += bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cost_lands_in_its_counters_only() {
        let mut s = ReplicaStats::default();
        s.count_sent(SendCost::None);
        assert_eq!(s, ReplicaStats::default());
        s.count_sent(SendCost::Gossip {
            push: true,
            records: 3,
            bytes: 40,
        });
        s.count_sent(SendCost::Gossip {
            push: false,
            records: 1,
            bytes: 9,
        });
        s.count_sent(SendCost::Digest { bytes: 7 });
        s.count_sent(SendCost::Snapshot { bytes: 100 });
        let want = ReplicaStats {
            gossip_sent: 2,
            records_sent: 4,
            push_sent: 1,
            push_records: 3,
            push_bytes: 40,
            repair_sent: 1,
            repair_records: 1,
            repair_bytes: 9,
            digests_sent: 1,
            digest_bytes: 7,
            snapshots_sent: 1,
            snapshot_bytes: 100,
            ..ReplicaStats::default()
        };
        assert_eq!(s, want);
    }
}
