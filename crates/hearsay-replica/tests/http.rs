//! The replica's `/metrics` and `/v1/status`, through the router without a socket.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hearsay_core::testing::{KvApp, KvQuery};
use hearsay_core::{ClientId, PeerMessage, ReplicaId, Session};
use hearsay_replica::{ReplicaServerConfig, spawn};
use tokio::sync::mpsc;
use tower::ServiceExt;

fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

async fn get(app: axum::Router, path: &str) -> (StatusCode, String) {
    let resp = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn status_and_metrics_show_catch_up_log_and_the_oldest_held_query() {
    let (tx, _rx) = mpsc::channel(64);
    let mut config = ReplicaServerConfig::new(r("r1"));
    config.members = vec![r("r2")];
    let h = spawn(config, KvApp::default(), tx).unwrap();
    let app = hearsay_replica::http::router(h.clone());

    let (code, body) = get(app.clone(), "/v1/status").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["caught_up"], true);
    assert_eq!(v["log_len"], 0);
    assert_eq!(v["oldest_held_ms"], serde_json::Value::Null);

    // r2 reports a record r1 lacks, and a session that saw it asks r1.
    h.peer(
        r("r2"),
        PeerMessage::Digest {
            rep_ts: [(r("r2"), 1)].into_iter().collect(),
            reply: false,
        },
    )
    .await;
    let mut s = Session::new(ClientId(1));
    s.merge_prev(&[(r("r2"), 1)].into_iter().collect());
    let h2 = h.clone();
    let q = s.query(KvQuery::Get { key: "x".into() });
    let held = tokio::spawn(async move { h2.request(q).await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (_, body) = get(app.clone(), "/v1/status").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["caught_up"], false, "{v}");
    assert_eq!(v["held_queries"], 1);
    assert!(v["oldest_held_ms"].as_u64().unwrap() >= 150, "{v}");

    let (code, text) = get(app, "/metrics").await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        text.contains("hearsay_caught_up{replica=\"r1\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("hearsay_held_queries{replica=\"r1\"} 1"),
        "{text}"
    );
    assert!(text.contains("hearsay_log_len{replica=\"r1\"} 0"), "{text}");
    assert!(
        text.contains("# TYPE hearsay_updates_applied_total counter"),
        "{text}"
    );
    held.abort();
}
