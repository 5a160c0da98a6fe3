//! The `g-counter` workload: a counter of added deltas.

use hearsay_core::{App, ApplyContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::RequestError;
use crate::envelope::{Body, body};
use crate::service::{MaelstromApp, Step, int_field, unknown_type, with};

/// A counter: `add {delta}` adds, `read` answers the sum.
///
/// Additions commute, so concurrent adds converge; what the counter needs
/// from the core is *exactly once*: every add is one update with its own
/// update id, and the core applies each id once however often its record
/// arrives. Negative deltas work too (Maelstrom's pn-counter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    /// The sum of every applied delta (wrapping, so no input can panic).
    total: i64,
}

impl Counter {
    /// The sum of every applied delta.
    pub fn total(&self) -> i64 {
        self.total
    }
}

impl App for Counter {
    /// The delta to add.
    type Update = i64;
    /// Read the sum.
    type Query = ();
    /// The sum.
    type Reply = i64;

    fn apply(&mut self, update: &i64, _ctx: &ApplyContext<'_>) {
        self.total = self.total.wrapping_add(*update);
    }

    fn query(&self, _query: &()) -> i64 {
        self.total
    }
}

impl MaelstromApp for Counter {
    type Then = ();

    fn request(kind: &str, b: &Body) -> Result<Step<Self>, RequestError> {
        match kind {
            "add" => Ok(Step::Update {
                op: int_field(b, "delta")?,
                reply: body("add_ok"),
            }),
            "read" => Ok(Step::Query {
                query: (),
                then: (),
            }),
            other => Err(unknown_type(other, "g-counter")),
        }
    }

    fn answered(_then: (), reply: i64) -> Step<Self> {
        Step::Reply(with(body("read_ok"), "value", Value::from(reply)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::conformance::check_convergence;

    #[test]
    fn counter_converges_under_any_delivery_order() {
        let updates: Vec<i64> = (0..40).map(|i| i % 5 - 1).collect();
        for seed in 0..20 {
            check_convergence(&Counter::default(), &updates, 20, seed).unwrap();
        }
    }
}
