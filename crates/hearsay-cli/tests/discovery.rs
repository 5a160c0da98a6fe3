//! Discovery through the tracker with real processes: a replica that knows
//! only the tracker joins a running cluster, takes traffic and converges; a
//! killed replica expires from the peer list, from gossip and from routing;
//! a replica stopped cleanly deregisters; the tracker changes a replica's
//! status over QUIC; `hearsay up` starts the tracker and registers everyone.

mod common;

use std::time::Duration;

use common::http::{get_json, peer_names, request};
use common::procs::Procs;
use common::{Cluster, eventually, lines};

/// `n` ratings of `title` by users `first..first+n`, 1 to 5 stars.
fn ratings(title: &str, first: u32, n: u32) -> Vec<String> {
    (0..n)
        .flat_map(|k| {
            [
                format!("user {}", first + k),
                format!("rate {title} {}", k % 5 + 1),
            ]
        })
        .collect()
}

/// The replica names the front end routes to, from `status`.
fn routed(p: &Procs) -> Vec<String> {
    p.status()
        .iter()
        .filter_map(|r| r["replica"].as_str().map(str::to_owned))
        .collect()
}

/// Replica `i`'s gossip members, from its `/v1/status`.
fn members(p: &Procs, i: usize) -> Vec<String> {
    let s = get_json(&p.http_addr(i), "/v1/status");
    s["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_replica_joins_through_the_tracker_converges_and_expires_when_killed() {
    let mut p = Procs::start_with_tracker(3, "3s");
    let tracker = p.tracker_addr.clone().unwrap();
    let mut names = peer_names(&tracker);
    names.sort();
    assert_eq!(names, ["fe", "r1", "r2", "r3"], "everyone registered");

    eprintln!("-- phase 1: 20 ratings of Memento before r4 exists");
    let out = p.client(1, &[], &ratings("Memento", 1000, 20));
    assert!(out.status.success(), "{}", lines(&out).join("\n"));

    eprintln!("-- phase 2: r4 starts with only --tracker; everyone learns of it");
    let r4 = p.add_replica_by_tracker();
    assert!(
        peer_names(&tracker).contains(&"r4".to_string()),
        "r4 registered before saying it listens"
    );
    eventually(
        "r4 follows the others",
        LIMIT,
        || members(&p, r4),
        |m| m == &["r1", "r2", "r3"],
    );
    for i in 0..3 {
        eventually(
            "r4 is a gossip peer",
            LIMIT,
            || members(&p, i),
            |m| m.contains(&"r4".to_string()),
        );
    }
    eventually(
        "the front end routes to r4",
        LIMIT,
        || routed(&p),
        |r| r.len() == 4,
    );

    eprintln!("-- phase 3: 20 more ratings, routed to r4");
    let out = p.client(1, &["--prefer", "r4"], &ratings("Memento", 2000, 20));
    assert!(out.status.success(), "{}", lines(&out).join("\n"));
    let s = get_json(&p.http_addr(r4), "/v1/status");
    // Preferred whenever it is online, r4 takes the writes (all of them
    // unless one of its answers came late and the front end went elsewhere).
    let accepted = s["stats"]["updates_accepted"].as_u64().unwrap_or(0);
    assert!(accepted >= 1, "r4 took the writes: {s:#}");

    eprintln!("-- phase 4: all four converge with every rating");
    p.wait_converged(LIMIT);
    for r in ["r1", "r2", "r3", "r4"] {
        let out = p.client(1, &["--prefer", r], &["average Memento".to_string()]);
        let got = lines(&out).join("\n");
        assert!(got.ends_with("from 40 ratings"), "at {r}: {got}");
    }

    eprintln!("-- phase 5: kill -9 r4: it expires from the list, from gossip and from routing");
    p.kill9(r4);
    eventually(
        "r4 expires at the tracker",
        LIMIT,
        || peer_names(&tracker),
        |n| n.len() == 4 && !n.contains(&"r4".to_string()),
    );
    eventually(
        "the front end stops routing to r4",
        LIMIT,
        || routed(&p),
        |r| r == &["r1", "r2", "r3"],
    );
    for i in 0..3 {
        eventually(
            "r4 is no gossip peer",
            LIMIT,
            || members(&p, i),
            |m| !m.contains(&"r4".to_string()),
        );
    }
    let expired = get_json(&tracker, "/v1/activity?kind=peer_expired&peer=r4");
    assert_eq!(
        expired["entries"].as_array().map(Vec::len),
        Some(1),
        "{expired:#}"
    );

    eprintln!("-- phase 6: with r4 gone the logs drain again");
    let out = p.client(1, &[], &ratings("Memento", 3000, 5));
    assert!(out.status.success());
    common::wait_converged(|| p.status(), 3, LIMIT);
}

#[test]
fn the_tracker_changes_status_and_a_stopped_replica_deregisters() {
    let mut p = Procs::start_with_tracker(3, "5s");
    let tracker = p.tracker_addr.clone().unwrap();
    let token = p.token();

    eprintln!("-- phase 1: PUT /v1/admin/replicas/r1/status offline reaches r1");
    let (status, body) = request(
        &tracker,
        "PUT",
        "/v1/admin/replicas/r1/status",
        Some(&token),
        r#"{"status":"offline"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"name": "r1", "status": "offline"})
    );
    assert_eq!(get_json(&p.http_addr(0), "/v1/status")["status"], "offline");
    let offline = get_json(&tracker, "/v1/peers?status=offline");
    assert_eq!(offline["peers"][0]["name"], "r1");
    let s = p.status();
    assert_eq!(s[0]["replica"], "r1");
    assert_eq!(
        s[0]["status"], "offline",
        "the REPL's status sees it: {s:#?}"
    );
    // r1's heartbeats keep reporting what it is.
    std::thread::sleep(Duration::from_millis(1500));
    let offline = get_json(&tracker, "/v1/peers?status=offline");
    assert_eq!(offline["peers"][0]["name"], "r1");

    eprintln!("-- phase 2: refusals: no token, no such replica, a front end");
    let (status, _) = request(
        &tracker,
        "PUT",
        "/v1/admin/replicas/r1/status",
        None,
        r#"{"status":"online"}"#,
    );
    assert_eq!(status, 401);
    let (status, _) = request(
        &tracker,
        "PUT",
        "/v1/admin/replicas/r9/status",
        Some(&token),
        r#"{"status":"online"}"#,
    );
    assert_eq!(status, 404);
    let (status, _) = request(
        &tracker,
        "PUT",
        "/v1/admin/replicas/fe/status",
        Some(&token),
        r#"{"status":"online"}"#,
    );
    assert_eq!(status, 400);
    assert_eq!(get_json(&p.http_addr(0), "/v1/status")["status"], "offline");

    eprintln!("-- phase 3: back online, and the REPL's status shows the tracker's view");
    let (status, body) = request(
        &tracker,
        "PUT",
        "/v1/admin/replicas/r1/status",
        Some(&token),
        r#"{"status":"online"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(get_json(&p.http_addr(0), "/v1/status")["status"], "online");
    let url = format!("http://{tracker}");
    let out = p.client(1, &["--tracker", &url], &["status".to_string()]);
    let text = lines(&out).join("\n");
    assert!(
        text.contains(&format!("tracker {url}: 4 live peers")),
        "{text}"
    );
    for name in ["r1 ", "r2 ", "r3 ", "fe "] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(name) && l.contains("s ago")),
            "{name}: {text}"
        );
    }

    eprintln!("-- phase 4: SIGTERM to r3: it deregisters at once (no expiry wait)");
    assert!(p.term(2).success());
    let names = peer_names(&tracker);
    assert!(!names.contains(&"r3".to_string()), "{names:?}");
    let left = get_json(&tracker, "/v1/activity?kind=peer_deregistered&peer=r3");
    assert_eq!(
        left["entries"].as_array().map(Vec::len),
        Some(1),
        "{left:#}"
    );
    // r3 was given to the others by --peer: they keep it as a gossip peer.
    assert!(members(&p, 0).contains(&"r3".to_string()));
}

#[test]
fn up_starts_the_tracker_and_registers_every_node() {
    let c = Cluster::start(&[]);
    assert!(!c.tracker.is_empty(), "up printed the tracker's address");
    let mut names = peer_names(&c.tracker);
    names.sort();
    assert_eq!(names, ["fe", "r1", "r2", "r3"]);
    let replicas = get_json(&c.tracker, "/v1/peers?role=replica");
    for p in replicas["peers"].as_array().unwrap() {
        assert!(
            p["http_addr"].is_string(),
            "replicas register their HTTP address: {p}"
        );
    }
    let url = format!("http://{}", c.tracker);
    let out = c.client(1, &["--json", "--tracker", &url], &["status"]);
    let v: serde_json::Value = serde_json::from_str(&lines(&out)[0]).unwrap();
    assert_eq!(v["tracker"]["url"], url.as_str());
    assert_eq!(
        v["tracker"]["peers"].as_array().map(Vec::len),
        Some(4),
        "{v:#}"
    );
}
