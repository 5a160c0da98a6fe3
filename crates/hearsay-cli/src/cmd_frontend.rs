//! `hearsay frontend`: routes clients to available replicas.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_discovery::{TrackerUrl, fixed_status};
use hearsay_wire::tracker::{PeerRole, RegisterPeer};

use hearsay_demo::discover;
use hearsay_demo::node::{self, Shutdown};

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
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        node::ensure_certs(
            &args.certs,
            &[(args.name.as_str(), hearsay_transport::Role::Frontend)],
        )?;
        let shutdown = Shutdown::new();
        let replicas: BTreeMap<ReplicaId, SocketAddr> = args.replicas.into_iter().collect();
        let fixed = replicas.keys().cloned().collect();
        let running = node::start_frontend(
            &args.name,
            args.listen,
            replicas,
            (Some(args.http), args.data_dir.as_deref()),
            &args.certs,
            &shutdown,
        )
        .await?;
        let discovery = match &args.tracker {
            None => None,
            Some(url) => {
                let me = RegisterPeer {
                    name: args.name.clone(),
                    role: PeerRole::Frontend,
                    addr: discover::advertised(running.addr, "--listen")?,
                    http_addr: running.http_addr.map(|h| h.to_string()),
                };
                let d = discover::join(
                    url,
                    &args.certs,
                    me,
                    fixed_status(None),
                    running.activity.clone(),
                )
                .await?;
                discover::route_from(&d, running.handle.clone(), running.addresses.clone(), fixed);
                Some(d)
            }
        };
        println!(
            "front end {} listening on {} (QUIC)",
            args.name, running.addr
        );
        if let Some(h) = running.http_addr {
            println!("front end {} status on http://{h}/v1/status", args.name);
        }
        if let Some(url) = &args.tracker {
            println!(
                "front end {} registered with the tracker at {url}",
                args.name
            );
        }
        node::stop_signal().await;
        eprintln!("front end {}: stopping", args.name);
        if let Some(d) = discovery {
            d.stop().await; // deregisters while the tracker can still be told
        }
        shutdown.trigger();
        node::flush_activity(&running.activity).await;
        Ok(ExitCode::SUCCESS)
    })
}
