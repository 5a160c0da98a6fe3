//! The forced order under faults: same order everywhere with each request once,
//! every acknowledged request committed with the outcome its client saw,
//! linearizability of a register/CAS history, a ledger that never goes below zero,
//! failover, a minority that answers "no quorum", reconfiguration, and the planted
//! bugs each checker must catch.

use std::collections::BTreeSet;
use std::time::Duration;

use super::config::VrConfig;
use super::harness_test::{Cluster, Faults, MS, Record, chaos, healed};
use super::linearizable::{self, Operation, Register, RegisterOp, RegisterRet, Verdict};
use super::message::{Answer, Command, EntryBody, ForcedError, NodeId};
use super::models_test::{Ledger, LedgerOp, LedgerOutcome, RegisterMachine};
use super::rng::SplitMix64;
use super::voter::VoterStatus;
// ---- workloads ----

fn register_ok(_: &RegisterMachine) -> Result<(), String> {
    Ok(())
}

fn register_op(rng: &mut SplitMix64) -> RegisterOp {
    match rng.below(3) {
        0 => RegisterOp::Read,
        1 => RegisterOp::Write(rng.below(4)),
        _ => RegisterOp::Cas {
            from: rng.below(4),
            to: rng.below(4),
        },
    }
}

fn ledger_ok(l: &Ledger) -> Result<(), String> {
    if l.balance < 0 {
        Err(format!("balance {} below zero", l.balance))
    } else {
        Ok(())
    }
}

fn ledger_op(rng: &mut SplitMix64) -> LedgerOp {
    if rng.below(10) < 3 {
        LedgerOp::Credit(1 + rng.below(4) as i64)
    } else {
        LedgerOp::Debit(1 + rng.below(6) as i64)
    }
}

fn register_history(
    history: &[Record<RegisterMachine>],
) -> Vec<Operation<RegisterOp, RegisterRet>> {
    history
        .iter()
        .filter_map(|r| {
            let Command::Op(op) = &r.cmd else { return None };
            let ret = match &r.ret {
                Some((t, Ok(Answer::Outcome(o)))) => Some((*t, *o)),
                _ => None,
            };
            Some(Operation {
                call: r.call,
                ret,
                op: *op,
            })
        })
        .collect()
}

fn config() -> VrConfig {
    VrConfig::new(NodeId(0), Vec::new())
}

fn register_run(seed: u64, bugs: super::ForcedBugs) -> Cluster<RegisterMachine> {
    let mut cfg = config();
    cfg.bugs = bugs;
    let mut c = Cluster::new(
        seed,
        3 + 2 * (seed % 2),
        cfg,
        RegisterMachine::default(),
        register_ok,
        register_op,
    );
    for i in 0..3 {
        c.add_client(NodeId(1 + i), Vec::new(), 20);
    }
    chaos(&mut c, seed, 6_000 * MS, 8_000 * MS, true);
    c
}

fn ledger_run(seed: u64, bugs: super::ForcedBugs) -> Cluster<Ledger> {
    let mut cfg = config();
    cfg.bugs = bugs;
    let mut c = Cluster::new(
        seed,
        3 + 2 * (seed % 2),
        cfg,
        Ledger::default(),
        ledger_ok,
        ledger_op,
    );
    for i in 0..3 {
        c.add_client(NodeId(1 + i), Vec::new(), 25);
    }
    chaos(&mut c, seed, 6_000 * MS, 8_000 * MS, true);
    c
}

/// Ledger traffic under faults while a client adds voter 4, then removes voter 1.
fn reconfiguration_run(seed: u64) -> Cluster<Ledger> {
    let mut c = Cluster::new(seed, 3, config(), Ledger::default(), ledger_ok, ledger_op);
    c.add_joiner(NodeId(4), (1..=3).map(NodeId).collect());
    for i in 0..2 {
        c.add_client(NodeId(1 + i), Vec::new(), 25);
    }
    let script = vec![
        Command::Reconfigure {
            voters: (1..=4).map(NodeId).collect(),
        },
        Command::Reconfigure {
            voters: (2..=4).map(NodeId).collect(),
        },
    ];
    c.add_client(NodeId(3), script, 0);
    chaos(&mut c, seed, 6_000 * MS, 8_000 * MS, false);
    c
}

fn linearizable(c: &Cluster<RegisterMachine>) -> Verdict {
    linearizable::check(
        &Register::default(),
        &register_history(&c.history),
        2_000_000,
    )
}

// ---- tests ----

/// Seeds per sweep: a few hundred runs of each workload, each 14 s of virtual time.
const SEEDS: u64 = 250;

#[test]
fn same_order_everywhere_and_linearizable_under_faults() {
    let (mut crashes, mut view_changes) = (0, 0);
    for seed in 0..SEEDS {
        let c = register_run(seed, Default::default());
        crashes += c.crashes;
        view_changes += c.active().iter().map(|v| v.view()).max().unwrap_or(0);
        assert!(c.violations.is_empty(), "seed {seed}: {:?}", c.violations);
        assert_eq!(linearizable(&c), Verdict::Linearizable, "seed {seed}");
        healed(&c).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let answered = c
            .history
            .iter()
            .filter(|r| matches!(r.ret, Some((_, Ok(_)))))
            .count();
        assert!(answered > 0, "seed {seed}: nothing was acknowledged");
    }
    // The sweep must have exercised crashes (and so recoveries) and failovers.
    assert!(crashes > SEEDS as usize, "only {crashes} crashes");
    assert!(view_changes > SEEDS, "only {view_changes} view changes");
}

#[test]
fn ledger_never_goes_below_zero_under_faults() {
    for seed in 0..SEEDS {
        let c = ledger_run(seed, Default::default());
        assert!(c.violations.is_empty(), "seed {seed}: {:?}", c.violations);
        healed(&c).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let refused = c.active().iter().flat_map(|v| v.committed()).any(|e| {
            matches!(
                e.body,
                EntryBody::Op {
                    outcome: LedgerOutcome::Refused,
                    ..
                }
            )
        });
        assert!(refused, "seed {seed}: the workload never tried to overdraw");
    }
}

#[test]
fn planted_ack_before_quorum_is_caught() {
    let bugs = super::ForcedBugs {
        ack_before_quorum: true,
        ..Default::default()
    };
    let (mut by_order, mut by_linearizability) = (0, 0);
    for seed in 0..60 {
        let c = register_run(seed, bugs);
        by_order += usize::from(!c.violations.is_empty());
        by_linearizability += usize::from(linearizable(&c) == Verdict::NotLinearizable);
    }
    eprintln!(
        "ack-before-quorum caught: order/ack checks {by_order}, linearizability {by_linearizability} of 60"
    );
    assert!(
        by_order > 0,
        "the acknowledged-but-lost check missed acknowledging before a quorum"
    );
    assert!(
        by_linearizability > 0,
        "the linearizability check missed acknowledging before a quorum"
    );
}

#[test]
fn planted_forgetful_view_change_is_caught() {
    let bugs = super::ForcedBugs {
        forget_on_view_change: true,
        ..Default::default()
    };
    let (mut by_order, mut by_ledger) = (0, 0);
    for seed in 0..60 {
        let c = ledger_run(seed, bugs);
        by_order += usize::from(
            c.violations
                .iter()
                .any(|v| v.contains("order differs") || v.contains("un-committed")),
        );
        by_ledger += usize::from(c.violations.iter().any(|v| v.contains("below zero")));
    }
    eprintln!("forget-committed caught: order {by_order}, ledger {by_ledger} of 60");
    assert!(
        by_order > 0,
        "the order check missed a view change that forgets committed entries"
    );
    assert!(
        by_ledger > 0,
        "the ledger check missed a view change that forgets committed entries"
    );
}

#[test]
fn same_seed_same_run() {
    let a = ledger_run(7, Default::default());
    let b = ledger_run(7, Default::default());
    assert_eq!(a.order, b.order);
    assert_eq!(a.now, b.now);
}

#[test]
fn failover_after_the_primary_crashes_takes_about_a_second() {
    let mut c = Cluster::new(1, 3, config(), Ledger::default(), ledger_ok, ledger_op);
    c.faults = Faults {
        loss: 0,
        dup: 0,
        min_delay: 100,
        max_delay: 500,
    };
    c.client_resend = 100 * MS;
    let client = c.add_client(NodeId(1), Vec::new(), 0);
    for _ in 0..5 {
        c.push_script(client, Command::Op(LedgerOp::Credit(1)));
    }
    c.run_until(1_000 * MS);
    let old = c.primary().expect("a primary");
    let crashed_at = c.now;
    c.crash(old);
    for _ in 0..5 {
        c.push_script(client, Command::Op(LedgerOp::Credit(1)));
    }
    c.run_until(crashed_at + 3_000 * MS);
    let first_ack = c
        .history
        .iter()
        .filter_map(|r| match &r.ret {
            Some((t, Ok(_))) if r.call >= crashed_at => Some(*t),
            _ => None,
        })
        .min()
        .expect("acknowledged after the crash");
    let new = c.primary().expect("a new primary");
    assert_ne!(new, old);
    let took = Duration::from_micros(first_ack - crashed_at);
    assert!(
        took <= Duration::from_millis(1_200),
        "failover took {took:?} of virtual time"
    );
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    assert_eq!(c.voter(new).map(|v| v.state().balance), Some(10));
}

#[test]
fn a_minority_answers_no_quorum_and_never_orders() {
    let mut c = Cluster::new(2, 5, config(), Ledger::default(), ledger_ok, ledger_op);
    c.faults = Faults {
        loss: 0,
        dup: 0,
        min_delay: 100,
        max_delay: 500,
    };
    c.client_resend = 10_000 * MS; // wait for the answer of the node asked
    c.run_until(500 * MS);
    let old = c.primary().expect("a primary");
    let other = if old == NodeId(1) {
        NodeId(2)
    } else {
        NodeId(1)
    };
    c.cut = [old, other].into_iter().collect();
    let minority_commit = c.voter(old).map(|v| v.committed().len());
    let start = c.now;
    c.add_client(old, vec![Command::Op(LedgerOp::Credit(7))], 0);
    // Let the majority elect a primary, then ask it.
    c.run_until(start + 1_500 * MS);
    let majority_node = c
        .primary()
        .filter(|p| !c.cut.contains(p))
        .expect("a majority primary");
    c.add_client(majority_node, vec![Command::Op(LedgerOp::Credit(3))], 0);
    c.run_until(start + 4_000 * MS);
    let budget = c.config.request_budget.as_micros() as u64;
    let minority_answer = c
        .history
        .iter()
        .find(|r| r.first_target == old)
        .and_then(|r| r.ret.clone());
    match minority_answer {
        Some((t, Err(ForcedError::NoQuorum))) => assert!(t - start <= budget + 10 * MS),
        other => panic!("the minority answered {other:?}"),
    }
    assert_eq!(ForcedError::NoQuorum.to_string(), "unavailable: no quorum");
    assert_eq!(
        c.voter(old).map(|v| v.committed().len()),
        minority_commit,
        "minority committed"
    );
    let majority_answer = c
        .history
        .iter()
        .find(|r| r.first_target == majority_node)
        .and_then(|r| r.ret.clone());
    assert!(
        matches!(majority_answer, Some((_, Ok(_)))),
        "majority answered {majority_answer:?}"
    );
    // Heal: the old primary takes the majority's order, one order in all.
    c.cut.clear();
    c.run_until(c.now + 3_000 * MS);
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    healed(&c).unwrap();
    let balance: BTreeSet<i64> = c.active().iter().map(|v| v.state().balance).collect();
    assert!(
        balance == [3].into() || balance == [10].into(),
        "balances {balance:?}"
    );
}

#[test]
fn reconfiguration_adds_and_removes_a_voter() {
    let mut c = Cluster::new(3, 3, config(), Ledger::default(), ledger_ok, ledger_op);
    c.faults = Faults {
        loss: 20,
        dup: 20,
        min_delay: 100,
        max_delay: 2 * MS,
    };
    let old: Vec<NodeId> = (1..=3).map(NodeId).collect();
    c.add_joiner(NodeId(4), old.clone());
    let client = c.add_client(NodeId(1), vec![Command::Op(LedgerOp::Credit(5))], 0);
    c.run_until(500 * MS);
    let four: Vec<NodeId> = (1..=4).map(NodeId).collect();
    c.push_script(
        client,
        Command::Reconfigure {
            voters: four.clone(),
        },
    );
    c.push_script(client, Command::Op(LedgerOp::Debit(2)));
    c.run_until(2_000 * MS);
    for n in &four {
        let v = c.voter(*n).expect("running");
        assert_eq!((v.epoch(), v.voters()), (1, &four[..]), "{n:?}");
        assert_eq!(v.state().balance, 3, "{n:?}");
    }
    let three: Vec<NodeId> = (2..=4).map(NodeId).collect();
    c.push_script(
        client,
        Command::Reconfigure {
            voters: three.clone(),
        },
    );
    c.push_script(client, Command::Op(LedgerOp::Debit(1)));
    c.run_until(4_000 * MS);
    assert_eq!(
        c.voter(NodeId(1)).map(|v| v.status()),
        Some(VoterStatus::Retired)
    );
    for n in &three {
        let v = c.voter(*n).expect("running");
        assert_eq!((v.epoch(), v.voters()), (2, &three[..]), "{n:?}");
        assert_eq!(v.state().balance, 2, "{n:?}");
    }
    let answers: Vec<_> = c
        .history
        .iter()
        .map(|r| r.ret.as_ref().map(|(_, a)| a.clone()))
        .collect();
    assert_eq!(answers[1], Some(Ok(Answer::Reconfigured { epoch: 1 })));
    assert_eq!(answers[3], Some(Ok(Answer::Reconfigured { epoch: 2 })));
    // The new group survives losing its primary.
    let p = c.primary().expect("a primary");
    c.crash(p);
    c.push_script(client, Command::Op(LedgerOp::Credit(1)));
    c.run_until(7_000 * MS);
    assert!(matches!(
        c.history.last().and_then(|r| r.ret.clone()),
        Some((_, Ok(_)))
    ));
    assert!(c.violations.is_empty(), "{:?}", c.violations);
}

#[test]
fn reconfiguration_under_faults_keeps_one_order() {
    let mut moved = 0;
    for seed in 0..100 {
        let c = reconfiguration_run(seed);
        assert!(c.violations.is_empty(), "seed {seed}: {:?}", c.violations);
        healed(&c).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        moved += usize::from(c.active().iter().any(|v| v.epoch() == 2));
    }
    assert!(
        moved > 50,
        "only {moved} of 100 runs reached the second epoch"
    );
}
