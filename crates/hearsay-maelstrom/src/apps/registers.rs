//! The `txn-rw-register` workload: integer registers read and written by
//! transactions, each transaction's writes applied atomically as one update.

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext, Arbitration};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::RequestError;
use crate::envelope::{Body, body};
use crate::service::{MaelstromApp, Step, unknown_type, with};

/// A map of integer keys to integer registers, last writer wins.
///
/// A transaction reads from the replica's applied state (a causally closed
/// cut: every update in it comes with its causal past) and commits its writes
/// as *one* update, so other replicas apply all of them or none, never part.
/// Concurrent writes to a key are decided by the core's arbitration order,
/// which extends causality: a write that read a value always beats that value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registers {
    /// Per key: the value and the arbitration of the update that wrote it.
    /// Keeping the arbitration is what makes concurrent writes commute.
    cells: BTreeMap<i64, (i64, Arbitration)>,
}

impl Registers {
    /// The value of `key`, if it was ever written.
    pub fn get(&self, key: i64) -> Option<i64> {
        self.cells.get(&key).map(|(v, _)| *v)
    }

    /// Every key and its value, ascending.
    pub fn values(&self) -> BTreeMap<i64, i64> {
        self.cells.iter().map(|(k, (v, _))| (*k, *v)).collect()
    }
}

/// What one transaction commits: the final value it wrote to each key.
///
/// Only the last write of each key is kept, so no other transaction can ever
/// observe an intermediate value (Adya's G1b).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writes(pub BTreeMap<i64, i64>);

/// One micro-operation of a transaction, in the order the client gave them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MicroOp {
    /// `["r", key, null]`: read a register.
    Read(i64),
    /// `["w", key, value]`: write a register.
    Write(i64, i64),
}

/// A transaction waiting for its reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TxnPlan {
    /// The micro-operations, in order.
    ops: Vec<MicroOp>,
    /// The keys the query asked for, in the query's order.
    keys: Vec<i64>,
}

impl App for Registers {
    type Update = Writes;
    /// The keys to read.
    type Query = Vec<i64>;
    /// Their values, in the same order (`None`: never written).
    type Reply = Vec<Option<i64>>;

    fn apply(&mut self, update: &Writes, ctx: &ApplyContext<'_>) {
        for (key, value) in &update.0 {
            match self.cells.get_mut(key) {
                Some(cell) if cell.1 >= ctx.order => {}
                Some(cell) => *cell = (*value, ctx.order),
                None => {
                    self.cells.insert(*key, (*value, ctx.order));
                }
            }
        }
    }

    fn query(&self, keys: &Vec<i64>) -> Vec<Option<i64>> {
        keys.iter().map(|k| self.get(*k)).collect()
    }
}

impl MaelstromApp for Registers {
    type Then = TxnPlan;

    fn request(kind: &str, b: &Body) -> Result<Step<Self>, RequestError> {
        if kind != "txn" {
            return Err(unknown_type(kind, "txn-rw-register"));
        }
        let ops = parse_txn(b.get("txn"))?;
        let mut keys: Vec<i64> = ops
            .iter()
            .filter_map(|op| match op {
                MicroOp::Read(k) => Some(*k),
                MicroOp::Write(..) => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // Even a write-only transaction queries first: the answer's timestamp
        // becomes the update's causal context, so the writes are ordered after
        // everything this replica has applied.
        Ok(Step::Query {
            query: keys.clone(),
            then: TxnPlan { ops, keys },
        })
    }

    fn answered(plan: TxnPlan, reply: Vec<Option<i64>>) -> Step<Self> {
        let read: BTreeMap<i64, Option<i64>> = plan.keys.iter().copied().zip(reply).collect();
        let mut writes = BTreeMap::new();
        let mut done = Vec::with_capacity(plan.ops.len());
        for op in plan.ops {
            done.push(match op {
                MicroOp::Read(k) => {
                    let v = writes
                        .get(&k)
                        .copied()
                        .or_else(|| read.get(&k).copied().flatten());
                    Value::Array(vec![
                        "r".into(),
                        k.into(),
                        v.map_or(Value::Null, Value::from),
                    ])
                }
                MicroOp::Write(k, v) => {
                    writes.insert(k, v);
                    Value::Array(vec!["w".into(), k.into(), v.into()])
                }
            });
        }
        let reply = with(body("txn_ok"), "txn", Value::Array(done));
        if writes.is_empty() {
            Step::Reply(reply)
        } else {
            Step::Update {
                op: Writes(writes),
                reply,
            }
        }
    }
}

/// Reads `[["r", k, null], ["w", k, v], ...]`.
pub(crate) fn parse_txn(txn: Option<&Value>) -> Result<Vec<MicroOp>, RequestError> {
    let Some(Value::Array(items)) = txn else {
        return Err(RequestError::malformed(
            "`txn` must be an array of micro-operations",
        ));
    };
    items
        .iter()
        .map(|item| {
            let bad = || RequestError::malformed(format!("bad micro-operation {item}"));
            let Value::Array(parts) = item else {
                return Err(bad());
            };
            let [f, k, v] = parts.as_slice() else {
                return Err(bad());
            };
            let key = k.as_i64().ok_or_else(bad)?;
            match f.as_str() {
                Some("r") => Ok(MicroOp::Read(key)),
                Some("w") => Ok(MicroOp::Write(key, v.as_i64().ok_or_else(bad)?)),
                _ => Err(bad()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::conformance::check_convergence;
    use serde_json::json;

    #[test]
    fn registers_converge_under_any_delivery_order() {
        let updates: Vec<Writes> = (0..40)
            .map(|i| Writes(BTreeMap::from([(i % 3, i), ((i + 1) % 4, 100 + i)])))
            .collect();
        for seed in 0..20 {
            check_convergence(&Registers::default(), &updates, 20, seed).unwrap();
        }
    }

    #[test]
    fn a_transaction_reads_its_own_writes_and_commits_only_final_values() {
        let b = with(
            body("txn"),
            "txn",
            json!([
                ["r", 1, null],
                ["w", 1, 5],
                ["r", 1, null],
                ["w", 1, 6],
                ["r", 2, null]
            ]),
        );
        let Ok(Step::Query { query, then }) = Registers::request("txn", &b) else {
            panic!("a transaction starts with a query");
        };
        assert_eq!(query, vec![1, 2]);
        let Step::Update { op, reply } = Registers::answered(then, vec![Some(9), None]) else {
            panic!("writes make an update");
        };
        assert_eq!(op, Writes(BTreeMap::from([(1, 6)])));
        assert_eq!(
            reply.get("txn"),
            Some(&json!([
                ["r", 1, 9],
                ["w", 1, 5],
                ["r", 1, 5],
                ["w", 1, 6],
                ["r", 2, null]
            ]))
        );
    }

    #[test]
    fn bad_transactions_are_malformed() {
        for txn in [
            json!(null),
            json!([["x", 1, 2]]),
            json!([["w", 1, "a"]]),
            json!([["r", 1]]),
        ] {
            let b = with(body("txn"), "txn", txn);
            assert!(Registers::request("txn", &b).is_err());
        }
    }
}
