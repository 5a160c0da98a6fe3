//! Several nodes through the in-memory network, with latency and a
//! partition, then healed: every workload's reads converge.

use std::time::Duration;

use hearsay_maelstrom::harness::{Cluster, Latency, SimConfig, simulate};
use hearsay_maelstrom::{Tuning, Workload};
use serde_json::{Map, Value, json};

fn body(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("tests pass objects"),
    }
}

/// Sends `request` from a fresh client to each node at once; returns each
/// node's reply body.
fn ask_all(net: &mut Cluster, request: Value, wait_ms: u64) -> Vec<Value> {
    let nodes = net.node_ids();
    for n in &nodes {
        net.send(&format!("reader-{n}"), n, body(request.clone()));
    }
    let until = net.now() + Duration::from_millis(wait_ms);
    net.run_until(until);
    let mut replies: Vec<_> = net
        .take_inbox()
        .into_iter()
        .filter(|d| d.to.starts_with("reader-"))
        .collect();
    replies.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(replies.len(), nodes.len(), "every node answers");
    replies.into_iter().map(|d| d.body).collect()
}

/// Two halves cut apart while clients write on both sides, then healed.
fn partitioned_run(
    workload: Workload,
    nodes: usize,
    tuning: Tuning,
    writes: impl Fn(u64) -> Value,
) -> (Cluster, Vec<u64>) {
    let latency = Latency::Uniform(Duration::from_millis(20));
    let mut net = Cluster::new(workload, nodes, tuning, latency, 42);
    let ids = net.node_ids();
    let (left, right) = ids.split_at(nodes / 2);
    eprintln!("phase: writes with the network whole");
    let mut acked = Vec::new();
    let mut i = 0u64;
    let write_round = |net: &mut Cluster, acked: &mut Vec<u64>, i: &mut u64| {
        for n in &ids {
            *i += 1;
            let msg_id = net.send(&format!("c{i}"), n, body(writes(*i)));
            let _ = msg_id;
        }
        let until = net.now() + Duration::from_millis(100);
        net.run_until(until);
        for d in net.take_inbox() {
            if d.body["type"] != "error" {
                let n: u64 = d.to[1..].parse().unwrap();
                acked.push(n);
            }
        }
    };
    for _ in 0..3 {
        write_round(&mut net, &mut acked, &mut i);
    }
    eprintln!("phase: partition {left:?} | {right:?}, writes on both sides");
    net.partition(&[left.to_vec(), right.to_vec()]);
    for _ in 0..5 {
        write_round(&mut net, &mut acked, &mut i);
    }
    assert!(net.dropped() > 0, "the partition dropped gossip");
    eprintln!("phase: heal and let anti-entropy repair");
    net.heal();
    let until = net.now() + Duration::from_secs(5);
    net.run_until(until);
    (net, acked)
}

#[test]
fn broadcast_converges_after_a_partition_mesh_and_hub() {
    for (nodes, label) in [(4, "mesh"), (9, "hub")] {
        eprintln!("== {label} of {nodes}");
        let (mut net, acked) = partitioned_run(
            Workload::Broadcast,
            nodes,
            Tuning::default(),
            |i| json!({"type": "broadcast", "message": i}),
        );
        assert_eq!(
            acked.len(),
            nodes * 8,
            "every broadcast is acknowledged, partition or not"
        );
        let mut expected: Vec<u64> = acked.clone();
        expected.sort_unstable();
        for r in ask_all(&mut net, json!({"type": "read"}), 500) {
            let got: Vec<u64> = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(got, expected, "{label}");
        }
    }
}

#[test]
fn counter_converges_after_a_partition() {
    let (mut net, acked) = partitioned_run(
        Workload::GCounter,
        3,
        Tuning::default(),
        |i| json!({"type": "add", "delta": i % 4}),
    );
    let sum: u64 = acked.iter().map(|i| i % 4).sum();
    for r in ask_all(&mut net, json!({"type": "read"}), 500) {
        assert_eq!(r["value"].as_u64(), Some(sum));
    }
}

#[test]
fn transactions_converge_after_a_partition() {
    let (mut net, acked) = partitioned_run(
        Workload::TxnRwRegister,
        2,
        Tuning::default(),
        |i| json!({"type": "txn", "txn": [["r", i % 3, null], ["w", i % 3, i], ["w", 10 + i % 2, i]]}),
    );
    assert_eq!(acked.len(), 16);
    let reads = json!({"type": "txn", "txn": [["r", 0, null], ["r", 1, null], ["r", 2, null], ["r", 10, null], ["r", 11, null]]});
    let states = ask_all(&mut net, reads, 500);
    assert!(
        states.windows(2).all(|w| w[0]["txn"] == w[1]["txn"]),
        "{states:?}"
    );
    assert!(
        states[0]["txn"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m[2].is_null())
    );
}

#[test]
fn simulated_runs_are_valid_with_partitions() {
    for (workload, nodes, concurrency) in [
        (Workload::Broadcast, 7, 7),
        (Workload::GCounter, 3, 3),
        (Workload::TxnRwRegister, 2, 4),
    ] {
        let mut c = SimConfig::new(workload, nodes);
        c.concurrency = concurrency;
        c.rate = 50.0;
        c.time_limit = Duration::from_secs(6);
        c.nemesis_interval = Duration::from_secs(2);
        c.recovery = Duration::from_secs(3);
        c.latency = Latency::Exponential(Duration::from_millis(20));
        c.partitions = true;
        // So that 7 nodes use a hub.
        c.tuning = Tuning {
            mesh_max: 3,
            ..Tuning::default()
        };
        let report = simulate(&c);
        eprintln!("{report}");
        assert!(report.valid(), "{report}");
        assert_eq!(report.fail + report.info, 0, "totally available: {report}");
        assert_eq!(report.unpropagated, 0, "{report}");
    }
}

#[test]
fn a_hub_keeps_messages_per_op_low_and_latency_near_two_hops() {
    let mut c = SimConfig::new(Workload::Broadcast, 10);
    c.time_limit = Duration::from_secs(5);
    c.recovery = Duration::from_secs(2);
    c.rate = 40.0;
    c.tuning = Tuning {
        mesh_max: 3,
        ..Tuning::default()
    };
    let report = simulate(&c);
    eprintln!("{report}");
    assert!(report.valid(), "{report}");
    assert!(report.msgs_per_op < 10.0, "{report}");
    // Two 100 ms hops plus at most one 50 ms batch.
    assert!(
        report.propagation.max <= Duration::from_millis(260),
        "{report}"
    );
}
