//! Each workload's requests and replies on one node, and two nodes gossiping
//! by hand (their `hs_peer` lines passed across).

mod common;

use common::{ask_one, ms, msg, node, parse};
use hearsay_maelstrom::{Node, Workload};
use serde_json::{Value, json};

#[test]
fn broadcast_then_read() {
    let mut n = node(Workload::Broadcast, "n1", &["n1"]);
    for (i, m) in [5, 3, 5, 9].iter().enumerate() {
        let r = ask_one(
            &mut n,
            "n1",
            ms(i as u64),
            json!({"type": "broadcast", "msg_id": i, "message": m}),
        );
        assert_eq!(r["type"], "broadcast_ok");
        assert_eq!(r["in_reply_to"], i);
    }
    let r = ask_one(&mut n, "n1", ms(9), json!({"type": "read", "msg_id": 10}));
    assert_eq!(r["type"], "read_ok");
    assert_eq!(r["messages"], json!([3, 5, 9]));
}

#[test]
fn counter_adds_and_reads() {
    let mut n = node(Workload::GCounter, "n1", &["n1"]);
    for (i, d) in [1, 4, 0, 2].iter().enumerate() {
        let r = ask_one(
            &mut n,
            "n1",
            ms(i as u64),
            json!({"type": "add", "msg_id": i, "delta": d}),
        );
        assert_eq!(r["type"], "add_ok");
    }
    let r = ask_one(&mut n, "n1", ms(9), json!({"type": "read", "msg_id": 10}));
    assert_eq!(
        (r["type"].as_str(), r["value"].as_i64()),
        (Some("read_ok"), Some(7))
    );
}

#[test]
fn transactions_read_committed_state_and_their_own_writes() {
    let mut n = node(Workload::TxnRwRegister, "n1", &["n1"]);
    let t = |n: &mut Node, id: u64, txn: Value| {
        let r = ask_one(
            n,
            "n1",
            ms(id),
            json!({"type": "txn", "msg_id": id, "txn": txn}),
        );
        assert_eq!(r["type"], "txn_ok", "{r}");
        assert_eq!(r["in_reply_to"], id);
        r["txn"].clone()
    };
    assert_eq!(
        t(&mut n, 1, json!([["r", 1, null]])),
        json!([["r", 1, null]])
    );
    assert_eq!(
        t(
            &mut n,
            2,
            json!([["w", 1, 10], ["r", 1, null], ["w", 2, 20], ["w", 1, 11]])
        ),
        json!([["w", 1, 10], ["r", 1, 10], ["w", 2, 20], ["w", 1, 11]])
    );
    assert_eq!(
        t(
            &mut n,
            3,
            json!([["r", 1, null], ["r", 2, null], ["r", 3, null]])
        ),
        json!([["r", 1, 11], ["r", 2, 20], ["r", 3, null]])
    );
    assert_eq!(t(&mut n, 4, json!([])), json!([]));
}

/// Passes every `hs_peer` line in `lines` to whichever of `nodes` it is for,
/// until nobody has anything more to say.
fn exchange(nodes: &mut [(&str, &mut Node)], mut lines: Vec<String>, now: u64) {
    while !lines.is_empty() {
        let mut next = Vec::new();
        for line in lines {
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["body"]["type"] != "hs_peer" {
                continue;
            }
            let dest = v["dest"].as_str().unwrap();
            for (id, n) in nodes.iter_mut() {
                if *id == dest {
                    next.extend(n.handle_line(ms(now), &line));
                }
            }
        }
        lines = next;
    }
}

#[test]
fn two_nodes_share_updates_by_push_and_by_anti_entropy() {
    let ids = ["n1", "n2"];
    let mut a = node(Workload::GCounter, "n1", &ids);
    let mut b = node(Workload::GCounter, "n2", &ids);
    // An add on n1 is pushed to n2 at once (a mesh pushes eagerly).
    let out = a.handle_line(
        ms(1),
        &msg("c1", "n1", json!({"type": "add", "msg_id": 1, "delta": 5})),
    );
    let out = parse(&out);
    assert!(out.iter().any(|v| v["body"]["type"] == "add_ok"));
    let push: Vec<String> = out
        .iter()
        .filter(|v| v["body"]["type"] == "hs_peer")
        .map(|v| v.to_string())
        .collect();
    assert_eq!(push.len(), 1, "one push to the one peer");
    exchange(&mut [("n1", &mut a), ("n2", &mut b)], push, 2);
    assert_eq!(
        ask_one(&mut b, "n2", ms(3), json!({"type": "read", "msg_id": 2}))["value"],
        5
    );

    let mut pending: Vec<String> = Vec::new();
    // An add on n2 whose push is lost reaches n1 through anti-entropy (and
    // n1 stops waiting for the lost message after the reorder hold).
    let _lost = b.handle_line(
        ms(4),
        &msg("c2", "n2", json!({"type": "add", "msg_id": 3, "delta": 2})),
    );
    for now in (10..1000).step_by(10) {
        for this in [&mut a, &mut b] {
            if this.poll_timeout().is_some_and(|t| t <= ms(now)) {
                let out = this.handle_timeout(ms(now));
                pending.extend(out);
            }
        }
        exchange(
            &mut [("n1", &mut a), ("n2", &mut b)],
            std::mem::take(&mut pending),
            now,
        );
    }
    assert_eq!(
        ask_one(&mut a, "n1", ms(1000), json!({"type": "read", "msg_id": 4}))["value"],
        7
    );
}
