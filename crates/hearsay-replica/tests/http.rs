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

/// The test's data view: registers `x` and `y`, when set.
fn kv_view(app: &KvApp, offset: usize, limit: usize) -> hearsay_replica::DataPage {
    let set: Vec<_> = ["x", "y"]
        .into_iter()
        .filter_map(|k| {
            app.get(k)
                .map(|v| hearsay_replica::DataEntry::new(k, v.to_string()))
        })
        .collect();
    hearsay_replica::DataPage {
        total: set.len() as u64,
        entries: set.into_iter().skip(offset).take(limit).collect(),
    }
}

#[tokio::test]
async fn data_pages_through_the_view_and_status_names_the_last_gossip() {
    let (tx, _rx) = mpsc::channel(64);
    let mut config = ReplicaServerConfig::new(r("r1"));
    config.members = vec![r("r2")];
    let bare = spawn(config, KvApp::default(), tx).unwrap();
    let (code, body) = get(hearsay_replica::http::router(bare.clone()), "/v1/data").await;
    assert_eq!(code, StatusCode::NOT_FOUND, "no view, no data: {body}");
    let h = bare.with_data_view(std::sync::Arc::new(kv_view));
    let app = hearsay_replica::http::router(h.clone());

    let (code, body) = get(app.clone(), "/v1/data").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 0);
    assert_eq!(v["entries"], serde_json::json!([]));
    let (_, body) = get(app.clone(), "/v1/status").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["last_gossip"], serde_json::Value::Null);
    assert_eq!(v["role"], "replica");

    // r2 gossips two writes.
    let records = [("x", 1), ("y", 2)]
        .into_iter()
        .enumerate()
        .map(|(i, (key, value))| hearsay_core::UpdateRecord {
            id: hearsay_core::UpdateId {
                client: ClientId(7),
                seq: i as u64 + 1,
            },
            dot: hearsay_core::Dot {
                origin: r("r2"),
                seq: i as u64 + 1,
            },
            prev: if i == 0 {
                hearsay_core::VectorTimestamp::new()
            } else {
                [(r("r2"), 1)].into_iter().collect()
            },
            op: hearsay_core::testing::KvUpdate::Put {
                key: key.into(),
                value,
            },
            refused: None,
        })
        .collect();
    h.peer(
        r("r2"),
        PeerMessage::Gossip(hearsay_core::Gossip {
            rep_ts: [(r("r2"), 2)].into_iter().collect(),
            records,
        }),
    )
    .await;

    let (_, body) = get(app.clone(), "/v1/data?offset=1&limit=5").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["offset"], 1);
    assert_eq!(
        v["entries"],
        serde_json::json!([{"key": "y", "value": "2"}])
    );
    let (_, body) = get(app.clone(), "/v1/data?limit=100000").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["limit"],
        hearsay_replica::MAX_DATA_LIMIT,
        "the limit is capped"
    );
    let (code, _) = get(app.clone(), "/v1/data?limit=-1").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let (code, _) = get(app.clone(), "/v1/data?page=2").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);

    let (_, body) = get(app, "/v1/status").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["last_gossip"]["peer"], "r2", "{v}");
    assert_eq!(v["last_gossip"]["direction"], "received");
    assert!(v["last_gossip"]["at_ms"].as_u64().unwrap() > 0);
}
