//! The replica's HTTP side: `/metrics` (Prometheus text), `/v1/status`,
//! `/v1/metrics`, `/v1/activity` and `/v1/data` (JSON). Every error is a JSON
//! `{"error": ...}`; bad query strings are 400s.

use std::fmt::Write as _;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearsay_activity::Counter;
use hearsay_activity::http::{HttpError, NoParams, Params, method_not_allowed, not_found};
use hearsay_core::App;
use hearsay_wire::node::NodeMetrics;
use hearsay_wire::tracker::PeerRole;
use serde::Deserialize;
use serde_json::json;

use crate::handle::{ReplicaHandle, ReplicaSnapshot};

/// Whether the replica has applied everything it knows to exist: all it has
/// received, and all any peer has reported having.
pub fn caught_up(s: &ReplicaSnapshot) -> bool {
    s.rep_ts.le(&s.value_ts) && s.timestamp_table.values().all(|t| t.le(&s.value_ts))
}

/// The replica's HTTP routes.
pub fn router<A>(handle: ReplicaHandle<A>) -> Router
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let activity = handle.activity().clone();
    Router::new()
        .route("/metrics", get(metrics::<A>))
        .route("/v1/status", get(status::<A>))
        .route("/v1/metrics", get(node_metrics::<A>))
        .route("/v1/data", get(data::<A>))
        .with_state(handle)
        .merge(hearsay_activity::http::router(activity))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

fn stopped() -> Response {
    HttpError::unavailable("the replica has stopped").into_response()
}

/// `GET /v1/metrics`: the replica's counters (whole run and last minute),
/// per-peer claim figures and gauges.
async fn node_metrics<A>(
    State(handle): State<ReplicaHandle<A>>,
    Params(NoParams {}): Params<NoParams>,
) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let Some(s) = handle.snapshot().await else {
        return stopped();
    };
    let metrics = NodeMetrics {
        name: s.name.to_string(),
        role: Some(PeerRole::Replica),
        status: s.status.into(),
        log_len: s.log_len as u64,
        held_queries: s.held as u64,
        ..handle.activity().metrics()
    };
    Json(metrics).into_response()
}

async fn status<A>(
    State(handle): State<ReplicaHandle<A>>,
    Params(NoParams {}): Params<NoParams>,
) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let Some(s) = handle.snapshot().await else {
        return stopped();
    };
    let ts = |t: &hearsay_core::VectorTimestamp| {
        t.iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    Json(json!({
        "name": s.name.to_string(),
        "status": s.status.as_str(),
        "value_ts": ts(&s.value_ts),
        "rep_ts": ts(&s.rep_ts),
        "caught_up": caught_up(&s),
        "log_len": s.log_len,
        "held_queries": s.held,
        "oldest_held_ms": s.oldest_held.map(|d| d.as_millis() as u64),
        "executed_len": s.executed_len,
        "members": s.timestamp_table.keys().map(|r| r.to_string()).collect::<Vec<_>>(),
        "stats": s.stats,
        "role": "replica",
        "last_gossip": handle.gossip_seen().last(),
    }))
    .into_response()
}

/// `GET /v1/data` query string.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataQuery {
    /// Entries to skip.
    #[serde(default)]
    offset: Option<usize>,
    /// Entries to return (capped at [`crate::MAX_DATA_LIMIT`]).
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /v1/data?offset=&limit=`: a page of the app's state as key → value
/// text (see [`crate::DataView`]); 404 when the app shows none.
async fn data<A>(State(handle): State<ReplicaHandle<A>>, Params(q): Params<DataQuery>) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    if !handle.has_data_view() {
        return HttpError::not_found("this replica's app shows no data view").into_response();
    }
    let offset = q.offset.unwrap_or(0);
    let limit = q
        .limit
        .unwrap_or(crate::DEFAULT_DATA_LIMIT)
        .min(crate::MAX_DATA_LIMIT);
    let Some(page) = handle.data(offset, limit).await else {
        return stopped();
    };
    Json(json!({
        "name": handle.name().to_string(),
        "total": page.total,
        "offset": offset,
        "limit": limit,
        "entries": page.entries,
    }))
    .into_response()
}

async fn metrics<A>(
    State(handle): State<ReplicaHandle<A>>,
    Params(NoParams {}): Params<NoParams>,
) -> Response
where
    A: App + Send + Sync + 'static,
    A::Update: Send + Sync,
    A::Query: Send + Sync,
    A::Reply: Send + Sync,
{
    let Some(s) = handle.snapshot().await else {
        return stopped();
    };
    let r = s.name.as_str();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP hearsay_{name} {help}\n# TYPE hearsay_{name} gauge\nhearsay_{name}{{replica=\"{r}\"}} {value}"
        );
    };
    gauge(
        "caught_up",
        "1 when the replica has applied everything it knows to exist",
        f64::from(u8::from(caught_up(&s))),
    );
    gauge("log_len", "Update records in the log", s.log_len as f64);
    gauge(
        "held_queries",
        "Queries waiting for their causal past",
        s.held as f64,
    );
    gauge(
        "oldest_held_seconds",
        "How long the oldest held query has waited (0 when none)",
        s.oldest_held.map_or(0.0, |d| d.as_secs_f64()),
    );
    gauge(
        "executed_len",
        "Entries in the executed-update table",
        s.executed_len as f64,
    );
    gauge(
        "online",
        "1 when the replica serves clients",
        f64::from(u8::from(s.status == hearsay_core::Status::Online)),
    );
    let st = &s.stats;
    let counters = [
        (
            "updates_accepted_total",
            "Updates accepted from front ends",
            st.updates_accepted,
        ),
        (
            "updates_applied_total",
            "Updates applied",
            st.updates_applied,
        ),
        (
            "duplicates_skipped_total",
            "Second copies of applied updates skipped",
            st.duplicates_skipped,
        ),
        (
            "queries_answered_total",
            "Queries answered",
            st.queries_answered,
        ),
        (
            "queries_held_total",
            "Queries that waited for their causal past",
            st.queries_held,
        ),
        (
            "queries_not_yet_total",
            "Queries answered not yet",
            st.queries_not_yet,
        ),
        ("gossip_sent_total", "Gossip messages sent", st.gossip_sent),
        (
            "records_sent_total",
            "Records sent in gossip",
            st.records_sent,
        ),
        (
            "records_received_total",
            "New records received by gossip",
            st.records_in,
        ),
        (
            "digests_sent_total",
            "Anti-entropy digests sent",
            st.digests_sent,
        ),
        (
            "snapshots_sent_total",
            "Snapshots sent (state transfer)",
            st.snapshots_sent,
        ),
        (
            "snapshots_adopted_total",
            "Snapshots adopted",
            st.snapshots_adopted,
        ),
    ];
    for (name, help, v) in counters {
        let _ = writeln!(
            out,
            "# HELP hearsay_{name} {help}\n# TYPE hearsay_{name} counter\nhearsay_{name}{{replica=\"{r}\"}} {v}"
        );
    }
    // Claims, tracker calls, gossip bytes and the activity log; the core's
    // own count of applied updates is above already.
    out.push_str(
        &handle
            .activity()
            .prometheus(&format!("replica=\"{r}\""), &[Counter::UpdatesApplied]),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
