//! Micro-benchmarks of the core, without a network: `cargo bench -p hearsay-bench`.
//!
//! The standard harness is not used (`harness = false`): each case runs for
//! a fixed time after a warm-up and prints nanoseconds per operation. Cases:
//! applying updates at a replica, merging a gossip batch, comparing and
//! merging vector timestamps (3 and 30 entries), encoding and decoding a
//! gossip frame, and the simulator's whole-cluster throughput with faults off
//! (core replicas, front ends and the invariant checkers, on the in-memory
//! network). Pass a substring to run only matching cases.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hearsay_bench::{PayloadApp, Put};
use hearsay_core::{
    ClientId, ClientRequest, Dot, Gossip, PeerMessage, Replica, ReplicaConfig, ReplicaId,
    RequestToken, Time, UpdateId, UpdateRecord, VectorTimestamp,
};
use hearsay_sim::{Faults, SimConfig, Timing, run_seed};
use hearsay_wire::{PeerFrame, decode, encode};

const WARMUP: Duration = Duration::from_millis(200);
const MEASURE: Duration = Duration::from_millis(1000);

fn r(i: usize) -> ReplicaId {
    ReplicaId::new(format!("r{i}")).unwrap()
}

fn full_ts(n: usize, base: u64) -> VectorTimestamp {
    (1..=n).map(|i| (r(i), base + i as u64)).collect()
}

/// Runs `f` (which does `per_call` operations) repeatedly; prints ns per op.
fn case(filter: &Option<String>, name: &str, per_call: u64, mut f: impl FnMut()) {
    if filter.as_ref().is_some_and(|p| !name.contains(p.as_str())) {
        return;
    }
    let until = Instant::now() + WARMUP;
    while Instant::now() < until {
        f();
    }
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < MEASURE {
        f();
        calls += 1;
    }
    let ns = start.elapsed().as_nanos() as f64 / (calls * per_call) as f64;
    println!("{name:<44} {ns:>12.1} ns/op {:>14.0} ops/s", 1e9 / ns);
}

fn record(origin: usize, seq: u64, prev: VectorTimestamp, payload: usize) -> UpdateRecord<Put> {
    UpdateRecord {
        id: UpdateId {
            client: ClientId(origin as u64),
            seq,
        },
        dot: Dot {
            origin: r(origin),
            seq,
        },
        prev,
        op: Put {
            key: (seq % 4096) as u32,
            payload: vec![7; payload],
        },
        refused: None,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a filter.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("{:<44} {:>18} {:>20}", "case", "time", "rate");

    // Accepting and applying an update at one replica of three; outputs
    // (the reply and the pushes) are drained each time, as a shell does.
    for n in [3usize, 30] {
        let mut rep = Replica::new(
            r(1),
            ReplicaConfig::default(),
            PayloadApp::default(),
            Time::ZERO,
        );
        for i in 2..=n {
            rep.add_member(r(i));
        }
        let prev = full_ts(n, 0);
        let mut seq = 0u64;
        case(
            &filter,
            &format!("replica: accept+apply update (N={n})"),
            1,
            || {
                seq += 1;
                rep.handle_request(
                    Time::ZERO,
                    RequestToken(seq),
                    ClientRequest::Update {
                        id: UpdateId {
                            client: ClientId(1),
                            seq,
                        },
                        prev: prev.clone(),
                        op: Put {
                            key: (seq % 4096) as u32,
                            payload: vec![1; 100],
                        },
                    },
                );
                let ready = rep.ready();
                for out in rep.advance(ready) {
                    black_box(&out);
                }
                // Let the peers "have" it so the log stays short, as in a cluster.
                if seq % 256 == 0 {
                    for i in 2..=n {
                        rep.handle_peer(
                            Time::ZERO,
                            &r(i),
                            PeerMessage::Digest {
                                rep_ts: rep.rep_ts().clone(),
                                reply: false,
                            },
                        );
                    }
                    let ready = rep.ready();
                    black_box(rep.advance(ready));
                }
            },
        );
    }

    // Receiving a gossip batch of 256 records from a peer (per record).
    for n in [3usize, 30] {
        let mut rep = Replica::new(
            r(2),
            ReplicaConfig::default(),
            PayloadApp::default(),
            Time::ZERO,
        );
        for i in 1..=n {
            rep.add_member(r(i));
        }
        let mut next = 1u64;
        let prev = VectorTimestamp::new();
        case(
            &filter,
            &format!("replica: merge gossip, per record (N={n})"),
            256,
            || {
                let records: Vec<_> = (next..next + 256)
                    .map(|s| record(1, s, prev.clone(), 100))
                    .collect();
                next += 256;
                let mut rep_ts = rep.rep_ts().clone();
                rep_ts.raise(&r(1), next - 1);
                rep.handle_peer(
                    Time::ZERO,
                    &r(1),
                    PeerMessage::Gossip(Gossip {
                        rep_ts: rep_ts.clone(),
                        records,
                    }),
                );
                // Every peer has it all, so the log is discarded as in a cluster.
                for i in 3..=n {
                    rep.handle_peer(
                        Time::ZERO,
                        &r(i),
                        PeerMessage::Digest {
                            rep_ts: rep_ts.clone(),
                            reply: false,
                        },
                    );
                }
                let ready = rep.ready();
                for out in rep.advance(ready) {
                    black_box(&out);
                }
            },
        );
    }

    // Vector timestamps.
    for n in [3usize, 30] {
        let a = full_ts(n, 10);
        let mut b = full_ts(n, 10);
        b.raise(&r(n), 1_000);
        case(&filter, &format!("timestamp: compare (N={n})"), 1, || {
            black_box(black_box(&a).partial_cmp(black_box(&b)));
        });
        case(&filter, &format!("timestamp: merge (N={n})"), 1, || {
            let mut m = a.clone();
            m.merge(black_box(&b));
            black_box(m);
        });
    }

    // Encoding and decoding a gossip frame of 256 records (per record).
    for n in [3usize, 30] {
        let frame = PeerFrame::<PayloadApp> {
            from: r(1),
            msg: PeerMessage::Gossip(Gossip {
                rep_ts: full_ts(n, 5000),
                records: (1..=256)
                    .map(|s| record(1, s, full_ts(n, 1000), 100))
                    .collect(),
            }),
        };
        let bytes = encode(&frame).unwrap();
        case(
            &filter,
            &format!("wire: encode gossip, per record (N={n})"),
            256,
            || {
                black_box(encode(black_box(&frame)).unwrap());
            },
        );
        case(
            &filter,
            &format!("wire: decode gossip, per record (N={n})"),
            256,
            || {
                black_box(decode::<PeerFrame<PayloadApp>>(black_box(&bytes)).unwrap());
            },
        );
        println!(
            "{:<44} {:>12} bytes per record",
            format!("wire: gossip frame size (N={n})"),
            bytes.len() / 256
        );
    }

    // The whole core (replicas, front ends, sessions, checkers) on the
    // simulator's in-memory network, faults off: operations per second of
    // wall-clock time.
    if filter.as_ref().is_none_or(|p| "sim".contains(p.as_str())) {
        let config = SimConfig {
            replicas: 3,
            frontends: 1,
            clients: 64,
            ops_per_client: 500,
            faults: Faults::none(),
            vary_gossip: false,
            timing: Timing {
                think_max: Duration::from_millis(1),
                ..Timing::default()
            },
            ..SimConfig::default()
        };
        let start = Instant::now();
        let report = run_seed(&config, 1).unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert!(report.is_clean(), "{:?}", report.violations);
        println!(
            "{:<44} {:>12.0} ops/s ({} ops, {} messages, {:.2} s, checkers on)",
            "sim: 3 replicas, no faults",
            report.ops.issued as f64 / secs,
            report.ops.issued,
            report.net.sent,
            secs
        );
    }
}
