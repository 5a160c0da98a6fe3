//! The hearsay tracker: the cluster's HTTP JSON API for peers (register,
//! heartbeat, list, expiry), payloads (id = SHA-256), replica status changes
//! and the activity log, with `/metrics`, `/openapi.json` and `/healthz`, and
//! the live web [`monitor`] (`/monitor`).
//!
//! [`app`] is the whole API as an axum `Router` over a [`Tracker`] (tests
//! drive it without a socket); [`run`] serves it on a listener until a
//! shutdown future completes, and expires silent peers meanwhile. Request and
//! response types live in [`hearsay_wire::tracker`], so nodes talk to the
//! tracker without depending on this crate.
//!
//! Mutating calls (`/v1/admin/...` and every write to `/v1/peers`) need
//! `Authorization: Bearer <token>`; reads are open. Peers, payloads and the
//! activity log persist in a redb database in the data directory.

mod admin;
mod config;
mod error;
mod extract;
mod forward;
mod metrics;
pub mod monitor;
mod payload;
mod routes;
mod state;
mod store;
mod validate;

use std::future::Future;
use std::sync::Arc;

pub use admin::{AdminError, AdminFuture, ReplicaAdmin, Unconnected};
pub use config::Config;
pub use error::ApiError;
pub use forward::{NoSink, PayloadSink, SinkFuture};
pub use payload::payload_id;
pub use routes::app;
pub use state::Tracker;
pub use store::{DB_FILE, StoreError};

/// The largest request body accepted, in bytes; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How often the tracker retries writing waiting payloads into the cluster.
pub const FORWARD_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The OpenAPI 3 document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Why the tracker could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The data directory could not be opened.
    #[error("tracker store: {0}")]
    Store(StoreError),
    /// The admin token is empty, so no call could be authorized.
    #[error("the admin token is empty")]
    EmptyToken,
}

/// Opens the tracker (see [`Tracker::open`]), refusing an empty token.
pub fn open(config: Config) -> Result<Arc<Tracker>, RunError> {
    if config.admin_token.trim().is_empty() {
        return Err(RunError::EmptyToken);
    }
    Tracker::open(config).map(Arc::new).map_err(RunError::Store)
}

/// Opens the tracker of `config` and serves it on `listener` until
/// `shutdown` completes (see [`serve`]).
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    serve(open(config)?, listener, shutdown).await
}

/// Serves `tracker` on `listener` until `shutdown` completes, then lets
/// requests in progress finish. The listener has the connection cap,
/// shedding and timeouts of `hearsay_http` (set in [`Config::http`]). Checks for silent peers every quarter of the
/// expiry time, so their expiry is logged even when nobody asks, and writes
/// stored payloads into the cluster as soon as they are stored (and every
/// [`FORWARD_EVERY`] while some wait). While a browser watches `/monitor`,
/// polls every registered node's HTTP status and data (see [`monitor`]).
pub async fn serve(
    tracker: Arc<Tracker>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = {
        let tracker = tracker.clone();
        let period = (tracker.expiry() / 4).max(std::time::Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = tracker.expire() {
                            tracing::warn!(error = ?e, "expiring peers failed");
                        }
                    }
                    _ = stop_rx.wait_for(|s| *s) => break,
                }
            }
        })
    };
    let forwarder = {
        let tracker = tracker.clone();
        let mut stop_rx = stop_tx.subscribe();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FORWARD_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = tracker.payloads_stored() => {}
                    _ = stop_rx.wait_for(|s| *s) => break,
                }
                tracker.forward().await;
            }
        })
    };
    let poller = tokio::spawn(monitor::supervise(tracker.clone(), stop_tx.subscribe()));
    let http = tracker.http.clone();
    let streams = tracker.monitor.clone();
    let shutdown = async move {
        shutdown.await;
        // The monitor's streams last until ended: end them, so the HTTP
        // server's wait for open connections is short.
        streams.close();
    };
    hearsay_http::serve(listener, app(tracker), http, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    let _ = forwarder.await;
    let _ = poller.await;
    Ok(())
}
