//! The core's membership mapped onto next-k links, without I/O: replicas
//! whose members are only their ring neighbours (as `hearsay-p2p` sets
//! them) still get every origin's records (relayed), converge, and discard
//! every log record and executed-update entry, because each record waits in
//! a log until all of that replica's neighbours have it, and the neighbour
//! relation is symmetric. Also: a replica that joins after the logs were
//! discarded catches up by snapshot from its neighbours.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use hearsay_core::testing::{KvApp, KvUpdate};
use hearsay_core::{
    ClientId, ClientRequest, Output, PeerMessage, Replica, ReplicaConfig, ReplicaId, RequestToken,
    Time, UpdateId, VectorTimestamp,
};
use hearsay_p2p::topology::neighbours;

/// Two after and two before: sparse enough that most pairs are not linked.
const K: usize = 2;

fn name(i: usize) -> ReplicaId {
    ReplicaId::new(format!("r{i:02}")).unwrap()
}

fn replica(me: &ReplicaId, all: &BTreeSet<ReplicaId>) -> Replica<KvApp> {
    let config = ReplicaConfig {
        relay: true,
        anti_entropy_interval: Duration::from_millis(100),
        dedup_retention: Duration::from_millis(300),
        ..ReplicaConfig::default()
    };
    let mut r = Replica::new(me.clone(), config, KvApp::default(), Time::from_micros(0));
    for m in neighbours(all, me, K) {
        r.add_member(m);
    }
    r
}

/// Runs every replica until `until`, in 10 ms steps, delivering every
/// message the same step (FIFO).
fn run(reps: &mut [Replica<KvApp>], from_ms: u64, until_ms: u64) {
    let mut queue: VecDeque<(ReplicaId, ReplicaId, PeerMessage<KvApp>)> = VecDeque::new();
    let mut t = from_ms;
    while t <= until_ms {
        let now = Time::from_micros(t * 1000);
        for r in reps.iter_mut() {
            if r.poll_timeout() <= now {
                r.handle_timeout(now);
            }
            let ready = r.ready();
            for o in r.advance(ready) {
                if let Output::Send { to, msg } = o {
                    queue.push_back((r.id().clone(), to, msg));
                }
            }
        }
        while let Some((from, to, msg)) = queue.pop_front() {
            if let Some(dest) = reps.iter_mut().find(|r| *r.id() == to) {
                dest.handle_peer(now, &from, msg);
                let ready = dest.ready();
                for o in dest.advance(ready) {
                    if let Output::Send { to, msg } = o {
                        queue.push_back((dest.id().clone(), to, msg));
                    }
                }
            }
        }
        t += 10;
    }
}

#[test]
fn a_sparse_ring_relays_every_origin_converges_and_discards_its_logs() {
    let all: BTreeSet<ReplicaId> = (0..12).map(name).collect();
    let mut reps: Vec<Replica<KvApp>> = all.iter().map(|n| replica(n, &all)).collect();
    for (i, r) in reps.iter_mut().enumerate() {
        let request = ClientRequest::Update {
            id: UpdateId {
                client: ClientId(i as u64 + 1),
                seq: 1,
            },
            prev: VectorTimestamp::new(),
            op: KvUpdate::Add {
                key: "sum".into(),
                delta: i as i64 + 1,
            },
        };
        r.handle_request(Time::from_micros(0), RequestToken(1), request);
    }
    run(&mut reps, 0, 3_000);
    for r in &reps {
        assert_eq!(
            r.app().count("sum"),
            78,
            "{} has every origin's update",
            r.id()
        );
        assert_eq!(r.value_ts().len(), 12, "{}", r.id());
        assert_eq!(r.log_len(), 0, "{} discarded its log", r.id());
        assert_eq!(r.executed_len(), 0, "{} retired its executed table", r.id());
        assert_eq!(
            r.timestamp_table().len(),
            2 * K,
            "members are the links only"
        );
    }

    // A late joiner: its neighbours have discarded everything, so it
    // catches up by snapshot; the others re-link to it as the peers would.
    let mut grown = all.clone();
    let late = ReplicaId::new("r05b").unwrap();
    grown.insert(late.clone());
    for r in reps.iter_mut() {
        let want = neighbours(&grown, r.id(), K);
        for m in r.timestamp_table().keys() {
            if !want.contains(m) {
                r.remove_member(m);
            }
        }
        for m in want {
            r.add_member(m);
        }
    }
    let mut joiner = replica(&late, &grown);
    // Its clock starts late; time in the core is only what it is told.
    joiner.handle_timeout(Time::from_micros(3_000_000));
    reps.push(joiner);
    run(&mut reps, 3_010, 6_000);
    for r in &reps {
        assert_eq!(r.app().count("sum"), 78, "{}", r.id());
        assert_eq!(r.log_len(), 0, "{}", r.id());
    }
    let joined = reps.last().unwrap();
    assert!(
        joined.stats().snapshots_adopted >= 1,
        "caught up by snapshot"
    );
}
