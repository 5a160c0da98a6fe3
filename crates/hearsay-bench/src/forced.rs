//! `hearsay bench --forced`: forced updates at 3 voters (issue #13).
//!
//! Starts three replicas that are the voters of the forced order and a
//! front end, all in this process on real QUIC over loopback (as [`crate::run`]
//! does), with [`LedgerApp`]: every update is a forced debit that the
//! primary decides against the balance. Then:
//!
//! 1. **Light load.** One session, one forced update at a time with a pause
//!    between: the forced path's own latency (client → front end → a
//!    replica → the primary → a majority → back).
//! 2. **Closed loop.** `clients` sessions each send the next forced update
//!    as soon as the last is acknowledged: the peak rate of committed forced
//!    updates (batching orders many per round) and their latency.
//! 3. **View change.** One session sends forced updates back to back; the
//!    primary's replica is stopped (its actor ends at once, like a crash:
//!    it answers nothing more, to peers or clients). Reported: the time from
//!    the stop to the first forced update acknowledged after it, and the
//!    new primary.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hearsay_client::{Client, SessionClient, SessionError};
use hearsay_core::{ClientId, ReplicaId};
use hearsay_frontend::FrontendNode;
use hearsay_replica::ReplicaNode;
use hearsay_transport::{NodeCredentials, certs};
use serde::Serialize;

use crate::error::BenchError;
use crate::ledger::{ACCOUNTS, LedgerApp, LedgerUpdate};
use crate::load::new_hist;
use crate::report::Percentiles;

/// The voters of the bench's forced order.
pub const FORCED_VOTERS: usize = 3;

/// Pause between the light load's requests: one in flight at a time, and
/// the machine otherwise idle.
const LIGHT_GAP: Duration = Duration::from_millis(2);

/// How long the view change may take before the run reports it failed.
const VIEW_CHANGE_LIMIT: Duration = Duration::from_secs(30);

/// What `hearsay bench --forced` is asked to do.
#[derive(Clone, Debug)]
pub struct ForcedBenchConfig {
    /// Sessions of the closed loop.
    pub clients: usize,
    /// How long each measured phase lasts.
    pub duration: Duration,
    /// Unmeasured load before each phase.
    pub warmup: Duration,
}

/// What `hearsay bench --forced` measured.
#[derive(Clone, Debug, Serialize)]
pub struct ForcedReport {
    /// Always "forced".
    pub mode: String,
    /// Voters of the forced order (every replica is one).
    pub voters: usize,
    /// Sessions of the closed loop.
    pub clients: usize,
    /// Light load: latency of forced updates one at a time, microseconds.
    pub light_latency_us: Percentiles,
    /// Closed loop: forced updates committed and acknowledged per second.
    pub forced_updates_per_s: f64,
    /// Closed loop: their latency, microseconds.
    pub peak_latency_us: Percentiles,
    /// Requests answered other than granted in the measured windows
    /// (refused, unavailable, busy, failed).
    pub errors: u64,
    /// Time from stopping the primary to the next acknowledged forced
    /// update, milliseconds.
    pub view_change_ms: f64,
    /// The primary stopped, and the one after it.
    pub old_primary: String,
    /// The primary after the view change.
    pub new_primary: String,
}

impl ForcedReport {
    /// The report as a table for people.
    pub fn table(&self) -> String {
        let p = |p: &Percentiles| {
            format!(
                "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} requests)",
                p.p50 as f64 / 1000.0,
                p.p90 as f64 / 1000.0,
                p.p99 as f64 / 1000.0,
                p.max as f64 / 1000.0,
                p.count
            )
        };
        format!(
            "forced updates at {} voters\n\
             light load (one at a time)   {}\n\
             closed loop ({} clients)     {:.0} forced updates/s\n\
             \x20                            {}\n\
             errors                       {}\n\
             view change                  {:.0} ms from stopping {} to the next acknowledged forced update (new primary {})\n",
            self.voters,
            p(&self.light_latency_us),
            self.clients,
            self.forced_updates_per_s,
            p(&self.peak_latency_us),
            self.errors,
            self.view_change_ms,
            self.old_primary,
            self.new_primary,
        )
    }
}

/// Three voter replicas and a front end on loopback.
struct ForcedCluster {
    nodes: Vec<Option<ReplicaNode<LedgerApp>>>,
    frontend: FrontendNode<LedgerApp>,
    client: Client,
    /// Holds the run's certificates; deleted on drop.
    _certs: tempfile::TempDir,
}

fn name(i: usize) -> ReplicaId {
    // "r" and a number is always a valid replica name.
    ReplicaId::new(format!("r{}", i + 1)).unwrap_or_else(|_| unreachable!())
}

impl ForcedCluster {
    async fn start() -> Result<Self, BenchError> {
        let start = |e: String| BenchError::Start(e);
        let dir = tempfile::tempdir().map_err(|e| start(format!("a directory: {e}")))?;
        let names: Vec<ReplicaId> = (0..FORCED_VOTERS).map(name).collect();
        let mut all: Vec<String> = names.iter().map(|r| r.to_string()).collect();
        all.extend(["fe".to_owned(), "client".to_owned()]);
        certs::init(dir.path(), &all, certs::Existing::Overwrite)
            .map_err(|e| start(format!("certificates: {e}")))?;
        let voters: Vec<String> = names.iter().map(|r| r.to_string()).collect();
        let mut nodes = Vec::with_capacity(FORCED_VOTERS);
        for r in &names {
            let node = ReplicaNode::builder(LedgerApp::default())
                .name(r.as_str())
                .certs_dir(dir.path())
                .voters(voters.clone())
                .spawn()
                .await
                .map_err(|e| start(format!("replica {r}: {e}")))?;
            nodes.push(node);
        }
        ReplicaNode::introduce(&nodes);
        let mut fe = FrontendNode::<LedgerApp>::builder()
            .name("fe")
            .certs_dir(dir.path());
        for n in &nodes {
            fe = fe.replica(n.name().as_str(), n.addr());
        }
        let frontend = fe
            .spawn()
            .await
            .map_err(|e| start(format!("front end: {e}")))?;
        let creds = NodeCredentials::load(dir.path(), "client")
            .map_err(|e| start(format!("client: {e}")))?;
        let client = Client::connect(&creds, frontend.addr(), "fe")
            .map_err(|e| start(format!("client: {e}")))?;
        Ok(Self {
            nodes: nodes.into_iter().map(Some).collect(),
            frontend,
            client,
            _certs: dir,
        })
    }

    /// The replica hosting the primary, once the voters agree on one.
    async fn primary(&self, limit: Duration) -> Result<usize, BenchError> {
        let until = Instant::now() + limit;
        loop {
            for (i, n) in self.nodes.iter().enumerate() {
                let Some(n) = n else { continue };
                let status = n.handle().inspect(|r, _| r.forced_status()).await;
                if status.flatten().is_some_and(|s| s.is_primary) {
                    return Ok(i);
                }
            }
            if Instant::now() > until {
                return Err(BenchError::Run(format!("no primary after {limit:?}")));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn shutdown(self) {
        for n in self.nodes.into_iter().flatten() {
            n.shutdown().await;
        }
        self.frontend.shutdown().await;
    }
}

/// One session's forced debits, spread over the accounts.
struct Debits {
    session: SessionClient<LedgerApp>,
    next: u32,
}

impl Debits {
    fn new(client: &Client, id: u64) -> Self {
        Self {
            session: SessionClient::new(client.clone(), ClientId(id)),
            next: (id as u32).wrapping_mul(7919) % ACCOUNTS,
        }
    }

    async fn one(&mut self) -> Result<(), SessionError> {
        self.next = (self.next + 1) % ACCOUNTS;
        let op = LedgerUpdate::Debit {
            account: self.next,
            amount: 1,
        };
        self.session.update(op).await.map(|_| ())
    }
}

/// Runs `hearsay bench --forced` on a local cluster of three voters.
pub async fn run_forced(config: &ForcedBenchConfig) -> Result<ForcedReport, BenchError> {
    if config.clients == 0 || config.duration.is_zero() {
        return Err(BenchError::Config(
            "--forced needs at least one client and a duration above zero".into(),
        ));
    }
    let cluster = ForcedCluster::start().await?;
    let result = measure(config, &cluster).await;
    cluster.shutdown().await;
    result
}

async fn measure(
    config: &ForcedBenchConfig,
    cluster: &ForcedCluster,
) -> Result<ForcedReport, BenchError> {
    cluster.primary(VIEW_CHANGE_LIMIT).await?;
    let ids = Arc::new(AtomicU64::new(1));
    let next_id = || ids.fetch_add(1, Ordering::Relaxed);

    // 1. Light load.
    let mut one = Debits::new(&cluster.client, next_id());
    let mut light = new_hist();
    let mut errors = 0;
    let warm_until = Instant::now() + config.warmup;
    while Instant::now() < warm_until {
        let _ = one.one().await;
        tokio::time::sleep(LIGHT_GAP).await;
    }
    let until = Instant::now() + config.duration;
    while Instant::now() < until {
        let sent = Instant::now();
        match one.one().await {
            Ok(()) => {
                let _ = light.record(sent.elapsed().as_micros() as u64);
            }
            Err(_) => errors += 1,
        }
        tokio::time::sleep(LIGHT_GAP).await;
    }

    // 2. Closed loop.
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let stop = measure_from + config.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..config.clients {
        let mut d = Debits::new(&cluster.client, next_id());
        tasks.spawn(async move {
            let mut hist = new_hist();
            let (mut acked, mut errors) = (0u64, 0u64);
            loop {
                let sent = Instant::now();
                if sent >= stop {
                    break;
                }
                let r = d.one().await;
                let done = Instant::now();
                if sent < measure_from || done > stop {
                    continue;
                }
                match r {
                    Ok(()) => {
                        acked += 1;
                        let _ = hist.record((done - sent).as_micros() as u64);
                    }
                    Err(_) => errors += 1,
                }
            }
            (hist, acked, errors)
        });
    }
    let mut peak = new_hist();
    let mut acked = 0;
    while let Some(r) = tasks.join_next().await {
        let (h, a, e) = r.map_err(|e| BenchError::Run(format!("a client task: {e}")))?;
        let _ = peak.add(&h);
        acked += a;
        errors += e;
    }
    let forced_updates_per_s = acked as f64 / config.duration.as_secs_f64();

    // 3. View change.
    let old = cluster.primary(VIEW_CHANGE_LIMIT).await?;
    let old_name = name(old).to_string();
    let Some(node) = cluster.nodes[old].as_ref() else {
        return Err(BenchError::Run("the primary's node is gone".into()));
    };
    let mut d = Debits::new(&cluster.client, next_id());
    d.one()
        .await
        .map_err(|e| BenchError::Run(format!("a forced update before the view change: {e}")))?;
    let stopped = Instant::now();
    // Ends the replica's actor: from now on it answers no peer and no
    // client, as if its process had died.
    node.handle().clone().shutdown().await;
    let view_change = loop {
        match d.one().await {
            Ok(()) => break stopped.elapsed(),
            Err(e) if stopped.elapsed() > VIEW_CHANGE_LIMIT => {
                return Err(BenchError::Run(format!(
                    "no forced update acknowledged {VIEW_CHANGE_LIMIT:?} after stopping the primary: {e}"
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    };
    let new = cluster.primary(VIEW_CHANGE_LIMIT).await?;
    Ok(ForcedReport {
        mode: "forced".into(),
        voters: FORCED_VOTERS,
        clients: config.clients,
        light_latency_us: Percentiles::of(&light),
        forced_updates_per_s,
        peak_latency_us: Percentiles::of(&peak),
        errors,
        view_change_ms: view_change.as_secs_f64() * 1000.0,
        old_primary: old_name,
        new_primary: name(new).to_string(),
    })
}
