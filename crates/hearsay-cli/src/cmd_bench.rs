//! `hearsay bench`: measure a local cluster (see `hearsay_bench`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::builder::TypedValueParser as _;
use hearsay_bench::{BenchConfig, MAX_CLIENTS, MAX_PAYLOAD, MAX_REPLICAS};

/// Flags of `hearsay bench`.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub(crate) struct Args {
    /// Replicas in the local cluster (full mesh).
    #[arg(long, default_value_t = BenchConfig::default().replicas,
          value_parser = clap::value_parser!(u16).range(1..=MAX_REPLICAS as i64).map(usize::from))]
    replicas: usize,
    /// Concurrent clients of the closed loop.
    #[arg(long, default_value_t = BenchConfig::default().clients,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CLIENTS as i64).map(usize::from))]
    clients: usize,
    /// Seconds each measured phase lasts (closed loop, then open loop).
    #[arg(long, default_value_t = BenchConfig::default().duration.as_secs_f64(), value_parser = seconds)]
    duration: f64,
    /// Seconds of unmeasured load before each phase.
    #[arg(long, default_value_t = BenchConfig::default().warmup.as_secs_f64(), value_parser = seconds_or_zero)]
    warmup: f64,
    /// Offered rate of the open loop, requests per second (half updates,
    /// half queries); default: half the closed loop's update rate.
    #[arg(long, value_parser = rate)]
    rate: Option<f64>,
    /// Payload bytes in each update.
    #[arg(long, default_value_t = BenchConfig::default().payload_bytes,
          value_parser = clap::value_parser!(u32).range(0..=MAX_PAYLOAD as i64).map(|n| n as usize))]
    payload_bytes: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds above 0 and at most 3600"
        )),
    }
}

fn seconds_or_zero(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds from 0 to 600")),
    }
}

fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 10_000_000.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a rate above 0 and at most 10000000 per second"
        )),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = BenchConfig {
        replicas: args.replicas,
        clients: args.clients,
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_secs_f64(args.warmup),
        rate: args.rate,
        payload_bytes: args.payload_bytes,
        ..BenchConfig::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if !args.json {
        eprintln!(
            "hearsay bench: starting {} replicas and a front end on loopback; about {:.0} s",
            config.replicas,
            2.0 * (config.warmup + config.duration).as_secs_f64() + 1.0
        );
    }
    let report = runtime.block_on(hearsay_bench::run(&config))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("writing the report as JSON")?
        );
    } else {
        print!("{}", report.table());
    }
    Ok(ExitCode::SUCCESS)
}
