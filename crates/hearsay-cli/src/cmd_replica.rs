//! `hearsay replica`: one replica manager of the movies service.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_discovery::TrackerUrl;
use hearsay_wire::tracker::{PeerRole, RegisterPeer};

use hearsay_demo::discover;
use hearsay_demo::node::{self, ReplicaSpec, Shutdown};

/// Flags of `hearsay replica`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// This replica's name (its certificate's name too).
    #[arg(long, default_value = "r1", value_parser = |s: &str| ReplicaId::new(s).map_err(|e| e.to_string()))]
    name: ReplicaId,
    /// Where to listen for QUIC (UDP).
    #[arg(long, default_value = "127.0.0.1:7501")]
    listen: SocketAddr,
    /// A peer to gossip with, NAME=HOST:PORT (repeatable).
    #[arg(long = "peer", value_parser = node::parse_named_addr)]
    peers: Vec<(ReplicaId, SocketAddr)>,
    /// Chance (0 to 1) of refusing a client request as overloaded (demos use 0.2).
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    overload_probability: f64,
    /// Client requests in flight before answering "overloaded".
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
    /// MovieLens-format movies.csv (and ratings.csv) to load instead of the sample.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory of the cluster's certificates (made on first run if missing).
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// Where the replica keeps its state (default .hearsay/data/NAME); an
    /// acknowledged update survives a crash once written here.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print what the data directory holds and exit, without starting.
    #[arg(long)]
    inspect: bool,
    /// Where to serve /metrics (Prometheus), /v1/status, /v1/metrics and
    /// /v1/activity (JSON) over HTTP, such as 127.0.0.1:7601; not served
    /// when absent.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// The tracker to register with and learn gossip peers from, such as
    /// http://127.0.0.1:7400 (peers given by --peer are kept regardless).
    #[arg(long, value_parser = discover::parse_tracker_url)]
    tracker: Option<TrackerUrl>,
    /// Test-only fault switch: while this file exists the replica drops all
    /// gossip in and out (it still serves clients).
    #[arg(long, hide = true)]
    isolate_file: Option<PathBuf>,
    #[command(flatten)]
    claims: crate::claim_args::ClaimArgs,
}

/// The data directory of replica `name` when none is given.
pub(crate) fn default_data_dir(name: &ReplicaId) -> PathBuf {
    PathBuf::from(".hearsay").join("data").join(name.as_str())
}

fn inspect(name: &ReplicaId, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !dir.join(hearsay_replica::store::DB_FILE).exists() {
        anyhow::bail!("{} holds no replica state", dir.display());
    }
    let store = hearsay_replica::store::Store::open(dir, name)?;
    let i = store.inspect::<hearsay_apps::cluster::ClusterApp>()?;
    println!("data directory   {}", dir.display());
    println!("replica          {}", i.replica);
    println!("format           {}", hearsay_replica::store::FORMAT);
    println!(
        "snapshot covers  {} ({} update ids remembered)",
        i.snapshot_ts, i.snapshot_executed
    );
    println!("records since    {}", i.records);
    println!("stored in all    {}", i.stored_ts);
    Ok(ExitCode::SUCCESS)
}

/// Checks a probability flag.
pub(crate) fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!(
            "{p} is not a probability: use a number from 0 to 1"
        ))
    }
}

/// Runs `hearsay replica` until ctrl-c.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| default_data_dir(&args.name));
    if args.inspect {
        return inspect(&args.name, &data_dir);
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(
            &args.certs,
            &[(args.name.as_str(), hearsay_transport::Role::Replica)],
        )?;
        let app = node::load_app(args.data.as_ref())?;
        let shutdown = Shutdown::new();
        let peers: BTreeMap<ReplicaId, SocketAddr> = args
            .peers
            .into_iter()
            .filter(|(n, _)| *n != args.name)
            .collect();
        let spec = ReplicaSpec {
            name: args.name.clone(),
            listen: args.listen,
            members: peers.keys().cloned().collect(),
            peers,
            data_dir: Some(data_dir.clone()),
            http: args.http,
            isolation: match args.isolate_file {
                Some(f) => hearsay_replica::Isolation::following_file(f),
                None => hearsay_replica::Isolation::default(),
            },
            overload_probability: args.overload_probability,
            max_in_flight: args.max_in_flight,
            claims: args.claims.config(),
        };
        let fixed = spec.peers.keys().cloned().collect();
        let running = node::start_replica(spec, app, &args.certs, &shutdown).await?;
        // Registered before saying "listening": whoever waits for that line
        // finds the replica in the tracker's list.
        let discovery = match &args.tracker {
            None => None,
            Some(url) => {
                let me = RegisterPeer {
                    name: args.name.to_string(),
                    role: PeerRole::Replica,
                    addr: discover::advertised(running.addr, "--listen")?,
                    http_addr: match running.http_addr {
                        Some(h) => Some(discover::advertised(h, "--http")?),
                        None => None,
                    },
                };
                let status = discover::replica_status(running.handle.clone());
                let d = discover::join(
                    url,
                    &args.certs,
                    me,
                    status,
                    running.handle.activity().clone(),
                )
                .await?;
                discover::gossip_from(
                    &d,
                    args.name.clone(),
                    running.handle.clone(),
                    running.book.clone(),
                    fixed,
                );
                Some(d)
            }
        };
        println!(
            "replica {} listening on {} (QUIC), state in {}",
            args.name,
            running.addr,
            data_dir.display()
        );
        if let Some(h) = running.http_addr {
            println!("replica {} metrics on http://{h}/metrics", args.name);
        }
        if let (Some(url), Some(d)) = (&args.tracker, &discovery) {
            let id = d.registration().map_or(0, |p| p.id);
            println!(
                "replica {} registered with the tracker at {url} (peer id {id})",
                args.name
            );
        }
        node::stop_signal().await;
        eprintln!("replica {}: stopping", args.name);
        if let Some(d) = discovery {
            d.stop().await; // deregisters while the tracker can still be told
        }
        shutdown.trigger();
        let activity = running.handle.activity().clone();
        running.node.shutdown().await;
        node::flush_activity(&activity).await;
        Ok(ExitCode::SUCCESS)
    })
}
