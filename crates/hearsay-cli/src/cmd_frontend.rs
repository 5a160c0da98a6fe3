//! `hearsay frontend`: its flags; the front end itself is `hearsay_demo::frontend`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_demo::{discover, node};
use hearsay_discovery::TrackerUrl;

/// Flags of `hearsay frontend`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// This front end's name (its certificate's name too).
    #[arg(long, default_value = "fe")]
    name: String,
    /// Where to listen for clients (QUIC over UDP).
    #[arg(long, default_value = "127.0.0.1:7500")]
    listen: SocketAddr,
    /// A replica to route to, NAME=HOST:PORT (repeatable; needed unless
    /// --tracker is given).
    #[arg(long = "replica", value_parser = node::parse_named_addr, required_unless_present = "tracker")]
    replicas: Vec<(ReplicaId, SocketAddr)>,
    /// The tracker to register with and learn replicas from, such as
    /// http://127.0.0.1:7400 (replicas given by --replica are kept regardless).
    #[arg(long, value_parser = discover::parse_tracker_url)]
    tracker: Option<TrackerUrl>,
    /// Directory of the cluster's certificates (made on first run if missing).
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// Where to serve /v1/status, /v1/metrics, /v1/activity (JSON) and
    /// /metrics (Prometheus) over HTTP (port 0: the system picks one).
    #[arg(long, default_value = "127.0.0.1:7600")]
    http: SocketAddr,
    /// Where to keep the activity log (activity.redb); in memory when absent.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Runs `hearsay frontend` until ctrl-c.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    hearsay_demo::frontend::run(hearsay_demo::frontend::Options {
        name: args.name,
        listen: args.listen,
        replicas: args.replicas,
        tracker: args.tracker,
        certs: args.certs,
        http: args.http,
        data_dir: args.data_dir,
    })
}
