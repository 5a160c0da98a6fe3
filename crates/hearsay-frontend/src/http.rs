//! The front end's HTTP side: `/v1/status` (its replicas and whether it can
//! route to them), `/v1/metrics`, `/v1/activity` (JSON) and `/metrics`
//! (Prometheus text). Every error is a JSON `{"error": ...}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearsay_activity::http::{NoParams, Params, method_not_allowed, not_found};
use hearsay_activity::label_value;
use hearsay_core::{App, Status, VectorTimestamp};
use hearsay_wire::node::NodeMetrics;
use hearsay_wire::tracker::{PeerRole, ReplicaStatus};
use serde_json::json;

use crate::actor::FrontendHandle;

/// What every route needs.
struct Node<A: App> {
    name: String,
    handle: FrontendHandle<A>,
}

type Shared<A> = Arc<Node<A>>;

/// The HTTP routes of the front end named `name`.
pub fn router<A>(name: impl Into<String>, handle: FrontendHandle<A>) -> Router
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let activity = handle.activity().clone();
    let node = Arc::new(Node {
        name: name.into(),
        handle,
    });
    Router::new()
        .route("/v1/status", get(status::<A>))
        .route("/v1/metrics", get(metrics_json::<A>))
        .route("/metrics", get(prometheus::<A>))
        .with_state(node)
        .merge(hearsay_activity::http::router(activity))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

fn ts(t: &VectorTimestamp) -> BTreeMap<String, u64> {
    t.iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `GET /v1/status`: each replica, the status routing uses, and the
/// replica's own report when it answered in time.
async fn status<A>(State(node): State<Shared<A>>, Params(NoParams {}): Params<NoParams>) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let replicas: Vec<serde_json::Value> = node
        .handle
        .list()
        .await
        .into_iter()
        .map(|e| {
            let report = e.report.as_ref().map(|r| {
                json!({
                    "status": r.status.as_str(),
                    "value_ts": ts(&r.value_ts),
                    "log_len": r.log_len,
                    "held_queries": r.held_queries,
                    "oldest_held_ms": r.oldest_held_ms,
                })
            });
            json!({
                "name": e.name.to_string(),
                "status": e.status.as_str(),
                "available": e.status == Status::Online && e.report.is_some(),
                "reachable": e.report.is_some(),
                "report": report,
            })
        })
        .collect();
    let available = replicas.iter().filter(|r| r["available"] == true).count();
    Json(json!({
        "name": node.name,
        "role": PeerRole::Frontend.as_str(),
        "replicas": replicas,
        "available": available,
    }))
    .into_response()
}

/// `GET /v1/metrics`: the front end's counters (whole run and last minute).
async fn metrics_json<A>(
    State(node): State<Shared<A>>,
    Params(NoParams {}): Params<NoParams>,
) -> Json<NodeMetrics>
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    Json(NodeMetrics {
        name: node.name.clone(),
        role: Some(PeerRole::Frontend),
        status: ReplicaStatus::Online,
        ..node.handle.activity().metrics()
    })
}

/// `GET /metrics`: the counters, and the replicas by routing status.
async fn prometheus<A>(
    State(node): State<Shared<A>>,
    Params(NoParams {}): Params<NoParams>,
) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let name = label_value(&node.name);
    let labels = format!("frontend=\"{name}\"");
    let mut out = node.handle.activity().prometheus(&labels, &[]);
    let routing = node.handle.routing().await;
    let _ = writeln!(
        out,
        "# HELP hearsay_frontend_replicas Replicas by the status routing uses\n# TYPE hearsay_frontend_replicas gauge"
    );
    for s in [Status::Online, Status::Overloaded, Status::Offline] {
        let n = routing.iter().filter(|(_, st)| *st == s).count();
        let _ = writeln!(
            out,
            "hearsay_frontend_replicas{{{labels},status=\"{}\"}} {n}",
            s.as_str()
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
