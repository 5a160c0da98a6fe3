//! `hearsay simulate`: traffic like the claims network's original simulators
//! against a running cluster (or one it starts with `--up`), then a summary
//! of what every peer did, from the peers' own `/v1/metrics`.

mod figures;
mod latency;
mod progress;
mod traffic;
mod up;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use hearsay_apps::movies::Movies;
use hearsay_discovery::{TrackerClient, TrackerError, TrackerUrl};
use hearsay_wire::node::NodeMetrics;
use hearsay_wire::tracker::{Peer, PeerQuery, PeerRole};

use crate::node;

use figures::Summary;
use progress::Progress;
use traffic::Traffic;

/// What one `hearsay simulate` run does: the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// The cluster's tracker URL (ignored with `up`).
    pub tracker: String,
    /// Start a cluster for the run (a child `hearsay up --no-repl` on free
    /// ports, in a temporary directory) and stop it afterwards. The child is
    /// the running executable, so only the `hearsay` binary may set this.
    pub up: bool,
    /// Replicas of the cluster `up` starts.
    pub replicas: u16,
    /// How long to offer traffic.
    pub duration: Duration,
    /// Operations offered per second (payload writes, peer-list polls,
    /// movie reads and writes), spread evenly.
    pub rate: f64,
    /// Seed of the traffic's choices.
    pub seed: u64,
    /// Now and then send a replica offline or overloaded for a moment,
    /// through the tracker's admin API.
    pub chaos: bool,
    /// Print the summary as one JSON object instead of a table.
    pub json: bool,
    /// Directory of the cluster's certificates and admin token.
    pub certs: PathBuf,
}

/// Runs `hearsay simulate`.
pub fn run(args: Options) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let mut cluster = None;
        let tracker_url = if args.up {
            let c = up::start(&args.certs, args.replicas).await?;
            let url = c.tracker_url.clone();
            cluster = Some(c);
            url
        } else {
            args.tracker.clone()
        };
        let result = simulate(&args, &tracker_url).await;
        if let Some(c) = cluster {
            c.stop().await;
        }
        let summary = result?;
        if args.json {
            println!("{}", serde_json::to_string(&summary)?);
        } else {
            print!("{}", summary.table());
        }
        if summary.wrong_answers > 0 {
            eprintln!(
                "simulate: {} claims got a wrong answer: lag or a bug made a replica misjudge a claim",
                summary.wrong_answers
            );
            return Ok(ExitCode::FAILURE);
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn simulate(args: &Options, tracker_url: &str) -> anyhow::Result<Summary> {
    let url = TrackerUrl::parse(tracker_url)
        .map_err(|e| anyhow::anyhow!("--tracker {tracker_url}: {e}"))?;
    let token = hearsay_transport::certs::load_admin_token(&args.certs).with_context(|| {
        format!(
            "loading the admin token from {} (run `hearsay certs init`, or pass the cluster's --certs)",
            args.certs.display()
        )
    })?;
    let tracker = TrackerClient::new(url, Some(token));
    let peers = wait_for_cluster(&tracker).await?;

    node::ensure_certs(&args.certs, &[("client", hearsay_transport::Role::Client)])?;
    let connector = node::client_connector(
        &args.certs,
        ("client", hearsay_transport::Role::Client),
        false,
    )?;

    let before = metrics_of(&peers).await;
    let movies: Vec<_> = Movies::sample()
        .catalog()
        .iter()
        .map(|m| (m.id, m.title.clone()))
        .collect();
    let traffic = Traffic {
        tracker: tracker.clone(),
        frontends: traffic::frontends(&peers, &connector),
        replicas: peers
            .iter()
            .filter(|p| p.role == PeerRole::Replica)
            .map(|p| p.name.clone())
            .collect(),
        movies,
        rate: args.rate,
        chaos: args.chaos,
        seed: args.seed,
    };
    let started = Instant::now();
    let mut progress = Progress::new(args.duration);
    let stats = traffic
        .run(started + args.duration, |s| {
            progress.show(
                started.elapsed(),
                &format!(
                    "{} ops, {} payloads, {} busy, {} failed",
                    s.reads + s.writes,
                    s.payloads_written,
                    s.busy,
                    s.errors
                ),
            );
        })
        .await;
    // Claims in flight when the traffic stopped may still wait for their
    // answers (a held claim waits at most 2 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    progress.show(args.duration, "done");
    progress.finish();
    let elapsed = started.elapsed();

    // Peers that joined during the run count from zero.
    let peers_now = tracker
        .peers(&PeerQuery::default())
        .await
        .unwrap_or_else(|_| peers.clone());
    let after = metrics_of(&peers_now).await;
    let mut summary = Summary {
        duration_s: args.duration.as_secs_f64(),
        rate: args.rate,
        seed: args.seed,
        chaos: args.chaos,
        client_reads: stats.reads,
        client_writes: stats.writes,
        client_ops: stats.reads + stats.writes,
        client_busy: stats.busy,
        client_errors: stats.errors,
        client_latency_ms: stats.latency.percentiles(),
        payloads_written: stats.payloads_written,
        peer_list_polls: stats.polls,
        status_changes: stats.status_changes,
        tracker_calls: stats.tracker_calls,
        tracker_failures: stats.tracker_failures,
        ..Summary::default()
    };
    let rows = after
        .iter()
        .map(|(name, m)| {
            let (mut row, pairs) = figures::row(before.get(name), m);
            if let Some(l) = stats.per_frontend.get(name) {
                row.client_ops = l.count();
                row.latency_ms = Some(l.percentiles());
            }
            (row, pairs)
        })
        .collect();
    summary.add_rows(rows);
    for e in &stats.error_samples {
        eprintln!("simulate: error seen: {e}");
    }
    let silent = summary.silent_pairs();
    if !silent.is_empty() && elapsed > Duration::from_secs(10) {
        eprintln!(
            "simulate: no claims went between {}",
            silent
                .iter()
                .map(|(a, b)| format!("{a}→{b}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(summary)
}

/// The peer list, once it has replicas and a front end (at most 10 s).
async fn wait_for_cluster(tracker: &TrackerClient) -> anyhow::Result<Vec<Peer>> {
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        let last = match tracker.peers(&PeerQuery::default()).await {
            Ok(peers) => {
                let replicas = peers.iter().filter(|p| p.role == PeerRole::Replica).count();
                let frontends = peers.len() - replicas;
                if replicas >= 2 && frontends >= 1 {
                    return Ok(peers);
                }
                format!(
                    "the tracker lists {replicas} replicas and {frontends} front ends; a run needs 2 and 1"
                )
            }
            Err(e) => format!("cannot reach the tracker at {}: {e}", tracker.url()),
        };
        if Instant::now() >= give_up {
            anyhow::bail!("{last} (start a cluster with `hearsay up`, or pass --up)");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every peer's `/v1/metrics`, by name; peers that do not answer are left out.
async fn metrics_of(peers: &[Peer]) -> BTreeMap<String, NodeMetrics> {
    let mut out = BTreeMap::new();
    for p in peers {
        let Some(http) = &p.http_addr else { continue };
        let Ok(url) = TrackerUrl::parse(&format!("http://{http}")) else {
            continue;
        };
        let node = TrackerClient::new(url, None);
        match node.get_json::<NodeMetrics>("/v1/metrics").await {
            Ok(m) => {
                out.insert(p.name.clone(), m);
            }
            Err(TrackerError::Api { status, error }) => eprintln!(
                "simulate: no metrics from {} at {http}: it answered {status}: {error}",
                p.name
            ),
            Err(e) => eprintln!("simulate: no metrics from {} at {http}: {e}", p.name),
        }
    }
    out
}
