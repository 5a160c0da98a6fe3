//! Messages in and out of a replica, as values. `hearsay-wire` encodes them.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::ids::{Dot, UpdateId};
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
}

impl<A: App> ClientRequest<A> {
    /// The session's causal context carried by the request.
    pub fn prev(&self) -> &VectorTimestamp {
        match self {
            Self::Update { prev, .. } | Self::Query { prev, .. } => prev,
        }
    }
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
}

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
