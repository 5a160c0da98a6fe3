//! Issue #16, items 2 and 5, with real processes: a replica killed with
//! `kill -9` that failed a request is routed to again once it is back (the
//! front end's `/v1/status` shows it available, `--prefer` reaches it), the
//! front end's activity log records both changes; and a status changed from
//! the REPL reaches the tracker at once as a `status_changed` entry.

mod common;

use std::time::Duration;

use common::http::get_json;
use common::procs::Procs;
use common::{eventually, lines};

/// Generous: the front end probes a replica it has offline every 250 ms.
const LIMIT: Duration = Duration::from_secs(10);

/// The front end's `/v1/status` entry of replica `name`.
fn fe_entry(p: &Procs, name: &str) -> serde_json::Value {
    let v = get_json(&p.frontend_http(), "/v1/status");
    v["replicas"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["name"] == name).cloned())
        .unwrap_or(serde_json::Value::Null)
}

/// The client requests replica `i` has served since it started.
fn served(p: &Procs, i: usize) -> u64 {
    get_json(&p.http_addr(i), "/v1/metrics")["total"]["client_requests"]
        .as_u64()
        .unwrap()
}

/// The `status_changed` details at `addr` about `peer`, oldest first.
fn status_changes(addr: &str, peer: &str) -> Vec<String> {
    let v = get_json(
        addr,
        &format!("/v1/activity?kind=status_changed&peer={peer}"),
    );
    let mut out: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect();
    out.reverse();
    out
}

#[test]
fn a_replica_back_from_kill_9_takes_traffic_again() {
    let mut p = Procs::start_with_tracker(3, "30s");

    eprintln!("-- phase 1: r2 is killed; a request preferring it fails over to another");
    p.kill9(1);
    let out = p.client(9, &["--prefer", "r2"], &["rate Heat 2".to_string()]);
    assert!(out.status.success(), "{:?}", lines(&out));
    let e = fe_entry(&p, "r2");
    assert_eq!(e["status"], "offline", "{e}");
    assert_eq!(e["available"], false, "{e}");

    eprintln!("-- phase 2: r2 restarts; the front end routes to it again");
    p.start_replica(1);
    let e = eventually(
        "the front end has r2 online and available",
        LIMIT,
        || fe_entry(&p, "r2"),
        |e| e["status"] == "online" && e["available"] == true && e["reachable"] == true,
    );
    assert_eq!(e["report"]["status"], "online", "{e}");
    let before = served(&p, 1);
    let out = p.client(9, &["--prefer", "r2"], &["rate Heat 3".to_string()]);
    assert!(out.status.success(), "{:?}", lines(&out));
    // (`rate` may take more than one request: any count above none.)
    let after = served(&p, 1);
    assert!(
        after > before,
        "the rating preferring r2 was served by r2: {before} -> {after} requests"
    );
    let v = get_json(&p.frontend_http(), "/v1/status");
    assert_eq!(v["available"], 3, "{v}");

    eprintln!("-- phase 3: both changes are in the front end's activity log");
    let log = eventually(
        "the front end logged r2 going offline and coming back",
        LIMIT,
        || status_changes(&p.frontend_http(), "r2"),
        |log| log.len() >= 2,
    );
    assert!(log[0].starts_with("r2: online -> offline ("), "{log:#?}");
    assert_eq!(log[1], "r2: offline -> online (its own report)", "{log:#?}");
}

#[test]
fn a_status_change_from_the_repl_reaches_the_tracker_at_once() {
    let p = Procs::start_with_tracker(3, "30s");
    let tracker = p.tracker_addr.clone().unwrap();

    eprintln!("-- phase 1: `change r2 offline` through the front end");
    let out = p.client(1, &[], &["change r2 offline".to_string()]);
    assert!(out.status.success(), "{:?}", lines(&out));
    assert_eq!(lines(&out), ["r2 is now offline"]);

    eprintln!("-- phase 2: the tracker logs it and lists r2 offline");
    let log = eventually(
        "a status_changed entry for r2 at the tracker",
        LIMIT,
        || status_changes(&tracker, "r2"),
        |log| !log.is_empty(),
    );
    assert_eq!(
        log,
        ["replica r2 reports it is now offline (was online)"],
        "one entry per change"
    );
    let offline = get_json(&tracker, "/v1/peers?status=offline");
    assert_eq!(offline["peers"][0]["name"], "r2", "{offline}");
    // The node's log is written in batches: eventually, not at once.
    let log = eventually(
        "the front end logged r2 going offline",
        LIMIT,
        || status_changes(&p.frontend_http(), "r2"),
        |log| !log.is_empty(),
    );
    assert_eq!(
        log,
        ["r2: online -> offline (changed through this front end)"]
    );

    eprintln!("-- phase 3: and back online, both places again");
    let out = p.client(1, &[], &["change r2 online".to_string()]);
    assert!(out.status.success(), "{:?}", lines(&out));
    eventually(
        "the second status_changed entry at the tracker",
        LIMIT,
        || status_changes(&tracker, "r2"),
        |log| log.len() == 2,
    );
    let log = status_changes(&tracker, "r2");
    assert_eq!(log[1], "replica r2 reports it is now online (was offline)");
    let log = eventually(
        "the front end logged r2 back online",
        LIMIT,
        || status_changes(&p.frontend_http(), "r2"),
        |log| log.len() == 2,
    );
    assert_eq!(
        log[1],
        "r2: offline -> online (changed through this front end)"
    );
}
