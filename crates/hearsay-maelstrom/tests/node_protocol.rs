//! The Maelstrom protocol through `Node`: init, echo, errors, malformed lines.

mod common;

use common::{ask, ask_one, ms, msg, node, parse};
use hearsay_maelstrom::{Node, Tuning, Workload};
use serde_json::json;

#[test]
fn init_then_echo() {
    let mut n = node(Workload::Echo, "n1", &["n1", "n2", "n3"]);
    assert_eq!(n.node_id(), Some("n1"));
    let r = ask_one(
        &mut n,
        "n1",
        ms(1),
        json!({"type": "echo", "msg_id": 7, "echo": {"a": [1, 2]}}),
    );
    assert_eq!(r["type"], "echo_ok");
    assert_eq!(r["in_reply_to"], 7);
    assert_eq!(r["echo"], json!({"a": [1, 2]}));
    assert!(r["msg_id"].is_u64(), "replies carry their own msg_id");
    // Echo nodes gossip nothing, ever.
    assert!(parse(&n.handle_timeout(ms(10_000))).is_empty());
}

#[test]
fn msg_ids_are_unique_and_increasing() {
    let mut n = node(Workload::Echo, "n1", &["n1"]);
    let ids: Vec<u64> = (0..5)
        .map(|i| {
            let r = ask_one(
                &mut n,
                "n1",
                ms(i),
                json!({"type": "echo", "msg_id": i, "echo": i}),
            );
            r["msg_id"].as_u64().unwrap()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn requests_before_init_are_temporarily_unavailable() {
    let mut n = Node::new(Workload::Broadcast, Tuning::default());
    let out = parse(&n.handle_line(
        ms(0),
        &msg("c1", "n1", json!({"type": "read", "msg_id": 3})),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["src"], "n1");
    assert_eq!(out[0]["body"]["type"], "error");
    assert_eq!(out[0]["body"]["code"], 11);
    assert_eq!(out[0]["body"]["in_reply_to"], 3);
    assert_eq!(n.poll_timeout(), None);
}

#[test]
fn bad_inits_are_refused_and_a_repeated_one_is_harmless() {
    let mut n = Node::new(Workload::GCounter, Tuning::default());
    for body in [
        json!({"type": "init", "msg_id": 1}),
        json!({"type": "init", "msg_id": 1, "node_id": "n9", "node_ids": ["n1"]}),
        json!({"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": "n1"}),
        json!({"type": "init", "msg_id": 1, "node_id": "n 1", "node_ids": ["n 1"]}),
        json!({"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": [1]}),
    ] {
        let out = parse(&n.handle_line(ms(0), &msg("c0", "n1", body)));
        assert_eq!(out[0]["body"]["code"], 12, "{out:?}");
    }
    assert_eq!(n.node_id(), None);
    let mut n = node(Workload::GCounter, "n1", &["n1", "n2"]);
    let again = json!({"type": "init", "msg_id": 2, "node_id": "n1", "node_ids": ["n1", "n2"]});
    let out = parse(&n.handle_line(ms(1), &msg("c0", "n1", again)));
    assert_eq!(out[0]["body"]["type"], "init_ok");
    let other = json!({"type": "init", "msg_id": 3, "node_id": "n2", "node_ids": ["n1", "n2"]});
    let out = parse(&n.handle_line(ms(1), &msg("c0", "n1", other)));
    assert_eq!(out[0]["body"]["code"], 12);
}

#[test]
fn malformed_requests_with_a_msg_id_get_error_12() {
    for workload in Workload::ALL {
        let mut n = node(workload, "n1", &["n1", "n2"]);
        for body in [
            json!({"msg_id": 1}),
            json!({"type": 5, "msg_id": 2}),
            json!({"type": "no_such_thing", "msg_id": 3}),
            // A request of another workload (lin-kv serves cas itself).
            if workload == Workload::LinKv {
                json!({"type": "txn", "msg_id": 4, "txn": []})
            } else {
                json!({"type": "cas", "msg_id": 4, "key": 1, "from": 1, "to": 2})
            },
        ] {
            let id = body["msg_id"].clone();
            let r = ask_one(&mut n, "n1", ms(1), body);
            assert_eq!(r["type"], "error", "{workload}");
            assert_eq!(r["code"], 12, "{workload}");
            assert_eq!(r["in_reply_to"], id);
            assert!(r["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
    }
}

#[test]
fn malformed_fields_get_error_12() {
    let cases = [
        (Workload::Echo, json!({"type": "echo", "msg_id": 1})),
        (
            Workload::Broadcast,
            json!({"type": "broadcast", "msg_id": 1}),
        ),
        (
            Workload::Broadcast,
            json!({"type": "broadcast", "msg_id": 1, "message": "x"}),
        ),
        (
            Workload::Broadcast,
            json!({"type": "broadcast", "msg_id": 1, "message": 1.5}),
        ),
        (
            Workload::GCounter,
            json!({"type": "add", "msg_id": 1, "delta": null}),
        ),
        (Workload::TxnRwRegister, json!({"type": "txn", "msg_id": 1})),
        (
            Workload::TxnRwRegister,
            json!({"type": "txn", "msg_id": 1, "txn": [["w", 1]]}),
        ),
        (
            Workload::TxnRwRegister,
            json!({"type": "txn", "msg_id": 1, "txn": [["x", 1, 1]]}),
        ),
    ];
    for (workload, body) in cases {
        let mut n = node(workload, "n1", &["n1"]);
        let r = ask_one(&mut n, "n1", ms(1), body.clone());
        assert_eq!(
            (r["type"].as_str(), r["code"].as_u64()),
            (Some("error"), Some(12)),
            "{body}"
        );
    }
}

#[test]
fn lines_without_a_msg_id_or_a_sender_are_ignored() {
    let mut n = node(Workload::Broadcast, "n1", &["n1", "n2"]);
    let lines = [
        "".to_string(),
        "not json".to_string(),
        "{\"src\": ".to_string(),
        "[1,2,3]".to_string(),
        "42".to_string(),
        json!({"dest": "n1", "body": {"type": "read", "msg_id": 1}}).to_string(),
        json!({"src": "c1", "dest": "n1"}).to_string(),
        json!({"src": "c1", "dest": "n1", "body": [1]}).to_string(),
        msg("c1", "n1", json!({"type": "read"})),
        msg("c1", "n1", json!({"type": "read", "msg_id": "seven"})),
        msg("c1", "n1", json!({"type": "read", "msg_id": -1})),
        msg("c1", "n1", json!({"type": "bogus"})),
        msg(
            "c1",
            "n1",
            json!({"type": "read_ok", "in_reply_to": 1, "msg_id": 3}),
        ),
        msg(
            "n2",
            "n1",
            json!({"type": "error", "in_reply_to": 1, "code": 11}),
        ),
        msg("c1", "n7", json!({"type": "read", "msg_id": 1})),
        "\u{0}\u{ff}\u{7f}".to_string(),
    ];
    for line in &lines {
        assert!(n.handle_line(ms(1), line).is_empty(), "answered {line:?}");
    }
    assert!(!n.take_logs().is_empty(), "ignored lines are logged");
    // Still serving.
    let r = ask_one(&mut n, "n1", ms(2), json!({"type": "read", "msg_id": 9}));
    assert_eq!(r["type"], "read_ok");
}

#[test]
fn bad_peer_messages_change_nothing() {
    let mut n = node(Workload::GCounter, "n1", &["n1", "n2"]);
    let bad = [
        msg(
            "n2",
            "n1",
            json!({"type": "hs_peer", "msg_id": 5, "msg": {"Gossip": 3}}),
        ),
        msg("n2", "n1", json!({"type": "hs_peer", "msg": null})),
        msg(
            "n9",
            "n1",
            json!({"type": "hs_peer", "msg_id": 6, "msg": {"Digest": {"rep_ts": {}, "reply": true}}}),
        ),
        msg(
            "n2",
            "n1",
            json!({"type": "hs_peer", "msg": {"Gossip": {"rep_ts": {"n2": 1}, "records": [
                {"id": {"client": 1, "seq": 1}, "dot": {"origin": "n2", "seq": 0}, "prev": {}, "op": 5}
            ]}}}),
        ),
    ];
    let mut errors = 0;
    for line in &bad {
        for v in parse(&n.handle_line(ms(1), line)) {
            assert_eq!(v["body"]["code"], 12);
            errors += 1;
        }
    }
    assert_eq!(errors, 2, "the two with a msg_id are answered");
    let r = ask_one(&mut n, "n1", ms(2), json!({"type": "read", "msg_id": 1}));
    assert_eq!(r["value"], 0);
}

#[test]
fn topology_is_acknowledged_and_ignored() {
    let mut n = node(Workload::Broadcast, "n1", &["n1", "n2"]);
    let topo = json!({"type": "topology", "msg_id": 2, "topology": {"n1": ["n2"], "n2": ["n1"]}});
    let r = ask_one(&mut n, "n1", ms(1), topo);
    assert_eq!(r["type"], "topology_ok");
    assert_eq!(r["in_reply_to"], 2);
}

/// Mutations of valid lines: no panic, and every output line is JSON.
#[test]
fn no_line_makes_a_node_panic() {
    let seeds = [
        msg(
            "c1",
            "n1",
            json!({"type": "txn", "msg_id": 1, "txn": [["r", 1, null], ["w", 1, 2]]}),
        ),
        msg(
            "c1",
            "n1",
            json!({"type": "broadcast", "msg_id": 2, "message": 3}),
        ),
        msg(
            "n2",
            "n1",
            json!({"type": "hs_peer", "msg_id": 3, "msg": {"Digest": {"rep_ts": {"n2": 4}, "reply": true}}}),
        ),
        msg(
            "n2",
            "n1",
            json!({"type": "hs_forced", "msg": {"Vr": {"Prepare": {"epoch": 0, "view": 1, "first": 1,
                "entries": [{"id": {"client": 1099511627777u64, "seq": 1},
                    "body": {"Op": {"op": {"Write": {"key": "1", "value": 2}}, "outcome": "Done"}}}],
                "commit": 1}}}}),
        ),
        msg(
            "n2",
            "n1",
            json!({"type": "hs_forced", "msg": {"Forward": {"id": {"client": 2199023255553u64, "seq": 1},
                "op": {"Cas": {"key": "1", "from": 1, "to": 2, "create": false}}}}}),
        ),
    ];
    let mut state: u64 = 7;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for workload in Workload::ALL {
        let mut n = node(workload, "n1", &["n1", "n2"]);
        for round in 0..400 {
            let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
            for _ in 0..1 + next() % 4 {
                let i = next() % bytes.len();
                match next() % 3 {
                    0 => bytes[i] = b"{}[]\":,0123456789-enulltrw"[next() % 26],
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, b"{}[]\":,9"[next() % 8]),
                }
            }
            let line = String::from_utf8_lossy(&bytes).into_owned();
            parse(&n.handle_line(ms(round as u64), &line));
            parse(&n.handle_timeout(ms(round as u64)));
        }
    }
}

#[test]
fn unknown_requests_still_leave_the_node_serving() {
    let mut n = node(Workload::TxnRwRegister, "n1", &["n1"]);
    assert_eq!(
        ask(&mut n, "n1", ms(1), json!({"type": "read", "msg_id": 1})).len(),
        1
    );
    let r = ask_one(
        &mut n,
        "n1",
        ms(2),
        json!({"type": "txn", "msg_id": 2, "txn": [["w", 1, 1], ["r", 1, null]]}),
    );
    assert_eq!(r["txn"], json!([["w", 1, 1], ["r", 1, 1]]));
}
