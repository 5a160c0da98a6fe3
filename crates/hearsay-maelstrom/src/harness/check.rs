//! Checks a run's history the way Maelstrom's checkers would, in small.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use super::forced_check::{Evidence, check_lin_kv, check_serializable, same_order};
use super::ops::{OpRecord, Outcome};
use crate::workload::Workload;

/// What the checker found.
#[derive(Clone, Debug, Default)]
pub(crate) struct Verdict {
    /// Problems; empty means valid.
    pub(crate) problems: Vec<String>,
    /// Broadcast only: per acknowledged message, Jepsen's stable latency.
    pub(crate) stable_latencies: Vec<Duration>,
    /// lin-kv only: keys whose histories were searched.
    pub(crate) keys_checked: usize,
    /// lin-kv only: keys whose search gave up (too large to decide).
    pub(crate) keys_undecided: usize,
}

/// Checks `ops` for `workload`; `evidence` is what the nodes said about the
/// forced order (unused by the other workloads).
pub(crate) fn check(workload: Workload, ops: &[OpRecord], evidence: &Evidence) -> Verdict {
    let mut v = Verdict::default();
    let finals: Vec<&OpRecord> = ops.iter().filter(|o| o.is_final).collect();
    if workload != Workload::Echo {
        for f in &finals {
            if f.outcome != Outcome::Ok {
                v.problems
                    .push(format!("the final read on {} did not succeed", f.node));
            }
        }
    }
    match workload {
        Workload::Echo => check_echo(ops, &mut v),
        Workload::Broadcast => check_broadcast(ops, &mut v),
        Workload::GCounter => check_counter(ops, &mut v),
        Workload::TxnRwRegister => check_txn(ops, &mut v),
        Workload::LinKv => {
            same_order(&evidence.orders, &mut v.problems);
            (v.keys_checked, v.keys_undecided) = check_lin_kv(ops, &mut v.problems);
        }
        Workload::TxnSerializable => {
            check_txn(ops, &mut v);
            let order = same_order(&evidence.orders, &mut v.problems);
            check_serializable(ops, &order, &evidence.ids, &mut v.problems);
        }
    }
    v
}

fn ok<'a>(ops: &'a [OpRecord], kind: &'a str) -> impl Iterator<Item = &'a OpRecord> + 'a {
    ops.iter()
        .filter(move |o| o.outcome == Outcome::Ok && o.kind() == kind)
}

fn check_echo(ops: &[OpRecord], v: &mut Verdict) {
    for o in ok(ops, "echo") {
        if o.reply.get("echo") != o.request.get("echo") {
            v.problems
                .push(format!("echo_ok {} for {:?}", o.reply, o.request));
        }
    }
}

/// Jepsen's set-full, for the broadcast workload: every acknowledged message
/// is in every final read, reads hold only messages someone broadcast, and
/// the stable latency of a message is from when it was known (acknowledged,
/// or first read) to the invocation of the last read that missed it.
fn check_broadcast(ops: &[OpRecord], v: &mut Verdict) {
    let attempted: BTreeSet<i64> = ops
        .iter()
        .filter(|o| o.kind() == "broadcast")
        .filter_map(|o| o.request.get("message").and_then(Value::as_i64))
        .collect();
    let reads: Vec<(&OpRecord, BTreeSet<i64>)> = ok(ops, "read")
        .map(|o| {
            let seen = o
                .reply
                .get("messages")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            (o, seen)
        })
        .collect();
    for (o, seen) in &reads {
        if let Some(x) = seen.iter().find(|x| !attempted.contains(x)) {
            v.problems
                .push(format!("{} read {x}, which nobody broadcast", o.node));
        }
    }
    let mut lost = 0usize;
    for o in ok(ops, "broadcast") {
        let Some(m) = o.request.get("message").and_then(Value::as_i64) else {
            continue;
        };
        let Some(acked) = o.complete else { continue };
        let first_seen = reads
            .iter()
            .filter(|(_, s)| s.contains(&m))
            .filter_map(|(r, _)| r.complete)
            .min();
        let known = first_seen.map_or(acked, |t| t.min(acked));
        let last_absent = reads
            .iter()
            .filter(|(_, s)| !s.contains(&m))
            .map(|(r, _)| r.invoke)
            .max();
        v.stable_latencies
            .push(last_absent.map_or(Duration::ZERO, |t| t.saturating_since(known)));
        if reads.iter().any(|(r, s)| r.is_final && !s.contains(&m)) {
            lost += 1;
        }
    }
    if lost > 0 {
        v.problems.push(format!(
            "{lost} acknowledged messages missing from a final read"
        ));
    }
}

/// Maelstrom's counter checker: every final read is the sum of the
/// acknowledged adds plus some of the indeterminate ones.
fn check_counter(ops: &[OpRecord], v: &mut Verdict) {
    let delta = |o: &OpRecord| o.request.get("delta").and_then(Value::as_i64).unwrap_or(0);
    let sure: i64 = ok(ops, "add").map(delta).sum();
    let (mut low, mut high) = (sure, sure);
    for o in ops
        .iter()
        .filter(|o| o.kind() == "add" && o.outcome == Outcome::Info)
    {
        let d = delta(o);
        if d < 0 { low += d } else { high += d }
    }
    for o in ops
        .iter()
        .filter(|o| o.is_final && o.outcome == Outcome::Ok)
    {
        let read = o.reply.get("value").and_then(Value::as_i64);
        if !read.is_some_and(|r| (low..=high).contains(&r)) {
            v.problems.push(format!(
                "final read on {} is {read:?}, expected {low}..={high}",
                o.node
            ));
        }
    }
}

/// For txn-rw-register: final reads agree across nodes, and every value a
/// transaction read was the final write of some transaction to that key (no
/// aborted or intermediate reads, Adya's G1a and G1b).
fn check_txn(ops: &[OpRecord], v: &mut Verdict) {
    let mut committed: BTreeSet<(i64, i64)> = BTreeSet::new();
    // Writes that may have taken effect: all but definite failures (an
    // error 0, timeout, is indefinite).
    for o in ops
        .iter()
        .filter(|o| o.kind() == "txn" && (o.outcome != Outcome::Fail || o.error_code() == Some(0)))
    {
        let mut last: BTreeMap<i64, i64> = BTreeMap::new();
        for (f, k, x) in micro_ops(o.request.get("txn")) {
            if let (true, Some(x)) = (f == "w", x) {
                last.insert(k, x);
            }
        }
        committed.extend(last);
    }
    let mut finals: Vec<(&str, BTreeMap<i64, Option<i64>>)> = Vec::new();
    for o in ok(ops, "txn") {
        let mut own: BTreeSet<i64> = BTreeSet::new();
        let mut state = BTreeMap::new();
        for (f, k, x) in micro_ops(o.reply.get("txn")) {
            if f == "w" {
                own.insert(k);
            } else if let Some(x) = x {
                if !own.contains(&k) && !committed.contains(&(k, x)) {
                    v.problems
                        .push(format!("{} read {k}={x}, never committed", o.node));
                }
                state.insert(k, Some(x));
            } else {
                state.insert(k, None);
            }
        }
        if o.is_final {
            finals.push((o.node.as_str(), state));
        }
    }
    if let Some((first_node, first)) = finals.first() {
        for (node, state) in &finals[1..] {
            if state != first {
                v.problems
                    .push(format!("final states of {first_node} and {node} differ"));
            }
        }
    }
}

/// `(f, key, value)` of each micro-operation in a `txn` array.
fn micro_ops(txn: Option<&Value>) -> Vec<(String, i64, Option<i64>)> {
    txn.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    let m = m.as_array()?;
                    let f = m.first()?.as_str()?.to_owned();
                    let k = m.get(1)?.as_i64()?;
                    Some((f, k, m.get(2).and_then(Value::as_i64)))
                })
                .collect()
        })
        .unwrap_or_default()
}
