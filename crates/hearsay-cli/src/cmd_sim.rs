//! `hearsay sim`: the deterministic fault simulation of the core, over many
//! seeds, with progress, a summary, and the command reproducing any failure.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::builder::PossibleValuesParser;
use hearsay_core::InjectedBugs;
use hearsay_sim::{Faults, SeedReport, SimConfig, Summary, run_seeds};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::duration_flag::DurationFlag;

/// Failing seeds printed in full; the rest are only counted.
const SHOW_FAILING: usize = 10;

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
    /// Give every replica a deliberate bug, to see the checkers catch it.
    #[arg(long = "bug", value_name = "NAME", value_parser = PossibleValuesParser::new(InjectedBugs::NAMES))]
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

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Args {
    /// The simulation these flags describe, checked.
    fn config(&self) -> anyhow::Result<SimConfig> {
        if self.seeds == 0 {
            bail!("--seeds must be at least 1");
        }
        if self.seed.checked_add(self.seeds).is_none() {
            bail!("--seed {} plus --seeds {} overflows", self.seed, self.seeds);
        }
        if self.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let mut config = SimConfig {
            replicas: self.replicas,
            frontends: self.frontends,
            clients: self.clients,
            ops_per_client: self.ops,
            ..SimConfig::default()
        };
        let f = &mut config.faults;
        f.loss = self.loss;
        f.reply_loss = self.reply_loss;
        f.duplicate = self.duplicate;
        f.delay_max = self.max_delay_ms;
        f.partitions = !self.no_partitions;
        f.offline = !self.no_offline;
        f.crashes = !self.no_crashes;
        if self.no_forged {
            f.forged_sessions = 0.0;
        }
        if self.no_faults {
            *f = Faults {
                delay_max: f.delay_max,
                ..Faults::none()
            };
        }
        for bug in &self.bugs {
            config.bugs.enable(bug).map_err(anyhow::Error::msg)?;
        }
        config.validate().context("bad simulation flags")?;
        Ok(config)
    }

    /// The command that replays `seed` alone with these settings: every flag
    /// that differs from its default, and nothing else.
    fn reproduce(&self, seed: u64) -> String {
        let d = SimConfig::default();
        let fd = Faults::default();
        let mut cmd = format!("hearsay sim --seeds 1 --seed {seed}");
        let mut flag = |name: &str, value: String, default: String| {
            if value != default {
                let _ = write!(cmd, " --{name} {value}");
            }
        };
        flag(
            "replicas",
            self.replicas.to_string(),
            d.replicas.to_string(),
        );
        flag(
            "frontends",
            self.frontends.to_string(),
            d.frontends.to_string(),
        );
        flag("clients", self.clients.to_string(), d.clients.to_string());
        flag("ops", self.ops.to_string(), d.ops_per_client.to_string());
        flag("loss", self.loss.to_string(), fd.loss.to_string());
        flag(
            "reply-loss",
            self.reply_loss.to_string(),
            fd.reply_loss.to_string(),
        );
        flag(
            "duplicate",
            self.duplicate.to_string(),
            fd.duplicate.to_string(),
        );
        let max_delay = millis(fd.delay_max).to_string();
        flag(
            "max-delay-ms",
            millis(self.max_delay_ms).to_string(),
            max_delay,
        );
        for (on, name) in [
            (self.no_partitions, "--no-partitions"),
            (self.no_offline, "--no-offline"),
            (self.no_crashes, "--no-crashes"),
            (self.no_forged, "--no-forged"),
            (self.no_faults, "--no-faults"),
        ] {
            if on {
                let _ = write!(cmd, " {name}");
            }
        }
        for bug in &self.bugs {
            let _ = write!(cmd, " --bug {bug}");
        }
        cmd
    }
}

/// Runs `hearsay sim`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let started = Instant::now();
    let progress = Progress::new(args.seeds);
    let reports = run_seeds(&config, args.seed..args.seed + args.seeds, threads, &|r| {
        progress.tick(r);
    })?;
    progress.finish();
    let elapsed = started.elapsed();
    let summary = Summary::of(&reports);
    if args.json {
        println!("{}", json(&args, &summary, &reports, elapsed));
    } else {
        print_failures(&args, &reports);
        println!("{}", summary_line(&summary, elapsed));
    }
    Ok(if summary.violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary_line(s: &Summary, elapsed: Duration) -> String {
    let failing = match s.failing_seeds.len() {
        0 => String::new(),
        n => format!(" in {n} seed(s)"),
    };
    format!(
        "sim: {} seeds, {} operations, {} messages, {} violations{failing}, {:.1}s",
        s.seeds,
        s.operations,
        s.messages,
        s.violations,
        elapsed.as_secs_f64()
    )
}

fn print_failures(args: &Args, reports: &[SeedReport]) {
    let failing: Vec<&SeedReport> = reports.iter().filter(|r| !r.is_clean()).collect();
    for r in failing.iter().take(SHOW_FAILING) {
        println!("seed {}: {} violation(s)", r.seed, r.violation_count);
        for v in &r.violations {
            println!("  {v}");
        }
        println!("  reproduce: {}", args.reproduce(r.seed));
    }
    if failing.len() > SHOW_FAILING {
        println!(
            "... and {} more failing seeds",
            failing.len() - SHOW_FAILING
        );
    }
}

/// The result as JSON (written by hand: the binary carries no JSON crate yet).
fn json(args: &Args, s: &Summary, reports: &[SeedReport], elapsed: Duration) -> String {
    let mut out = format!(
        "{{\"seeds\":{},\"first_seed\":{},\"operations\":{},\"messages\":{},\"violations\":{},\"elapsed_ms\":{},\"failing\":[",
        s.seeds,
        args.seed,
        s.operations,
        s.messages,
        s.violations,
        elapsed.as_millis()
    );
    let failing = reports.iter().filter(|r| !r.is_clean());
    for (i, r) in failing.enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(
            out,
            "{sep}{{\"seed\":{},\"trace_hash\":\"{:016x}\",\"violation_count\":{},\"reproduce\":{},\"violations\":[",
            r.seed,
            r.trace_hash,
            r.violation_count,
            quote(&args.reproduce(r.seed))
        );
        for (j, v) in r.violations.iter().enumerate() {
            let sep = if j == 0 { "" } else { "," };
            let _ = write!(
                out,
                "{sep}{{\"property\":{},\"at_us\":{},\"description\":{}}}",
                quote(v.property.name()),
                v.at.as_micros(),
                quote(&v.description)
            );
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The progress bar's line on a terminal.
const BAR_TEMPLATE: &str = "[{bar:30}] {pos}/{len} seeds, {msg}, {elapsed}";

/// Progress on stderr: an indicatif bar on a terminal, a line every few
/// seconds otherwise.
struct Progress {
    total: u64,
    /// The bar, when stderr is a terminal; `None` prints plain lines.
    bar: Option<ProgressBar>,
    started: Instant,
    /// Seeds done, violations so far, and when progress was last shown;
    /// behind a lock because every worker thread reports here.
    state: Mutex<(u64, u64, Instant)>,
}

impl Progress {
    fn new(total: u64) -> Self {
        let now = Instant::now();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(BAR_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("#>-"),
            );
            bar.set_message("0 violations");
            bar
        });
        Self {
            total,
            bar,
            started: now,
            state: Mutex::new((0, 0, now)),
        }
    }

    fn tick(&self, report: &SeedReport) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.0 += 1;
        st.1 += report.violation_count;
        if let Some(bar) = &self.bar {
            // indicatif redraws at most 20 times a second on its own.
            bar.set_position(st.0);
            bar.set_message(format!("{} violations", st.1));
            return;
        }
        if st.2.elapsed() >= Duration::from_secs(5) || st.0 == self.total {
            st.2 = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "sim: {}/{} seeds, {} violations, {secs:.1}s",
                st.0, self.total, st.1
            );
            let _ = err.flush();
        }
    }

    /// Leaves the bar drawn at its last state and ends its line (indicatif
    /// leaves the cursor after the bar), so the summary starts below it.
    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(line: &str) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("sim").chain(line.split_whitespace())).map(|c| c.args)
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
    fn bad_flags_get_clear_errors() {
        let err = |line: &str| format!("{:#}", parse(line).unwrap().config().unwrap_err());
        assert!(err("--replicas 0").contains("replicas must be between 1"));
        assert!(err("--loss 1").contains("loss must be at least 0 and below 1"));
        assert!(err("--seeds 0").contains("--seeds must be at least 1"));
        assert!(parse("--bug nonsense").is_err());
        assert!(parse("--replicas -1").is_err());
    }

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(quote("a \"b\"\\\n"), "\"a \\\"b\\\"\\\\\\n\"");
    }
}
