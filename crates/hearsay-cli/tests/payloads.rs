//! Payloads written at the tracker enter the replicated store: `hearsay up`
//! (tracker, three replicas, a front end), payloads POSTed at the tracker, and
//! every replica applies each new one exactly once, by gossip.

mod common;

use std::time::{Duration, Instant};

use common::Cluster;
use common::http::{get_json, request};

/// The sum of a replica's value timestamp: updates applied.
fn applied(r: &serde_json::Value) -> u64 {
    r["value_ts"]
        .as_object()
        .map(|o| o.values().filter_map(serde_json::Value::as_u64).sum())
        .unwrap_or(0)
}

#[test]
fn payloads_posted_at_the_tracker_reach_every_replica_once() {
    let cluster = Cluster::start(&[]);
    let token = std::fs::read_to_string(cluster.certs.path().join("admin.token")).unwrap();
    let before: Vec<u64> = cluster
        .wait_converged(Duration::from_secs(20))
        .iter()
        .map(applied)
        .collect();

    let post = |body: &str| {
        request(
            &cluster.tracker,
            "POST",
            "/v1/admin/payloads",
            Some(token.trim()),
            body,
        )
    };
    let (status, body) = post(r#"{"payload":"hello"}"#);
    assert_eq!(status, 201, "{body}");
    assert!(
        body.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        "{body}"
    );
    assert_eq!(
        post(r#"{"payload":"hello"}"#).0,
        201,
        "the same payload again"
    );
    assert_eq!(post(r#"{"random":5}"#).0, 201);

    // Six distinct payloads: six updates at every replica, no more.
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        let now = cluster.wait_converged(Duration::from_secs(20));
        let grown: Vec<u64> = now
            .iter()
            .zip(&before)
            .map(|(r, b)| applied(r) - b)
            .collect();
        if grown.iter().all(|g| *g == 6) {
            break;
        }
        assert!(
            grown.iter().all(|g| *g <= 6),
            "a payload was applied twice: {grown:?}"
        );
        assert!(Instant::now() < limit, "payloads did not arrive: {grown:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, metrics) = request(&cluster.tracker, "GET", "/metrics", None, "");
    assert!(
        metrics.contains("hearsay_tracker_payloads_pending 0"),
        "{metrics}"
    );
    let activity = get_json(&cluster.tracker, "/v1/activity?kind=payloads_forwarded");
    let entries = activity["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "{activity}");
    assert_eq!(entries[0]["peer"], "fe", "{activity}");
}
