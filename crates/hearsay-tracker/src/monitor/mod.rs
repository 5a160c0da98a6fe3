//! The live web monitor: `GET /monitor` (one HTML page built into the
//! binary: no CDN, fonts or scripts from elsewhere) and `GET
//! /monitor/events` (server-sent events).
//!
//! The tracker **polls** the nodes rather than have them push: every node
//! already serves `/v1/status` and `/v1/data` and registers its HTTP address
//! here, so any cluster is shown without the nodes knowing about the
//! monitor, and a node that hangs delays only its own poller. Each node is
//! read every [`POLL_EVERY`] (100 ms), only while a browser watches; a
//! change reaches the browsers within about one poll plus one request.
//! Only differences are pushed (a node's changed fields, keys set or
//! removed), to a bounded queue per browser; a browser that falls behind is
//! dropped and reconnects from a fresh snapshot.

mod fetch;
mod hub;
mod poll;
mod stream;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hub::Hub;

pub(crate) use poll::supervise;
pub(crate) use stream::{events, page};

/// How often each node is read while a browser watches.
pub const POLL_EVERY: Duration = Duration::from_millis(100);

/// How often the list of nodes is refreshed from the tracker's peers.
pub const PEERS_EVERY: Duration = Duration::from_millis(250);

/// How long one read of a node may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(1);

/// The largest answer read from a node, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Nodes shown at most (the first by tracker id).
pub const MAX_NODES: usize = 128;

/// Entries of a node's data read and shown at most (its first page).
pub const MAX_DATA_ENTRIES: usize = 200;

/// Browsers streaming at once at most; more get 503. Each stream holds one
/// of the tracker's HTTP connection slots.
pub const MAX_STREAMS: usize = 32;

/// Events queued per browser; a browser further behind is dropped.
pub const STREAM_QUEUE: usize = 4096;

/// A stream is closed after this long (the browser reconnects at once), so
/// that none lives forever.
pub const STREAM_LIFETIME: Duration = Duration::from_secs(600);

/// The monitor's shared state: the hub and the wake-up for the poller.
#[derive(Clone, Default)]
pub(crate) struct Monitor {
    hub: Arc<Mutex<Hub>>,
    /// Wakes the supervisor when the first browser arrives.
    watchers: Arc<tokio::sync::Notify>,
}

impl Monitor {
    /// Runs `f` on the hub under its lock.
    pub(crate) fn hub<R>(&self, f: impl FnOnce(&mut Hub) -> R) -> R {
        // A poisoned lock only means a holder panicked; the hub's maps are
        // still maps.
        f(&mut self.hub.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether any browser watches.
    pub(crate) fn watched(&self) -> bool {
        self.hub(|h| h.watched())
    }

    /// Completes when a browser has subscribed (since the last call).
    pub(crate) async fn watchers_came(&self) {
        self.watchers.notified().await;
    }

    /// Ends every stream (at shutdown, so the HTTP server can stop).
    pub(crate) fn close(&self) {
        self.hub(Hub::close);
    }
}
