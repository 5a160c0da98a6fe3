//! Tunables of a [`crate::Replica`].

use std::time::Duration;

/// How a replica behaves; `Default` gives the values in the spec.
#[derive(Clone, Debug)]
pub struct ReplicaConfig {
    /// How long a query, or an update whose causal past has not arrived,
    /// waits for missing records before "not yet".
    pub hold_timeout: Duration,
    /// How often the replica sends its digest to every peer (the repair path).
    pub anti_entropy_interval: Duration,
    /// Peers sent a digest on each anti-entropy tick, in turn; 0 means all.
    /// Bounded by default: digests to every peer on every tick cost
    /// O(N²) messages of O(N) bytes per interval across a cluster of N
    /// (at 30 replicas they took most of the CPU and bytes in `hearsay
    /// bench`). Eager pushes still go to every peer.
    pub anti_entropy_fanout: usize,
    /// `None`: push new records to the push targets as soon as outputs are
    /// polled (lowest latency). `Some(d)`: push at most every `d`, batching
    /// records (fewer messages).
    pub push_interval: Option<Duration>,
    /// Also push records that arrived from other replicas, not only our own.
    /// Needed when push targets form a tree rather than a full mesh.
    pub relay: bool,
    /// Upper bound on the update bytes in one gossip message.
    pub max_gossip_bytes: usize,
    /// Queries held at once; more are answered "not yet" straight away.
    pub max_held_queries: usize,
    /// Updates held at once waiting for their causal past (their `prev` not
    /// yet covered by the replica timestamp); more are answered "not yet"
    /// straight away.
    pub max_held_updates: usize,
    /// Records held at once that arrived ahead of a gap in their origin's
    /// counters (gossip delivered out of order); more are dropped and left
    /// to anti-entropy. 0 turns holding off.
    pub max_reorder_records: usize,
    /// How long an applied update id is remembered at least, so that a front
    /// end's late retry is still recognised. Must exceed the front end's retry
    /// budget plus network delay.
    pub dedup_retention: Duration,
    /// Least time between two snapshots sent to the same peer.
    pub snapshot_interval: Duration,
    /// Emit [`crate::Output::Applied`] for every applied update (simulator, monitor).
    pub emit_applied: bool,
    /// Keep what changes in the [`crate::Journal`] of each [`crate::Ready`]: how
    /// a durable shell learns what to write before [`crate::Replica::advance`]
    /// lets any reply or gossip out.
    pub journal: bool,
    /// Deliberate bugs, for showing that the simulator's checkers catch them
    /// (only with the `inject-bugs` feature, which release builds leave off).
    #[cfg(feature = "inject-bugs")]
    pub bugs: crate::InjectedBugs,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self {
            hold_timeout: Duration::from_secs(2),
            anti_entropy_interval: Duration::from_millis(100),
            anti_entropy_fanout: 4,
            push_interval: None,
            relay: false,
            max_gossip_bytes: 256 * 1024,
            max_held_queries: 1024,
            max_held_updates: 1024,
            max_reorder_records: 16 * 1024,
            dedup_retention: Duration::from_secs(10),
            snapshot_interval: Duration::from_millis(500),
            emit_applied: false,
            journal: false,
            #[cfg(feature = "inject-bugs")]
            bugs: crate::InjectedBugs::default(),
        }
    }
}
