//! How a workload's requests map onto a forced order's [`Machine`].

use hearsay_core::forced::Machine;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codes::RequestError;
use crate::envelope::Body;

/// A [`Machine`] that serves one Maelstrom workload through the forced order.
///
/// Every request becomes one operation, ordered by the voters and decided by
/// the primary at its place in the order ([`Machine::decide`]); the client's
/// answer is made from that decision alone, so it is the same whichever voter
/// reports it.
pub(crate) trait ForcedApp:
    Machine<Op: Serialize + DeserializeOwned, Outcome: Serialize + DeserializeOwned> + Default
{
    /// The request `kind` with `body` as an operation; an unknown `kind` or a
    /// bad field is an error for the client, and nothing is ordered.
    fn request(kind: &str, body: &Body) -> Result<Self::Op, RequestError>;

    /// The client's answer to `op`, given the outcome the order decided: a
    /// reply body (its `type` set), or a definite error (the operation took
    /// effect as "refused", so it changed nothing).
    fn answer(op: &Self::Op, outcome: &Self::Outcome) -> Result<Body, RequestError>;

    /// Whether `op` may change the state. An operation that may not has no
    /// effect to lose, so giving up on it is a definite failure (error 11);
    /// giving up on one that may is indefinite (error 0), since it may still
    /// be ordered.
    fn may_change(op: &Self::Op) -> bool;
}
