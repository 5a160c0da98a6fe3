//! Tunables of a [`crate::Replica`].

use std::time::Duration;

use crate::forced::ForcedBugs;
use crate::ids::ReplicaId;

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
    /// Forced updates (issue #13): the voters of the forced order and its
    /// timers. `None` (the default): the cluster has no forced order, and
    /// forced requests are refused with a reason.
    pub forced: Option<ForcedConfig>,
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
            forced: None,
        }
    }
}

/// The forced order of a cluster, as one replica sees it.
///
/// A replica named in `voters` hosts a voter of the order (Viewstamped
/// Replication Revisited, [`crate::forced::Voter`]); every other replica is a
/// *learner*: it forwards forced requests to the primary and learns the forced
/// records by gossip. Every replica of a cluster must be given the same
/// `voters`; later changes go through the order itself
/// ([`crate::Replica::propose_voters`]).
#[derive(Clone, Debug)]
pub struct ForcedConfig {
    /// The voters of the first epoch. Each must also be a member (peers
    /// added with [`crate::Replica::add_member`]): voter messages go to
    /// members only.
    pub voters: Vec<ReplicaId>,
    /// How often the primary sends a heartbeat (`Commit`) when idle.
    pub heartbeat: Duration,
    /// Primary silence after which a backup starts a view change; failover
    /// costs about this plus a round trip.
    pub view_change_timeout: Duration,
    /// How long a forced request may take, from its arrival here to its
    /// commit, before it is answered "unavailable: no quorum". Below the front
    /// end's request budget, so the client hears the reason rather than a
    /// timeout.
    pub request_budget: Duration,
    /// Most entries in one `Prepare` (one round of agreement orders a batch).
    pub max_batch: usize,
    /// Forced requests this replica keeps at once (its own clients' and those
    /// forwarded to it, ordered or waiting); more are answered "unavailable"
    /// at once. Bounds the forwarding table and the voter's waiting table.
    pub max_pending: usize,
    /// How long a forwarded request waits for an answer before it is sent
    /// again (to the primary then believed in): a lost forward costs this.
    pub forward_retry: Duration,
    /// Seed of the voter's only randomness (recovery nonces).
    pub seed: u64,
    /// Planted bugs of the order, for showing that checkers catch them.
    pub bugs: ForcedBugs,
}

impl ForcedConfig {
    /// The defaults of [`crate::forced::VrConfig::new`] for `voters`
    /// (heartbeat 100 ms, view change after 500 ms, budget 2 s).
    pub fn new(voters: Vec<ReplicaId>) -> Self {
        Self {
            voters,
            heartbeat: Duration::from_millis(100),
            view_change_timeout: Duration::from_millis(500),
            request_budget: Duration::from_secs(2),
            max_batch: 256,
            max_pending: 4096,
            forward_retry: Duration::from_millis(200),
            seed: 0,
            bugs: ForcedBugs::default(),
        }
    }
}

/// Why a [`ForcedConfig`] cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForcedConfigError {
    /// No voters are named.
    #[error("the forced order needs at least one voter")]
    NoVoters,
    /// A voter is named with the reserved pseudo-origin.
    #[error("{0} cannot be a voter: the name is reserved for the forced order")]
    ReservedName(ReplicaId),
    /// A limit is zero.
    #[error("forced setting {0} must be at least 1")]
    Zero(&'static str),
    /// Two names map to the same voter id (a 64-bit hash collision).
    #[error("voters {0} and {1} get the same voter id: rename one")]
    IdCollision(ReplicaId, ReplicaId),
    /// The voter refused its settings.
    #[error("forced order: {0}")]
    Voter(String),
}

impl ForcedConfig {
    /// Checks the settings that need no other context.
    pub fn check(&self) -> Result<(), ForcedConfigError> {
        if self.voters.is_empty() {
            return Err(ForcedConfigError::NoVoters);
        }
        if let Some(v) = self.voters.iter().find(|v| v.is_forced()) {
            return Err(ForcedConfigError::ReservedName(v.clone()));
        }
        for (name, n) in [
            ("max_batch", self.max_batch),
            ("max_pending", self.max_pending),
        ] {
            if n == 0 {
                return Err(ForcedConfigError::Zero(name));
            }
        }
        Ok(())
    }
}
