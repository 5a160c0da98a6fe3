//! Replica status changes (through a fake `ReplicaAdmin`), the activity
//! log, `/metrics`, `/openapi.json`, `/healthz`, and unknown paths.

mod common;

use std::sync::{Arc, Mutex, Weak};

use axum::http::{Method, StatusCode};
use common::Api;
use hearsay_tracker::{AdminError, AdminFuture, ReplicaAdmin, Tracker};
use hearsay_wire::tracker::{Heartbeat, Peer, ReplicaStatus};

/// Obeys r1, cannot reach r2, does not know anyone else; remembers the calls.
#[derive(Default)]
struct FakeAdmin {
    calls: Mutex<Vec<(String, ReplicaStatus)>>,
}

impl ReplicaAdmin for FakeAdmin {
    fn set_status<'a>(&'a self, replica: &'a Peer, status: ReplicaStatus) -> AdminFuture<'a> {
        self.calls
            .lock()
            .unwrap()
            .push((replica.name.clone(), status));
        let name = replica.name.clone();
        Box::pin(async move {
            match name.as_str() {
                "r1" => Ok(status),
                "r2" => Err(AdminError::Unreachable(
                    "replica r2 at 127.0.0.1:7502 did not answer".into(),
                )),
                _ => Err(AdminError::UnknownReplica(format!(
                    "no connection to {name}"
                ))),
            }
        })
    }
}

#[tokio::test]
async fn status_changes_ask_the_replica() {
    let fake = Arc::new(FakeAdmin::default());
    let api = Api::with(|c| c.replica_admin = fake.clone());
    api.register("r1", "replica", "127.0.0.1:7501").await;
    api.register("r2", "replica", "127.0.0.1:7502").await;
    api.register("r3", "replica", "127.0.0.1:7503").await;
    api.register("fe", "frontend", "127.0.0.1:7500").await;

    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            Some(r#"{"status":"offline"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        a.json(),
        serde_json::json!({"name": "r1", "status": "offline"})
    );
    let offline = api.get("/v1/peers?status=offline").await.json();
    assert_eq!(offline["peers"][0]["name"], "r1");

    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r2/status",
            Some(r#"{"status":"overloaded"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_GATEWAY);
    assert!(a.error().contains("did not answer"), "{}", a.error());
    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r3/status",
            Some(r#"{"status":"online"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_GATEWAY);

    // Refused before the replica is asked.
    let before = fake.calls.lock().unwrap().len();
    let cases = [
        (
            "r9",
            r#"{"status":"online"}"#,
            StatusCode::NOT_FOUND,
            "no replica named r9",
        ),
        (
            "fe",
            r#"{"status":"online"}"#,
            StatusCode::BAD_REQUEST,
            "not a replica",
        ),
        (
            "r1",
            r#"{"status":"asleep"}"#,
            StatusCode::BAD_REQUEST,
            "unknown variant",
        ),
        (
            "r1",
            r#"{"status":"online","why":1}"#,
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        ("r1", r#"{"#, StatusCode::BAD_REQUEST, "malformed JSON"),
        (
            "r%201",
            r#"{"status":"online"}"#,
            StatusCode::BAD_REQUEST,
            "bad peer name",
        ),
    ];
    for (name, body, status, reason) in cases {
        let path = format!("/v1/admin/replicas/{name}/status");
        let a = api.admin(Method::PUT, &path, Some(body)).await;
        assert_eq!(a.status, status, "{name} {body}: {}", a.text);
        assert!(a.error().contains(reason), "{name} {body}: {}", a.error());
    }
    let a = api
        .send(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            None,
            Some(r#"{"status":"online"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(fake.calls.lock().unwrap().len(), before);

    let log = api
        .get("/v1/activity?kind=status_change_failed")
        .await
        .json();
    let peers: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["peer"].as_str().unwrap())
        .collect();
    assert_eq!(peers, ["r3", "r2"]);
    let log = api.get("/v1/activity?kind=status_changed").await.json();
    assert_eq!(log["entries"][0]["peer"], "r1");
}

#[tokio::test]
async fn without_a_replica_client_status_changes_are_503() {
    let api = Api::new();
    api.register("r1", "replica", "127.0.0.1:7501").await;
    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            Some(r#"{"status":"offline"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        a.error().contains("cannot reach replica r1"),
        "{}",
        a.error()
    );
}

#[tokio::test]
async fn activity_is_newest_first_filtered_and_bounded() {
    let api = Api::with(|c| c.activity_capacity = 5);
    for n in 1..=4 {
        api.register(&format!("r{n}"), "replica", &format!("127.0.0.1:750{n}"))
            .await;
    }
    api.admin(
        Method::POST,
        "/v1/admin/payloads",
        Some(r#"{"payload":"a"}"#),
    )
    .await;
    api.admin(Method::POST, "/v1/admin/payloads", Some(r#"{"random":3}"#))
        .await;

    let all = api.get("/v1/activity").await.json();
    let seqs: Vec<u64> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [6, 5, 4, 3, 2], "five kept, newest first");
    assert_eq!(all["entries"][0]["kind"], "payloads_written");
    assert_eq!(all["entries"][0]["detail"], "3 payloads written");

    let r3 = api.get("/v1/activity?peer=r3").await.json();
    assert_eq!(r3["entries"].as_array().unwrap().len(), 1);
    assert_eq!(r3["entries"][0]["kind"], "peer_registered");
    let since = api.get("/v1/activity?since=4").await.json();
    assert_eq!(since["entries"].as_array().unwrap().len(), 2);
    let limited = api
        .get("/v1/activity?limit=1&kind=peer_registered")
        .await
        .json();
    assert_eq!(limited["entries"][0]["peer"], "r4");
    assert_eq!(limited["entries"].as_array().unwrap().len(), 1);

    for bad in [
        "/v1/activity?kind=party",
        "/v1/activity?since=-1",
        "/v1/activity?limit=0",
        "/v1/activity?limit=5000",
        "/v1/activity?color=1",
    ] {
        let a = api.get(bad).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!a.error().is_empty());
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let api = Api::new();
    api.register("r1", "replica", "127.0.0.1:7501").await;
    api.admin(
        Method::POST,
        "/v1/admin/payloads",
        Some(r#"{"payload":"hello"}"#),
    )
    .await;
    api.get("/v1/peers/1").await;
    api.get("/v1/peers/2").await;
    api.get("/nowhere").await;
    api.send(Method::POST, "/v1/admin/payloads", None, Some("{}"))
        .await;
    let m = api.get("/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(
        m.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    for line in [
        r#"hearsay_tracker_requests_total{method="POST",route="/v1/peers",status="201"} 1"#,
        r#"hearsay_tracker_requests_total{method="GET",route="/v1/peers/{id}",status="200"} 1"#,
        r#"hearsay_tracker_requests_total{method="GET",route="/v1/peers/{id}",status="404"} 1"#,
        r#"hearsay_tracker_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"hearsay_tracker_requests_total{method="POST",route="/v1/admin/payloads",status="401"} 1"#,
        r#"hearsay_tracker_peers{role="replica"} 1"#,
        r#"hearsay_tracker_peers{role="frontend"} 0"#,
        "hearsay_tracker_payloads 1",
        "hearsay_tracker_activity_entries 2",
        "# TYPE hearsay_tracker_requests_total counter",
    ] {
        assert!(
            m.text.lines().any(|l| l == line),
            "missing {line} in\n{}",
            m.text
        );
    }
}

#[tokio::test]
async fn openapi_describes_every_path() {
    let api = Api::new();
    let a = api.get("/openapi.json").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers["content-type"], "application/json");
    let doc = a.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = [
        ("/v1/peers", "post"),
        ("/v1/peers", "get"),
        ("/v1/peers/{id}", "get"),
        ("/v1/peers/{id}", "delete"),
        ("/v1/peers/{id}/heartbeat", "put"),
        ("/v1/admin/payloads", "post"),
        ("/v1/payloads", "get"),
        ("/v1/payloads/{id}", "get"),
        ("/v1/admin/replicas/{name}/status", "put"),
        ("/v1/activity", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/healthz", "get"),
        ("/monitor", "get"),
        ("/monitor/events", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        routes.len(),
        "the document has operations the router lacks"
    );
    for (path, method) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        let secured = op.get("security").is_some();
        let needs_token = method != "get";
        assert_eq!(secured, needs_token, "{method} {path}: token rule");
        if needs_token {
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path}: no 401"
            );
        }
        // Every documented route exists: it does not fall back to 404 "no such path".
        // (The monitor's event stream never ends; tests/monitor.rs reads it.)
        if path == "/monitor/events" {
            continue;
        }
        let concrete = path.replace("{id}", "1").replace("{name}", "r1");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let a = api.send(m, &concrete, None, None).await;
        if a.status == StatusCode::NOT_FOUND {
            assert!(!a.error().contains("no such path"), "{method} {path}");
        }
    }
    // Every $ref resolves.
    let text = a.text.clone();
    for part in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let api = Api::new();
    let a = api.get("/healthz").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json(), serde_json::json!({"status": "ok"}));
    let a = api.get("/v2/peers").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.error().contains("no such path"));
    let a = api.admin(Method::PATCH, "/v1/peers", Some("{}")).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!a.error().is_empty());
}

/// Obeys everyone, and, like a real replica, heartbeats its new status to
/// the tracker before it answers.
#[derive(Default)]
struct HeartbeatingAdmin {
    tracker: Mutex<Weak<Tracker>>,
}

impl ReplicaAdmin for HeartbeatingAdmin {
    fn set_status<'a>(&'a self, replica: &'a Peer, status: ReplicaStatus) -> AdminFuture<'a> {
        let tracker = self.tracker.lock().unwrap().upgrade().unwrap();
        tracker
            .heartbeat(
                replica.id,
                Heartbeat {
                    status: Some(status),
                },
            )
            .unwrap();
        Box::pin(async move { Ok(status) })
    }
}

#[tokio::test]
async fn a_change_by_an_admin_is_logged_once_although_the_replica_heartbeats_it() {
    let fake = Arc::new(HeartbeatingAdmin::default());
    let api = Api::with(|c| c.replica_admin = fake.clone());
    *fake.tracker.lock().unwrap() = Arc::downgrade(&api.tracker);
    let r1 = api.register("r1", "replica", "127.0.0.1:7501").await;
    let a = api
        .admin(
            Method::PUT,
            "/v1/admin/replicas/r1/status",
            Some(r#"{"status":"offline"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // After the change, its own reports count again.
    let hb = format!("/v1/peers/{r1}/heartbeat");
    let a = api
        .admin(Method::PUT, &hb, Some(r#"{"status":"online"}"#))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    let log = api.get("/v1/activity?kind=status_changed").await.json();
    let details: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "replica r1 reports it is now online (was offline)",
            "replica r1 asked to be offline; it is now offline",
        ]
    );
}
