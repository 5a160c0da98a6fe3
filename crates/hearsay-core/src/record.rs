//! The update record kept in a replica's log and carried by gossip.

use serde::{Deserialize, Serialize};

use crate::app::Arbitration;
use crate::ids::{Dot, UpdateId};
use crate::timestamp::VectorTimestamp;

/// One update as replicas log and gossip it.
///
/// Its timestamp is `prev` with the origin's entry raised to `dot.seq`; it is
/// computed, not stored, so a record carries one vector rather than two.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct UpdateRecord<U> {
    /// The update's identity, the same on every retry.
    pub id: UpdateId,
    /// Where it was accepted.
    pub dot: Dot,
    /// The client's causal context: every update it depends on.
    pub prev: VectorTimestamp,
    /// The operation.
    pub op: U,
    /// A forced update the order's primary refused (`App::decide_forced`
    /// said `Err`): the reason. Every replica applies such a record as a
    /// no-op. Always `None` for causal records and granted forced ones.
    pub refused: Option<String>,
}

impl<U> UpdateRecord<U> {
    /// The record's timestamp: `prev` with the origin entry set to its counter.
    pub fn ts(&self) -> VectorTimestamp {
        let mut ts = self.prev.clone();
        ts.raise(&self.dot.origin, self.dot.seq);
        ts
    }

    /// Whether every record this one depends on is covered by `applied`: its
    /// `prev`, and the previous record of the same origin (origins apply in order,
    /// which keeps every timestamp entry an exact count).
    pub fn is_stable(&self, applied: &VectorTimestamp) -> bool {
        applied.get(&self.dot.origin) + 1 == self.dot.seq
            && self
                .prev
                .iter()
                .all(|(id, v)| id == &self.dot.origin || applied.get(id) >= v)
    }

    /// Where the record stands among concurrent updates.
    pub fn arbitration(&self) -> Arbitration {
        Arbitration::of(self.id, &self.prev)
    }
}
