//! What a replica keeps for the forced order: its voter (or a joiner, for a
//! learner), the names behind voter ids, the forced requests it is serving,
//! and the decision tip.

use std::collections::BTreeMap;

use crate::app::App;
use crate::config::{ForcedConfig, ForcedConfigError};
use crate::forced::{Decided, NodeId, RequestId, Voter, VoterStatus, VrConfig};
use crate::ids::{ReplicaId, UpdateId};
use crate::message::ForcedRequest;
use crate::replica::RequestToken;
use crate::time::Time;
use crate::timestamp::VectorTimestamp;

/// Most askers one forced request keeps (a client's retries at this replica
/// and forwards of it); more are answered "unavailable" at once.
pub(super) const MAX_ASKERS: usize = 8;

/// A voter id for a replica name: FNV-1a of the name. Every replica computes
/// the same id for a name; [`ForcedState::new`] refuses two configured voters
/// whose ids collide.
pub(crate) fn node_of(name: &ReplicaId) -> NodeId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_str().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    NodeId(h)
}

/// The forced order's request id for an update id.
pub(crate) fn request_id(id: UpdateId) -> RequestId {
    RequestId {
        client: id.client.0,
        seq: id.seq,
    }
}

/// Who waits for the answer to a forced request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) enum Asker {
    /// A client of this replica.
    Client(RequestToken),
    /// A replica that forwarded the request here.
    Peer(ReplicaId),
}

/// Where a forced request stands here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Placement {
    /// Not placed yet: this replica is primary but lacks the request's causal
    /// past (re-tried after every input), or no primary is known, or a view
    /// change or reconfiguration is under way (re-tried at `retry_at`).
    Waiting {
        /// When to try again by timer; `None`: after any input.
        retry_at: Option<Time>,
        /// Whether it waits for its causal past (answered "not yet" at the
        /// deadline rather than "unavailable").
        for_past: bool,
    },
    /// Handed to the local voter (as primary): answered when it commits.
    Ordered,
    /// Forwarded to `to`; sent again at `retry_at` if no answer came.
    Forwarded {
        /// The replica believed to be primary.
        to: NodeId,
        /// When to send again.
        retry_at: Time,
    },
}

/// A forced request this replica serves.
#[derive(Clone, Debug)]
pub(super) struct Pending<A: App> {
    /// The request, kept to place it again after a view change.
    pub(super) request: ForcedRequest<A>,
    /// Who gets the answer, at most [`MAX_ASKERS`].
    pub(super) askers: Vec<Asker>,
    /// When it is answered "unavailable: no quorum" if still unanswered.
    pub(super) deadline: Time,
    pub(super) placement: Placement,
}

/// The primary's decision state: its value with every ordered forced update
/// applied on top (see [`crate::App::decide_forced`]).
#[derive(Clone, Debug)]
pub(super) struct Tip<A: App> {
    /// The value timestamp the tip was built from: a moved value timestamp
    /// (an update applied) makes the tip stale.
    pub(super) value_ts: VectorTimestamp,
    /// The voter's `(epoch, view)` when built: a view change may replace the
    /// uncommitted entries it applied.
    pub(super) view: (u64, u64),
    /// The voter's log length it covers.
    pub(super) ops: u64,
    /// Forced updates in the voter's log (the last one's record number).
    pub(super) k: u64,
    /// The state.
    pub(super) app: A,
}

/// A replica's part in the forced order.
#[derive(Debug)]
pub(super) struct ForcedState<A: App> {
    /// The settings: timers, budget and bounds of the requests served here.
    pub(super) config: ForcedConfig,
    /// The replica's voter; a learner's is a joiner, which turns into a
    /// voter if a reconfiguration adds this replica.
    pub(super) voter: Voter<Decided<A>>,
    /// Replica names behind voter ids: this replica, the configured voters
    /// and every member (voter messages go to those only).
    pub(super) names: BTreeMap<NodeId, ReplicaId>,
    /// The voters as last known: the voter's own, or (a learner) the
    /// configured ones and those of committed reconfigurations it saw.
    pub(super) voters: Vec<ReplicaId>,
    /// Where a learner (or a voter without a primary) sends forced requests
    /// next: the primary named by the last answer, or the next voter in turn.
    pub(super) hint: Option<ReplicaId>,
    /// The forced requests served here, by id (the forwarding table).
    pub(super) pending: BTreeMap<RequestId, Pending<A>>,
    /// Voter log entries up to here were turned into forced records.
    pub(super) synced_ops: u64,
    /// Forced updates among them: the last forced record's number.
    pub(super) synced_k: u64,
    /// The primary's decision state, rebuilt when stale.
    pub(super) tip: Option<Tip<A>>,
}

impl<A: App> ForcedState<A> {
    /// The forced state of replica `me`: a fresh voter when `me` is one of
    /// the configured voters and `recovering` is false, a recovering one
    /// when it is true (a restart that lost the voter's memory), a joiner
    /// otherwise.
    pub(super) fn new(
        me: &ReplicaId,
        config: ForcedConfig,
        now: Time,
        recovering: bool,
    ) -> Result<Self, ForcedConfigError> {
        config.check()?;
        let mut names = BTreeMap::new();
        for name in config.voters.iter().chain(std::iter::once(me)) {
            if let Some(other) = names.insert(node_of(name), name.clone()) {
                if &other != name {
                    return Err(ForcedConfigError::IdCollision(other, name.clone()));
                }
            }
        }
        let mut vr = VrConfig::new(node_of(me), config.voters.iter().map(node_of).collect());
        vr.heartbeat = config.heartbeat;
        vr.view_change_timeout = config.view_change_timeout;
        vr.request_budget = config.request_budget;
        vr.max_batch = config.max_batch;
        vr.max_waiting = config.max_pending;
        vr.seed = config.seed;
        vr.bugs = config.bugs;
        let machine = Decided::default();
        let voter = if !config.voters.contains(me) {
            Voter::joiner(vr, machine, now)
        } else if recovering {
            Voter::restart(vr, machine, now)
        } else {
            Voter::new(vr, machine, now)
        }
        .map_err(|e| ForcedConfigError::Voter(e.to_string()))?;
        let mut voters = config.voters.clone();
        voters.sort();
        voters.dedup();
        Ok(Self {
            hint: voters.first().cloned(),
            voters,
            config,
            voter,
            names,
            pending: BTreeMap::new(),
            synced_ops: 0,
            synced_k: 0,
            tip: None,
        })
    }

    /// Whether this replica votes in the current epoch.
    pub(super) fn is_voter(&self) -> bool {
        !matches!(
            self.voter.status(),
            VoterStatus::Joining | VoterStatus::Retired
        )
    }

    /// The name of voter `node`, if known.
    pub(super) fn name(&self, node: NodeId) -> Option<&ReplicaId> {
        self.names.get(&node)
    }

    /// The primary this replica believes in: its voter's, when it follows
    /// one, else the hint.
    pub(super) fn primary(&self) -> Option<ReplicaId> {
        if self.is_voter() {
            if self.voter.status() != VoterStatus::Normal {
                return None;
            }
            return self.voter.primary().and_then(|p| self.name(p).cloned());
        }
        self.hint.clone()
    }

    /// Moves the hint to the voter after it, in name order: the answer to a
    /// forward that went unanswered.
    pub(super) fn rotate_hint(&mut self) {
        let next = match &self.hint {
            Some(h) => self
                .voters
                .iter()
                .find(|v| *v > h)
                .or_else(|| self.voters.first()),
            None => self.voters.first(),
        };
        self.hint = next.cloned();
    }

    /// The voters of the voter's current epoch, by name (those known).
    pub(super) fn voter_names(&self) -> Vec<ReplicaId> {
        let mut v: Vec<ReplicaId> = self
            .voter
            .voters()
            .iter()
            .filter_map(|n| self.name(*n).cloned())
            .collect();
        v.sort();
        v
    }
}
