//! The front end's HTTP routes, through the router without a socket, over
//! real replica actors reached through an in-process link.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{LocalLink, r};
use hearsay_core::Status;
use hearsay_core::testing::KvApp;
use hearsay_frontend::{FrontendConfig, spawn};
use hearsay_replica::ReplicaServerConfig;
use hearsay_wire::node::{NodeActivityKind, NodeActivityPage, NodeMetrics};
use hearsay_wire::{FrontendRequest, FrontendResponse};
use tokio::sync::mpsc;
use tower::ServiceExt;

async fn get(app: axum::Router, path: &str) -> (StatusCode, serde_json::Value) {
    let resp = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, v)
}

#[tokio::test]
async fn status_metrics_and_activity_show_the_replicas_as_routing_sees_them() {
    let mut handles = BTreeMap::new();
    for n in ["r1", "r2"] {
        let (tx, _rx) = mpsc::channel(64);
        let h =
            hearsay_replica::spawn(ReplicaServerConfig::new(r(n)), KvApp::default(), tx).unwrap();
        handles.insert(r(n), h);
    }
    let link = Arc::new(LocalLink(handles));
    let fe = spawn::<KvApp>(FrontendConfig::default(), vec![r("r1"), r("r2")], link);
    let app = hearsay_frontend::http::router("fe", fe.clone());

    let (code, v) = get(app.clone(), "/v1/status").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "fe");
    assert_eq!(v["available"], 2, "{v}");
    assert_eq!(v["replicas"][0]["name"], "r1");
    assert_eq!(v["replicas"][0]["report"]["status"], "online");

    let answer = fe
        .handle(FrontendRequest::ChangeStatus {
            replica: r("r2"),
            status: Status::Offline,
        })
        .await;
    assert!(matches!(answer, FrontendResponse::Status(_)), "{answer:?}");
    fe.add_replica(r("r3")).await;
    let (_, v) = get(app.clone(), "/v1/status").await;
    assert_eq!(v["available"], 1, "{v}");
    assert_eq!(v["replicas"][1]["status"], "offline", "{v}");
    assert_eq!(v["replicas"][2]["reachable"], false, "r3 has no link: {v}");

    let (code, v) = get(app.clone(), "/v1/metrics").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let m: NodeMetrics = serde_json::from_value(v).unwrap();
    assert_eq!(m.name, "fe");
    assert_eq!(m.total.status_changes, 1);

    let a = fe.activity().clone();
    tokio::task::spawn_blocking(move || a.flush())
        .await
        .unwrap();
    let (_, v) = get(app.clone(), "/v1/activity").await;
    let page: NodeActivityPage = serde_json::from_value(v).unwrap();
    let got: Vec<(NodeActivityKind, String)> = page
        .entries
        .into_iter()
        .map(|e| (e.kind, e.detail))
        .collect();
    assert_eq!(
        got,
        [
            (NodeActivityKind::Membership, "r3 joined".to_string()),
            (
                NodeActivityKind::StatusChanged,
                "r2: online -> offline (changed through this front end)".to_string()
            ),
        ]
    );

    let (code, text) = get(app.clone(), "/metrics").await;
    assert_eq!(code, StatusCode::OK);
    let text = text.as_str().unwrap().to_owned();
    assert!(
        text.contains("hearsay_frontend_replicas{frontend=\"fe\",status=\"offline\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hearsay_status_changes_total{frontend=\"fe\"} 1"),
        "{text}"
    );

    for bad in [
        "/v1/status?all=1",
        "/v1/metrics?x=",
        "/v1/activity?kind=claim",
    ] {
        let (code, v) = get(app.clone(), bad).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(v["error"].is_string(), "{bad}: {v}");
    }
    let (code, v) = get(app, "/nothing").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
}
