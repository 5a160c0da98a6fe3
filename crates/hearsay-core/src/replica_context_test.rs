//! Unit tests of how a [`Replica`] treats an update's causal context: it is
//! accepted only once every record its `prev` names has arrived, so a forged
//! or orphaned context can never stall the rest of the system (issue #16,
//! item 1). Each test asserts the exact outputs.

use crate::replica_test::{deliver, digest, drain, id, r, reply, t, ts};
use crate::testing::{KvApp, KvUpdate};
use crate::*;

fn add(delta: i64) -> KvUpdate {
    KvUpdate::Add {
        key: "k".into(),
        delta,
    }
}

fn update(i: UpdateId, prev: VectorTimestamp, delta: i64) -> ClientRequest<KvApp> {
    ClientRequest::Update {
        id: i,
        prev,
        op: add(delta),
    }
}

fn record(
    origin: &str,
    seq: u64,
    i: UpdateId,
    prev: VectorTimestamp,
    delta: i64,
) -> UpdateRecord<KvUpdate> {
    UpdateRecord {
        id: i,
        dot: Dot {
            origin: r(origin),
            seq,
        },
        prev,
        op: add(delta),
        refused: None,
    }
}

fn replica_with(name: &str, peers: &[&str], config: ReplicaConfig) -> Replica<KvApp> {
    let mut rep = Replica::new(r(name), config, KvApp::default(), t(0));
    for p in peers {
        rep.add_member(r(p));
    }
    rep
}

fn replica(name: &str, peers: &[&str]) -> Replica<KvApp> {
    replica_with(name, peers, ReplicaConfig::default())
}

/// The replies among the outputs, leaving out gossip and digests.
fn replies(rep: &mut Replica<KvApp>) -> Vec<Output<KvApp>> {
    drain(rep)
        .into_iter()
        .filter(|o| matches!(o, Output::Reply { .. }))
        .collect()
}

fn accepted(token: u64, at: &[(&str, u64)]) -> Output<KvApp> {
    reply(token, ClientReply::Accepted { ts: ts(at) })
}

fn not_yet(token: u64, value_ts: &[(&str, u64)]) -> Output<KvApp> {
    reply(
        token,
        ClientReply::NotYet {
            value_ts: ts(value_ts),
        },
    )
}

fn gossip_out(
    to: &str,
    rep_ts: VectorTimestamp,
    records: Vec<UpdateRecord<KvUpdate>>,
) -> Output<KvApp> {
    Output::Send {
        to: r(to),
        msg: PeerMessage::Gossip(Gossip { rep_ts, records }),
    }
}

fn gossip_in(rep_ts: VectorTimestamp, records: Vec<UpdateRecord<KvUpdate>>) -> PeerMessage<KvApp> {
    PeerMessage::Gossip(Gossip { rep_ts, records })
}

#[test]
fn an_update_whose_past_has_not_arrived_is_held_then_accepted_when_it_does() {
    let mut r2 = replica("r2", &["r1", "r3"]);
    // The session saw r1:1 at r1; r2 has not received it yet.
    r2.handle_request(
        t(1),
        RequestToken(5),
        update(id(1, 2), ts(&[("r1", 1)]), 10),
    );
    assert_eq!(
        drain(&mut r2),
        vec![digest("r1", ts(&[]), false), digest("r3", ts(&[]), false)],
        "no acknowledgement yet: the peers are asked for what is missing"
    );
    assert_eq!(
        (r2.held_updates_len(), r2.log_len(), r2.rep_ts()),
        (1, 0, &ts(&[]))
    );
    assert_eq!(r2.oldest_held_deadline(), Some(t(2001)));

    // r1:1 arrives: the update is accepted after it, applied, and pushed.
    let r1_1 = record("r1", 1, id(1, 1), ts(&[]), 1);
    r2.handle_peer(t(3), &r("r1"), gossip_in(ts(&[("r1", 1)]), vec![r1_1]));
    let mine = record("r2", 1, id(1, 2), ts(&[("r1", 1)]), 10);
    assert_eq!(
        drain(&mut r2),
        vec![
            accepted(5, &[("r1", 1), ("r2", 1)]),
            gossip_out("r1", ts(&[("r2", 1)]), vec![mine.clone()]),
            gossip_out("r3", ts(&[("r2", 1)]), vec![mine]),
        ]
    );
    assert_eq!(r2.held_updates_len(), 0);
    assert_eq!(r2.app().count("k"), 11);
    assert_eq!(r2.value_ts(), &ts(&[("r1", 1), ("r2", 1)]));
    assert_eq!(
        (r2.stats().updates_held, r2.stats().updates_not_yet),
        (1, 0)
    );
}

#[test]
fn an_update_whose_past_never_arrives_gets_not_yet_at_its_deadline_and_leaves_nothing() {
    let mut r2 = replica("r2", &["r1"]);
    // An orphaned context: r1:1000000 will never exist.
    r2.handle_request(
        t(0),
        RequestToken(1),
        update(id(1, 1), ts(&[("r1", 1_000_000)]), 5),
    );
    drain(&mut r2);
    r2.handle_timeout(t(1999));
    assert_eq!(replies(&mut r2), vec![], "not before the deadline");
    r2.handle_timeout(t(2000));
    assert_eq!(replies(&mut r2), vec![not_yet(1, &[])]);
    assert_eq!(
        (
            r2.held_updates_len(),
            r2.log_len(),
            r2.rep_ts(),
            r2.executed_len()
        ),
        (0, 0, &ts(&[]), 0),
        "nothing was logged, numbered or remembered"
    );
    assert_eq!(r2.stats().updates_not_yet, 1);
    // The next honest update takes the first counter and applies at once.
    r2.handle_request(t(2001), RequestToken(2), update(id(2, 1), ts(&[]), 7));
    assert_eq!(drain(&mut r2)[0], accepted(2, &[("r2", 1)]));
    assert_eq!(r2.app().count("k"), 7);
}

/// The regression of issue #16, item 1: before the fix the forged update was
/// logged as r1:1 and never became stable, so r1:2 (an honest update) never
/// applied anywhere and r1's log never drained.
#[test]
fn a_forged_context_does_not_stall_later_updates_of_the_same_replica() {
    let mut r1 = replica("r1", &["r2"]);
    let mut r2 = replica("r2", &["r1"]);
    r1.handle_request(
        t(0),
        RequestToken(1),
        update(id(9, 1), ts(&[("r2", 1_000_000)]), 1000),
    );
    let out = drain(&mut r1);
    deliver(t(1), "r1", &out, &mut r2);
    drain(&mut r2);
    // An honest session writes at r1 meanwhile.
    r1.handle_request(t(2), RequestToken(2), update(id(1, 1), ts(&[]), 1));
    let out = drain(&mut r1);
    deliver(t(3), "r1", &out, &mut r2);
    assert_eq!(r2.app().count("k"), 1, "the honest update applies at r2");
    assert_eq!(out[0], accepted(2, &[("r1", 1)]));
    // r2 tells r1 it has it; r1's log drains. The forged update times out.
    r2.handle_timeout(t(100));
    let out = drain(&mut r2);
    deliver(t(101), "r2", &out, &mut r1);
    r1.handle_timeout(t(2000));
    assert_eq!(replies(&mut r1), vec![not_yet(1, &[("r1", 1)])]);
    assert_eq!(
        (r1.log_len(), r1.held_updates_len(), r1.app().count("k")),
        (0, 0, 1)
    );
}

#[test]
fn an_update_naming_a_non_member_is_rejected_and_changes_nothing() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(
        t(0),
        RequestToken(3),
        update(id(1, 1), ts(&[("r2", 1), ("ghost", 2)]), 5),
    );
    let reason = "the session's context names 2 update(s) from ghost, which is not a member of the cluster r1 knows: they can never arrive, so an update after them could never apply";
    assert_eq!(
        drain(&mut r1),
        vec![reply(
            3,
            ClientReply::Rejected {
                reason: reason.into()
            }
        )]
    );
    assert_eq!(
        (
            r1.held_updates_len(),
            r1.log_len(),
            r1.rep_ts(),
            r1.executed_len()
        ),
        (0, 0, &ts(&[]), 0)
    );
    assert_eq!(r1.stats().updates_bad_context, 1);
}

#[test]
fn a_context_naming_a_former_member_whose_records_are_here_is_fine() {
    let mut r1 = replica("r1", &["r2", "r3"]);
    let r3_1 = record("r3", 1, id(3, 1), ts(&[]), 2);
    r1.handle_peer(t(0), &r("r3"), gossip_in(ts(&[("r3", 1)]), vec![r3_1]));
    r1.remove_member(&r("r3"));
    drain(&mut r1);
    r1.handle_request(t(1), RequestToken(4), update(id(1, 1), ts(&[("r3", 1)]), 5));
    assert_eq!(drain(&mut r1)[0], accepted(4, &[("r1", 1), ("r3", 1)]));
    assert_eq!(r1.app().count("k"), 7);
}

#[test]
fn held_updates_are_bounded() {
    let config = ReplicaConfig {
        max_held_updates: 1,
        ..ReplicaConfig::default()
    };
    let mut r1 = replica_with("r1", &["r2"], config);
    r1.handle_request(t(0), RequestToken(1), update(id(1, 1), ts(&[("r2", 1)]), 1));
    drain(&mut r1);
    r1.handle_request(t(0), RequestToken(2), update(id(2, 1), ts(&[("r2", 1)]), 1));
    assert_eq!(drain(&mut r1), vec![not_yet(2, &[])]);
    assert_eq!(r1.held_updates_len(), 1);
}

#[test]
fn a_retry_of_a_held_update_is_accepted_once() {
    let mut r1 = replica("r1", &["r2"]);
    for token in [1, 2] {
        r1.handle_request(
            t(0),
            RequestToken(token),
            update(id(1, 1), ts(&[("r2", 1)]), 5),
        );
    }
    drain(&mut r1);
    let r2_1 = record("r2", 1, id(2, 1), ts(&[]), 1);
    r1.handle_peer(t(1), &r("r2"), gossip_in(ts(&[("r2", 1)]), vec![r2_1]));
    let at = [("r1", 1), ("r2", 1)];
    assert_eq!(replies(&mut r1), vec![accepted(1, &at), accepted(2, &at)]);
    assert_eq!((r1.rep_ts(), r1.app().count("k")), (&ts(&at), 6));
    assert_eq!(r1.stats().duplicate_requests, 1);
}

#[test]
fn held_updates_are_answered_unavailable_when_the_replica_goes_offline() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(t(0), RequestToken(1), update(id(1, 1), ts(&[("r2", 1)]), 5));
    drain(&mut r1);
    r1.set_status(Status::Overloaded);
    assert_eq!(
        drain(&mut r1),
        vec![reply(
            1,
            ClientReply::Unavailable {
                status: Status::Overloaded
            }
        )]
    );
    assert_eq!((r1.held_updates_len(), r1.log_len()), (0, 0));
}

#[test]
fn a_snapshot_that_brings_the_past_releases_a_held_update() {
    let mut r1 = replica("r1", &["r2"]);
    r1.handle_request(t(0), RequestToken(1), update(id(1, 1), ts(&[("r2", 1)]), 5));
    drain(&mut r1);
    let mut r2 = replica("r2", &[]);
    r2.handle_request(t(0), RequestToken(9), update(id(2, 1), ts(&[]), 1));
    drain(&mut r2);
    r1.handle_peer(
        t(1),
        &r("r2"),
        PeerMessage::Snapshot(Box::new(r2.snapshot())),
    );
    assert_eq!(drain(&mut r1)[0], accepted(1, &[("r1", 1), ("r2", 1)]));
    assert_eq!(r1.app().count("k"), 6);
}
