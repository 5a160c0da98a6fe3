//! Forced updates inside the replica (issue #13): one order everywhere,
//! decisions that read state, forwarding, failover, partitions, linearizable
//! forced queries, exactly-once retries and reconfiguration. Every test runs
//! the [`Cluster`] of `replica_forced_harness.rs`, whose checks (no balance
//! below zero, one forced order) run after every input.

use std::time::Duration;

use crate::replica_forced_harness::*;
use crate::*;

const SEC: Duration = Duration::from_secs(1);

fn forced_ts(reply: &ClientReply<Ledger>) -> VectorTimestamp {
    match reply {
        ClientReply::Forced { ts, .. }
        | ClientReply::Accepted { ts }
        | ClientReply::Answer { ts, .. } => ts.clone(),
        other => panic!("expected an acknowledgement, got {other:?}"),
    }
}

fn granted(reply: &ClientReply<Ledger>) -> bool {
    match reply {
        ClientReply::Forced { outcome, .. } => outcome.is_ok(),
        other => panic!("expected a forced outcome, got {other:?}"),
    }
}

/// Credits `n` to `acct` at node 0 and waits until every node applied it.
fn fund(c: &mut Cluster, acct: &str, n: i64) -> VectorTimestamp {
    let t = c.update(0, uid(900, 1), VectorTimestamp::new(), credit(acct, n));
    let ts = forced_ts(&c.await_reply(0, t, SEC).expect("credit accepted"));
    c.settle(5 * SEC);
    ts
}

#[test]
fn a_forced_update_commits_becomes_the_record_forced_1_and_applies_everywhere() {
    let mut c = Cluster::new(4, 3, 1);
    let prev = fund(&mut c, "a", 50);
    // r1 is the primary of view 0.
    assert_eq!(c.primary(), Some(0));
    let t = c.update(0, uid(1, 1), prev.clone(), debit("a", 20));
    let reply = c.await_reply(0, t, SEC).expect("answered");
    let ClientReply::Forced { outcome, ts } = reply else {
        panic!("expected a forced outcome, got {reply:?}");
    };
    assert_eq!(outcome, Ok(()));
    let forced = ReplicaId::forced();
    assert_eq!(ts.get(&forced), 1, "the first forced record is (forced, 1)");
    assert!(prev.le(&ts), "its timestamp covers the client's context");
    c.settle(5 * SEC);
    for i in 0..4 {
        assert_eq!(c.rep(i).app().balance("a"), 30, "{}", c.names[i]);
        assert_eq!(c.nodes[i].forced_applied, vec![(1, uid(1, 1))]);
    }
    let s = c.rep(3).forced_status().expect("forced configured");
    assert_eq!((s.role, s.applied), (ForcedRole::Learner, 1));
    let s = c.rep(0).forced_status().expect("forced configured");
    assert_eq!(
        (s.role, s.is_primary, s.commit, s.log_len),
        (ForcedRole::Voter, true, 1, 1)
    );
    assert_eq!(c.rep(0).stats().forced_updates_ordered, 1);
}

#[test]
fn an_overdraft_is_refused_with_the_reason_and_its_record_changes_nothing() {
    let mut c = Cluster::new(3, 3, 2);
    let prev = fund(&mut c, "a", 10);
    let t = c.update(1, uid(1, 1), prev, debit("a", 11));
    let reply = c.await_reply(1, t, SEC).expect("answered");
    let ClientReply::Forced { outcome, ts } = reply else {
        panic!("expected a forced outcome, got {reply:?}");
    };
    assert_eq!(
        outcome,
        Err("insufficient funds: a has 10, debit 11".into())
    );
    assert_eq!(ts.get(&ReplicaId::forced()), 1, "a refusal is a record too");
    c.settle(5 * SEC);
    for i in 0..3 {
        assert_eq!(c.rep(i).app().balance("a"), 10);
        assert_eq!(c.nodes[i].forced_applied.len(), 1);
    }
}

/// Concurrent conflicting debits at five replicas (three voters, two
/// learners) over a lossy, reordering network, racing a causal credit that
/// makes a third debit affordable: exactly one affordable subset is
/// granted, the same everywhere, and no replica ever goes below zero (the
/// harness checks after every input). A third grant is only safe because
/// its record's `prev` covers the credit its decision saw.
fn conflicting_debits(seed: u64, app: Ledger) -> usize {
    let mut c = Cluster::with_app(5, 3, seed, app);
    let prev = fund(&mut c, "a", 100);
    c.loss = 50;
    c.jitter = 4 * MS;
    // The credit, at a learner: causal, it may only help.
    let t_credit = c.update(4, uid(99, 1), prev.clone(), credit("a", 5));
    c.run_for(Duration::from_micros(seed * 700));
    let tokens: Vec<(usize, u64)> = (0..5)
        .map(|i| {
            (
                i,
                c.update(i, uid(10 + i as u64, 1), prev.clone(), debit("a", 35)),
            )
        })
        .collect();
    c.run_for(3 * SEC);
    let mut granted_ids = Vec::new();
    for (i, t) in &tokens {
        let reply = c
            .reply(*i, *t)
            .cloned()
            .unwrap_or_else(|| panic!("seed {seed}: r{} unanswered", i + 1));
        match reply {
            ClientReply::Forced {
                outcome: Ok(()), ..
            } => granted_ids.push(uid(10 + *i as u64, 1)),
            // A refusal saw too little: its decision read the state.
            ClientReply::Forced {
                outcome: Err(reason),
                ..
            } => {
                let seen: i64 = reason
                    .trim_start_matches("insufficient funds: a has ")
                    .trim_end_matches(", debit 35")
                    .parse()
                    .unwrap_or_else(|_| panic!("seed {seed}: odd reason {reason}"));
                assert!(seen < 35, "seed {seed}: refused with {seen}");
            }
            // A lost forward may leave one unanswered within its budget.
            ClientReply::ForcedUnavailable { .. } => {}
            other => panic!("seed {seed}: unexpected {other:?}"),
        }
    }
    assert!(c.reply(4, t_credit).is_some());
    c.settle(10 * SEC);
    let app = c.rep(0).app().clone();
    for g in &granted_ids {
        assert!(
            app.debits.contains(g),
            "seed {seed}: acknowledged {g:?} lost"
        );
    }
    assert_eq!(app.balance("a"), 105 - 35 * app.debits.len() as i64);
    for i in 1..5 {
        assert_eq!(c.rep(i).app(), &app, "seed {seed}: r{} differs", i + 1);
    }
    app.debits.len()
}

#[test]
fn concurrent_debits_at_different_replicas_grant_one_affordable_subset_everywhere() {
    let mut thirds = 0;
    for seed in 0..12 {
        if conflicting_debits(seed, Ledger::default()) == 3 {
            thirds += 1;
        }
    }
    assert!(
        thirds > 0,
        "no seed granted the debit only the credit paid for"
    );
}

/// The harness's checks can fail: a ledger that grants every debit is
/// caught overdrawing.
#[test]
#[should_panic(expected = "overdrew")]
fn the_checks_catch_a_ledger_that_grants_overdrafts() {
    let reckless = Ledger {
        reckless: true,
        ..Ledger::default()
    };
    conflicting_debits(0, reckless);
}

#[test]
fn a_learner_and_a_backup_forward_to_the_primary_and_relay_its_answer() {
    let mut c = Cluster::new(4, 3, 3);
    let prev = fund(&mut c, "a", 100);
    // r2 is a backup, r4 a learner.
    let t_backup = c.update(1, uid(1, 1), prev.clone(), debit("a", 10));
    let t_learner = c.update(3, uid(2, 1), prev, debit("a", 10));
    assert!(granted(
        &c.await_reply(1, t_backup, SEC).expect("backup answered")
    ));
    assert!(granted(
        &c.await_reply(3, t_learner, SEC).expect("learner answered")
    ));
    assert_eq!(c.rep(1).stats().forced_forwarded, 1);
    assert_eq!(c.rep(3).stats().forced_forwarded, 1);
    assert_eq!(c.rep(0).stats().forced_updates_ordered, 2);
    c.settle(5 * SEC);
    assert_eq!(c.rep(3).app().balance("a"), 80);
}

#[test]
fn after_the_primary_crashes_a_view_change_resumes_forced_updates_and_loses_nothing_acknowledged() {
    let mut c = Cluster::new(4, 3, 4);
    let mut prev = fund(&mut c, "a", 100);
    let mut acked = Vec::new();
    for s in 1..=3 {
        let t = c.update(0, uid(1, s), prev.clone(), debit("a", 10));
        let reply = c.await_reply(0, t, SEC).expect("answered");
        assert!(granted(&reply));
        prev.merge(&forced_ts(&reply));
        acked.push(uid(1, s));
    }
    c.crash(0);
    // A learner's request goes to the dead primary, then to whoever leads.
    let t = c.update(3, uid(2, 1), prev.clone(), debit("a", 10));
    let reply = c
        .await_reply(3, t, 3 * SEC)
        .expect("answered after the view change");
    assert!(granted(&reply), "{reply:?}");
    acked.push(uid(2, 1));
    let p = c.primary().expect("a new primary");
    assert_ne!(p, 0);
    assert!(c.rep(p).forced_status().expect("forced").view >= 1);
    // The old primary comes back (it recovers its voter state) and catches up.
    c.restart(0);
    c.settle(10 * SEC);
    for i in 0..4 {
        assert_eq!(c.rep(i).app().debits, acked, "{}", c.names[i]);
        assert_eq!(c.rep(i).app().balance("a"), 60);
    }
}

#[test]
fn a_minority_answers_unavailable_no_quorum_while_causal_updates_work_on_both_sides() {
    let mut c = Cluster::new(5, 3, 5);
    let prev = fund(&mut c, "a", 100);
    // r1 (the primary) and learner r4 against r2, r3 and r5.
    c.partition(&[0, 3]);
    let start = c.now;
    let t_min = c.update(3, uid(1, 1), prev.clone(), debit("a", 10));
    let t_maj = c.update(4, uid(2, 1), prev.clone(), debit("a", 10));
    let reply = c
        .await_reply(3, t_min, 5 * SEC)
        .expect("the minority answers");
    assert_eq!(
        reply,
        ClientReply::ForcedUnavailable {
            reason: "unavailable: no quorum".into()
        }
    );
    let budget = c.config.forced.as_ref().expect("forced").request_budget;
    assert!(
        c.now <= start + budget + 500 * MS,
        "answered within the budget"
    );
    // The majority side elects r2 or r3 and keeps ordering.
    assert!(granted(
        &c.await_reply(4, t_maj, 5 * SEC).expect("majority answers")
    ));
    // Causal updates and queries keep working on the minority side.
    let t = c.update(3, uid(3, 1), prev.clone(), credit("a", 1));
    assert!(matches!(
        c.await_reply(3, t, SEC),
        Some(ClientReply::Accepted { .. })
    ));
    let q = c.request(
        0,
        ClientRequest::Query {
            prev: VectorTimestamp::new(),
            query: Balance("a".into()),
        },
    );
    assert!(matches!(
        c.await_reply(0, q, SEC),
        Some(ClientReply::Answer { .. })
    ));
    // Healed, every replica has the majority's debit once (the minority's
    // request never reached a quorum; had it, the ledger would show it once).
    c.settle(10 * SEC);
    let app = c.rep(1).app().clone();
    assert!(app.debits.contains(&uid(2, 1)));
    assert!(app.debits.len() <= 2);
    for i in 0..5 {
        assert_eq!(c.rep(i).app(), &app);
    }
}

#[test]
fn a_forced_query_sees_every_earlier_acknowledged_forced_update() {
    let mut c = Cluster::new(4, 3, 6);
    c.jitter = 5 * MS;
    let prev = fund(&mut c, "a", 100);
    let t = c.update(0, uid(1, 1), prev, debit("a", 40));
    assert!(granted(&c.await_reply(0, t, SEC).expect("answered")));
    // Straight away, at a learner that has not heard of it yet.
    let q = c.forced_query(3, uid(2, 1), "a");
    let reply = c.await_reply(3, q, SEC).expect("answered");
    let ClientReply::Answer { reply: balance, ts } = reply else {
        panic!("expected an answer, got {reply:?}");
    };
    assert_eq!(balance, 60);
    assert_eq!(
        ts.get(&ReplicaId::forced()),
        1,
        "the answer covers the debit"
    );
    // A causal read at the learner with that context sees it too.
    let q = c.request(
        3,
        ClientRequest::Query {
            prev: ts,
            query: Balance("a".into()),
        },
    );
    assert!(matches!(
        c.await_reply(3, q, SEC),
        Some(ClientReply::Answer { reply: 60, .. })
    ));
}

#[test]
fn retries_of_one_forced_update_at_several_replicas_execute_it_once() {
    let mut c = Cluster::new(4, 3, 7);
    c.jitter = 3 * MS;
    let prev = fund(&mut c, "a", 100);
    let id = uid(1, 1);
    // The same update at a learner, a backup and the primary at once.
    let ts: Vec<(usize, u64)> = [3, 1, 0]
        .into_iter()
        .map(|i| (i, c.update(i, id, prev.clone(), debit("a", 30))))
        .collect();
    let mut outcomes = Vec::new();
    for (i, t) in ts {
        let reply = c.await_reply(i, t, 2 * SEC).expect("answered");
        outcomes.push(granted(&reply));
    }
    assert_eq!(outcomes, vec![true, true, true]);
    // And once more, long after it committed.
    c.settle(5 * SEC);
    let t = c.update(2, id, prev, debit("a", 30));
    assert!(granted(&c.await_reply(2, t, SEC).expect("answered")));
    c.settle(5 * SEC);
    for i in 0..4 {
        assert_eq!(c.rep(i).app().balance("a"), 70, "{}", c.names[i]);
        assert_eq!(c.rep(i).app().debits, vec![id]);
    }
}

#[test]
fn one_voter_becomes_three_through_the_order_and_then_survives_losing_the_first() {
    let mut c = Cluster::new(3, 1, 8);
    let mut prev = fund(&mut c, "a", 100);
    let t = c.update(1, uid(1, 1), prev.clone(), debit("a", 10));
    let reply = c.await_reply(1, t, SEC).expect("answered");
    assert!(granted(&reply));
    prev.merge(&forced_ts(&reply));
    assert_eq!(
        c.rep(1).forced_status().expect("forced").role,
        ForcedRole::Learner
    );
    // The ledger's peers joined: make them voters.
    let t = c.propose(2, uid(2, 1), &["r1", "r2", "r3"]);
    let reply = c.await_reply(2, t, 2 * SEC).expect("answered");
    assert_eq!(reply, ClientReply::Reconfigured { epoch: 1 });
    c.run_for(SEC);
    for i in 0..3 {
        let s = c.rep(i).forced_status().expect("forced");
        assert_eq!((s.role, s.epoch), (ForcedRole::Voter, 1), "{}", c.names[i]);
        assert_eq!(s.voters, vec![r("r1"), r("r2"), r("r3")]);
    }
    // r1 alone could not order now; r2 and r3 are a majority without it.
    c.crash(0);
    let t = c.update(2, uid(1, 2), prev, debit("a", 10));
    assert!(granted(&c.await_reply(2, t, 3 * SEC).expect("answered")));
    c.settle(5 * SEC);
    assert_eq!(c.rep(1).app().balance("a"), 80);
    assert_eq!(c.rep(2).app().debits, vec![uid(1, 1), uid(1, 2)]);
}

#[test]
fn forced_requests_without_a_forced_order_are_refused_with_a_reason() {
    let mut rep = Replica::new(
        r("r1"),
        ReplicaConfig::default(),
        Ledger::default(),
        Time::ZERO,
    );
    rep.handle_request(
        Time::ZERO,
        RequestToken(1),
        ClientRequest::Update {
            id: uid(1, 1),
            prev: VectorTimestamp::new(),
            op: debit("a", 1),
        },
    );
    let ready = rep.ready();
    let out = rep.advance(ready);
    assert_eq!(
        out,
        vec![Output::Reply {
            token: RequestToken(1),
            reply: ClientReply::Rejected {
                reason: "this cluster has no forced order: forced operations are not configured"
                    .into()
            }
        }]
    );
    assert_eq!(rep.app(), &Ledger::default());
}

#[test]
fn the_forced_pseudo_origin_is_refused_as_a_name_and_as_a_voter() {
    assert_eq!(
        ReplicaId::new("forced"),
        Err(ReplicaIdError::Reserved("forced".into()))
    );
    let config = ReplicaConfig {
        forced: Some(ForcedConfig::new(vec![ReplicaId::forced()])),
        ..ReplicaConfig::default()
    };
    let err = Replica::try_new(r("r1"), config, Ledger::default(), Time::ZERO).unwrap_err();
    assert_eq!(err, ForcedConfigError::ReservedName(ReplicaId::forced()));
}

#[test]
fn the_ledger_meets_the_forced_decision_contract() {
    let start = Ledger {
        balances: [("a".to_string(), 10)].into(),
        ..Ledger::default()
    };
    let forced = vec![debit("a", 5), debit("a", 5), debit("a", 1), debit("a", 20)];
    let between = vec![
        vec![credit("a", 10)],
        vec![],
        vec![credit("a", 1)],
        vec![credit("a", 100)],
    ];
    let invariant = |l: &Ledger| {
        if l.balances.values().all(|b| *b >= 0) {
            Ok(())
        } else {
            Err(format!("below zero: {:?}", l.balances))
        }
    };
    // The decider never saw the credits: it refuses more, and that is safe.
    conformance::check_forced_decisions(&start, &forced, &between, invariant).expect("contract");
    // A ledger that grants overdrafts fails it.
    let reckless = Ledger {
        reckless: true,
        ..start
    };
    let err = conformance::check_forced_decisions(&reckless, &forced, &between, invariant)
        .expect_err("overdrafts granted");
    assert!(err.starts_with("decider, after forced update 2"), "{err}");
}

/// A ledger whose debits are causal breaks the contract, and the helper says so.
#[test]
fn the_conformance_helper_catches_a_causal_debit() {
    let start = Ledger {
        balances: [("a".to_string(), 10)].into(),
        ..Ledger::default()
    };
    let forced = vec![debit("a", 10)];
    // A debit "allowed in between" is classed forced: refused as a scenario.
    let between = vec![vec![debit("a", 5)]];
    let err = conformance::check_forced_decisions(&start, &forced, &between, |_| Ok(()))
        .expect_err("a forced update given as causal");
    assert!(err.contains("classed forced"), "{err}");
}

/// Exact outputs of the simplest case: one voter, one learner. The voter
/// commits at once (a majority of one), writes the record `(forced, 1)`,
/// answers, and pushes the record eagerly; a causal update at the learner
/// that names it waits for it (the pseudo-origin is a known origin) and is
/// accepted when the push arrives.
#[test]
fn a_voter_pushes_its_forced_records_and_a_learner_holds_updates_that_name_them() {
    let config = |voters: &[&str]| ReplicaConfig {
        journal: true,
        forced: Some(ForcedConfig::new(voters.iter().map(|v| r(v)).collect())),
        ..ReplicaConfig::default()
    };
    let funded = Ledger {
        balances: [("a".to_string(), 10)].into(),
        ..Ledger::default()
    };
    let mut r1 = Replica::new(r("r1"), config(&["r1"]), funded.clone(), Time::ZERO);
    let mut r2 = Replica::new(r("r2"), config(&["r1"]), funded, Time::ZERO);
    r1.add_member(r("r2"));
    r2.add_member(r("r1"));
    let drain = |rep: &mut Replica<Ledger>| {
        let ready = rep.ready();
        let journal = ready.journal().records.clone();
        (journal, rep.advance(ready))
    };
    let _ = (drain(&mut r1), drain(&mut r2));
    let id = uid(1, 1);
    let t1 = Time::from_micros(1_000);
    r1.handle_request(
        t1,
        RequestToken(1),
        ClientRequest::Update {
            id,
            prev: VectorTimestamp::new(),
            op: debit("a", 4),
        },
    );
    let forced = ReplicaId::forced();
    let record = UpdateRecord {
        id,
        dot: Dot {
            origin: forced.clone(),
            seq: 1,
        },
        prev: VectorTimestamp::new(),
        op: debit("a", 4),
        refused: None,
    };
    let ts: VectorTimestamp = [(forced.clone(), 1)].into_iter().collect();
    let (journal, out) = drain(&mut r1);
    assert_eq!(
        journal,
        vec![record.clone()],
        "the record is journaled first"
    );
    assert_eq!(
        out,
        vec![
            Output::Reply {
                token: RequestToken(1),
                reply: ClientReply::Forced {
                    outcome: Ok(()),
                    ts: ts.clone()
                }
            },
            Output::Send {
                to: r("r2"),
                msg: PeerMessage::Gossip(Gossip {
                    rep_ts: ts.clone(),
                    records: vec![record]
                })
            },
        ]
    );
    // The learner is asked for a credit after the debit before it has it.
    r2.handle_request(
        t1,
        RequestToken(2),
        ClientRequest::Update {
            id: uid(1, 2),
            prev: ts.clone(),
            op: credit("a", 1),
        },
    );
    let (_, held) = drain(&mut r2);
    assert!(
        held.iter().all(|o| !matches!(o, Output::Reply { .. })),
        "held, not refused: {held:?}"
    );
    assert_eq!(r2.held_updates_len(), 1);
    for o in out {
        if let Output::Send { msg, .. } = o {
            r2.handle_peer(t1, &r("r1"), msg);
        }
    }
    let (_, after) = drain(&mut r2);
    assert!(
        after.iter().any(|o| matches!(
            o,
            Output::Reply {
                token: RequestToken(2),
                reply: ClientReply::Accepted { .. }
            }
        )),
        "{after:?}"
    );
    assert_eq!(r2.app().balance("a"), 7);
}

/// The primary removed by a reconfiguration becomes a learner and forwards
/// its clients' forced updates to the new voters (not to its old self).
#[test]
fn a_removed_primary_becomes_a_learner_that_forwards_to_the_new_voters() {
    let mut c = Cluster::new(3, 3, 9);
    let prev = fund(&mut c, "a", 100);
    let t = c.propose(0, uid(2, 1), &["r2", "r3"]);
    let reply = c.await_reply(0, t, 2 * SEC).expect("answered");
    assert_eq!(reply, ClientReply::Reconfigured { epoch: 1 });
    c.run_for(SEC);
    let s = c.rep(0).forced_status().expect("forced");
    assert_eq!(s.role, ForcedRole::Learner);
    assert_eq!(s.voters, vec![r("r2"), r("r3")]);
    let t = c.update(0, uid(1, 1), prev, debit("a", 10));
    let reply = c.await_reply(0, t, 2 * SEC).expect("answered");
    eprintln!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        c.rep(0).forced_status(),
        c.rep(1).forced_status(),
        c.rep(2).forced_status(),
        c.rep(0).stats()
    );
    assert!(granted(&reply));
    // To r2 first (the first new voter), which names the primary.
    assert!(c.rep(0).stats().forced_forwarded >= 1);
    c.settle(5 * SEC);
    assert_eq!(c.rep(0).app().balance("a"), 90);
}
