//! An attached cluster: load through its front end, and every replica
//! polled over HTTP (`/v1/status` for timestamps, log and counters,
//! `/v1/metrics` for wire traffic and memory).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hearsay_client::Client;
use hearsay_core::{ReplicaStats, VectorTimestamp};
use hearsay_discovery::{TrackerClient, TrackerUrl};
use hearsay_replica::WireStats;
use hearsay_wire::node::NodeMetrics;
use serde::Deserialize;
use tokio::task::JoinSet;

use crate::error::BenchError;
use crate::probe::Probe;
use crate::target::{Memory, ReplicaState, Target, WireTotals};

/// Shortest gap between two polls of one replica.
const MIN_POLL: Duration = Duration::from_millis(5);

/// Longest gap between two polls of one replica.
const MAX_POLL: Duration = Duration::from_millis(50);

/// How long one poll may take before it is given up.
const POLL_TIMEOUT: Duration = Duration::from_secs(2);

/// A running cluster to measure, as the caller found it (through the
/// tracker's peer list).
pub struct Attach {
    /// A client of the front end the load goes through.
    pub client: Client,
    /// Every replica to poll: its name and where it serves HTTP.
    pub replicas: Vec<(String, TrackerUrl)>,
}

/// The part of a replica's `/v1/status` the bench reads.
#[derive(Deserialize)]
struct Status {
    value_ts: VectorTimestamp,
    log_len: u64,
    caught_up: bool,
    stats: ReplicaStats,
}

/// One attached replica.
struct Replica {
    name: String,
    http: TrackerClient,
}

impl Replica {
    async fn status(&self) -> Result<Status, BenchError> {
        self.http
            .get_json::<Status>("/v1/status")
            .await
            .map_err(|e| BenchError::Run(format!("replica {}: /v1/status: {e}", self.name)))
    }

    async fn metrics(&self) -> Result<NodeMetrics, BenchError> {
        self.http
            .get_json::<NodeMetrics>("/v1/metrics")
            .await
            .map_err(|e| BenchError::Run(format!("replica {}: /v1/metrics: {e}", self.name)))
    }
}

/// A running cluster, attached to.
pub(crate) struct RemoteCluster {
    client: Client,
    replicas: Vec<Replica>,
    /// One task per replica, feeding the probe; stopped with the cluster.
    pollers: JoinSet<()>,
    /// The gap between two polls of one replica.
    poll: Duration,
}

/// The gap between polls of each of `n` replicas: 1 ms per replica, within
/// [`MIN_POLL`] and [`MAX_POLL`], so the cluster answers at most about a
/// thousand polls a second.
pub(crate) fn poll_interval(n: usize) -> Duration {
    (Duration::from_millis(1) * u32::try_from(n).unwrap_or(u32::MAX)).clamp(MIN_POLL, MAX_POLL)
}

impl RemoteCluster {
    /// Checks that every replica answers, then starts polling them for
    /// `probe`.
    pub(crate) async fn attach(attach: Attach, probe: &Probe) -> Result<Self, BenchError> {
        if attach.replicas.is_empty() {
            return Err(BenchError::Attach("no replicas to measure".into()));
        }
        let replicas: Vec<Replica> = attach
            .replicas
            .into_iter()
            .map(|(name, url)| Replica {
                name,
                http: TrackerClient::new(url, None).with_timeout(POLL_TIMEOUT),
            })
            .collect();
        for r in &replicas {
            r.status().await.map_err(|e| match e {
                BenchError::Run(why) => BenchError::Attach(why),
                other => other,
            })?;
        }
        let poll = poll_interval(replicas.len());
        let mut pollers = JoinSet::new();
        for (i, r) in replicas.iter().enumerate() {
            let (name, http, probe) = (r.name.clone(), r.http.clone(), probe.clone());
            pollers.spawn(async move {
                let replica = Replica { name, http };
                let mut tick = tokio::time::interval(poll);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    // A failed poll is skipped: the next one catches up, and
                    // an update never seen counts as not converged.
                    if let Ok(s) = replica.status().await {
                        probe.observe(i, &s.value_ts, Instant::now());
                    }
                }
            });
        }
        Ok(Self {
            client: attach.client,
            replicas,
            pollers,
            poll,
        })
    }

    /// The gap between two polls of one replica: the resolution of the
    /// convergence figures.
    pub(crate) fn poll(&self) -> Duration {
        self.poll
    }

    async fn all_metrics(&self) -> Result<Vec<NodeMetrics>, BenchError> {
        let mut out = Vec::with_capacity(self.replicas.len());
        for r in &self.replicas {
            out.push(r.metrics().await?);
        }
        Ok(out)
    }
}

impl Target for RemoteCluster {
    fn client(&self) -> &Client {
        &self.client
    }

    fn replicas(&self) -> usize {
        self.replicas.len()
    }

    async fn states(&self) -> Result<Vec<ReplicaState>, BenchError> {
        let mut out = Vec::with_capacity(self.replicas.len());
        for r in &self.replicas {
            let s = r.status().await?;
            out.push(ReplicaState {
                log_len: s.log_len,
                settled: s.caught_up,
                stats: s.stats,
            });
        }
        Ok(out)
    }

    async fn wire(&self) -> Result<WireTotals, BenchError> {
        let mut t = WireTotals::default();
        for m in self.all_metrics().await? {
            t.frames += m.total.gossip_messages;
            t.bytes += m.total.gossip_bytes;
        }
        Ok(t)
    }

    fn wire_detail(&self) -> Option<WireStats> {
        None
    }

    async fn memory(&self) -> Memory {
        match self.all_metrics().await {
            Ok(all) => memory_of(&all),
            Err(_) => Memory::default(),
        }
    }

    async fn shutdown(mut self) {
        self.pollers.shutdown().await;
    }
}

/// The replicas' memory from their metrics: replicas in one process (as
/// `hearsay up` runs them) share its memory, counted once.
fn memory_of(all: &[NodeMetrics]) -> Memory {
    // pid -> (replicas in it, now, peak)
    let mut processes: BTreeMap<u32, (u64, u64, u64)> = BTreeMap::new();
    for m in all {
        let (Some(pid), Some(now), Some(peak)) = (m.pid, m.rss_bytes, m.peak_rss_bytes) else {
            return Memory::default();
        };
        let p = processes.entry(pid).or_insert((0, now, peak));
        p.0 += 1;
    }
    if processes.is_empty() {
        return Memory::default();
    }
    Memory {
        now: Some(processes.values().map(|p| p.1).sum()),
        peak: Some(processes.values().map(|p| p.2).sum()),
        peak_per_replica: processes.values().map(|p| p.2 / p.0).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(pid: u32, now: u64, peak: u64) -> NodeMetrics {
        NodeMetrics {
            pid: Some(pid),
            rss_bytes: Some(now),
            peak_rss_bytes: Some(peak),
            ..NodeMetrics::default()
        }
    }

    #[test]
    fn replicas_sharing_a_process_share_its_memory() {
        // r1 and r2 in one process, r3 alone.
        let all = [metrics(7, 60, 90), metrics(7, 60, 90), metrics(8, 20, 50)];
        assert_eq!(
            memory_of(&all),
            Memory {
                now: Some(80),
                peak: Some(140),
                peak_per_replica: Some(50),
            }
        );
        let unknown = NodeMetrics::default();
        assert_eq!(memory_of(&[metrics(7, 1, 1), unknown]), Memory::default());
    }

    #[test]
    fn polls_are_spaced_by_the_cluster_size() {
        assert_eq!(poll_interval(3), MIN_POLL);
        assert_eq!(poll_interval(30), Duration::from_millis(30));
        assert_eq!(poll_interval(500), MAX_POLL);
    }
}
