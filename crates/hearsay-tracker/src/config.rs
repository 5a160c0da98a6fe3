//! [`Config`]: how a tracker is set up.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::admin::{ReplicaAdmin, Unconnected};
use crate::forward::{NoSink, PayloadSink};

/// How a tracker is set up.
#[derive(Clone)]
pub struct Config {
    /// Where the database lives (created if missing).
    pub data_dir: PathBuf,
    /// The bearer token every admin call and peer write must present.
    pub admin_token: String,
    /// A peer not heard from for this long is dropped.
    pub expiry: Duration,
    /// Activity entries kept; the oldest go first.
    pub activity_capacity: u64,
    /// Payloads kept; writes past it are refused (507).
    pub max_payloads: u64,
    /// Live peers at once; registrations past it are refused (507).
    pub max_peers: usize,
    /// How status changes reach replicas.
    pub replica_admin: Arc<dyn ReplicaAdmin>,
    /// How stored payloads are written into the cluster.
    pub payload_sink: Arc<dyn PayloadSink>,
    /// The HTTP listener's connection cap and timeouts (see `hearsay_http`).
    pub http: hearsay_http::ServeConfig,
}

impl Config {
    /// The defaults (expiry 5 s, 10,000 activity entries, 100,000 payloads,
    /// 1,024 peers, no replica client, no front-end client, the HTTP limits
    /// of [`hearsay_http::ServeConfig::default`]) for a data directory and
    /// token.
    pub fn new(data_dir: impl Into<PathBuf>, admin_token: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            admin_token: admin_token.into(),
            expiry: Duration::from_secs(5),
            activity_capacity: 10_000,
            max_payloads: 100_000,
            max_peers: 1024,
            replica_admin: Arc::new(Unconnected),
            payload_sink: Arc::new(NoSink),
            http: hearsay_http::ServeConfig::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("admin_token", &"<hidden>")
            .field("expiry", &self.expiry)
            .field("activity_capacity", &self.activity_capacity)
            .field("max_payloads", &self.max_payloads)
            .field("max_peers", &self.max_peers)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}
