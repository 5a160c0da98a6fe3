//! Unit tests of [`Replica`]: each asserts the exact outputs of one rule.

use std::time::Duration;

use crate::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use crate::*;

pub(crate) fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

pub(crate) fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
    entries.iter().map(|(k, v)| (r(k), *v)).collect()
}

pub(crate) fn t(ms: u64) -> Time {
    Time::from_micros(ms * 1000)
}

pub(crate) fn id(client: u64, seq: u64) -> UpdateId {
    UpdateId {
        client: ClientId(client),
        seq,
    }
}

fn put(key: &str, value: i64) -> KvUpdate {
    KvUpdate::Put {
        key: key.into(),
        value,
    }
}

fn add(key: &str, delta: i64) -> KvUpdate {
    KvUpdate::Add {
        key: key.into(),
        delta,
    }
}

fn update(i: UpdateId, prev: VectorTimestamp, op: KvUpdate) -> ClientRequest<KvApp> {
    ClientRequest::Update { id: i, prev, op }
}

fn get(key: &str, prev: VectorTimestamp) -> ClientRequest<KvApp> {
    ClientRequest::Query {
        prev,
        query: KvQuery::Get { key: key.into() },
    }
}

fn record(
    origin: &str,
    seq: u64,
    i: UpdateId,
    prev: VectorTimestamp,
    op: KvUpdate,
) -> UpdateRecord<KvUpdate> {
    UpdateRecord {
        id: i,
        dot: Dot {
            origin: r(origin),
            seq,
        },
        prev,
        op,
        refused: None,
    }
}

/// A replica named `name` with the given peers.
fn replica(name: &str, peers: &[&str]) -> Replica<KvApp> {
    let mut rep = Replica::new(r(name), ReplicaConfig::default(), KvApp::default(), t(0));
    for p in peers {
        rep.add_member(r(p));
    }
    rep
}

pub(crate) fn drain(rep: &mut Replica<KvApp>) -> Vec<Output<KvApp>> {
    {
        let ready = rep.ready();
        rep.advance(ready)
    }
}

pub(crate) fn reply(token: u64, reply: ClientReply<KvApp>) -> Output<KvApp> {
    Output::Reply {
        token: RequestToken(token),
        reply,
    }
}

fn gossip(
    to: &str,
    rep_ts: VectorTimestamp,
    records: Vec<UpdateRecord<KvUpdate>>,
) -> Output<KvApp> {
    Output::Send {
        to: r(to),
        msg: PeerMessage::Gossip(Gossip { rep_ts, records }),
    }
}

pub(crate) fn digest(to: &str, rep_ts: VectorTimestamp, want_reply: bool) -> Output<KvApp> {
    Output::Send {
        to: r(to),
        msg: PeerMessage::Digest {
            rep_ts,
            reply: want_reply,
        },
    }
}

/// Delivers every `Send` in `outputs` addressed to `to.id()`, from `from`.
pub(crate) fn deliver(now: Time, from: &str, outputs: &[Output<KvApp>], to: &mut Replica<KvApp>) {
    for o in outputs {
        if let Output::Send { to: dest, msg } = o {
            if dest == to.id() {
                to.handle_peer(now, &r(from), msg.clone());
            }
        }
    }
}

#[test]
fn an_update_is_acknowledged_with_its_timestamp_then_pushed_to_every_peer() {
    let mut r1 = replica("r1", &["r2", "r3"]);
    r1.handle_request(
        t(1),
        RequestToken(7),
        update(id(1, 1), VectorTimestamp::new(), put("x", 5)),
    );
    let rec = record("r1", 1, id(1, 1), VectorTimestamp::new(), put("x", 5));
    assert_eq!(
        drain(&mut r1),
        vec![
            reply(
                7,
                ClientReply::Accepted {
                    ts: ts(&[("r1", 1)])
                }
            ),
            gossip("r2", ts(&[("r1", 1)]), vec![rec.clone()]),
            gossip("r3", ts(&[("r1", 1)]), vec![rec]),
        ]
    );
    assert_eq!(r1.app().get("x"), Some(5));
    assert_eq!(r1.value_ts(), &ts(&[("r1", 1)]));
    // Peers have not confirmed it: it stays in the log.
    assert_eq!(r1.log_len(), 1);
}

#[test]
fn a_retried_update_gets_the_same_answer_and_no_new_record() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), add("c", 1)),
    );
    drain(&mut r1);
    r1.handle_request(
        t(2),
        RequestToken(2),
        update(id(1, 1), VectorTimestamp::new(), add("c", 1)),
    );
    assert_eq!(
        drain(&mut r1),
        vec![reply(
            2,
            ClientReply::Accepted {
                ts: ts(&[("r1", 1)])
            }
        )]
    );
    assert_eq!(r1.rep_ts(), &ts(&[("r1", 1)]));
    assert_eq!(r1.app().count("c"), 1);
    assert_eq!(r1.stats().duplicate_requests, 1);
}

#[test]
fn a_query_is_answered_at_once_when_its_past_is_applied() {
    let mut r1 = replica("r1", &[]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    r1.handle_request(t(2), RequestToken(2), get("x", ts(&[("r1", 1)])));
    assert_eq!(
        drain(&mut r1),
        vec![
            reply(
                1,
                ClientReply::Accepted {
                    ts: ts(&[("r1", 1)])
                }
            ),
            reply(
                2,
                ClientReply::Answer {
                    reply: KvReply::Value(Some(1)),
                    ts: ts(&[("r1", 1)])
                }
            ),
        ]
    );
    // Alone in the cluster, nothing waits for anyone: the log drains at once.
    assert_eq!(r1.log_len(), 0);
}

#[test]
fn a_query_ahead_of_the_replica_is_held_then_answered_when_gossip_arrives() {
    let mut r1 = replica("r1", &["r2"]);
    let mut r2 = replica("r2", &["r1"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 9)),
    );
    let from_r1 = drain(&mut r1);
    // The session saw r1:1 and asks r2, which has not got it yet.
    r2.handle_request(t(2), RequestToken(5), get("x", ts(&[("r1", 1)])));
    assert_eq!(
        drain(&mut r2),
        vec![digest("r1", VectorTimestamp::new(), false)]
    );
    assert_eq!(r2.held_len(), 1);
    deliver(t(3), "r1", &from_r1, &mut r2);
    assert_eq!(
        drain(&mut r2),
        vec![reply(
            5,
            ClientReply::Answer {
                reply: KvReply::Value(Some(9)),
                ts: ts(&[("r1", 1)])
            }
        )]
    );
    assert_eq!(r2.held_len(), 0);
}

#[test]
fn a_held_query_gets_not_yet_at_its_deadline() {
    let mut r2 = replica("r2", &["r1"]);
    r2.handle_request(t(0), RequestToken(5), get("x", ts(&[("r1", 1)])));
    drain(&mut r2);
    assert_eq!(
        r2.poll_timeout(),
        t(100),
        "the anti-entropy tick comes first"
    );
    r2.handle_timeout(t(100));
    drain(&mut r2);
    assert_eq!(r2.poll_timeout(), t(200));
    r2.handle_timeout(t(2000));
    let out = drain(&mut r2);
    assert!(out.contains(&reply(
        5,
        ClientReply::NotYet {
            value_ts: VectorTimestamp::new()
        }
    )));
    assert_eq!(r2.held_len(), 0);
}

#[test]
fn held_queries_are_bounded() {
    let config = ReplicaConfig {
        max_held_queries: 1,
        ..ReplicaConfig::default()
    };
    let mut r2 = Replica::new(r("r2"), config, KvApp::default(), t(0));
    r2.handle_request(t(0), RequestToken(1), get("x", ts(&[("r1", 1)])));
    r2.handle_request(t(0), RequestToken(2), get("x", ts(&[("r1", 1)])));
    assert_eq!(
        drain(&mut r2),
        vec![reply(
            2,
            ClientReply::NotYet {
                value_ts: VectorTimestamp::new()
            }
        )]
    );
    assert_eq!(r2.held_len(), 1);
}

#[test]
fn a_record_waits_for_its_causal_past() {
    let mut r3 = replica("r3", &["r1", "r2"]);
    let a = record("r1", 1, id(1, 1), VectorTimestamp::new(), put("x", 1));
    // b was issued by a session that had seen a.
    let b = record("r2", 1, id(2, 1), ts(&[("r1", 1)]), put("x", 2));
    r3.handle_peer(
        t(1),
        &r("r2"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r1", 1), ("r2", 1)]),
            records: vec![b],
        }),
    );
    assert_eq!(r3.value_ts(), &VectorTimestamp::new(), "b must wait for a");
    assert_eq!(r3.rep_ts(), &ts(&[("r2", 1)]));
    assert_eq!(r3.app().get("x"), None);
    r3.handle_peer(
        t(2),
        &r("r1"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r1", 1)]),
            records: vec![a],
        }),
    );
    assert_eq!(r3.value_ts(), &ts(&[("r1", 1), ("r2", 1)]));
    assert_eq!(r3.app().get("x"), Some(2), "b is causally later and wins");
}

#[test]
fn records_of_one_origin_apply_in_counter_order_even_when_independent() {
    let mut r3 = replica("r3", &["r1"]);
    let a = record("r1", 1, id(1, 1), ts(&[("r2", 1)]), put("x", 1));
    let b = record("r1", 2, id(2, 1), VectorTimestamp::new(), put("y", 1));
    r3.handle_peer(
        t(1),
        &r("r1"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r1", 2), ("r2", 1)]),
            records: vec![a, b],
        }),
    );
    // a waits for r2:1, so b (same origin, later counter) waits too: value_ts
    // entries stay exact counts.
    assert_eq!(r3.value_ts(), &VectorTimestamp::new());
    assert_eq!(r3.rep_ts(), &ts(&[("r1", 2)]));
}

#[test]
fn one_update_accepted_twice_is_applied_once_everywhere() {
    // The front end sent update u to r1, lost the reply, and retried at r2.
    let u = id(9, 1);
    let mut r1 = replica("r1", &["r2"]);
    let mut r2 = replica("r2", &["r1"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(u, VectorTimestamp::new(), add("c", 10)),
    );
    r2.handle_request(
        t(1),
        RequestToken(1),
        update(u, VectorTimestamp::new(), add("c", 10)),
    );
    let o1 = drain(&mut r1);
    let o2 = drain(&mut r2);
    deliver(t(2), "r1", &o1, &mut r2);
    deliver(t(2), "r2", &o2, &mut r1);
    for rep in [&r1, &r2] {
        assert_eq!(rep.app().count("c"), 10, "{} applied it twice", rep.id());
        assert_eq!(rep.value_ts(), &ts(&[("r1", 1), ("r2", 1)]));
        assert_eq!(rep.stats().duplicates_skipped, 1);
    }
}

#[test]
fn a_digest_is_answered_with_what_the_sender_lacks_and_our_own_digest() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    drain(&mut r1);
    // r2 has something r1 lacks, and lacks r1:1, which was just pushed to
    // it: the push may still be on its way, so only the digest goes back.
    let lacking = || PeerMessage::Digest {
        rep_ts: ts(&[("r2", 3)]),
        reply: true,
    };
    r1.handle_peer(t(2), &r("r2"), lacking());
    assert_eq!(drain(&mut r1), vec![digest("r2", ts(&[("r1", 1)]), false)]);
    // Its next digest still lacks r1:1: the push is presumed lost, and the
    // record is sent again. The push already told r2 of r1:1, so the gossip
    // carries no timestamp entry; digests carry the whole timestamp.
    r1.handle_peer(t(3), &r("r2"), lacking());
    let rec = record("r1", 1, id(1, 1), VectorTimestamp::new(), put("x", 1));
    assert_eq!(
        drain(&mut r1),
        vec![
            gossip("r2", ts(&[]), vec![rec]),
            digest("r2", ts(&[("r1", 1)]), false),
        ]
    );
    // Once repaired, a third digest that still lacks it waits again: the
    // repair is in flight.
    r1.handle_peer(t(4), &r("r2"), lacking());
    assert_eq!(drain(&mut r1), vec![digest("r2", ts(&[("r1", 1)]), false)]);
}

#[test]
fn the_log_is_discarded_once_every_member_has_a_record() {
    let mut r1 = replica("r1", &["r2", "r3"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    drain(&mut r1);
    let have = |n| PeerMessage::Digest {
        rep_ts: ts(&[("r1", n)]),
        reply: false,
    };
    r1.handle_peer(t(2), &r("r2"), have(1));
    assert_eq!(r1.log_len(), 1, "r3 has not confirmed yet");
    r1.handle_peer(t(3), &r("r3"), have(1));
    assert_eq!(r1.log_len(), 0);
    assert_eq!(drain(&mut r1), vec![]);
}

#[test]
fn a_removed_member_is_no_longer_waited_for() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    drain(&mut r1);
    assert_eq!(r1.log_len(), 1);
    r1.remove_member(&r("r2"));
    assert_eq!(r1.log_len(), 0);
}

#[test]
fn a_newcomer_behind_the_discarded_horizon_catches_up_by_snapshot() {
    let mut r1 = replica("r1", &[]);
    for i in 1..=3 {
        r1.handle_request(
            t(i),
            RequestToken(i),
            update(id(1, i), VectorTimestamp::new(), add("c", 1)),
        );
    }
    drain(&mut r1);
    assert_eq!(r1.log_len(), 0, "alone, r1 discarded everything");
    let mut r4 = replica("r4", &["r1"]);
    r1.add_member(r("r4"));
    r1.handle_peer(
        t(10),
        &r("r4"),
        PeerMessage::Digest {
            rep_ts: VectorTimestamp::new(),
            reply: true,
        },
    );
    let out = drain(&mut r1);
    assert!(matches!(
        out.as_slice(),
        [Output::Send {
            msg: PeerMessage::Snapshot(_),
            ..
        }]
    ));
    deliver(t(11), "r1", &out, &mut r4);
    assert_eq!(r4.app(), r1.app());
    assert_eq!(r4.value_ts(), &ts(&[("r1", 3)]));
    assert_eq!(r4.rep_ts(), &ts(&[("r1", 3)]));
    assert_eq!(r4.stats().snapshots_adopted, 1);
    // A retry of an update inside the snapshot is still recognised.
    r4.handle_request(
        t(12),
        RequestToken(1),
        update(id(1, 2), VectorTimestamp::new(), add("c", 1)),
    );
    assert_eq!(
        drain(&mut r4),
        vec![reply(
            1,
            ClientReply::Accepted {
                ts: ts(&[("r1", 3)])
            }
        )]
    );
    assert_eq!(r4.app().count("c"), 3);
    // Snapshots to one peer are rate-limited.
    r1.handle_peer(
        t(12),
        &r("r4"),
        PeerMessage::Digest {
            rep_ts: VectorTimestamp::new(),
            reply: false,
        },
    );
    assert_eq!(drain(&mut r1), vec![]);
}

#[test]
fn an_offline_replica_refuses_clients_and_gossip_but_keeps_its_state() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    drain(&mut r1);
    r1.set_status(Status::Offline);
    r1.handle_request(t(2), RequestToken(2), get("x", VectorTimestamp::new()));
    r1.handle_peer(
        t(2),
        &r("r2"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r2", 1)]),
            records: vec![record(
                "r2",
                1,
                id(2, 1),
                VectorTimestamp::new(),
                put("y", 1),
            )],
        }),
    );
    r1.handle_timeout(t(500));
    assert_eq!(
        drain(&mut r1),
        vec![reply(
            2,
            ClientReply::Unavailable {
                status: Status::Offline
            }
        )]
    );
    assert_eq!(r1.rep_ts(), &ts(&[("r1", 1)]));
    assert_eq!(r1.app().get("x"), Some(1));
    r1.set_status(Status::Overloaded);
    r1.handle_request(t(3), RequestToken(3), get("x", VectorTimestamp::new()));
    r1.handle_timeout(t(1000));
    assert_eq!(
        drain(&mut r1),
        vec![
            reply(
                3,
                ClientReply::Unavailable {
                    status: Status::Overloaded
                }
            ),
            digest("r2", ts(&[("r1", 1)]), true),
        ],
        "overloaded still gossips"
    );
}

#[test]
fn bad_updates_are_rejected_and_change_nothing() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("", 1)),
    );
    r1.handle_request(
        t(1),
        RequestToken(2),
        update(id(1, 2), ts(&[("r1", 4)]), put("x", 1)),
    );
    let out = drain(&mut r1);
    assert_eq!(out.len(), 2);
    assert!(
        matches!(&out[0], Output::Reply { reply: ClientReply::Rejected { reason }, .. } if reason.contains("empty"))
    );
    assert!(
        matches!(&out[1], Output::Reply { reply: ClientReply::Rejected { reason }, .. } if reason.contains("lost data"))
    );
    assert_eq!(r1.rep_ts(), &VectorTimestamp::new());
    assert_eq!(r1.log_len(), 0);
}

#[test]
fn records_breaking_the_counter_rules_are_dropped() {
    let mut r1 = replica("r1", &["r2"]);
    let bad = record("r2", 1, id(2, 1), ts(&[("r2", 5)]), put("x", 1));
    let zero = record("r2", 0, id(2, 2), VectorTimestamp::new(), put("x", 1));
    r1.handle_peer(
        t(1),
        &r("r2"),
        PeerMessage::Gossip(Gossip {
            rep_ts: VectorTimestamp::new(),
            records: vec![bad, zero],
        }),
    );
    assert_eq!(r1.stats().bad_records, 2);
    assert_eq!(r1.rep_ts(), &VectorTimestamp::new());
}

#[test]
fn the_executed_table_is_bounded_once_updates_are_known_everywhere() {
    let mut r1 = replica("r1", &["r2"]);
    for i in 1..=5 {
        r1.handle_request(
            t(i),
            RequestToken(i),
            update(id(1, i), VectorTimestamp::new(), add("c", 1)),
        );
    }
    drain(&mut r1);
    assert_eq!(r1.executed_len(), 5);
    let retention = r1.config().dedup_retention;
    let late = Time::ZERO + retention + Duration::from_secs(1);
    r1.handle_timeout(late);
    assert_eq!(r1.executed_len(), 5, "r2 has not confirmed them");
    r1.handle_peer(
        late,
        &r("r2"),
        PeerMessage::Digest {
            rep_ts: ts(&[("r1", 5)]),
            reply: false,
        },
    );
    // Retirement runs on its own timer, the next deadline `poll_timeout` names.
    let next = r1.poll_timeout();
    assert_eq!(next, late + r1.config().anti_entropy_interval);
    r1.handle_timeout(next);
    assert_eq!(r1.executed_len(), 0);
    assert_eq!(r1.log_len(), 0);
}

#[test]
fn batched_pushes_wait_for_the_push_interval() {
    let config = ReplicaConfig {
        push_interval: Some(Duration::from_millis(50)),
        ..ReplicaConfig::default()
    };
    let mut r1 = Replica::new(r("r1"), config, KvApp::default(), t(0));
    r1.add_member(r("r2"));
    r1.handle_timeout(t(0));
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    r1.handle_request(
        t(2),
        RequestToken(2),
        update(id(1, 2), VectorTimestamp::new(), put("y", 1)),
    );
    assert_eq!(drain(&mut r1).len(), 2, "only the two replies");
    assert_eq!(r1.poll_timeout(), t(50));
    r1.handle_timeout(t(50));
    let out = drain(&mut r1);
    assert!(
        matches!(out.as_slice(), [Output::Send { msg: PeerMessage::Gossip(g), .. }] if g.records.len() == 2),
        "one batch of two records: {out:?}"
    );
}

#[test]
fn relaying_forwards_other_origins_records_to_push_targets() {
    let config = ReplicaConfig {
        relay: true,
        ..ReplicaConfig::default()
    };
    let mut hub = Replica::new(r("hub"), config, KvApp::default(), t(0));
    for p in ["a", "b"] {
        hub.add_member(r(p));
    }
    let rec = record("a", 1, id(1, 1), VectorTimestamp::new(), put("x", 1));
    hub.handle_peer(
        t(1),
        &r("a"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("a", 1)]),
            records: vec![rec.clone()],
        }),
    );
    // `a` reported having it, so only `b` gets it.
    assert_eq!(
        drain(&mut hub),
        vec![gossip("b", ts(&[("a", 1)]), vec![rec])]
    );
}

#[test]
fn anti_entropy_fanout_takes_peers_in_turn() {
    let config = ReplicaConfig {
        anti_entropy_fanout: 1,
        ..ReplicaConfig::default()
    };
    let mut r1 = Replica::new(r("r1"), config, KvApp::default(), t(0));
    for p in ["r2", "r3"] {
        r1.add_member(r(p));
    }
    let mut targets = Vec::new();
    for tick in 1..=4 {
        r1.handle_timeout(t(100 * tick));
        for o in drain(&mut r1) {
            if let Output::Send { to, .. } = o {
                targets.push(to.to_string());
            }
        }
    }
    // One peer per round, alternating, wherever the rotation starts.
    assert_eq!(targets.len(), 4);
    assert_ne!(targets[0], targets[1]);
    assert_eq!(targets[0], targets[2]);
    assert_eq!(targets[1], targets[3]);
}

#[test]
fn the_journal_holds_every_record_that_entered_the_log_and_restore_resumes_from_it() {
    let config = ReplicaConfig {
        journal: true,
        ..ReplicaConfig::default()
    };
    let mut r1 = Replica::new(r("r1"), config.clone(), KvApp::default(), t(0));
    r1.add_member(r("r2"));
    let empty = r1.snapshot();
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), add("c", 2)),
    );
    // A record from r2 that depends on something r1 lacks: logged, not applied.
    let waiting = record("r2", 1, id(2, 1), ts(&[("r3", 1)]), add("c", 5));
    r1.handle_peer(
        t(2),
        &r("r2"),
        PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r2", 1)]),
            records: vec![waiting],
        }),
    );
    let ready = r1.ready();
    assert!(!ready.journal().snapshot);
    assert_eq!(ready.journal().records.len(), 2);
    let records = ready.journal().records.clone();
    assert!(!r1.advance(ready).is_empty());
    assert!(r1.ready().is_empty(), "taken once");
    // Restart from the empty snapshot and the journal: the same state.
    let mut restored = Replica::restore(r("r1"), config, &[r("r2")], empty, records, t(10));
    assert_eq!(restored.app(), r1.app());
    assert_eq!(restored.value_ts(), r1.value_ts());
    assert_eq!(restored.rep_ts(), r1.rep_ts());
    assert_eq!(restored.log_len(), r1.log_len());
    // A retry of the update applied before the restart is still recognised.
    restored.handle_request(
        t(11),
        RequestToken(9),
        update(id(1, 1), VectorTimestamp::new(), add("c", 2)),
    );
    assert_eq!(
        drain(&mut restored),
        vec![reply(
            9,
            ClientReply::Accepted {
                ts: ts(&[("r1", 1)])
            }
        )]
    );
    assert_eq!(restored.app().count("c"), 2);
}

#[test]
fn restoring_skips_what_the_snapshot_covers() {
    let mut r1 = replica("r1", &[]);
    for i in 1..=3 {
        r1.handle_request(
            t(i),
            RequestToken(i),
            update(id(1, i), VectorTimestamp::new(), add("c", 1)),
        );
    }
    let snap = r1.snapshot();
    let covered = record("r1", 2, id(1, 2), VectorTimestamp::new(), add("c", 1));
    let next = record("r1", 4, id(1, 4), VectorTimestamp::new(), add("c", 10));
    let restored = Replica::restore(
        r("r1"),
        ReplicaConfig::default(),
        &[],
        snap,
        vec![next, covered],
        t(5),
    );
    assert_eq!(restored.app().count("c"), 13);
    assert_eq!(restored.value_ts(), &ts(&[("r1", 4)]));
}

#[test]
fn adopting_a_snapshot_is_journaled() {
    let config = ReplicaConfig {
        journal: true,
        ..ReplicaConfig::default()
    };
    let mut donor = replica("r1", &[]);
    donor.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), add("c", 1)),
    );
    let mut r4 = Replica::new(r("r4"), config, KvApp::default(), t(0));
    r4.handle_peer(
        t(2),
        &r("r1"),
        PeerMessage::Snapshot(Box::new(donor.snapshot())),
    );
    assert_eq!(r4.app().count("c"), 1);
    assert!(r4.ready().journal().snapshot);
}

/// Found by the Maelstrom harness: a digest that arrived late, after the log
/// was trimmed, looked like a peer behind the horizon and drew a snapshot.
#[test]
fn a_stale_digest_draws_no_snapshot() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    drain(&mut r1);
    let digest_of = |n| PeerMessage::Digest {
        rep_ts: ts(&[("r1", n)]),
        reply: false,
    };
    r1.handle_peer(t(2), &r("r2"), digest_of(1));
    assert_eq!(r1.log_len(), 0, "r2 has it: discarded");
    // An older digest of r2's, delayed in the network.
    r1.handle_peer(t(3), &r("r2"), digest_of(0));
    assert_eq!(drain(&mut r1), vec![]);
    assert_eq!(r1.stats().snapshots_sent, 0);
}

#[test]
fn replicas_start_their_anti_entropy_rounds_at_different_peers() {
    let config = ReplicaConfig {
        anti_entropy_fanout: 1,
        ..ReplicaConfig::default()
    };
    let names = ["a", "b", "c", "d", "e"];
    let mut first_targets = std::collections::BTreeSet::new();
    for me in names {
        let mut rep = Replica::new(r(me), config.clone(), KvApp::default(), t(0));
        for p in names.iter().filter(|p| **p != me) {
            rep.add_member(r(p));
        }
        rep.handle_timeout(t(100));
        for o in drain(&mut rep) {
            if let Output::Send { to, .. } = o {
                first_targets.insert(to.to_string());
            }
        }
    }
    // Each starts with its successor in name order: five replicas, five
    // different first targets, so no peer gets every digest of a round.
    assert_eq!(first_targets.len(), names.len(), "{first_targets:?}");
}

#[test]
fn traffic_is_counted_as_it_leaves_not_as_it_is_queued() {
    let mut r1 = replica("r1", &["r2", "r3"]);
    r1.handle_request(
        t(1),
        RequestToken(1),
        update(id(1, 1), VectorTimestamp::new(), put("x", 1)),
    );
    r1.handle_timeout(t(100)); // anti-entropy: digests queued
    assert_eq!(
        (r1.stats().gossip_sent, r1.stats().digests_sent),
        (0, 0),
        "nothing has left yet"
    );
    let out = drain(&mut r1);
    let sends = |gossip: bool| {
        out.iter()
            .filter(|o| match o {
                Output::Send { msg, .. } => matches!(msg, PeerMessage::Gossip(_)) == gossip,
                _ => false,
            })
            .count() as u64
    };
    let s = r1.stats();
    assert_eq!((s.gossip_sent, s.push_sent, s.push_records), (2, 2, 2));
    assert_eq!((s.digests_sent, s.repair_sent), (sends(false), 0));
    assert_eq!(s.gossip_sent, sends(true));
}

#[test]
fn outputs_leave_only_through_advance_and_inputs_after_ready_wait_for_the_next() {
    let config = ReplicaConfig {
        journal: true,
        ..ReplicaConfig::default()
    };
    let mut r1 = Replica::new(r("r1"), config, KvApp::default(), t(0));
    r1.add_member(r("r2"));
    let accept = |r1: &mut Replica<KvApp>, n: u64| {
        r1.handle_request(
            t(n),
            RequestToken(n),
            update(id(1, n), VectorTimestamp::new(), put("x", n as i64)),
        );
    };
    let push = |n: u64| Output::Send {
        to: r("r2"),
        msg: PeerMessage::Gossip(Gossip {
            rep_ts: ts(&[("r1", n)]),
            records: vec![record(
                "r1",
                n,
                id(1, n),
                VectorTimestamp::new(),
                put("x", n as i64),
            )],
        }),
    };
    let accepted = |n: u64| {
        reply(
            n,
            ClientReply::Accepted {
                ts: ts(&[("r1", n)]),
            },
        )
    };

    accept(&mut r1, 1);
    let first = r1.ready();
    assert_eq!(first.journal().records.len(), 1);
    assert_eq!(first.pending_outputs(), 2, "the reply and the push");
    assert_eq!(r1.stats().gossip_sent, 0, "nothing has left");
    // An input handled while the journal is being written: its record and
    // outputs belong to the next Ready, not to this one.
    accept(&mut r1, 2);
    assert_eq!(r1.advance(first), vec![accepted(1), push(1)]);
    assert_eq!(r1.stats().gossip_sent, 1);

    let second = r1.ready();
    assert_eq!(second.journal().records[0].dot.seq, 2);
    assert_eq!(r1.advance(second), vec![accepted(2), push(2)]);
    assert!(r1.ready().is_empty());
}
