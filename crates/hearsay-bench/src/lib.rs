//! The engine of `hearsay bench`: a local cluster in one process (or a
//! running one, attached to), load through its front end, and what it
//! measured.
//!
//! [`run`] starts `N` replicas and a front end on real QUIC over loopback
//! (ports picked by the system, certificates made for the run and deleted
//! after), all in this process through the `hearsay-replica`,
//! `hearsay-frontend` and `hearsay-client` libraries, then:
//!
//! 0. **Light load.** [`LIGHT_RATE`] requests per second, alternately
//!    updates and queries, on the still quiet cluster: the request path's
//!    own latency. In a local run, the floor runs in the same phase: a bare
//!    QUIC request/response over the same two hops with no hearsay logic
//!    (see `floor`), alternating with hearsay in two rounds of half the
//!    window each, so both see the same machine. The report gives both and
//!    their ratio. Attached runs measure no floor: the cluster's processes
//!    are not the bench's, so no relay here would share their runtime.
//! 1. **Closed loop.** `K` clients each send an update as soon as the last
//!    is acknowledged: the peak rate of updates accepted, update latency
//!    and convergence at that load.
//!    Then the logs drain, so the next phase starts from a quiet cluster.
//! 2. **Open loop.** Requests at a fixed offered rate (`--rate`, by default
//!    half the peak), alternately updates and queries, each timed from when
//!    it was due: front-end latency of both, and convergence.
//! 3. **Drain.** No load; waits until every replica's log is empty.
//!
//! Each phase has a warm-up that is not measured; latencies go into HDR
//! histograms. Convergence is the time from an update's acknowledgement to
//! the moment the last replica applied it, seen through each replica's
//! applied hook; the replication lag, from the first replica's application
//! (the origin's, as it accepts) to the last one's, is reported beside it.
//! Traffic comes from the replicas' own counters: the core's
//! per-kind message and byte counts ([`hearsay_core::ReplicaStats`]) and
//! what the gossip senders put on the wire ([`hearsay_replica::WireStats`]).
//! Memory is the process's resident set (Linux `/proc/self/status`): one
//! process holds every replica, the front end and the load, so the figure
//! per replica is the process's growth over the replica count, an upper
//! bound.
//!
//! The replicated app is [`PayloadApp`]: last-writer-wins registers of
//! opaque payloads over a bounded key space, so the state stays flat.
//!
//! [`attach`] runs the same phases against a running cluster: the load goes
//! through its front end as movie ratings (the cluster runs
//! [`hearsay_demo::cluster::ClusterApp`]) by bench users from
//! [`BENCH_USER`]; convergence, logs and counters come from polling every
//! replica's `/v1/status`, traffic and memory from their `/v1/metrics`, and
//! every counter is taken as its growth over the run.

mod app;
mod cluster;
mod config;
mod error;
mod floor;
mod forced;
mod ledger;
mod load;
mod pace;
mod probe;
mod remote;
mod report;
mod target;
mod workload;

use std::time::{Duration, Instant};

pub use app::{Get, KEYS, MAX_PAYLOAD, PayloadApp, Put};
pub use config::{BenchConfig, MAX_CLIENTS, MAX_REPLICAS};
pub use error::BenchError;
pub use forced::{FORCED_VOTERS, ForcedBenchConfig, ForcedReport, run_forced};
pub use ledger::{ACCOUNTS, Balance, LedgerApp, LedgerUpdate};
pub use remote::Attach;
pub use report::{BenchReport, Convergence, Latency, Percentiles, Ratio, Traffic};
pub use workload::BENCH_USER;

use crate::cluster::LocalCluster;
use crate::floor::BareQuic;
use crate::load::{Load, Timed, closed_loop, new_hist, open_loop};
use crate::probe::Probe;
use crate::remote::RemoteCluster;
use crate::target::{ReplicaState, Target, stats_since, sum_stats};
use crate::workload::{MovieWorkload, PayloadWorkload, Workload};

/// How often the drain checks the logs.
const DRAIN_POLL: Duration = Duration::from_millis(20);

/// How long a phase's last updates get to reach every replica before the
/// phase's convergence is read (those still on their way count as not
/// converged).
const SETTLE: Duration = Duration::from_secs(2);

/// Offered rate of the light-load phase, requests per second: a few
/// requests in flight at most, so no queue forms anywhere.
pub const LIGHT_RATE: f64 = 200.0;

/// Why an attached run has no bare QUIC floor.
const NO_FLOOR_ATTACHED: &str = "attached: the cluster runs in other processes, \
     so a floor measured in this one would not share their runtime";

/// Waits until every followed update has converged, at most [`SETTLE`].
async fn settle(probe: &Probe) {
    let until = Instant::now() + SETTLE;
    while probe.pending() > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs the bench described by `config` on a local cluster it starts, on
/// the current tokio runtime (a multi-threaded one, as the servers use),
/// and reports what it measured.
pub async fn run(config: &BenchConfig) -> Result<BenchReport, BenchError> {
    config.validate()?;
    let probe = Probe::new(config.replicas);
    let cluster = LocalCluster::start(config.replicas, probe.hook(), config.durable).await?;
    tracing::debug!(frontend = %cluster.frontend(), "bench cluster up");
    let request_bytes = floor::request_bytes(config.payload_bytes, config.replicas);
    let bare = match BareQuic::start(cluster.certs_dir(), request_bytes).await {
        Ok(bare) => bare,
        Err(e) => {
            cluster.shutdown().await;
            return Err(e);
        }
    };
    let workload = PayloadWorkload {
        payload_bytes: config.payload_bytes,
    };
    // A new cluster has seen no sessions: number them from 1.
    let mut report = measure(config, cluster, workload, probe, 1, Some(bare)).await?;
    report.payload_bytes = Some(config.payload_bytes);
    report.durable = Some(config.durable);
    Ok(report)
}

/// Runs the bench against the running cluster `attach` describes
/// (`config.replicas` and `config.payload_bytes` do not apply: the cluster
/// has the replicas it has, and its updates are ratings).
pub async fn attach(config: &BenchConfig, attach: Attach) -> Result<BenchReport, BenchError> {
    config.validate()?;
    let probe = Probe::polled(attach.replicas.len());
    let cluster = RemoteCluster::attach(attach, &probe).await?;
    let poll = cluster.poll();
    // A running cluster remembers the update ids of recent sessions (for at
    // least its dedup retention): sessions numbered as an earlier run's
    // would have their updates taken as retries and not applied. Number
    // them from a random point instead (2^63 of them: no run reaches the
    // end).
    let first_client = {
        use rand::{Rng as _, SeedableRng as _};
        rand::rngs::StdRng::from_os_rng().random::<u64>() >> 1
    };
    let mut report = measure(
        config,
        cluster,
        MovieWorkload::new(),
        probe,
        first_client,
        None,
    )
    .await?;
    report.bare_quic_skipped = Some(NO_FLOOR_ATTACHED.to_owned());
    report.mode = "attached".into();
    report.convergence_poll_ms = Some(poll.as_secs_f64() * 1000.0);
    // The bench process only sends load: its CPU is not the cluster's.
    report.cpu_us_per_update_at_peak = None;
    report.cores_used_at_peak = None;
    Ok(report)
}

/// The phases against `cluster`, with `workload`'s requests; the light
/// load alternates with `bare`, if given.
async fn measure<T: Target, W: Workload>(
    config: &BenchConfig,
    cluster: T,
    workload: W,
    probe: Probe,
    first_client: u64,
    bare: Option<BareQuic>,
) -> Result<BenchReport, BenchError> {
    let replicas = cluster.replicas();
    let load = Load::new(
        cluster.client().clone(),
        probe.clone(),
        workload,
        first_client,
    );
    let stats_before = sum_stats(cluster.states().await?.iter().map(|s| &s.stats));
    let wire_before = cluster.wire().await?;

    // 0. Light load, hearsay and the bare floor alternately.
    let light = light_load(config, &load, bare).await;

    // 1. Closed loop: the peak.
    let peak_phase = closed_loop(&load, config.clients, config.warmup, config.duration);
    let (peak, rss_after_warmup) = tokio::join!(peak_phase, async {
        tokio::time::sleep(config.warmup).await;
        cluster.memory().await.now
    });
    settle(&probe).await;
    let peak_convergence = probe.take();
    let updates_per_s = peak.acked as f64 / peak.window.as_secs_f64();

    // Start the open loop from a quiet cluster, not from the closed loop's
    // backlog (at 30 replicas on two cores it takes seconds to clear).
    drain(&cluster, config.drain_timeout).await?;

    // 2. Open loop at the given rate, or half the peak.
    let (rate, rate_source) = match config.rate {
        Some(r) => (r, "given"),
        // Half of the update rate, offered as updates and queries alike.
        None => ((updates_per_s / 2.0).max(1.0), "half of peak"),
    };
    let open = open_loop(
        &load,
        rate,
        config.warmup,
        config.duration,
        config.max_outstanding,
        Timed::FromDue,
        true,
    )
    .await;
    settle(&probe).await;
    let open_convergence = probe.take();

    // 3. Drain: every log empty, nothing held out of order.
    let drain_start = Instant::now();
    let states = drain(&cluster, config.drain_timeout).await?;
    let drain_ms = u64::try_from(drain_start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let memory = cluster.memory().await;
    let wire_after = cluster.wire().await?;
    let wire = cluster.wire_detail();
    let stats = stats_since(&sum_stats(states.iter().map(|s| &s.stats)), &stats_before);
    let log_len_end = states.iter().map(|s| s.log_len).sum();
    cluster.shutdown().await;

    let n = replicas as f64;
    let updates = stats.updates_accepted.max(1) as f64;
    let per = |x: u64| x as f64 / updates / n;
    Ok(BenchReport {
        mode: "local".into(),
        durable: None,
        replicas,
        clients: config.clients,
        duration_s: config.duration.as_secs_f64(),
        warmup_s: config.warmup.as_secs_f64(),
        payload_bytes: None,
        rate,
        rate_source: rate_source.to_owned(),
        updates_per_s,
        latency_us: Latency {
            query: Percentiles::of(&open.queries),
            update: Percentiles::of(&open.updates),
        },
        latency_us_at_peak: Percentiles::of(&peak.updates),
        light_load_rate: LIGHT_RATE,
        latency_ratio_to_bare_quic: light.bare.as_ref().and_then(|b| Ratio::of(&light.mix, b)),
        latency_us_light_load: light.latency,
        bare_quic_latency_us: light.bare,
        bare_quic_request_bytes: light.request_bytes,
        bare_quic_skipped: None,
        light_load_errors: light.errors,
        convergence_ms: Convergence::of(&open_convergence.hist),
        convergence_ms_at_peak: Convergence::of(&peak_convergence.hist),
        replication_lag_ms: Convergence::of(&open_convergence.lag),
        replication_lag_ms_at_peak: Convergence::of(&peak_convergence.lag),
        convergence_poll_ms: None,
        encoded_update_bytes: load.mean_record_bytes(),
        bytes_per_update_per_replica: per(wire_after.bytes.saturating_sub(wire_before.bytes)),
        messages_per_update_per_replica: per(wire_after.frames.saturating_sub(wire_before.frames)),
        gossip: Traffic {
            bytes_per_update_per_replica: per(stats.push_bytes),
            messages_per_update_per_replica: per(stats.push_sent),
        },
        anti_entropy: Traffic {
            bytes_per_update_per_replica: per(stats.digest_bytes
                + stats.repair_bytes
                + stats.snapshot_bytes),
            messages_per_update_per_replica: per(stats.digests_sent
                + stats.repair_sent
                + stats.snapshots_sent),
        },
        wire,
        updates_total: stats.updates_accepted,
        retried_updates: stats.duplicate_requests,
        errors: peak.errors + open.errors,
        shed: open.shed,
        not_converged: peak_convergence.pending
            + open_convergence.pending
            + peak_convergence.untracked
            + open_convergence.untracked,
        records_reordered: stats.records_reordered,
        reorder_dropped: stats.reorder_dropped,
        log_len_end,
        drain_ms,
        peak_rss_bytes_per_replica: memory.peak_per_replica,
        peak_rss_bytes: memory.peak,
        rss_after_warmup_bytes: rss_after_warmup,
        rss_end_bytes: memory.now,
        cpu_us_per_update_at_peak: Some(peak.cpu_s * 1e6 / peak.acked.max(1) as f64),
        cores_used_at_peak: Some(peak.cpu_s / peak.window.as_secs_f64()),
    })
}

/// What the light-load phase measured.
struct Light {
    /// hearsay's latency by kind.
    latency: Latency,
    /// hearsay's latency, updates and queries together.
    mix: Percentiles,
    /// The floor's latency, if it ran.
    bare: Option<Percentiles>,
    /// Bytes of each bare request, if it ran.
    request_bytes: Option<usize>,
    /// Requests failed or shed, both paths.
    errors: u64,
}

/// [`LIGHT_RATE`] through `load` and, alternately, through `bare`: each
/// path warms up for `config.warmup`, then both are measured in two rounds
/// of half of `config.duration` each (hearsay, bare, hearsay, bare), so a
/// change in the machine's other load weighs on both alike. Both are timed
/// from when each request was sent: at this rate no backlog forms, and the
/// dispatcher's timer lateness (up to 1 ms) would otherwise be most of
/// both figures and pull their ratio towards 1. Stops `bare`.
async fn light_load<W: Workload>(
    config: &BenchConfig,
    load: &Load<W>,
    bare: Option<BareQuic>,
) -> Light {
    let bare = bare.map(std::sync::Arc::new);
    let half = config.duration / 2;
    let (mut updates, mut queries, mut floor) = (new_hist(), new_hist(), new_hist());
    let mut errors = 0;
    for round in 0..2 {
        let warmup = if round == 0 {
            config.warmup
        } else {
            Duration::ZERO
        };
        // Light-load updates are not followed: convergence is the other
        // phases' figure.
        let m = open_loop(
            load,
            LIGHT_RATE,
            warmup,
            half,
            config.max_outstanding,
            Timed::FromSend,
            false,
        )
        .await;
        let _ = updates.add(&m.updates);
        let _ = queries.add(&m.queries);
        errors += m.errors + m.shed;
        if let Some(bare) = &bare {
            let m = bare
                .open_loop(
                    LIGHT_RATE,
                    warmup,
                    half,
                    config.max_outstanding,
                    Timed::FromSend,
                )
                .await;
            let _ = floor.add(&m.hist);
            errors += m.errors + m.shed;
        }
    }
    let mut mix = updates.clone();
    let _ = mix.add(&queries);
    let request_bytes = bare.as_ref().map(|b| b.request_len());
    if let Some(bare) = bare {
        // Every request task has ended: this is the only handle left.
        if let Some(bare) = std::sync::Arc::into_inner(bare) {
            bare.shutdown().await;
        }
    }
    Light {
        latency: Latency {
            query: Percentiles::of(&queries),
            update: Percentiles::of(&updates),
        },
        mix: Percentiles::of(&mix),
        bare: request_bytes.map(|_| Percentiles::of(&floor)),
        request_bytes,
        errors,
    }
}

/// Waits, at most `timeout`, until every log is empty and every replica has
/// settled; returns the replicas' state then.
async fn drain<T: Target>(cluster: &T, timeout: Duration) -> Result<Vec<ReplicaState>, BenchError> {
    let start = Instant::now();
    let mut states = cluster.states().await?;
    while start.elapsed() < timeout {
        if states.iter().all(|s| s.log_len == 0 && s.settled) {
            break;
        }
        tokio::time::sleep(DRAIN_POLL).await;
        states = cluster.states().await?;
    }
    Ok(states)
}
