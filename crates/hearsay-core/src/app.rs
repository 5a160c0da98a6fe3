//! The replicated state machine an application plugs into a [`crate::Replica`].

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ids::{Dot, UpdateId};
use crate::timestamp::VectorTimestamp;

/// The total order the core gives concurrent updates, the same at every replica.
///
/// Compared by `depth` first, then `id`. `depth` is the sum of the update's `prev`
/// timestamp: if `b` causally follows `a` then `b.depth > a.depth`, so the order
/// extends causality. It is computed from the client's request only, so every
/// retry of one update (even one accepted twice by two replicas) gets the same
/// arbitration, which is what lets replicas that kept different copies of a
/// retried update still agree.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, serde::Deserialize,
)]
pub struct Arbitration {
    /// Sum of the update's `prev` entries.
    pub depth: u64,
    /// Breaks ties between concurrent updates of equal depth.
    pub id: UpdateId,
}

impl Arbitration {
    /// The arbitration of an update issued with `prev` under `id`.
    pub fn of(id: UpdateId, prev: &VectorTimestamp) -> Self {
        Self {
            depth: prev.sum(),
            id,
        }
    }
}

/// What the core tells the application about the update it is applying.
#[derive(Clone, Copy, Debug)]
pub struct ApplyContext<'a> {
    /// The update's id.
    pub id: UpdateId,
    /// Where the update was accepted.
    pub dot: &'a Dot,
    /// The client's causal context when it issued the update.
    pub prev: &'a VectorTimestamp,
    /// Where this update stands among concurrent ones (see [`Arbitration`]).
    pub order: Arbitration,
}

/// Which order an update needs (Ladin et al.'s update classes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, serde::Deserialize)]
pub enum UpdateClass {
    /// Ordered only after its causal past; must commute with concurrent updates.
    /// Every update is causal unless the app says otherwise.
    #[default]
    Causal,
    /// Totally ordered with every other forced update, at every replica, and
    /// decided once against the state at its place in that order (see
    /// [`App::decide_forced`]). Use it for what does not commute: a debit that
    /// must not overdraw, a compare-and-set.
    Forced,
}

/// A replicated state machine.
///
/// # Correctness requirements
///
/// The core applies every update exactly once at every replica, in an order that
/// respects causality (an update is applied only after every update in its causal
/// past). Updates that are *concurrent* may be applied in different orders at
/// different replicas. For replicas to converge, an implementation must:
///
/// 1. **Be deterministic.** `apply` and `query` depend only on `self`, their
///    arguments and the [`ApplyContext`]: no clocks, no randomness, no iteration
///    over hash maps whose order reaches the state.
/// 2. **Make concurrent updates commute.** Applying two concurrent updates in
///    either order must leave equal states. Where operations conflict (two
///    writes of one key), decide by [`ApplyContext::order`]: for example keep,
///    per key, the write with the greatest order (last-writer-wins), and keep
///    tombstones for deletes so a delete and a concurrent write also agree.
/// 3. **Keep `validate` pure.** It may look at the update only, never at the
///    state, because replicas differ while updates propagate.
/// 4. **Compare states faithfully.** `PartialEq` is how convergence is checked:
///    two states that answer every query alike should be equal.
///
/// [`crate::conformance::check_convergence`] checks requirement 2 for any app;
/// call it from the app's tests.
pub trait App: Clone + PartialEq + Debug + Serialize + DeserializeOwned {
    /// A state-changing operation.
    type Update: Clone + PartialEq + Debug + Serialize + DeserializeOwned;
    /// A read-only operation.
    type Query: Clone + PartialEq + Debug + Serialize + DeserializeOwned;
    /// The answer to a query.
    type Reply: Clone + PartialEq + Debug + Serialize + DeserializeOwned;

    /// Applies one update.
    fn apply(&mut self, update: &Self::Update, ctx: &ApplyContext<'_>);

    /// Answers one query from the current state.
    fn query(&self, query: &Self::Query) -> Self::Reply;

    /// Checks an update before a replica accepts it: `Err` carries a reason for the
    /// client. Must not depend on the state (requirement 3).
    fn validate(_update: &Self::Update) -> Result<(), String> {
        Ok(())
    }

    /// Says which order `update` needs. The default makes every update causal, so
    /// an app that knows nothing of forced updates is unchanged.
    ///
    /// Must depend on the update only (like `validate`): every replica must
    /// classify an update alike.
    fn class(_update: &Self::Update) -> UpdateClass {
        UpdateClass::Causal
    }

    /// Decides a forced update: `Ok` to apply it, `Err` (a reason for the client) to
    /// refuse it, in which case its record is applied as a no-op everywhere.
    ///
    /// # Contract: decisions that read state
    ///
    /// Unlike `validate`, this may read the state. It is called **once**, by the
    /// replica that hosts the primary of the forced order, when it gives the update
    /// its place in that order, against its *tip*: its applied value (every causal
    /// update its value timestamp covers, which includes the client's causal past)
    /// with every forced update ordered before this one applied on top as decided.
    /// The outcome is stored in the update's forced record `(forced, k)` and travels
    /// with it; no replica calls `decide_forced` for it again. The record's `prev` is
    /// the client's context merged with the primary's value timestamp at that
    /// moment.
    ///
    /// Why that is safe although replicas interleave *causal* updates differently: a
    /// replica applies record k only after its `prev` (so it has applied a superset
    /// of the causal updates the decision saw) and after exactly the forced records
    /// 1..k-1 (dots are dense per origin), with the same recorded outcomes. So its
    /// state differs from the state the decision saw only by *extra causal updates*.
    /// Requirement 2 below makes those harmless. What the app must ensure:
    ///
    /// 1. `decide_forced` is deterministic in `&self` and the update.
    /// 2. Causal updates only move the state in a direction that keeps every decided
    ///    condition true. For a ledger: credits may be causal (they only raise a
    ///    balance), debits must be forced with `decide_forced` refusing an overdraft;
    ///    then no replica's balance is ever below zero, at any moment. A causal debit
    ///    would break it (it could land between a decision and its application).
    /// 3. A granted forced update's `apply` must not choose a branch by reading state
    ///    the decision did not fix: apply the decided effect.
    ///
    /// [`crate::conformance::check_forced_decisions`] checks 1 to 3 for an app with
    /// a given split of updates into "decided" and "allowed in between".
    ///
    /// The default grants everything.
    fn decide_forced(&self, _update: &Self::Update) -> Result<(), String> {
        Ok(())
    }
}
