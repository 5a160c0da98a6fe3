//! [`app`]: the router, one small handler per path.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use hearsay_wire::tracker::{
    ActivityPage, ActivityQuery, Health, Heartbeat, Payload, PayloadIds, PayloadPage, PayloadQuery,
    Peer, PeerList, PeerQuery, RegisterPeer, SetStatus, StatusChanged, WritePayloads,
};

use crate::error::ApiError;
use crate::extract::{Admin, AppState, Body, NoQuery, OptionalBody, P, Q};
use crate::state::Tracker;
use crate::validate;

/// The tracker's HTTP API over `tracker`: every route, the body limit, JSON
/// errors for unknown paths and methods, and the request counters.
pub fn app(tracker: Arc<Tracker>) -> Router {
    Router::new()
        .route("/v1/peers", get(list_peers).post(register))
        .route("/v1/peers/{id}", get(get_peer).delete(deregister))
        .route("/v1/peers/{id}/heartbeat", put(heartbeat))
        .route("/v1/admin/payloads", axum::routing::post(write_payloads))
        .route("/v1/payloads", get(list_payloads))
        .route("/v1/payloads/{id}", get(get_payload))
        .route("/v1/admin/replicas/{name}/status", put(set_status))
        .route("/v1/activity", get(activity))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/monitor", get(crate::monitor::page))
        .route("/monitor/events", get(crate::monitor::events))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(tracker.clone(), count))
        .with_state(tracker)
}

/// Counts every answer by route template and status.
async fn count(State(t): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let response = next.run(req).await;
    t.metrics
        .record(&method, route.as_deref(), response.status().as_u16());
    response
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such path (see /openapi.json)".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn register(
    State(t): State<AppState>,
    _: Admin,
    _: Q<NoQuery>,
    Body(req): Body<RegisterPeer>,
) -> Result<(StatusCode, Json<Peer>), ApiError> {
    let (peer, created) = t.register(req)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(peer)))
}

async fn list_peers(
    State(t): State<AppState>,
    Q(q): Q<PeerQuery>,
) -> Result<Json<PeerList>, ApiError> {
    t.list(&q).map(Json)
}

async fn get_peer(
    State(t): State<AppState>,
    P(id): P<String>,
    _: Q<NoQuery>,
) -> Result<Json<Peer>, ApiError> {
    t.peer(validate::peer_id(&id)?).map(Json)
}

async fn deregister(
    State(t): State<AppState>,
    _: Admin,
    P(id): P<String>,
    _: Q<NoQuery>,
) -> Result<StatusCode, ApiError> {
    t.deregister(validate::peer_id(&id)?)
        .map(|()| StatusCode::NO_CONTENT)
}

async fn heartbeat(
    State(t): State<AppState>,
    _: Admin,
    P(id): P<String>,
    _: Q<NoQuery>,
    OptionalBody(beat): OptionalBody<Heartbeat>,
) -> Result<StatusCode, ApiError> {
    t.heartbeat(validate::peer_id(&id)?, beat)
        .map(|()| StatusCode::NO_CONTENT)
}

async fn write_payloads(
    State(t): State<AppState>,
    _: Admin,
    _: Q<NoQuery>,
    Body(req): Body<WritePayloads>,
) -> Result<(StatusCode, Json<PayloadIds>), ApiError> {
    Ok((StatusCode::CREATED, Json(t.write_payloads(req)?)))
}

async fn list_payloads(
    State(t): State<AppState>,
    Q(q): Q<PayloadQuery>,
) -> Result<Json<PayloadPage>, ApiError> {
    t.payloads(&q).map(Json)
}

async fn get_payload(
    State(t): State<AppState>,
    P(id): P<String>,
    _: Q<NoQuery>,
) -> Result<Json<Payload>, ApiError> {
    t.payload(&id).map(Json)
}

async fn set_status(
    State(t): State<AppState>,
    _: Admin,
    P(name): P<String>,
    _: Q<NoQuery>,
    Body(req): Body<SetStatus>,
) -> Result<Json<StatusChanged>, ApiError> {
    t.set_status(&name, req.status).await.map(Json)
}

async fn activity(
    State(t): State<AppState>,
    Q(q): Q<ActivityQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    // Expiry is logged lazily too: bring the log up to date first.
    t.expire()?;
    let entries = t.activity(&q)?;
    Ok(Json(ActivityPage { entries }))
}

async fn metrics(State(t): State<AppState>, _: Q<NoQuery>) -> Result<Response, ApiError> {
    let (peers, payloads, activity) = t.gauges()?;
    let pending = t.payloads_pending()?;
    let body = t.metrics.render(&peers, payloads, pending, activity);
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

async fn openapi(_: Q<NoQuery>) -> Response {
    let mut response = crate::OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn healthz(_: Q<NoQuery>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}
