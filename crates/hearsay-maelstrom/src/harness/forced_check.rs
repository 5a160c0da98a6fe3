//! Checks of the forced workloads' histories: the same order at every node,
//! linearizability of lin-kv per key (Wing–Gong search with a register/CAS
//! model), and strict serializability of the transactions against the order
//! the voters committed.

use std::collections::BTreeMap;

use hearsay_core::forced::linearizable::{self, Operation, Register, RegisterOp, RegisterRet};
use hearsay_core::forced::{Entry, EntryBody, RequestId};
use serde_json::Value;

use super::ops::{OpRecord, Outcome};
use crate::apps::{MicroOp, SerialRegisters};
use crate::codes::ErrorCode;

/// States the linearizability search may explore per key before it gives up.
const SEARCH_BUDGET: usize = 200_000;

/// What the nodes said about the order, gathered after a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Evidence {
    /// Each node's committed order, entries as JSON.
    pub(crate) orders: Vec<(String, Vec<Value>)>,
    /// The request id each `(client, msg_id)` got.
    pub(crate) ids: BTreeMap<(String, u64), RequestId>,
}

/// Every node's committed order is a prefix of the longest one. Returns the
/// longest, or a problem naming the first disagreement.
pub(crate) fn same_order(
    orders: &[(String, Vec<Value>)],
    problems: &mut Vec<String>,
) -> Vec<Value> {
    let Some((longest_node, longest)) = orders.iter().max_by_key(|(_, o)| o.len()) else {
        return Vec::new();
    };
    for (node, order) in orders {
        if let Some(at) = order.iter().zip(longest).position(|(a, b)| a != b) {
            problems.push(format!(
                "{node} and {longest_node} committed different operations at op {}",
                at + 1
            ));
        }
    }
    longest.clone()
}

/// Per key, lin-kv's reads, writes and compare-and-sets as register
/// operations. Returns how many keys were checked and how many searches gave
/// up (too many concurrent or indeterminate operations).
pub(crate) fn check_lin_kv(ops: &[OpRecord], problems: &mut Vec<String>) -> (usize, usize) {
    let mut keys: BTreeMap<i64, Vec<Operation<RegisterOp, RegisterRet>>> = BTreeMap::new();
    for o in ops {
        let Some(key) = o.request.get("key").and_then(Value::as_i64) else {
            continue;
        };
        let int = |f: &str| o.request.get(f).and_then(Value::as_u64);
        let op = match (o.kind(), int("value"), int("from"), int("to")) {
            ("read", ..) => RegisterOp::Read,
            ("write", Some(v), ..) => RegisterOp::Write(v),
            ("cas", _, Some(from), Some(to)) => RegisterOp::Cas { from, to },
            _ => continue,
        };
        let done = |ret| o.complete.map(|t| (t.as_micros(), ret));
        let ret = match (o.outcome, o.error_code(), op) {
            (Outcome::Ok, _, RegisterOp::Read) => {
                let v = o.reply.get("value").and_then(Value::as_u64);
                done(RegisterRet::Value(v))
            }
            (Outcome::Ok, ..) => done(RegisterRet::Done),
            (Outcome::Fail, Some(20), RegisterOp::Read) => done(RegisterRet::Value(None)),
            (Outcome::Fail, Some(20 | 22), RegisterOp::Cas { .. }) => done(RegisterRet::Mismatch),
            // Indefinite: it may have taken effect, at any time after its call.
            (Outcome::Fail, Some(0), _) | (Outcome::Info | Outcome::Pending, ..) => None,
            // Any other error is definite: it did not happen.
            (Outcome::Fail, ..) => continue,
        };
        keys.entry(key).or_default().push(Operation {
            call: o.invoke.as_micros(),
            ret,
            op,
        });
    }
    let mut gave_up = 0;
    for (key, history) in &keys {
        match linearizable::check(&Register::default(), history, SEARCH_BUDGET) {
            linearizable::Verdict::Linearizable => {}
            linearizable::Verdict::NotLinearizable => problems.push(format!(
                "lin-kv key {key}: no linearization of its {} operations",
                history.len()
            )),
            linearizable::Verdict::GaveUp(_) => gave_up += 1,
        }
    }
    (keys.len(), gave_up)
}

/// Where a transaction stands in the committed order, and what it should
/// have read there.
struct Placed {
    pos: usize,
    reads: Vec<Option<i64>>,
}

/// Strict serializability against the committed `order`: replaying it from
/// the empty state, every acknowledged transaction is in it and read exactly
/// what the replay reads at its place; no transaction refused definitely
/// with a write took effect; and a transaction acknowledged before another
/// was invoked comes first in the order.
pub(crate) fn check_serializable(
    ops: &[OpRecord],
    order: &[Value],
    ids: &BTreeMap<(String, u64), RequestId>,
    problems: &mut Vec<String>,
) {
    let mut state = SerialRegisters::default();
    let mut placed: BTreeMap<RequestId, Placed> = BTreeMap::new();
    for (pos, e) in order.iter().enumerate() {
        let entry: Entry<Vec<MicroOp>, Vec<Option<i64>>> = match serde_json::from_value(e.clone()) {
            Ok(entry) => entry,
            Err(err) => {
                problems.push(format!("op {}: unreadable entry ({err})", pos + 1));
                continue;
            }
        };
        let EntryBody::Op { op, outcome } = entry.body else {
            continue;
        };
        let reads = state.reads(&op);
        if reads != outcome {
            problems.push(format!(
                "op {}: the order recorded reads {outcome:?}, the replay reads {reads:?}",
                pos + 1
            ));
        }
        hearsay_core::forced::Machine::apply(&mut state, &op, &outcome);
        if placed.insert(entry.id, Placed { pos, reads }).is_some() {
            problems.push(format!("{:?} was ordered twice", entry.id));
        }
    }
    // (position, invoke, complete) of every transaction in the order.
    let mut timeline: Vec<(usize, u64, Option<u64>)> = Vec::new();
    for o in ops.iter().filter(|o| o.kind() == "txn") {
        let at = ids
            .get(&(o.client.clone(), o.msg_id))
            .and_then(|id| placed.get(id));
        let writes = o
            .request
            .get("txn")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|m| m.get(0).and_then(Value::as_str) == Some("w"))
            });
        match (o.outcome, at) {
            (Outcome::Ok, None) => problems.push(format!(
                "{} acknowledged txn {} of {}, which is not in the order",
                o.node, o.msg_id, o.client
            )),
            (Outcome::Ok, Some(p)) => {
                let seen: Vec<Option<i64>> = o
                    .reply
                    .get("txn")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter(|m| m.get(0).and_then(Value::as_str) == Some("r"))
                            .map(|m| m.get(2).and_then(Value::as_i64))
                            .collect()
                    })
                    .unwrap_or_default();
                if seen != p.reads {
                    problems.push(format!(
                        "txn {} of {} read {seen:?}; at its place ({}) the order gives {:?}",
                        o.msg_id,
                        o.client,
                        p.pos + 1,
                        p.reads
                    ));
                }
            }
            (Outcome::Fail, Some(_))
                if writes
                    && o.error_code()
                        .is_some_and(|c| c != ErrorCode::Timeout.code()) =>
            {
                problems.push(format!(
                    "txn {} of {} was refused (code {:?}) but took effect",
                    o.msg_id,
                    o.client,
                    o.error_code()
                ));
            }
            _ => {}
        }
        if let Some(p) = at {
            let complete = (o.outcome == Outcome::Ok)
                .then(|| o.complete.map(|t| t.as_micros()))
                .flatten();
            timeline.push((p.pos, o.invoke.as_micros(), complete));
        }
    }
    real_time_order(&mut timeline, problems);
}

/// A transaction acknowledged before another was invoked precedes it in the
/// order.
fn real_time_order(timeline: &mut [(usize, u64, Option<u64>)], problems: &mut Vec<String>) {
    timeline.sort_by_key(|&(_, invoke, _)| invoke);
    // suffix_min[i]: the earliest position among those invoked at i or later.
    let mut suffix_min = vec![usize::MAX; timeline.len() + 1];
    for i in (0..timeline.len()).rev() {
        suffix_min[i] = suffix_min[i + 1].min(timeline[i].0);
    }
    let mut late = 0usize;
    for &(pos, _, complete) in timeline.iter() {
        let Some(done) = complete else { continue };
        let first_after = timeline.partition_point(|&(_, invoke, _)| invoke <= done);
        if suffix_min[first_after] < pos {
            late += 1;
        }
    }
    if late > 0 {
        problems.push(format!(
            "{late} acknowledged transactions are ordered after a transaction invoked once they had returned"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::Time;
    use serde_json::json;

    fn record(
        client: &str,
        msg_id: u64,
        invoke: u64,
        complete: u64,
        request: Value,
        reply: Value,
    ) -> OpRecord {
        OpRecord {
            node: "n0".into(),
            client: client.into(),
            msg_id,
            request: request.as_object().cloned().unwrap_or_default(),
            invoke: Time::from_micros(invoke),
            complete: Some(Time::from_micros(complete)),
            outcome: Outcome::Ok,
            reply,
            is_final: false,
        }
    }

    fn entry(client: u64, op: Value, outcome: Value) -> Value {
        json!({"id": {"client": client, "seq": 1}, "body": {"Op": {"op": op, "outcome": outcome}}})
    }

    #[test]
    fn a_stale_read_against_the_order_is_caught() {
        // Order: T1 writes x=1, then T2 reads x.
        let order = vec![
            entry(1, json!([{"Write": [0, 1]}]), json!([])),
            entry(2, json!([{"Read": 0}]), json!([1])),
        ];
        let ids = BTreeMap::from([
            (("a".to_owned(), 1), RequestId { client: 1, seq: 1 }),
            (("b".to_owned(), 2), RequestId { client: 2, seq: 1 }),
        ]);
        let w = record(
            "a",
            1,
            0,
            10,
            json!({"type": "txn", "txn": [["w", 0, 1]]}),
            json!({"txn": [["w", 0, 1]]}),
        );
        let good = record(
            "b",
            2,
            20,
            30,
            json!({"type": "txn", "txn": [["r", 0, null]]}),
            json!({"txn": [["r", 0, 1]]}),
        );
        let mut problems = Vec::new();
        check_serializable(&[w.clone(), good], &order, &ids, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let stale = record(
            "b",
            2,
            20,
            30,
            json!({"type": "txn", "txn": [["r", 0, null]]}),
            json!({"txn": [["r", 0, null]]}),
        );
        check_serializable(&[w, stale], &order, &ids, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn real_time_order_is_enforced() {
        // T1 returned at 10, T2 invoked at 20, but T2 is first in the order.
        let mut timeline = vec![(1, 0, Some(10)), (0, 20, Some(30))];
        let mut problems = Vec::new();
        real_time_order(&mut timeline, &mut problems);
        assert_eq!(problems.len(), 1);
        let mut concurrent = vec![(1, 0, Some(25)), (0, 20, Some(30))];
        let mut problems = Vec::new();
        real_time_order(&mut concurrent, &mut problems);
        assert!(problems.is_empty());
    }

    #[test]
    fn diverging_orders_are_caught() {
        let a = entry(1, json!([{"Write": [0, 1]}]), json!([]));
        let b = entry(2, json!([{"Write": [0, 2]}]), json!([]));
        let mut problems = Vec::new();
        let longest = same_order(
            &[
                ("n0".into(), vec![a.clone()]),
                ("n1".into(), vec![a.clone(), b.clone()]),
            ],
            &mut problems,
        );
        assert!(problems.is_empty() && longest.len() == 2);
        same_order(
            &[("n0".into(), vec![b]), ("n1".into(), vec![a.clone(), a])],
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn a_lin_kv_read_of_an_overwritten_value_is_caught() {
        let w = |v: u64, t: u64| {
            record(
                "a",
                t,
                t,
                t + 1,
                json!({"type": "write", "key": 3, "value": v}),
                json!({"type": "write_ok"}),
            )
        };
        let r = |v: u64, t: u64| {
            record(
                "b",
                t,
                t,
                t + 1,
                json!({"type": "read", "key": 3}),
                json!({"type": "read_ok", "value": v}),
            )
        };
        let mut problems = Vec::new();
        assert_eq!(
            check_lin_kv(&[w(1, 0), w(2, 10), r(2, 20)], &mut problems),
            (1, 0)
        );
        assert!(problems.is_empty(), "{problems:?}");
        check_lin_kv(&[w(1, 0), w(2, 10), r(1, 20)], &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
