//! The state machine the forced order drives, and the values it decides.

use std::fmt::Debug;

/// A deterministic state machine whose operations are totally ordered.
///
/// # Contract: decisions that read state
///
/// Each operation is *decided* once, by the primary, when it gives the operation
/// its place in the order: [`Machine::decide`] reads the state that every earlier
/// entry of the order produced and returns an outcome (a debit is granted or
/// refused, a compare-and-set succeeds or fails, a read returns a value). The
/// outcome is stored in the log entry and travels with it; every voter then runs
/// [`Machine::apply`] with that recorded outcome and never decides again.
///
/// Why this is safe:
/// 1. The primary decides against the state after *every* entry before this one
///    in its log, committed or not. View changes keep a committed entry's whole
///    prefix (Reference: VRR §4.2, the log with the largest last normal view and op
///    number wins), so the state the outcome was decided against is exactly the
///    state every voter reaches just before applying it.
/// 2. `apply` never reads state to choose a branch the outcome did not fix, so a
///    voter whose surrounding state differs (in the full system, causal updates
///    interleave differently at each replica) still applies the same effect.
///
/// Requirements on an implementation:
/// - `decide` is a pure function of `&self` and the operation.
/// - `apply(op, outcome)` is deterministic and must not panic for any outcome
///   `decide` can return; it must change nothing when the outcome says "refused".
/// - Reads are operations too (`apply` does nothing for them): ordering them is
///   what makes them linearizable.
pub trait Machine: Clone + Debug {
    /// An operation clients submit.
    type Op: Clone + Debug + PartialEq;
    /// What the primary decided for one operation, given to every voter and to
    /// the client.
    type Outcome: Clone + Debug + PartialEq;

    /// Decides `op` against the current state (the state at its place in the order).
    fn decide(&self, op: &Self::Op) -> Self::Outcome;

    /// Applies `op` with the outcome the primary decided.
    fn apply(&mut self, op: &Self::Op, outcome: &Self::Outcome);
}

/// Checks the [`Machine`] contract on one sequence of operations: deciding each
/// operation on one copy and replaying the recorded outcomes on another must give
/// equal states, and deciding twice against equal states must agree.
///
/// A conformance helper for machine authors; call it from the machine's tests with
/// a varied sequence. Returns the index of the first operation that breaks it.
pub fn check_decisions<M: Machine + PartialEq>(start: &M, ops: &[M::Op]) -> Result<(), usize> {
    let mut decider = start.clone();
    let mut replayer = start.clone();
    for (i, op) in ops.iter().enumerate() {
        let outcome = decider.decide(op);
        if decider.clone().decide(op) != outcome {
            return Err(i);
        }
        decider.apply(op, &outcome);
        replayer.apply(op, &outcome);
        if decider != replayer {
            return Err(i);
        }
    }
    Ok(())
}
