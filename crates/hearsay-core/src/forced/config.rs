//! Settings of one voter of the forced order.

use std::time::Duration;

use super::message::NodeId;

/// Settings of one voter.
#[derive(Clone, Debug)]
pub struct VrConfig {
    /// This voter.
    pub me: NodeId,
    /// The voters of the first epoch (a voter started fresh, not as a joiner, must be
    /// one of them).
    pub voters: Vec<NodeId>,
    /// How often the primary sends `Commit` (or resends unacknowledged `Prepare`s)
    /// when idle: keeps backups from starting a view change.
    pub heartbeat: Duration,
    /// How long a backup waits without hearing from the primary before it starts a
    /// view change, and how long a view change may take before the next view is
    /// tried. Failover costs about this much plus one round trip.
    pub view_change_timeout: Duration,
    /// How long a request may wait to commit before it is answered
    /// [`super::ForcedError::NoQuorum`]: the client's budget.
    pub request_budget: Duration,
    /// Most entries in one `Prepare`; bounds a message.
    pub max_batch: usize,
    /// Most requests held (waiting to commit, or for a view change to end); past it
    /// new requests are answered `NoQuorum` at once.
    pub max_waiting: usize,
    /// Seed of the recovery nonces: the only randomness.
    pub seed: u64,
    /// Planted bugs, for showing that the checkers catch them.
    pub bugs: ForcedBugs,
}

impl VrConfig {
    /// Defaults for voter `me` of `voters`: heartbeat 100 ms, view change after
    /// 500 ms of silence (failover in well under a second on loopback), 2 s budget.
    pub fn new(me: NodeId, voters: Vec<NodeId>) -> Self {
        Self {
            me,
            voters,
            heartbeat: Duration::from_millis(100),
            view_change_timeout: Duration::from_millis(500),
            request_budget: Duration::from_secs(2),
            max_batch: 256,
            max_waiting: 4096,
            seed: 0,
            bugs: ForcedBugs::default(),
        }
    }
}

/// Bugs a voter can be told to have. All off by default; never turn them on outside
/// a demonstration of the checkers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForcedBugs {
    /// The primary answers a client as soon as it orders the request, before a
    /// majority holds it.
    pub ack_before_quorum: bool,
    /// A new primary keeps its own log in a view change instead of the most advanced
    /// one, forgetting operations committed elsewhere.
    pub forget_on_view_change: bool,
}

impl ForcedBugs {
    /// Names accepted by [`ForcedBugs::enable`].
    pub const NAMES: [&'static str; 2] = ["ack-before-quorum", "forget-committed"];

    /// Turns on the bug named `name`.
    pub fn enable(&mut self, name: &str) -> Result<(), String> {
        match name {
            "ack-before-quorum" => self.ack_before_quorum = true,
            "forget-committed" => self.forget_on_view_change = true,
            other => {
                return Err(format!(
                    "unknown bug {other:?}: choose one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }
}
