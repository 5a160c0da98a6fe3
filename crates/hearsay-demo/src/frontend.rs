//! `hearsay frontend`: a front end of the demo's `ClusterApp` routing
//! clients to available replicas, optionally joined to a tracker.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use hearsay_core::ReplicaId;
use hearsay_discovery::{TrackerUrl, fixed_status};
use hearsay_wire::tracker::{PeerRole, RegisterPeer};

use crate::discover;
use crate::node::{self, Shutdown};

/// One front end as `hearsay frontend` runs it: the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// This front end's name (its certificate's name too).
    pub name: String,
    /// Where to listen for clients (QUIC over UDP).
    pub listen: SocketAddr,
    /// Replicas to route to, by name (kept whatever the tracker says).
    pub replicas: Vec<(ReplicaId, SocketAddr)>,
    /// The tracker to register with and learn replicas from.
    pub tracker: Option<TrackerUrl>,
    /// Directory of the cluster's certificates (made if missing).
    pub certs: PathBuf,
    /// Where to serve HTTP (status, metrics, activity).
    pub http: SocketAddr,
    /// Where to keep the activity log; in memory when `None`.
    pub data_dir: Option<PathBuf>,
}

/// Runs `hearsay frontend` until ctrl-c.
pub fn run(args: Options) -> anyhow::Result<ExitCode> {
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
