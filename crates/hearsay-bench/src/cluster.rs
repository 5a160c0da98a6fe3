//! A local cluster in this process: replicas and a front end on real QUIC
//! over loopback, with certificates made for the run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_client::Client;
use hearsay_core::ReplicaId;
use hearsay_frontend::{FrontendConfig, QuicLink};
use hearsay_replica::{
    AppliedHook, ReplicaHandle, ReplicaServerConfig, ReplicaSnapshot, WireCounters, WireStats,
};
use hearsay_transport::{
    Connector, ConnectorConfig, EndpointConfig, NodeCredentials, ServeConfig, certs,
};
use tokio::sync::watch;

use crate::app::PayloadApp;
use crate::error::BenchError;

/// Outbound peer messages queued per replica before the replica drops them
/// (the gossip sender drains this continuously).
const OUTBOUND_QUEUE: usize = 8192;

/// How long the gossip senders get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// One replica of the cluster.
struct Member {
    handle: ReplicaHandle<PayloadApp>,
    counters: WireCounters,
    /// The gossip sender, awaited at shutdown so nothing is cut off mid-send.
    sender: tokio::task::JoinHandle<()>,
}

/// Replicas `r1..rN` and a front end `fe`, all on 127.0.0.1 with ports the
/// system picks, and a client connection to the front end.
pub(crate) struct LocalCluster {
    members: Vec<Member>,
    frontend: SocketAddr,
    client: Client,
    stop: watch::Sender<bool>,
    /// Holds the run's certificates; deleted when the cluster is dropped.
    _certs: tempfile::TempDir,
}

fn name(i: usize) -> ReplicaId {
    // "r" and a number is always a valid replica name.
    ReplicaId::new(format!("r{}", i + 1)).unwrap_or_else(|_| unreachable!())
}

fn creds(dir: &std::path::Path, name: &str) -> Result<NodeCredentials, BenchError> {
    NodeCredentials::load(dir, name).map_err(|e| BenchError::Start(format!("{name}: {e}")))
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl LocalCluster {
    /// Starts `n` replicas (full mesh) and a front end; `on_applied` is told
    /// of every update every replica applies.
    pub(crate) async fn start(n: usize, on_applied: AppliedHook) -> Result<Self, BenchError> {
        let dir = tempfile::tempdir()
            .map_err(|e| BenchError::Start(format!("a directory for certificates: {e}")))?;
        let names: Vec<ReplicaId> = (0..n).map(name).collect();
        let mut nodes: Vec<String> = names.iter().map(|r| r.to_string()).collect();
        nodes.extend(["fe".to_owned(), "client".to_owned()]);
        certs::init(dir.path(), &nodes, certs::Existing::Overwrite)
            .map_err(|e| BenchError::Start(format!("certificates: {e}")))?;
        let (stop, _) = watch::channel(false);
        let endpoint_config = EndpointConfig::default();

        // Bind every replica first, so each knows every peer's address.
        let mut endpoints = Vec::with_capacity(n);
        let mut book = BTreeMap::new();
        for r in &names {
            let endpoint = hearsay_transport::bind(
                loopback(),
                &creds(dir.path(), r.as_str())?,
                &endpoint_config,
            )
            .map_err(|e| BenchError::Start(format!("replica {r}: {e}")))?;
            let addr = endpoint
                .local_addr()
                .map_err(|e| BenchError::Start(format!("replica {r}: {e}")))?;
            book.insert(r.clone(), addr);
            endpoints.push(endpoint);
        }
        let mut members = Vec::with_capacity(n);
        for (r, endpoint) in names.iter().zip(endpoints) {
            let mut config = ReplicaServerConfig::new(r.clone());
            config.members = names.iter().filter(|m| *m != r).cloned().collect();
            config.on_applied = Some(on_applied.clone());
            let (out_tx, out_rx) = tokio::sync::mpsc::channel(OUTBOUND_QUEUE);
            let handle = hearsay_replica::spawn(config, PayloadApp::default(), out_tx)
                .map_err(|e| BenchError::Start(format!("replica {r}: {e}")))?;
            let counters = WireCounters::default();
            let peers: BTreeMap<ReplicaId, SocketAddr> = book
                .iter()
                .filter(|(m, _)| *m != r)
                .map(|(m, a)| (m.clone(), *a))
                .collect();
            let sender = tokio::spawn(hearsay_replica::send_gossip_counted(
                r.clone(),
                out_rx,
                Connector::new(endpoint.clone(), ConnectorConfig::default()),
                Arc::new(RwLock::new(peers)),
                hearsay_replica::Isolation::default(),
                counters.clone(),
                None,
            ));
            tokio::spawn(hearsay_replica::serve_quic(
                handle.clone(),
                endpoint,
                ServeConfig::default(),
                hearsay_replica::Isolation::default(),
                stopped(&stop),
            ));
            members.push(Member {
                handle,
                counters,
                sender,
            });
        }

        let fe = hearsay_transport::bind(loopback(), &creds(dir.path(), "fe")?, &endpoint_config)
            .map_err(|e| BenchError::Start(format!("front end: {e}")))?;
        let frontend = fe
            .local_addr()
            .map_err(|e| BenchError::Start(format!("front end: {e}")))?;
        let link = Arc::new(QuicLink::new(
            Connector::new(fe.clone(), ConnectorConfig::default()),
            Arc::new(RwLock::new(book)),
            Duration::from_secs(3),
        ));
        let handle =
            hearsay_frontend::spawn::<PayloadApp>(FrontendConfig::default(), names.clone(), link);
        tokio::spawn(hearsay_frontend::serve_quic(
            handle,
            fe,
            ServeConfig::default(),
            stopped(&stop),
        ));

        let client_endpoint = hearsay_transport::bind_client(
            loopback(),
            &creds(dir.path(), "client")?,
            &endpoint_config,
        )
        .map_err(|e| BenchError::Start(format!("client: {e}")))?;
        let client = Client::new(
            Connector::new(client_endpoint, ConnectorConfig::default()),
            frontend,
            "fe",
        );
        Ok(Self {
            members,
            frontend,
            client,
            stop,
            _certs: dir,
        })
    }

    /// The client of the front end (clones share one QUIC connection).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The front end's address.
    pub(crate) fn frontend(&self) -> SocketAddr {
        self.frontend
    }

    /// Every replica's state now, in name order.
    pub(crate) async fn snapshots(&self) -> Result<Vec<ReplicaSnapshot>, BenchError> {
        let mut out = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let snap =
                m.handle.snapshot().await.ok_or_else(|| {
                    BenchError::Run(format!("replica {} stopped", m.handle.name()))
                })?;
            out.push(snap);
        }
        Ok(out)
    }

    /// Held out-of-order records, summed over the replicas.
    pub(crate) async fn reorder_len(&self) -> usize {
        let mut total = 0;
        for m in &self.members {
            total += m.handle.inspect(|r, _| r.reorder_len()).await.unwrap_or(0);
        }
        total
    }

    /// What every replica's gossip sender has put on the wire, summed.
    pub(crate) fn wire(&self) -> WireStats {
        let mut sum = WireStats::default();
        for m in &self.members {
            let w = m.counters.read();
            sum.gossip_frames += w.gossip_frames;
            sum.gossip_bytes += w.gossip_bytes;
            sum.digest_frames += w.digest_frames;
            sum.digest_bytes += w.digest_bytes;
            sum.snapshot_frames += w.snapshot_frames;
            sum.snapshot_bytes += w.snapshot_bytes;
            sum.merged += w.merged;
            sum.failed += w.failed;
        }
        sum
    }

    /// Stops every replica, lets the gossip senders finish what they have
    /// in flight (bounded), then stops the servers.
    pub(crate) async fn shutdown(self) {
        let mut senders = Vec::with_capacity(self.members.len());
        for m in self.members {
            m.handle.shutdown().await;
            senders.push(m.sender);
        }
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
            for s in senders {
                let _ = s.await;
            }
        })
        .await;
        let _ = self.stop.send(true);
    }
}

fn stopped(stop: &watch::Sender<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = stop.subscribe();
    async move {
        let _ = rx.wait_for(|s| *s).await;
    }
}
