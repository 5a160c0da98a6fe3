//! The forced workloads (lin-kv and txn-serializable) through the harness:
//! 3 and 5 nodes, with and without partitions, checked for linearizability
//! and strict serializability; and planted voter bugs that the checks catch.

use std::time::Duration;

use hearsay_core::forced::ForcedBugs;
use hearsay_maelstrom::harness::{Latency, SimConfig, SimReport, simulate};
use hearsay_maelstrom::{Tuning, Workload};

/// A short run: `secs` of requests at `rate`, a partition every 2 s when
/// `partitions`, then recovery.
fn run(
    workload: Workload,
    nodes: usize,
    partitions: bool,
    seed: u64,
    bugs: ForcedBugs,
) -> SimReport {
    let mut c = SimConfig::new(workload, nodes);
    c.rate = 40.0;
    c.time_limit = Duration::from_secs(8);
    c.nemesis_interval = Duration::from_secs(2);
    c.recovery = Duration::from_secs(3);
    c.latency = Latency::Exponential(Duration::from_millis(10));
    c.partitions = partitions;
    c.seed = seed;
    c.tuning = Tuning {
        forced_bugs: bugs,
        ..Tuning::default()
    };
    let report = simulate(&c);
    eprintln!("{report}\n");
    report
}

/// The error codes a run answered with.
fn codes(r: &SimReport) -> Vec<String> {
    r.errors
        .keys()
        .map(|k| k.split(':').next().unwrap_or("").to_owned())
        .collect()
}

/// Checks a healthy run: valid, every operation ordered or refused, and
/// with partitions, view changes happened and some requests found no quorum.
fn healthy(r: &SimReport, partitions: bool) {
    assert!(r.valid(), "{r}");
    assert!(r.ok > 100, "{r}");
    assert_eq!(
        r.info, 0,
        "the node answers before the client times out: {r}"
    );
    assert!(r.ordered >= r.ok.min(r.ops), "{r}");
    let views = r.server_msgs_by_kind.get("StartView").copied().unwrap_or(0);
    if partitions {
        assert!(views > 0, "a partition forced a view change: {r}");
    } else {
        assert_eq!(views, 0, "no view change without faults: {r}");
        for c in codes(r) {
            assert!(
                c == "code 20" || c == "code 22",
                "only the app's own refusals: {r}"
            );
        }
    }
}

#[test]
fn lin_kv_is_linearizable_on_3_and_5_nodes_with_and_without_partitions() {
    for nodes in [3, 5] {
        for partitions in [false, true] {
            eprintln!("phase: lin-kv, {nodes} nodes, partitions: {partitions}");
            let r = run(Workload::LinKv, nodes, partitions, 1, ForcedBugs::default());
            healthy(&r, partitions);
            assert!(r.keys_checked >= 10 && r.keys_undecided == 0, "{r}");
            let codes = codes(&r);
            assert!(
                codes.contains(&"code 20".into()) && codes.contains(&"code 22".into()),
                "{r}"
            );
        }
    }
}

#[test]
fn transactions_are_strict_serializable_on_3_and_5_nodes_with_and_without_partitions() {
    for nodes in [3, 5] {
        for partitions in [false, true] {
            eprintln!("phase: txn-serializable, {nodes} nodes, partitions: {partitions}");
            let r = run(
                Workload::TxnSerializable,
                nodes,
                partitions,
                1,
                ForcedBugs::default(),
            );
            healthy(&r, partitions);
        }
    }
}

#[test]
fn planted_voter_bugs_are_caught() {
    let ack = ForcedBugs {
        ack_before_quorum: true,
        ..ForcedBugs::default()
    };
    let forget = ForcedBugs {
        forget_on_view_change: true,
        ..ForcedBugs::default()
    };
    // Seeds found by running 1..=4 of each; the search is deterministic.
    for (label, workload, bugs, seed) in [
        ("ack before quorum", Workload::LinKv, ack, 1),
        ("ack before quorum", Workload::TxnSerializable, ack, 1),
        ("forget on view change", Workload::LinKv, forget, 3),
        (
            "forget on view change",
            Workload::TxnSerializable,
            forget,
            2,
        ),
    ] {
        eprintln!("phase: {label}, {workload}, seed {seed}");
        let r = run(workload, 3, true, seed, bugs);
        assert!(!r.valid(), "{label} on {workload} went unnoticed: {r}");
    }
}

#[test]
fn a_seed_replays_exactly() {
    let a = run(Workload::LinKv, 3, true, 7, ForcedBugs::default());
    let b = run(Workload::LinKv, 3, true, 7, ForcedBugs::default());
    assert_eq!(a.to_string(), b.to_string());
    assert!(a.valid(), "{a}");
}
