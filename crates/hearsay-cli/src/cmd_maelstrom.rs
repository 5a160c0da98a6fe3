//! `hearsay maelstrom`: one Maelstrom node on stdin/stdout, or (with
//! `--simulate`) a whole Maelstrom-shaped run in process, with its figures.

use std::process::ExitCode;
use std::time::Duration;

use hearsay_maelstrom::harness::{Latency, SimConfig, simulate};
use hearsay_maelstrom::{Tuning, Workload, stdio};

/// Flags of `hearsay maelstrom`.
///
/// Without `--simulate` this is what Maelstrom runs (through the wrapper
/// scripts in `scripts/maelstrom/`): only `--workload` matters, and stdout
/// carries nothing but Maelstrom JSON. With `--simulate`, the flags named
/// after `maelstrom test`'s shape an in-process run on a virtual clock.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The Maelstrom workload: echo, broadcast, g-counter or txn-rw-register.
    #[arg(long, short = 'w')]
    workload: Workload,

    /// Simulate a Maelstrom test in process and print its figures, instead of
    /// serving stdin.
    #[arg(long)]
    simulate: bool,
    /// Simulation: nodes.
    #[arg(long, default_value_t = 5)]
    node_count: usize,
    /// Simulation: clients (default: one per node).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Simulation: requests per second.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Simulation: seconds of requests (then 10 s of quiet and final reads).
    #[arg(long, default_value_t = 20.0)]
    time_limit: f64,
    /// Simulation: milliseconds per message.
    #[arg(long, default_value_t = 100)]
    latency: u64,
    /// Simulation: constant, uniform or exponential.
    #[arg(long, default_value = "constant")]
    latency_dist: String,
    /// Simulation: "partition" to cut the network at random every 10 s.
    #[arg(long)]
    nemesis: Option<String>,
    /// Simulation: seed for the network, clients and nemesis.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Tuning: largest cluster that gossips as a full mesh (larger: a hub).
    #[arg(long)]
    mesh_max: Option<usize>,
    /// Tuning: milliseconds between two relay batches of the hub.
    #[arg(long)]
    hub_batch_ms: Option<u64>,
    /// Tuning: anti-entropy period with a hub, in milliseconds.
    #[arg(long)]
    anti_entropy_ms: Option<u64>,
    /// Tuning: peers per anti-entropy tick with a hub.
    #[arg(long)]
    anti_entropy_fanout: Option<usize>,
}

/// Runs `hearsay maelstrom`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut tuning = Tuning::default();
    if let Some(m) = args.mesh_max {
        tuning.mesh_max = m;
    }
    if let Some(ms) = args.hub_batch_ms {
        tuning.hub_push_interval = Duration::from_millis(ms);
    }
    if let Some(ms) = args.anti_entropy_ms {
        tuning.hub_anti_entropy = Duration::from_millis(ms);
    }
    if let Some(f) = args.anti_entropy_fanout {
        tuning.hub_anti_entropy_fanout = f;
    }
    if !args.simulate {
        stdio::run_stdio(args.workload, tuning)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mean = Duration::from_millis(args.latency);
    let latency = match args.latency_dist.as_str() {
        "constant" => Latency::Constant(mean),
        "uniform" => Latency::Uniform(mean),
        "exponential" => Latency::Exponential(mean),
        other => {
            anyhow::bail!("unknown --latency-dist {other:?}: constant, uniform or exponential")
        }
    };
    let partitions = match args.nemesis.as_deref() {
        None | Some("") => false,
        Some("partition") => true,
        Some(other) => anyhow::bail!("unknown --nemesis {other:?}: only partition"),
    };
    if !(args.time_limit > 0.0 && args.time_limit.is_finite()) {
        anyhow::bail!("--time-limit must be a positive number of seconds");
    }
    let mut config = SimConfig::new(args.workload, args.node_count.max(1));
    config.concurrency = args.concurrency.unwrap_or(config.node_count).max(1);
    config.rate = args.rate;
    config.time_limit = Duration::from_secs_f64(args.time_limit);
    config.latency = latency;
    config.partitions = partitions;
    config.seed = args.seed;
    config.tuning = tuning;
    let report = simulate(&config);
    println!("{report}");
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
