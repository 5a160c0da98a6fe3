//! Messages in and out of a replica, as values. `hearsay-wire` encodes them.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::forced::{ForcedOp, ForcedOutcome, Message as VrMessage};
use crate::ids::{Dot, ReplicaId, UpdateId};
use crate::record::UpdateRecord;
use crate::status::Status;
use crate::timestamp::VectorTimestamp;

/// A request from a front end to a replica.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ClientRequest<A: App> {
    /// Apply `op` after everything in `prev`; `id` makes retries exactly-once.
    Update {
        /// The same on every retry.
        id: UpdateId,
        /// The session's causal context.
        prev: VectorTimestamp,
        /// The operation.
        op: A::Update,
    },
    /// Answer `query` from a state that includes everything in `prev`.
    Query {
        /// The session's causal context.
        prev: VectorTimestamp,
        /// The question.
        query: A::Query,
    },
    /// Answer `query` at its place in the forced order (linearizable): the
    /// answer reflects every forced update acknowledged before it was sent,
    /// and everything in `prev`. Forced *updates* come as
    /// [`ClientRequest::Update`]; [`App::class`] tells them apart.
    ForcedQuery {
        /// Names the query in the forced order's client table: a retry with
        /// the same id is answered once, never ordered twice.
        id: UpdateId,
        /// The session's causal context.
        prev: VectorTimestamp,
        /// The question.
        query: A::Query,
    },
}

impl<A: App> ClientRequest<A> {
    /// The session's causal context carried by the request.
    pub fn prev(&self) -> &VectorTimestamp {
        match self {
            Self::Update { prev, .. }
            | Self::Query { prev, .. }
            | Self::ForcedQuery { prev, .. } => prev,
        }
    }
}

/// A request for the forced order, as it travels from the replica a client
/// asked to the primary (see [`PeerMessage::Forward`]).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ForcedRequest<A: App> {
    /// A forced update (its class is [`crate::UpdateClass::Forced`]).
    Update {
        /// The same on every retry.
        id: UpdateId,
        /// The session's causal context.
        prev: VectorTimestamp,
        /// The operation.
        op: A::Update,
    },
    /// A forced query.
    Query {
        /// The same on every retry.
        id: UpdateId,
        /// The session's causal context.
        prev: VectorTimestamp,
        /// The question.
        query: A::Query,
    },
    /// Replace the voters of the forced order (a reconfiguration, ordered
    /// like any forced update).
    Reconfigure {
        /// The same on every retry.
        id: UpdateId,
        /// The voters from the next epoch on.
        voters: Vec<ReplicaId>,
    },
}

impl<A: App> ForcedRequest<A> {
    /// The request's id.
    pub fn id(&self) -> UpdateId {
        match self {
            Self::Update { id, .. } | Self::Query { id, .. } | Self::Reconfigure { id, .. } => *id,
        }
    }
}

/// The primary's answer to a forwarded forced request.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ForwardReply<A: App> {
    /// The answer for the client (a forced outcome, a forced query's answer,
    /// "unavailable", or a rejection).
    Done(ClientReply<A>),
    /// The receiver is not the primary (any more): try `primary`, when known.
    NotPrimary {
        /// The primary the receiver believes in.
        primary: Option<ReplicaId>,
    },
}

/// A replica's answer to a [`ClientRequest`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ClientReply<A: App> {
    /// The update is logged and will be applied everywhere; merge `ts` into `prev`.
    Accepted {
        /// The update's timestamp (or one above it, for a retry of an applied update).
        ts: VectorTimestamp,
    },
    /// The answer, from a state at `ts` (at or above the request's `prev`).
    Answer {
        /// The app's reply.
        reply: A::Reply,
        /// The value timestamp the answer was computed at.
        ts: VectorTimestamp,
    },
    /// The replica could not catch up to `prev` before the deadline: try another.
    NotYet {
        /// How far the replica had got.
        value_ts: VectorTimestamp,
    },
    /// The replica is not serving clients right now: try another.
    Unavailable {
        /// Why.
        status: Status,
    },
    /// The request itself is wrong; retrying elsewhere will not help.
    Rejected {
        /// What was wrong, for the user.
        reason: String,
    },
    /// A forced update is committed in the forced order (a majority of voters
    /// hold it) and decided: `Ok` granted, `Err(reason)` refused by
    /// [`App::decide_forced`] (then it changes nothing anywhere). Merge `ts`
    /// into `prev`: it covers the update and what its decision saw.
    Forced {
        /// The decision, made once where the update was ordered.
        outcome: Result<(), String>,
        /// The forced record's timestamp.
        ts: VectorTimestamp,
    },
    /// The forced order could not serve the request in time: `reason` is
    /// "unavailable: no quorum" when the voters reachable from here are not a
    /// majority (causal requests still work). A forced update answered this
    /// way may still commit; a retry under the same id learns its outcome and
    /// never executes it twice.
    ForcedUnavailable {
        /// Why, for the user.
        reason: String,
    },
    /// A reconfiguration of the forced order committed: `epoch` starts with
    /// the new voters.
    Reconfigured {
        /// The epoch that starts with the new voters.
        epoch: u64,
    },
}

/// A message between replicas.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum PeerMessage<A: App> {
    /// Records the receiver is not known to have, and what the sender has.
    Gossip(Gossip<A>),
    /// Anti-entropy: "this is what I have"; the receiver answers with what the
    /// sender lacks, and (when `reply` is set) with its own digest if it lacks
    /// something the sender has.
    Digest {
        /// The sender's replica timestamp.
        rep_ts: VectorTimestamp,
        /// Whether the receiver should answer with its own digest when behind.
        reply: bool,
    },
    /// State transfer for a peer behind the discarded-log horizon.
    Snapshot(Box<Snapshot<A>>),
    /// Between voters of the forced order: a Viewstamped Replication message.
    Vr(Box<ForcedVrMessage<A>>),
    /// To the primary of the forced order: order this request for me (a
    /// backup or learner received it from a client).
    Forward(Box<ForcedRequest<A>>),
    /// The answer to a [`PeerMessage::Forward`], for the request `id`.
    ForwardReply {
        /// The forwarded request's id.
        id: UpdateId,
        /// The answer.
        reply: Box<ForwardReply<A>>,
    },
}

/// A Viewstamped Replication message of the forced order of app `A`.
pub type ForcedVrMessage<A> = VrMessage<ForcedOp<A>, ForcedOutcome<A>>;

/// A batch of update records.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Gossip<A: App> {
    /// The sender's replica timestamp: what it has received.
    pub rep_ts: VectorTimestamp,
    /// Records, each origin's in counter order.
    pub records: Vec<UpdateRecord<A::Update>>,
}

/// A replica's applied state, for a peer that cannot catch up from logs.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Snapshot<A: App> {
    /// The application state.
    pub app: A,
    /// What the state includes.
    pub value_ts: VectorTimestamp,
    /// Ids of updates applied recently, so later duplicates are still recognised.
    pub executed: Vec<(UpdateId, Dot)>,
}
