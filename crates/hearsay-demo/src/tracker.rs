//! `hearsay tracker`: a cluster's tracker with the demo's QUIC plug-ins
//! (payloads through front ends, status changes to replicas).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::node;
use crate::payload_sink::QuicPayloadSink;
use crate::replica_admin::QuicReplicaAdmin;

/// Where and how `hearsay tracker` runs: the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to serve HTTP (port 0: the system picks one).
    pub listen: SocketAddr,
    /// Where peers, payloads and the activity log are kept (created if missing).
    pub data_dir: PathBuf,
    /// Directory of the cluster's certificates and admin token (made if missing).
    pub certs: PathBuf,
    /// A peer without a heartbeat for this long is dropped.
    pub expiry: Duration,
}

/// Opens a tracker on `data_dir` with the admin token in `certs` (made if
/// missing), reaching front ends (payloads) and replicas (status changes)
/// over QUIC as node `tracker`. Must run inside a tokio runtime: the QUIC
/// clients bind at once.
pub fn open(
    certs: &Path,
    data_dir: &Path,
    expiry: Duration,
) -> anyhow::Result<Arc<hearsay_tracker::Tracker>> {
    node::ensure_certs(certs, &[("tracker", hearsay_transport::Role::Tracker)])?;
    let token = hearsay_transport::certs::load_admin_token(certs)
        .with_context(|| format!("loading the admin token from {}", certs.display()))?;
    let mut config = hearsay_tracker::Config::new(data_dir, token);
    config.expiry = expiry;
    // One QUIC client, as node `tracker`, for front ends and replicas alike.
    let quic = node::client_connector(certs, ("tracker", hearsay_transport::Role::Tracker), false)?;
    config.payload_sink = Arc::new(QuicPayloadSink::new(quic.clone()));
    config.replica_admin = Arc::new(QuicReplicaAdmin::new(quic));
    hearsay_tracker::open(config)
        .with_context(|| format!("opening the tracker's data in {}", data_dir.display()))
}

/// Runs `hearsay tracker` until ctrl-c or SIGTERM.
pub fn run(args: Options) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    // The QUIC clients behind the payload sink and the replica admin need
    // the runtime to exist.
    let _in_runtime = rt.enter();
    let tracker = open(&args.certs, &args.data_dir, args.expiry)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        // One line: whoever reads the address may close the pipe after it.
        println!(
            "tracker listening on http://{addr} (data in {}, admin token in {}; monitor: http://{addr}/monitor)",
            args.data_dir.display(),
            args.certs
                .join(hearsay_transport::certs::ADMIN_TOKEN_FILE)
                .display()
        );
        hearsay_tracker::serve(tracker, listener, node::stop_signal()).await?;
        eprintln!("tracker: stopped");
        Ok(ExitCode::SUCCESS)
    })
}
