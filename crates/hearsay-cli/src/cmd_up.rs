//! `hearsay up`: its flags; the cluster itself is `hearsay_demo::up`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;

use crate::cmd_client::ReplArgs;
use crate::cmd_replica::probability;

/// Flags of `hearsay up`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// How many replicas (named r1, r2, ...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=64))]
    replicas: u16,
    /// Start the cluster and wait for ctrl-c instead of opening the REPL.
    #[arg(long)]
    no_repl: bool,
    /// Chance (0 to 1) that a replica refuses a request as overloaded (the
    /// original demo used 0.2).
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    overload_probability: f64,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The front end's port; replicas take the next ones (7501, 7502, ...).
    /// 0 lets the system choose every port.
    #[arg(long, default_value_t = 7500)]
    port: u16,
    /// MovieLens-format movies.csv (and ratings.csv) to load instead of the sample.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory of the cluster's certificates (made on first run if missing).
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// Where the replicas keep their state, one directory each (and the
    /// tracker its own, `tracker`).
    #[arg(long, default_value = ".hearsay/up")]
    data_dir: PathBuf,
    /// Where the tracker serves HTTP (default: the host at port 7400, or a
    /// port the system picks with --port 0).
    #[arg(long)]
    tracker_listen: Option<SocketAddr>,
    /// The voters of the forced order, comma-separated (default: r1,r2,r3,
    /// or every replica when fewer); `none` runs without one (forced
    /// updates and queries are then refused).
    #[arg(long, value_delimiter = ',', value_parser = voter_name)]
    voters: Option<Vec<String>>,
    #[command(flatten)]
    claims: crate::claim_args::ClaimArgs,
    #[command(flatten)]
    repl: ReplArgs,
}

/// Runs `hearsay up`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    hearsay_demo::up::run(hearsay_demo::up::Options {
        replicas: args.replicas,
        no_repl: args.no_repl,
        overload_probability: args.overload_probability,
        host: args.host,
        port: args.port,
        data: args.data,
        certs: args.certs,
        data_dir: args.data_dir,
        tracker_listen: args.tracker_listen,
        claims: args.claims.config(),
        voters: args.voters.map(|v| {
            v.into_iter()
                .filter(|n| n != "none")
                .filter_map(|n| ReplicaId::new(n).ok())
                .collect()
        }),
        repl: args.repl.into(),
    })
}

/// Checks one `--voters` name: a replica name, or `none`.
fn voter_name(s: &str) -> Result<String, String> {
    if s == "none" {
        return Ok(s.to_owned());
    }
    ReplicaId::new(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}
