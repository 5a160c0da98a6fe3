//! `hearsay maelstrom`: one Maelstrom node on stdin/stdout, or (with
//! `--simulate`) a whole Maelstrom-shaped run in process, with its figures.

use std::process::ExitCode;
use std::time::Duration;

use hearsay_core::forced::ForcedBugs;
use hearsay_maelstrom::harness::{Latency, SimConfig, simulate};
use hearsay_maelstrom::{Tuning, Workload, stdio};

use crate::duration_flag::DurationFlag;

/// `--time-limit`: from a millisecond to a day (of virtual time).
const TIME_LIMIT: DurationFlag =
    DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(86_400));
/// `--latency`: none at all, up to an hour.
const LATENCY: DurationFlag = DurationFlag::millis(Duration::ZERO, Duration::from_secs(3600));
/// `--hub-batch-ms` and `--anti-entropy-ms`: from a millisecond to an hour.
const TUNING: DurationFlag =
    DurationFlag::millis(Duration::from_millis(1), Duration::from_secs(3600));

/// Flags of `hearsay maelstrom`.
///
/// Without `--simulate` this is what Maelstrom runs (through the wrapper
/// scripts in `scripts/maelstrom/`): only `--workload` matters, and stdout
/// carries nothing but Maelstrom JSON. With `--simulate`, the flags named
/// after `maelstrom test`'s shape an in-process run on a virtual clock.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The Maelstrom workload: echo, broadcast, g-counter, txn-rw-register
    /// (causal, totally available), lin-kv (read, write, cas ordered by the
    /// voters) or txn-serializable (txn-rw-register, each transaction ordered
    /// by the voters: strict serializable).
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
    /// Simulation: how long requests are offered (then 10 s of quiet and
    /// final reads): `20s`, `1m`, or a plain number of seconds; up to 24h.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = TIME_LIMIT.parser())]
    time_limit: Duration,
    /// Simulation: the time a message takes: `100ms`, `1s`, or a plain
    /// number of milliseconds; 0 to 1h.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = LATENCY.parser())]
    latency: Duration,
    /// Simulation: constant, uniform or exponential.
    #[arg(long, default_value = "constant")]
    latency_dist: String,
    /// Simulation: "partition" to cut the network at random every 10 s.
    #[arg(long)]
    nemesis: Option<String>,
    /// Simulation: seed for the network, clients and nemesis.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulation, lin-kv and txn-serializable: plant a bug in every voter
    /// to see the checkers catch it: ack-before-quorum or forget-committed
    /// (repeatable).
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,

    /// Tuning: largest cluster that gossips as a full mesh (larger: a hub).
    #[arg(long)]
    mesh_max: Option<usize>,
    /// Tuning: time between two relay batches of the hub: `5ms`, `1s`, or a
    /// plain number of milliseconds; 1ms to 1h.
    #[arg(long, value_name = "DURATION", value_parser = TUNING.parser())]
    hub_batch_ms: Option<Duration>,
    /// Tuning: anti-entropy period with a hub: `500ms`, `2s`, or a plain
    /// number of milliseconds; 1ms to 1h.
    #[arg(long, value_name = "DURATION", value_parser = TUNING.parser())]
    anti_entropy_ms: Option<Duration>,
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
    if let Some(d) = args.hub_batch_ms {
        tuning.hub_push_interval = d;
    }
    if let Some(d) = args.anti_entropy_ms {
        tuning.hub_anti_entropy = d;
    }
    if let Some(f) = args.anti_entropy_fanout {
        tuning.hub_anti_entropy_fanout = f;
    }
    let bugs_allowed = args.simulate && args.workload.is_forced();
    if !args.bugs.is_empty() && !bugs_allowed {
        anyhow::bail!("--bug needs --simulate and a forced workload (lin-kv, txn-serializable)");
    }
    let mut bugs = ForcedBugs::default();
    for name in &args.bugs {
        bugs.enable(name)
            .map_err(|e| anyhow::anyhow!("--bug: {e}"))?;
    }
    tuning.forced_bugs = bugs;
    if !args.simulate {
        stdio::run_stdio(args.workload, tuning)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mean = args.latency;
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
    let mut config = SimConfig::new(args.workload, args.node_count.max(1));
    config.concurrency = args.concurrency.unwrap_or(config.node_count).max(1);
    config.rate = args.rate;
    config.time_limit = args.time_limit;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, clap::Error> {
        crate::parse_flags::parse("maelstrom", line)
    }

    #[test]
    fn maelstrom_plain_numbers_keep_their_units_and_durations_work_too() {
        for line in [
            "-w echo --time-limit 20 --latency 100 --hub-batch-ms 5 --anti-entropy-ms 250",
            "-w echo --time-limit 20s --latency 100ms --hub-batch-ms 5ms --anti-entropy-ms 0.25s",
        ] {
            let args = parse(line).unwrap();
            assert_eq!(args.time_limit, Duration::from_secs(20), "{line}");
            assert_eq!(args.latency, Duration::from_millis(100), "{line}");
            assert_eq!(args.hub_batch_ms, Some(Duration::from_millis(5)), "{line}");
            assert_eq!(
                args.anti_entropy_ms,
                Some(Duration::from_millis(250)),
                "{line}"
            );
        }
        assert_eq!(
            parse("-w echo --latency 0").unwrap().latency,
            Duration::ZERO
        );
        let forced =
            parse("-w lin-kv --simulate --bug ack-before-quorum --bug forget-committed").unwrap();
        assert_eq!(forced.workload, Workload::LinKv);
        assert_eq!(forced.bugs.len(), 2);
        assert!(parse("-w txn-serializable").is_ok());
        assert!(parse("-w txn-rw-register-serializable").is_err());
        for bad in [
            "--time-limit 0",
            "--latency -1",
            "--hub-batch-ms 0",
            "--latency 1.5",
        ] {
            assert!(parse(&format!("-w echo {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn bugs_need_a_simulated_forced_workload_and_a_known_name() {
        for line in [
            "-w lin-kv --bug ack-before-quorum",
            "-w g-counter --simulate --bug ack-before-quorum",
            "-w lin-kv --simulate --bug nonsense",
        ] {
            let err = run(parse(line).unwrap()).unwrap_err().to_string();
            assert!(err.contains("--bug"), "{line}: {err}");
        }
    }
}
