//! The `txn-rw-register` workload, strict-serializable: every transaction is
//! one forced operation, evaluated whole at its place in the order.

use std::collections::BTreeMap;

use hearsay_core::forced::Machine;
use serde_json::Value;

use super::registers::{MicroOp, parse_txn};
use crate::codes::RequestError;
use crate::envelope::{Body, body};
use crate::forced_app::ForcedApp;
use crate::service::{unknown_type, with};

/// Integer registers changed only by whole transactions, in the one order the
/// voters agree on.
///
/// A transaction's reads are decided at its place in the order, against the
/// state every earlier transaction left (overlaid with its own earlier
/// writes), and its writes apply right there. Since the order is a total order
/// that respects real time (a transaction is ordered after every transaction
/// acknowledged before it was submitted), the history is strict serializable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SerialRegisters {
    /// Per key: its value.
    cells: BTreeMap<i64, i64>,
}

impl SerialRegisters {
    /// The value of `key`, if it was ever written.
    pub fn get(&self, key: i64) -> Option<i64> {
        self.cells.get(&key).copied()
    }

    /// What `txn` reads against this state: one value per read micro-op, in
    /// order, each seeing the transaction's own earlier writes.
    pub fn reads(&self, txn: &[MicroOp]) -> Vec<Option<i64>> {
        let mut own: BTreeMap<i64, i64> = BTreeMap::new();
        let mut out = Vec::new();
        for op in txn {
            match *op {
                MicroOp::Read(k) => out.push(own.get(&k).copied().or_else(|| self.get(k))),
                MicroOp::Write(k, v) => {
                    own.insert(k, v);
                }
            }
        }
        out
    }
}

impl Machine for SerialRegisters {
    /// The micro-operations, in the client's order.
    type Op = Vec<MicroOp>;
    /// The value each read micro-op returned, in order (`None`: never written).
    type Outcome = Vec<Option<i64>>;

    fn decide(&self, txn: &Vec<MicroOp>) -> Vec<Option<i64>> {
        self.reads(txn)
    }

    fn apply(&mut self, txn: &Vec<MicroOp>, _reads: &Vec<Option<i64>>) {
        // Blind writes: what they write does not depend on what was read.
        for op in txn {
            if let MicroOp::Write(k, v) = *op {
                self.cells.insert(k, v);
            }
        }
    }
}

impl ForcedApp for SerialRegisters {
    fn request(kind: &str, b: &Body) -> Result<Vec<MicroOp>, RequestError> {
        if kind != "txn" {
            return Err(unknown_type(kind, "txn-rw-register"));
        }
        parse_txn(b.get("txn"))
    }

    fn answer(txn: &Vec<MicroOp>, reads: &Vec<Option<i64>>) -> Result<Body, RequestError> {
        let mut reads = reads.iter();
        let done: Vec<Value> = txn
            .iter()
            .map(|op| match *op {
                MicroOp::Read(k) => {
                    let v = reads.next().copied().flatten();
                    Value::Array(vec![
                        "r".into(),
                        k.into(),
                        v.map_or(Value::Null, Value::from),
                    ])
                }
                MicroOp::Write(k, v) => Value::Array(vec!["w".into(), k.into(), v.into()]),
            })
            .collect();
        Ok(with(body("txn_ok"), "txn", Value::Array(done)))
    }

    fn may_change(txn: &Vec<MicroOp>) -> bool {
        txn.iter().any(|op| matches!(op, MicroOp::Write(..)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::forced::check_decisions;
    use serde_json::json;

    #[test]
    fn decisions_replay_to_the_same_state() {
        let txns: Vec<Vec<MicroOp>> = (0..40)
            .map(|i| {
                vec![
                    MicroOp::Read(i % 3),
                    MicroOp::Write(i % 3, i),
                    MicroOp::Read(i % 3),
                    MicroOp::Write((i + 1) % 4, 100 + i),
                ]
            })
            .collect();
        check_decisions(&SerialRegisters::default(), &txns).unwrap();
    }

    #[test]
    fn a_transaction_reads_the_order_so_far_and_its_own_writes() {
        let mut s = SerialRegisters::default();
        let t1 = vec![MicroOp::Write(1, 5), MicroOp::Write(2, 6)];
        let d = s.decide(&t1);
        s.apply(&t1, &d);
        let b = with(
            body("txn"),
            "txn",
            json!([["r", 1, null], ["w", 1, 7], ["r", 1, null], ["r", 3, null]]),
        );
        let t2 = SerialRegisters::request("txn", &b).unwrap();
        assert!(SerialRegisters::may_change(&t2));
        let d = s.decide(&t2);
        assert_eq!(d, vec![Some(5), Some(7), None]);
        let reply = SerialRegisters::answer(&t2, &d).unwrap();
        assert_eq!(
            reply.get("txn"),
            Some(&json!([
                ["r", 1, 5],
                ["w", 1, 7],
                ["r", 1, 7],
                ["r", 3, null]
            ]))
        );
        s.apply(&t2, &d);
        assert_eq!(s.get(1), Some(7));
        assert!(!SerialRegisters::may_change(&[MicroOp::Read(1)].to_vec()));
        assert!(SerialRegisters::request("read", &Body::new()).is_err());
    }
}
