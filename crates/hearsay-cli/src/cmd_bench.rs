//! `hearsay bench`: measure a local cluster, or attach to a running one
//! (see `hearsay_bench`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::builder::TypedValueParser as _;
use hearsay_bench::{Attach, BenchConfig, MAX_CLIENTS, MAX_PAYLOAD, MAX_REPLICAS};
use hearsay_discovery::{TrackerClient, TrackerUrl};
use hearsay_wire::tracker::PeerQuery;

use crate::duration_flag::DurationFlag;
use hearsay_demo::bench_attach::{pick_frontend, replica_urls};
use hearsay_demo::node;

/// The tracker attached runs ask when only `--frontend` is given.
const DEFAULT_TRACKER: &str = "http://127.0.0.1:7400";

/// Flags of `hearsay bench`.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub(crate) struct Args {
    /// Measure a running cluster through this front end (its name in the
    /// tracker's peer list, or its QUIC address) instead of starting one;
    /// the load is movie ratings by bench users.
    #[arg(long, value_name = "NAME|ADDR")]
    frontend: Option<String>,
    /// Measure a running cluster: the tracker that lists its replicas and
    /// front ends (default with --frontend: http://127.0.0.1:7400).
    #[arg(long, value_name = "URL")]
    tracker: Option<String>,
    /// Attached runs: the cluster's certificates (the bench connects as
    /// `client`).
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// Replicas in the local cluster (full mesh); not with --frontend or
    /// --tracker, where the cluster has the replicas it has.
    #[arg(long, default_value_t = BenchConfig::default().replicas,
          conflicts_with_all = ["frontend", "tracker"],
          value_parser = clap::value_parser!(u16).range(1..=MAX_REPLICAS as i64).map(usize::from))]
    replicas: usize,
    /// Concurrent clients of the closed loop.
    #[arg(long, default_value_t = BenchConfig::default().clients,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CLIENTS as i64).map(usize::from))]
    clients: usize,
    /// How long each measured phase lasts (light load, closed loop, open
    /// loop; locally the light load measures hearsay and the bare QUIC
    /// floor this long each, alternating):
    /// `10s`, `500ms`, `1m`, or a plain number of seconds; at most 1h.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = DURATION.parser())]
    duration: Duration,
    /// Unmeasured load before each phase: `2s`, `500ms`, or a plain number
    /// of seconds; 0 to 10m.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = WARMUP.parser())]
    warmup: Duration,
    /// Offered rate of the open loop, requests per second (half updates,
    /// half queries); default: half the closed loop's update rate.
    #[arg(long, value_parser = rate)]
    rate: Option<f64>,
    /// Payload bytes in each update; not with --frontend or --tracker, where
    /// the updates are movie ratings.
    #[arg(long, default_value_t = BenchConfig::default().payload_bytes,
          conflicts_with_all = ["frontend", "tracker"],
          value_parser = clap::value_parser!(u32).range(0..=MAX_PAYLOAD as i64).map(|n| n as usize))]
    payload_bytes: usize,
    /// Local runs: every replica writes its state to disk (redb, under
    /// $TMPDIR) before it acknowledges, as `hearsay up` and `hearsay
    /// replica` do; by default the local replicas keep it in memory.
    #[arg(long, conflicts_with_all = ["frontend", "tracker"])]
    durable: bool,
    /// Measure forced updates instead (issue #13): a local cluster of 3
    /// voters, forced-update latency one at a time, throughput with
    /// --clients sessions, and the view change (from stopping the primary
    /// to the next acknowledged forced update).
    #[arg(long, conflicts_with_all = ["frontend", "tracker", "rate", "durable"])]
    forced: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// `--duration`: above zero, at most an hour.
const DURATION: DurationFlag =
    DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(3600));
/// `--warmup`: none at all, up to ten minutes.
const WARMUP: DurationFlag = DurationFlag::seconds(Duration::ZERO, Duration::from_secs(600));

fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 10_000_000.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a rate above 0 and at most 10000000 per second"
        )),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = BenchConfig {
        replicas: args.replicas,
        clients: args.clients,
        duration: args.duration,
        warmup: args.warmup,
        rate: args.rate,
        payload_bytes: args.payload_bytes,
        durable: args.durable,
        ..BenchConfig::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if args.forced {
        return run_forced(&args, &runtime);
    }
    let attached = args.frontend.is_some() || args.tracker.is_some();
    // Light load (locally twice: hearsay and the bare QUIC floor), closed
    // loop, open loop; each warmed up.
    let phases = if attached { 3.0 } else { 4.0 };
    let about = phases * (config.warmup + config.duration).as_secs_f64() + 1.0;
    let report = if attached {
        let tracker = args.tracker.as_deref().unwrap_or(DEFAULT_TRACKER);
        runtime.block_on(async {
            let attach = find_cluster(tracker, args.frontend.as_deref(), &args.certs).await?;
            if !args.json {
                eprintln!(
                    "hearsay bench: attached to {} replicas through the tracker at {tracker}; about {about:.0} s",
                    attach.replicas.len()
                );
            }
            anyhow::Ok(hearsay_bench::attach(&config, attach).await?)
        })?
    } else {
        if !args.json {
            eprintln!(
                "hearsay bench: starting {} replicas and a front end on loopback; about {about:.0} s",
                config.replicas
            );
        }
        runtime.block_on(hearsay_bench::run(&config))?
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("writing the report as JSON")?
        );
    } else {
        print!("{}", report.table());
    }
    Ok(ExitCode::SUCCESS)
}

/// `hearsay bench --forced`.
fn run_forced(args: &Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let config = hearsay_bench::ForcedBenchConfig {
        clients: args.clients,
        duration: args.duration,
        warmup: args.warmup,
    };
    if !args.json {
        let about = 2.0 * (config.warmup + config.duration).as_secs_f64() + 2.0;
        eprintln!(
            "hearsay bench --forced: starting {} voter replicas and a front end on loopback; about {about:.0} s",
            hearsay_bench::FORCED_VOTERS
        );
    }
    let report = runtime.block_on(hearsay_bench::run_forced(&config))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("writing the report as JSON")?
        );
    } else {
        print!("{}", report.table());
    }
    Ok(ExitCode::SUCCESS)
}

/// The running cluster the tracker at `tracker` lists: its replicas' HTTP
/// addresses and a client of the front end `frontend` picks (by name or
/// address; the first by name if `None`).
async fn find_cluster(
    tracker: &str,
    frontend: Option<&str>,
    certs: &Path,
) -> anyhow::Result<Attach> {
    let url =
        TrackerUrl::parse(tracker).map_err(|e| anyhow::anyhow!("--tracker {tracker}: {e}"))?;
    let peers = TrackerClient::new(url, None)
        .peers(&PeerQuery::default())
        .await
        .with_context(|| {
            format!("asking the tracker at {tracker} for the cluster (start one with `hearsay up`)")
        })?;
    let (fe_name, fe_addr) = pick_frontend(&peers, frontend)?;
    let replicas = replica_urls(&peers)?;
    if !certs.join(hearsay_transport::certs::CA_CERT_FILE).exists() {
        anyhow::bail!(
            "no cluster certificates in {}: pass the cluster's --certs directory",
            certs.display()
        );
    }
    node::ensure_certs(certs, &[("client", hearsay_transport::Role::Client)])?;
    let connector = node::client_connector(
        certs,
        ("client", hearsay_transport::Role::Client),
        fe_addr.is_ipv6(),
    )?;
    Ok(Attach {
        client: hearsay_client::Client::new(connector, fe_addr, fe_name),
        replicas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, clap::Error> {
        crate::parse_flags::parse("bench", line)
    }

    #[test]
    fn durations_take_units_or_plain_seconds_and_default_to_the_library() {
        let args = parse("--duration 20s --warmup 500ms").unwrap();
        assert_eq!(args.duration, Duration::from_secs(20));
        assert_eq!(args.warmup, Duration::from_millis(500));
        let args = parse("--duration 20 --warmup 0.5").unwrap();
        assert_eq!(args.duration, Duration::from_secs(20));
        assert_eq!(args.warmup, Duration::from_millis(500));
        let args = parse("").unwrap();
        assert_eq!(args.duration, BenchConfig::default().duration);
        assert_eq!(args.warmup, BenchConfig::default().warmup);
        assert_eq!(parse("--warmup 0").unwrap().warmup, Duration::ZERO);
        for bad in [
            "--duration 0",
            "--duration 2h",
            "--duration 20x",
            "--warmup 11m",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            let flag = bad.split(' ').next().unwrap();
            assert!(err.contains(flag), "{bad}: {err}");
        }
    }
}
