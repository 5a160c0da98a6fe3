//! A local cluster in this process: replicas and a front end on real QUIC
//! over loopback, with certificates made for the run.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hearsay_activity::process;
use hearsay_client::Client;
use hearsay_core::ReplicaId;
use hearsay_frontend::{FrontendConfig, QuicLink};
use hearsay_replica::{AppliedHook, ReplicaHandle, ReplicaServerConfig, WireCounters, WireStats};
use hearsay_transport::{
    Connector, ConnectorConfig, EndpointConfig, NodeCredentials, ServeConfig, certs,
};
use tokio::sync::watch;

use crate::app::PayloadApp;
use crate::error::BenchError;
use crate::target::{Memory, ReplicaState, Target, WireTotals};

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
    /// The process's resident memory before the cluster started: what the
    /// replicas' memory is measured from.
    baseline: u64,
    /// Holds the run's certificates (and data, when durable); deleted when
    /// the cluster is dropped.
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
    /// of every update every replica applies. `durable`: each replica keeps
    /// its state in redb under the run's temporary directory, and commits
    /// before it acknowledges, as `hearsay replica` and `hearsay up` do.
    pub(crate) async fn start(
        n: usize,
        on_applied: AppliedHook,
        durable: bool,
    ) -> Result<Self, BenchError> {
        let baseline = process::read().map_or(0, |m| m.now);
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
            if durable {
                config.data_dir = Some(dir.path().join("data").join(r.as_str()));
            }
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
            baseline,
            _certs: dir,
        })
    }

    /// The front end's address.
    pub(crate) fn frontend(&self) -> SocketAddr {
        self.frontend
    }

    /// What every replica's gossip sender has put on the wire, summed.
    fn wire_stats(&self) -> WireStats {
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
}

impl Target for LocalCluster {
    /// The client of the front end (clones share one QUIC connection).
    fn client(&self) -> &Client {
        &self.client
    }

    fn replicas(&self) -> usize {
        self.members.len()
    }

    async fn states(&self) -> Result<Vec<ReplicaState>, BenchError> {
        let mut out = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let stopped = || BenchError::Run(format!("replica {} stopped", m.handle.name()));
            let snap = m.handle.snapshot().await.ok_or_else(stopped)?;
            let held = m
                .handle
                .inspect(|r, _| r.reorder_len())
                .await
                .ok_or_else(stopped)?;
            out.push(ReplicaState {
                log_len: snap.log_len as u64,
                settled: held == 0,
                stats: snap.stats,
            });
        }
        Ok(out)
    }

    async fn wire(&self) -> Result<WireTotals, BenchError> {
        let w = self.wire_stats();
        Ok(WireTotals {
            frames: w.frames(),
            bytes: w.bytes(),
        })
    }

    fn wire_detail(&self) -> Option<WireStats> {
        Some(self.wire_stats())
    }

    /// One process holds every replica, the front end and the load: the
    /// figure per replica is the process's growth over the replica count,
    /// an upper bound.
    async fn memory(&self) -> Memory {
        let Some(m) = process::read() else {
            return Memory::default();
        };
        let n = self.members.len().max(1) as u64;
        Memory {
            now: Some(m.now),
            peak: Some(m.peak),
            peak_per_replica: Some(m.peak.saturating_sub(self.baseline) / n),
        }
    }

    /// Stops every replica, lets the gossip senders finish what they have
    /// in flight (bounded), then stops the servers.
    async fn shutdown(self) {
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
