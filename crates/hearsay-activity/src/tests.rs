//! The handle as a node uses it: counting, the batch writer, the HTTP route.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hearsay_wire::node::{NodeActivityKind, NodeActivityPage, NodeActivityQuery};
use tower::ServiceExt;

use super::*;

fn quick() -> ActivityConfig {
    ActivityConfig {
        capacity: 1000,
        queue: 4096,
        summary_every: Duration::from_millis(100),
    }
}

fn all(a: &Activity) -> Vec<hearsay_wire::node::NodeActivityEntry> {
    a.entries(&NodeActivityQuery {
        limit: Some(1000),
        ..NodeActivityQuery::default()
    })
    .unwrap()
}

/// An application's figures: one count, given at the second asked for.
struct Hits(std::sync::atomic::AtomicU64, &'static str);

impl MetricsExtension for Hits {
    fn name(&self) -> &str {
        self.1
    }

    fn metrics(&self, second: u64) -> serde_json::Value {
        serde_json::json!({"hits": self.0.load(std::sync::atomic::Ordering::Relaxed), "second": second})
    }

    fn prometheus(&self, _second: u64, labels: &str, out: &mut String) {
        let n = self.0.load(std::sync::atomic::Ordering::Relaxed);
        out.push_str(&format!("app_hits_total{{{labels}}} {n}\n"));
    }
}

#[test]
fn an_applications_figures_come_through_its_extension() {
    let a = Activity::in_memory(quick());
    assert!(a.metrics().extensions.is_empty());
    let hits = std::sync::Arc::new(Hits(std::sync::atomic::AtomicU64::new(0), "hits"));
    a.extend(hits.clone()).unwrap();
    hits.0.fetch_add(3, std::sync::atomic::Ordering::Relaxed);
    let m = a.metrics();
    assert_eq!(m.extensions["hits"]["hits"], 3);
    assert_eq!(m.extensions["hits"]["second"], 0);
    let text = a.prometheus("replica=\"r1\"", &[]);
    assert!(
        text.contains("app_hits_total{replica=\"r1\"} 3\n"),
        "{text}"
    );
    // One name once; the number of extensions is bounded.
    let again = std::sync::Arc::new(Hits(std::sync::atomic::AtomicU64::new(0), "hits"));
    assert_eq!(
        a.extend(again).unwrap_err(),
        ExtendError::Taken("hits".into())
    );
    let names = [
        "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14",
        "e15",
    ];
    for name in names {
        a.extend(std::sync::Arc::new(Hits(
            std::sync::atomic::AtomicU64::new(0),
            name,
        )))
        .unwrap();
    }
    let more = std::sync::Arc::new(Hits(std::sync::atomic::AtomicU64::new(0), "more"));
    assert_eq!(a.extend(more).unwrap_err(), ExtendError::Full);
    assert_eq!(a.metrics().extensions.len(), MAX_EXTENSIONS);
}

#[test]
fn entries_share_commits() {
    let a = Activity::in_memory(quick());
    for i in 0..500 {
        a.record(NodeActivityKind::TrackerCall, None, format!("call {i}"));
    }
    a.flush();
    assert_eq!(a.len().unwrap(), 500);
    assert_eq!(a.dropped(), 0);
    // Recorded far faster than the writer's 50 ms linger: a handful of commits.
    assert!(a.commits() < 50, "{} commits for 500 entries", a.commits());
    let e = all(&a);
    assert_eq!(e[0].detail, "call 499");
    assert_eq!(e[0].seq, 500);
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    let a = Activity::in_memory(ActivityConfig {
        queue: 4,
        ..quick()
    });
    for i in 0..2000 {
        a.record(NodeActivityKind::ClientRequest, Some("fe"), format!("{i}"));
    }
    a.flush();
    let kept = a.len().unwrap();
    assert!(a.dropped() > 0, "a queue of 4 took 2000 entries at once");
    assert_eq!(
        kept + a.dropped(),
        2000,
        "every entry is kept or counted as dropped"
    );
}

#[test]
fn the_log_is_bounded_by_count() {
    let a = Activity::in_memory(ActivityConfig {
        capacity: 50,
        ..quick()
    });
    for i in 0..300 {
        a.record(NodeActivityKind::Membership, Some("r9"), format!("{i}"));
        if i % 100 == 0 {
            a.flush();
        }
    }
    a.flush();
    assert_eq!(a.len().unwrap(), 50);
    assert_eq!(all(&a)[0].detail, "299");
}

#[test]
fn client_requests_and_gossip_are_summed_up_not_logged_one_by_one() {
    let a = Activity::in_memory(quick());
    for _ in 0..1000 {
        a.client_request("fe");
        a.gossip("r2", 50, false, true);
    }
    a.gossip("r2", 10, true, true);
    assert_eq!(a.metrics().total.client_requests, 1000);
    assert_eq!(a.metrics().total.gossip_messages, 1001);
    assert_eq!(a.metrics().total.gossip_bytes, 50_010);
    std::thread::sleep(Duration::from_millis(300)); // past a summary period
    a.flush();
    let e = all(&a);
    assert_eq!(e.len(), 2, "{e:#?}");
    let client = e
        .iter()
        .find(|e| e.kind == NodeActivityKind::ClientRequest)
        .unwrap();
    assert_eq!(client.peer.as_deref(), Some("fe"));
    assert!(
        client.detail.starts_with("1000 client requests"),
        "{}",
        client.detail
    );
    let gossip = e
        .iter()
        .find(|e| e.kind == NodeActivityKind::GossipRound)
        .unwrap();
    assert!(
        gossip
            .detail
            .contains("1001 messages (1 anti-entropy rounds), 50010 bytes")
    );
}

#[test]
fn tracker_calls_count_failures_and_details_are_bounded() {
    let a = Activity::in_memory(quick());
    a.tracker_call(true, "register");
    a.tracker_call(false, "x".repeat(10_000));
    a.tracker_call_counted(true);
    let m = a.metrics();
    assert_eq!((m.total.tracker_calls, m.total.tracker_failures), (3, 1));
    a.flush();
    assert_eq!(all(&a).len(), 2, "a counted call is not logged");
    assert_eq!(all(&a)[0].detail.len(), MAX_DETAIL);
}

#[test]
fn a_restarted_node_keeps_its_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let a = Activity::open(dir.path(), quick()).unwrap();
        a.status_changed(None, "online -> offline");
        a.flush();
    }
    let a = Activity::open(dir.path(), quick()).unwrap();
    let e = all(&a);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, NodeActivityKind::StatusChanged);
    assert_eq!(a.metrics().total.status_changes, 0, "counters are per run");
}

#[test]
fn prometheus_text_has_the_counters_but_the_skipped_ones() {
    let a = Activity::in_memory(quick());
    a.tracker_call_counted(false);
    let text = a.prometheus("replica=\"r1\"", &[Counter::UpdatesApplied]);
    assert!(
        text.contains("hearsay_tracker_failures_total{replica=\"r1\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hearsay_gossip_bytes_total{replica=\"r1\"} 0"),
        "{text}"
    );
    assert!(!text.contains("hearsay_updates_applied_total"), "{text}");
    assert!(
        !text.contains("claims"),
        "the library counts no claims: {text}"
    );
}

async fn get(app: axum::Router, path: &str) -> (StatusCode, serde_json::Value) {
    let resp = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_activity_route_filters_and_refuses_bad_queries_with_a_reason() {
    let a = Activity::in_memory(quick());
    a.record(NodeActivityKind::ClaimSent, Some("r2"), "one");
    a.membership("r3", true);
    a.record(NodeActivityKind::ClaimReceived, Some("r3"), "two");
    let flushing = a.clone();
    tokio::task::spawn_blocking(move || flushing.flush())
        .await
        .unwrap();
    let app = http::router(a);

    let (code, v) = get(app.clone(), "/v1/activity").await;
    assert_eq!(code, StatusCode::OK);
    let page: NodeActivityPage = serde_json::from_value(v).unwrap();
    assert_eq!(page.entries.len(), 3);
    let (_, v) = get(app.clone(), "/v1/activity?peer=r3&kind=claim_received").await;
    let page: NodeActivityPage = serde_json::from_value(v).unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].detail, "two");
    let (_, v) = get(app.clone(), "/v1/activity?since=1&limit=1").await;
    let page: NodeActivityPage = serde_json::from_value(v).unwrap();
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);

    let long = format!("/v1/activity?peer={}", "p".repeat(2000));
    for bad in [
        "/v1/activity?limit=0",
        "/v1/activity?limit=1001",
        "/v1/activity?limit=ten",
        "/v1/activity?kind=nonsense",
        "/v1/activity?since=-1",
        "/v1/activity?color=blue",
        "/v1/activity?peer=",
        &long,
    ] {
        let (code, v) = get(app.clone(), bad).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad}: {v}"
        );
    }
}
