//! The entries a [`crate::Replica`] puts in its forced order: operations that
//! arrive already decided.
//!
//! Design choice (issue #13): the replica decides, not the voter. The state a
//! forced update must be decided against is the replica's *tip*: its applied
//! value (causal updates included) with every ordered but not yet applied
//! forced entry on top. The voter cannot hold that state (it sees no causal
//! updates), so the primary's replica decides each request against its tip the
//! moment the voter appends it ([`super::Voter::order_decided`]), and the entry
//! carries the outcome. [`Decided`] is therefore a machine with no state: the
//! voter orders, replicates and commits, and never decides.

use serde::{Deserialize, Serialize};

use super::machine::Machine;
use crate::app::App;
use crate::ids::UpdateId;
use crate::timestamp::VectorTimestamp;

/// What a forced entry asks.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ForcedBody<A: App> {
    /// A forced update.
    Update(A::Update),
    /// A forced query (changes nothing; ordered to be linearizable).
    Query(A::Query),
}

/// One operation of the forced order, as the primary ordered it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ForcedOp<A: App> {
    /// The client's id for it (retries reuse it).
    pub id: UpdateId,
    /// The client's context merged with the primary's value timestamp when it
    /// decided: every causal update the decision saw. An update's forced
    /// record has this `prev`, so no replica applies it before them; a query's
    /// answer is stamped with it (and the forced records before it).
    pub prev: VectorTimestamp,
    /// The update or query.
    pub body: ForcedBody<A>,
}

/// What the primary decided for a [`ForcedOp`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ForcedOutcome<A: App> {
    /// The update is granted: every replica applies it.
    Granted,
    /// The update is refused ([`App::decide_forced`]'s reason): its record is
    /// applied as a no-op everywhere.
    Refused(String),
    /// A query's answer at its place in the order, and the timestamp that
    /// answer covers (the op's `prev` with the forced entries before it).
    Answer {
        /// The app's reply.
        reply: A::Reply,
        /// What the answer saw.
        ts: VectorTimestamp,
    },
}

/// The voter's machine for a replica's forced order: no state, since every
/// entry arrives decided (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Decided<A: App>(std::marker::PhantomData<A>);

impl<A: App> Default for Decided<A> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<A: App> Machine for Decided<A> {
    type Op = ForcedOp<A>;
    type Outcome = ForcedOutcome<A>;

    /// Reached only if an operation is handed to the voter undecided, which
    /// the replica never does (it orders through `Voter::order_decided`):
    /// refusing keeps even that case safe.
    fn decide(&self, _op: &ForcedOp<A>) -> ForcedOutcome<A> {
        ForcedOutcome::Refused("forced operation reached the order undecided".into())
    }

    fn apply(&mut self, _op: &ForcedOp<A>, _outcome: &ForcedOutcome<A>) {}
}
