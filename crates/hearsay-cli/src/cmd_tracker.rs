//! `hearsay tracker`: the HTTP peer list, payloads, status changes and
//! activity log of a cluster.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::duration_flag::DurationFlag;
use hearsay_demo::node;
use hearsay_demo::payload_sink::QuicPayloadSink;
use hearsay_demo::replica_admin::QuicReplicaAdmin;

/// Flags of `hearsay tracker`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Where to serve HTTP (port 0: the system picks one).
    #[arg(long, default_value = "127.0.0.1:7400")]
    listen: SocketAddr,
    /// Where peers, payloads and the activity log are kept (created if missing).
    #[arg(long, default_value = ".hearsay/tracker")]
    data_dir: PathBuf,
    /// Directory of the cluster's certificates and admin token (made on first
    /// run if missing).
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
    /// A peer without a heartbeat for this long is dropped: `5s`, `500ms`,
    /// `1m`, or a plain number of seconds; 1ms to 24h.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = EXPIRY.parser())]
    expiry: Duration,
}

/// `--expiry`: from a millisecond to a day.
const EXPIRY: DurationFlag =
    DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(86_400));

/// Opens a tracker on `data_dir` with the admin token in `certs` (made if
/// missing), reaching front ends (payloads) and replicas (status changes)
/// over QUIC as node `tracker`. Must run inside a tokio runtime: the QUIC
/// clients bind at once.
pub(crate) fn open(
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
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
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
        println!(
            "tracker listening on http://{addr} (data in {}, admin token in {})",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_durations() {
        let parse = |s| EXPIRY.parse(s);
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("5h"), Ok(Duration::from_secs(5 * 3600)));
        for bad in ["", "s", "25h", "0s", "-1s", "1e9s", "99999999s"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
