//! The `broadcast` workload: a grow-only set of integers.

use std::collections::BTreeSet;

use hearsay_core::{App, ApplyContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::RequestError;
use crate::envelope::{Body, body};
use crate::service::{MaelstromApp, Step, int_field, unknown_type, with};

/// A grow-only set: `broadcast {message}` adds, `read` lists.
///
/// Adding is a set union, so concurrent adds commute and duplicates are
/// harmless; the set needs nothing from the arbitration order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrowSet {
    /// Every message added so far.
    elements: BTreeSet<i64>,
}

impl GrowSet {
    /// The messages, in ascending order.
    pub fn elements(&self) -> &BTreeSet<i64> {
        &self.elements
    }
}

impl App for GrowSet {
    /// The message to add.
    type Update = i64;
    /// Read everything.
    type Query = ();
    /// Every message, ascending.
    type Reply = Vec<i64>;

    fn apply(&mut self, update: &i64, _ctx: &ApplyContext<'_>) {
        self.elements.insert(*update);
    }

    fn query(&self, _query: &()) -> Vec<i64> {
        self.elements.iter().copied().collect()
    }
}

impl MaelstromApp for GrowSet {
    type Then = ();

    fn request(kind: &str, b: &Body) -> Result<Step<Self>, RequestError> {
        match kind {
            "broadcast" => Ok(Step::Update {
                op: int_field(b, "message")?,
                reply: body("broadcast_ok"),
            }),
            "read" => Ok(Step::Query {
                query: (),
                then: (),
            }),
            other => Err(unknown_type(other, "broadcast")),
        }
    }

    fn answered(_then: (), reply: Vec<i64>) -> Step<Self> {
        let messages = Value::Array(reply.into_iter().map(Value::from).collect());
        Step::Reply(with(body("read_ok"), "messages", messages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::conformance::check_convergence;

    #[test]
    fn grow_set_converges_under_any_delivery_order() {
        let updates: Vec<i64> = (0..40).map(|i| (i * 7) % 23).collect();
        for seed in 0..20 {
            check_convergence(&GrowSet::default(), &updates, 20, seed).unwrap();
        }
    }
}
