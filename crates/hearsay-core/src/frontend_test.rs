//! Unit tests of [`FrontEnd`] routing.

use std::time::Duration;

use crate::testing::{KvApp, KvQuery, KvReply};
use crate::*;

fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

fn t(ms: u64) -> Time {
    Time::from_micros(ms * 1000)
}

fn ts(entries: &[(&str, u64)]) -> VectorTimestamp {
    entries.iter().map(|(k, v)| (r(k), *v)).collect()
}

fn front_end(replicas: &[&str]) -> FrontEnd<KvApp> {
    let mut fe = FrontEnd::new(FrontEndConfig::default());
    for n in replicas {
        fe.add_replica(r(n));
    }
    fe
}

fn query(prev: VectorTimestamp) -> ClientRequest<KvApp> {
    ClientRequest::Query {
        prev,
        query: KvQuery::Get { key: "x".into() },
    }
}

/// The replica and attempt of the single `Send` in `outputs`.
fn sent(fe: &mut FrontEnd<KvApp>) -> (String, AttemptId) {
    match fe.poll_output() {
        Some(FrontEndOutput::Send { to, attempt, .. }) => (to.to_string(), attempt),
        other => panic!("expected a send, got {other:?}"),
    }
}

fn answer(ts: VectorTimestamp) -> ClientReply<KvApp> {
    ClientReply::Answer {
        reply: KvReply::Value(None),
        ts,
    }
}

#[test]
fn requests_go_to_replicas_in_order_while_all_are_equal() {
    let mut fe = front_end(&["r2", "r1", "r3"]);
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    assert_eq!(
        fe.poll_output(),
        Some(FrontEndOutput::Send {
            to: r("r1"),
            attempt: AttemptId(1),
            request: query(VectorTimestamp::new()),
        })
    );
    assert_eq!(fe.poll_output(), None);
}

#[test]
fn unavailable_replicas_are_skipped_and_all_unavailable_is_busy() {
    let mut fe = front_end(&["r1", "r2", "r3"]);
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    for expected in ["r1", "r2", "r3"] {
        let (to, attempt) = sent(&mut fe);
        assert_eq!(to, expected);
        fe.handle_reply(
            t(1),
            attempt,
            ClientReply::Unavailable {
                status: Status::Offline,
            },
        );
    }
    assert_eq!(
        fe.poll_output(),
        Some(FrontEndOutput::Done {
            token: RequestToken(1),
            outcome: Outcome::Busy
        })
    );
    // The next request still tries them all (they may be back), offline last.
    fe.set_replica_status(&r("r2"), Status::Online);
    fe.submit(t(2), RequestToken(2), query(VectorTimestamp::new()), None);
    assert_eq!(sent(&mut fe).0, "r2");
}

#[test]
fn an_update_is_retried_elsewhere_with_the_same_id_and_prev() {
    let mut fe = front_end(&["r1", "r2"]);
    let mut session = Session::new(ClientId(4));
    let req = session.update::<KvApp>(testing::KvUpdate::Add {
        key: "c".into(),
        delta: 1,
    });
    fe.submit(t(0), RequestToken(1), req.clone(), None);
    let (_, first) = sent(&mut fe);
    fe.handle_timeout(t(2500));
    match fe.poll_output() {
        Some(FrontEndOutput::Send { to, request, .. }) => {
            assert_eq!(to, r("r2"));
            assert_eq!(request, req, "same id, same prev");
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    // The late answer of the abandoned attempt is ignored.
    fe.handle_reply(
        t(2600),
        first,
        ClientReply::Accepted {
            ts: ts(&[("r1", 1)]),
        },
    );
    assert_eq!(fe.poll_output(), None);
    assert_eq!(fe.pending_len(), 1);
}

#[test]
fn up_to_date_replicas_are_preferred_and_not_yet_moves_on() {
    let mut fe = front_end(&["r1", "r2"]);
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    let (_, a) = sent(&mut fe);
    fe.handle_reply(t(1), a, answer(VectorTimestamp::new()));
    fe.poll_output();
    // r2 reveals it has r2:3; a session that saw r2:3 should go there first.
    fe.submit(
        t(2),
        RequestToken(2),
        query(VectorTimestamp::new()),
        Some(r("r2")),
    );
    let (to, a) = sent(&mut fe);
    assert_eq!(to, "r2");
    fe.handle_reply(t(3), a, answer(ts(&[("r2", 3)])));
    fe.poll_output();
    fe.submit(t(4), RequestToken(3), query(ts(&[("r2", 3)])), None);
    let (to, a) = sent(&mut fe);
    assert_eq!(to, "r2");
    fe.handle_reply(
        t(5),
        a,
        ClientReply::NotYet {
            value_ts: VectorTimestamp::new(),
        },
    );
    assert_eq!(sent(&mut fe).0, "r1");
}

#[test]
fn the_preferred_replica_is_used_while_online() {
    let mut fe = front_end(&["r1", "r2", "r3"]);
    fe.submit(
        t(0),
        RequestToken(1),
        query(VectorTimestamp::new()),
        Some(r("r3")),
    );
    assert_eq!(sent(&mut fe).0, "r3");
}

#[test]
fn a_rejection_ends_the_request_without_retries() {
    let mut fe = front_end(&["r1", "r2"]);
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    let (_, a) = sent(&mut fe);
    let rejected = ClientReply::Rejected {
        reason: "no".into(),
    };
    fe.handle_reply(t(1), a, rejected.clone());
    assert_eq!(
        fe.poll_output(),
        Some(FrontEndOutput::Done {
            token: RequestToken(1),
            outcome: Outcome::Reply(rejected)
        })
    );
}

#[test]
fn the_request_budget_ends_in_busy() {
    let config = FrontEndConfig {
        attempt_timeout: Duration::from_secs(10),
        request_budget: Duration::from_millis(100),
    };
    let mut fe: FrontEnd<KvApp> = FrontEnd::new(config);
    fe.add_replica(r("r1"));
    fe.add_replica(r("r2"));
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    sent(&mut fe);
    assert_eq!(fe.poll_timeout(), Some(t(100)));
    fe.handle_timeout(t(100));
    assert_eq!(
        fe.poll_output(),
        Some(FrontEndOutput::Done {
            token: RequestToken(1),
            outcome: Outcome::Busy
        })
    );
}

#[test]
fn with_no_replicas_every_request_is_busy() {
    let mut fe: FrontEnd<KvApp> = FrontEnd::new(FrontEndConfig::default());
    fe.submit(t(0), RequestToken(1), query(VectorTimestamp::new()), None);
    assert_eq!(
        fe.poll_output(),
        Some(FrontEndOutput::Done {
            token: RequestToken(1),
            outcome: Outcome::Busy
        })
    );
}
