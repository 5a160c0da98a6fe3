//! `hearsay tracker`: its flags; the tracker itself is `hearsay_demo::tracker`
//! over `hearsay-tracker` (the HTTP peer list, payloads, status changes and
//! activity log of a cluster).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::duration_flag::DurationFlag;

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

/// Runs `hearsay tracker` until ctrl-c or SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    hearsay_demo::tracker::run(hearsay_demo::tracker::Options {
        listen: args.listen,
        data_dir: args.data_dir,
        certs: args.certs,
        expiry: args.expiry,
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
