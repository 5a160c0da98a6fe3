//! `hearsay simulate`: its flags; the run itself is `hearsay_demo::simulate`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::duration_flag::DurationFlag;

/// `--duration`: from a millisecond to a day.
const DURATION: DurationFlag =
    DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(86_400));

/// Flags of `hearsay simulate`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The cluster's tracker (ignored with `--up`).
    #[arg(long, default_value = "http://127.0.0.1:7400")]
    tracker: String,
    /// Start a cluster for the run (`hearsay up --no-repl` on free ports, in
    /// a temporary directory) and stop it afterwards.
    #[arg(long)]
    up: bool,
    /// Replicas of the cluster `--up` starts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(2..=16))]
    replicas: u16,
    /// How long to offer traffic: `20s`, `500ms`, `2m`, or a plain number
    /// of seconds; 1ms to 24h.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = DURATION.parser())]
    duration: Duration,
    /// Operations offered per second (payload writes, peer-list polls,
    /// movie reads and writes), spread evenly.
    #[arg(long, default_value_t = 50.0, value_parser = rate)]
    rate: f64,
    /// Seed of the traffic's choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Now and then send a replica offline or overloaded for a moment,
    /// through the tracker's admin API.
    #[arg(long)]
    chaos: bool,
    /// Print the summary as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Directory of the cluster's certificates and admin token.
    #[arg(long, default_value = "certs")]
    certs: PathBuf,
}

/// `--rate`: 0.1 to 100,000 operations per second.
fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.1..=100_000.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "bad rate {s:?}: give 0.1 to 100000 operations per second"
        )),
    }
}

/// Runs `hearsay simulate`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    hearsay_demo::simulate::run(hearsay_demo::simulate::Options {
        tracker: args.tracker,
        up: args.up,
        replicas: args.replicas,
        duration: args.duration,
        rate: args.rate,
        seed: args.seed,
        chaos: args.chaos,
        json: args.json,
        certs: args.certs,
    })
}
