//! A local cluster in this process: replicas and a front end on real QUIC
//! over loopback, with certificates made for the run.

use std::net::SocketAddr;

use hearsay_activity::process;
use hearsay_client::Client;
use hearsay_core::ReplicaId;
use hearsay_frontend::FrontendNode;
use hearsay_replica::{AppliedHook, ReplicaNode, WireStats};
use hearsay_transport::{NodeCredentials, certs};

use crate::app::PayloadApp;
use crate::error::BenchError;
use crate::target::{Memory, ReplicaState, Target, WireTotals};

/// Replicas `r1..rN` and a front end `fe`, all on 127.0.0.1 with ports the
/// system picks, and a client connection to the front end.
pub(crate) struct LocalCluster {
    members: Vec<ReplicaNode<PayloadApp>>,
    frontend: FrontendNode<PayloadApp>,
    client: Client,
    /// The process's resident memory before the cluster started: what the
    /// replicas' memory is measured from.
    baseline: u64,
    /// Holds the run's certificates (and data, when durable); deleted when
    /// the cluster is dropped.
    certs: tempfile::TempDir,
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

        // Each replica knows its peers by name at start; their addresses
        // (ports the system picks) go into its book once all are bound.
        let mut members: Vec<ReplicaNode<PayloadApp>> = Vec::with_capacity(n);
        for r in &names {
            let mut builder = ReplicaNode::builder(PayloadApp::default())
                .name(r.as_str())
                .certs_dir(dir.path())
                .listen(loopback())
                .on_applied(on_applied.clone());
            for m in names.iter().filter(|m| *m != r) {
                builder = builder.member(m.as_str());
            }
            if durable {
                builder = builder.data_dir(dir.path().join("data").join(r.as_str()));
            }
            match builder.spawn().await {
                Ok(node) => members.push(node),
                Err(e) => {
                    for m in members {
                        m.shutdown().await;
                    }
                    return Err(BenchError::Start(format!("replica {r}: {e}")));
                }
            }
        }
        ReplicaNode::introduce(&members);

        let mut fe = FrontendNode::<PayloadApp>::builder()
            .name("fe")
            .certs_dir(dir.path())
            .listen(loopback());
        for m in &members {
            fe = fe.replica(m.name().as_str(), m.addr());
        }
        let frontend = fe
            .spawn()
            .await
            .map_err(|e| BenchError::Start(format!("front end: {e}")))?;

        let client = Client::connect(&creds(dir.path(), "client")?, frontend.addr(), "fe")
            .map_err(|e| BenchError::Start(format!("client: {e}")))?;
        Ok(Self {
            members,
            frontend,
            client,
            baseline,
            certs: dir,
        })
    }

    /// The run's certificates (the bare QUIC floor presents them too).
    pub(crate) fn certs_dir(&self) -> &std::path::Path {
        self.certs.path()
    }

    /// The front end's address.
    pub(crate) fn frontend(&self) -> SocketAddr {
        self.frontend.addr()
    }

    /// What every replica's gossip sender has put on the wire, summed.
    fn wire_stats(&self) -> WireStats {
        let mut sum = WireStats::default();
        for m in &self.members {
            let w = m.wire_counters().read();
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
            let stopped = || BenchError::Run(format!("replica {} stopped", m.name()));
            let snap = m.handle().snapshot().await.ok_or_else(stopped)?;
            let held = m
                .handle()
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

    /// Stops every replica at once, each letting its gossip sender finish
    /// what it has in flight (bounded) before its servers stop; then the
    /// front end.
    async fn shutdown(self) {
        let mut stopping = tokio::task::JoinSet::new();
        for m in self.members {
            stopping.spawn(m.shutdown());
        }
        while stopping.join_next().await.is_some() {}
        self.frontend.shutdown().await;
    }
}
