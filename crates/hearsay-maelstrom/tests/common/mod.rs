//! Helpers shared by the black-box tests: drive a `Node` with JSON lines.

#![allow(dead_code)]

use hearsay_core::Time;
use hearsay_maelstrom::{Node, Tuning, Workload};
use serde_json::{Value, json};

/// Milliseconds as a `Time`.
pub(crate) fn ms(n: u64) -> Time {
    Time::from_micros(n * 1000)
}

/// One line from `src` to `dest` with `body`.
pub(crate) fn msg(src: &str, dest: &str, body: Value) -> String {
    json!({"src": src, "dest": dest, "body": body}).to_string()
}

/// Parses a node's output lines, checking each is one JSON object with
/// `src`, `dest` and an object `body`.
pub(crate) fn parse(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            assert!(!l.contains('\n'), "one message per line: {l}");
            let v: Value = serde_json::from_str(l).expect("stdout carries only JSON");
            assert!(
                v["src"].is_string() && v["dest"].is_string() && v["body"].is_object(),
                "{v}"
            );
            v
        })
        .collect()
}

/// A node `id` of the cluster `ids`, initialised; returns it and its init reply.
pub(crate) fn node(workload: Workload, id: &str, ids: &[&str]) -> Node {
    let mut n = Node::new(workload, Tuning::default());
    let out = parse(&n.handle_line(
        ms(0),
        &msg(
            "c0",
            id,
            json!({"type": "init", "msg_id": 1, "node_id": id, "node_ids": ids}),
        ),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["body"]["type"], "init_ok");
    assert_eq!(out[0]["body"]["in_reply_to"], 1);
    assert_eq!(out[0]["src"], id);
    assert_eq!(out[0]["dest"], "c0");
    n
}

/// Sends `body` from client `c1` to `node` (named `id`) and returns the
/// replies addressed to clients (not peer messages).
pub(crate) fn ask(n: &mut Node, id: &str, now: Time, body: Value) -> Vec<Value> {
    parse(&n.handle_line(now, &msg("c1", id, body)))
        .into_iter()
        .filter(|v| v["dest"].as_str().is_some_and(|d| d.starts_with('c')))
        .collect()
}

/// The single reply to a request.
pub(crate) fn ask_one(n: &mut Node, id: &str, now: Time, body: Value) -> Value {
    let mut r = ask(n, id, now, body);
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)["body"].take()
}
