//! One voter's effects, asserted exactly.

use super::config::VrConfig;
use super::message::{
    Answer, Command, Entry, EntryBody, ForcedError, LogState, Message, NodeId, Output, RequestId,
};
use super::models_test::{Ledger, LedgerOp, LedgerOutcome};
use super::voter::{Voter, VoterStatus, VrOutput};
use crate::time::Time;

fn voters() -> Vec<NodeId> {
    (1..=3).map(NodeId).collect()
}

fn voter(me: u64) -> Voter<Ledger> {
    Voter::new(
        VrConfig::new(NodeId(me), voters()),
        Ledger::default(),
        Time::ZERO,
    )
    .unwrap()
}

fn drain(v: &mut Voter<Ledger>) -> Vec<VrOutput<Ledger>> {
    std::iter::from_fn(|| v.poll_output()).collect()
}

fn id(client: u64, seq: u64) -> RequestId {
    RequestId { client, seq }
}

fn entry(rid: RequestId, op: LedgerOp, outcome: LedgerOutcome) -> Entry<LedgerOp, LedgerOutcome> {
    Entry {
        id: rid,
        body: EntryBody::Op { op, outcome },
    }
}

fn prepare(entries: Vec<Entry<LedgerOp, LedgerOutcome>>) -> Message<LedgerOp, LedgerOutcome> {
    Message::Prepare {
        epoch: 0,
        view: 0,
        first: 1,
        entries,
        commit: 0,
    }
}

#[test]
fn one_prepare_orders_a_batch_and_a_majority_answers_it() {
    let mut p = voter(1);
    let now = Time::from_micros(10);
    p.handle_request(now, id(1, 1), Command::Op(LedgerOp::Credit(5)));
    p.handle_request(now, id(2, 1), Command::Op(LedgerOp::Debit(7)));
    let batch = vec![
        entry(id(1, 1), LedgerOp::Credit(5), LedgerOutcome::Granted),
        // Decided against the state after the credit: 5 < 7.
        entry(id(2, 1), LedgerOp::Debit(7), LedgerOutcome::Refused),
    ];
    assert_eq!(
        drain(&mut p),
        vec![
            Output::Send {
                to: NodeId(2),
                msg: prepare(batch.clone())
            },
            Output::Send {
                to: NodeId(3),
                msg: prepare(batch)
            },
        ]
    );
    p.handle_message(
        now,
        NodeId(3),
        Message::PrepareOk {
            epoch: 0,
            view: 0,
            op: 2,
        },
    );
    assert_eq!(
        drain(&mut p),
        vec![
            Output::Reply {
                id: id(1, 1),
                result: Ok(Answer::Outcome(LedgerOutcome::Granted))
            },
            Output::Reply {
                id: id(2, 1),
                result: Ok(Answer::Outcome(LedgerOutcome::Refused))
            },
        ]
    );
    assert_eq!(p.state().balance, 5);
    // A retry of a committed request is answered from the table, not ordered again.
    p.handle_request(now, id(2, 1), Command::Op(LedgerOp::Debit(7)));
    assert_eq!(
        drain(&mut p),
        vec![Output::Reply {
            id: id(2, 1),
            result: Ok(Answer::Outcome(LedgerOutcome::Refused))
        }]
    );
    assert_eq!(p.log_len(), 2);
}

#[test]
fn a_backup_applies_the_decision_it_is_given_and_redirects_clients() {
    let mut b = voter(2);
    let now = Time::from_micros(10);
    b.handle_request(now, id(1, 1), Command::Op(LedgerOp::Credit(1)));
    assert_eq!(
        drain(&mut b),
        vec![Output::Reply {
            id: id(1, 1),
            result: Err(ForcedError::NotPrimary {
                primary: Some(NodeId(1))
            })
        }]
    );
    let entries = vec![
        entry(id(1, 1), LedgerOp::Credit(3), LedgerOutcome::Granted),
        entry(id(2, 1), LedgerOp::Debit(2), LedgerOutcome::Refused),
    ];
    b.handle_message(
        now,
        NodeId(1),
        Message::Prepare {
            epoch: 0,
            view: 0,
            first: 1,
            entries,
            commit: 2,
        },
    );
    assert_eq!(
        drain(&mut b),
        vec![Output::Send {
            to: NodeId(1),
            msg: Message::PrepareOk {
                epoch: 0,
                view: 0,
                op: 2
            }
        }]
    );
    // The refused debit is skipped although 3 would cover it: no second decision.
    assert_eq!(b.state().balance, 3);
}

#[test]
fn malformed_or_misdirected_messages_change_nothing() {
    let mut b = voter(2);
    let now = Time::from_micros(10);
    let bad = LogState {
        epoch: 0,
        view: 4,
        voters: voters(),
        epoch_start: 0,
        entries: Vec::new(),
        commit: 9, // beyond the log
    };
    let msgs = vec![
        (NodeId(2), Message::StartView { state: bad.clone() }),
        (NodeId(2), Message::NewState { state: bad.clone() }),
        (
            NodeId(3),
            Message::DoViewChange {
                state: bad.clone(),
                last_normal_view: 0,
            },
        ),
        // From a backup, not the primary of view 0.
        (
            NodeId(3),
            prepare(vec![entry(
                id(1, 1),
                LedgerOp::Credit(1),
                LedgerOutcome::Granted,
            )]),
        ),
        // Op number 0 does not exist.
        (
            NodeId(1),
            Message::Prepare {
                epoch: 0,
                view: 0,
                first: 0,
                entries: Vec::new(),
                commit: 0,
            },
        ),
        (NodeId(9), Message::StartViewChange { epoch: 0, view: 1 }),
        (
            NodeId(1),
            Message::EpochStarted {
                state: LogState { epoch: 3, ..bad },
            },
        ),
        (
            NodeId(1),
            Message::RecoveryResponse {
                nonce: 1,
                epoch: 0,
                view: 0,
                state: None,
            },
        ),
    ];
    for (from, msg) in msgs {
        b.handle_message(now, from, msg.clone());
        assert_eq!(drain(&mut b), Vec::new(), "{msg:?}");
        assert_eq!(
            (b.status(), b.epoch(), b.view(), b.log_len()),
            (VoterStatus::Normal, 0, 0, 0)
        );
    }
}

#[test]
fn configuration_errors_are_refused_up_front() {
    let none = VrConfig::new(NodeId(1), Vec::new());
    assert!(matches!(
        Voter::new(none, Ledger::default(), Time::ZERO),
        Err(ForcedError::Invalid(_))
    ));
    let outsider = VrConfig::new(NodeId(7), voters());
    assert!(matches!(
        Voter::new(outsider, Ledger::default(), Time::ZERO),
        Err(ForcedError::Invalid(_))
    ));
    let mut p = voter(1);
    p.handle_request(
        Time::ZERO,
        id(1, 1),
        Command::Reconfigure { voters: Vec::new() },
    );
    assert_eq!(
        drain(&mut p),
        vec![Output::Reply {
            id: id(1, 1),
            result: Err(ForcedError::Invalid("no voters".into()))
        }]
    );
    assert_eq!(p.log_len(), 0);
}

#[test]
fn extreme_numbers_from_the_network_do_not_panic() {
    let mut b = voter(2);
    let now = Time::from_micros(10);
    b.handle_message(
        now,
        NodeId(3),
        Message::StartViewChange {
            epoch: 0,
            view: u64::MAX,
        },
    );
    assert_eq!((b.status(), b.view()), (VoterStatus::ViewChange, u64::MAX));
    let later = Time::from_micros(u64::MAX - 1);
    b.handle_timeout(later); // the next view would overflow: it stays at the last one
    assert_eq!(b.view(), u64::MAX);
    let huge = Message::Prepare {
        epoch: 0,
        view: u64::MAX,
        first: u64::MAX,
        entries: vec![entry(id(1, 1), LedgerOp::Credit(1), LedgerOutcome::Granted)],
        commit: u64::MAX,
    };
    b.handle_message(later, NodeId(1), huge);
    let _ = drain(&mut b);
    assert_eq!(b.log_len(), 0);
}

#[test]
fn waiting_requests_are_bounded_and_expire_as_no_quorum() {
    let mut cfg = VrConfig::new(NodeId(1), voters());
    cfg.max_waiting = 1;
    let mut p = Voter::new(cfg, Ledger::default(), Time::ZERO).unwrap();
    p.handle_request(Time::ZERO, id(1, 1), Command::Op(LedgerOp::Credit(1)));
    p.handle_request(Time::ZERO, id(2, 1), Command::Op(LedgerOp::Credit(2)));
    let batch = vec![entry(id(1, 1), LedgerOp::Credit(1), LedgerOutcome::Granted)];
    assert_eq!(
        drain(&mut p),
        vec![
            // The second request finds the table full.
            Output::Reply {
                id: id(2, 1),
                result: Err(ForcedError::NoQuorum)
            },
            Output::Send {
                to: NodeId(2),
                msg: prepare(batch.clone())
            },
            Output::Send {
                to: NodeId(3),
                msg: prepare(batch)
            },
        ]
    );
    assert_eq!(p.log_len(), 1, "a refused request is not ordered");
    // No backup answers: the first request expires at its budget.
    let deadline = Time::ZERO + p.config.request_budget;
    assert_eq!(p.poll_timeout(), Some(Time::ZERO));
    p.handle_timeout(deadline);
    let replies: Vec<_> = drain(&mut p)
        .into_iter()
        .filter(|o| matches!(o, Output::Reply { .. }))
        .collect();
    assert_eq!(
        replies,
        vec![Output::Reply {
            id: id(1, 1),
            result: Err(ForcedError::NoQuorum)
        }]
    );
}

#[test]
fn a_backup_keeps_a_prepare_that_arrives_before_the_one_ahead_of_it() {
    // Shells may deliver peer messages out of order (one QUIC stream each).
    // A batch that arrives ahead of a gap must not wait for the primary's
    // next heartbeat to be resent: it is kept and taken once the gap fills.
    let mut b = voter(2);
    let now = Time::from_micros(10);
    let batch = |first: u64, n: u64| Message::Prepare {
        epoch: 0,
        view: 0,
        first,
        entries: (first..first + n)
            .map(|s| entry(id(1, s), LedgerOp::Credit(1), LedgerOutcome::Granted))
            .collect(),
        commit: 0,
    };
    let ok = |op: u64| Output::Send {
        to: NodeId(1),
        msg: Message::PrepareOk {
            epoch: 0,
            view: 0,
            op,
        },
    };
    b.handle_message(now, NodeId(1), batch(3, 2));
    assert_eq!(drain(&mut b), vec![ok(0)], "nothing before the gap yet");
    b.handle_message(now, NodeId(1), batch(1, 2));
    assert_eq!(
        drain(&mut b),
        vec![ok(4)],
        "the early batch is taken at once"
    );
    assert_eq!(b.log_len(), 4);
}
