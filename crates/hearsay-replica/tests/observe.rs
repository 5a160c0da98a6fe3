//! What a replica records about itself: the request observer, client
//! requests, status and membership changes, and the JSON routes that show
//! them (`/v1/metrics`, `/v1/activity`), through the router without a socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
use hearsay_core::{ClientId, ClientReply, ClientRequest, ReplicaId, Session, Status};
use hearsay_replica::{ReplicaServerConfig, ReplyHook, RequestObserver, serve_from, spawn};
use hearsay_wire::node::{NodeActivityKind, NodeActivityPage, NodeMetrics};
use hearsay_wire::{ReplicaRequest, ReplicaResponse};
use tokio::sync::mpsc;
use tower::ServiceExt;

fn r(n: &str) -> ReplicaId {
    ReplicaId::new(n).unwrap()
}

/// Takes the `Count` queries as its own and remembers the answers it saw.
#[derive(Default)]
struct CountWatcher {
    seen: Arc<AtomicU64>,
}

impl RequestObserver<KvApp> for CountWatcher {
    fn observe(&self, from: &str, request: &ClientRequest<KvApp>) -> Option<ReplyHook<KvApp>> {
        assert_eq!(from, "peer-x");
        let ClientRequest::Query {
            query: KvQuery::Count { .. },
            ..
        } = request
        else {
            return None;
        };
        let seen = self.seen.clone();
        Some(Box::new(move |reply: &ClientReply<KvApp>| {
            if let ClientReply::Answer {
                reply: KvReply::Count(n),
                ..
            } = reply
            {
                seen.fetch_add(*n as u64 + 1, Ordering::Relaxed);
            }
        }))
    }
}

async fn get(app: axum::Router, method: &str, path: &str) -> (StatusCode, serde_json::Value) {
    let resp = app
        .oneshot(
            Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, v)
}

#[tokio::test]
async fn the_observer_sees_its_requests_and_the_rest_count_as_client_requests() {
    let (tx, _rx) = mpsc::channel(64);
    let mut config = ReplicaServerConfig::new(r("r1"));
    config.members = vec![r("r2")];
    let watcher = CountWatcher::default();
    let seen = watcher.seen.clone();
    let h = spawn(config, KvApp::default(), tx)
        .unwrap()
        .with_observer(Arc::new(watcher));

    let mut s = Session::new(ClientId(1));
    let put = s.update(KvUpdate::Put {
        key: "k".into(),
        value: 1,
    });
    let answer = serve_from(
        &h,
        "peer-x",
        ReplicaRequest::Client {
            attempt: 1,
            request: put,
        },
    )
    .await;
    assert!(matches!(
        answer,
        ReplicaResponse::Client {
            reply: ClientReply::Accepted { .. },
            ..
        }
    ));
    let count = s.query(KvQuery::Count { key: "c".into() });
    serve_from(
        &h,
        "peer-x",
        ReplicaRequest::Client {
            attempt: 2,
            request: count,
        },
    )
    .await;
    assert_eq!(
        seen.load(Ordering::Relaxed),
        1,
        "the hook saw the answer (a count of 0)"
    );
    serve_from(&h, "peer-x", ReplicaRequest::SetStatus(Status::Offline)).await;
    serve_from(&h, "peer-x", ReplicaRequest::SetStatus(Status::Offline)).await;
    h.add_member(r("r3")).await;
    h.add_member(r("r3")).await;
    h.remove_member(r("r2")).await;

    let app = hearsay_replica::http::router(h.clone());
    let (code, v) = get(app.clone(), "GET", "/v1/metrics").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let m: NodeMetrics = serde_json::from_value(v).unwrap();
    assert_eq!(m.name, "r1");
    assert_eq!(m.status, hearsay_wire::tracker::ReplicaStatus::Offline);
    assert_eq!(
        m.total.client_requests, 1,
        "the observed query is not counted"
    );
    assert_eq!(
        m.total.status_changes, 1,
        "setting the same status twice is one change"
    );
    assert_eq!(m.last_minute.client_requests, 1);

    let a = h.activity().clone();
    tokio::task::spawn_blocking(move || a.flush())
        .await
        .unwrap();
    let (code, v) = get(app.clone(), "GET", "/v1/activity").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let page: NodeActivityPage = serde_json::from_value(v).unwrap();
    let lines: Vec<(NodeActivityKind, Option<String>, String)> = page
        .entries
        .into_iter()
        .rev()
        .map(|e| (e.kind, e.peer, e.detail))
        .collect();
    assert_eq!(
        lines,
        [
            (
                NodeActivityKind::Membership,
                None,
                "started with members r2".to_string()
            ),
            (
                NodeActivityKind::StatusChanged,
                None,
                "online -> offline (asked by peer-x)".to_string()
            ),
            (
                NodeActivityKind::Membership,
                Some("r3".into()),
                "r3 joined".to_string()
            ),
            (
                NodeActivityKind::Membership,
                Some("r2".into()),
                "r2 left".to_string()
            ),
        ]
    );

    for bad in [
        "/v1/metrics?verbose=1",
        "/v1/status?x",
        "/v1/activity?limit=0",
    ] {
        let (code, v) = get(app.clone(), "GET", bad).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}");
        assert!(v["error"].is_string(), "{bad}: {v}");
    }
    let (code, v) = get(app.clone(), "GET", "/v2/nothing").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
    let (code, v) = get(app.clone(), "POST", "/v1/metrics").await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
    assert!(v["error"].is_string());
    let (code, v) = get(app, "DELETE", "/v1/activity").await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED, "{v}");
}
