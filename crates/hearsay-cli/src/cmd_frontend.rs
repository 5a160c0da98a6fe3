//! `hearsay frontend`: routes clients to available replicas.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;

use crate::node::{self, Shutdown};

/// Flags of `hearsay frontend`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// This front end's name (its certificate's name too).
    #[arg(long, default_value = "fe")]
    name: String,
    /// Where to listen for clients (QUIC over UDP).
    #[arg(long, default_value = "127.0.0.1:7500")]
    listen: SocketAddr,
    /// A replica to route to, NAME=HOST:PORT (repeatable).
    #[arg(long = "replica", value_parser = node::parse_named_addr, required = true)]
    replicas: Vec<(ReplicaId, SocketAddr)>,
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
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(&args.certs, &[args.name.as_str()])?;
        let shutdown = Shutdown::new();
        let replicas: BTreeMap<ReplicaId, SocketAddr> = args.replicas.into_iter().collect();
        let running = node::start_frontend(
            &args.name,
            args.listen,
            replicas,
            (Some(args.http), args.data_dir.as_deref()),
            &args.certs,
            &shutdown,
        )?;
        println!(
            "front end {} listening on {} (QUIC)",
            args.name, running.addr
        );
        if let Some(h) = running.http_addr {
            println!("front end {} status on http://{h}/v1/status", args.name);
        }
        node::stop_signal().await;
        eprintln!("front end {}: stopping", args.name);
        shutdown.trigger();
        node::flush_activity(&running.activity).await;
        Ok(ExitCode::SUCCESS)
    })
}
