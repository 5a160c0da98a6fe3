//! The forced workloads through `Node`, line by line: answers and error codes
//! on a one-node cluster, forwarding to the primary and the answer's way back
//! on a three-node one, and what happens to bad `hs_forced` lines.

mod common;

use common::{ask, ask_one, ms, msg, node, parse};
use hearsay_maelstrom::Workload;
use serde_json::{Value, json};

#[test]
fn a_single_voter_answers_lin_kv_with_maelstrom_codes() {
    let mut n = node(Workload::LinKv, "n0", &["n0"]);
    let mut id = 0;
    let mut call = |n: &mut hearsay_maelstrom::Node, body: Value| {
        id += 1;
        let mut b = body;
        b["msg_id"] = json!(id);
        let r = ask_one(n, "n0", ms(id), b);
        assert_eq!(r["in_reply_to"], id);
        r
    };
    let r = call(&mut n, json!({"type": "read", "key": 1}));
    assert_eq!(
        (r["type"].as_str(), r["code"].as_u64()),
        (Some("error"), Some(20))
    );
    let r = call(&mut n, json!({"type": "cas", "key": 1, "from": 0, "to": 1}));
    assert_eq!(r["code"], 20, "cas on a missing key");
    assert_eq!(
        call(&mut n, json!({"type": "write", "key": 1, "value": 3}))["type"],
        "write_ok"
    );
    let r = call(&mut n, json!({"type": "cas", "key": 1, "from": 0, "to": 1}));
    assert_eq!(r["code"], 22, "cas with the wrong from");
    assert_eq!(
        call(&mut n, json!({"type": "cas", "key": 1, "from": 3, "to": 4}))["type"],
        "cas_ok"
    );
    let r = call(&mut n, json!({"type": "read", "key": 1}));
    assert_eq!(
        (r["type"].as_str(), r["value"].as_i64()),
        (Some("read_ok"), Some(4))
    );
    let r = call(&mut n, json!({"type": "write", "key": 1}));
    assert_eq!(r["code"], 12, "a write without a value is malformed");
    let order = n.forced_order();
    assert_eq!(
        order.len(),
        6,
        "every well-formed request was ordered, reads too"
    );
}

#[test]
fn a_single_voter_runs_transactions_in_order() {
    let mut n = node(Workload::TxnSerializable, "n0", &["n0"]);
    let r = ask_one(
        &mut n,
        "n0",
        ms(1),
        json!({"type": "txn", "msg_id": 1, "txn": [["r", 1, null], ["w", 1, 5], ["r", 1, null]]}),
    );
    assert_eq!(r["txn"], json!([["r", 1, null], ["w", 1, 5], ["r", 1, 5]]));
    let r = ask_one(
        &mut n,
        "n0",
        ms(2),
        json!({"type": "txn", "msg_id": 2, "txn": [["r", 1, null], ["r", 2, null]]}),
    );
    assert_eq!(r["txn"], json!([["r", 1, 5], ["r", 2, null]]));
    let r = ask_one(
        &mut n,
        "n0",
        ms(3),
        json!({"type": "txn", "msg_id": 3, "txn": [["x", 1, 2]]}),
    );
    assert_eq!(r["code"], 12);
}

/// The lines from `lines` addressed to `dest`.
fn to<'a>(lines: &'a [Value], dest: &str) -> Vec<&'a Value> {
    lines.iter().filter(|v| v["dest"] == dest).collect()
}

#[test]
fn a_backup_forwards_to_the_primary_and_relays_its_answer() {
    let ids = ["n0", "n1", "n2"];
    let mut nodes: Vec<_> = ids
        .iter()
        .map(|id| node(Workload::LinKv, id, &ids))
        .collect();
    eprintln!("phase: a client writes through n1, a backup of view 0");
    let out = parse(&nodes[1].handle_line(
        ms(1),
        &msg(
            "c1",
            "n1",
            json!({"type": "write", "msg_id": 9, "key": 2, "value": 7}),
        ),
    ));
    let fwd = to(&out, "n0");
    assert_eq!(fwd.len(), 1, "{out:?}");
    assert_eq!(fwd[0]["body"]["type"], "hs_forced");
    assert!(fwd[0]["body"]["msg"]["Forward"].is_object(), "{}", fwd[0]);
    eprintln!("phase: n0 orders it and prepares it at both backups");
    let out = parse(&nodes[0].handle_line(ms(2), &fwd[0].to_string()));
    let prepares: Vec<&Value> = out
        .iter()
        .filter(|v| v["body"]["msg"]["Vr"]["Prepare"].is_object())
        .collect();
    assert_eq!(prepares.len(), 2, "{out:?}");
    eprintln!("phase: one backup's PrepareOk makes a majority; the answer goes to n1");
    let acks = parse(&nodes[2].handle_line(ms(3), &to(&out, "n2")[0].to_string()));
    let ok = to(&acks, "n0");
    assert_eq!(ok.len(), 1, "{acks:?}");
    let out = parse(&nodes[0].handle_line(ms(4), &ok[0].to_string()));
    let answer = to(&out, "n1");
    assert_eq!(answer.len(), 1, "{out:?}");
    assert!(answer[0]["body"]["msg"]["Answer"].is_object());
    let reply = parse(&nodes[1].handle_line(ms(5), &answer[0].to_string()));
    assert_eq!(reply.len(), 1, "{reply:?}");
    assert_eq!(reply[0]["dest"], "c1");
    assert_eq!(reply[0]["body"]["type"], "write_ok");
    assert_eq!(reply[0]["body"]["in_reply_to"], 9);
    assert_eq!(nodes[0].forced_order().len(), 1);
}

#[test]
fn a_request_nobody_orders_is_given_up_on_with_the_right_certainty() {
    let ids = ["n0", "n1", "n2"];
    let mut n1 = node(Workload::LinKv, "n1", &ids);
    let write = json!({"type": "write", "msg_id": 1, "key": 1, "value": 1});
    let read = json!({"type": "read", "msg_id": 2, "key": 1});
    assert!(
        ask(&mut n1, "n1", ms(1), write).is_empty(),
        "forwarded, not answered"
    );
    let out = parse(&n1.handle_line(ms(1), &msg("c2", "n1", read)));
    assert!(to(&out, "c2").is_empty());
    // Nobody answers: n1 retries, changes views, and after its 2 s budget
    // answers both clients.
    let mut replies = Vec::new();
    let mut t = 1;
    while t < 5_000 {
        t = n1
            .poll_timeout()
            .map_or(t + 10, |d| (d.as_micros() / 1000).max(t + 1));
        replies.extend(
            parse(&n1.handle_timeout(ms(t)))
                .into_iter()
                .filter(|v| v["dest"].as_str().is_some_and(|d| d.starts_with('c'))),
        );
    }
    assert_eq!(replies.len(), 2, "{replies:?}");
    for r in &replies {
        let code = r["body"]["code"].as_u64();
        match r["dest"].as_str() {
            Some("c1") => assert_eq!(code, Some(0), "a write may still happen: indefinite"),
            _ => assert_eq!(code, Some(11), "a read changes nothing: definite"),
        }
    }
}

#[test]
fn bad_forced_lines_change_nothing() {
    let ids = ["n0", "n1"];
    let mut n0 = node(Workload::LinKv, "n0", &ids);
    for (src, m) in [
        (
            "n9",
            json!({"Vr": {"Commit": {"epoch": 0, "view": 5, "commit": 3}}}),
        ),
        ("n1", json!({"Nonsense": 1})),
        ("n1", json!("x")),
        // n1 forwarding a request that names n0 as its origin.
        (
            "n1",
            json!({"Forward": {"id": {"client": 1u64 << 40, "seq": 1}, "op": {"Read": {"key": "1"}}}}),
        ),
    ] {
        let out = n0.handle_line(
            ms(1),
            &msg(src, "n0", json!({"type": "hs_forced", "msg": m})),
        );
        assert!(out.is_empty(), "{src} {out:?}");
        assert!(!n0.take_logs().is_empty(), "the drop is logged");
    }
    assert!(n0.forced_order().is_empty());
    // And a causal workload refuses forced lines.
    let mut g = node(Workload::GCounter, "n0", &ids);
    assert!(
        g.handle_line(
            ms(1),
            &msg("n1", "n0", json!({"type": "hs_forced", "msg": {}}))
        )
        .is_empty()
    );
}
