//! `hearsay replica`: its flags; the replica itself is `hearsay_demo::replica`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_demo::{discover, node};
use hearsay_discovery::TrackerUrl;

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
    /// The voters of the forced order, comma-separated (such as
    /// r1,r2,r3): they order forced updates (the REPL's `cas`) and forced
    /// queries (`fview`); a majority must be up. Give every replica of the
    /// cluster the same list; a replica not in it forwards forced requests
    /// to the primary. Without it, forced requests are refused.
    #[arg(long, value_delimiter = ',', value_parser = |s: &str| ReplicaId::new(s).map_err(|e| e.to_string()))]
    voters: Vec<ReplicaId>,
    #[command(flatten)]
    claims: crate::claim_args::ClaimArgs,
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
    hearsay_demo::replica::run(hearsay_demo::replica::Options {
        name: args.name,
        listen: args.listen,
        peers: args.peers,
        overload_probability: args.overload_probability,
        max_in_flight: args.max_in_flight,
        data: args.data,
        certs: args.certs,
        data_dir: args.data_dir,
        inspect: args.inspect,
        http: args.http,
        tracker: args.tracker,
        isolate_file: args.isolate_file,
        claims: args.claims.config(),
        voters: args.voters,
    })
}
