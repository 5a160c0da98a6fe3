//! `hearsay sim`: the deterministic fault simulation of the core, over many
//! seeds, with progress, a summary, and the command reproducing any failure.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use hearsay_sim::{BUG_NAMES, BUGS_AVAILABLE, Faults, SimConfig, Summary, run_seeds};

use crate::duration_flag::DurationFlag;
use crate::sim_output;

mod flags;

/// Flags of `hearsay sim`.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub(crate) struct Args {
    /// How many seeds to run.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed; with `--seeds 1`, the one seed to reproduce.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Replica managers.
    #[arg(long, default_value_t = SimConfig::default().replicas)]
    replicas: usize,
    /// Front ends.
    #[arg(long, default_value_t = SimConfig::default().frontends)]
    frontends: usize,
    /// Client sessions.
    #[arg(long, default_value_t = SimConfig::default().clients)]
    clients: usize,
    /// Requests per client.
    #[arg(long, default_value_t = SimConfig::default().ops_per_client)]
    ops: usize,
    /// Chance that a message is lost (0 ≤ p < 1).
    #[arg(long, default_value_t = Faults::default().loss)]
    loss: f64,
    /// Extra chance that a replica's reply is lost, forcing retries (0 ≤ p < 1).
    #[arg(long, default_value_t = Faults::default().reply_loss)]
    reply_loss: f64,
    /// Chance that a message is delivered twice (0 ≤ p < 1).
    #[arg(long, default_value_t = Faults::default().duplicate)]
    duplicate: f64,
    /// Longest ordinary message delay (delays are uniform from 1 ms, which
    /// reorders messages): `20ms`, `1s`, or a plain number of milliseconds;
    /// up to 1h.
    #[arg(long, value_name = "DURATION", default_value = "20ms", value_parser = MAX_DELAY.parser())]
    max_delay_ms: Duration,
    /// No network partitions.
    #[arg(long)]
    no_partitions: bool,
    /// No replicas going offline or overloaded.
    #[arg(long)]
    no_offline: bool,
    /// No replicas crashing and restarting from their durable state.
    #[arg(long)]
    no_crashes: bool,
    /// No forged or orphaned sessions (sessions whose updates name records
    /// that will never exist).
    #[arg(long)]
    no_forged: bool,
    /// No faults at all: overrides every fault flag (only delay remains).
    #[arg(long)]
    no_faults: bool,
    /// Voters of the forced order: the first N replicas (the others are
    /// learners), at most the replicas that start in the cluster. 0: no
    /// forced order and no forced operations in the workload.
    #[arg(long, value_name = "N", default_value_t = SimConfig::default().voters)]
    voters: usize,
    /// Give every replica a deliberate bug, to see the checkers catch it:
    /// apply-early, double-apply and stale-read break the causal machinery;
    /// ack-before-quorum (the primary answers a forced update before a
    /// majority holds it) and forget-committed (a view change keeps the new
    /// primary's log, losing committed forced updates) break the forced order.
    /// Only in a binary built with the `sim-bugs` feature (`cargo build
    /// --release -p hearsay-cli --features sim-bugs`); release builds leave
    /// the bugs out.
    #[arg(long = "bug", value_name = "NAME", value_parser = bug_name)]
    bugs: Vec<String>,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// `--max-delay-ms`: up to an hour, in whole milliseconds (the reproduce
/// command prints it as a number of milliseconds).
const MAX_DELAY: DurationFlag = DurationFlag::millis(Duration::ZERO, Duration::from_secs(3600));

/// `--bug`: a known bug's name, in a binary that has the bugs.
fn bug_name(name: &str) -> Result<String, String> {
    if !BUG_NAMES.contains(&name) {
        return Err(format!(
            "unknown bug: choose one of {}",
            BUG_NAMES.join(", ")
        ));
    }
    if !BUGS_AVAILABLE {
        return Err(format!(
            "this hearsay is built without deliberate bugs (the `sim-bugs` feature is off); \
             build one with them: cargo build --release -p hearsay-cli --features sim-bugs, \
             or run cargo run --release -p hearsay-cli --features sim-bugs -- sim --bug {name}"
        ));
    }
    Ok(name.to_owned())
}

/// Runs `hearsay sim`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let started = Instant::now();
    let progress = sim_output::Progress::new(args.seeds);
    let reports = run_seeds(&config, args.seed..args.seed + args.seeds, threads, &|r| {
        progress.tick(r);
    })?;
    progress.finish();
    let elapsed = started.elapsed();
    let summary = Summary::of(&reports);
    if args.json {
        println!(
            "{}",
            sim_output::json(
                args.seed,
                &|seed| args.reproduce(seed),
                &summary,
                &reports,
                elapsed
            )
        );
    } else {
        sim_output::print_failures(&|seed| args.reproduce(seed), &reports);
        println!("{}", sim_output::summary_line(&summary, elapsed));
    }
    Ok(if summary.violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, clap::Error> {
        crate::parse_flags::parse("sim", line)
    }

    fn err_of(line: &str) -> String {
        format!("{:#}", parse(line).unwrap().config().unwrap_err())
    }

    #[test]
    fn defaults_match_the_library_and_reproduce_with_no_extra_flags() {
        let args = parse("").unwrap();
        assert_eq!(args.config().unwrap(), SimConfig::default());
        assert_eq!(args.reproduce(7), "hearsay sim --seeds 1 --seed 7");
    }

    #[test]
    fn the_reproduce_command_names_every_changed_flag_and_parses_back() {
        let line = "--seeds 50 --seed 3 --replicas 3 --loss 0.2 --no-offline --no-crashes --no-forged --bug stale-read --json";
        let args = parse(line).unwrap();
        let cmd = args.reproduce(17);
        assert_eq!(
            cmd,
            "hearsay sim --seeds 1 --seed 17 --replicas 3 --loss 0.2 --no-offline --no-crashes --no-forged --bug stale-read"
        );
        assert_eq!(args.config().unwrap().faults.forged_sessions, 0.0);
        let again = parse(cmd.trim_start_matches("hearsay sim")).unwrap();
        assert_eq!(again.config().unwrap(), args.config().unwrap());
    }

    #[test]
    fn the_longest_delay_takes_units_or_plain_milliseconds_and_reproduces() {
        let plain = parse("--max-delay-ms 50").unwrap();
        let unit = parse("--max-delay-ms 50ms").unwrap();
        assert_eq!(plain, unit);
        assert_eq!(
            unit.config().unwrap().faults.delay_max,
            Duration::from_millis(50)
        );
        assert_eq!(
            unit.reproduce(2),
            "hearsay sim --seeds 1 --seed 2 --max-delay-ms 50"
        );
        assert_eq!(
            parse("--max-delay-ms 1s").unwrap().reproduce(2),
            "hearsay sim --seeds 1 --seed 2 --max-delay-ms 1000"
        );
        assert!(parse("--max-delay-ms 1.5").is_err());
        assert!(parse("--max-delay-ms 2h").is_err());
    }

    #[test]
    fn the_bugs_are_in_test_builds_and_name_the_feature_elsewhere() {
        // `cargo test` turns on the simulator's bugs (a dev-dependency), as
        // the `sim-bugs` feature does; a release build has them off.
        const {
            assert!(
                BUGS_AVAILABLE,
                "the tests build the simulator with its bugs"
            )
        };
        assert_eq!(bug_name("stale-read").unwrap(), "stale-read");
        let config = parse("--bug double-apply").unwrap().config().unwrap();
        assert!(config.replica_config(Vec::new(), 0).bugs.skip_dedup);
    }

    #[test]
    fn forced_bugs_and_voters_configure_the_forced_order_and_reproduce() {
        let args = parse("--voters 5 --bug ack-before-quorum --bug stale-read").unwrap();
        let config = args.config().unwrap();
        assert!(config.forced_bugs.ack_before_quorum);
        assert!(!config.forced_bugs.forget_on_view_change);
        assert!(config.bugs.answer_stale_queries);
        assert_eq!(config.voters, 5);
        let cmd = args.reproduce(4);
        assert_eq!(
            cmd,
            "hearsay sim --seeds 1 --seed 4 --voters 5 --bug ack-before-quorum --bug stale-read"
        );
        let again = parse(cmd.trim_start_matches("hearsay sim")).unwrap();
        assert_eq!(again.config().unwrap(), config);
        let forget = parse("--bug forget-committed").unwrap().config().unwrap();
        assert!(forget.forced_bugs.forget_on_view_change);
        assert_eq!(parse("--voters 0").unwrap().config().unwrap().voters, 0);
    }

    #[test]
    fn bad_flags_get_clear_errors() {
        assert!(
            err_of("--voters 0 --bug forget-committed")
                .contains("a forced-order bug needs a forced order")
        );
        assert!(err_of("--voters 65").contains("voters must be at most 64"));
        let err = |line: &str| format!("{:#}", parse(line).unwrap().config().unwrap_err());
        assert!(err("--replicas 0").contains("replicas must be between 1"));
        assert!(err("--loss 1").contains("loss must be at least 0 and below 1"));
        assert!(err("--seeds 0").contains("--seeds must be at least 1"));
        let bug = |line: &str| parse(line).map(drop).unwrap_err().to_string();
        assert!(
            bug("--bug nonsense")
                .contains("unknown bug: choose one of apply-early, double-apply, stale-read")
        );
        assert!(parse("--replicas -1").is_err());
    }
}
